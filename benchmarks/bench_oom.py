"""The classic failure, reproduced: under the same cgroup memory cap, the naive prepare script is
OOM-killed while `fwkit tokenize` completes.

    sudo python benchmarks/bench_oom.py [MB] [CAP]     # default: 60 MB of real text, 512M cap

The naive script (`naive_prepare.py --mode chunked`: 1M-character chunks, every token kept in a
Python list, ~36 bytes a token) needs about 36 x tokens bytes; 60 MB of this text is ~21M tokens,
so ~750 MB, over a 512 MiB cap. fwkit's peak does not depend on the input. Both run in a real
memory cgroup (v1 or v2) made by fwkit's own native runtime, whose OOM-kill counter is read.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus
from fwkit.runtime.cgroup import find_hierarchy, job_cgroup
from fwkit.sizes import format_bytes, parse_bytes


def run_capped(cmd: list[str], cap: int) -> tuple[int, int, int | None, float]:
    """(exit code, OOM kills, peak bytes, seconds) of `cmd` run inside a fresh capped cgroup."""
    hierarchy = find_hierarchy()
    if hierarchy is None:
        sys.exit("no memory cgroup controller found: run as root on Linux")
    with job_cgroup(hierarchy, cap, allow_swap=False) as group:
        start = time.perf_counter()
        proc = subprocess.run(cmd, preexec_fn=group.enter_from_child, capture_output=True, text=True)
        return proc.returncode, group.oom_kills(), group.peak_bytes(), time.perf_counter() - start


def main() -> None:
    megabytes = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    cap = parse_bytes(sys.argv[2] if len(sys.argv) > 2 else "512M")
    src = corpus(megabytes)
    work = Path(tempfile.mkdtemp(prefix="fwkit-bench-"))
    try:
        naive = [sys.executable, str(Path(__file__).parent / "naive_prepare.py"), "--mode", "chunked"]
        fwkit = [sys.executable, "-m", "fwkit", "tokenize", str(src), "--out", str(work / "out"), "-q"]
        print(f"input: {src} ({src.stat().st_size / 1e6:.0f} MB of real text), cap {format_bytes(cap)}, no swap")
        for name, cmd in (
            ("naive chunked prepare", [*naive, str(src), str(work / "n.bin")]),
            ("fwkit tokenize", fwkit),
        ):
            code, kills, peak, seconds = run_capped(cmd, cap)
            outcome = (
                "KILLED by the OOM killer"
                if kills or code in (-9, 137)
                else ("completed" if code == 0 else f"exit {code}")
            )
            peak_text = format_bytes(peak) if peak is not None else "?"
            print(f"  {name:24s} {outcome:26s} exit {code:4d}  oom_kill {kills}  peak {peak_text}  {seconds:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
