"""llmc (llm.c): `{prefix}_{split}_{index:06d}.bin`, a 1024-byte header = 256 x int32 (magic
20240520, version 1, token count), then uint16 tokens; shard 0 = val (llm.c's `write_datafile`)."""

from __future__ import annotations

import numpy as np

from fwkit.engine.formats.base import ShardFormat

LLMC_MAGIC = 20240520
LLMC_VERSION = 1
LLMC_HEADER_BYTES = 256 * 4  # 256 x int32


class LlmcFormat(ShardFormat):
    name = "llmc"
    suffix = ".bin"
    header_bytes = LLMC_HEADER_BYTES

    def header(self, count: int) -> bytes:
        header = np.zeros(256, dtype="<i4")
        header[:3] = (LLMC_MAGIC, LLMC_VERSION, count)
        return header.tobytes()

    def check_header(self, data: bytes, tokens: int) -> str | None:
        magic, version, count = np.frombuffer(data[:12], dtype="<i4")
        if (magic, version) != (LLMC_MAGIC, LLMC_VERSION):
            return f"llm.c header has magic {magic} version {version}, expected {LLMC_MAGIC} version {LLMC_VERSION}"
        if count != tokens:
            return f"llm.c header counts {count} tokens, the manifest {tokens}"
        return None
