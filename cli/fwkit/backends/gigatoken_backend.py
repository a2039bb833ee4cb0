"""gigatoken (MIT, Rust): tiktoken's ids about 7-10x faster per core, from the same rank file.

Its fastest exact calls: `BPETokenizer.encode_batch` on a `BytesSource` (a work item's raw UTF-8
bytes and the document separator: split and encoded in Rust, no Python string per document), or
on a list of strings; ids come back as one flat uint32 buffer plus offsets (an awkward array whose
two numpy buffers are taken as they are, no Python list). `parallel=False`: fwkit already runs one
worker process per core, and gigatoken's thread pool must not start after a fork.

Two corners differ from tiktoken's `encode_ordinary` and are handled here: the rank file is loaded
with no special tokens (else the literal `<|endoftext|>` in a text becomes id 50256), and lone
surrogates raise TypeError, so the batch is repaired as tiktoken repairs it and encoded again.
gigatoken takes invalid UTF-8 bytes without a word: only bytes the caller checked come here.

Memory: gigatoken caches the ids of the pieces it has seen and has no call to clear or bound that
cache. So the tokenizer is dropped and rebuilt (0.1 s) whenever this process has grown
`CACHE_CAP_BYTES` beyond what it held after its first batch, and before and after every
cross-check (`release`), and the freed heap is returned to the OS: a worker stays flat on an input
of any size. (Most of what looked like cache growth was glibc keeping freed item buffers:
`fwkit.backends.keep_heap_small`. On the benchmark corpus a worker now never reaches the cap.)
"""

from __future__ import annotations

from importlib import resources
from importlib.metadata import version

import numpy as np
import psutil

from fwkit.backends import Unavailable, release_memory, repair_surrogates
from fwkit.encoding import TOKENIZERS, ranks_bytes

# tiktoken's encoding name -> gigatoken's name for that pre-tokenizer regex.
SCHEMES = {"gpt2": "gpt2", "cl100k_base": "gpt4", "o200k_base": "o200k"}
CACHE_CAP_BYTES = 32 * 2**20  # 2 workers x 32 MiB of cache: the job stays inside 400 MB (bench_memory.py)


class GigatokenBackend:
    """gigatoken's BPETokenizer for one tiktoken rank file, rebuilt when its cache has grown too much."""

    name = "gigatoken"
    takes_bytes = True

    def __init__(self, tokenizer: str) -> None:
        try:
            import gigatoken.gigatoken_rs as rs
        except ImportError:
            raise Unavailable("gigatoken is not installed: pip install 'fwkit[fast]'") from None
        if tokenizer not in SCHEMES:
            raise Unavailable(f"gigatoken: no pre-tokenizer for {tokenizer!r}")
        if tokenizer not in TOKENIZERS:
            raise Unavailable(f"gigatoken: fwkit ships no rank file for {tokenizer!r}")
        ranks_bytes(tokenizer)  # checks the file's sha256 (gigatoken then reads the same file)
        self.version = version("gigatoken")
        self._rs, self._scheme = rs, SCHEMES[tokenizer]
        self._ranks = resources.files("fwkit").joinpath("data", TOKENIZERS[tokenizer].ranks_file)
        self._process = psutil.Process()
        self._tokenizer: object | None = None
        self._baseline: int | None = None  # RSS after the first batch of a build, its set-up included
        self.rebuilds = 0  # how often the cache was dropped for growing too much (tests, benchmarks)
        self._build()  # a rank file gigatoken rejects fails here, at load, not on the first item

    def _from_ranks(self, path: str) -> object:
        return self._rs.BPETokenizer.from_tiktoken(path, self._scheme)  # no special tokens: encode_ordinary

    def _build(self) -> object:
        with resources.as_file(self._ranks) as path:
            self._tokenizer = self._from_ranks(str(path))
        self._baseline = None
        return self._tokenizer

    def release(self) -> None:
        """Drop the tokenizer and its cache (rebuilt on the next call) and give the memory back."""
        self._tokenizer = None
        release_memory()

    def _encoded(self, inputs: object) -> tuple[np.ndarray, np.ndarray]:
        tokenizer = self._tokenizer or self._build()
        layout = tokenizer.encode_batch(inputs, parallel=False).layout  # type: ignore[attr-defined]
        rss = self._process.memory_info().rss
        if self._baseline is None:
            self._baseline = rss
        elif rss - self._baseline > CACHE_CAP_BYTES:
            self.release()
            self.rebuilds += 1
        return layout.content.data, layout.offsets.data

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        try:
            return self._encoded(texts)
        except TypeError:  # a lone surrogate (gigatoken says "expected str or bytes, got str")
            return self._encoded([repair_surrogates(t) for t in texts])

    def encode_bytes(self, data: bytes, sep: bytes | None) -> tuple[np.ndarray, np.ndarray]:
        return self._encoded(self._rs.BytesSource(data, sep))


def load(tokenizer: str) -> GigatokenBackend:
    return GigatokenBackend(tokenizer)
