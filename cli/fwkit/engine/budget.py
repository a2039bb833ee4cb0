"""How much memory the streaming job needs, and how many workers fit a budget.

The job's peak does not depend on the input's size: it is the main process plus, per worker, the
tokenizer and a bounded amount of work in flight. `fwkit doctor`, `fwkit run` and `fwkit tokenize
--mem` all size the job with these two functions. The constants are measured by
`benchmarks/bench_memory.py` (PSS of the whole process tree); see the README's figures.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024

# Measured peaks (PSS, see benchmarks/bench_memory.py), rounded up for headroom.
MAIN_BYTES = 160 * MiB  # interpreter + numpy + pyarrow + tiktoken + writer buffers
WORKER_BYTES = 110 * MiB  # interpreter + tiktoken ranks (~40 MiB) + numpy, before work
# One work item in a worker: its bytes, the decoded str (up to 4 bytes a char for astral text, 1-2
# for prose), tiktoken's Vec<u32> (4 bytes a token, ~1 token per 4 bytes) and the uint16 copy.
ITEM_OVERHEAD_FACTOR = 4
ITEM_BYTES_DEFAULT = 4 * MiB
ITEM_BYTES_MIN = 256 * 1024
ITEMS_IN_FLIGHT_PER_WORKER = 2  # one being tokenized, one queued (back-pressure)


@dataclass(frozen=True)
class JobSize:
    """What the job is sized to: its workers, its work-item size, and the peak that implies."""

    workers: int
    item_bytes: int
    peak_bytes: int


def expected_peak_bytes(workers: int, item_bytes: int = ITEM_BYTES_DEFAULT) -> int:
    """The streaming job's expected peak memory (whole process tree) for `workers` workers."""
    per_item = item_bytes * ITEM_OVERHEAD_FACTOR
    in_flight = workers * ITEMS_IN_FLIGHT_PER_WORKER * item_bytes  # queued bytes, main side
    return MAIN_BYTES + in_flight + workers * (WORKER_BYTES + per_item)


def size_job(cpus: int, budget_bytes: int | None, workers: int | None = None) -> JobSize:
    """The most workers (at most `cpus`, or exactly `workers` if given) and largest items that fit.

    Items shrink before workers are dropped: a smaller item costs a little throughput, a dropped
    worker costs a whole core. With no budget, the default item size and one worker per CPU.
    """
    candidates = [workers] if workers else list(range(max(1, cpus), 0, -1))
    for n in candidates:
        item = ITEM_BYTES_DEFAULT
        while budget_bytes is not None and expected_peak_bytes(n, item) > budget_bytes and item > ITEM_BYTES_MIN:
            item //= 2
        peak = expected_peak_bytes(n, item)
        if budget_bytes is None or peak <= budget_bytes or n == candidates[-1]:
            return JobSize(workers=n, item_bytes=item, peak_bytes=peak)
    raise AssertionError("unreachable: the last candidate always returns")
