"""Ray against the local engine: the same input through `--engine local --workers 2` and through
`--engine ray` on a two-node, one-CPU-each Ray cluster on this machine, in one run.

    python benchmarks/bench_ray.py [SMALL_MB] [LARGE_MB] [REPEAT] [BACKEND]   # 10 and 100 MB, best of 2, auto

Both engines run both sizes, interleaved (a noisy neighbour slows both alike). Prints:
- end to end on the large input: the throughput ratio Ray / local (target >= 0.85x);
- the steady state: each engine's rate between the two sizes, (large - small) / (t_large - t_small),
  and their ratio, with what each pays once per run (t_small minus the small input at that rate).
  A Ray job starts worker processes of its own on every node (Python, Ray, the shipped fwkit) and
  the driver imports Ray and joins the cluster: seconds that no input size changes;
- the driver's peak memory (PSS of the fwkit process tree: with --ray-address the workers are the
  cluster's, not the driver's children) and the peak PSS of each worker process (Ray's worker
  processes on both nodes; the local pool's children), on the large input.
Both engines must write byte-identical shards; the cluster start (~20-60 s) is not timed.
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


def steady_state(small: tuple[int, float], large: tuple[int, float]) -> tuple[float, float]:
    """(bytes/s between the two sizes, seconds paid once per run) from (bytes, seconds) at each."""
    rate = (large[0] - small[0]) / max(large[1] - small[1], 1e-9)
    return rate, small[1] - small[0] / rate


def main() -> None:
    small_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    large_mb = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    backend = sys.argv[4] if len(sys.argv) > 4 else "auto"  # both engines run the same backend
    sizes = {mb: corpus(mb) for mb in (small_mb, large_mb)}
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-ray-"))
    runs: dict[tuple[str, int], list[tuple[Measured, PeakPerProcess]]] = {}
    try:
        with two_node_cluster(work / "cluster") as cluster:
            for _ in range(repeat):
                for mb, src in sizes.items():
                    fwkit = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--format", "npy", "-q"]
                    fwkit += ["--overwrite", "--backend", backend]
                    local_cmd = [*fwkit, "--out", str(work / "local"), "--engine", "local", "--workers", "2"]
                    ray_cmd = [*fwkit, "--out", str(work / "ray"), "--engine", "ray", "--ray-address", cluster.address]
                    with PeakPerProcess(lambda: local_workers(work / "local")) as peaks:
                        runs.setdefault(("local", mb), []).append((measure(local_cmd), peaks))
                    with PeakPerProcess(lambda: ray_workers(cluster)) as peaks:
                        runs.setdefault(("ray", mb), []).append((measure(ray_cmd, env=cluster.env), peaks))
                    for (name, _), done in runs.items():
                        assert done[-1][0].returncode == 0, f"{name}: {done[-1][0].stderr[-2000:]}"
                    assert shard_hashes(work / "ray") == shard_hashes(work / "local"), "Ray's shards differ"
        best = {key: min(done, key=lambda d: d[0].seconds) for key, done in runs.items()}
        size = {mb: src.stat().st_size for mb, src in sizes.items()}
        print(f"inputs: {small_mb} and {large_mb} MB of real text, best of {repeat}, --backend {backend}")
        print("ray: 2 nodes x 1 CPU on this machine; local: --workers 2")
        for name in ("local", "ray"):
            m, peaks = best[name, large_mb]
            spread = ", ".join(f"{d[0].seconds:.1f}" for d in runs[name, large_mb])
            print(
                f"  {name:6s} {large_mb} MB: {m.seconds:6.1f} s  {size[large_mb] / m.seconds / 1e6:6.2f} MB/s"
                f"  driver peak {mib(m.peak_pss)}  workers: {peaks.summary()}  (runs: {spread} s)"
            )
        ratio = best["local", large_mb][0].seconds / best["ray", large_mb][0].seconds
        print(f"end to end on {large_mb} MB, ray / local: {ratio:.2f}x (target >= 0.85x); shards identical: yes")
        steady = {
            name: steady_state(
                (size[small_mb], best[name, small_mb][0].seconds), (size[large_mb], best[name, large_mb][0].seconds)
            )
            for name in ("local", "ray")
        }
        for name, (rate, once) in steady.items():
            print(f"  {name:6s} steady state {rate / 1e6:6.2f} MB/s, paid once per run {once:4.1f} s")
        print(f"steady state, ray / local: {steady['ray'][0] / steady['local'][0]:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
