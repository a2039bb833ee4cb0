"""DELIBERATELY WRONG backend, for tests only: gigatoken, except that any document containing "Python"
gets its first id changed, whether it came as a string or as a piece of a text item's bytes. It passes
the start check (the adversarial sample has no "Python") and then disagrees with tiktoken on real
prose: what the running cross-check exists to catch.

    TokenizerSpec("gpt2", backend="fakes.wrong_backend")   # a dotted name loads this module
"""

from __future__ import annotations

import numpy as np

from fwkit.backends.gigatoken_backend import GigatokenBackend


def _spoil(ids: np.ndarray, offsets: np.ndarray, wrong: list[bool]) -> tuple[np.ndarray, np.ndarray]:
    ids = ids.copy()
    for i, spoil in enumerate(wrong):
        if spoil and offsets[i + 1] > offsets[i]:
            ids[offsets[i]] = (ids[offsets[i]] + 1) % 50256
    return ids, offsets


class WrongOnPython(GigatokenBackend):
    name = "wrong-on-python"

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        return _spoil(*super().encode_batch(texts), ["Python" in t for t in texts])

    def encode_bytes(self, data: bytes, sep: bytes | None) -> tuple[np.ndarray, np.ndarray]:
        pieces = [p for p in (data.split(sep) if sep else [data]) if p]
        return _spoil(*super().encode_bytes(data, sep), [b"Python" in p for p in pieces])


def load(tokenizer: str) -> WrongOnPython:
    return WrongOnPython(tokenizer)
