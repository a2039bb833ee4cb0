"""The Source seam: where the text comes from, as the engine sees it.

Local text/JSONL/parquet files and Hugging Face datasets each implement it (`fwkit.sources`);
the engine only asks a Source to plan work items from a cursor and to describe itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from fwkit.engine.items import Cursor, Planned


class Source(Protocol):
    """An ordered collection of documents, cut into self-contained work items."""

    def check(self) -> None:
        """Fail (FwkitError, one line) before any work on inputs that cannot be read."""
        ...

    def describe(self) -> dict[str, Any]:
        """The manifest's `inputs` (files: path, size, mtime) and `source` (a dataset), which
        resume compares: {"inputs": [...], "source": {...}}."""
        ...

    def total_bytes(self) -> int | None:
        """The size progress counts towards (file bytes, in `Planned.done_bytes`); None: unknown."""
        ...

    def plan(self, item_bytes: int, start: Cursor, consumed: dict[str, Any] | None = None) -> Iterator[Planned]:
        """Every work item from `start` on, deterministically: the same cursor, the same items.
        `consumed`: the `Planned.consumed` of the item that ended at `start` (a resume), if any."""
        ...

    def read_part_changed(self, index: int, cursor: Cursor, consumed: dict[str, Any] | None) -> str | None:
        """None when input `index`, changed (size, mtime) since a partial run stopped at `cursor`,
        still holds what that run read, so the run may go on (`consumed`: as for `plan`); else why
        not, in a few words."""
        ...

    def resume_point(self, cursor: Cursor) -> dict[str, Any] | None:
        """Where a run stopped at `cursor` continues, in the source's own words (for the manifest)."""
        ...
