"""Throughput: `fwkit tokenize --workers 2` against a single-process tiktoken loop, same documents.

    python benchmarks/bench_throughput.py [MB]      # default 60 MB of real text

Both runs read the same real-text corpus and write the same tokens. The ratio is what fwkit's
worker pool buys on this machine (build-nanogpt's fineweb.py uses cpu_count()//2 workers, i.e.
one on a 2-core machine: the single-process figure). Target on 2 cores: >= 1.7x.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus
from measure import measure, mib


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    src = corpus(megabytes)
    size = src.stat().st_size
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-"))
    try:
        base = measure(
            [sys.executable, str(Path(__file__).parent / "baseline_tiktoken.py"), str(src), str(work / "b.bin")]
        )
        assert base.returncode == 0, base.stderr
        rows = [("tiktoken loop, 1 process", base)]
        for workers in (1, 2):
            out = work / f"w{workers}"
            cmd = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--out", str(out), "--format", "nanogpt"]
            m = measure([*cmd, "--workers", str(workers), "--val-tokens", "1", "-q"])
            assert m.returncode == 0, m.stderr
            rows.append((f"fwkit tokenize --workers {workers}", m))
            got = np.concatenate([np.fromfile(out / n, dtype=np.uint16) for n in ("val.bin", "train.bin")])
            same = np.array_equal(got, np.fromfile(work / "b.bin", dtype=np.uint16))
            assert same, "tokens differ from the baseline"
        tokens = os.path.getsize(work / "b.bin") // 2
        print(f"input: {src} ({size / 1e6:.0f} MB, {tokens:,} tokens), {os.cpu_count()} CPUs")
        for name, m in rows:
            speed, rate = size / m.seconds / 1e6, tokens / m.seconds / 1e6
            print(f"  {name:28s} {m.seconds:6.1f} s  {speed:6.2f} MB/s  {rate:5.2f} M tok/s  peak {mib(m.peak_pss)}")
        for workers in (2, 1):
            ratio = base.seconds / rows[workers][1].seconds
            target = " (target >= 1.7x)" if workers == 2 else ""
            print(f"speed-up, fwkit --workers {workers} vs the tiktoken loop: {ratio:.2f}x{target}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
