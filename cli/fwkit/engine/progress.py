"""Progress on stderr: documents, tokens, MB/s, tokens/s, ETA and the job's memory.

Rates count this run only (a resumed run starts from what its checkpoint had done), bytes are the
Source's (file bytes: compressed ones for compressed inputs, data files for a dataset), and memory
is whatever the job's runner measures (the cgroup's usage under a limit, else the process tree's
PSS), so it compares with the cap the OOM killer enforces.

On a terminal one line redraws four times a second; otherwise (a container's log, CI, a file) a
plain line every 15 s. `--quiet` prints nothing but errors. The summary line is printed at the end.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from fwkit.sizes import format_bytes, format_count

TTY_INTERVAL = 0.25
LOG_INTERVAL = 15.0


def tree_memory_bytes(pid: int | None = None, pss: bool = False) -> int:
    """Memory of a process and all its children (the workers), in bytes.

    RSS by default (cheap: the progress line reads it often); PSS with `pss`, which splits shared
    pages (the tokenizer ranks, libraries) between processes instead of counting them in each.
    """
    import psutil

    try:
        root = psutil.Process(pid or os.getpid())
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss if pss else proc.memory_info().rss
        except psutil.Error:
            continue  # it ended meanwhile
    return total


def say(what: str) -> None:
    """One `fwkit: ...` line on stderr, clearing a live progress line first (it redraws below)."""
    clear = "\r\x1b[K" if sys.stderr.isatty() else ""
    sys.stderr.write(f"{clear}fwkit: {what}\n")
    sys.stderr.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class Progress:
    """Counts what the job did and shows it at a bounded rate."""

    def __init__(
        self,
        total_bytes: int | None,
        quiet: bool,
        memory: Callable[[], int] = tree_memory_bytes,
        start: tuple[int, int] = (0, 0),
    ) -> None:
        self.total_bytes = total_bytes
        self.quiet = quiet
        self.memory = memory
        self.start_tokens, self.start_bytes = start  # done before this run (a resume)
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self._last = 0.0 if self.tty else self.started  # a log's first line comes after an interval
        self.peak_rss = 0
        self.documents = 0
        self.tokens, self.done_bytes = start
        self.status: Callable[[], str] = lambda: ""  # the executor's few words (Ray: units done, in flight)

    def note(self, what: str) -> None:
        """Say what the job is doing before the first numbers (starting workers, resolving a dataset)."""
        if not self.quiet:
            say(what)

    def rate(self, tokens: int) -> float:
        """Tokens per second of this run."""
        return (tokens - self.start_tokens) / max(self.elapsed(), 1e-6)

    def update(self, documents: int, tokens: int, done_bytes: int, force: bool = False) -> None:
        """Count, and redraw if due (`force`: now, on a terminal; a log gets the summary instead)."""
        self.documents, self.tokens, self.done_bytes = documents, tokens, done_bytes
        now = time.monotonic()
        due = now - self._last >= (TTY_INTERVAL if self.tty else LOG_INTERVAL) or (force and self.tty)
        if self.quiet or not due:
            return
        self._last = now
        rss = self.memory()
        self.peak_rss = max(self.peak_rss, rss)
        line = self.line(now - self.started, rss)
        sys.stderr.write(f"\r\x1b[K{line}" if self.tty else f"{line}\n")
        sys.stderr.flush()

    def line(self, elapsed: float, rss: int) -> str:
        elapsed = max(elapsed, 1e-6)
        run_bytes = self.done_bytes - self.start_bytes
        parts = [
            f"{self.documents:,} docs",
            f"{format_count(self.tokens)} tokens",
            f"{run_bytes / elapsed / 1e6:.1f} MB/s",
            f"{format_count((self.tokens - self.start_tokens) / elapsed)} tok/s",
        ]
        if self.total_bytes:
            share = min(self.done_bytes / self.total_bytes, 1.0)
            left = self.total_bytes - self.done_bytes
            eta = elapsed * left / run_bytes if run_bytes > 0 else 0
            parts.append(f"{share:6.1%} ETA {_duration(eta)}" if run_bytes > 0 else f"{share:6.1%}")
        if rss:
            parts.append(f"mem {format_bytes(rss)}")
        if status := self.status():
            parts.append(status)
        return " | ".join(parts)

    def finish(self, summary: str) -> None:
        """End the live line and print the one-line summary (even with --quiet it is not shown)."""
        if self.quiet:
            return
        if self.tty:
            sys.stderr.write("\r\x1b[K")
        sys.stderr.write(summary + "\n")
        sys.stderr.flush()

    def elapsed(self) -> float:
        return time.monotonic() - self.started
