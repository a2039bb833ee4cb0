"""A fast backend is checked against tiktoken, never trusted: once at start, then during the run.

At start (`choose`), it encodes the adversarial sample (`sample.py`) and must produce exactly
tiktoken's ids, or it is refused with one line (`--backend NAME`) or passed over (`auto`, which
then takes the next fastest, and tiktoken last). During the run (`CrossCheck`), every worker
process encodes its first work item and then one in every `CHECK_EVERY` with tiktoken as well, and
passes the start check again with its first item (a Ray node has an installation of its own); any
difference stops the job with one line naming the item.

tiktoken is built for each checked item and freed after it, and the fast backend's cache is
dropped before it: a worker never holds both tokenizers and a full cache (~30 MB less per worker).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator

import numpy as np

from fwkit.backends import FAST, REFERENCE, Backend, Unavailable, cached, load, release_memory
from fwkit.backends.sample import adversarial_sample
from fwkit.errors import FwkitError

# Each worker checks its 1st, 129th, 257th... item: with 4 MiB items, 4 MiB of text per 512 MiB per
# worker, 0.8% (tiktoken being ~7-10x slower than gigatoken, ~7% of a run's time). 1 in 64 cost
# ~10-15% and kept a 1 GB job on 2 cores under 8x tiktoken (benchmarks/bench_throughput.py).
CHECK_EVERY = 128
RERUN = "rerun with --backend tiktoken --resume"


Encoded = tuple[np.ndarray, np.ndarray]  # (ids, offsets), as Backend.encode_batch returns them


def first_difference(got: Encoded, expected: Encoded) -> int | None:
    """The index of the first text encoded differently in the two, or None when all agree."""
    (ids, offsets), (ref_ids, ref_offsets) = got, expected
    if np.array_equal(offsets, ref_offsets) and np.array_equal(ids, ref_ids):
        return None
    for i in range(min(len(offsets), len(ref_offsets)) - 1):
        if not np.array_equal(ids[offsets[i] : offsets[i + 1]], ref_ids[ref_offsets[i] : ref_offsets[i + 1]]):
            return i
    return min(len(offsets), len(ref_offsets)) - 1  # a different number of texts: where one ran out


def start_check(backend: Backend, tokenizer: str, reference: Backend | None = None) -> str | None:
    """Why `backend` may not encode `tokenizer` (its first wrong sample text), or None: it may."""
    texts = adversarial_sample()
    reference = reference or cached(REFERENCE, tokenizer)
    try:
        at = first_difference(backend.encode_batch(texts), reference.encode_batch(texts))
    except Exception as err:  # a backend that crashes on the sample fails it like a wrong one
        return f"it failed on the adversarial sample ({type(err).__name__}: {err})"
    if at is None:
        return None
    return f"it encodes the adversarial sample's text {at} ({texts[at][:40]!r}) unlike tiktoken"


def choose(
    requested: str,
    tokenizer: str,
    note: Callable[[str], None] = lambda _: None,
    loader: Callable[[str, str], Backend] = load,
) -> Backend:
    """The backend a job runs with: `requested` if it loads and passes the start check, else a one-line
    refusal; for `auto`, the fastest one that does (`note` says why one was passed over), else
    tiktoken. `loader` is replaceable for tests."""
    if requested == REFERENCE:
        return cached(REFERENCE, tokenizer)
    for name in FAST if requested == "auto" else (requested,):
        try:
            backend = loader(name, tokenizer)
        except Unavailable as err:
            if requested == "auto":
                note(f"--backend auto: not {name} ({err})")
                continue
            raise FwkitError(f"--backend {name}: {err}; or use --backend tiktoken") from None
        why = start_check(backend, tokenizer)
        if why is None:
            return backend
        note(f"--backend {requested}: {name} {backend.version} refused: {why}")
        if requested != "auto":
            refused = f"--backend {name} {backend.version} refused for {tokenizer}"
            raise FwkitError(f"{refused}: {why}; use --backend tiktoken")
    return cached(REFERENCE, tokenizer)


class Checker:
    """tiktoken beside a fast backend for one work item: `compare` each batch the backend encoded."""

    def __init__(self, backend: Backend, tokenizer: str, where: Callable[[], str]) -> None:
        from fwkit.backends import tiktoken_backend

        self.backend, self.where = backend, where
        self.reference: Backend | None = tiktoken_backend.fresh(tokenizer)

    def start_check(self, tokenizer: str) -> None:
        """The start check again, in this process: stop the job if this machine's backend fails it."""
        why = start_check(self.backend, tokenizer, self.reference)
        if why is not None:
            b = self.backend
            raise FwkitError(
                f"{self.where()}: --backend {b.name} {b.version} on {socket.gethostname()}: {why}; {RERUN}"
            )

    def compare(self, texts: list[str], got: Encoded, first: int = 0) -> None:
        """Encode `texts` (the item's documents from number `first` on) with tiktoken too; stop the job
        (FwkitError) if `got` differs anywhere."""
        assert self.reference is not None, "compare after the item's check was closed"
        at = first_difference(got, self.reference.encode_batch(texts))
        if at is not None:
            raise FwkitError(
                f"{self.where()}: --backend {self.backend.name} {self.backend.version} encodes document "
                f"{first + at + 1} of this work item unlike tiktoken: {RERUN}"
            )


class CrossCheck:
    """Which of a worker's items are also encoded with tiktoken: the first, then one in CHECK_EVERY."""

    def __init__(self, every: int = CHECK_EVERY) -> None:
        self.every = every
        self.seen = 0

    def due(self) -> bool:
        due = self.seen % self.every == 0
        self.seen += 1
        return due

    @contextlib.contextmanager
    def item(self, backend: Backend, tokenizer: str, where: Callable[[], str]) -> Iterator[Checker | None]:
        """Around one work item: None, or for a checked one a Checker (the first also re-runs the start
        check); tiktoken is freed when the item is done."""
        if backend.name == REFERENCE or not self.due():
            yield None
            return
        backend.release()  # its cache dropped (rebuilt as it encodes this item): tiktoken fits beside it
        checker = Checker(backend, tokenizer, where)
        try:
            if self.seen == 1:
                checker.start_check(tokenizer)
            yield checker
        finally:
            checker.reference = None
            backend.release()  # and again: its next baseline is taken without tiktoken beside it
            release_memory()
