"""Documents in, token ids out: each document becomes [EOT] + encode_ordinary(text).

As build-nanogpt and llm.c do, EOT (`<|endoftext|>`) starts every document; the literal string
"<|endoftext|>" inside a text is ordinary text. The encoding is built lazily, once per process
(`fwkit.encoding`), and the ids are checked against the vocabulary before they are narrowed to
the output dtype: an id that does not fit would corrupt the shards silently.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import tiktoken

from fwkit.encoding import DEFAULT_TOKENIZER, GPT2_PATTERN, encoding, tokenizer


@dataclass(frozen=True)
class TokenizerSpec:
    """Which tokenizer and which backend encode the documents, and the dtype the ids are written in
    (picklable: sent to every worker). `out_dtype` "" means the vocabulary's own (`Tokenizer.dtype`)."""

    name: str = DEFAULT_TOKENIZER
    backend: str = "tiktoken"
    out_dtype: str = ""

    @property
    def dtype(self) -> np.dtype:
        """The dtype written: uint16 for GPT-2's 50,257 ids, uint32 past 65,536, or as the format chose."""
        return np.dtype(self.out_dtype) if self.out_dtype else tokenizer(self.name).dtype


# Unicode White_Space, exactly the regex's `\s` (Python's isspace() also takes \x1c-\x1f).
_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# tiktoken's regex backtracks `\s+(?!\S)` on its stack: a run of ~1M whitespace characters overflows
# it (a Rust panic, "StackOverflow"); 500K still passes. Runs this long are cut out exactly instead,
# for GPT-2's pattern (the proof below is about it; other patterns are encoded as they are).
LONG_RUN = 100_000


def ordinary(enc: tiktoken.Encoding, text: str) -> np.ndarray:
    return enc.encode_to_numpy(text, allowed_special=set(), disallowed_special=())


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


def encode_documents(docs: Iterator[tuple[str, bool]], spec: TokenizerSpec) -> tuple[np.ndarray, int]:
    """(tokens in `spec.dtype`, documents started) for (text, starts_a_document) pairs."""
    enc = encoding(spec.name)
    eot = np.array([enc.eot_token], dtype=np.uint32)
    parts: list[np.ndarray] = []
    documents = 0
    for text, starts in docs:
        if starts:
            parts.append(eot)
            documents += 1
        if text:
            parts.extend(encode_text(enc, text) if enc._pat_str == GPT2_PATTERN else [ordinary(enc, text)])
    tokens = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    assert tokens.size == 0 or int(tokens.max()) < enc.n_vocab, "token id outside the vocabulary"
    assert enc.n_vocab <= np.iinfo(spec.dtype).max + 1, f"{spec.name} ids do not fit {spec.dtype}"
    return tokens.astype(spec.dtype), documents
