"""Memory: peak PSS of the whole `fwkit tokenize` process tree, for an input and one 10x larger.

    python benchmarks/bench_memory.py [MB]      # default 100 MB and 1000 MB of real text (about a minute)

Memory that does not grow with the input is the point of fwkit: the 10x run should peak within
1.1x of the 1x run, and under 400 MB with 2 workers. The 1x input must be large enough for the job to
reach its steady state, and run long enough for its peak to be sampled: 100 MB does; 20 MB (5 items) does not.
The median of the samples shows the steady state; the peak is its worst sample. Also prints what the
naive prepare script (`naive_prepare.py --mode chunked`) peaks at on the 1x input, for scale.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus
from measure import Measured, measure, mib


def main() -> None:
    small = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-"))
    try:
        runs: dict[int, Measured] = {}
        for mb in (small, small * 10):
            src = corpus(mb)
            out = work / f"o{mb}"
            m = measure(
                [sys.executable, "-m", "fwkit", "tokenize", str(src), "--out", str(out), "--workers", "2", "-q"]
            )
            assert m.returncode == 0, m.stderr
            runs[mb] = m
            print(
                f"fwkit tokenize --workers 2, {mb:4d} MB input: peak PSS {mib(m.peak_pss)}, "
                f"median {mib(m.median_pss)} ({m.seconds:.1f} s)"
            )
            shutil.rmtree(out)
        naive = measure([sys.executable, str(Path(__file__).parent / "naive_prepare.py"), "--mode", "chunked",
                         str(corpus(small)), str(work / "naive.bin")])  # fmt: skip
        print(f"naive chunked prepare script, {small:4d} MB input: peak PSS {mib(naive.peak_pss)}")
        one, ten = runs[small], runs[small * 10]
        print(
            f"10x input / 1x input peak: {ten.peak_pss / one.peak_pss:.2f}x, median: "
            f"{ten.median_pss / one.median_pss:.2f}x (target <= 1.1x); 2-worker peak target <= 400 MiB"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
