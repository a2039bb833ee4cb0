"""DELIBERATELY WRONG backend, for tests only: gigatoken, except that any text containing "Python"
gets its first id changed. It passes the start check (the adversarial sample has no "Python") and
then disagrees with tiktoken on real prose: what the running cross-check exists to catch.

    TokenizerSpec("gpt2", backend="fakes.wrong_backend")   # a dotted name loads this module
"""

from __future__ import annotations

import numpy as np

from fwkit.backends.gigatoken_backend import GigatokenBackend


class WrongOnPython(GigatokenBackend):
    name = "wrong-on-python"

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        ids, offsets = super().encode_batch(texts)
        ids = ids.copy()
        for i, text in enumerate(texts):
            if "Python" in text and offsets[i + 1] > offsets[i]:
                ids[offsets[i]] = (ids[offsets[i]] + 1) % 50256
        return ids, offsets


def load(tokenizer: str) -> WrongOnPython:
    return WrongOnPython(tokenizer)
