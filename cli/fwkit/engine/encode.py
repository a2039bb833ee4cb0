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

from fwkit.encoding import DEFAULT_TOKENIZER, encoding, tokenizer


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
            parts.append(enc.encode_to_numpy(text, allowed_special=set(), disallowed_special=()))
    tokens = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    assert tokens.size == 0 or int(tokens.max()) < enc.n_vocab, "token id outside the vocabulary"
    assert enc.n_vocab <= np.iinfo(spec.dtype).max + 1, f"{spec.name} ids do not fit {spec.dtype}"
    return tokens.astype(spec.dtype), documents
