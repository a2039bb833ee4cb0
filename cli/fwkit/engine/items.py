"""The small, picklable messages of the flow: where a work item starts and ends, what a worker
returns, and the one thing the engine asks of a work item: read your own documents.

The engine moves these around without looking inside: a Source (`fwkit.sources`) makes the work
items, an Executor runs them, the writer appends their tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """A durable position in a source: resume continues exactly here.

    `input_index` is the input (file, or 0 for a dataset); `offset` a byte offset in the
    (decompressed) stream for text and JSONL inputs, a row group (or row-group shard) index
    otherwise; `in_doc` says the next byte continues a document that was cut (so no EOT goes
    before it); `line` is the 1-based line number at `offset` (JSONL errors).
    """

    input_index: int = 0
    offset: int = 0
    in_doc: bool = False
    line: int = 1


@dataclass
class ReadStats:
    """What reading one work item counted, besides its documents (filled in by the item)."""

    input_bytes: int = 0  # UTF-8 bytes of the text read (for text files: the stream's bytes)
    replaced: int = 0  # invalid UTF-8 sequences replaced by U+FFFD
    skipped: int = 0  # rows whose text is null


@dataclass(frozen=True)
class TextBytes:
    """A work item's documents as raw bytes: the non-empty pieces of `data.split(sep)` (`sep` None:
    all of `data` is one piece), the first of which continues a document when `continues`.

    A fast backend splits and encodes these bytes itself, with no Python string per document;
    `data` is valid UTF-8 (the item checked it), so the pieces are exactly `documents()`'s texts."""

    data: bytes
    sep: bytes | None
    continues: bool

    def first_starts(self) -> bool:
        """Whether the first non-empty piece starts a document (it is not the cut document's rest)."""
        return not self.continues or (self.sep is not None and self.data.startswith(self.sep))

    def texts(self) -> list[str]:
        """The pieces as strings, for a backend without a bytes API and for the cross-check."""
        text = self.data.decode("utf-8")
        return [p for p in (text.split(self.sep.decode("utf-8")) if self.sep else [text]) if p]


@runtime_checkable
class WorkItem(Protocol):
    """A self-contained, picklable unit of work that reads its own documents.

    `portable`: it can be read on another machine that sees the same paths or URLs (a cluster
    node); an item that carries bytes read by this process, or reads a path only this host has,
    says False.
    """

    portable: bool

    def documents(self, stats: ReadStats) -> Iterator[tuple[str, bool]]:
        """(text, starts a document) in order; a document's first piece starts it."""
        ...

    # Optional, for items of plain text: `text_bytes(stats) -> TextBytes | None`, the item's bytes
    # when they are valid UTF-8 (counted in `stats`), else None and `documents` reads them.

    def describe(self) -> str:
        """Where the item is, for messages: "train.txt bytes 0-4194304", "x.parquet row group 3"."""
        ...

    def attempt(self, read: Callable[[], T]) -> T:
        """`read()` once, or retried whole where reading is idempotent and failures transient."""
        ...


@dataclass(frozen=True)
class Planned:
    """A work item as its Source planned it: where it starts and ends, and progress after it."""

    item: WorkItem
    start: Cursor
    end: Cursor
    done_bytes: int  # the Source's progress (in its `total_bytes` unit) once this item is done
    # The Source's digest of what was read up to `end` (a checkpoint keeps the last one; a resume
    # hands it back to the Source); None where the Source keeps none. The engine never looks inside.
    consumed: dict[str, Any] | None = None


@dataclass
class ItemResult:
    """A worker's answer: the item's tokens, already in the output dtype, and its counts.

    `tokens` may be any 1-D array of that dtype, also a read-only memmap of a segment file
    (a cluster executor hands those over instead of moving token arrays)."""

    tokens: np.ndarray
    documents: int
    input_bytes: int
    replaced: int = 0
    skipped: int = 0
