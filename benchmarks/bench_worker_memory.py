"""Memory: one tokenize worker's peak for each tokenizer (what `fwkit.engine.budget` sizes jobs by).

    python benchmarks/bench_worker_memory.py [MB]     # default 20 MB of real text, one run per tokenizer

Two figures per tokenizer. First, what building the encoding costs: a fresh interpreter imports what
a worker imports, then builds the encoding from the shipped ranks (a Python dict of every rank that
tiktoken keeps, and tiktoken's own Rust tables); its RSS and PSS before and after. Second, a real
run: `fwkit tokenize --workers 1 --tokenizer NAME` on the same input, sampling the worker process
(the spawned child, not the resource tracker) and the main process every 50 ms, peak RSS and peak
PSS of each; the worker's peak includes one default work item in flight. The main process never
builds an encoding. `fwkit.engine.budget.WORKER_BYTES` is sized from these figures.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus
from measure import SAMPLE_SECONDS, mib

TOKENIZERS = ("gpt2", "cl100k_base", "o200k_base")
BUILD = """
import sys, psutil
import fwkit.cli, fwkit.engine.worker
from fwkit.encoding import encoding
before = psutil.Process().memory_full_info()
encoding(sys.argv[1])
after = psutil.Process().memory_full_info()
print(before.rss, before.pss, after.rss, after.pss)
"""


def encoding_cost(name: str) -> list[int]:
    """[rss, pss] before and [rss, pss] after building encoding `name` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", BUILD, name], capture_output=True, text=True, check=True)
    return [int(n) for n in done.stdout.split()]


def _is_worker(proc: psutil.Process) -> bool:
    cmdline = " ".join(proc.cmdline())
    return "spawn_main" in cmdline and "resource_tracker" not in cmdline


def peaks(cmd: list[str]) -> dict[str, int]:
    """Run `cmd`; the peak RSS and PSS of its main process and of its (one) worker."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = {"main_rss": 0, "main_pss": 0, "worker_rss": 0, "worker_pss": 0}
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                for p, role in [(root, "main"), *((c, "worker") for c in root.children() if _is_worker(c))]:
                    info = p.memory_full_info()
                    found[f"{role}_rss"] = max(found[f"{role}_rss"], info.rss)
                    found[f"{role}_pss"] = max(found[f"{role}_pss"], info.pss)
            except psutil.Error:
                pass  # a process ended meanwhile
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    done.set()
    sampler.join()
    assert proc.returncode == 0, stderr
    return found


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    src = corpus(mb)
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-"))
    try:
        for name in TOKENIZERS:
            rss0, pss0, rss1, pss1 = encoding_cost(name)
            print(
                f"{name:12s} encoding built: RSS {mib(rss0)} -> {mib(rss1)}, PSS {mib(pss0)} -> {mib(pss1)} "
                f"(+{mib(pss1 - pss0)})"
            )
        for name in TOKENIZERS:
            out = work / name
            cmd = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--out", str(out), "--workers", "1", "-q"]
            found = peaks([*cmd, "--tokenizer", name])
            print(
                f"{name:12s} worker peak RSS {mib(found['worker_rss'])}, PSS {mib(found['worker_pss'])}; "
                f"main peak RSS {mib(found['main_rss'])}, PSS {mib(found['main_pss'])}"
            )
            shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
