"""Running `fwkit tokenize` as a real process that can be killed, and comparing out dirs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from fwkit.engine.formats.npy import NPY_HEADER_BYTES

SHARD_TOKENS = "50K"


def start(inp: Path, out: Path, *extra: str, checkpoint_seconds: str = "0.05") -> subprocess.Popen[str]:
    """`fwkit tokenize` in its own process group (so a test can signal it like a terminal does)."""
    # tiktoken: these tests kill the job 0.3-1.6 s after it starts and need progress in between; a fast
    # backend's start check adds ~1 s before any work (tests/backends/ runs every backend in real jobs).
    env = {**os.environ, "FWKIT_CHECKPOINT_SECONDS": checkpoint_seconds, "FWKIT_BACKEND": "tiktoken"}
    args = [
        sys.executable,
        "-m",
        "fwkit",
        "tokenize",
        str(inp),
        "--out",
        str(out),
        "--shard-tokens",
        SHARD_TOKENS,
        "-q",
    ]
    return subprocess.Popen(
        [*args, *extra], env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(inp: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    proc = start(inp, out, *extra)
    stdout, stderr = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def wait_for_tokens(out: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    """Wait until the run's manifest has checkpointed some tokens (so a signal interrupts real work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if manifest(out)["tokens"] > 0:
                return
        except (FileNotFoundError, ValueError, KeyError):
            pass
        assert proc.poll() is None, (
            f"job ended before it could be interrupted: {proc.stderr.read() if proc.stderr else ''}"
        )
        time.sleep(0.02)
    raise AssertionError("no checkpoint with tokens appeared")


def final_files(out: Path) -> dict[str, bytes]:
    """Every non-hidden file but the manifest, by name: what a trainer would read."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if not p.name.startswith(".") and p.suffix == ".npy"}


def assert_same_output(out: Path, reference: Path) -> None:
    got, want = final_files(out), final_files(reference)
    assert sorted(got) == sorted(want), f"shard names differ: {sorted(set(got) ^ set(want))}"
    for name in want:
        assert got[name] == want[name], f"{name} differs from the uninterrupted run"
    assert [s["sha256"] for s in manifest(out)["shards"]] == [s["sha256"] for s in manifest(reference)["shards"]]
    assert manifest(out)["complete"] is True
    assert manifest(out)["tokens"] == manifest(reference)["tokens"]


def assert_no_incomplete_final_file(out: Path) -> None:
    """Whatever the moment of the kill, a file under a final name holds its whole shard."""
    for path in out.glob("*.npy"):
        arr = np.load(path, mmap_mode="r")
        assert path.stat().st_size == NPY_HEADER_BYTES + 2 * arr.shape[0], f"{path.name} is truncated"
    if (out / "manifest.json").exists():
        json.loads((out / "manifest.json").read_text())  # never half-written
