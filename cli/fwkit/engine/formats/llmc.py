"""llmc (llm.c): `{prefix}_{split}_{index:06d}.bin`, a 1024-byte header = 256 x int32 (magic, version,
token count), then the tokens; shard 0 = val. As llm.c's `dev/data/data_common.py` `write_datafile`
writes them: uint16 tokens under magic 20240520 version 1 ("gpt-2"), uint32 tokens under magic
20240801 version 7 ("llama-3", read by `train_llama3.py`)."""

from __future__ import annotations

import numpy as np

from fwkit.engine.formats.base import ShardFormat

LLMC_MAGIC = 20240520
LLMC_VERSION = 1
LLMC_MAGIC_UINT32 = 20240801
LLMC_VERSION_UINT32 = 7
LLMC_HEADER_BYTES = 256 * 4  # 256 x int32


class LlmcFormat(ShardFormat):
    name = "llmc"
    suffix = ".bin"
    header_bytes = LLMC_HEADER_BYTES

    @property
    def magic_version(self) -> tuple[int, int]:
        """uint16 tokens: GPT-2's header; uint32: llm.c's Llama-3 header."""
        return (LLMC_MAGIC, LLMC_VERSION) if self.token_bytes == 2 else (LLMC_MAGIC_UINT32, LLMC_VERSION_UINT32)

    def header(self, count: int) -> bytes:
        assert count < 2**31, "llm.c counts tokens in an int32"  # data_common.py asserts the same
        header = np.zeros(256, dtype="<i4")
        header[:3] = (*self.magic_version, count)
        return header.tobytes()

    def check_header(self, data: bytes, tokens: int) -> str | None:
        magic, version, count = np.frombuffer(data[:12], dtype="<i4")
        if (magic, version) != self.magic_version:
            want = "magic {} version {}".format(*self.magic_version)
            return f"llm.c header has magic {magic} version {version}, expected {want} for {self.dtype.name}"
        if count != tokens:
            return f"llm.c header counts {count} tokens, the manifest {tokens}"
        return None
