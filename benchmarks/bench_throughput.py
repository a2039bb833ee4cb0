"""Throughput: `fwkit tokenize --workers 2` against a single-process tiktoken loop, same documents.

    python benchmarks/bench_throughput.py [MB] [REPEAT]   # default 100 MB of real text, best of 3

Both runs read the same real-text corpus and write the same tokens. The ratio is what fwkit's
worker pool buys on this machine (build-nanogpt's fineweb.py uses cpu_count()//2 workers, i.e.
one on a 2-core machine: the single-process figure). Target on 2 cores: >= 1.7x.

It also runs two plain tiktoken loops at once, one on each half of the input: what two processes
can get out of this machine with no pool, splitter or writer at all (vCPUs rarely give 2.0x). fwkit's
share of that ceiling is the figure its own overhead decides.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus
from measure import Measured, measure, mib


def halves(src: Path, work: Path) -> list[Path]:
    """The input cut in two at the document boundary nearest its middle."""
    data = src.read_bytes()
    middle = data.index(b"\n\n", len(data) // 2) + 2
    paths = [work / "half0.txt", work / "half1.txt"]
    paths[0].write_bytes(data[:middle])
    paths[1].write_bytes(data[middle:])
    return paths


def check_same_tokens(out: Path, reference: Path) -> None:
    got = np.concatenate([np.fromfile(out / n, dtype=np.uint16) for n in ("val.bin", "train.bin")])
    assert np.array_equal(got, np.fromfile(reference, dtype=np.uint16)), "tokens differ from the baseline"


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    src = corpus(megabytes)
    size = src.stat().st_size
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-"))
    try:
        loop = [sys.executable, str(Path(__file__).parent / "baseline_tiktoken.py")]
        both = " & ".join(shlex.join([*loop, str(h), f"{h}.bin"]) for h in halves(src, work))
        fwkit = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--format", "nanogpt", "--val-tokens", "1", "-q"]
        configs = {
            "tiktoken loop, 1 process": [*loop, str(src), str(work / "b.bin")],
            "2 tiktoken loops, one a half": ["sh", "-c", f"{both} & wait"],
            "fwkit tokenize --workers 1": [*fwkit, "--out", str(work / "w1"), "--workers", "1", "--overwrite"],
            "fwkit tokenize --workers 2": [*fwkit, "--out", str(work / "w2"), "--workers", "2", "--overwrite"],
        }
        runs: dict[str, list[Measured]] = {name: [] for name in configs}
        for _ in range(repeat):  # interleaved, so a noisy neighbour slows every configuration alike
            for name, cmd in configs.items():
                m = measure(cmd)
                assert m.returncode == 0, m.stderr
                runs[name].append(m)
        for workers in (1, 2):
            check_same_tokens(work / f"w{workers}", work / "b.bin")
        tokens = os.path.getsize(work / "b.bin") // 2
        print(f"input: {src} ({size / 1e6:.0f} MB, {tokens:,} tokens), {os.cpu_count()} CPUs, best of {repeat}")
        best = {name: min(ms, key=lambda m: m.seconds) for name, ms in runs.items()}
        for name, m in best.items():
            speed, rate = size / m.seconds / 1e6, tokens / m.seconds / 1e6
            spread = f"{min(x.seconds for x in runs[name]):.1f}-{max(x.seconds for x in runs[name]):.1f} s"
            print(f"  {name:28s} {m.seconds:6.1f} s  {speed:6.2f} MB/s  {rate:5.2f} M tok/s  "
                  f"peak {mib(m.peak_pss)}  (runs: {spread})")  # fmt: skip
        base = best["tiktoken loop, 1 process"].seconds
        ceiling = base / best["2 tiktoken loops, one a half"].seconds
        for workers in (2, 1):
            ratio = base / best[f"fwkit tokenize --workers {workers}"].seconds
            target = f" (target >= 1.7x; {ratio / ceiling:.0%} of the machine's ceiling)" if workers == 2 else ""
            print(f"speed-up, fwkit --workers {workers} vs the tiktoken loop: {ratio:.2f}x{target}")
        print(f"ceiling, 2 independent tiktoken loops vs 1: {ceiling:.2f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
