"""One capped tokenize job: what to run (`JobSpec`), how it ended (`JobResult`), what to tell the user.

Every runtime (docker, cgroup, none) takes a `JobSpec` and returns a `JobResult`; `conclude` turns
the result into one line and an exit code, the same for all of them:

    killed by the OOM killer at the 16.0 GiB cap after 1,200,000,000 tokens (peak 16.0 GiB): the job
    needs more than 16.0 GiB; resume with a larger cap: `fwkit run --mem 24G --runtime docker -- train.txt
    --out shards --resume` (or the same --mem with fewer --workers)

The tokenize child prints no line of its own for an OOM kill or a stop (`REPORTED_BY_PARENT_ENV`):
each stop is one error line, this one.

The tokenize options are never listed here: `split_tokenize_args` reads them from the `fwkit tokenize`
command itself, so `fwkit run` accepts exactly what tokenize accepts.
"""

from __future__ import annotations

import enum
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwkit.engine.settings import RESUME_COMMAND_ENV
from fwkit.errors import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_OOM,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    REPORTED_BY_PARENT_ENV,
    FwkitError,
)
from fwkit.sizes import format_bytes

EXIT_SIGKILL = 137  # 128 + SIGKILL: what the OOM killer (or `kill -9`) leaves behind
STOP_GRACE_S = 30  # after SIGINT/SIGTERM, time for tokenize to checkpoint before SIGKILL
NETWORK_OPTIONS = ("dataset",)  # tokenize parameters that stream from the Hugging Face hub
RESTART_OPTIONS = ("resume", "overwrite")  # dropped from the resume command, which adds --resume
# A file's mtime comes from a coarse clock (a tick behind time.time(); whole seconds on some file
# systems): a manifest written just after the launch may look older than it.
MTIME_GRANULARITY_S = 2.0


@dataclass(frozen=True)
class JobSpec:
    """A tokenize job to run under a memory cap, with its arguments as the user typed them."""

    inputs: tuple[str, ...]  # local files/directories (empty when streaming from the hub)
    out: str  # the --out directory
    options: tuple[str, ...]  # every other tokenize option, verbatim
    mem_bytes: int
    mem_text: str  # --mem as typed, for the resume command
    allow_swap: bool = False
    needs_network: bool = False
    run_options: tuple[str, ...] = ()  # fwkit run's own non-default options, for the resume command

    def tokenize_argv(self, inputs: list[str] | None = None, out: str | None = None) -> list[str]:
        """`tokenize ...` with the job sized to the cap; paths may be rewritten (container mounts)."""
        paths = list(self.inputs if inputs is None else inputs)
        forced = ["--force-mem"] if "--force" in self.run_options else []  # a cap below the smallest job
        return ["tokenize", *paths, "--out", out or self.out, *self.options, "--mem", str(self.mem_bytes), *forced]

    def resume_command(self, mem_text: str | None = None) -> str:
        """The exact `fwkit run ... --resume` that continues this job from its checkpoint (under `mem_text`)."""
        kept = _drop_flags(self.options, RESTART_OPTIONS)
        argv = ["fwkit", "run", "--mem", mem_text or self.mem_text, *self.run_options, "--", *self.inputs]
        return shlex.join([*argv, "--out", self.out, *kept, "--resume"])

    def job_env(self) -> dict[str, str]:
        """What the tokenize child needs to know of this `fwkit run`: its resume command, and that it reports."""
        return {RESUME_COMMAND_ENV: self.resume_command(), REPORTED_BY_PARENT_ENV: "1"}


class Oom(enum.Enum):
    """Whether the job was OOM-killed: the runtime's own evidence, or only a SIGKILL exit code."""

    NO = "no"
    YES = "yes"
    LIKELY = "likely"  # exit 137 with no OOM record (e.g. a systemd scope)


@dataclass(frozen=True)
class JobResult:
    exit_code: int
    oom: Oom
    peak_bytes: int | None  # charged memory at its highest, page cache included; None if unknown


def _drop_flags(options: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    flags = {f"--{name}" for name in names}
    return [opt for opt in options if opt not in flags]


def _options(command: Any) -> list[Any]:
    return [p for p in command.params if getattr(p, "param_type_name", "") == "option"]


@dataclass(frozen=True)
class TokenizeArgs:
    """tokenize's command line, split: inputs, --out, the other options verbatim, and their values."""

    inputs: list[str]
    out: str | None
    options: list[str]
    values: dict[str, str | None]  # parameter name -> its (last) value; None for a flag

    def given(self, *names: str) -> bool:
        return any(name in self.values for name in names)


def split_tokenize_args(command: Any, args: list[str]) -> TokenizeArgs:
    """Split tokenize's command line into inputs, --out, and the other options verbatim.

    Arity comes from the tokenize command's own (click) parameters: a flag takes no value, an
    option `nargs`. Duck-typed, as newer Typer vendors its own click.
    """
    options: dict[str, Any] = {}
    for param in _options(command):
        for name in (*param.opts, *param.secondary_opts):
            options[name] = param
    inputs: list[str] = []
    rest: list[str] = []
    found: dict[str, str | None] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            inputs.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            inputs.append(arg)
            continue
        name, eq, inline = arg.partition("=")
        param = options.get(name)
        if param is None:
            raise FwkitError(f"fwkit tokenize has no option {name}: see `fwkit tokenize --help`")
        arity = 0 if (param.is_flag or param.count) else param.nargs
        values = [inline] if eq else args[i : i + arity]
        if not eq:
            i += arity
        if len(values) < arity:
            raise FwkitError(f"option {name} needs a value: see `fwkit tokenize --help`")
        found[param.name] = values[-1] if values else None
        if param.name != "out":
            rest.extend([arg] if eq else [arg, *values])
    out = found.pop("out", None)
    return TokenizeArgs(inputs, out, rest, found)


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The job's manifest.json (tokens durably written so far), or {} when there is none yet."""
    try:
        data = json.loads((Path(out) / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _progress(spec: JobSpec) -> str:
    tokens = read_manifest(spec.out).get("tokens")
    return f"{tokens:,} tokens" if isinstance(tokens, int) else "no checkpointed tokens"


def larger_mem(mem_bytes: int) -> str:
    """A `--mem` half again as large, in whole GiB (or 256 MiB steps below 1 GiB): the cap to retry with."""
    from fwkit.plan import MEM_STEP, GiB, mem_arg

    step = GiB if mem_bytes >= GiB else MEM_STEP
    return mem_arg(-(-(mem_bytes * 3 // 2) // step) * step)


def record_resume(spec: JobSpec, command: str) -> None:
    """Leave the resume command of an unfinished job beside its manifest (`fwkit verify` prints it)."""
    from fwkit.runrecord import write_record

    started = read_manifest(spec.out).get("started_at")
    if isinstance(started, str):
        write_record(Path(spec.out), started, command)


def _peak(result: JobResult) -> str:
    return format_bytes(result.peak_bytes) if result.peak_bytes is not None else "unknown"


def _completed_since(out: str, launched_at: float) -> bool:
    """Whether this job (not an earlier run in `out`) wrote a manifest that says complete: then every
    shard is durable, whatever stopped the process afterwards (a late Ctrl-C, a kill during exit)."""
    path = Path(out) / "manifest.json"
    try:
        written = path.stat().st_mtime + MTIME_GRANULARITY_S
        return read_manifest(out).get("complete") is True and written >= launched_at
    except OSError:
        return False


def _done(spec: JobSpec, result: JobResult, runtime: str) -> str:
    from fwkit.runrecord import clear_record

    clear_record(Path(spec.out))
    docs = read_manifest(spec.out).get("documents")
    line = (
        f"done ({runtime}): {_progress(spec)}, {docs:,} documents in {spec.out}"
        if isinstance(docs, int)
        else f"done ({runtime}): {_progress(spec)} in {spec.out}"
    )
    return line + f"; peak {_peak(result)} of the {format_bytes(spec.mem_bytes)} cap"


def conclude(spec: JobSpec, result: JobResult, runtime: str, launched_at: float) -> tuple[int, str]:
    """(exit code, one line) for a finished job (launched at `launched_at`, epoch seconds); raises
    `FwkitError` for an OOM kill or a stop."""
    if result.exit_code != EXIT_OK and _completed_since(spec.out, launched_at):
        return EXIT_OK, f"{_done(spec, result, runtime)} (it ended with exit code {result.exit_code} after finishing)"
    cap = format_bytes(spec.mem_bytes)
    resume = f"resume with `{spec.resume_command()}`"
    if result.exit_code == EXIT_OOM and result.oom is Oom.NO:  # a worker died by a signal; no record of why
        result = JobResult(result.exit_code, Oom.LIKELY, result.peak_bytes)
    if result.oom is not Oom.NO and result.exit_code != EXIT_OK:
        how = "killed by the OOM killer" if result.oom is Oom.YES else "killed (SIGKILL, most likely the OOM killer)"
        larger = spec.resume_command(larger_mem(spec.mem_bytes))
        record_resume(spec, larger)
        raise FwkitError(
            f"{how} at the {cap} cap after {_progress(spec)} (peak {_peak(result)}): the job needs more than "
            f"{cap}; resume with a larger cap: `{larger}` (or the same --mem with fewer --workers)",
            EXIT_OOM,
        )
    if result.exit_code != EXIT_OK:
        record_resume(spec, spec.resume_command())
    if result.exit_code in (EXIT_SIGINT, EXIT_SIGTERM):
        raise FwkitError(f"stopped after {_progress(spec)}; {resume}", result.exit_code)
    if result.exit_code == EXIT_OK:
        line = _done(spec, result, runtime)
        if result.oom is not Oom.NO:
            line += " (a process was OOM-killed on the way, yet the job finished)"
        return EXIT_OK, line
    if result.exit_code == EXIT_BAD_INPUT:
        return EXIT_BAD_INPUT, ""  # tokenize already printed its one-line reason
    raise FwkitError(
        f"the job ({runtime}) failed with exit code {result.exit_code}; its messages are above",
        result.exit_code if 0 < result.exit_code < 256 else 1,
    )
