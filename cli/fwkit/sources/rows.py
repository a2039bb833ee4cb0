"""Documents from rows of a text column (parquet files, Hub datasets): one document per row.

A null row is counted and skipped. The input bytes counted are the text's UTF-8 bytes, the same
unit as a text file's, so the manifest's `input_bytes` means one thing for every source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fwkit.engine.items import ReadStats


def row_documents(batches: Iterable[list[str | None]], stats: ReadStats) -> Iterator[tuple[str, bool]]:
    """(text, True) for each non-null row, batch by batch."""
    for texts in batches:
        for text in texts:
            if text is None:
                stats.skipped += 1
                continue
            stats.input_bytes += len(text.encode("utf-8", "surrogatepass"))
            yield text, True
