"""The cheapest EC2 instance type that holds a job: SkyPilot-style, from one table.

The table is `terraform/modules/sizing/instance_types.json`; `terraform/modules/sizing/main.tf`
makes the same choice from the same file, and `tests/terraform` checks that both agree. A job
that needs `mem_gib` must fit in what the instance leaves after the OS reserve (also in the
table): usable = memory x (1 - fraction) - fixed, e.g. a 16 GiB type leaves 16 x 0.95 - 1 = 14.2.

    python -c "from fwkit.cloud.sizing import cheapest_instance; print(cheapest_instance(100))"
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fwkit.cloud.paths import instance_table_path
from fwkit.errors import FwkitError


@dataclass(frozen=True)
class InstanceType:
    """One row of the table: an EC2 type, its nominal memory and vCPUs, its on-demand price."""

    name: str
    memory_gib: float
    vcpus: int
    usd_per_hour: float


@dataclass(frozen=True)
class InstanceTable:
    """The whole table: the types, the region the prices are for, and the OS reserve."""

    types: tuple[InstanceType, ...]
    region: str
    reserve_fixed_gib: float
    reserve_fraction: float

    def usable_gib(self, instance: InstanceType) -> float:
        """Memory a job may use on `instance`, after the kernel and the agents take theirs.

        Rounded to 6 decimals: Terraform computes in exact decimals (1536 x 0.95 - 1 = 1458.2),
        binary floats give 1458.1999999999998, and both must agree at the boundary.
        """
        return round(instance.memory_gib * (1 - self.reserve_fraction) - self.reserve_fixed_gib, 6)


@lru_cache(maxsize=4)
def load_table(path: Path | None = None) -> InstanceTable:
    """Read and check the JSON table (default: the one shipped with fwkit)."""
    path = path or instance_table_path()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        types = tuple(
            InstanceType(
                name=str(row["name"]),
                memory_gib=float(row["memory_gib"]),
                vcpus=int(row["vcpus"]),
                usd_per_hour=float(row["usd_per_hour"]),
            )
            for row in doc["instance_types"]
        )
        table = InstanceTable(
            types=types,
            region=str(doc["region"]),
            reserve_fixed_gib=float(doc["os_reserve"]["fixed_gib"]),
            reserve_fraction=float(doc["os_reserve"]["fraction"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise FwkitError(f"{path}: not a valid instance table ({err}): restore it from the fwkit release") from None
    if not types or any(t.memory_gib <= 0 or t.vcpus < 1 or t.usd_per_hour <= 0 for t in types):
        raise FwkitError(f"{path}: every instance type needs memory, vCPUs and a price above zero")
    return table


def cheapest_instance(mem_gib: float, min_vcpus: int = 1, table: InstanceTable | None = None) -> InstanceType:
    """The cheapest type whose usable memory holds `mem_gib` GiB and that has `min_vcpus` vCPUs.

    Ties go to the earlier row, as in Terraform's choice. Raises `FwkitError` if no type fits.
    """
    table = table or load_table()
    if mem_gib <= 0 or min_vcpus < 1:
        raise FwkitError(f"memory ({mem_gib} GiB) and vCPUs ({min_vcpus}) must be above zero")
    fits = [t for t in table.types if table.usable_gib(t) >= mem_gib and t.vcpus >= min_vcpus]
    if not fits:
        biggest = max(table.types, key=lambda t: (table.usable_gib(t), t.vcpus))
        raise FwkitError(
            f"no instance type in the table has {mem_gib:g} GiB usable and {min_vcpus} vCPUs "
            f"(the largest, {biggest.name}, leaves {table.usable_gib(biggest):g} GiB with {biggest.vcpus} vCPUs): "
            "lower --mem (fwkit streams, so a smaller budget only costs speed) or --min-vcpus"
        )
    return min(fits, key=lambda t: t.usd_per_hour)
