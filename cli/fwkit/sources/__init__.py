"""Sources: turn the inputs into an ordered stream of work items (the splitter's job).

`plan_items` walks the inputs in order from a cursor; `sample_text` gives a small sample of the
inputs' documents (for `fwkit doctor`'s estimates) through the same readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from fwkit.engine.items import Cursor, HubShard, ParquetRowGroup, Planned, TextBlock
from fwkit.sources.blocks import plan_blocks
from fwkit.sources.files import InputFile, discover
from fwkit.sources.parquet import plan_row_groups, row_groups

__all__ = ["InputFile", "check_inputs", "discover", "join_until", "plan_items", "sample_text"]

PARQUET_BATCH_ROWS = 1024  # rows decoded at a time inside a worker (~4 MB of FineWeb text)


def check_inputs(inputs: Sequence[InputFile], text_column: str) -> None:
    """Fail before any work on inputs that cannot be read (parquet footers, columns)."""
    for f in inputs:
        if f.kind == "parquet":
            row_groups(f, text_column)


def plan_items(
    inputs: Sequence[InputFile],
    sep: str | None,
    item_bytes: int,
    text_column: str,
    errors: str,
    start: Cursor = Cursor(),
) -> Iterator[Planned]:
    """Every work item of every input, in input order, beginning at `start`."""
    sep_bytes = sep.encode("utf-8") if sep is not None else None
    for index in range(start.input_index, len(inputs)):
        f = inputs[index]
        at = start if index == start.input_index else None
        if f.kind == "parquet":
            yield from plan_row_groups(index, f, text_column, PARQUET_BATCH_ROWS, at)
        else:
            yield from plan_blocks(index, f, sep_bytes, item_bytes, text_column, errors, at)


def join_until(docs: Iterable[str], max_bytes: int) -> str:
    """The first documents of `docs`, about `max_bytes` of them, joined by blank lines."""
    texts: list[str] = []
    size = 0
    for doc in docs:
        texts.append(doc)
        size += len(doc)
        if size >= max_bytes:
            break
    return "\n\n".join(texts)


def sample_text(paths: Sequence[Path], max_bytes: int, text_column: str = "text") -> str:
    """About `max_bytes` of the inputs' first documents, joined by blank lines (for estimates)."""
    inputs = discover(paths)
    check_inputs(inputs, text_column)
    planned = plan_items(inputs, "\n\n", min(max_bytes, 1 << 20), text_column, "replace")
    return join_until((doc for p in planned for doc in _item_docs(p.payload, text_column)), max_bytes)


def _item_docs(item: TextBlock | ParquetRowGroup | HubShard, text_column: str) -> list[str]:
    """A work item's documents, read the way the workers read them (parquet: its first 64 rows)."""
    from fwkit.engine.worker import _jsonl_docs, _text_docs

    if isinstance(item, ParquetRowGroup):
        import pyarrow.parquet as pq

        batch = next(pq.ParquetFile(item.path).iter_batches(64, [item.row_group], [text_column]), None)
        return [t for t in (batch.column(0).to_pylist() if batch else []) if t]
    assert isinstance(item, TextBlock)
    text = item.read().decode("utf-8", errors="replace")
    pieces = _jsonl_docs(item, text) if item.kind == "jsonl" else _text_docs(item, text)
    return [piece for piece, _ in pieces]
