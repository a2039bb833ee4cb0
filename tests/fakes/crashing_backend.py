"""DELIBERATELY BROKEN backend, for tests only: it kills its process when loaded, as a native library's
segfault would (`TokenizerSpec("gpt2", backend="fakes.crashing_backend")`)."""

from __future__ import annotations

import os


def load(tokenizer: str) -> object:
    os.abort()
