"""A fast backend is checked against tiktoken, never trusted: once at start, then during the run.

At start (`choose`), it encodes the adversarial sample (`sample.py`) and must produce exactly
tiktoken's ids, or it is refused with one line (`--backend NAME`) or passed over (`auto`, which
then takes the next fastest, and tiktoken last). During the run (`CrossCheck`), every worker
encodes its first work item and then one in every `CHECK_EVERY` with tiktoken as well; any
difference stops the job with one line naming the item.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fwkit.backends import FAST, REFERENCE, Backend, Unavailable, cached, load
from fwkit.backends.sample import adversarial_sample
from fwkit.errors import FwkitError

# Each worker checks its 1st, 65th, 129th... item: with 4 MiB items, 64 MiB of text checked per
# 256 MiB per worker (tiktoken is ~10x slower than gigatoken, so this costs ~15% of the run).
CHECK_EVERY = 64
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


def start_check(backend: Backend, tokenizer: str) -> str | None:
    """Why `backend` may not encode `tokenizer` (its first wrong sample text), or None: it may."""
    texts = adversarial_sample()
    try:
        at = first_difference(backend.encode_batch(texts), cached(REFERENCE, tokenizer).encode_batch(texts))
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


class CrossCheck:
    """Which of a worker's items are also encoded with tiktoken: the first, then one in CHECK_EVERY."""

    def __init__(self, every: int = CHECK_EVERY) -> None:
        self.every = every
        self.seen = 0

    def due(self) -> bool:
        due = self.seen % self.every == 0
        self.seen += 1
        return due

    def compare(
        self, backend: Backend, tokenizer: str, texts: list[str], got: Encoded, where: str, first: int = 0
    ) -> None:
        """Encode `texts` (the item's documents from number `first` on) with tiktoken too; stop the job
        (FwkitError) if `got` differs anywhere."""
        at = first_difference(got, cached(REFERENCE, tokenizer).encode_batch(texts))
        if at is not None:
            raise FwkitError(
                f"{where}: --backend {backend.name} {backend.version} encodes document {first + at + 1} of this "
                f"work item unlike tiktoken: {RERUN}"
            )
