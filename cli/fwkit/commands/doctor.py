"""`fwkit doctor`: the memory this host really has (RAM, cgroup cap, swap, disk) and a plan to run.

The facts come from `fwkit.host`, the estimate from `fwkit.estimate`, the decision from
`fwkit.plan`; this module only parses options and prints. Exit codes: 0 the plan runs as is,
1 an action comes first (swap or cloud), 2 something is broken (an input, the tokenizer).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from fwkit.commands.helptext import with_examples
from fwkit.commands.tokenize import Tokenizer

if TYPE_CHECKING:
    from rich.console import Console

    from fwkit.estimate import InputEstimate
    from fwkit.host.facts import HostFacts
    from fwkit.plan import Plan

OK, WARN, BAD = "[green]✓[/]", "[yellow]![/]", "[red]✗[/]"

EXAMPLES = [
    "fwkit doctor",
    "fwkit doctor --mem 16G train.txt --out shards -v",
    "fwkit doctor --mem 1G --tokenizer o200k_base train.txt",
    "fwkit doctor --json fineweb/ | jq .plan",
]
NOTES = "Exit codes: 0 the plan runs here as is, 1 do something first (swap or cloud), 2 something is broken."


def doctor(
    inputs: Annotated[
        list[Path] | None, typer.Argument(metavar="[INPUT]...", help="Inputs to estimate (files or directories).")
    ] = None,
    input_opt: Annotated[
        list[Path] | None, typer.Option("--input", "-i", help="An input to estimate (repeatable).", show_default=False)
    ] = None,
    dataset: Annotated[
        str | None, typer.Option(help="A Hugging Face dataset: sized from its metadata (not offline).")
    ] = None,
    subset: Annotated[str | None, typer.Option(help="--dataset: the config name, e.g. sample-10BT.")] = None,
    split: Annotated[str, typer.Option(help="--dataset: the split.")] = "train",
    revision: Annotated[str | None, typer.Option(help="--dataset: branch, tag or commit.")] = None,
    mem: Annotated[
        str | None, typer.Option("--mem", help="The cap you want to run under (16G, 512M).", envvar="FWKIT_MEM")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where the shards will go (disk check; default .).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Plan for exactly this many workers.")] = None,
    tokenizer: Annotated[
        Tokenizer, typer.Option(help="The tokenizer the job will use: sizes its workers, tokens and shards.")
    ] = Tokenizer.gpt2,
    text_column: Annotated[str, typer.Option(help="Parquet/JSONL text column.")] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout (keys: docs/doctor.md).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the details behind each line.")] = False,
) -> None:
    """Find the limits that get jobs "Killed" (RAM, cgroup cap, swap, disk) and say how to run."""
    from fwkit.errors import EXIT_ACTION_NEEDED, EXIT_BAD_INPUT, EXIT_OK, FwkitError
    from fwkit.estimate import input_problem
    from fwkit.host.facts import gather
    from fwkit.plan import PlanRequest, make_plan
    from fwkit.runtime.launch import predict
    from fwkit.sizes import parse_bytes

    mem_bytes = parse_bytes(mem, "--mem") if mem else None
    paths = [*(inputs or []), *(input_opt or [])]
    facts = gather(out or Path("."), tokenizer=tokenizer.value)
    problems: list[str] = []
    notes: list[str] = []
    if not facts.tokenizer.ok:
        problems.append(f"tokenizer: {facts.tokenizer.error}")
    if facts.disk.total_bytes == 0:
        problems.append(f"--out {out}: {facts.disk.path} is a virtual filesystem (no disk space): choose another --out")
    elif not facts.disk.writable:
        problems.append(f"--out {out}: {facts.disk.path} is not writable by this user: choose another --out")
    estimate = None
    bad = [why for why in map(input_problem, paths) if why]
    problems += bad
    if paths and not bad:
        from fwkit.estimate import estimate_inputs

        try:
            estimate = estimate_inputs(paths, text_column, tokenizer.value)
        except FwkitError as err:
            problems.append(err.message)
    source_args: tuple[str, ...] = ()
    if dataset:
        from fwkit.estimate import estimate_dataset_job
        from fwkit.sources.hub import HubSpec

        hub = HubSpec(dataset, subset, split, revision, text_column=text_column)
        estimate, how = estimate_dataset_job(hub, tokenizer.value)
        notes.append(how if estimate else f"{how}; its size is unknown, the plan assumes streaming")
        source_args = dataset_args(dataset, subset, split, revision, text_column)
    request = PlanRequest(
        mem_bytes=mem_bytes,
        workers=workers,
        inputs=tuple(str(p) for p in paths),
        out_dir=str(out) if out else None,
        estimate=estimate,
        source_args=source_args,
        problems=tuple(problems),
        tokenizer=tokenizer.value,
    )
    plan = make_plan(facts, request)
    runtime, why = predict(facts.docker.available)
    if as_json:
        doc: dict[str, Any] = {
            **facts.to_json(),
            "runtime": {"auto": runtime.value, "why": why},
            "inputs": {**estimate.to_json(), "est_seconds": round(estimate.est_seconds(plan.workers), 1)}
            if estimate
            else None,
            "plan": plan.to_json(),
            "problems": problems,
            "notes": notes,
        }
        typer.echo(json.dumps(doc, indent=2))
    else:
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)
        render(console, facts, estimate, plan, (runtime.value, why), problems + notes, verbose)
    raise typer.Exit(EXIT_BAD_INPUT if problems else EXIT_OK if plan.ready else EXIT_ACTION_NEEDED)


doctor.__doc__ = with_examples(doctor.__doc__ or "", EXAMPLES, NOTES)


def dataset_args(
    dataset: str, subset: str | None, split: str, revision: str | None, text_column: str
) -> tuple[str, ...]:
    """The tokenize options that name this --dataset source, non-defaults only, for printed commands."""
    args = ["--dataset", dataset]
    args += ["--subset", subset] if subset else []
    args += ["--split", split] if split != "train" else []
    args += ["--revision", revision] if revision else []
    args += ["--text-column", text_column] if text_column != "text" else []
    return tuple(args)


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under 1 s"
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"~{seconds / size:.1f} {unit}"
    return f"~{seconds:.0f} s"


def _line(console: Console, mark: str, title: str, text: str, details: list[str], verbose: bool) -> None:
    console.print(f"{mark} [bold]{title}[/]: {text}")
    if verbose:
        for detail in filter(None, details):
            console.print(f"    {detail}", markup=False)


def render(
    console: Console,
    facts: HostFacts,
    estimate: InputEstimate | None,
    plan: Plan,
    runtime: tuple[str, str],
    problems: list[str],
    verbose: bool,
) -> None:
    """The human report: one line per concern, a status mark each, then the plan."""
    from fwkit.sizes import format_bytes as fb
    from fwkit.sizes import format_count

    m, s, c, d = facts.memory, facts.swap, facts.cpu, facts.disk
    cap = f"cgroup cap {fb(m.limit_bytes)}" if m.limit_bytes is not None else "no cgroup cap"
    _line(
        console,
        OK if plan.need_bytes <= m.usable_bytes else WARN,
        "Memory",
        f"{fb(m.usable_bytes)} usable ({fb(m.available_bytes)} of {fb(m.total_bytes)} RAM available, {cap})",
        [
            f"cgroup v{m.cgroup_version} at {m.cgroup_path}" if m.cgroup_version else "no memory cgroup visible",
            f"cgroup usage {fb(m.cgroup_usage_bytes or 0)} (working set, without inactive file cache)",
            "the cgroup may swap" if m.swap_allowed else "the cgroup forbids swap",
        ],
        verbose,
    )
    devices = [f"{dev.path} ({dev.kind}) {fb(dev.size_bytes)}, {fb(dev.used_bytes)} used" for dev in s.devices]
    _line(
        console,
        OK if s.total_bytes or plan.mode != "swap" else WARN,
        "Swap",
        f"{fb(s.free_bytes)} free of {fb(s.total_bytes)}" if s.total_bytes else "none",
        devices or ["no active swap files or partitions (/proc/swaps)"],
        verbose,
    )
    quota = f"quota {c.quota:g} CPUs" if c.quota is not None else "no CPU quota"
    _line(console, OK, "CPUs", f"{c.count} usable", [f"affinity {c.affinity}, {quota}"], verbose)
    disk_ok = (estimate is None or estimate.est_output_bytes <= d.free_bytes) and d.total_bytes > 0 and d.writable
    disk_text = f"{fb(d.free_bytes)} free at {d.path}" if d.total_bytes else f"{d.path} is not a disk"
    _line(console, OK if disk_ok else BAD, "Disk", disk_text, [], verbose)
    dk = facts.docker
    docker_text = (
        f"engine {dk.server_version} (cgroup v{dk.cgroup_version}, {dk.cgroup_driver})"
        if dk.available
        else f"not reachable: `fwkit run` will use --runtime {runtime[0]} ({runtime[1]})"
    )
    swap_limit = f"swap limit supported: {dk.swap_limit}"
    _line(console, OK if dk.available else WARN, "Docker", docker_text, [dk.error or swap_limit], verbose)
    tf = facts.terraform
    tf_text = tf.version or "not found (only `fwkit cloud` needs it)"
    _line(console, OK if tf.version else WARN, "Terraform", tf_text, [tf.path or "", tf.error or ""], verbose)
    aws = facts.cloud
    aws_text = f"found ({aws.source})" if aws.aws_credentials else "none (only `fwkit cloud` needs them)"
    _line(console, OK if aws.aws_credentials else WARN, "AWS credentials", aws_text, [], verbose)
    tok = facts.tokenizer
    tok_text = f"{tok.name} ranks intact" if tok.ok else str(tok.error)
    _line(console, OK if tok.ok else BAD, "Tokenizer", tok_text, [], verbose)
    root_text = "yes" if facts.root else "no (swap files and native cgroups need root)"
    root_text += "; in a container (its swap is the host's)" if facts.container else ""
    _line(console, OK, "Root", root_text, [], verbose)
    if estimate is not None:
        text = (
            f"{estimate.files} file(s), {fb(estimate.total_bytes)}: ~{format_count(estimate.est_tokens)} tokens, "
            f"~{fb(estimate.est_output_bytes)} of shards, {_duration(estimate.est_seconds(plan.workers))} "
            f"with {plan.workers} worker(s)"
        )
        details = [
            f"{fb(estimate.text_bytes)} of text, {estimate.bytes_per_token:.2f} bytes/token "
            f"(sample: {fb(estimate.sample_bytes)}, {estimate.sample_tokens:,} tokens)",
            f"{estimate.tokens_per_second_per_worker:,.0f} tokens/s per worker (tokenizer only; reading not counted)",
        ]
        _line(console, OK, "Inputs", text, details, verbose)
    for problem in problems:
        console.print(f"{BAD} {problem}", markup=True)
    render_plan(console, plan)


def render_plan(console: Console, plan: Plan) -> None:
    """The plan block: mode, reasons, then the commands to type (also printed by `fwkit run`)."""
    from rich.markup import escape

    mark = OK if plan.ready else WARN
    where = f" on {plan.instance}" if plan.instance else ""
    console.print(f"\n{mark} [bold]Plan: {plan.mode}{where}[/], {plan.workers} worker(s)")
    for reason in plan.reasons:
        console.print(f"  - {escape(reason)}")
    for warning in plan.warnings:
        console.print(f"  {WARN} {escape(warning)}")
    if plan.commands:
        console.print("  Next:" if plan.ready else "  Do this first, then run:")
        for command in plan.commands:
            console.print(f"    [cyan]{escape(command)}[/]")
