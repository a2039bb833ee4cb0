"""`fwkit verify` passes a good run and catches each kind of damage, including a lying manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from crash_helpers import manifest, run
from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.engine.writer import sha256_file

runner = CliRunner()


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory, english_text: str) -> Path:
    base = tmp_path_factory.mktemp("verify")
    inp = base / "docs.txt"
    inp.write_text(english_text[:1_500_000], encoding="utf-8")
    out = base / "out"
    assert run(inp, out, "--workers", "2", "--mem", "400M").returncode == 0
    return out


def verify(out: Path, *args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["verify", str(out), "--json", *args])
    return result.exit_code, json.loads(result.stdout)


def damaged(good: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(good, out)
    return out


def test_a_good_run_verifies_with_samples(good: Path):
    code, report = verify(good, "--sample", "5", "--seed", "1")
    assert code == 0 and report["ok"], report
    entries = len(manifest(good)["index"]["entries"])
    assert report["samples_checked"] == min(5, entries) > 0
    assert report["shards_checked"] == len(manifest(good)["shards"])


def test_flipped_byte_is_caught(good: Path, tmp_path: Path):
    out = damaged(good, tmp_path)
    shard = out / manifest(out)["shards"][1]["path"]
    data = bytearray(shard.read_bytes())
    data[1000] ^= 0xFF
    shard.write_bytes(bytes(data))
    code, report = verify(out)
    assert code == 1 and any("sha256" in p["problem"] and p["file"] == shard.name for p in report["problems"])


def test_truncated_and_missing_shards_are_caught(good: Path, tmp_path: Path):
    out = damaged(good, tmp_path)
    shards = manifest(out)["shards"]
    first, last = out / shards[0]["path"], out / shards[-1]["path"]
    first.write_bytes(first.read_bytes()[:-10])
    last.unlink()
    code, report = verify(out)
    problems = {p["file"]: p["problem"] for p in report["problems"]}
    assert code == 1 and "expected" in problems[first.name] and problems[last.name] == "missing"


def test_a_manifest_that_lies_is_caught(good: Path, tmp_path: Path):
    out = damaged(good, tmp_path)
    m = manifest(out)
    m["tokens"] += 7
    (out / "manifest.json").write_text(json.dumps(m))
    code, report = verify(out)
    assert code == 1 and any("the manifest says" in p["problem"] for p in report["problems"])


def test_only_resampling_catches_tokens_swapped_under_a_matching_hash(good: Path, tmp_path: Path):
    out = damaged(good, tmp_path)
    m = manifest(out)
    shard = out / m["shards"][0]["path"]
    arr = np.load(shard)
    arr[100:200] = arr[100:200][::-1].copy()  # plausible ids, wrong order
    np.save(shard, arr)
    m["shards"][0]["sha256"] = sha256_file(shard)  # the manifest agrees with the damage
    (out / "manifest.json").write_text(json.dumps(m))
    assert verify(out)[0] == 0, "structural checks cannot see this"
    code, report = verify(out, "--sample", "1000")
    assert code == 1 and any("re-tokenized text differs" in p["problem"] for p in report["problems"])


def test_incomplete_run_and_missing_dir(tmp_path: Path):
    result = runner.invoke(app, ["verify", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "no such directory" in result.output
