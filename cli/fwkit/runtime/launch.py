"""Pick a runtime, run the capped job on it, and turn how it ended into one line and an exit code.

    fwkit run --mem 16G train.txt --out shards      # docker if reachable, else cgroup, else none

`auto` prefers Docker (the cap, the filesystem and the network are all fenced), then a native
cgroup or systemd scope (the cap only), then running uncapped with a warning.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, replace

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
    image_given: bool = False  # --image: the user's tag (an unlabelled image is used as it is)
    auto: bool = False  # the runtime came from `auto`: a failed image build falls back to a cgroup


def predict(docker_reachable: bool, without_docker: str = "no Docker engine") -> tuple[Runtime, str]:
    """What `auto` becomes on this host, and why: `fwkit doctor` says it, `fwkit run` does it."""
    from fwkit.runtime.cgroup import find_hierarchy, native_cap

    if docker_reachable:
        return Runtime.docker, "the Docker engine answered"
    how = native_cap(find_hierarchy())
    if how is not None:
        return Runtime.cgroup, f"{without_docker}; capping with a {how}"
    return Runtime.none, f"{without_docker} and no cgroup we may use: the cap is not enforced"


def choose(requested: Runtime, echo: Echo, ray: bool = False) -> Runtime:
    """The runtime to use, said out loud: `auto` becomes the first one this host supports (never
    Docker for `--engine ray`: the job image has no Ray, so a local Ray runs under a native cap)."""
    from fwkit.runtime.container import engine_reachable

    if requested is not Runtime.auto:
        echo(f"runtime: {requested.value}")
        return requested
    if ray:
        runtime, why = predict(False, "--engine ray, and the job image has no Ray")
    else:
        runtime, why = predict(engine_reachable())
    echo(f"runtime: {runtime.value} (auto: {why})")
    return runtime


def _fallback(settings: RunSettings, err: Exception, warn: Echo) -> Runtime | None:
    """With `auto`, the native runtime to use when the job image cannot be built (None: no fallback)."""
    from fwkit.runtime.cgroup import find_hierarchy, native_cap

    how = native_cap(find_hierarchy()) if settings.auto else None
    if how is None:
        return None
    warn(f"the job image could not be built ({getattr(err, 'message', err)}): running under a {how} instead")
    return Runtime.cgroup


def _with_runtime(spec: JobSpec, runtime: Runtime) -> JobSpec:
    """The spec with `--runtime` in its resume command changed to the one that really runs it."""
    own = list(spec.run_options)
    if "--runtime" in own:
        own[own.index("--runtime") + 1] = runtime.value
    return replace(spec, run_options=tuple(own))


def execute(spec: JobSpec, settings: RunSettings, echo: Echo, warn: Echo) -> tuple[int, str]:
    """Run the job on the runtime `choose` picked; (exit code, final line), or `FwkitError` (OOM, stop)."""
    runtime = settings.runtime
    assert runtime is not Runtime.auto, "choose() the runtime first"
    launched_at = time.time()
    result: JobResult
    if runtime is Runtime.docker:
        from fwkit.errors import FwkitError
        from fwkit.runtime.container import connect, run_in_docker
        from fwkit.runtime.image import ensure_image

        client = connect()
        try:
            try:
                ensure_image(client, settings.image, settings.base_image, echo, not settings.image_given)
            except FwkitError as err:
                fallback = _fallback(settings, err, warn)
                if fallback is None:
                    raise
                return execute(
                    _with_runtime(spec, fallback), replace(settings, runtime=fallback, auto=False), echo, warn
                )
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
    return conclude(spec, result, runtime.value, launched_at)
