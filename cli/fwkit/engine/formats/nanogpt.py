"""nanogpt: `val.bin` (the first `--val-tokens` tokens) then `train.bin`, raw tokens for nanoGPT's
`np.memmap(..., dtype=np.uint16)`; no header, so the manifest is the only record of the count."""

from __future__ import annotations

from fwkit.engine.formats.base import ShardFormat, split_of


class NanogptFormat(ShardFormat):
    name = "nanogpt"
    suffix = ".bin"
    header_bytes = 0

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
