"""tiktoken, the reference every other backend is checked against (and `verify` always uses).

`encode_to_numpy` skips the Python list of `encode_ordinary`, but unlike it does not repair lone
surrogates (a JSONL `"\\ud800"` escape): it raises, and the text is repaired and encoded again.
tiktoken's regex cannot take a whitespace run of ~1M characters: `encode_text` cuts such runs out
exactly, for GPT-2's pattern (issue 16).
"""

from __future__ import annotations

import functools
import re
from importlib.metadata import version

import numpy as np
import tiktoken

from fwkit.backends import Unavailable, offsets_of, repair_surrogates
from fwkit.encoding import GPT2_PATTERN, TOKENIZERS, build_encoding, encoding

# Unicode White_Space, exactly the regex's `\s` (Python's isspace() also takes \x1c-\x1f).
_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# tiktoken's regex backtracks `\s+(?!\S)` on its stack: a run of ~1M whitespace characters overflows
# it (a Rust panic, "StackOverflow"); 500K still passes. Runs this long are cut out exactly instead,
# for GPT-2's pattern (the proof below is about it; other patterns are encoded as they are).
LONG_RUN = 100_000


def ordinary(enc: tiktoken.Encoding, text: str) -> np.ndarray:
    """`encode_ordinary(text)` as uint32, lone surrogates repaired as `encode_ordinary` repairs them."""
    try:
        return enc.encode_to_numpy(text, allowed_special=set(), disallowed_special=())
    except UnicodeEncodeError:
        return enc.encode_to_numpy(repair_surrogates(text), allowed_special=set(), disallowed_special=())


@functools.lru_cache(maxsize=4)
def _long_runs(length: int) -> re.Pattern[str]:
    return re.compile(f"[{_WHITE_SPACE}]{{{length},}}")


def encode_text(enc: tiktoken.Encoding, text: str, long_run: int = LONG_RUN) -> list[np.ndarray]:
    r"""`encode_ordinary(text)` as arrays, also for texts holding whitespace runs tiktoken cannot take.

    A maximal whitespace run W (at least 2 chars) between A (ending in a non-space, or empty) and B
    is split by GPT-2's regex into exactly: A's pieces, W[:-1] (`\s+(?!\S)` gives back one char),
    then W[-1] + B's pieces; if nothing follows, W is one piece. No match crosses those points (A's
    last match is a letter/number/other run, which stops at whitespace; the regex has no
    lookbehind), so encoding A, BPE of the piece W[:-1] alone, and W[-1] + B separately gives the
    same tokens as the whole. `tests/engine/test_long_space.py` checks it against tiktoken itself.
    """
    if len(text) < long_run or not _long_runs(long_run).search(text):
        return [ordinary(enc, text)]
    parts, pos = [], 0
    for run in _long_runs(long_run).finditer(text):
        start, end = run.span()
        piece_end = end if end == len(text) else end - 1
        if start > pos:
            parts.append(ordinary(enc, text[pos:start]))
        parts.append(np.asarray(enc._encode_single_piece(text[start:piece_end]), dtype=np.uint32))
        pos = piece_end
    if pos < len(text):
        parts.append(ordinary(enc, text[pos:]))
    return parts


class TiktokenBackend:
    """tiktoken's Encoding, one text at a time (its batch call returns lists and is no faster)."""

    name = "tiktoken"
    takes_bytes = False

    def __init__(self, enc: tiktoken.Encoding) -> None:
        self.version = version("tiktoken")
        self._encoding = enc
        self._cut_long_runs = enc._pat_str == GPT2_PATTERN

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        enc, lengths, parts = self._encoding, [], []
        for text in texts:
            pieces = encode_text(enc, text) if self._cut_long_runs else [ordinary(enc, text)]
            lengths.append(sum(len(p) for p in pieces))
            parts += pieces
        ids = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
        return ids, offsets_of(lengths)

    def encode_bytes(self, data: bytes, sep: bytes | None) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError("tiktoken takes strings (takes_bytes is False)")

    def release(self) -> None:
        pass  # no cache: tiktoken's memory is its encoding


def load(tokenizer: str) -> TiktokenBackend:
    """The process's tiktoken encoding (built once): `--backend tiktoken`, and the start check."""
    if tokenizer not in TOKENIZERS:
        raise Unavailable(f"tiktoken: no encoding {tokenizer!r} in fwkit")
    return TiktokenBackend(encoding(tokenizer))


def fresh(tokenizer: str) -> TiktokenBackend:
    """A tiktoken encoding of its own, for a cross-check: freed when the caller drops it."""
    return TiktokenBackend(build_encoding(tokenizer))
