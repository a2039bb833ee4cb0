"""The local executor: worker processes that return results in input order, bounded work in flight.

At most `max_in_flight` items are queued or being tokenized (back-pressure: the splitter reads
ahead no further), and results that come back early wait in a buffer of the same bound, so memory
does not depend on the input's size. Workers ignore SIGINT/SIGTERM/SIGHUP (blocked from their
start): the main process decides how to stop, and kills them; they die with it (PR_SET_PDEATHSIG).
A worker that dies (the OOM killer's SIGKILL) is reported, not waited on. Processes are started
with "spawn", so this is safe on macOS and Windows and with threads.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fwkit.engine.executor import WorkFn
from fwkit.engine.items import ItemResult, Planned
from fwkit.errors import EXIT_OOM, FwkitError

POLL_SECONDS = 0.2  # how often a waiting main process checks workers, signals and progress


class WorkerDied(FwkitError):
    """A worker process ended without answering, most often killed by the OOM killer."""


STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}  # the main process decides on these
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel SIGKILLs this worker when the main process dies (kill -9, the OOM killer),
    so no orphan keeps the caller's pipes open or the resource tracker (and its semaphores) alive."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent-pid checks below remain
        pass
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(0)


def _worker_main(tasks: Any, results: Any, parent: int) -> None:
    _die_with_parent(parent)
    for sig in STOP_SIGNALS:  # started with them blocked (see ProcessExecutor): pending ones are dropped
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    while True:
        try:
            task = tasks.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:  # the main process is gone: do not linger as an orphan
                return
            continue
        if task is None:
            return
        seq, fn, item = task
        try:
            results.put((seq, True, fn(item)))
        except FwkitError as err:
            results.put((seq, False, (err.message, err.exit_code, None)))
        except BaseException as err:  # report, with the traceback, instead of dying silently
            results.put((seq, False, (f"{type(err).__name__}: {err}", 1, traceback.format_exc())))


class ProcessExecutor:
    """The Executor of `workers` local processes, at most `max_in_flight` items queued or running."""

    def __init__(self, workers: int, max_in_flight: int) -> None:
        ctx = mp.get_context("spawn")
        self.workers = workers
        self.max_in_flight = max(max_in_flight, workers)
        # Ctrl-C or SIGTERM to the process group while workers start would hit them mid-import (a
        # traceback, a worker dead of a signal taken for the OOM killer): they start with the stop
        # signals blocked, and ignore them once running; the main process gets its own as usual.
        # The queues first: their semaphores start multiprocessing's resource tracker, whose start
        # unblocks SIGINT/SIGTERM again in this thread.
        self._tasks = ctx.Queue()
        self._results = ctx.Queue()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            self._procs = [
                ctx.Process(target=_worker_main, args=(self._tasks, self._results, os.getpid()), daemon=True)
                for _ in range(workers)
            ]
            for proc in self._procs:
                proc.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._procs if p.pid is not None]

    def _check_alive(self) -> None:
        for proc in self._procs:
            code = proc.exitcode
            if code is not None:
                if code == -signal.SIGKILL:
                    hint = "most likely the OOM killer: lower --workers or --mem, or add memory"
                    raise WorkerDied(f"a tokenizer worker was killed by signal 9 (SIGKILL): {hint}", EXIT_OOM)
                if code < 0:
                    how = f"signal {-code} ({signal.Signals(-code).name})"
                    raise WorkerDied(f"a tokenizer worker was killed by {how}: rerun with --resume", 1)
                raise WorkerDied(f"a tokenizer worker exited with code {code}: rerun with --debug", 1)

    def imap(
        self,
        fn: WorkFn,
        planned: Iterable[Planned],
        on_idle: Callable[[], None] = lambda: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[Planned, ItemResult]]:
        source = iter(planned)
        metas: dict[int, Planned] = {}
        ready: dict[int, tuple[bool, Any]] = {}  # (ok, result or error), until its turn
        submitted = delivered = 0
        exhausted = False
        while True:
            while not exhausted and submitted - delivered < self.max_in_flight and not should_stop():
                try:
                    meta = next(source)
                except StopIteration:
                    exhausted = True
                    break
                metas[submitted] = meta
                self._tasks.put((submitted, fn, meta.item))
                submitted += 1
            if delivered in ready:
                ok, value = ready.pop(delivered)
                if not ok:  # in its turn: the items before it are delivered (and can be kept) first
                    message, code, trace = value
                    if trace and os.environ.get("FWKIT_DEBUG"):
                        print(trace, flush=True)
                    raise FwkitError(message, code)
                yield metas.pop(delivered), value
                delivered += 1
                continue
            if delivered == submitted:
                return
            try:
                seq, ok, value = self._results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                self._check_alive()
                on_idle()
                continue
            ready[seq] = (ok, value)

    def close(self) -> None:
        """Stop every worker now (SIGKILL: they ignore the polite signals) and reap them."""
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()
        for proc in self._procs:
            proc.join(timeout=5)
        for q in (self._tasks, self._results):
            q.cancel_join_thread()
            q.close()

    def committed(self) -> None:
        """Nothing kept: results live only until the writer has them."""

    def status(self) -> str:
        return ""  # workers on this machine: the tokens and MB/s say how they do

    def __enter__(self) -> ProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
