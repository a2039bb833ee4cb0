"""Helpers for the runtime tests: the real CLI in a child process, waiting, comparing outputs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

FWKIT = [sys.executable, "-m", "fwkit"]


def fwkit_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real `fwkit` command in a child process (real signals, real exit codes)."""
    return subprocess.run([*FWKIT, *args], capture_output=True, text=True, timeout=timeout, check=False)


def start_run(*args: str) -> subprocess.Popen[str]:
    """`fwkit run ARGS...` in the background, stderr kept for the test to read."""
    return subprocess.Popen([*FWKIT, "run", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(what: str, check: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def checkpointed(out: Path) -> bool:
    """A first checkpoint is on disk: the manifest counts tokens."""
    return (out / "manifest.json").exists() and manifest(out).get("tokens", 0) > 0


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    return done.stderr.strip().splitlines()[-1]


def assert_same_output(got: Path, want: Path) -> None:
    """Every shard byte-identical, same file set, same token and document counts."""
    names = sorted(p.name for p in want.iterdir())
    assert sorted(p.name for p in got.iterdir()) == names
    shards = [n for n in names if n != "manifest.json"]
    assert shards, f"no shards in {want}"
    for name in shards:
        assert (got / name).read_bytes() == (want / name).read_bytes(), f"{name} differs"
    got_m, want_m = manifest(got), manifest(want)
    assert got_m["complete"] is True
    assert (got_m["tokens"], got_m["documents"]) == (want_m["tokens"], want_m["documents"])
