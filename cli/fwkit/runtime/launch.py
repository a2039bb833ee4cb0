"""Pick a runtime, run the capped job on it, and turn how it ended into one line and an exit code.

    fwkit run --mem 16G train.txt --out shards      # docker if reachable, else cgroup, else none

`auto` prefers Docker (the cap, the filesystem and the network are all fenced), then a native
cgroup or systemd scope (the cap only), then running uncapped with a warning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from fwkit.runtime.job import JobResult, JobSpec, Oom, conclude
from fwkit.runtime.stop import Echo


class Runtime(str, enum.Enum):
    auto = "auto"
    docker = "docker"
    cgroup = "cgroup"
    none = "none"


@dataclass(frozen=True)
class RunSettings:
    runtime: Runtime
    image: str
    base_image: str


def predict(docker_reachable: bool) -> tuple[Runtime, str]:
    """What `auto` becomes on this host, and why: `fwkit doctor` says it, `fwkit run` does it."""
    from fwkit.runtime.cgroup import find_hierarchy, native_cap

    if docker_reachable:
        return Runtime.docker, "the Docker engine answered"
    how = native_cap(find_hierarchy())
    if how is not None:
        return Runtime.cgroup, f"no Docker engine; capping with a {how}"
    return Runtime.none, "no Docker engine and no cgroup we may use: the cap is not enforced"


def choose(requested: Runtime, echo: Echo) -> Runtime:
    """The runtime to use, said out loud: `auto` becomes the first one this host supports."""
    from fwkit.runtime.container import engine_reachable

    if requested is not Runtime.auto:
        echo(f"runtime: {requested.value}")
        return requested
    runtime, why = predict(engine_reachable())
    echo(f"runtime: {runtime.value} (auto: {why})")
    return runtime


def execute(spec: JobSpec, settings: RunSettings, echo: Echo, warn: Echo) -> tuple[int, str]:
    """Run the job on the runtime `choose` picked; (exit code, final line), or `FwkitError` (OOM, stop)."""
    runtime = settings.runtime
    assert runtime is not Runtime.auto, "choose() the runtime first"
    result: JobResult
    if runtime is Runtime.docker:
        from fwkit.runtime.container import connect, run_in_docker
        from fwkit.runtime.image import ensure_image

        client = connect()
        try:
            ensure_image(client, settings.image, settings.base_image, echo)
            result = run_in_docker(spec, client, settings.image, echo)
        finally:
            client.close()
    elif runtime is Runtime.cgroup:
        from fwkit.runtime.cgroup import run_in_cgroup

        result = run_in_cgroup(spec, echo)
    else:
        from fwkit.runtime.process import run_process, tokenize_command

        warn(f"nothing enforces the {spec.mem_text} cap: the job is sized to it, but may still use more")
        code = run_process(tokenize_command(spec.tokenize_argv()), echo, spec.job_env())
        result = JobResult(code, Oom.NO, None)
    return conclude(spec, result, runtime.value)
