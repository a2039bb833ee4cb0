"""Small JSON files of facts fwkit finds out once per machine and keeps (`speed.json`, backend checks).

They live in `$FWKIT_CACHE_DIR` (default `$XDG_CACHE_HOME/fwkit`, else `~/.cache/fwkit`). Each is one
object of key -> value, where the key names everything the value depends on, so a stale entry is
never read, only left behind. Delete a file to find out again; an unreadable or unwritable cache
only means finding out each time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    explicit = os.environ.get("FWKIT_CACHE_DIR")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(explicit) if explicit else Path(base) / "fwkit"


def read(name: str) -> dict[str, Any]:
    """The cache file `name` as a dict ({} if missing, unreadable or not an object)."""
    try:
        cached = json.loads((cache_dir() / name).read_text())
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def remember(name: str, key: str, value: Any) -> None:
    """Add `key: value` to the cache file `name`, atomically; a read-only home is not an error."""
    from fwkit.atomic import write_json_atomic

    path = cache_dir() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(path, {**read(name), key: value})
    except OSError:
        pass
