"""`fwkit tokenize`'s options checked before any work: each refusal is one line and exit 2.

A value that would fail later (a prefix no file system takes, more workers than memory holds, a
budget no job fits) fails here, before the out dir exists, so nothing is left to `--overwrite`.
"""

from __future__ import annotations

import math

from fwkit.errors import FwkitError
from fwkit.sizes import format_bytes
from fwkit.sources.checks import warn

NAME_MAX = 255  # bytes in one file name on Linux file systems (ext4, xfs, btrfs, tmpfs)
# The longest name fwkit writes with a prefix: ".{prefix}_train_000000.npy.partial" (a 7-digit
# index past a million shards adds one byte).
PREFIX_NAME_EXTRA = len("._train_0000000.npy.partial")
WORKERS_PER_CPU = 4  # past this, workers only wait for a core and cost memory
LLMC_MAX_SHARD_TOKENS = 2**31 - 1  # llm.c's header counts tokens in an int32


def check_prefix(prefix: str) -> None:
    """A shard prefix is one plain file name: no directories, no hidden names, short enough."""
    if not prefix:
        raise FwkitError("--prefix is empty: give a name such as 'shard'")
    if "/" in prefix or "\0" in prefix or prefix in (".", "..") or prefix.startswith("."):
        raise FwkitError(
            f"--prefix {prefix!r} is not a plain file name (no '/', no leading '.'): "
            "put the directory in --out and give a name such as 'edu_fineweb'"
        )
    try:
        size = len(prefix.encode("utf-8"))
    except UnicodeEncodeError:
        raise FwkitError(f"--prefix {prefix!r} is not valid UTF-8 text: give a plain name") from None
    if size + PREFIX_NAME_EXTRA > NAME_MAX:
        most = NAME_MAX - PREFIX_NAME_EXTRA
        raise FwkitError(f"--prefix is {size} bytes long: shard names must fit in {NAME_MAX}; use at most {most}")


def check_shard_tokens(fmt: str, shard_tokens: int) -> None:
    if fmt == "llmc" and shard_tokens > LLMC_MAX_SHARD_TOKENS:
        raise FwkitError(
            f"--shard-tokens {shard_tokens:,}: llm.c's header counts tokens in an int32; "
            f"use at most {LLMC_MAX_SHARD_TOKENS:,}"
        )


def check_checkpoint_env() -> None:
    """FWKIT_CHECKPOINT_SECONDS, if set, is a positive number (read again at every checkpoint)."""
    from fwkit.engine.pipeline import checkpoint_seconds

    checkpoint_seconds()


def _memory_budget(mem_bytes: int | None) -> int:
    """--mem, else the cgroup limit in force, else the host's RAM: what a job can never exceed."""
    if mem_bytes:
        return mem_bytes
    from fwkit.host.cgroup import memory_limit_bytes
    from fwkit.host.memory import meminfo

    return memory_limit_bytes() or meminfo().get("MemTotal") or 0


def check_job_size(
    workers: int | None, mem_bytes: int | None, force_mem: bool = False, tokenizer: str = "gpt2"
) -> None:
    """Refuse a budget no job fits and more workers than the CPUs or the memory can carry.

    `force_mem`: `fwkit run --force` asked for a cap below the smallest job on purpose. Each
    worker is sized by `tokenizer` (o200k_base's costs a worker more than gpt2's).
    """
    from functools import partial

    from fwkit.engine.budget import ITEM_BYTES_MIN, expected_peak_bytes
    from fwkit.host.cpu import usable_cpus

    peak = partial(expected_peak_bytes, item_bytes=ITEM_BYTES_MIN, tokenizer=tokenizer)
    smallest = peak(1)
    if mem_bytes is not None and mem_bytes < smallest and not force_mem:
        need = math.ceil(smallest / 2**20)
        raise FwkitError(
            f"--mem {format_bytes(mem_bytes)} cannot be met: the smallest job (1 worker, {tokenizer}) needs about "
            f"{format_bytes(smallest)}; give at least --mem {need}M"
        )
    if not workers:
        return
    cpus = usable_cpus()
    if workers > WORKERS_PER_CPU * cpus:
        raise FwkitError(
            f"--workers {workers}: this process may use {cpus} CPU(s), so workers past {cpus} only wait "
            f"and cost memory; use at most --workers {cpus}"
        )
    # Refused only past what the machine (its cgroup limit, else its RAM) can hold: 1000 workers.
    # Past an explicit --mem the job still runs, at its smallest items (--mem sizes, it does not cap).
    budget = _memory_budget(None)
    need = peak(workers)
    if mem_bytes and need > mem_bytes and need <= budget:
        warn(f"--workers {workers} needs about {format_bytes(need)}, more than --mem {format_bytes(mem_bytes)}")
    if budget and need > budget and not force_mem:
        fits = max((n for n in range(1, workers) if peak(n) <= budget), default=0)
        fix = f"use at most --workers {fits}" if fits else "add memory"
        raise FwkitError(
            f"--workers {workers} needs about {format_bytes(need)}, more than this machine's "
            f"{format_bytes(budget)} of memory: {fix}"
        )
