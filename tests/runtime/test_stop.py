"""Ctrl-C policy with real processes and real signals: forwarded once, then SIGKILL if ignored."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from fwkit.runtime.process import run_process

# A child that checkpoints on SIGINT like tokenize: writes a marker, exits 130.
POLITE = """
import signal, sys, time, pathlib
def stop(signum, frame):
    pathlib.Path(sys.argv[1]).write_text(str(signum))
    sys.exit(128 + signum)
signal.signal(signal.SIGINT, stop)
pathlib.Path(sys.argv[1] + ".ready").touch()
time.sleep(60)
"""
# A child that ignores SIGINT: only SIGKILL ends it.
STUBBORN = """
import signal, sys, time, pathlib
signal.signal(signal.SIGINT, signal.SIG_IGN)
pathlib.Path(sys.argv[1] + ".ready").touch()
time.sleep(60)
"""


def _interrupt_when_ready(marker: Path, times: int, signum: int = signal.SIGINT) -> threading.Thread:
    """Send this process `signum` (SIGINT: what Ctrl-C does to fwkit run) once the child is up."""

    def go() -> None:
        ready = marker.with_name(marker.name + ".ready")
        while not ready.exists():
            threading.Event().wait(0.02)
        for _ in range(times):
            os.kill(os.getpid(), signum)
            threading.Event().wait(0.3)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread


def test_sigint_is_forwarded_once_and_the_job_exit_code_kept(tmp_path: Path) -> None:
    marker = tmp_path / "stopped"
    lines: list[str] = []
    _interrupt_when_ready(marker, times=1)
    code = run_process([sys.executable, "-c", POLITE, str(marker)], lines.append, {})
    assert code == 130
    assert marker.read_text() == str(int(signal.SIGINT))
    assert lines and lines[0].startswith("SIGINT: stopping the job so it checkpoints")


def test_second_ctrl_c_kills_a_job_that_ignores_the_first(tmp_path: Path) -> None:
    marker = tmp_path / "stubborn"
    lines: list[str] = []
    _interrupt_when_ready(marker, times=2)
    code = run_process([sys.executable, "-c", STUBBORN, str(marker)], lines.append, {})
    assert code == 128 + signal.SIGKILL
    assert lines[-1] == "killing the job now"


def test_sigterm_to_fwkit_run_is_forwarded_as_sigterm(tmp_path: Path) -> None:
    marker = tmp_path / "terminated"
    script = POLITE.replace("signal.signal(signal.SIGINT, stop)", "signal.signal(signal.SIGTERM, stop)")
    _interrupt_when_ready(marker, times=1, signum=signal.SIGTERM)
    code = run_process([sys.executable, "-c", script, str(marker)], [].append, {})
    assert code == 143
    assert marker.read_text() == str(int(signal.SIGTERM))


def test_ctrl_c_of_a_real_run_prints_one_error_line_with_the_run_resume_command(
    prose_file: Path, tmp_path: Path
) -> None:
    """tokenize (the child) and fwkit run both know the job stopped: only fwkit run says so."""
    from runtime_helpers import FWKIT, checkpointed, start_run, wait_until

    out = tmp_path / "shards"
    args = [str(prose_file), "--out", str(out), "--workers", "1", "--backend", "tiktoken"]  # slow enough to stop
    proc = start_run("--mem", "1G", "--runtime", "none", *args)
    wait_until("a first checkpoint", lambda: checkpointed(out) or proc.poll() is not None)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert (
        errors[0].startswith("error: stopped after ") and "resume with `fwkit run --mem 1G --runtime none" in errors[0]
    )
    assert re.search(r"after [\d,]+ tokens", errors[0]), errors[0]  # the same thousands separators as tokenize

    # verify names the unfinished run and the fwkit run command that resumes it, not tokenize's.
    resume = re.search(r"resume with `([^`]+)`", errors[0]).group(1)
    checked = subprocess.run([*FWKIT, "verify", str(out)], capture_output=True, text=True, check=False)
    problems = [line for line in checked.stdout.splitlines() if line.startswith("✗ manifest.json")]
    assert checked.returncode == 1 and len(problems) == 1, checked.stdout
    assert "the run is not complete (" in problems[0] and problems[0].endswith(f"finish it with `{resume}`")
    assert "shards hold" not in checked.stdout and "fwkit tokenize" not in checked.stdout
