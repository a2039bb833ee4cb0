"""Host facts -> how to run: `streaming` here, `swap` first, or `cloud`; with the reasons and commands.

    fwkit doctor --mem 16G train.txt --out shards     # prints this plan

`fwkit doctor`, `fwkit run` and the cloud bootstrap all decide with `make_plan`. The job's need is
the streaming job's expected peak (`fwkit.engine.budget`, measured constants) for its worker count;
the host's limit is what a job started now can get: available RAM, and the cgroup cap minus what
the cgroup already uses. `--mem X` is a ceiling: the job is sized to X, or to the host's limit when
that is smaller (a 30G ceiling on a 24 GiB host is not a reason for swap or the cloud). Swap and
the cloud come in only when even the job sized to the host does not fit it (`--workers` fixed too
high, or a host with almost nothing free). Every printed command runs as printed (shlex-quoted).
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fwkit.engine.budget import DEFAULT_TOKENIZER, JobSize, MiB, size_job
from fwkit.errors import FwkitError
from fwkit.estimate import InputEstimate
from fwkit.host.facts import HostFacts
from fwkit.sizes import format_bytes

GiB = 1024 * MiB
MEM_STEP = 256 * MiB  # a suggested --mem is rounded up to this: 272 MiB needed -> --mem 512M
SWAP_DISK_RESERVE = 1 * GiB  # left free on the swap file's disk, so the system can still write logs


@dataclass(frozen=True)
class PlanRequest:
    """What the user asked for (all optional)."""

    mem_bytes: int | None = None  # --mem: the most the job may use
    workers: int | None = None  # --workers: exactly this many
    inputs: tuple[str, ...] = ()  # local INPUT paths
    out_dir: str | None = None
    estimate: InputEstimate | None = None
    source_args: tuple[str, ...] = ()  # tokenize options naming a non-local source: ("--dataset", "X", ...)
    problems: tuple[str, ...] = ()  # what is broken already (a missing input): the plan cannot be ready
    tokenizer: str = DEFAULT_TOKENIZER  # --tokenizer: sizes every worker (o200k_base's costs more than gpt2's)


@dataclass
class Plan:
    mode: str  # "streaming", "swap" or "cloud"
    ready: bool  # runs as is (exit 0); False: an action comes first (exit 1)
    workers: int
    item_bytes: int
    need_bytes: int  # the job's expected peak
    mem_bytes: int  # the cap it runs under (--mem)
    limit_bytes: int  # what this host can give a job now
    swap_bytes: int | None = None  # swap to add (mode swap, when existing swap is not enough)
    instance: str | None = None  # EC2 type (mode cloud)
    instance_usd_per_hour: float | None = None
    reasons: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # runs, but not as well as it could

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def mem_arg(n: int) -> str:
    """Bytes -> a `--mem` value that is at least `n`: `16G` when whole GiB, else MiB rounded up."""
    return f"{n // GiB}G" if n % GiB == 0 else f"{-(-n // MiB)}M"


def _round_up(n: int, step: int) -> int:
    return -(-n // step) * step


def _job_args(request: PlanRequest) -> list[str]:
    """tokenize's part of a command line: the inputs (or the source options), --out and a --tokenizer
    that is not the default (the job planned is the job run)."""
    inputs = list(request.inputs) or (["INPUT"] if not request.source_args else [])
    dashdash = ["--"] if any(p.startswith("-") for p in inputs) else []
    out = ["--out", request.out_dir or "DIR"]
    out += ["--tokenizer", request.tokenizer] if request.tokenizer != DEFAULT_TOKENIZER else []
    return [*request.source_args, *out, *dashdash, *inputs] if dashdash else [*inputs, *request.source_args, *out]


def _run_command(request: PlanRequest, mem: int, allow_swap: bool) -> str:
    swap = ["--allow-swap"] if allow_swap else []
    workers = ["--workers", str(request.workers)] if request.workers else []
    return shlex.join(["fwkit", "run", "--mem", mem_arg(mem), *swap, *_job_args(request), *workers])


def _limit_reason(facts: HostFacts) -> str:
    m = facts.memory
    text = f"this host can give a job {format_bytes(m.usable_bytes)}: {format_bytes(m.available_bytes)} RAM available"
    if m.limit_bytes is not None:
        used = format_bytes(m.cgroup_usage_bytes or 0)
        text += f", cgroup cap {format_bytes(m.limit_bytes)} ({m.cgroup_path}) with {used} already used"
    return text


def _swap_usable(facts: HostFacts) -> int:
    """Existing free swap this process's cgroup may use."""
    cap = facts.memory.cgroup_swap_limit_bytes
    return 0 if not facts.memory.swap_allowed else min(facts.swap.free_bytes, cap if cap is not None else 1 << 62)


def _try_swap(plan: Plan, facts: HostFacts, request: PlanRequest) -> bool:
    """Turn `plan` into a swap plan if swap closes the gap; else add why not to its reasons."""
    gap = plan.mem_bytes - plan.limit_bytes
    if facts.memory.swap_allowed and _swap_usable(facts) >= gap:
        plan.mode, plan.ready = "swap", True
        plan.reasons.append(f"the existing swap ({format_bytes(facts.swap.free_bytes)} free) covers the rest")
        plan.commands.append(_run_command(request, plan.mem_bytes, allow_swap=True))
        return True
    cap = facts.memory.cgroup_swap_limit_bytes
    if not facts.memory.swap_allowed:
        why = f"the cgroup forbids swap ({facts.memory.cgroup_path})"
    elif not facts.root:
        why = "adding swap needs root (run `fwkit doctor` with sudo to plan it)"
    elif cap is not None and cap < gap:
        why = f"the cgroup lets this job swap only {format_bytes(cap)}, less than the {format_bytes(gap)} missing"
    else:
        from fwkit.swap import recommended_swap_bytes

        size = recommended_swap_bytes(plan.mem_bytes, plan.limit_bytes)
        room = facts.swap_disk.free_bytes - SWAP_DISK_RESERVE
        why = f"a {format_bytes(size)} swap file does not fit on {facts.swap_disk.path} ({format_bytes(room)} free)"
        if room >= size:
            plan.mode, plan.ready, plan.swap_bytes = "swap", False, size
            plan.reasons.append(f"a {format_bytes(size)} swap file closes the gap (slower than RAM, but no OOM kill)")
            if facts.container:
                plan.reasons.append(
                    "this runs in a container, whose swap is the host's: add the swap file on the host "
                    "(the first command, run there), and let the container swap (docker run --memory-swap)"
                )
            plan.commands.append(shlex.join(["sudo", "fwkit", "swap", "create", "--size", mem_arg(size)]))
            plan.commands.append(_run_command(request, plan.mem_bytes, allow_swap=True))
            return True
    plan.reasons.append(f"swap is not an option: {why}")
    return False


def _cloud_command(request: PlanRequest, mem: int, vcpus: int) -> str:
    """`fwkit cloud up` for this job; the inputs go to S3 under their own names."""
    args = ["--mem", mem_arg(mem), "--min-vcpus", str(vcpus)]
    if request.estimate is not None:
        args += ["--input-size", mem_arg(request.estimate.total_bytes)]
        args += ["--output-size", mem_arg(request.estimate.est_output_bytes)]
    names = [f"s3://BUCKET/{Path(p).name}" for p in request.inputs]
    source = [*names, *request.source_args] or ["s3://BUCKET/INPUT"]
    tokenizer = ["--tokenizer", request.tokenizer] if request.tokenizer != DEFAULT_TOKENIZER else []
    return shlex.join(["fwkit", "cloud", "up", *args, "--", *source, "--out", "s3://BUCKET/shards", *tokenizer])


def _go_cloud(plan: Plan, request: PlanRequest) -> None:
    from fwkit.cloud.sizing import cheapest_instance

    plan.mode, plan.ready, plan.swap_bytes = "cloud", False, None
    plan.commands.clear()
    vcpus = request.workers or 1
    try:
        instance = cheapest_instance(plan.mem_bytes / GiB, vcpus)
    except FwkitError as err:
        plan.reasons.append(err.message)
        return
    plan.instance, plan.instance_usd_per_hour = instance.name, instance.usd_per_hour
    plan.reasons.append(
        f"run it in the cloud: {instance.name} is the cheapest fit (${instance.usd_per_hour}/h); "
        "upload the inputs to S3 first (aws s3 cp)"
    )
    plan.commands.append(_cloud_command(request, plan.mem_bytes, vcpus))


def _size(facts: HostFacts, request: PlanRequest, reasons: list[str]) -> tuple[JobSize, int, bool]:
    """(the job, the --mem to run it under, ready): `--mem` is a ceiling, lowered to what the host gives."""
    limit, cpus, ceiling = facts.memory.usable_bytes, facts.cpu.count, request.mem_bytes
    job = size_job(cpus, limit if ceiling is None else min(ceiling, limit), request.workers, request.tokenizer)
    if ceiling is not None and job.peak_bytes > ceiling:
        mem = _round_up(job.peak_bytes, MEM_STEP)
        reasons.append(
            f"--mem {format_bytes(ceiling)} is below the smallest job with {job.workers} worker(s) "
            f"({format_bytes(job.peak_bytes)}): use --mem {mem_arg(mem)}"
        )
        return job, mem, False
    if ceiling is not None and ceiling <= limit:
        return job, ceiling, True
    # --mem in whole MiB: the need rounded up to 256 MiB, but never more than the host gives
    mem = max(job.peak_bytes, min(limit // MiB * MiB, _round_up(job.peak_bytes, MEM_STEP)))
    if job.peak_bytes > limit and ceiling is not None:
        mem = min(ceiling, _round_up(job.peak_bytes, MEM_STEP))
    elif ceiling is not None:
        reasons.append(
            f"--mem {format_bytes(ceiling)} is more than this host can give: the job is sized to "
            f"what it can give, and runs under --mem {mem_arg(mem)}"
        )
    return job, mem, True


def make_plan(facts: HostFacts, request: PlanRequest) -> Plan:
    """Decide how to run the job described by `request` on the host described by `facts`."""
    limit, cpus = facts.memory.usable_bytes, facts.cpu.count
    reasons: list[str] = []
    job, mem, ready = _size(facts, request, reasons)
    reasons.insert(
        0,
        f"the streaming job needs about {format_bytes(job.peak_bytes)} "
        f"({job.workers} worker(s) of {cpus} usable CPUs, {job.item_bytes // 1024} KiB work items, "
        f"{request.tokenizer})",
    )
    reasons.append(_limit_reason(facts))
    plan = Plan("streaming", ready, job.workers, job.item_bytes, job.peak_bytes, mem, limit, reasons=reasons)
    if request.workers and request.workers > cpus:
        plan.warnings.append(
            f"--workers {request.workers} is more than the {cpus} usable CPU(s): the extra workers share "
            f"cores, add memory and no speed; use --workers {cpus} or leave it out"
        )
    if mem <= limit:
        plan.reasons.append(f"a {mem_arg(mem)} cap fits on this host: run it here")
        plan.commands.append(_run_command(request, mem, allow_swap=False))
    else:
        plan.reasons.append(f"a {format_bytes(mem)} cap is {format_bytes(mem - limit)} more than this host can give")
        if not _try_swap(plan, facts, request):
            _go_cloud(plan, request)
    estimate = request.estimate
    if estimate is not None and estimate.est_output_bytes > facts.disk.free_bytes:
        plan.reasons.append(
            f"the output needs about {format_bytes(estimate.est_output_bytes)} but {facts.disk.path} has "
            f"{format_bytes(facts.disk.free_bytes)} free: choose an --out on a bigger disk, or"
        )
        _go_cloud(plan, request)
    if request.problems:
        plan.ready = False
        plan.commands.clear()
        plan.reasons.append(
            f"not ready: {len(request.problems)} problem(s) to fix first (listed above / in `problems`)"
        )
    return plan
