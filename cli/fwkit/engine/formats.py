"""The three on-disk formats, each a header rule and a naming rule; the writer owns no format.

- npy (build-nanogpt): `{prefix}_{split}_{index:06d}.npy`, what `np.save` writes for a uint16 array
  (a 128-byte v1.0 header), shard 0 = val.
- llmc (llm.c): `{prefix}_{split}_{index:06d}.bin`, a 1024-byte header = 256 x int32
  (magic 20240520, version 1, token count), then uint16 tokens; shard 0 = val.
- nanogpt: `val.bin` (the first `--val-tokens` tokens) then `train.bin`, raw uint16 for np.memmap.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

LLMC_MAGIC = 20240520
LLMC_VERSION = 1
LLMC_HEADER_BYTES = 256 * 4  # 256 x int32
NPY_HEADER_BYTES = 128  # magic(6) + version(2) + length(2) + dict padded to a 64-byte multiple
TOKEN_BYTES = 2  # uint16: GPT-2's 50,257 ids fit below 65,536


def npy_header(count: int) -> bytes:
    """The header `np.save` writes for a 1-D little-endian uint16 array of `count` items."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<u2", "fortran_order": False, "shape": (count,)})
    header = buf.getvalue()
    assert len(header) == NPY_HEADER_BYTES, f"npy header is {len(header)} bytes, expected {NPY_HEADER_BYTES}"
    return header


def llmc_header(count: int) -> bytes:
    """llm.c's `write_datafile` header: int32[256] with magic, version and token count."""
    header = np.zeros(256, dtype="<i4")
    header[:3] = (LLMC_MAGIC, LLMC_VERSION, count)
    return header.tobytes()


def split_of(index: int) -> str:
    """Shard 0 is the validation split, as in build-nanogpt and llm.c."""
    return "val" if index == 0 else "train"


@dataclass(frozen=True)
class ShardFormat:
    """How one format names its shards, sizes them, and what header each file starts with."""

    name: str
    header_bytes: int
    suffix: str

    def header(self, count: int) -> bytes:
        if self.name == "npy":
            return npy_header(count)
        if self.name == "llmc":
            return llmc_header(count)
        return b""

    def file_name(self, prefix: str, index: int) -> str:
        if self.name == "nanogpt":
            return f"{split_of(index)}.bin"
        return f"{prefix}_{split_of(index)}_{index:06d}{self.suffix}"

    def capacity(self, index: int, shard_tokens: int, val_tokens: int) -> int | None:
        """Tokens shard `index` holds before the next begins; None: no limit (nanoGPT's train.bin)."""
        if self.name == "nanogpt":
            return val_tokens if index == 0 else None
        return shard_tokens


FORMATS = {
    "npy": ShardFormat("npy", NPY_HEADER_BYTES, ".npy"),
    "llmc": ShardFormat("llmc", LLMC_HEADER_BYTES, ".bin"),
    "nanogpt": ShardFormat("nanogpt", 0, ".bin"),
}
