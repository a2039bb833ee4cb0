"""`manifest.json`: what a run read, how, what it wrote, and (until complete) where to resume.

The manifest is the only resume state. It is rewritten atomically at every checkpoint, after the
open shard was fsynced, so it never points past what is on disk. `"complete": true` is written
last, once every shard has its final name.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fwkit import __version__
from fwkit.atomic import write_json_atomic
from fwkit.encoding import DEFAULT_TOKENIZER, TOKENIZERS, tokenizer
from fwkit.engine.encode import TokenizerSpec
from fwkit.engine.items import Cursor
from fwkit.engine.writer import WriterState
from fwkit.errors import FwkitError

MANIFEST = "manifest.json"
INDEX_CAP = 4096  # index entries kept; past it every other one goes (the manifest stays < ~300 KB)


def manifest_path(out_dir: Path) -> Path:
    return out_dir / MANIFEST


def load_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest in `out_dir`, None when there is none; a damaged one is a clear error."""
    path = manifest_path(out_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise FwkitError(f"{path}: unreadable manifest ({err}): rerun with --overwrite to start again") from None
    if not isinstance(data, dict) or "complete" not in data:
        raise FwkitError(f"{path}: not an fwkit manifest: choose another --out or rerun with --overwrite")
    damage = damaged_because(data)
    if damage:
        raise FwkitError(f"{path}: damaged manifest ({damage}): rerun the job with --overwrite")
    return data


def tokenizer_of(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's tokenizer record; a manifest from before fwkit recorded one was GPT-2's."""
    default = TOKENIZERS[DEFAULT_TOKENIZER]
    record = {"name": default.name, "ranks_sha256": default.ranks_sha256, "vocab_size": default.n_vocab}
    return {**record, **(manifest.get("tokenizer") or {})}


def spec_of(manifest: dict[str, Any]) -> TokenizerSpec:
    """How a manifest's tokens were made: its tokenizer and dtype (GPT-2 and uint16 if unrecorded)."""
    return TokenizerSpec(tokenizer_of(manifest)["name"], out_dtype=manifest.get("dtype", "uint16"))


# The keys every reader of a manifest relies on, with their types: anything else is damage.
_TOP = {"complete": bool, "format": str, "tokens": int, "documents": int, "settings": dict, "shards": list}
_SHARD = {"path": str, "split": str, "tokens": int, "sha256": str}
_SETTINGS = {"format": str, "prefix": str, "shard_tokens": int, "val_tokens": int}


def _wrong_keys(obj: dict[str, Any], wanted: dict[str, type], where: str) -> str | None:
    for key, kind in wanted.items():
        value = obj.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"{where}{key!r} is {type(value).__name__ if key in obj else 'missing'}, not {kind.__name__}"
    return None


def damaged_because(m: dict[str, Any]) -> str | None:
    """What makes `m` unusable (a missing key, a wrong type), or None when it is whole."""
    from fwkit.engine.formats import FORMATS

    problem = _wrong_keys(m, _TOP, "") or _wrong_keys(m["settings"], _SETTINGS, "settings.")
    if problem:
        return problem
    if m["format"] not in FORMATS or m["settings"]["format"] != m["format"]:
        return f"format {m['format']!r} is not one of {', '.join(FORMATS)}"
    for i, shard in enumerate(m["shards"]):
        problem = _wrong_keys(shard, _SHARD, f"shards[{i}].") if isinstance(shard, dict) else f"shards[{i}]"
        if problem:
            return problem
        if Path(shard["path"]).name != shard["path"] or shard["path"].startswith("."):
            return f"shards[{i}].path {shard['path']!r} is not a shard name in the out dir"
    point = m.get("checkpoint")
    if not m["complete"]:
        if not isinstance(point, dict) or not isinstance(point.get("cursor"), dict):
            return "a partial run without a checkpoint"
        try:
            cursor, state = checkpoint_of(m)
        except (TypeError, KeyError, AttributeError) as err:
            return f"checkpoint: {err}"
        values = [*asdict(cursor).values(), *asdict(state).values()]
        if not all(isinstance(v, int) and v >= 0 for v in values):
            return "checkpoint: a position that is not a count"
        consumed = point.get("consumed")
        if consumed is not None and not _is_digest(consumed):
            return "checkpoint.consumed is not a digest"
    return None


def _is_digest(record: object) -> bool:
    """A `Planned.consumed` record as the local sources write it (offset, chain, sha256)."""
    if not isinstance(record, dict) or not isinstance(record.get("offset"), int):
        return False
    hexes = [record.get("chain"), record.get("sha256")]
    return all(isinstance(h, str) and len(h) == 64 and all(c in "0123456789abcdef" for c in h) for h in hexes)


def new_manifest(
    settings: dict[str, Any],
    inputs: list[dict[str, Any]],
    source: dict[str, Any],
    spec: TokenizerSpec = TokenizerSpec(),
) -> dict[str, Any]:
    """The manifest of a run that has not written anything yet."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    known = tokenizer(spec.name)
    return {
        "fwkit_version": __version__,
        "format": settings["format"],
        "tokenizer": {"name": known.name, "ranks_sha256": known.ranks_sha256, "vocab_size": known.n_vocab},
        "eot": known.eot,
        "dtype": spec.dtype.name,
        "source": source,
        "inputs": inputs,
        "settings": settings,
        "documents": 0,
        "tokens": 0,
        "input_bytes": 0,
        "replaced_utf8": 0,
        "skipped_null": 0,
        "shards": [],
        "complete": False,
        "checkpoint": {"cursor": asdict(Cursor()), "writer": asdict(WriterState())},
        # Where work items began in the inputs and in the token stream: `fwkit verify --sample`
        # re-tokenizes from here. Entries: [input_index, offset, in_doc, line, token_offset].
        "index": {"stride": 1, "seen": 0, "entries": []},
        "started_at": now,
        "updated_at": now,
    }


def record_backend(manifest: dict[str, Any], name: str, version: str) -> None:
    """Note the backend (library and version) that writes tokens from here on: `backends` lists each
    one a run (or a resumed run) used, with the token it started at; `verify` uses tiktoken anyway."""
    used = manifest.setdefault("backends", [])
    if not used or (used[-1]["name"], used[-1]["version"]) != (name, version):
        used.append({"name": name, "version": version, "from_token": manifest["tokens"]})


def save_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    manifest["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_json_atomic(manifest_path(out_dir), manifest)


def changed_fields(
    old: dict[str, Any], new: dict[str, Any], why_changed: Callable[[int], str | None] = lambda _: "size or mtime"
) -> list[str]:
    """What differs between a partial run and the one asked for now (inputs, settings, tokenizer).

    An input whose size or mtime differs is asked about (`why_changed(its index)`, only when
    nothing else changed): None lets it pass (the run had not read its changed part)."""
    changes = []
    was, now = tokenizer_of(old), new["tokenizer"]
    if (was["name"], was["ranks_sha256"]) != (now["name"], now["ranks_sha256"]):
        changes.append(f"--tokenizer ({was['name']!r} -> {now['name']!r})")
    if old.get("dtype", "uint16") != new["dtype"]:
        changes.append(f"--dtype ({old.get('dtype', 'uint16')!r} -> {new['dtype']!r})")
    for key, value in new["settings"].items():
        if old.get("settings", {}).get(key) != value:
            changes.append(f"--{key.replace('_', '-')} ({old.get('settings', {}).get(key)!r} -> {value!r})")
    if old.get("source") != new["source"]:
        changes.append("the dataset")
    # fwkit < 0.2 recorded paths as given (relative ones from the directory it ran in).
    old_inputs = {os.path.abspath(i["path"]): i for i in old.get("inputs", [])}
    old_paths = [os.path.abspath(i["path"]) for i in old.get("inputs", [])]
    if old_paths != [os.path.abspath(i["path"]) for i in new["inputs"]]:
        changes.append("the list of inputs")
    else:
        for index, item in enumerate(new["inputs"]):
            was = old_inputs[os.path.abspath(item["path"])]  # keys an older fwkit did not record: not compared
            # Not the inode: a copy restored on another machine (a cloud resume from S3 keeps size and
            # mtime) has a new one. Within a run the inode is checked at every work item.
            if any(item.get(key) != value for key, value in was.items() if key not in ("path", "inode")):
                why = why_changed(index) if not changes else "size or mtime"
                if why is not None:
                    changes.append(f"{item['path']} ({why})")
    return changes


def checkpoint_of(manifest: dict[str, Any]) -> tuple[Cursor, WriterState]:
    point = manifest["checkpoint"]
    return Cursor(**point["cursor"]), WriterState(**point["writer"])


def add_index_entry(manifest: dict[str, Any], cursor: Cursor, token_offset: int) -> None:
    """Record that the item starting at `cursor` begins at `token_offset`; thinned to INDEX_CAP."""
    index = manifest["index"]
    seen = index["seen"]
    index["seen"] = seen + 1
    if seen % index["stride"]:
        return
    entries = index["entries"]
    entries.append([cursor.input_index, cursor.offset, cursor.in_doc, cursor.line, token_offset])
    if len(entries) > INDEX_CAP:
        entries[:] = entries[::2]
        index["stride"] *= 2
