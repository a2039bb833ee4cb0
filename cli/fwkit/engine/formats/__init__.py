"""The output formats, one module each; `make_format(name, dtype)` is the only way in.

| name | files | read by |
|---|---|---|
| npy | `{prefix}_{split}_{index:06d}.npy` | build-nanogpt's `np.load` |
| llmc | `{prefix}_{split}_{index:06d}.bin`, 1024-byte header | llm.c's `_load_data_shard` |
| nanogpt | `val.bin`, `train.bin` | nanoGPT's `np.memmap` |
| megatron | `{prefix}_{val,train}.bin` + `.idx` | Megatron-LM's `IndexedDataset` |
"""

from __future__ import annotations

import numpy as np

from fwkit.engine.formats.base import ShardFormat, split_of
from fwkit.engine.formats.llmc import LlmcFormat
from fwkit.engine.formats.megatron import MegatronFormat
from fwkit.engine.formats.nanogpt import NanogptFormat
from fwkit.engine.formats.npy import NpyFormat

FORMATS: dict[str, type[ShardFormat]] = {f.name: f for f in (NpyFormat, LlmcFormat, NanogptFormat, MegatronFormat)}

__all__ = ["FORMATS", "ShardFormat", "make_format", "split_of"]


def make_format(name: str, dtype: np.dtype | type = np.uint16, eot: int = 50256) -> ShardFormat:
    """The format `name` writing tokens of `dtype`, documents starting with `eot`."""
    return FORMATS[name](dtype, eot)
