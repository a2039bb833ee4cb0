"""Parquet inputs (FineWeb layout): one work item per row group, only the text column is read.

The footer is checked when the run starts, so a corrupt file or a missing column fails before any
work, with the file named.
"""

from __future__ import annotations

from collections.abc import Iterator

from fwkit.engine.items import Cursor, ParquetRowGroup, Planned
from fwkit.errors import FwkitError
from fwkit.sources.files import InputFile


def row_groups(f: InputFile, text_column: str) -> int:
    """The number of row groups, after checking the file is parquet and has the text column."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(f.path).metadata
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged footer
        raise FwkitError(f"{f.path}: not a readable parquet file ({err}): re-download or remove it") from None
    names = meta.schema.to_arrow_schema().names
    if text_column not in names:
        shown = ", ".join(names[:8])
        raise FwkitError(f"{f.path}: no column {text_column!r} (it has: {shown}): use --text-column NAME")
    return meta.num_row_groups


def plan_row_groups(
    input_index: int, f: InputFile, text_column: str, batch_rows: int, start: Cursor | None = None
) -> Iterator[Planned]:
    """Yield one item per row group, from `start.offset` (a row group index) on resume."""
    count = row_groups(f, text_column)
    for group in range(start.offset if start else 0, count):
        item = ParquetRowGroup(str(f.path), group, text_column, batch_rows)
        yield Planned(item, Cursor(input_index, group + 1), f.size * (group + 1) // max(count, 1))
