"""All host facts in one `HostFacts`, the input of `fwkit.plan.make_plan`.

    python -c "from fwkit.host.facts import gather; print(gather())"

The slow probes (Docker's daemon, `terraform version`, the tokenizer's checksum) run in threads,
each with its own timeout, so gathering takes about as long as the slowest one (~0.3 s here).
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwkit.host.cgroup import CgroupSource, read_cpu_quota
from fwkit.host.cpu import affinity_cpus, usable_cpus
from fwkit.host.disk import DiskFacts, read_disk_facts
from fwkit.host.memory import MemoryFacts, read_memory_facts
from fwkit.host.swap import SwapFacts, read_swap_facts
from fwkit.host.tools import (
    CloudFacts,
    DockerFacts,
    TerraformFacts,
    TokenizerFacts,
    in_container,
    is_root,
    probe_cloud_credentials,
    probe_docker,
    probe_terraform,
    probe_tokenizer,
)

SWAP_DIR = Path("/")  # where `fwkit swap create` puts the swap file by default (/swapfile)


@dataclass(frozen=True)
class CpuFacts:
    count: int  # usable: affinity reduced by the quota
    affinity: int
    quota: float | None  # cgroup CPU quota in CPUs, None when unlimited


@dataclass(frozen=True)
class HostFacts:
    memory: MemoryFacts
    swap: SwapFacts
    cpu: CpuFacts
    disk: DiskFacts  # where --out goes
    swap_disk: DiskFacts  # where a swap file would go
    docker: DockerFacts
    terraform: TerraformFacts
    cloud: CloudFacts
    tokenizer: TokenizerFacts
    root: bool
    container: bool = False  # in a container: swap must be added on the host

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types, keyed as docs/doctor.md documents them."""
        doc = dataclasses.asdict(self)
        doc["memory"]["usable_bytes"] = self.memory.usable_bytes
        return doc


def gather(
    out_dir: Path = Path("."), probes: bool = True, source: CgroupSource | None = None, tokenizer: str = "gpt2"
) -> HostFacts:
    """Read everything; `probes=False` skips Docker and Terraform (reported as absent). The rank
    file checked is `tokenizer`'s."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        docker = pool.submit(probe_docker) if probes else None
        terraform = pool.submit(probe_terraform) if probes else None
        tokenizer_facts = pool.submit(probe_tokenizer, tokenizer)
        cpu = CpuFacts(count=usable_cpus(), affinity=affinity_cpus(), quota=read_cpu_quota(source))
        return HostFacts(
            memory=read_memory_facts(source),
            swap=read_swap_facts(),
            cpu=cpu,
            disk=read_disk_facts(out_dir),
            swap_disk=read_disk_facts(SWAP_DIR),
            docker=docker.result() if docker else DockerFacts(sdk=False, available=False, error="not probed"),
            terraform=terraform.result() if terraform else TerraformFacts(None, None, "not probed"),
            cloud=probe_cloud_credentials(),
            tokenizer=tokenizer_facts.result(),
            root=is_root(),
            container=in_container(),
        )
