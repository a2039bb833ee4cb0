"""Ctrl-C and SIGTERM while a job runs: stop it the way tokenize expects, so it can be resumed.

The job runs in its own process group (or container), so the terminal's Ctrl-C reaches only
`fwkit run`, which forwards it once: tokenize checkpoints and exits 130 (143 for SIGTERM). A second
Ctrl-C, or a job still running after `STOP_GRACE_S`, gets SIGKILL. The runtimes only supply
"wait" and "signal"; the policy lives here, once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

from fwkit.runtime.job import STOP_GRACE_S

Echo = Callable[[str], None]
# wait(timeout_s or None for ever) -> the job's exit code, or None if it is still running.
Wait = Callable[[float | None], int | None]
SendSignal = Callable[[int], None]


class Stop(BaseException):
    """SIGINT/SIGTERM arrived (BaseException, so library code's `except Exception` cannot eat it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def signals_raise_stop() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `Stop` in the main thread (a no-op in other threads)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        raise Stop(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def wait_or_stop(wait: Wait, send: SendSignal, echo: Echo) -> int:
    """Wait for the job; on SIGINT/SIGTERM forward it, give it `STOP_GRACE_S`, then SIGKILL."""
    with signals_raise_stop():
        try:
            code = wait(None)
            assert code is not None, "wait(None) returns only when the job has ended"
            return code
        except Stop as stop:
            name = signal.Signals(stop.signum).name
            echo(f"{name}: stopping the job so it checkpoints (up to {STOP_GRACE_S} s; Ctrl-C again to kill it)")
            send(stop.signum)
        try:
            code = wait(STOP_GRACE_S)
            if code is not None:
                return code
            echo(f"the job is still running after {STOP_GRACE_S} s: killing it")
        except Stop:
            echo("killing the job now")
        send(signal.SIGKILL)
        code = wait(STOP_GRACE_S)  # SIGKILL cannot be caught: this returns at once
        return 128 + signal.SIGKILL if code is None else code
