"""The out dir before a run: fresh, refused, wiped (`--overwrite`) or picked up (`--resume`).

A directory holding a run is never written into by accident: a new run there needs --overwrite,
and --resume continues only a partial run made from the same inputs and settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fwkit.engine.formats import FORMATS
from fwkit.engine.manifest import changed_fields, checkpoint_of, load_manifest, manifest_path, save_manifest
from fwkit.engine.settings import TokenizeSettings
from fwkit.errors import FwkitError

LOCK_NAME = ".fwkit.lock"  # held (flock) for the whole run; the file stays, the lock goes with the process


@contextlib.contextmanager
def out_dir_lock(out_dir: Path) -> Iterator[None]:
    """Create `out_dir` and hold it for one job: a second job there (same --out) would mix shards."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FwkitError(f"{out_dir}: exists and is not a directory: choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FwkitError(
                f"{out_dir}: another fwkit job is writing here: wait for it to end, or choose another --out"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def shard_files(out_dir: Path, fmt_name: str, prefix: str) -> list[Path]:
    """Existing files named like this format's shards (final or partial)."""
    fmt = FORMATS[fmt_name]
    if fmt_name == "nanogpt":
        names = [fmt.file_name(prefix, 0), fmt.file_name(prefix, 1)]
        candidates = [out_dir / n for n in names] + [out_dir / f".{n}.partial" for n in names]
        return [p for p in candidates if p.exists()]
    pattern = f"{prefix}_*_[0-9][0-9][0-9][0-9][0-9][0-9]{fmt.suffix}"
    return sorted([*out_dir.glob(pattern), *out_dir.glob(f".{pattern}.partial")])


def _wipe(out_dir: Path, settings: TokenizeSettings, old: dict[str, Any] | None) -> None:
    doomed = set(shard_files(out_dir, settings.format, settings.prefix))
    if old:
        old_settings = old.get("settings", {})
        doomed.update(shard_files(out_dir, old_settings.get("format", "npy"), old_settings.get("prefix", "")))
        doomed.update(out_dir / s["path"] for s in old.get("shards", []))
    for path in doomed:
        path.unlink(missing_ok=True)
    manifest_path(out_dir).unlink(missing_ok=True)


def _drop_after_checkpoint(out_dir: Path, settings: TokenizeSettings, manifest: dict[str, Any]) -> None:
    """Remove shards a killed run wrote after its last checkpoint (the resumed run rewrites them)."""
    fmt = FORMATS[settings.format]
    _, state = checkpoint_of(manifest)
    index = state.shard_index + 1
    while True:
        name = fmt.file_name(settings.prefix, index)
        paths = [out_dir / name, out_dir / f".{name}.partial"]
        if not any(p.exists() for p in paths) or (settings.format == "nanogpt" and index > 1):
            return
        for p in paths:
            p.unlink(missing_ok=True)
        index += 1


def prepare_out_dir(settings: TokenizeSettings, fresh: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest to continue from; None when --resume finds the run already complete.

    Call it holding `out_dir_lock`, which also creates the directory.
    """
    out = settings.out_dir
    old = load_manifest(out) if not settings.overwrite else None
    if settings.overwrite:
        try:
            _wipe(out, settings, load_manifest(out))
        except FwkitError:  # a damaged manifest is exactly what --overwrite is for
            _wipe(out, settings, None)
    elif old and settings.resume:
        changes = changed_fields(old, fresh)
        if changes:
            which = "complete" if old["complete"] else "partial"
            raise FwkitError(
                f"{out}: cannot resume, changed since the {which} run: {'; '.join(changes)}. "
                "Rerun with the same inputs and options, or with --overwrite to start again"
            )
        if old["complete"]:
            return None
        _drop_after_checkpoint(out, settings, old)
        return old
    elif old:
        what = f"a complete run ({old.get('tokens', 0):,} tokens)" if old["complete"] else "a partial run"
        hint = "--overwrite to replace it" if old["complete"] else "--resume to continue it or --overwrite"
        raise FwkitError(f"{out}: already holds {what}: choose another --out, or use {hint}")
    elif shard_files(out, settings.format, settings.prefix):
        raise FwkitError(f"{out}: holds shard files but no manifest: choose another --out, or use --overwrite")
    save_manifest(out, fresh)
    return fresh
