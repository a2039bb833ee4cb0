"""Ray against the local engine: the same input through `--engine local --workers 2` and through
`--engine ray` on a two-node, one-CPU-each Ray cluster on this machine, in one run.

    python benchmarks/bench_ray.py [MB] [REPEAT]     # default 100 MB of real text, best of 2

Prints the throughput ratio Ray / local (target >= 0.85x: the same two CPUs, Ray's scheduling,
segment files and the driver's copy are the overhead), the driver's peak memory (PSS of the fwkit
process tree: with --ray-address the workers are the cluster's, not the driver's children) and the
peak PSS of each worker process (Ray's worker processes on both nodes; the local pool's children).
Both runs must write byte-identical shards; the cluster start (~20-60 s) is not timed.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "ray"))
from ray_cluster import TwoNodeCluster, two_node_cluster

from corpus import corpus
from measure import Measured, measure, mib

AGENTS = ("ray::DashboardAgent", "ray::RuntimeEnvAgent")  # per-node services, not task workers


def pss(p: psutil.Process) -> int:
    try:
        return p.memory_full_info().pss
    except psutil.Error:
        return 0


class PeakPerProcess:
    """The peak PSS of each process `find()` returns, sampled every 100 ms while running."""

    def __init__(self, find: Callable[[], list[psutil.Process]]) -> None:
        self.find, self.peaks = find, {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            for p in self.find():
                self.peaks[p.pid] = max(self.peaks.get(p.pid, 0), pss(p))
            time.sleep(0.1)

    def __enter__(self) -> PeakPerProcess:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def summary(self) -> str:
        busy = sorted(v for v in self.peaks.values() if v > 0)
        return f"{len(busy)} workers, peak {mib(busy[-1])}, median {mib(busy[len(busy) // 2])}" if busy else "none"


def ray_workers(cluster: TwoNodeCluster) -> list[psutil.Process]:
    """Worker processes of both nodes (Ray titles them ray::TASK or ray::IDLE), agents excluded."""
    found = []
    for node in cluster.nodes:
        for p in node.processes():
            try:
                title = " ".join(p.cmdline())
            except psutil.Error:
                continue
            if title.startswith("ray::") and not title.startswith(AGENTS):
                found.append(p)
    return found


def local_workers(out: Path) -> list[psutil.Process]:
    """The local pool's workers: children of the `fwkit tokenize ... --out OUT` this script runs."""
    found = []
    for p in psutil.Process().children():
        try:
            if str(out) in p.cmdline():  # its workers, not multiprocessing's resource tracker
                found.extend(c for c in p.children() if "resource_tracker" not in " ".join(c.cmdline()))
        except psutil.Error:
            continue
    return found


def shard_hashes(out: Path) -> list[str]:
    return [s["sha256"] for s in json.loads((out / "manifest.json").read_text())["shards"]]


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    src = corpus(megabytes)
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-ray-"))
    fwkit = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--format", "npy", "-q", "--overwrite"]
    try:
        with two_node_cluster(work / "cluster") as cluster:
            local_cmd = [*fwkit, "--out", str(work / "local"), "--engine", "local", "--workers", "2"]
            ray_cmd = [*fwkit, "--out", str(work / "ray"), "--engine", "ray", "--ray-address", cluster.address]
            runs: dict[str, list[tuple[Measured, PeakPerProcess]]] = {"local": [], "ray": []}
            for _ in range(repeat):  # interleaved: a noisy neighbour slows both alike
                with PeakPerProcess(lambda: local_workers(work / "local")) as peaks:
                    runs["local"].append((measure(local_cmd), peaks))
                with PeakPerProcess(lambda: ray_workers(cluster)) as peaks:
                    runs["ray"].append((measure(ray_cmd, env=cluster.env), peaks))
            for name, done in runs.items():
                for m, _ in done:
                    assert m.returncode == 0, f"{name}: {m.stderr[-2000:]}"
            assert shard_hashes(work / "ray") == shard_hashes(work / "local"), "Ray's shards differ from local"
        size = src.stat().st_size
        print(f"input: {src} ({size / 1e6:.0f} MB), best of {repeat}; ray: 2 nodes x 1 CPU on this machine")
        best = {name: min(done, key=lambda d: d[0].seconds) for name, done in runs.items()}
        for name, (m, peaks) in best.items():
            spread = ", ".join(f"{d[0].seconds:.1f}" for d in runs[name])
            print(
                f"  {name:6s} {m.seconds:6.1f} s  {size / m.seconds / 1e6:6.2f} MB/s  driver peak {mib(m.peak_pss)}"
                f"  workers: {peaks.summary()}  (runs: {spread} s)"
            )
        ratio = best["local"][0].seconds / best["ray"][0].seconds
        print(f"throughput, ray / local: {ratio:.2f}x (target >= 0.85x); shards identical: yes")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
