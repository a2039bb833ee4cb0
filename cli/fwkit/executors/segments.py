"""Segments: a cluster task's tokens, on storage the driver reads too, with a record beside them.

    OUT/.fwkit/segments/plan.json          the immutable plan: the work-item size and settings
    OUT/.fwkit/segments/KEY.tokens         one unit's tokens, raw, in the output dtype
    OUT/.fwkit/segments/KEY.json           its record: unit (start, end), counts, sha256

A task writes its tokens under a temp name, fsyncs and renames them, then its record the same
way: a record on disk always describes a complete segment, whoever was killed when. The driver
hands a segment to the writer (read-only memmap) only after checking its length and sha256, and
on --resume reuses every segment whose record matches the unit, instead of running it again.
Units are keyed by where they start, and the plan fixes the item size, so a resumed run plans
exactly the units the killed one did. A complete run leaves none of it behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fwkit.atomic import fsync_dir, write_json_atomic
from fwkit.engine.items import Cursor, ItemResult, Planned
from fwkit.engine.writer import WORK_DIR

SEGMENTS = "segments"
PLAN = "plan.json"
PLAN_VERSION = 1
HASH_CHUNK = 8 << 20  # hash segments 8 MiB at a time


def segments_dir(out_dir: Path) -> Path:
    return out_dir / WORK_DIR / SEGMENTS


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

    def matches(self, planned: Planned, dtype: np.dtype) -> bool:
        return (
            self.key == unit_key(planned.start)
            and self.start == asdict(planned.start)
            and self.end == asdict(planned.end)
            and self.dtype == dtype.name
        )


def _sha256(data: np.ndarray) -> str:
    digest = hashlib.sha256()
    flat = data.reshape(-1).view(np.uint8)
    for at in range(0, flat.size, HASH_CHUNK):
        digest.update(flat[at : at + HASH_CHUNK])
    return digest.hexdigest()


def _write_durably(path: Path, data: bytes | np.ndarray) -> None:
    """Temp name unique to this attempt (a retry may race a dying one), fsync, rename."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data if isinstance(data, bytes) else memoryview(np.ascontiguousarray(data)).cast("B"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_segment(directory: Path, planned: Planned, result: ItemResult, run: str, node: str) -> Record:
    """Write a unit's tokens, then its record, each atomically; runs inside the task."""
    key = unit_key(planned.start)
    tokens = result.tokens
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
    )
    _write_durably(directory / f"{key}.tokens", tokens)
    _write_durably(directory / f"{key}.json", json.dumps(asdict(record)).encode())
    fsync_dir(directory)
    return record


def open_segment(directory: Path, record: Record) -> np.ndarray | None:
    """The segment's tokens as a read-only memmap; None if missing, short or not what was written."""
    path = directory / f"{record.key}.tokens"
    dtype = np.dtype(record.dtype)
    try:
        if path.stat().st_size != record.tokens * dtype.itemsize:
            return None
    except FileNotFoundError:
        return None
    tokens = np.memmap(path, dtype=dtype, mode="r") if record.tokens else np.empty(0, dtype=dtype)
    return tokens if _sha256(tokens) == record.sha256 else None


def finished(directory: Path, planned: Planned, dtype: np.dtype) -> tuple[Record, np.ndarray] | None:
    """A unit a previous run finished: its record matches the unit and its bytes match the record."""
    try:
        record = Record(**json.loads((directory / f"{unit_key(planned.start)}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not record.matches(planned, dtype):
        return None
    tokens = open_segment(directory, record)
    return (record, tokens) if tokens is not None else None


def as_result(record: Record, tokens: np.ndarray) -> ItemResult:
    return ItemResult(tokens, record.documents, record.input_bytes, record.replaced, record.skipped)


def remove(directory: Path, key: str) -> None:
    """Drop a unit's segment once the shards holding its tokens are durable (record first)."""
    for suffix in (".json", ".tokens"):
        with contextlib.suppress(FileNotFoundError):
            (directory / f"{key}{suffix}").unlink()


def sweep(directory: Path) -> None:
    """Every segment, record and temp file (the plan stays)."""
    for path in directory.glob("*"):
        if path.name != PLAN:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                path.unlink()


def load_plan(out_dir: Path) -> dict[str, Any] | None:
    try:
        plan = json.loads((segments_dir(out_dir) / PLAN).read_text())
    except (OSError, ValueError):
        return None
    return plan if isinstance(plan, dict) and plan.get("version") == PLAN_VERSION else None


def new_plan(out_dir: Path, item_bytes: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Start the store afresh: no segments, and a plan that fixes the units for every resume."""
    directory = segments_dir(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    sweep(directory)
    plan = {"version": PLAN_VERSION, "item_bytes": item_bytes, "settings": settings}
    write_json_atomic(directory / PLAN, plan)
    return plan


def remove_store(out_dir: Path) -> None:
    """The run is complete: segments and plan go (the work directory holds nothing of ours)."""
    shutil.rmtree(segments_dir(out_dir), ignore_errors=True)
