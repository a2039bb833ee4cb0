"""Crash safety for real: kill -9 at random moments, SIGINT/SIGTERM, a full disk, changed inputs.

Every interrupted run, resumed, must give files byte-identical to a run never interrupted, and no
file under a final name may ever be incomplete.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from crash_helpers import (
    assert_no_incomplete_final_file,
    assert_same_output,
    manifest,
    run,
    start,
    wait_for_tokens,
)

KILLS = 20
SEED = 20261128


@pytest.fixture(scope="module")
def input_file(tmp_path_factory: pytest.TempPathFactory, english_text: str, chinese_text: str) -> Path:
    path = tmp_path_factory.mktemp("resume-in") / "docs.txt"
    path.write_text(english_text[:2_500_000] + "\n\n" + chinese_text[:500_000], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, input_file: Path) -> Path:
    out = tmp_path_factory.mktemp("resume-ref") / "out"
    result = run(input_file, out, "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert len(manifest(out)["shards"]) > 10
    return out


@pytest.fixture(scope="module")
def slow_input(tmp_path_factory: pytest.TempPathFactory, input_file: Path) -> Path:
    """Three times the input: with one worker it runs long enough (seconds) to be interrupted."""
    path = tmp_path_factory.mktemp("resume-slow") / "docs.txt"
    data = input_file.read_bytes()
    path.write_bytes(b"\n\n".join([data] * 3))
    return path


@pytest.fixture(scope="module")
def slow_reference(tmp_path_factory: pytest.TempPathFactory, slow_input: Path) -> Path:
    out = tmp_path_factory.mktemp("resume-slow-ref") / "out"
    result = run(slow_input, out, "--workers", "2")
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_is_byte_identical(tmp_path: Path, input_file: Path, reference: Path):
    """Each attempt is killed after a random share (10-150%) of an uninterrupted run's time on this
    machine, measured here: fixed windows (0.3-1.6 s) made no progress where startup alone takes
    ~1.2 s (a run checkpoints tokens only once its first 4 MiB work item is done)."""
    rng = random.Random(SEED)
    started = time.monotonic()
    timed = run(input_file, tmp_path / "timed", "--workers", "1")
    assert timed.returncode == 0, timed.stderr
    full = time.monotonic() - started
    kills = rounds = attempts = 0
    while kills < KILLS:
        out = tmp_path / f"round{rounds}"
        while True:
            attempts += 1
            assert attempts < 200, "too many attempts: the job makes no progress between kills"
            proc = start(input_file, out, "--resume", "--workers", str(rng.choice([1, 2])))
            try:
                proc.wait(timeout=rng.uniform(0.1, 1.5) * full)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                assert_no_incomplete_final_file(out)
                continue
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
            break
        assert_same_output(out, reference)
        rounds += 1


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_cleanly_and_resume_finishes(tmp_path: Path, slow_input: Path, slow_reference: Path, sig, code):
    out = tmp_path / "out"
    proc = start(slow_input, out, "--workers", "1", checkpoint_seconds="5")
    wait_for_tokens(out, proc)
    os.killpg(proc.pid, sig)  # what a terminal's Ctrl-C (or a process manager's stop) does
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert f"stopped by {sig.name}" in stderr and "resume with `" in stderr and "--resume`" in stderr
    assert manifest(out)["complete"] is False
    assert_no_incomplete_final_file(out)
    result = run(slow_input, out, "--resume", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert_same_output(out, slow_reference)


def test_resume_refuses_changed_input_or_settings(tmp_path: Path, slow_input: Path):
    changed = tmp_path / "docs.txt"
    changed.write_bytes(slow_input.read_bytes())
    out = tmp_path / "out"
    proc = start(changed, out, "--workers", "1")
    wait_for_tokens(out, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    result = run(changed, out, "--resume", "--format", "llmc")
    assert result.returncode == 2 and "--format ('npy' -> 'llmc')" in result.stderr
    data = changed.read_bytes()
    changed.write_bytes(b"#" + data[1:])  # the same size, a byte changed in the part already read
    result = run(changed, out, "--resume")
    assert result.returncode == 2, result.stderr
    assert "cannot resume, changed since the partial run" in result.stderr
    assert "docs.txt (size or mtime: its first" in result.stderr and "already read, differ" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    changed.write_bytes(data + b"\n\none more document")  # only past the part read: it goes on
    result = run(changed, out, "--resume")
    assert result.returncode == 0 and "changed after the part already read: resuming" in result.stderr
    assert run(changed, tmp_path / "fresh").returncode == 0
    assert_same_output(out, tmp_path / "fresh")


def test_resume_on_a_complete_run_changes_nothing(tmp_path: Path, input_file: Path, reference: Path):
    out = tmp_path / "out"
    assert run(input_file, out).returncode == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    result = run(input_file, out, "--resume")
    assert result.returncode == 0
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


@pytest.mark.root
def test_disk_full_is_one_line_and_resumable(tmp_path: Path, input_file: Path, reference: Path):
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
    try:
        out = mount / "out"
        result = run(input_file, out, "--workers", "2")
        assert result.returncode == 2, result.stderr
        line = result.stderr.strip()
        assert len(line.splitlines()) == 1 and "disk full" in line and "more needed" in line, line
        assert "resume with `" in line
        assert_no_incomplete_final_file(out)
        assert manifest(out)["complete"] is False
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)  # free space
        result = run(input_file, out, "--resume")
        assert result.returncode == 0, result.stderr
        assert_same_output(out, reference)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_an_input_that_vanishes_mid_run_is_named_as_a_read_failure(tmp_path: Path, slow_input: Path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_bytes(slow_input.read_bytes())
    (inputs / "b.txt").write_text("the second file\n\nis deleted while the first is tokenized\n")
    out = tmp_path / "out"
    proc = start(inputs, out, "--workers", "1")
    wait_for_tokens(out, proc)
    (inputs / "b.txt").unlink()
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode != 0, stderr
    last = stderr.strip().splitlines()[-1]
    gone = inputs / "b.txt"
    assert last == f"error: {gone}: read failed (No such file or directory): fix it, then rerun with --resume"
    assert manifest(out)["complete"] is False


@pytest.mark.slow
def test_a_second_job_on_the_same_out_dir_is_refused_while_the_first_runs(tmp_path: Path, slow_input: Path):
    out = tmp_path / "out"
    first = start(slow_input, out, "--workers", "1")
    wait_for_tokens(out, first)
    second = run(slow_input, out, "--overwrite")
    assert second.returncode == 2, second.stderr
    assert (
        second.stderr.strip()
        == f"error: {out}: another fwkit job is writing here: wait for it to end, or choose another --out"
    )
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert manifest(out)["complete"] is True
    assert run(slow_input, out, "--resume").returncode == 0  # the lock ends with the job
