"""Memory this process can really use: the host's RAM (/proc/meminfo) and the cgroup cap in force.

`free` reports the first only. The usable amount is the smaller of the host's available memory
and the cgroup cap minus what the cgroup already uses, because the OOM killer acts on either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fwkit.host.cgroup import CgroupSource, read_memory, read_text

KIB = 1024  # /proc/meminfo counts in kB, which are KiB


@dataclass(frozen=True)
class MemoryFacts:
    total_bytes: int  # host RAM
    available_bytes: int  # host RAM that can be had without swapping (MemAvailable)
    limit_bytes: int | None  # the cgroup cap in force for this process, None when none
    cgroup_usage_bytes: int | None  # what that cgroup already uses (working set)
    cgroup_version: int | None  # 1, 2, or None when no memory controller is visible
    cgroup_path: str | None  # the cgroup directory whose cap is in force (else ours)
    swap_allowed: bool  # whether that cgroup may swap at all
    cgroup_swap_limit_bytes: int | None  # how much it may swap, None unlimited

    @property
    def usable_bytes(self) -> int:
        """What a job started now can use before it is reclaimed or killed."""
        if self.limit_bytes is None:
            return self.available_bytes
        headroom = max(0, self.limit_bytes - (self.cgroup_usage_bytes or 0))
        return min(self.available_bytes, headroom)


def meminfo(path: Path = Path("/proc/meminfo")) -> dict[str, int]:
    """/proc/meminfo as bytes: {"MemTotal": ..., "MemAvailable": ..., "SwapFree": ...}."""
    values: dict[str, int] = {}
    for line in (read_text(path) or "").splitlines():
        name, _, rest = line.partition(":")
        fields = rest.split()
        if fields and fields[0].isdigit():
            values[name] = int(fields[0]) * (KIB if fields[1:] == ["kB"] else 1)
    return values


def read_memory_facts(source: CgroupSource | None = None, meminfo_path: Path = Path("/proc/meminfo")) -> MemoryFacts:
    info = meminfo(meminfo_path)
    total = info.get("MemTotal", 0)
    available = info.get("MemAvailable", info.get("MemFree", 0))  # MemAvailable: kernels since 3.14
    group = read_memory(source)
    if group is None:
        return MemoryFacts(total, available, None, None, None, None, True, None)
    where = group.limit_path or group.path
    return MemoryFacts(
        total_bytes=total,
        available_bytes=available,
        limit_bytes=group.limit_bytes,
        cgroup_usage_bytes=group.usage_bytes,
        cgroup_version=group.version,
        cgroup_path=str(where),
        swap_allowed=group.swap_allowed,
        cgroup_swap_limit_bytes=group.swap_limit_bytes,
    )
