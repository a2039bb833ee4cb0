"""Wires a tokenize job together: the Source, the Executor and its size, then the engine runs it.

    fwkit tokenize train.txt --out data/      # commands/tokenize.py -> run_job -> engine.pipeline

This is the one place that knows all the parts: sources (where the text comes from), host facts
(the CPUs and memory this process may use), executors (where the work runs). The engine below it
knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwkit.engine.budget import ITEMS_IN_FLIGHT_PER_WORKER, JobSize, size_job
from fwkit.engine.pipeline import JobRun, run_tokenize
from fwkit.engine.settings import TokenizeSettings

if TYPE_CHECKING:
    from fwkit.sources.hub import HubSpec


def job_size(settings: TokenizeSettings) -> JobSize:
    """Workers and work-item size for this host: its CPUs (quota and affinity) and memory budget."""
    from fwkit.host.cgroup import memory_limit_bytes
    from fwkit.host.cpu import usable_cpus

    budget = settings.mem_bytes if settings.mem_bytes else memory_limit_bytes()
    return size_job(usable_cpus(), budget, settings.workers)


def memory_probe() -> Callable[[], int]:
    """The job's memory now: its cgroup's working set under a cap (what the OOM killer counts),
    else the process tree's PSS (shared pages such as the tokenizer ranks counted once)."""
    from fwkit.engine.progress import tree_memory_bytes
    from fwkit.host.cgroup import read_memory

    found = read_memory()
    if found is not None and found.limit_bytes is not None:
        return lambda: (read_memory() or found).usage_bytes or 0
    return lambda: tree_memory_bytes(pss=True)


def local_run(size: JobSize) -> JobRun:
    """The default: a pool of local worker processes."""
    from fwkit.executors.processes import ProcessExecutor

    return JobRun(
        start_executor=lambda: ProcessExecutor(size.workers, size.workers * ITEMS_IN_FLIGHT_PER_WORKER),
        item_bytes=size.item_bytes,
        memory=memory_probe(),
    )


def run_job(settings: TokenizeSettings, inputs: Sequence[Path], hub: HubSpec | None) -> dict[str, Any]:
    """Open the Source, size the job, run it; returns the final manifest."""
    from fwkit.sources import open_source

    source = open_source(inputs, hub, settings.doc_sep, settings.text_column, settings.errors, settings.tokenizer.name)
    if hub is not None and not settings.quiet:
        import sys

        print(f"fwkit: resolving --dataset {hub.dataset} (listing its data files)", file=sys.stderr)
    return run_tokenize(settings, source, local_run(job_size(settings)))
