"""Before a capped run: refuse a cap the streaming job cannot fit, unless --force.

Until the doctor's planner (`fwkit.plan`) lands, the check is the job-sizing arithmetic itself: the
smallest streaming job (one worker, the smallest work items) must fit under the cap.
"""

from __future__ import annotations

from fwkit.engine.budget import ITEM_BYTES_MIN, expected_peak_bytes
from fwkit.errors import EXIT_ACTION_NEEDED, FwkitError
from fwkit.runtime.job import JobSpec
from fwkit.runtime.stop import Echo
from fwkit.sizes import format_bytes


def check_plan(spec: JobSpec, force: bool, echo: Echo) -> None:
    """Raise (exit 1) when the cap is below the smallest streaming job; --force runs anyway."""
    floor = expected_peak_bytes(1, ITEM_BYTES_MIN)
    if spec.mem_bytes >= floor:
        return
    message = (
        f"plan: the smallest streaming job (1 worker) needs about {format_bytes(floor)}, "
        f"more than the {format_bytes(spec.mem_bytes)} cap: raise --mem, or add --force to try anyway"
    )
    if not force:
        raise FwkitError(message, EXIT_ACTION_NEEDED)
    echo(f"{message} (--force: trying anyway)")
