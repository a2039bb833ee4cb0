"""How much memory the streaming job needs, and how many workers fit a budget.

The job's peak does not depend on the input's size: it is the main process plus, per worker, the
tokenizer and a bounded amount of work in flight. A bigger vocabulary costs every worker more, so
each is sized by its tokenizer (`WORKER_BYTES`). `fwkit doctor`, `fwkit run`, `fwkit tokenize
--mem`, `fwkit cloud estimate` and the Ray executor all size the job with these functions. The
constants are measured by `benchmarks/bench_memory.py` (PSS of the whole process tree) and
`benchmarks/bench_worker_memory.py` (one worker per tokenizer); see the README's figures.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024

# Measured peaks (PSS, see benchmarks/bench_memory.py), rounded up for headroom.
MAIN_BYTES = 160 * MiB  # interpreter + numpy + pyarrow + tiktoken + writer buffers (never builds an encoding)
# A worker before work: interpreter + numpy + the encoding (tiktoken's Rust tables and the Python dict
# of ranks tiktoken keeps), per tokenizer. `benchmarks/bench_worker_memory.py` measured (2 cores,
# Python 3.11, tiktoken 0.14): the encoding built in a fresh interpreter holding a worker's modules,
# RSS gpt2 58, cl100k_base 76, o200k_base 111 MiB (PSS +18 and +53 MiB over gpt2); a real worker at
# work with a 4 MiB item, peak PSS 112, 120, 159 MiB. gpt2's figure is bench_memory.py's, rounded up
# for headroom; the others add their encoding's extra cost over gpt2's, rounded up to 5 MiB.
# Keys: `fwkit.encoding.TOKENIZERS` (tests/engine/test_budget.py checks both).
WORKER_BYTES = {
    "gpt2": 110 * MiB,
    "cl100k_base": 130 * MiB,  # 110 + 20
    "o200k_base": 165 * MiB,  # 110 + 55
}
DEFAULT_TOKENIZER = "gpt2"  # fwkit.encoding.DEFAULT_TOKENIZER (not imported here: it loads tiktoken)
# One work item in a worker: its bytes, the decoded str (up to 4 bytes a char for astral text, 1-2
# for prose), tiktoken's Vec<u32> (4 bytes a token, ~1 token per 4 bytes) and the output copy (uint16, or uint32).
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


def worker_peak_bytes(item_bytes: int, tokenizer: str = DEFAULT_TOKENIZER, backend_bytes: int = 0) -> int:
    """One worker at work: its tokenizer's encoding, what a fast backend adds to it
    (`fwkit.backends.worker_bytes`), and one item being tokenized."""
    return WORKER_BYTES[tokenizer] + backend_bytes + item_bytes * ITEM_OVERHEAD_FACTOR


def expected_peak_bytes(
    workers: int, item_bytes: int = ITEM_BYTES_DEFAULT, tokenizer: str = DEFAULT_TOKENIZER, backend_bytes: int = 0
) -> int:
    """The streaming job's expected peak memory (whole process tree) for `workers` workers."""
    in_flight = workers * ITEMS_IN_FLIGHT_PER_WORKER * item_bytes  # queued bytes, main side
    return MAIN_BYTES + in_flight + workers * worker_peak_bytes(item_bytes, tokenizer, backend_bytes)


def size_job(
    cpus: int,
    budget_bytes: int | None,
    workers: int | None = None,
    tokenizer: str = DEFAULT_TOKENIZER,
    backend_bytes: int = 0,
) -> JobSize:
    """The most workers (at most `cpus`, or exactly `workers` if given) and largest items that fit.

    Items shrink before workers are dropped: a smaller item costs a little throughput, a dropped
    worker costs a whole core. With no budget, the default item size and one worker per CPU.
    """
    candidates = [workers] if workers else list(range(max(1, cpus), 0, -1))
    for n in candidates:
        item = ITEM_BYTES_DEFAULT
        peak = expected_peak_bytes(n, item, tokenizer, backend_bytes)
        while budget_bytes is not None and peak > budget_bytes and item > ITEM_BYTES_MIN:
            item //= 2
            peak = expected_peak_bytes(n, item, tokenizer, backend_bytes)
        if budget_bytes is None or peak <= budget_bytes or n == candidates[-1]:
            return JobSize(workers=n, item_bytes=item, peak_bytes=peak)
    raise AssertionError("unreachable: the last candidate always returns")
