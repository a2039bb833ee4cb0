"""How many CPUs this process may really use: its affinity mask, reduced by the cgroup CPU quota.

`os.cpu_count()` counts the host's CPUs; `taskset`/cpusets narrow that (affinity), and a container's
`--cpus 1.5` is a CFS quota that throttles beyond 1.5 CPUs of time. Workers beyond either only queue.
Standard library only: the tokenizer imports `usable_cpus` to size its pool.
"""

from __future__ import annotations

import math
import os

from fwkit.host.cgroup import cpu_quota


def affinity_cpus() -> int:
    """CPUs in this process's affinity mask (`os.cpu_count()` where the platform has no masks)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def usable_cpus() -> int:
    """Affinity, capped by the quota rounded up (1.5 CPUs of quota keeps 2 workers busy), at least 1."""
    cpus = affinity_cpus()
    quota = cpu_quota()
    if quota is not None:
        cpus = min(cpus, math.ceil(quota))
    return max(1, cpus)
