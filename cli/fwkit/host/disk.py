"""Free space where the output will be written: `--out` need not exist yet, so its nearest existing parent."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DiskFacts:
    path: str  # the directory that was measured (the nearest existing parent of the one asked for)
    free_bytes: int  # free to an unprivileged writer (statvfs f_bavail)
    total_bytes: int  # 0: a virtual filesystem (/proc, /sys), no place for files
    writable: bool = True  # this user may create files there


def nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def read_disk_facts(path: Path) -> DiskFacts:
    where = nearest_existing(path)
    usage = shutil.disk_usage(where)
    return DiskFacts(str(where), usage.free, usage.total, os.access(where, os.W_OK))
