"""Host facts as data: the planner is a pure function of them, so each test describes a host."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fwkit.host.disk import DiskFacts
from fwkit.host.facts import CpuFacts, HostFacts
from fwkit.host.memory import MemoryFacts
from fwkit.host.swap import SwapFacts
from fwkit.host.tools import CloudFacts, DockerFacts, TerraformFacts, TokenizerFacts

GiB = 1024**3


def make_host(
    available: int = 16 * GiB,
    limit: int | None = None,
    usage: int = 0,
    swap_free: int = 0,
    swap_allowed: bool = True,
    swap_cap: int | None = None,
    cpus: int = 4,
    root: bool = True,
    disk_free: int = 500 * GiB,
    swap_disk_free: int = 500 * GiB,
    container: bool = False,
) -> HostFacts:
    memory = MemoryFacts(
        total_bytes=available + GiB,
        available_bytes=available,
        limit_bytes=limit,
        cgroup_usage_bytes=usage if limit is not None else None,
        cgroup_version=1 if limit is not None else None,
        cgroup_path="/sys/fs/cgroup/memory/job" if limit is not None else None,
        swap_allowed=swap_allowed,
        cgroup_swap_limit_bytes=swap_cap,
    )
    return HostFacts(
        memory=memory,
        swap=SwapFacts(swap_free, swap_free),
        cpu=CpuFacts(cpus, cpus, None),
        disk=DiskFacts("/data", disk_free, 2 * disk_free),
        swap_disk=DiskFacts("/", swap_disk_free, 2 * swap_disk_free),
        docker=DockerFacts(sdk=True, available=False, error="not probed"),
        terraform=TerraformFacts(None, None, "not probed"),
        cloud=CloudFacts(False, None),
        tokenizer=TokenizerFacts(True),
        root=root,
        container=container,
    )


@pytest.fixture
def host() -> Callable[..., HostFacts]:
    return make_host
