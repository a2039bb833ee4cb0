"""Run a command and measure it: wall time and the peak PSS of its whole process tree.

PSS (proportional set size) splits shared pages between the processes that map them, so summing
it over the main process and its workers counts the shared tokenizer ranks once, not N times:
the honest figure for "how much memory does this job take". Sampled every 50 ms.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass

import psutil

SAMPLE_SECONDS = 0.05


@dataclass
class Measured:
    seconds: float
    peak_pss: int
    returncode: int
    stderr: str


def tree_pss(pid: int) -> int:
    """Sum of PSS over a process and its descendants (0 for any that vanished meanwhile)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_full_info().pss
        except psutil.Error:
            continue
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `cmd` to completion, sampling its tree's PSS; returns time, peak PSS and exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss(proc.pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return Measured(seconds, peak, proc.returncode, stderr)


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"
