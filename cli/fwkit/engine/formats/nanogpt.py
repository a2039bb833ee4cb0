"""nanogpt: `val.bin` (the first `--val-tokens` tokens) then `train.bin`, raw tokens for nanoGPT's
`np.memmap(..., dtype=np.uint16)`; no header, so the manifest is the only record of the count."""

from __future__ import annotations

import numpy as np

from fwkit.engine.formats.base import UINT16_IDS, ShardFormat, split_of
from fwkit.errors import FwkitError


class NanogptFormat(ShardFormat):
    name = "nanogpt"
    suffix = ".bin"
    header_bytes = 0

    @classmethod
    def choose_dtype(cls, tokenizer: str, n_vocab: int, requested: str = "auto") -> np.dtype:
        """uint16 only: nanoGPT's train.py reads `np.memmap(..., dtype=np.uint16)`."""
        dtype = super().choose_dtype(tokenizer, n_vocab, requested)
        if dtype != np.uint16:
            why = f"{tokenizer}'s {n_vocab:,} ids need uint32" if n_vocab > UINT16_IDS else "--dtype uint32 was asked"
            raise FwkitError(
                f"--format nanogpt is uint16 only (nanoGPT's train.py memmaps it), {why}: use --format npy"
            )
        return dtype

    def file_name(self, prefix: str, index: int) -> str:
        return f"{split_of(index)}.bin"

    def owns(self, name: str, prefix: str) -> bool:
        return name in ("val.bin", "train.bin")

    def is_open_ended(self, index: int) -> bool:
        return index >= 1

    def capacity(self, index: int, shard_tokens: int, val_tokens: int) -> int | None:
        """val.bin holds `val_tokens`; train.bin everything after."""
        return val_tokens if index == 0 else None

    def check_header(self, data: bytes, tokens: int) -> str | None:
        return None
