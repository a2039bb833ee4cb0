"""Local files as one Source: text and JSONL files cut into blocks, parquet files by row group.

    LocalSource(discover([Path("train.txt")]), doc_sep="\\n\\n", text_column="text", errors="replace")

A document larger than a work item is cut only where `tokenizer`'s pre-tokenizer provably gives
the same tokens (`fwkit.engine.cutter`).

Inputs are taken in order; progress counts file bytes, the inputs before the current one included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Any

from fwkit.engine.items import Cursor, Planned
from fwkit.sources.blocks import plan_blocks
from fwkit.sources.digest import prefix_matches
from fwkit.sources.files import InputFile, open_stream
from fwkit.sources.parquet import plan_row_groups, row_groups


class LocalSource:
    """Text, JSONL and parquet files, in the order given."""

    def __init__(
        self, inputs: Sequence[InputFile], doc_sep: str | None, text_column: str, errors: str, tokenizer: str = "gpt2"
    ) -> None:
        self.inputs = list(inputs)
        self.tokenizer = tokenizer
        self.sep = doc_sep.encode("utf-8") if doc_sep is not None else None
        self.text_column, self.errors = text_column, errors
        self._before = [0, *accumulate(f.size for f in self.inputs)]  # bytes of the inputs before each

    def check(self) -> None:
        for f in self.inputs:
            if f.kind == "parquet":
                row_groups(f, self.text_column)

    def describe(self) -> dict[str, Any]:
        return {"inputs": [f.record() for f in self.inputs], "source": {}}

    def total_bytes(self) -> int | None:
        return self._before[-1]

    def plan(
        self, item_bytes: int, start: Cursor = Cursor(), consumed: dict[str, Any] | None = None
    ) -> Iterator[Planned]:
        for index in range(start.input_index, len(self.inputs)):
            f = self.inputs[index]
            at = start if index == start.input_index else None
            if f.kind == "parquet":
                yield from plan_row_groups(index, f, self.text_column, self._before[index], at)
            else:
                yield from plan_blocks(
                    index,
                    f,
                    self.sep,
                    item_bytes,
                    self.text_column,
                    self.errors,
                    at,
                    done_before=self._before[index],
                    tokenizer=self.tokenizer,
                    consumed=consumed if at is not None else None,
                )

    def resume_point(self, cursor: Cursor) -> dict[str, Any] | None:
        if cursor.input_index >= len(self.inputs):
            return None
        f = self.inputs[cursor.input_index]
        unit = "row_group" if f.kind == "parquet" else "offset"
        return {"input": str(f.path), unit: cursor.offset}

    def read_part_changed(self, index: int, cursor: Cursor, consumed: dict[str, Any] | None) -> str | None:
        """None when input `index`, changed since a partial run stopped at `cursor`, still begins
        with what that run read: nothing of it was read, or (a text or JSONL input, stopped between
        two documents) its first `cursor.offset` bytes have the digest recorded then (read again
        here). Else why the run cannot go on."""
        f = self.inputs[index]
        if f.kind == "parquet":  # (--engine ray may have kept row groups past the checkpoint)
            return "a parquet file is compared whole"
        if index > cursor.input_index or (index == cursor.input_index and cursor.offset == 0):
            return None
        if index < cursor.input_index:
            return "the run had read all of it"
        if consumed is None or consumed.get("offset") != cursor.offset:
            return "the partial run kept no digest of the part it read"
        if cursor.in_doc or not consumed.get("cut"):
            return "the run stopped inside a document or at the end of the input"
        with open_stream(f) as (stream, _):
            same = prefix_matches(stream, consumed)
        return None if same else f"its first {cursor.offset:,} bytes, already read, differ"
