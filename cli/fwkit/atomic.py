"""Durable file writes: temp name, fsync, rename, fsync the directory.

A kill at any instant leaves either the old file or the new one under the final name, never a
half-written file that looks complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (the rename itself lives in the directory's data)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(tmp: Path, final: Path) -> None:
    """Rename an already fsynced `tmp` over `final` and fsync the directory."""
    os.replace(tmp, final)
    fsync_dir(final.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a crash leaves the old content or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError:  # a full disk: no half-written temp file left behind
        tmp.unlink(missing_ok=True)
        raise
    replace_durably(tmp, path)


def write_json_atomic(path: Path, obj: Any) -> None:
    """JSON (indented, trailing newline) written with `write_bytes_atomic`."""
    write_bytes_atomic(path, (json.dumps(obj, indent=2) + "\n").encode())
