"""Segments: a cluster task's tokens, in a store the driver reads too, with a record beside them.

    STORE/plan.json          the immutable plan: the work-item size and settings
    STORE/KEY.tokens         one unit's tokens, raw, in the output dtype
    STORE/KEY.json           its record: unit (start, end), counts, sha256

The store (`fwkit.executors.segment_store`) is OUT/.fwkit/segments on a shared file system, or an
S3 prefix (`--ray-scratch`). A task writes its tokens whole, then its record: a record in the store
always describes a complete segment, whoever was killed when. The driver hands a segment to the
writer only after checking its length and sha256, and on --resume reuses every segment whose
record matches the unit, instead of running it again. Units are keyed by where they start, and the
plan fixes the item size, so a resumed run plans exactly the units the killed one did. A complete
run leaves none of it behind.
"""

from __future__ import annotations

import hashlib
import json
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fwkit.engine.items import Cursor, ItemResult, Planned
from fwkit.engine.writer import WORK_DIR
from fwkit.executors.segment_store import SegmentStore, scratch_location

SEGMENTS = "segments"
PLAN = "plan.json"
PLAN_VERSION = 1
HASH_CHUNK = 8 << 20  # hash segments 8 MiB at a time


def segments_dir(out_dir: Path) -> Path:
    return out_dir / WORK_DIR / SEGMENTS


def store_location(out_dir: Path, scratch: str | None) -> str:
    """Where this run's segments go: under `--ray-scratch` (S3 or a shared path), else the out dir's work dir."""
    return scratch_location(scratch) if scratch else str(segments_dir(out_dir))


def unit_key(start: Cursor) -> str:
    """A unit's name, from where it starts (an input and an offset in it, or a row group)."""
    return f"u{start.input_index:06d}-{start.offset:016d}-{int(start.in_doc)}"


@dataclass(frozen=True)
class Record:
    """What a task returns and writes beside its segment: small, never the tokens themselves."""

    key: str
    start: dict[str, Any]  # the unit's Cursor fields
    end: dict[str, Any]
    dtype: str
    tokens: int
    documents: int
    input_bytes: int
    replaced: int
    skipped: int
    sha256: str
    host: str  # the machine that wrote it (for messages)
    node: str  # the Ray node that wrote it
    run: str  # the driver run that submitted it
    # The Source's digest of the input up to the unit's end: a unit of an input changed since (the
    # resume after a fixed line) has the same start and end but other bytes, and is run again.
    consumed: dict[str, Any] | None = None

    def matches(self, planned: Planned, dtype: np.dtype) -> bool:
        return (
            self.key == unit_key(planned.start)
            and self.start == asdict(planned.start)
            and self.end == asdict(planned.end)
            and self.dtype == dtype.name
            and self.consumed == planned.consumed
        )


def _sha256(data: np.ndarray) -> str:
    digest = hashlib.sha256()
    flat = data.reshape(-1).view(np.uint8)
    for at in range(0, flat.size, HASH_CHUNK):
        digest.update(flat[at : at + HASH_CHUNK])
    return digest.hexdigest()


def write_segment(store: SegmentStore, planned: Planned, result: ItemResult, run: str, node: str) -> Record:
    """Write a unit's tokens, then its record, each whole; runs inside the task."""
    key = unit_key(planned.start)
    tokens = np.ascontiguousarray(result.tokens)
    record = Record(
        key=key,
        start=asdict(planned.start),
        end=asdict(planned.end),
        dtype=tokens.dtype.name,
        tokens=int(tokens.size),
        documents=result.documents,
        input_bytes=result.input_bytes,
        replaced=result.replaced,
        skipped=result.skipped,
        sha256=_sha256(tokens),
        host=socket.gethostname(),
        node=node,
        run=run,
        consumed=planned.consumed,
    )
    store.put(f"{key}.tokens", memoryview(tokens).cast("B"))
    store.put(f"{key}.json", json.dumps(asdict(record)).encode())
    return record


def open_segment(store: SegmentStore, record: Record) -> np.ndarray | None:
    """The segment's tokens (a read-only memmap from a directory); None if missing, short or not
    what was written."""
    name = f"{record.key}.tokens"
    dtype = np.dtype(record.dtype)
    path = store.local_path(name)
    if path is None:  # S3: one GET (its length is checked below), not a HEAD first
        data = store.get(name)
        if data is None or len(data) != record.tokens * dtype.itemsize:
            return None
        tokens = np.frombuffer(data, dtype=dtype)
    elif store.size(name) != record.tokens * dtype.itemsize:
        return None
    elif not record.tokens:
        tokens = np.empty(0, dtype=dtype)
    else:
        tokens = np.memmap(path, dtype=dtype, mode="r")
    return tokens if tokens.size == record.tokens and _sha256(tokens) == record.sha256 else None


def finished(store: SegmentStore, planned: Planned, dtype: np.dtype) -> tuple[Record, np.ndarray] | None:
    """A unit a previous run finished: its record matches the unit and its bytes match the record."""
    try:
        record = Record(**json.loads(store.get(f"{unit_key(planned.start)}.json") or b""))
    except (ValueError, TypeError):
        return None
    if not record.matches(planned, dtype):
        return None
    tokens = open_segment(store, record)
    return (record, tokens) if tokens is not None else None


def as_result(record: Record, tokens: np.ndarray) -> ItemResult:
    return ItemResult(tokens, record.documents, record.input_bytes, record.replaced, record.skipped)


def remove(store: SegmentStore, key: str) -> None:
    """Drop a unit's segment once the shards holding its tokens are durable (record first)."""
    for suffix in (".json", ".tokens"):
        store.delete(f"{key}{suffix}")


def load_plan(store: SegmentStore) -> dict[str, Any] | None:
    try:
        plan = json.loads(store.get(PLAN) or b"")
    except ValueError:
        return None
    return plan if isinstance(plan, dict) and plan.get("version") == PLAN_VERSION else None


def new_plan(store: SegmentStore, item_bytes: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Start the store afresh: no segments, and a plan that fixes the units for every resume."""
    for name in store.names():
        if name != PLAN:
            store.delete(name)
    plan = {"version": PLAN_VERSION, "item_bytes": item_bytes, "settings": settings}
    store.put(PLAN, json.dumps(plan).encode())
    return plan
