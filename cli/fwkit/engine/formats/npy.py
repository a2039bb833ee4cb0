"""npy (build-nanogpt): `{prefix}_{split}_{index:06d}.npy`, exactly what `np.save` writes for a 1-D
little-endian array: a 128-byte v1.0 header, then the tokens; shard 0 = val."""

from __future__ import annotations

import io

import numpy as np

from fwkit.engine.formats.base import ShardFormat

# magic(6) + version(2) + length(2) + the dict, padded with spaces to a 64-byte multiple = 128
NPY_HEADER_BYTES = 128


class NpyFormat(ShardFormat):
    name = "npy"
    suffix = ".npy"
    header_bytes = NPY_HEADER_BYTES

    def header(self, count: int) -> bytes:
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, {"descr": self.dtype.str, "fortran_order": False, "shape": (count,)})
        header = buf.getvalue()
        assert len(header) == NPY_HEADER_BYTES, f"npy header is {len(header)} bytes, expected {NPY_HEADER_BYTES}"
        return header

    def check_header(self, data: bytes, tokens: int) -> str | None:
        if data == self.header(tokens):
            return None
        return f"npy header does not describe {tokens} {self.dtype.name} tokens"
