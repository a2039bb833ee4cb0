"""`--out/.fwkit-run.json`: how to resume an unfinished `fwkit run` job, for `fwkit verify` to print.

`fwkit run` writes it when its job ends unfinished (OOM kill, stop, failure) and deletes it when a
job finishes. It is tied to the run by the manifest's `started_at`, so a later `fwkit tokenize` in
the same dir is never told to resume with `fwkit run`. The name has neither "train" nor "val" in it,
so trainers that list the dir by those words never pick it up.
"""

from __future__ import annotations

import json
from pathlib import Path

from fwkit.atomic import write_json_atomic

RUN_RECORD = ".fwkit-run.json"


def write_record(out: Path, started_at: str, command: str) -> None:
    write_json_atomic(out / RUN_RECORD, {"started_at": started_at, "resume_command": command})


def read_record(out: Path, started_at: str | None) -> str | None:
    """The resume command recorded for the run that started at `started_at`, if any."""
    try:
        record = json.loads((out / RUN_RECORD).read_text())
    except (OSError, ValueError):
        return None
    ok = isinstance(record, dict) and record.get("started_at") == started_at
    return record.get("resume_command") if ok else None


def clear_record(out: Path) -> None:
    (out / RUN_RECORD).unlink(missing_ok=True)
