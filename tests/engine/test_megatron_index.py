"""Megatron's .idx is built from the finished .bin in memory that does not grow with the .bin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

BIN_TOKENS = 64 << 20  # 64M uint16 tokens = 128 MiB of .bin
EOT = 50256
# A fresh process: its peak RSS before and after indexing, so nothing else the tests did counts.
INDEX = """
import resource, sys
from pathlib import Path
import numpy as np
from fwkit.engine.formats import make_format
fmt = make_format("megatron", np.dtype(np.uint16), 50256)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
fmt.finish_shard(Path(sys.argv[1]), Path(sys.argv[1]).parent)
print(before << 10, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10)
"""


def test_indexing_a_128_mib_bin_adds_far_less_than_its_size(tmp_path: Path) -> None:
    """Scanning a memory-mapped .bin kept every page it touched: the peak grew by the .bin's size."""
    path = tmp_path / "shard_train.bin"
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        for _ in range(8):
            tokens = rng.integers(0, EOT, BIN_TOKENS // 8, dtype=np.uint16)
            tokens[::997] = EOT  # a document every ~1000 tokens
            f.write(tokens.tobytes())
    done = subprocess.run([sys.executable, "-c", INDEX, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.split())
    grown = after - before
    assert grown < 24 << 20, f"indexing a {path.stat().st_size >> 20} MiB .bin raised the peak by {grown >> 20} MiB"
    with open(path.with_suffix(".idx"), "rb") as f:  # magic (9) + version (8) + dtype code (1), then N
        count = int(np.frombuffer(f.read(26)[18:], dtype="<u8")[0])
    assert count == 8 * -(-(BIN_TOKENS // 8) // 997)  # one sequence per EOT, the first at 0
