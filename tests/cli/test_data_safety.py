"""Never silently wrong (issue 16): each case here used to end `complete: true`, verified, and wrong.

A truncated compressed input, an input replaced or shrunk while it is read, a damaged unfinished
shard, a "complete" run with shards gone, `--overwrite` reaching outside the out dir, and a sampled
item checked only in part.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zstandard
from crash_helpers import manifest, run, start, wait_for_tokens

from fwkit.engine.writer import sha256_file


@pytest.fixture(scope="module")
def docs_text(english_text: str) -> str:
    return english_text[:1_500_000]


@pytest.fixture(scope="module")
def slow_input(tmp_path_factory: pytest.TempPathFactory, english_text: str) -> Path:
    """About 18 MB: with one worker it runs for seconds, long enough to be tampered with."""
    path = tmp_path_factory.mktemp("safety-in") / "docs.txt"
    path.write_text("\n\n".join([english_text[:3_000_000]] * 6), encoding="utf-8")
    return path


def _error_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert lines and lines[-1].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[-1]


def _compressed(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".jsonl.zst"):
        lines = "".join(json.dumps({"text": d}) + "\n" for d in text.split("\n\n") if d)
        path.write_bytes(zstandard.ZstdCompressor(write_checksum=True).compress(lines.encode()))
    elif name.endswith(".zst"):
        path.write_bytes(zstandard.ZstdCompressor(write_checksum=True).compress(text.encode()))
    else:
        path.write_bytes(gzip.compress(text.encode()))
    return path


@pytest.mark.parametrize("name", ["docs.txt.zst", "docs.jsonl.zst", "docs.txt.gz"])
def test_a_truncated_compressed_input_fails_naming_it(tmp_path: Path, docs_text: str, name: str):
    path = _compressed(tmp_path, name, docs_text)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    out = tmp_path / "out"
    line = _error_line(run(path, out))
    assert str(path) in line and ("truncated" in line or "cannot decompress" in line), line
    assert "invalid JSON" not in line
    assert not (out / "manifest.json").exists() or manifest(out)["complete"] is False


def test_a_whole_compressed_input_still_reads(tmp_path: Path, docs_text: str):
    plain, packed = tmp_path / "docs.txt", _compressed(tmp_path, "docs.txt.zst", docs_text)
    plain.write_text(docs_text, encoding="utf-8")
    assert run(plain, tmp_path / "a").returncode == 0
    assert run(packed, tmp_path / "b").returncode == 0
    assert manifest(tmp_path / "a")["tokens"] == manifest(tmp_path / "b")["tokens"]


def _replace_same_size(path: Path) -> None:
    """Another text of the same size under the same name, its mtime set back: only the inode tells."""
    st = path.stat()
    data = path.read_bytes()
    other = path.with_name("other.tmp")
    other.write_bytes(data[len(data) // 2 :] + data[: len(data) // 2])
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)


def _rewrite_in_place(path: Path) -> None:
    """The same file rewritten in place at the same size, its mtime set back: only the ctime tells."""
    st = path.stat()
    with open(path, "r+b") as f:
        f.seek(st.st_size - 100_000)
        f.write(b"x" * 100_000)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _shrink(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 3)


@pytest.mark.slow
@pytest.mark.parametrize("tamper", [_replace_same_size, _rewrite_in_place, _shrink])
def test_an_input_changed_during_the_run_is_refused(tmp_path: Path, slow_input: Path, tamper):
    inp = tmp_path / "docs.txt"
    shutil.copy(slow_input, inp)
    out = tmp_path / "out"
    proc = start(inp, out, "--workers", "1", "--shard-tokens", "5M")
    wait_for_tokens(out, proc)
    tamper(inp)
    _, stderr = proc.communicate(timeout=300)
    result = subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr)
    line = _error_line(result)
    assert f"{inp}: input changed during the run" in line, line
    assert "MemoryError" not in stderr
    assert manifest(out)["complete"] is False


@pytest.mark.slow
def test_an_unfinished_shard_shorter_than_its_checkpoint_is_refused(tmp_path: Path, slow_input: Path):
    out = tmp_path / "out"
    proc = start(slow_input, out, "--workers", "1", "--shard-tokens", "50M")
    wait_for_tokens(out, proc)
    os.killpg(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=60)
    assert manifest(out)["checkpoint"]["writer"]["shard_tokens"] > 1000
    partial = next((out / ".fwkit").glob("*.partial"))
    os.truncate(partial, partial.stat().st_size // 2)
    line = _error_line(run(slow_input, out, "--resume", "--shard-tokens", "50M"))
    assert "shorter than the" in line and "checkpoint" in line
    assert manifest(out)["complete"] is False


@pytest.fixture
def complete_run(tmp_path: Path, docs_text: str) -> tuple[Path, Path]:
    inp = tmp_path / "docs.txt"
    inp.write_text(docs_text, encoding="utf-8")
    out = tmp_path / "out"
    assert run(inp, out).returncode == 0
    assert len(manifest(out)["shards"]) > 4
    return inp, out


def test_a_complete_run_with_shards_gone_is_not_called_complete(complete_run: tuple[Path, Path]):
    """What a kill -9 in the middle of an --overwrite wipe used to leave: a complete manifest, shards gone."""
    inp, out = complete_run
    for shard in manifest(out)["shards"][2:]:
        (out / shard["path"]).unlink()
    line = _error_line(run(inp, out, "--resume"))
    assert "the manifest says complete, but" in line and "is missing" in line
    assert "nothing to do" not in line


def test_overwrite_deletes_only_what_fwkit_wrote_in_the_out_dir(complete_run: tuple[Path, Path], tmp_path: Path):
    inp, out = complete_run
    victim, absolute, mine = tmp_path / "victim.txt", tmp_path / "abs.txt", out / "notes.txt"
    for p in (victim, absolute, mine):
        p.write_text("keep me")
    m = manifest(out)
    m["shards"] += [{"path": "../victim.txt", "split": "train", "tokens": 1, "sha256": "0"}]
    m["shards"] += [{"path": str(absolute), "split": "train", "tokens": 1, "sha256": "0"}]
    (out / "manifest.json").write_text(json.dumps(m))
    assert run(inp, out, "--overwrite").returncode == 0
    assert victim.exists() and absolute.exists() and mine.exists()
    assert manifest(out)["complete"] is True


def test_overwrite_keeps_a_manifest_fwkit_did_not_write(tmp_path: Path, docs_text: str):
    inp, out = tmp_path / "docs.txt", tmp_path / "out"
    inp.write_text(docs_text[:10_000], encoding="utf-8")
    out.mkdir()
    (out / "manifest.json").write_text('{"complete": true, "name": "my other project"}')
    line = _error_line(run(inp, out, "--overwrite"))
    assert "not fwkit's" in line
    assert json.loads((out / "manifest.json").read_text())["name"] == "my other project"


def test_verify_sample_checks_a_sampled_item_whole(tmp_path: Path, english_text: str):
    """One 4 MiB work item, one token changed 600K tokens in, the sha256 made to agree."""
    inp, out = tmp_path / "docs.txt", tmp_path / "out"
    inp.write_text(english_text[:3_500_000], encoding="utf-8")
    assert run(inp, out, "--shard-tokens", "100M").returncode == 0
    m = manifest(out)
    assert len(m["index"]["entries"]) == 1 and m["tokens"] > 700_000
    shard = out / m["shards"][0]["path"]
    arr = np.load(shard)
    arr[600_000] = (int(arr[600_000]) + 1) % 50256
    np.save(shard, arr)
    m["shards"][0]["sha256"] = sha256_file(shard)
    (out / "manifest.json").write_text(json.dumps(m))
    result = subprocess.run(
        [sys.executable, "-m", "fwkit", "verify", str(out), "--sample", "5"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "re-tokenized text differs" in result.stdout
