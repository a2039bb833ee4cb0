"""Swap on this host: totals from /proc/meminfo and the active swap files and partitions (/proc/swaps).

Whether a job may use it is the cgroup's business (`memory.swap.max`, `memory.memsw.*`): see
`MemoryFacts.swap_allowed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fwkit.host.cgroup import read_text
from fwkit.host.memory import KIB, meminfo


@dataclass(frozen=True)
class SwapDevice:
    path: str
    kind: str  # "file" or "partition"
    size_bytes: int
    used_bytes: int
    priority: int


@dataclass(frozen=True)
class SwapFacts:
    total_bytes: int
    free_bytes: int
    devices: list[SwapDevice] = field(default_factory=list)


def swap_devices(path: Path = Path("/proc/swaps")) -> list[SwapDevice]:
    """/proc/swaps: `Filename Type Size Used Priority`, sizes in KiB, after a header line."""
    devices = []
    for line in (read_text(path) or "").splitlines()[1:]:
        fields = line.split()
        if len(fields) == 5 and fields[2].isdigit() and fields[3].isdigit():
            # Paths with spaces are written octal-escaped (\040) by the kernel.
            name = fields[0].replace("\\040", " ")
            devices.append(SwapDevice(name, fields[1], int(fields[2]) * KIB, int(fields[3]) * KIB, int(fields[4])))
    return devices


def read_swap_facts(meminfo_path: Path = Path("/proc/meminfo"), swaps_path: Path = Path("/proc/swaps")) -> SwapFacts:
    info = meminfo(meminfo_path)
    return SwapFacts(info.get("SwapTotal", 0), info.get("SwapFree", 0), swap_devices(swaps_path))
