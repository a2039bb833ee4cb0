"""Which library turns text into token ids: tiktoken, the reference, or a faster exact one.

    fwkit tokenize train.txt --out data/ --backend auto      # the fastest that passes its checks

A backend is one small module here with a `load(tokenizer) -> Backend` that raises `Unavailable`
when its package is missing or it does not support that tokenizer (GPT-2 now, cl100k_base and
o200k_base as they land). Every backend encodes like tiktoken's `encode_ordinary`: the literal
`<|endoftext|>` is text, and lone surrogates are repaired as tiktoken's wrapper repairs them
(`repair_surrogates`). Whether a fast backend really does is checked, not trusted: `check.py`.
"""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # numpy is imported where ids are made: `fwkit --help` reads CHOICES from here
    import numpy as np

REFERENCE = "tiktoken"
# Fastest first: `auto` takes the first one that loads and passes the start check.
FAST = ("gigatoken",)
BACKENDS = (*FAST, REFERENCE)
CHOICES = (*BACKENDS, "auto")
_MODULES = {"tiktoken": "fwkit.backends.tiktoken_backend", "gigatoken": "fwkit.backends.gigatoken_backend"}
# What each backend adds to a worker beyond tiktoken (which every worker may load for the cross-check),
# measured with benchmarks/bench_memory.py; the job's memory budget counts it (engine/budget.py).
# gigatoken: its tokenizer and one-off set-up (~64 MiB PSS) + its cache, capped at 32 MiB.
_WORKER_BYTES = {"gigatoken": 96 << 20}
_PACKAGES = {"gigatoken": "gigatoken"}


class Unavailable(Exception):
    """This backend cannot run here for this tokenizer (not installed, or not supported): one line why."""


class Backend(Protocol):
    """A loaded tokenizer of one library, in one process."""

    name: str  # as on the command line: "tiktoken", "gigatoken"
    version: str  # the library's version, for the manifest
    takes_bytes: bool  # encode_bytes is faster than decoding and splitting in Python

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(ids as uint32, offsets) of `encode_ordinary` on each text: text i is ids[offsets[i]:offsets[i+1]]."""
        ...

    def encode_bytes(self, data: bytes, sep: bytes | None) -> tuple[np.ndarray, np.ndarray]:
        """The same for the non-empty pieces of `data.split(sep)` (valid UTF-8; `sep` None: one piece),
        split and encoded with no Python string per piece (only where `takes_bytes`)."""
        ...

    def release(self) -> None:
        """Give back what this backend holds beyond its loaded tokenizer (a cache), before a cross-check."""
        ...


def repair_surrogates(text: str) -> str:
    """What tiktoken's `encode_ordinary` does to a text UTF-8 cannot hold: pairs joined, lone ones -> U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (<malloc.h>)
MMAP_THRESHOLD = 1 << 20  # blocks of 1 MiB and more: mapped on their own, unmapped when freed


def keep_heap_small() -> None:
    """In a process that encodes, map big blocks (an item's bytes, its ids) on their own.

    glibc raises its mmap threshold as such blocks are freed (up to 32 MiB), after which they are
    carved from the heap and their pages kept when freed: a gigatoken worker then grew ~60 MiB over
    20 items of the benchmark corpus, which looked like a growing cache; with a fixed threshold it
    stays flat (~100 MiB PSS), at no measurable cost."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): their own policies
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_memory() -> None:
    """Return freed heap to the OS (glibc keeps it otherwise): what a dropped tokenizer or cache held
    leaves the process's RSS, so the job's peak does not count it twice."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def offsets_of(lengths: list[int]) -> np.ndarray:
    """[0, l0, l0+l1, ...]: where each text's ids start in the concatenated ids."""
    import numpy as np

    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def worker_bytes(requested: str) -> int:
    """Memory a worker needs beyond tiktoken's for backend `requested`; for `auto`, the most any
    installed fast backend needs (the job is sized before `auto` is settled)."""
    from importlib.util import find_spec

    if requested != "auto":
        return _WORKER_BYTES.get(requested, 0)
    return max((_WORKER_BYTES.get(n, 0) for n in FAST if find_spec(_PACKAGES[n]) is not None), default=0)


def load(name: str, tokenizer: str) -> Backend:
    """A fresh backend `name` for `tokenizer` (raises Unavailable). A dotted name is the module of a
    backend outside this package (the CLI offers only CHOICES; tests inject a deliberately wrong one)."""
    if name not in _MODULES and "." not in name:
        raise Unavailable(f"unknown backend {name!r} (choose from {', '.join(CHOICES)})")
    return importlib.import_module(_MODULES.get(name, name)).load(tokenizer)


@functools.lru_cache(maxsize=4)
def cached(name: str, tokenizer: str) -> Backend:
    """The backend of this process (workers build theirs lazily, once)."""
    keep_heap_small()
    return load(name, tokenizer)
