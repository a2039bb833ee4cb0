"""Parquet inputs (FineWeb layout): one work item per row group, only the text column is read.

The footer is checked when the run starts, so a corrupt file or a missing column fails before any
work, with the file named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from fwkit.engine.items import Cursor, Planned, ReadStats
from fwkit.errors import FwkitError
from fwkit.sources.files import InputFile
from fwkit.sources.rows import row_documents

T = TypeVar("T")
BATCH_ROWS = 1024  # rows decoded at a time inside a worker (~4 MB of FineWeb text)


@dataclass(frozen=True)
class ParquetRowGroup:
    """One row group of a parquet file; the worker reads only the text column, in batches."""

    path: str
    row_group: int
    text_column: str
    batch_rows: int = BATCH_ROWS
    portable = True  # a path: readable wherever the file is

    def describe(self) -> str:
        return f"{self.path} row group {self.row_group}"

    def attempt(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid / ArrowIOError derive from these
            if isinstance(err, FwkitError):
                raise
            raise FwkitError(f"{self.describe()}: corrupt parquet ({err}): re-download the file") from None

    def batches(self, rows: int | None = None) -> Iterator[list[str | None]]:
        """The text column, `rows` (default: batch_rows) at a time."""
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(self.path)
        for batch in parquet.iter_batches(rows or self.batch_rows, [self.row_group], [self.text_column]):
            yield batch.column(0).to_pylist()

    def documents(self, stats: ReadStats) -> Iterator[tuple[str, bool]]:
        return row_documents(self.batches(), stats)


def row_groups(f: InputFile, text_column: str) -> int:
    """The number of row groups, after checking the file is parquet and has the text column."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(f.path).metadata
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged footer
        raise FwkitError(f"{f.path}: not a readable parquet file ({err}): re-download or remove it") from None
    schema = meta.schema.to_arrow_schema()
    if text_column not in schema.names:
        shown = ", ".join(schema.names[:8])
        raise FwkitError(f"{f.path}: no column {text_column!r} (it has: {shown}): use --text-column NAME")
    kind = schema.field(text_column).type
    if not _is_text(kind):
        raise FwkitError(f"{f.path}: column {text_column!r} holds {kind}, not text: use --text-column NAME")
    return meta.num_row_groups


def _is_text(kind: object) -> bool:
    """string / large_string / string_view, also dictionary-encoded: what reads back as `str`."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type  # type: ignore[attr-defined]
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or str(kind) == "string_view"


def plan_row_groups(
    input_index: int, f: InputFile, text_column: str, done_before: int, start: Cursor | None = None
) -> Iterator[Planned]:
    """One item per row group, from `start.offset` (a row group index) on resume; progress in file bytes."""
    count = row_groups(f, text_column)
    for group in range(start.offset if start else 0, count):
        item = ParquetRowGroup(str(f.path), group, text_column)
        done = done_before + f.size * (group + 1) // max(count, 1)
        yield Planned(item, Cursor(input_index, group), Cursor(input_index, group + 1), done)
