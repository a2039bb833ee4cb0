"""`fwkit run`: `fwkit tokenize` under a hard memory cap (container or cgroup), OOM made plain."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fwkit.commands.helptext import with_examples
from fwkit.runtime.launch import Runtime

if TYPE_CHECKING:
    from fwkit.plan import Plan
    from fwkit.runtime.job import JobSpec
    from fwkit.runtime.stop import Echo

EXAMPLES = [
    "fwkit run --mem 16G train.txt --out shards --format npy",
    "fwkit run --mem 8G --runtime cgroup fineweb/ --out edu --format llmc",
    "fwkit run --mem 1G --dataset HuggingFaceFW/fineweb-edu \\\n    --subset sample-10BT --out edu",
]
NOTES = """Every other option is `fwkit tokenize`'s (see `fwkit tokenize --help`), before or after the
inputs, no `--` needed; the job is sized to the cap. Exit codes: 0 done, 2 bad input, 3 OOM-killed
(resume command printed), 130/143 stopped."""


def run(
    ctx: typer.Context,
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT... --out DIR [TOKENIZE OPTIONS]", help="What `fwkit tokenize` takes.", show_default=False
        ),
    ] = None,
    mem: Annotated[
        str,
        typer.Option("--mem", help="Hard memory cap for the whole job (16G, 512M; binary units).", envvar="FWKIT_MEM"),
    ] = "",
    runtime: Annotated[
        Runtime,
        typer.Option(
            help="docker, cgroup (native), none (uncapped), or auto: the first available.", envvar="FWKIT_RUNTIME"
        ),
    ] = Runtime.auto,
    image: Annotated[
        str | None, typer.Option(help="Job image (default fwkit:<version>; built when missing).", envvar="FWKIT_IMAGE")
    ] = None,
    base_image: Annotated[
        str | None, typer.Option(help="Base for building a missing image.", envvar="FWKIT_BASE_IMAGE")
    ] = None,
    allow_swap: Annotated[
        bool, typer.Option("--allow-swap", help="Let the job swap instead of capping at --mem.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Run even when the plan says this cap is not enough.")] = False,
) -> None:
    """Run `fwkit tokenize` inside a memory-capped container or cgroup, sized to that cap."""
    from dataclasses import replace

    from fwkit.errors import FwkitError
    from fwkit.runtime.image import DEFAULT_BASE_IMAGE, default_tag
    from fwkit.runtime.job import NETWORK_OPTIONS, JobSpec, split_tokenize_args
    from fwkit.runtime.launch import RunSettings, choose, execute
    from fwkit.runtime.preflight import plan_job
    from fwkit.sizes import parse_bytes

    if not mem:
        raise FwkitError("fwkit run needs --mem, the hard cap: e.g. `fwkit run --mem 16G train.txt --out shards`")
    tokenize_cmd = ctx.find_root().command.get_command(ctx, "tokenize")  # type: ignore[attr-defined]
    parsed = split_tokenize_args(tokenize_cmd, [*(args or []), *ctx.args])
    if parsed.out is None:
        raise FwkitError("fwkit run needs --out DIR (the shard directory), as fwkit tokenize does")
    network = parsed.given(*NETWORK_OPTIONS)
    if not parsed.inputs and not network:
        raise FwkitError("fwkit run needs at least one INPUT file or directory before --out")

    def echo(line: str) -> None:
        typer.secho(f"fwkit run: {line}", err=True, dim=True)

    def warn(line: str) -> None:
        typer.secho(f"warning: {line}", err=True, fg=typer.colors.YELLOW)

    spec = JobSpec(
        inputs=tuple(parsed.inputs),
        out=parsed.out,
        options=tuple(parsed.options),
        mem_bytes=parse_bytes(mem, "--mem"),
        mem_text=mem,
        allow_swap=allow_swap,
        needs_network=network,
    )
    workers = parsed.values.get("workers")
    plan = plan_job(
        spec,
        int(workers) if workers and workers.isdigit() else None,
        parsed.values.get("text_column") or "text",
        parsed.values.get("tokenizer") or "gpt2",
    )
    spec = _judge(plan, spec, force, echo, warn)
    settings = RunSettings(
        runtime, image or default_tag(), base_image or DEFAULT_BASE_IMAGE, image is not None, runtime is Runtime.auto
    )
    ray = parsed.values.get("engine") == "ray"
    chosen = choose(runtime, echo, ray)
    if ray and chosen is Runtime.docker:
        raise FwkitError(
            "fwkit run --engine ray: the job image has no Ray; use --runtime cgroup (a local Ray under the cap)"
        )
    own = ["--runtime", chosen.value]
    own += ["--image", image] if image else []
    own += ["--allow-swap"] if allow_swap else []
    own += ["--force"] if force else []
    code, line = execute(replace(spec, run_options=tuple(own)), replace(settings, runtime=chosen), echo, warn)
    if line:
        typer.echo(line)
    raise typer.Exit(code)


run.__doc__ = with_examples(run.__doc__ or "", EXAMPLES, NOTES)


def _judge(plan: Plan, spec: JobSpec, force: bool, echo: Echo, warn: Echo) -> JobSpec:
    """Print the plan when it is not to stream here, and refuse (exit 1) unless --force; else the spec to run."""
    from dataclasses import replace

    from rich.console import Console

    from fwkit.commands.doctor import render_plan
    from fwkit.errors import EXIT_ACTION_NEEDED, FwkitError
    from fwkit.runtime.preflight import refusal
    from fwkit.sizes import format_bytes

    for warning in plan.warnings:
        warn(warning)
    why = refusal(plan, spec.mem_bytes)
    if why is None:
        echo(f"plan: streaming, {plan.workers} worker(s), expected peak {format_bytes(plan.need_bytes)}")
        if plan.mem_bytes < spec.mem_bytes:
            echo(f"--mem {spec.mem_text} is more than this host can give: capping at {format_bytes(plan.mem_bytes)}")
            return replace(spec, mem_bytes=plan.mem_bytes)
        return spec
    render_plan(Console(stderr=True, highlight=False, soft_wrap=True), plan)
    if not force:
        raise FwkitError(f"{why}: do what it says above, or add --force to run anyway", EXIT_ACTION_NEEDED)
    echo(f"{why} (--force: running anyway)")
    return spec
