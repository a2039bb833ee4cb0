"""Documents in, token ids out: each document becomes [EOT] + encode_ordinary(text).

As build-nanogpt and llm.c do, EOT (`<|endoftext|>`) starts every document; the literal string
"<|endoftext|>" inside a text is ordinary text. The encoding is built lazily, once per process
(`fwkit.encoding`), and the ids are checked against the vocabulary before they are narrowed to
the output dtype: an id that does not fit would corrupt the shards silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from fwkit.encoding import EOT, VOCAB_SIZE, gpt2


@dataclass(frozen=True)
class TokenizerSpec:
    """Which tokenizer and which backend encode the documents (picklable: sent to every worker)."""

    name: str = "gpt2"
    backend: str = "tiktoken"

    @property
    def dtype(self) -> np.dtype:
        """The narrowest unsigned dtype that holds every id (GPT-2's 50,257 ids < 65,536: uint16)."""
        return np.dtype(np.uint16) if VOCAB_SIZE <= 1 << 16 else np.dtype(np.uint32)


_EOT = np.array([EOT], dtype=np.uint32)


def encode_documents(docs: Iterator[tuple[str, bool]], spec: TokenizerSpec) -> tuple[np.ndarray, int]:
    """(tokens in `spec.dtype`, documents started) for (text, starts_a_document) pairs."""
    enc = gpt2()
    parts: list[np.ndarray] = []
    documents = 0
    for text, starts in docs:
        if starts:
            parts.append(_EOT)
            documents += 1
        if text:
            parts.append(enc.encode_to_numpy(text, allowed_special=set(), disallowed_special=()))
    tokens = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    assert tokens.size == 0 or int(tokens.max()) < VOCAB_SIZE, "token id outside the vocabulary"
    return tokens.astype(spec.dtype), documents
