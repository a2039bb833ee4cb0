"""The small, picklable messages of the flow: where a work item starts and ends, what it holds,
and what a worker returns. The engine moves them around without looking inside."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fwkit.errors import FwkitError, read_failed


@dataclass(frozen=True)
class Cursor:
    """A durable position in the inputs: resume continues exactly here.

    `offset` is a byte offset in the (decompressed) stream for text and JSONL inputs and a row
    group index for parquet; `in_doc` says the next byte continues a document that was cut
    (so no EOT goes before it); `line` is the 1-based line number at `offset` (JSONL errors).
    """

    input_index: int = 0
    offset: int = 0
    in_doc: bool = False
    line: int = 1


@dataclass(frozen=True)
class TextBlock:
    """Whole documents (and at most a cut document at each end) of a text or JSONL input."""

    path: str
    kind: str  # "text" or "jsonl"
    data: bytes | None  # None: the worker reads `length` bytes at `start_offset` itself (plain files)
    length: int
    sep: bytes | None  # None: the whole input is one document
    continues_doc: bool  # the first piece continues a document started in the previous block
    first_line: int
    text_column: str
    errors: str  # "replace" or "strict"
    start_offset: int

    def read(self) -> bytes:
        """The block's bytes: carried along, or read from the input where the splitter cut it."""
        if self.data is not None:
            return self.data
        try:
            with open(self.path, "rb") as f:
                f.seek(self.start_offset)
                data = f.read(self.length)
        except OSError as err:
            raise read_failed(self.path, err.strerror) from None
        if len(data) != self.length:
            raise FwkitError(f"{self.path}: shorter than when this run began: the input changed; use --overwrite")
        return data


@dataclass(frozen=True)
class ParquetRowGroup:
    """One row group of a parquet file; the worker reads only the text column, in batches."""

    path: str
    row_group: int
    text_column: str
    batch_rows: int


@dataclass(frozen=True)
class HubShard:
    """One row group of a streamed Hub dataset: shard `shard_index` of `num_shards` (sources/hub.py)."""

    spec: Any  # fwkit.sources.hub.HubSpec (frozen, picklable)
    shard_index: int
    num_shards: int


@dataclass(frozen=True)
class Planned:
    """A work item as the splitter plans it: the payload and where the inputs stand after it."""

    payload: TextBlock | ParquetRowGroup | HubShard
    end: Cursor
    input_done_bytes: int  # bytes of this input's file consumed after the item (for progress)


@dataclass
class ItemResult:
    """A worker's answer: the item's tokens, already uint16, and its counts."""

    tokens: np.ndarray
    documents: int
    text_bytes: int
    replaced: int = 0  # invalid UTF-8 sequences replaced by U+FFFD
    skipped: int = 0  # rows whose text is null
    extra: dict[str, int] = field(default_factory=dict)
