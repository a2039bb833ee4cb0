"""Before a capped run: the doctor's plan for this cap, and whether it says to stream here.

`fwkit doctor --mem 16G INPUT --out DIR` and `fwkit run --mem 16G INPUT --out DIR` decide with the
same `fwkit.plan.make_plan` on the same host facts. This module only makes the plan and judges it;
`fwkit run` (a command) prints it: a cap below the smallest streaming job, or one the host cannot
give even to the smallest job (plan `swap` or `cloud`), is refused unless --force. A cap above what
the host can give is lowered to the plan's `--mem`, as doctor says.
"""

from __future__ import annotations

from pathlib import Path

from fwkit.plan import Plan
from fwkit.runtime.job import JobSpec
from fwkit.sizes import format_bytes


def plan_job(spec: JobSpec, workers: int | None, text_column: str, tokenizer: str = "gpt2") -> Plan:
    """The plan for this job under its `--mem`, on this host (no Docker/Terraform probes); its
    workers are sized by its `--tokenizer`."""
    from fwkit.estimate import estimate_inputs
    from fwkit.host.facts import gather
    from fwkit.plan import PlanRequest, make_plan

    estimate = estimate_inputs([Path(p) for p in spec.inputs], text_column, tokenizer) if spec.inputs else None
    request = PlanRequest(
        mem_bytes=spec.mem_bytes,
        workers=workers,
        inputs=spec.inputs,
        out_dir=spec.out,
        estimate=estimate,
        tokenizer=tokenizer,
    )
    return make_plan(gather(Path(spec.out), probes=False, tokenizer=tokenizer), request)


def refusal(plan: Plan, mem_bytes: int) -> str | None:
    """Why this plan is not to run here as is (None: stream it)."""
    if plan.mode == "streaming" and plan.ready:
        return None
    return f"the plan for a {format_bytes(mem_bytes)} cap is `{plan.mode}`" + ("" if plan.ready else ", not ready")
