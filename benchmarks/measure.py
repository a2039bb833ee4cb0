"""Run a command and measure it: wall time and the peak PSS of its whole process tree.

PSS (proportional set size) splits shared pages between the processes that map them, so summing
it over the main process and its workers counts the shared tokenizer ranks once, not N times:
the honest figure for "how much memory does this job take". Sampled every 50 ms.
"""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field

from fwkit.engine.progress import tree_memory_bytes

SAMPLE_SECONDS = 0.05


@dataclass
class Measured:
    seconds: float
    peak_pss: int
    returncode: int
    stderr: str
    samples: list[int] = field(default_factory=list)  # the tree's PSS every SAMPLE_SECONDS

    @property
    def median_pss(self) -> int:
        """The steady state: half the samples are above it (the peak is the single worst one)."""
        return int(statistics.median(s for s in self.samples if s > 0)) if any(self.samples) else 0


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run `cmd` to completion, sampling its tree's PSS; returns time, peak PSS and exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(tree_memory_bytes(proc.pid, pss=True))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return Measured(seconds, max(samples, default=0), proc.returncode, stderr, samples)


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"
