"""What a cloud run costs, offline: the instance from the table, hours from the input estimate.

    fwkit cloud estimate --mem 100G --input train.txt

No credentials, no network: the instance comes from `instance_types.json`, the job's tokens and
tokenizer speed from `fwkit.estimate` (a 512 KiB sample of the local inputs). Hours = boot and
install overhead + staging and upload at S3 speed + tokens / (workers x tokens/s per worker).
EC2 bills Linux by the second (60 s minimum), so the cost is hours x $/h.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwkit.cloud.sizing import InstanceType, cheapest_instance, load_table
from fwkit.engine.budget import DEFAULT_TOKENIZER, size_job
from fwkit.estimate import InputEstimate

GiB = 1024**3
# Boot (~1 min), Python and fwkit install (~3 min), `fwkit doctor` and the power-off: about 6 min.
OVERHEAD_HOURS = 0.1
# S3 <-> EC2 in one region moves ~200 MB/s with `aws s3 cp` (several parallel parts); staging the
# inputs and uploading the shards run at that speed.
TRANSFER_BYTES_PER_SECOND = 200 * 10**6


@dataclass(frozen=True)
class CloudEstimate:
    """The instance a job gets and, when its inputs were sampled, how long and how much."""

    instance: InstanceType
    usable_gib: float
    market: str  # "spot" or "on-demand"
    region: str
    workers: int
    inputs: InputEstimate | None
    hours: float | None
    usd: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_type": self.instance.name,
            "memory_gib": self.instance.memory_gib,
            "usable_memory_gib": round(self.usable_gib, 1),
            "vcpus": self.instance.vcpus,
            "usd_per_hour": self.instance.usd_per_hour,
            "price_basis": "on-demand ceiling (spot is billed at the market price, never above it)"
            if self.market == "spot"
            else "on-demand",
            "market": self.market,
            "region": self.region,
            "workers": self.workers,
            "estimated_hours": None if self.hours is None else round(self.hours, 2),
            "estimated_usd": None if self.usd is None else round(self.usd, 2),
            "inputs": None if self.inputs is None else self.inputs.to_json(),
        }


def job_hours(inputs: InputEstimate, workers: int, staged_bytes: int) -> float:
    """Wall-clock hours on the instance: overhead, transfers, then tokenizing with `workers`."""
    transfer = (staged_bytes + inputs.est_output_bytes) / TRANSFER_BYTES_PER_SECOND
    return OVERHEAD_HOURS + (transfer + inputs.est_seconds(workers)) / 3600


def estimate_cloud(
    mem_bytes: int,
    min_vcpus: int = 1,
    spot: bool = False,
    inputs: list[Path] | None = None,
    tokenizer: str = DEFAULT_TOKENIZER,
) -> CloudEstimate:
    """Pick the instance for a job capped at `mem_bytes`; with local `inputs`, time and cost it.
    The workers that fit the cap (and so the hours) depend on `tokenizer`."""
    table = load_table()
    instance = cheapest_instance(mem_bytes / GiB, min_vcpus, table)
    workers = size_job(instance.vcpus, mem_bytes, tokenizer=tokenizer).workers
    sample = None
    hours = usd = None
    if inputs:
        from fwkit.estimate import estimate_inputs

        sample = estimate_inputs(inputs, tokenizer=tokenizer)
        hours = job_hours(sample, workers, sample.total_bytes)
        usd = hours * instance.usd_per_hour
    return CloudEstimate(
        instance=instance,
        usable_gib=table.usable_gib(instance),
        market="spot" if spot else "on-demand",
        region=table.region,
        workers=workers,
        inputs=sample,
        hours=hours,
        usd=usd,
    )
