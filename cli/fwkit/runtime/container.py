"""The Docker runtime: tokenize in a container whose memory cap is the job's budget.

    fwkit run --runtime docker --mem 16G train.txt --out shards

The container gets `mem_limit` = `memswap_limit` = the cap (no swap unless --allow-swap), inputs
mounted read-only at their own absolute host paths (so the manifest names host paths, and `fwkit
verify --sample` or a resume on the host reads the same files; under /in only for paths the image
itself needs), the output directory read-write at /out, the invoking uid:gid (so
outputs belong to the user), no network for local inputs, no host environment but `HF_TOKEN` for
hub streaming, and tini as PID 1 (`init=True`) so SIGINT/SIGTERM reach tokenize as usual. Its output
streams live; afterwards `State.OOMKilled` says whether the OOM killer struck. Containers carry the
label `fwkit.run=1` and their owner's pid: one whose `fwkit run` died is removed by the next run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from fwkit.errors import FwkitError
from fwkit.runtime.job import EXIT_SIGKILL, STOP_GRACE_S, JobResult, JobSpec, Oom
from fwkit.runtime.process import pid_alive
from fwkit.runtime.stop import Echo, wait_or_stop

RUN_LABEL = "fwkit.run"
OWNER_LABEL = "fwkit.owner"  # "<hostname>:<pid>" of the `fwkit run` that owns the container
PING_TIMEOUT_S = 5
OUT_MOUNT = "/out"
IN_MOUNT = "/in"
PEAK_POLL_S = 0.1  # the peak counter is monotonic: polling only has to beat the container's exit
PASSED_ENV = ("HF_TOKEN", "HF_ENDPOINT")  # hub streaming only; values are never printed
HF_CACHE_MOUNT = "/hf-cache"  # hub streaming: HF_HOME, on the host's disk, not the container's root


def hf_cache_dir() -> Path:
    """The host directory the container's Hugging Face cache lives in (metadata, not the data)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "fwkit" / "huggingface"


def connect(timeout: int = PING_TIMEOUT_S) -> Any:
    """A docker-py client whose engine answered a ping, or a one-line error saying what to do."""
    import docker
    import docker.errors

    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as err:
        reason = str(err).splitlines()[0][:120]
        fix = (
            "join the docker group (`sudo usermod -aG docker $USER`, then log in again)"
            if "permission denied" in reason.lower()
            else "start it (`sudo systemctl start docker`)"
        )
        raise FwkitError(f"the Docker engine is not reachable ({reason}): {fix}, or use --runtime cgroup") from None
    client.api.timeout = None  # long builds and waits: only the ping needs a short timeout
    return client


def engine_reachable() -> bool:
    try:
        connect().close()
    except FwkitError:
        return False
    return True


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another host's container: not ours to judge
    return pid_alive(int(pid))


def remove_stale(client: Any, echo: Echo) -> None:
    """Stop (SIGTERM first, so it checkpoints) and remove containers whose `fwkit run` died."""
    for container in client.containers.list(all=True, filters={"label": RUN_LABEL}):
        if not _owner_alive(container.labels.get(OWNER_LABEL, "")):
            echo(f"removing stale fwkit container {container.short_id} ({container.status})")
            with contextlib.suppress(Exception):
                container.stop(timeout=STOP_GRACE_S)
            container.remove(force=True)


IMAGE_PATHS = ("/proc", "/sys", "/dev", "/opt/fwkit", "/usr/lib", "/usr/local/lib", "/lib", "/bin", "/etc")


def input_target(src: Path, i: int) -> str:
    """Where input `src` (absolute) is mounted: its own path, unless the image needs that path."""
    text = src.as_posix()
    if text == "/" or any(text == p or text.startswith(p + "/") for p in (*IMAGE_PATHS, OUT_MOUNT, IN_MOUNT)):
        return f"{IN_MOUNT}/{i}/{src.name}"
    return text


def _mounts(spec: JobSpec) -> tuple[list[Any], list[str]]:
    """Bind mounts for the inputs (read-only) and the output directory, and the inputs' new paths."""
    from docker.types import Mount

    mounts, inputs = [], []
    for i, text in enumerate(spec.inputs):
        src = Path(text).resolve()
        if not src.exists():
            raise FwkitError(f"{text}: no such file or directory; check the input path")
        target = input_target(src, i)
        mounts.append(Mount(target, str(src), type="bind", read_only=True))
        inputs.append(target)
    out = Path(spec.out).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)  # created by us, so it belongs to the user, not root
    except OSError as err:
        raise FwkitError(
            f"{spec.out}: cannot create the output directory ({err.strerror}); choose another --out"
        ) from None
    mounts.append(Mount(OUT_MOUNT, str(out), type="bind", read_only=False))
    if spec.needs_network:
        cache = hf_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        mounts.append(Mount(HF_CACHE_MOUNT, str(cache), type="bind", read_only=False))
    return mounts, inputs


def _network(client: Any, spec: JobSpec) -> str:
    if not spec.needs_network:
        return "none"
    return "bridge" if client.networks.list(names=["bridge"]) else "host"


def _copy_output(stream: Any) -> None:
    """Copy the container's (stdout, stderr) frames to ours as they arrive."""
    for out, err in stream:
        for data, dest in ((out, sys.stdout), (err, sys.stderr)):
            if data:
                dest.buffer.write(data) if hasattr(dest, "buffer") else dest.write(data.decode(errors="replace"))
                dest.flush()


class PeakMonitor:
    """The container's highest charged memory (page cache included).

    On the engine's own host, the kernel's peak counter of the container's cgroup, polled (it is
    removed with the container); elsewhere the stats stream, which samples once a second.
    """

    def __init__(self, client: Any, container: Any) -> None:
        self.peak: int | None = None
        self._done = threading.Event()
        container.reload()
        self._thread = threading.Thread(target=self._watch, args=(client, container), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=PEAK_POLL_S * 5)

    def _seen(self, value: int | None) -> None:
        if value:
            self.peak = max(self.peak or 0, value)

    def _watch(self, client: Any, container: Any) -> None:
        from fwkit.runtime.cgroup import peak_file_of, read_int

        pid = container.attrs["State"].get("Pid") or 0
        peak_file = peak_file_of(pid) if pid else None
        if peak_file is not None:
            while not self._done.is_set():
                self._seen(read_int(peak_file))
                self._done.wait(PEAK_POLL_S)
            return
        with contextlib.suppress(Exception):
            for stats in client.api.stats(container.id, decode=True, stream=True):
                mem = stats.get("memory_stats") or {}
                self._seen(max(mem.get("max_usage", 0), mem.get("usage", 0)))
                if self._done.is_set():
                    return


def run_in_docker(spec: JobSpec, client: Any, image: str, echo: Echo) -> JobResult:
    """Run the job in a fresh container, then remove it whatever happens."""
    import docker.errors
    import requests.exceptions

    remove_stale(client, echo)
    mounts, inputs = _mounts(spec)
    tty = sys.stderr.isatty()
    env = {"HOME": "/tmp", "PYTHONUNBUFFERED": "1", **spec.job_env()}
    if spec.needs_network:
        env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
        env["HF_HOME"] = HF_CACHE_MOUNT
    if tty:
        env.update({"TERM": os.environ.get("TERM", "xterm"), "COLUMNS": str(os.get_terminal_size(2).columns)})
    container = client.containers.create(
        image,
        command=spec.tokenize_argv(inputs, OUT_MOUNT),
        user=f"{os.getuid()}:{os.getgid()}",
        mem_limit=spec.mem_bytes,
        memswap_limit=-1 if spec.allow_swap else spec.mem_bytes,  # -1 = unlimited swap
        network_mode=_network(client, spec),
        mounts=mounts,
        environment=env,
        labels={RUN_LABEL: "1", OWNER_LABEL: _owner()},
        init=True,
        tty=tty,
        working_dir="/tmp",
    )

    def wait(timeout: float | None) -> int | None:
        try:
            return int(container.wait(timeout=timeout)["StatusCode"])
        except requests.exceptions.ReadTimeout:
            return None
        except requests.exceptions.ConnectionError as err:
            if timeout is not None and "timed out" in str(err).lower():
                return None
            raise

    def send(signum: int) -> None:
        with contextlib.suppress(docker.errors.APIError):
            container.kill(signal=signal.Signals(signum).name)

    try:
        swap = "allowed" if spec.allow_swap else "off"
        echo(f"container {container.short_id} from {image}, cap {spec.mem_bytes} bytes, swap {swap}")
        stream = client.api.attach(container.id, stdout=True, stderr=True, stream=True, logs=True, demux=True)
        copier = threading.Thread(target=_copy_output, args=(stream,), daemon=True)
        copier.start()
        container.start()
        monitor = PeakMonitor(client, container)
        code = wait_or_stop(wait, send, echo)
        monitor.stop()
        copier.join(timeout=5)  # the rest of its output, then the stream ends
        container.reload()
        killed = bool(container.attrs["State"].get("OOMKilled"))
        oom = Oom.YES if killed else Oom.LIKELY if code == EXIT_SIGKILL else Oom.NO
        return JobResult(code, oom, monitor.peak)
    except (requests.exceptions.ConnectionError, docker.errors.APIError) as err:
        raise FwkitError(
            f"the Docker engine failed during the job ({str(err).splitlines()[0][:160]}); "
            f"what was checkpointed in {spec.out} is kept: resume with `{spec.resume_command()}`"
        ) from None
    finally:
        with contextlib.suppress(Exception):
            container.remove(force=True)
