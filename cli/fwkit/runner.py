"""Wires a tokenize job together: the Source, the Executor and its size, then the engine runs it.

    fwkit tokenize train.txt --out data/      # commands/tokenize.py -> run_job -> engine.pipeline

This is the one place that knows all the parts: sources (where the text comes from), host facts
(the CPUs and memory this process may use), executors (where the work runs). The engine below it
knows none of them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwkit.engine.budget import ITEMS_IN_FLIGHT_PER_WORKER, JobSize, size_job
from fwkit.engine.pipeline import JobRun, run_tokenize
from fwkit.engine.progress import say as progress_say
from fwkit.engine.settings import TokenizeSettings
from fwkit.sizes import format_bytes

if TYPE_CHECKING:
    from fwkit.sources.hub import HubSpec


def job_size(settings: TokenizeSettings) -> JobSize:
    """Workers and work-item size for this host: its CPUs (quota and affinity) and memory budget."""
    from fwkit.backends import worker_bytes
    from fwkit.host.cgroup import memory_limit_bytes
    from fwkit.host.cpu import usable_cpus

    budget = settings.mem_bytes if settings.mem_bytes else memory_limit_bytes()
    backend = worker_bytes(settings.tokenizer.backend)
    return size_job(usable_cpus(), budget, settings.workers, settings.tokenizer.name, backend)


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


def ray_run(settings: TokenizeSettings, address: str | None, scratch: str | None = None) -> JobRun:
    """Ray tasks: on the cluster at `address`, or on a Ray started here and sized like a local run.

    A resumed run cuts the units its plan says (the item size it was planned with), so the
    segments finished before the kill are the units asked for now."""
    from fwkit.backends import worker_bytes
    from fwkit.executors import segments
    from fwkit.executors.ray import (
        LocalRay,
        RayExecutor,
        check_reachable,
        object_store_bytes,
        start_importing_ray,
        task_memory_bytes,
    )
    from fwkit.executors.segment_store import open_store

    start_importing_ray()  # before the out dir is touched: without Ray, one line says how to install it
    if address is not None:
        check_reachable(address)
    size = job_size(settings)
    store = open_store(segments.store_location(settings.out_dir, scratch))
    store.check()  # before Ray starts: a scratch bucket that is not there is one line, now
    plan = segments.load_plan(store) if settings.resume else None
    planned = plan is not None and plan["settings"] == settings.output_settings()
    item_bytes = int(plan["item_bytes"]) if plan is not None and planned else size.item_bytes
    local = None
    backend_bytes = worker_bytes(settings.tokenizer.backend)  # a task builds the job's backend on its node
    if address is None:  # Ray would size itself from the whole host (it reads only the root cgroup)
        n = size.workers
        task = task_memory_bytes(item_bytes, settings.tokenizer.name, backend_bytes)
        local = LocalRay(n, n * task, object_store_bytes(n, item_bytes))
    say = (lambda _: None) if settings.quiet else progress_say
    notes = [
        f"ray: joining {address}"
        if local is None
        else f"ray: starting a local Ray: {local.num_cpus} CPUs, {format_bytes(local.memory)} for tasks, "
        f"{format_bytes(local.object_store_memory)} object store"
    ]
    executor = partial(
        RayExecutor, settings.out_dir, address, local, item_bytes, settings.tokenizer.dtype,
        settings.output_settings(), settings.resume, max_workers=settings.workers, say=say, scratch=scratch,
        tokenizer=settings.tokenizer.name, backend_bytes=backend_bytes,
    )  # fmt: skip
    return JobRun(start_executor=executor, item_bytes=item_bytes, memory=memory_probe(), notes=notes)


def _absolute(inputs: Sequence[Path], hub: HubSpec | None) -> tuple[list[Path], HubSpec | None]:
    """Local paths as every node must see them: absolute (a Ray worker's working directory is not ours)."""
    if hub is not None:
        files = tuple(os.path.abspath(f) if os.path.exists(f) else f for f in hub.data_files)
        dataset = os.path.abspath(hub.dataset) if os.path.isdir(hub.dataset) else hub.dataset
        hub = replace(hub, dataset=dataset, data_files=files)
    return [Path(os.path.abspath(p)) for p in inputs], hub


def run_job(
    settings: TokenizeSettings,
    inputs: Sequence[Path],
    hub: HubSpec | None,
    ray: tuple[str | None, str | None] | None = None,
) -> dict[str, Any]:
    """Open the Source, size the job, pick the executor, run it; returns the final manifest.

    `ray`: None for the local pool, else (--ray-address, --ray-scratch) for Ray tasks."""
    from fwkit.sources import open_source

    if ray is not None:
        inputs, hub = _absolute(inputs, hub)
    source = open_source(
        inputs, hub, settings.doc_sep, settings.text_column, settings.errors, settings.tokenizer.name, settings.out_dir
    )
    if hub is not None and not settings.quiet:
        print(f"fwkit: resolving --dataset {hub.dataset} (listing its data files)", file=sys.stderr)
    run = ray_run(settings, *ray) if ray is not None else local_run(job_size(settings))
    return run_tokenize(settings, source, run)
