"""Sources: where the text comes from. One place opens the right Source for the CLI, `fwkit
verify --sample` and the estimates; the engine sees only the `fwkit.engine.source.Source` seam.

- `LocalSource` (local.py): text/JSONL files cut into blocks (blocks.py, text.py), parquet by row group.
- `HubSource` (hub.py): a Hugging Face dataset streamed one row group at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwkit.engine.items import Cursor
from fwkit.engine.source import Source
from fwkit.errors import FwkitError
from fwkit.sources.files import InputFile, discover
from fwkit.sources.local import LocalSource

if TYPE_CHECKING:
    from fwkit.sources.hub import HubSpec

__all__ = ["InputFile", "LocalSource", "discover", "join_until", "open_recorded", "open_source", "sample_text"]


def open_source(
    inputs: Sequence[Path],
    hub: HubSpec | None,
    doc_sep: str | None,
    text_column: str,
    errors: str,
    tokenizer: str = "gpt2",
    out_dir: Path | None = None,
) -> Source:
    """The Source of a tokenize job: local INPUT files (cut where `tokenizer` allows; never those in
    `out_dir`), or a --dataset (rows: never cut; not yet checked)."""
    if hub is not None:
        from fwkit.sources.hub import HubSource

        return HubSource(hub)
    return LocalSource(discover(inputs, exclude=out_dir), doc_sep, text_column, errors, tokenizer)


def open_recorded(manifest: dict[str, Any]) -> Source:
    """The Source a manifest was written from, checked to be unchanged (for `fwkit verify --sample`)."""
    settings = manifest["settings"]
    if manifest.get("source"):
        from fwkit.sources import hub

        return hub.open_recorded(manifest["source"])
    inputs = discover([Path(i["path"]) for i in manifest["inputs"]])
    for f, recorded in zip(inputs, manifest["inputs"], strict=True):
        if any(f.record().get(key) != value for key, value in recorded.items()):
            raise FwkitError(f"{f.path}: changed since the run (size, mtime or inode): cannot re-tokenize samples")
    name = (manifest.get("tokenizer") or {}).get("name", "gpt2")  # before fwkit recorded one: GPT-2
    source = LocalSource(inputs, settings["doc_sep"], settings["text_column"], settings["errors"], name)
    source.check()
    return source


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
    from fwkit.engine.items import ReadStats

    source = LocalSource(discover(paths), "\n\n", text_column, "replace")
    source.check()
    planned = source.plan(min(max_bytes, 1 << 20), Cursor())
    return join_until((doc for p in planned for doc, _ in p.item.documents(ReadStats())), max_bytes)
