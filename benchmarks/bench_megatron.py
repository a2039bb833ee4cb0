"""Memory: `--format megatron` against `--format npy` on the same input (peak PSS of the process tree).

    python benchmarks/bench_megatron.py [MB] [TOKENIZER]   # default 1000 MB of real text, gpt2 (a few minutes)

Megatron's own writer (`tools/preprocess_data.py`) keeps every sequence length in Python lists; fwkit
builds each `.idx` from the finished `.bin`, streaming lengths through a temp file, so the megatron
run should peak within 1.1x of the npy run. Also prints the time of each run: the megatron run
reads each `.bin` once more at the end to index it.
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
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    name = sys.argv[2] if len(sys.argv) > 2 else "gpt2"
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-"))
    try:
        src = corpus(mb)
        runs: dict[str, Measured] = {}
        for fmt in ("npy", "megatron"):
            out = work / fmt
            argv = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--out", str(out), "--workers", "2", "-q"]
            m = measure([*argv, "--format", fmt, "--tokenizer", name])
            assert m.returncode == 0, m.stderr
            runs[fmt] = m
            print(
                f"fwkit tokenize --format {fmt:8s} --tokenizer {name}, {mb} MB: peak PSS {mib(m.peak_pss)}, "
                f"median {mib(m.median_pss)} ({m.seconds:.1f} s)"
            )
            shutil.rmtree(out)
        ratio = runs["megatron"].peak_pss / runs["npy"].peak_pss
        print(f"megatron / npy peak: {ratio:.2f}x (target <= 1.1x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
