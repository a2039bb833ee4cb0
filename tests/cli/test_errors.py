"""Every mistake a user can make is one line and exit 2, before anything is written (issue 16).

Each case here used to end in "internal error: ..." (exit 1), a boxed usage text, or minutes of
retries; some left a partial run behind that then needed --overwrite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fwkit.errors import EXIT_ACTION_NEEDED, EXIT_BAD_INPUT


def fwkit(*args: object, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "fwkit", *(a if isinstance(a, bytes) else str(a) for a in args)]
    return subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)


def one_line(result: subprocess.CompletedProcess, code: int = EXIT_BAD_INPUT) -> str:
    """The single `error:` line of a refused command (and nothing else on stderr)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def text(tmp_path: Path) -> Path:
    path = tmp_path / "in.txt"
    path.write_text("first document\n\nsecond document\n")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["tokenize", "x.txt", "--out", "o", "--workers", "0"],
        ["tokenize", "x.txt", "--out", "o", "--bogus"],
        ["tokenize", "x.txt", "--out", "o", "--format", "xx"],
        ["verify", "o", "--sample", "-1"],
    ],
)
def test_option_errors_are_one_line_not_a_boxed_usage(tmp_path: Path, args: list[str]):
    line = one_line(fwkit(*args, cwd=tmp_path))
    assert "-h` for help" in line
    assert not any(c in line for c in "╭│╰")


def test_no_arguments_still_show_the_help(tmp_path: Path):
    result = fwkit("tokenize", cwd=tmp_path)
    assert "Usage: fwkit tokenize" in result.stdout + result.stderr


def _out_dirs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    afile = tmp_path / "afile"
    afile.write_text("x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    return {
        "under a file": (afile / "sub", "cannot create the out dir there (Not a directory)"),
        "/proc": (Path("/proc/fwkit-out"), "cannot create the out dir there"),
        "/sys/kernel": (Path("/sys/kernel/fwkit-out"), "cannot create the out dir there"),
        "dangling symlink": (dangling, "which does not exist"),
        "300-char name": (tmp_path / ("x" * 300), "File name too long"),
    }


@pytest.mark.parametrize("case", ["under a file", "/proc", "/sys/kernel", "dangling symlink", "300-char name"])
def test_an_out_dir_that_cannot_be_made_is_one_line(tmp_path: Path, text: Path, case: str):
    out, message = _out_dirs(tmp_path)[case]
    line = one_line(fwkit("tokenize", text, "--out", out, "-q"))
    assert message in line and "choose another --out" in line


@pytest.mark.root
def test_a_read_only_out_dir_is_one_line(tmp_path: Path, text: Path):
    mount = tmp_path / "ro"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mount)], check=True)
    try:
        line = one_line(fwkit("tokenize", text, "--out", mount / "out", "-q"))
        assert "Read-only file system" in line
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--prefix", "p" * 250, "--prefix is 250 bytes long"),
        ("--prefix", "sub/x", "is not a plain file name"),
        ("--prefix", "../x", "is not a plain file name"),
        ("--prefix", "/abs", "is not a plain file name"),
        ("--doc-sep", "\\ud800", "is not UTF-8 text"),
        ("--doc-sep", b"\xff", "is not UTF-8 text"),
        ("--shard-tokens", "1e400", "too large"),
        ("--val-tokens", "1e400", "too large"),
        ("--mem", "1e400", "too large"),
        ("--mem", "1K", "cannot be met: the smallest job"),
        ("--workers", "1000", "use at most --workers"),
    ],
)
def test_bad_values_are_refused_before_anything_is_written(
    tmp_path: Path, text: Path, option: str, value: str | bytes, message: str
):
    out = tmp_path / "out"
    line = one_line(fwkit("tokenize", text, "--out", out, "-q", option, value))
    assert message in line
    assert not out.exists(), "a refused run leaves nothing behind"


def test_llmc_shards_must_fit_their_int32_header(tmp_path: Path, text: Path):
    line = one_line(fwkit("tokenize", text, "--out", tmp_path / "o", "--format", "llmc", "--shard-tokens", "3e9"))
    assert "int32" in line


def test_a_bad_checkpoint_interval_is_one_line(tmp_path: Path, text: Path):
    out = tmp_path / "out"
    line = one_line(fwkit("tokenize", text, "--out", out, "-q", env={"FWKIT_CHECKPOINT_SECONDS": "abc"}))
    assert "FWKIT_CHECKPOINT_SECONDS='abc'" in line
    assert not out.exists()


@pytest.mark.parametrize("source", [["--dataset", "someone/x"], ["--preset", "fineweb-edu-10B"]])
def test_an_offline_dataset_fails_in_seconds_without_an_out_dir(tmp_path: Path, source: list[str]):
    """No network here: the Hub's name does not resolve (HF_ENDPOINT points at a port nothing serves
    when the test machine could resolve it, so the test means the same thing everywhere)."""
    out = tmp_path / "out"
    began = time.monotonic()
    result = fwkit("tokenize", *source, "--out", out, "-q", env={"HF_ENDPOINT": "http://127.0.0.1:9"})
    line = one_line(result)
    assert time.monotonic() - began < 20
    assert "cannot be reached" in line and "--resume" not in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda m: m["shards"][0].pop("sha256"), "'sha256' is missing"),
        (lambda m: m.update(tokens="7"), "'tokens' is str"),
        (lambda m: m.update(shards={"a": 1}), "'shards' is dict"),
        (lambda m: m["settings"].pop("prefix"), "'prefix' is missing"),
        (lambda m: m["shards"][0].update(path="../../x.npy"), "not a shard name"),
    ],
)
def test_a_damaged_manifest_is_one_line_in_verify_and_resume(tmp_path: Path, text: Path, damage, message: str):
    out = tmp_path / "out"
    assert fwkit("tokenize", text, "--out", out, "-q").returncode == 0
    m = json.loads((out / "manifest.json").read_text())
    damage(m)
    (out / "manifest.json").write_text(json.dumps(m))
    line = one_line(fwkit("verify", out), EXIT_ACTION_NEEDED)
    assert "damaged manifest" in line and message in line
    line = one_line(fwkit("tokenize", text, "--out", out, "-q", "--resume"))
    assert "damaged manifest" in line and "already complete" not in line


@pytest.mark.root
@pytest.mark.parametrize(
    ("options", "message"),
    [("size=4k", "disk full (0 B free, about"), ("size=10m,nr_inodes=4", "out of inodes (no new file fits")],
)
def test_a_full_disk_at_the_start_is_one_line(tmp_path: Path, text: Path, options: str, message: str):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)], check=True)
    try:
        line = one_line(fwkit("tokenize", text, "--out", mount / "out", "-q"))
        assert message in line and "resume with `" in line, line
        assert not list((mount / "out").glob(".*.tmp")), "no half-written temp file left"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
