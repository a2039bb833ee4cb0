"""Before a capped run: the doctor's plan for this cap, and a refusal (exit 1) when it is not to stream here.

`fwkit doctor --mem 16G INPUT --out DIR` and `fwkit run --mem 16G -- INPUT --out DIR` decide with the
same `fwkit.plan.make_plan` on the same host facts: a cap below the smallest streaming job, or one
this host cannot give (plan `swap` or `cloud`), is refused with the plan printed, unless --force.
"""

from __future__ import annotations

from pathlib import Path

from fwkit.errors import EXIT_ACTION_NEEDED, FwkitError
from fwkit.runtime.job import JobSpec
from fwkit.runtime.stop import Echo
from fwkit.sizes import format_bytes


def check_plan(spec: JobSpec, workers: int | None, text_column: str, force: bool, echo: Echo) -> None:
    """Make the plan for this job and cap; raise (exit 1) unless it is `streaming` and ready, or --force."""
    from rich.console import Console

    from fwkit.commands.doctor import render_plan
    from fwkit.estimate import estimate_inputs
    from fwkit.host.facts import gather
    from fwkit.plan import PlanRequest, make_plan

    estimate = estimate_inputs([Path(p) for p in spec.inputs], text_column) if spec.inputs else None
    request = PlanRequest(
        mem_bytes=spec.mem_bytes, workers=workers, inputs=spec.inputs, out_dir=spec.out, estimate=estimate
    )
    plan = make_plan(gather(Path(spec.out), probes=False), request)
    if plan.mode == "streaming" and plan.ready:
        echo(f"plan: streaming, {plan.workers} worker(s), expected peak {format_bytes(plan.need_bytes)}")
        return
    render_plan(Console(stderr=True, highlight=False, soft_wrap=True), plan)
    what = f"the plan for a {format_bytes(spec.mem_bytes)} cap is `{plan.mode}`" + ("" if plan.ready else ", not ready")
    if not force:
        raise FwkitError(f"{what}: do what it says above, or add --force to run anyway", EXIT_ACTION_NEEDED)
    echo(f"{what} (--force: running anyway)")
