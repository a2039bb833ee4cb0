"""`--resume` after the input changed (issue 16): fixing the broken line fwkit pointed at keeps the
work done before it; a change in the part already read is refused, in one line."""

from __future__ import annotations

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from crash_helpers import manifest

from fwkit.sources.digest import PIECE_BYTES, PrefixDigest, prefix_matches, restart_at

BROKEN_AT = 9_000  # 0-based line of the broken record, past the first few work items
# --mem 280M with one worker: items of 1 MiB (expected_peak_bytes), so several are done before it
SMALL_ITEMS = ("--workers", "1", "--mem", "280M", "--shard-tokens", "100M")


def run(*args: object) -> subprocess.CompletedProcess[str]:
    """`fwkit tokenize INPUT... --out OUT ...` with no timed checkpoint in a short run: what is kept
    at a failure is what the failure itself checkpointed."""
    env = {**os.environ, "FWKIT_CHECKPOINT_SECONDS": "600"}
    command = [sys.executable, "-m", "fwkit", "tokenize", *map(str, args), "-q"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def _run_two(first: Path, second: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(first, second, "--out", out, *extra)


def _lines(broken: bool) -> list[bytes]:
    rng = random.Random(16)
    words = [
        "the",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "a",
        "lazy",
        "dog",
        "while",
        "many",
        "other",
        "animals",
        "watch",
        "it",
    ]
    lines = [json.dumps({"text": f"{i} " + " ".join(rng.choices(words, k=rng.randint(5, 80)))}) for i in range(10_000)]
    if broken:
        lines[BROKEN_AT] = '{"text": "a record cut short'
    return [line.encode() + b"\n" for line in lines]


def _write(path: Path, lines: list[bytes]) -> None:
    data = b"".join(lines)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)


def _failed_run(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A JSONL input with a broken line, and the out dir of the run that stopped at it."""
    path, out = tmp_path / name, tmp_path / "out"
    _write(path, _lines(broken=True))
    result = run(path, "--out", out, *SMALL_ITEMS)
    assert result.returncode == 2 and f"{path}:{BROKEN_AT + 1}: invalid JSON" in result.stderr, result.stderr
    point = manifest(out)["checkpoint"]
    assert point["cursor"]["offset"] > 0 and point["consumed"]["cut"], "the work before the line was not kept"
    return path, out


@pytest.mark.parametrize("name", ["docs.jsonl", "docs.jsonl.gz"])
def test_fixing_the_broken_line_resumes_with_the_work_done(tmp_path: Path, name: str):
    path, out = _failed_run(tmp_path, name)
    before = manifest(out)
    partial = out / ".fwkit" / "shard_val_000000.npy.partial"
    inode = partial.stat().st_ino
    _write(path, _lines(broken=False))  # the fix: a different size (and mtime)
    result = run(path, "--out", out, "--resume", *SMALL_ITEMS)
    assert result.returncode == 0, result.stderr
    assert f"warning: {path}: changed after the part already read: resuming" in result.stderr
    after = manifest(out)
    assert after["complete"] and after["started_at"] == before["started_at"]
    assert (out / "shard_val_000000.npy").stat().st_ino == inode, "the shard was written again, not continued"
    fresh = tmp_path / "fresh"
    assert run(path, "--out", fresh, *SMALL_ITEMS).returncode == 0
    assert (out / "shard_val_000000.npy").read_bytes() == (fresh / "shard_val_000000.npy").read_bytes()
    assert after["inputs"] == manifest(fresh)["inputs"]  # a next resume compares the fixed file
    assert after["documents"] == 10_000


def test_a_changed_byte_in_the_part_already_read_is_refused(tmp_path: Path):
    path, out = _failed_run(tmp_path, "docs.jsonl")
    lines = _lines(broken=False)
    lines[3] = lines[3].replace(b"the", b"THE", 1)  # same length, inside the first work item
    _write(path, lines)
    result = run(path, "--out", out, "--resume", *SMALL_ITEMS)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()
    assert len(line) == 1 and "cannot resume, changed since the partial run" in line[0]
    assert "already read, differ" in line[0] and "--overwrite" in line[0]


def test_a_manifest_without_the_digest_resumes_unchanged_inputs_and_refuses_changed_ones(tmp_path: Path):
    path, out = _failed_run(tmp_path, "docs.jsonl")
    old = manifest(out)
    del old["checkpoint"]["consumed"]  # as fwkit wrote it before it kept one
    (out / "manifest.json").write_text(json.dumps(old))
    again = run(path, "--out", out, "--resume", *SMALL_ITEMS)  # unchanged: it resumes, and meets the line again
    assert again.returncode == 2 and f"{path}:{BROKEN_AT + 1}: invalid JSON" in again.stderr, again.stderr
    assert "consumed" not in manifest(out)["checkpoint"]  # it stopped at once: the checkpoint stays as it was
    _write(path, _lines(broken=False))
    refused = run(path, "--out", out, "--resume", *SMALL_ITEMS)
    assert refused.returncode == 2 and "kept no digest of the part it read" in refused.stderr, refused.stderr


def test_text_appended_to_an_input_read_to_its_end_is_refused_a_later_input_may_change(tmp_path: Path):
    """At the end of an input the run cannot tell an append from a longer last document; an input
    it had not begun may change freely."""
    first, second, out = tmp_path / "a.txt", tmp_path / "b.jsonl", tmp_path / "out"
    first.write_text("first document\n\nsecond, the last")
    second.write_text('{"text": "cut short\n{"text": "fine"}\n')
    failed = _run_two(first, second, out)
    assert failed.returncode == 2 and f"{second}:1: invalid JSON" in failed.stderr, failed.stderr
    assert manifest(out)["checkpoint"]["cursor"] == {
        "input_index": 0,
        "offset": first.stat().st_size,
        "in_doc": False,
        "line": 1,
    }
    stamp = first.stat()
    first.write_text("first document\n\nsecond, the last, made longer")
    second.write_text('{"text": "fixed"}\n{"text": "fine"}\n')
    refused = _run_two(first, second, out, "--resume")
    assert refused.returncode == 2 and "a.txt (size or mtime: the run stopped inside a document or at the end" in (
        refused.stderr
    )
    first.write_text("first document\n\nsecond, the last")
    os.utime(first, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    resumed = _run_two(first, second, out, "--resume")
    assert resumed.returncode == 0 and f"{second}: changed after the part already read" in resumed.stderr
    assert _run_two(first, second, tmp_path / "fresh").returncode == 0
    assert (out / "shard_val_000000.npy").read_bytes() == (tmp_path / "fresh" / "shard_val_000000.npy").read_bytes()


def test_the_digest_does_not_depend_on_how_the_stream_was_cut(tmp_path: Path):
    data = random.Random(1).randbytes(3 * PIECE_BYTES + 12_345)
    whole = PrefixDigest()
    whole.update(data)
    pieces = PrefixDigest()
    rng = random.Random(2)
    at = 0
    while at < len(data):
        step = rng.choice([1, 7, 4096, PIECE_BYTES - 1, PIECE_BYTES + 3])
        pieces.update(data[at : at + step])
        at += step
    assert pieces.record() == whole.record()
    digest, rest = restart_at(whole.record())  # a resume: the chain, then less than a piece read again
    digest.update(data[len(data) - rest :])
    assert rest < PIECE_BYTES and digest.record() == whole.record()
    path = tmp_path / "x.bin"
    path.write_bytes(data)
    with path.open("rb") as f:
        assert prefix_matches(f, whole.record())
    path.write_bytes(data[:100] + b"X" + data[101:])
    with path.open("rb") as f:
        assert not prefix_matches(f, whole.record())
