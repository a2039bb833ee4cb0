"""Run the tokenize job as a child process (the cgroup and none runtimes), output shown live.

The child gets its own session (and process group), so Ctrl-C reaches only `fwkit run`, which forwards it once
(see stop.py), and a parent-death signal, so a crash or `kill -9` of `fwkit run` still sends the job
SIGTERM and it checkpoints instead of running on unowned.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable

from fwkit.runtime.stop import Echo, wait_or_stop

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def tokenize_command(args: list[str]) -> list[str]:
    """`python -m fwkit tokenize ...` with this interpreter: the same fwkit, no PATH lookup."""
    return [sys.executable, "-m", "fwkit", *args]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when `fwkit run` dies (Linux only; a no-op elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists (a permission error means it does, owned by someone else)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exit_code(returncode: int) -> int:
    """Popen's -N for "killed by signal N" as the shell's 128+N (so SIGKILL is 137 everywhere)."""
    return 128 - returncode if returncode < 0 else returncode


def run_process(argv: list[str], echo: Echo, env: dict[str, str], enter: Callable[[], None] | None = None) -> int:
    """Run `argv` to its end (stdout/stderr inherited, `env` added); `enter` runs in the child before exec."""

    def preexec() -> None:
        _die_with_parent()
        if enter is not None:
            enter()

    proc = subprocess.Popen(
        argv, preexec_fn=preexec, start_new_session=True, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    )

    def wait(timeout: float | None) -> int | None:
        try:
            return exit_code(proc.wait(timeout))
        except subprocess.TimeoutExpired:
            return None

    def send(signum: int) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    try:
        return wait_or_stop(wait, send, echo)
    finally:
        if proc.poll() is None:  # only when fwkit itself fails: never leave the job behind
            proc.kill()
            proc.wait()
