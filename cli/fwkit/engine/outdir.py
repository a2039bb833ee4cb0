"""The out dir before a run: fresh, refused, wiped (`--overwrite`) or picked up (`--resume`).

A directory holding a run is never written into by accident: a new run there needs --overwrite,
and --resume continues only a partial run made from the same inputs and settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fwkit.atomic import fsync_dir
from fwkit.engine.formats import ShardFormat
from fwkit.engine.items import Cursor
from fwkit.engine.manifest import changed_fields, checkpoint_of, load_manifest, manifest_path, save_manifest
from fwkit.engine.settings import TokenizeSettings
from fwkit.engine.writer import WORK_DIR
from fwkit.errors import FwkitError

LOCK_NAME = ".fwkit.lock"  # held (flock) for the whole run; the file stays, the lock goes with the process


@contextlib.contextmanager
def out_dir_lock(out_dir: Path) -> Iterator[None]:
    """Create `out_dir` and hold it for one job: a second job there (same --out) would mix shards."""
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise FwkitError(f"{out_dir}: exists and is not a directory: choose another --out")
        if out_dir.is_symlink() and not out_dir.exists():
            target = os.readlink(out_dir)
            raise FwkitError(f"{out_dir}: a symlink to {target}, which does not exist: choose another --out")
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(out_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as err:  # under a file, /proc, a read-only mount, a name too long, no permission
        raise FwkitError(f"{out_dir}: cannot create the out dir there ({err.strerror}): choose another --out") from None
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


def shard_files(out_dir: Path, fmt: ShardFormat, prefix: str) -> list[Path]:
    """Existing files named like this format's shards: final, unfinished (`.fwkit/NAME.partial`),
    and the `.NAME.partial` files fwkit < 0.2 kept beside them."""
    finals = fmt.existing_files(out_dir, prefix)
    partials = [p for p in (out_dir / WORK_DIR).glob("*.partial") if fmt.owns(p.name.removesuffix(".partial"), prefix)]
    legacy = [p for p in out_dir.glob(".*.partial") if fmt.owns(p.name[1:].removesuffix(".partial"), prefix)]
    return sorted([*finals, *partials, *legacy])


def _wipe(out_dir: Path, settings: TokenizeSettings, old: dict[str, Any] | None) -> None:
    """Delete what fwkit wrote here: files named like shards of the new or the old run, inside the
    out dir, never paths a manifest names. The manifest goes first (and durably), so a kill during
    the wipe leaves shards without a manifest, which nothing takes for a complete run."""
    doomed = set(shard_files(out_dir, settings.shard_format(), settings.prefix))
    if old:
        old_settings = old.get("settings", {})
        old_fmt = _format_of(old_settings.get("format", "npy"), settings)
        if old_fmt is not None and isinstance(old_settings.get("prefix"), str):
            doomed.update(shard_files(out_dir, old_fmt, old_settings["prefix"]))
    if manifest_path(out_dir).exists():
        manifest_path(out_dir).unlink()
        fsync_dir(out_dir)
    for path in doomed:
        path.unlink(missing_ok=True)


def _written_by_fwkit(path: Path) -> bool:
    """Whether a manifest.json is fwkit's (damaged or not): --overwrite deletes no one else's file."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "fwkit_version" in data


def _check_complete(out: Path, settings: TokenizeSettings, m: dict[str, Any]) -> None:
    """A complete manifest is believed only when every shard it lists is there, at its length."""
    fmt = _format_of(m["format"], settings)
    for shard in m["shards"]:
        path = out / shard["path"]
        want = fmt.file_bytes(shard["tokens"]) if fmt is not None else -1
        have = path.stat().st_size if path.is_file() else None
        if have != want:
            what = "missing" if have is None else f"{have} bytes, not {want}"
            raise FwkitError(
                f"{out}: the manifest says complete, but {shard['path']} is {what}: "
                f"check it with `fwkit verify {out}`, or rerun with --overwrite"
            )


def _format_of(name: str, settings: TokenizeSettings) -> ShardFormat | None:
    from fwkit.engine.formats import FORMATS

    return FORMATS[name](settings.tokenizer.dtype, settings.shard_format().eot) if name in FORMATS else None


def _drop_after_checkpoint(out_dir: Path, settings: TokenizeSettings, manifest: dict[str, Any]) -> None:
    """Remove shards a killed run wrote after its last checkpoint (the resumed run rewrites them)."""
    fmt = settings.shard_format()
    _, state = checkpoint_of(manifest)
    index = state.shard_index + 1
    while True:
        name = fmt.file_name(settings.prefix, index)
        paths = [out_dir / name, out_dir / WORK_DIR / f"{name}.partial", out_dir / f".{name}.partial"]
        if not any(p.exists() for p in paths) or fmt.is_open_ended(index - 1):
            return
        for p in paths:
            p.unlink(missing_ok=True)
        index += 1


ReadPartChanged = Callable[[int, Cursor, "dict[str, Any] | None"], "str | None"]  # Source.read_part_changed


def _resumable_changes(
    old: dict[str, Any], fresh: dict[str, Any], read_part_changed: ReadPartChanged | None
) -> tuple[list[str], list[str]]:
    """(what forbids resuming `old`, the inputs that changed only past the part the run read).

    A complete run read every input whole: any change counts. A partial one asks its Source
    whether an input that changed still begins with what the run read (a digest of it, kept at
    each checkpoint): fixing the broken line fwkit stopped at does not undo the work before it."""
    passed: list[str] = []
    if old["complete"] or read_part_changed is None:
        return changed_fields(old, fresh), passed
    cursor, _ = checkpoint_of(old)
    consumed = old["checkpoint"].get("consumed")

    def why_changed(index: int) -> str | None:
        why = read_part_changed(index, cursor, consumed if isinstance(consumed, dict) else None)
        if why is None:
            passed.append(fresh["inputs"][index]["path"])
            return None
        return f"size or mtime: {why}"

    return changed_fields(old, fresh, why_changed), passed


def prepare_out_dir(
    settings: TokenizeSettings, fresh: dict[str, Any], read_part_changed: ReadPartChanged | None = None
) -> dict[str, Any] | None:
    """The manifest to continue from; None when --resume finds the run already complete.

    Call it holding `out_dir_lock`, which also creates the directory.
    """
    out = settings.out_dir
    old = load_manifest(out) if not settings.overwrite else None
    if settings.overwrite:
        if manifest_path(out).exists() and not _written_by_fwkit(manifest_path(out)):
            raise FwkitError(
                f"{manifest_path(out)} is not fwkit's (or not readable), and --overwrite deletes only fwkit's "
                "files: remove it yourself, or choose another --out"
            )
        try:
            _wipe(out, settings, load_manifest(out))
        except FwkitError:  # a damaged manifest is exactly what --overwrite is for
            _wipe(out, settings, None)
    elif old and settings.resume:
        changes, passed = _resumable_changes(old, fresh, read_part_changed)
        if changes:
            which = "complete" if old["complete"] else "partial"
            raise FwkitError(
                f"{out}: cannot resume, changed since the {which} run: {'; '.join(changes)}. "
                "Rerun with the same inputs and options, or with --overwrite to start again"
            )
        if old["complete"]:
            _check_complete(out, settings, old)
            return None
        _drop_after_checkpoint(out, settings, old)
        for path in passed:
            print(f"warning: {path}: changed after the part already read: resuming", file=sys.stderr, flush=True)
        if passed:
            old["inputs"] = fresh["inputs"]  # what the rest of the run reads, and what a next resume compares
        return old
    elif old:
        what = f"a complete run ({old.get('tokens', 0):,} tokens)" if old["complete"] else "a partial run"
        hint = "--overwrite to replace it" if old["complete"] else "--resume to continue it or --overwrite"
        raise FwkitError(f"{out}: already holds {what}: choose another --out, or use {hint}")
    elif shard_files(out, settings.shard_format(), settings.prefix):
        raise FwkitError(f"{out}: holds shard files but no manifest: choose another --out, or use --overwrite")
    save_manifest(out, fresh)
    return fresh
