"""Unit tests of the flow, without processes: the writer, the manifest, the out dir and the pipeline,
driven by a small in-memory Source through the in-process executor."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from fwkit.engine.executor import InProcessExecutor
from fwkit.engine.formats import make_format
from fwkit.engine.items import Cursor, Planned, ReadStats
from fwkit.engine.manifest import INDEX_CAP, add_index_entry, changed_fields, load_manifest, new_manifest
from fwkit.engine.outdir import out_dir_lock, prepare_out_dir
from fwkit.engine.pipeline import JobRun, run_tokenize
from fwkit.engine.settings import TokenizeSettings
from fwkit.engine.writer import WORK_DIR, ShardRecord, ShardWriter
from fwkit.errors import FwkitError
from fwkit.executors import segments
from fwkit.executors.segment_store import open_store
from readers import reference_tokens

T = TypeVar("T")


@dataclass(frozen=True)
class Docs:
    """A work item of documents held in memory (the test's own, in-process only)."""

    texts: tuple[str, ...]
    portable = False

    def documents(self, stats: ReadStats) -> Iterator[tuple[str, bool]]:
        for text in self.texts:
            stats.input_bytes += len(text.encode())
            yield text, True

    def describe(self) -> str:
        return f"{len(self.texts)} documents in memory"

    def attempt(self, read: Callable[[], T]) -> T:
        return read()


class ListSource:
    """A Source over a list of documents, `per_item` to a work item; progress in UTF-8 bytes."""

    def __init__(self, docs: list[str], per_item: int = 3) -> None:
        self.docs, self.per_item = docs, per_item

    def check(self) -> None:
        if not self.docs:
            raise FwkitError("no documents")

    def describe(self) -> dict[str, Any]:
        return {"inputs": [], "source": {"list": len(self.docs)}}

    def total_bytes(self) -> int | None:
        return sum(len(d.encode()) for d in self.docs)

    def plan(
        self, item_bytes: int, start: Cursor = Cursor(), consumed: dict[str, Any] | None = None
    ) -> Iterator[Planned]:
        done = sum(len(d.encode()) for d in self.docs[: start.offset])
        for i in range(start.offset, len(self.docs), self.per_item):
            texts = tuple(self.docs[i : i + self.per_item])
            done += sum(len(t.encode()) for t in texts)
            yield Planned(Docs(texts), Cursor(0, i), Cursor(0, i + len(texts)), done)

    def resume_point(self, cursor: Cursor) -> dict[str, Any] | None:
        return {"document": cursor.offset}

    def read_part_changed(self, index: int, cursor: Cursor, consumed: dict[str, Any] | None) -> str | None:
        return "no inputs"


DOCS = [f"Document {i}: " + "naïve café 東京 " * (i % 7 + 1) for i in range(40)]


def _run(out: Path, docs: list[str] = DOCS, **options: Any) -> dict[str, Any]:
    settings = TokenizeSettings(out_dir=out, quiet=True, **{"shard_tokens": 100, **options})
    return run_tokenize(settings, ListSource(docs), JobRun(start_executor=InProcessExecutor, item_bytes=1))


def _stream(out: Path, manifest: dict[str, Any]) -> np.ndarray:
    fmt = make_format(manifest["format"])
    return np.concatenate([np.asarray(fmt.read_tokens(out / s["path"])) for s in manifest["shards"]])


def test_pipeline_writes_every_document_in_order(tmp_path: Path) -> None:
    m = _run(tmp_path / "out")
    assert m["complete"] and m["documents"] == len(DOCS)
    assert np.array_equal(_stream(tmp_path / "out", m), reference_tokens(DOCS))
    assert [s["tokens"] for s in m["shards"][:-1]] == [100] * (len(m["shards"]) - 1)
    assert m["input_bytes"] == sum(len(d.encode()) for d in DOCS)  # UTF-8 bytes, not characters
    assert not (tmp_path / "out" / WORK_DIR).exists(), "the work directory (unfinished files) was left behind"


def test_pipeline_formats_give_the_same_stream(tmp_path: Path) -> None:
    streams = {fmt: _stream(tmp_path / fmt, _run(tmp_path / fmt, format=fmt)) for fmt in ("npy", "llmc", "nanogpt")}
    assert all(np.array_equal(s, streams["npy"]) for s in streams.values())


def test_writer_cuts_shards_and_a_document_may_straddle(tmp_path: Path) -> None:
    finished: list[ShardRecord] = []
    writer = ShardWriter(tmp_path, make_format("npy"), "s", 5, 0, finished.append)
    writer.append(np.arange(12, dtype=np.uint16))
    writer.finish()
    assert [r.tokens for r in finished] == [5, 5, 2] and [r.split for r in finished] == ["val", "train", "train"]
    assert np.array_equal(np.load(tmp_path / "s_train_000001.npy"), np.arange(5, 10))


def test_writer_resume_truncates_the_open_shard_to_the_checkpoint(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path, make_format("llmc"), "s", 10, 0, lambda r: None)
    writer.append(np.arange(4, dtype=np.uint16))
    state = writer.sync()
    writer.append(np.arange(3, dtype=np.uint16))  # written after the checkpoint: a kill loses it
    writer.abandon()
    resumed = ShardWriter(tmp_path, make_format("llmc"), "s", 10, 0, lambda r: None, state=state)
    resumed.append(np.array([7, 8], dtype=np.uint16))
    resumed.finish()
    assert list(np.fromfile(tmp_path / "s_val_000000.bin", dtype=np.uint16, offset=1024)) == [0, 1, 2, 3, 7, 8]


def test_writer_refuses_tokens_of_another_dtype(tmp_path: Path) -> None:
    writer = ShardWriter(tmp_path, make_format("npy"), "s", 10, 0, lambda r: None)
    with pytest.raises(AssertionError, match="uint32"):
        writer.append(np.arange(3, dtype=np.uint32))


def test_manifest_index_is_thinned_not_grown() -> None:
    m = new_manifest({"format": "npy"}, [], {})
    for i in range(INDEX_CAP * 3):
        add_index_entry(m, Cursor(0, i), i * 10)
    assert len(m["index"]["entries"]) <= INDEX_CAP and m["index"]["seen"] == INDEX_CAP * 3
    offsets = [e[1] for e in m["index"]["entries"]]
    assert offsets == sorted(offsets) and all(o % m["index"]["stride"] == 0 for o in offsets)


def test_manifest_changes_are_named() -> None:
    old = new_manifest({"format": "npy", "prefix": "a"}, [{"path": "x", "size": 1, "mtime_ns": 1}], {})
    new = new_manifest({"format": "npy", "prefix": "b"}, [{"path": "x", "size": 2, "mtime_ns": 1}], {})
    assert changed_fields(old, new) == ["--prefix ('a' -> 'b')", "x (size or mtime)"]


def test_out_dir_refuses_a_run_it_holds_unless_told(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _run(out)
    with pytest.raises(FwkitError, match="already holds a complete run"):
        _run(out)
    assert _run(out, resume=True)["tokens"] == first["tokens"]  # complete: nothing to do
    assert _run(out, overwrite=True)["tokens"] == first["tokens"]


def test_out_dir_resume_needs_the_same_settings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    settings = TokenizeSettings(out_dir=out, shard_tokens=100)
    fresh = new_manifest(settings.output_settings(), [], {"list": 1})
    with out_dir_lock(out):
        prepare_out_dir(settings, fresh)
    changed = TokenizeSettings(out_dir=out, shard_tokens=200, resume=True)
    with out_dir_lock(out), pytest.raises(FwkitError, match="shard-tokens"):
        prepare_out_dir(changed, new_manifest(changed.output_settings(), [], {"list": 1}))


def test_a_run_stopped_mid_way_resumes_to_the_same_stream(tmp_path: Path) -> None:
    """A partial run of the first documents, then the rest with --resume: the whole stream."""
    out = tmp_path / "out"
    reference = _run(tmp_path / "ref")
    with pytest.raises(KeyboardInterrupt):
        settings = TokenizeSettings(out_dir=out, quiet=True, shard_tokens=100)
        source = ListSource(DOCS)
        seen = [0]

        def interrupting_executor() -> InProcessExecutor:
            class Stopping(InProcessExecutor):
                def imap(self, fn, planned, on_idle=lambda: None, should_stop=lambda: False):  # type: ignore[no-untyped-def]
                    for p, r in super().imap(fn, planned, on_idle, should_stop):
                        seen[0] += 1
                        if seen[0] == 6:
                            raise KeyboardInterrupt  # a crash after five items were written
                        yield p, r

            return Stopping()

        run_tokenize(settings, source, JobRun(start_executor=interrupting_executor, item_bytes=1))
    partial = load_manifest(out)
    assert partial is not None and not partial["complete"]
    plan = segments.new_plan(open_store(segments.store_location(out, None)), 1, {"as": "a Ray run stopped here"})
    assert (out / WORK_DIR / "segments" / "plan.json").exists() and plan["item_bytes"] == 1  # resumed locally:
    resumed = _run(out, resume=True)
    assert [s["sha256"] for s in resumed["shards"]] == [s["sha256"] for s in reference["shards"]]
    assert not (out / WORK_DIR).exists(), "a complete run leaves no work directory, whoever filled it"


def test_an_old_out_dir_with_a_partial_beside_the_shards_still_resumes(tmp_path: Path) -> None:
    """fwkit < 0.2 kept the open shard as `.NAME.partial` next to the shards: resume moves it in."""
    out = tmp_path / "out"
    reference = _run(tmp_path / "ref")
    _run(out)
    m = json.loads((out / "manifest.json").read_text())
    last = m["shards"].pop()  # make the last shard the open one of a partial run, laid out the old way
    tokens = np.load(out / last["path"])
    keep = tokens.size // 2
    (out / last["path"]).unlink()
    fmt = make_format("npy")
    (out / f".{last['path']}.partial").write_bytes(fmt.header(0) + tokens[:keep].tobytes() + b"\0" * 6)
    index = len(m["shards"])
    m["tokens"] -= tokens.size - keep
    m["complete"] = False
    # The documents before the open shard's remaining tokens: found from the reference stream.
    stream = _stream(tmp_path / "ref", reference)
    doc_starts = np.flatnonzero(stream == 50256)
    cut = max(i for i, s in enumerate(doc_starts) if s <= m["tokens"])
    m["tokens"] = int(doc_starts[cut])
    m["checkpoint"] = {
        "cursor": {"input_index": 0, "offset": cut, "in_doc": False, "line": 1},
        "writer": {"shard_index": index, "shard_tokens": m["tokens"] - 100 * index},
    }
    (out / "manifest.json").write_text(json.dumps(m))
    assert not (out / WORK_DIR).exists()  # fwkit < 0.2 had no work directory
    resumed = _run(out, resume=True)
    assert [s["sha256"] for s in resumed["shards"]] == [s["sha256"] for s in reference["shards"]]
    assert not list(out.glob(".*.partial"))


def test_the_progress_line_carries_the_executors_status() -> None:
    """Where the counts do not say it all (Ray: units done and in flight), the executor adds its words."""
    from fwkit.engine.progress import Progress

    progress = Progress(1000, quiet=True)
    progress.update(3, 300, 500)
    assert progress.line(2.0, 0).endswith("ETA 0m02s")
    progress.status = lambda: "units 4 done, 2 on Ray (2 node(s) so far)"
    assert progress.line(2.0, 0).endswith("ETA 0m02s | units 4 done, 2 on Ray (2 node(s) so far)")
