"""The native runtime: a memory cgroup of our own (v1 or v2, as root) or a systemd user scope.

    fwkit run --runtime cgroup --mem 16G train.txt --out shards

As root, a child cgroup `fwkit-run-<pid>-<rand>` gets the cap (v1: `memory.limit_in_bytes` and
`memory.memsw.limit_in_bytes`, so no swap; v2: `memory.max` and `memory.swap.max`), the job
joins it between fork and exec, and after the job its OOM-kill counter and peak are read and the
cgroup is removed, leftover processes killed first. A non-root user on systemd gets
`systemd-run --user --scope -p MemoryMax=...`, which has no OOM counter we can read: exit 137
there is reported as "most likely" an OOM kill.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fwkit.errors import FwkitError
from fwkit.runtime.job import EXIT_SIGKILL, JobResult, JobSpec, Oom
from fwkit.runtime.process import pid_alive, run_process, tokenize_command
from fwkit.runtime.stop import Echo

NAME_RE = re.compile(r"^fwkit-run-(\d+)-[0-9a-f]+$")
EMPTY_WAIT_S = 5.0  # after SIGKILL, time for leftover processes to leave the cgroup


@dataclass(frozen=True)
class Hierarchy:
    """Where the memory controller is mounted, its version, and the directory for our cgroups."""

    version: int  # 1 or 2
    mount: Path
    parent: Path  # job cgroups are created here


def find_hierarchy() -> Hierarchy | None:
    """The memory controller's hierarchy as `fwkit.host.cgroup` finds it (v1 first on hybrid hosts)."""
    from fwkit.host.cgroup import locate

    found = locate("memory")
    if found is None:
        return None
    # v2 forbids processes in a cgroup whose children have controllers: make ours beside our own.
    parent = found.own if found.version == 1 or found.own == found.mount else found.own.parent
    if not os.access(parent, os.W_OK):
        parent = found.mount
    return Hierarchy(found.version, found.mount, parent)


def peak_file_of(pid: int) -> Path | None:
    """The peak-memory file of the cgroup `pid` runs in (e.g. a container's), None if unreadable."""
    from fwkit.host.cgroup import CgroupSource, locate

    found = locate("memory", CgroupSource(proc_cgroup=Path(f"/proc/{pid}/cgroup")))
    if found is None or found.own == found.mount:  # gone, or the root's host-wide counter: not the job's
        return None
    peak = found.own / ("memory.max_usage_in_bytes" if found.version == 1 else "memory.peak")
    return peak if peak.exists() else None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def read_int(path: Path) -> int | None:
    text = _read(path).strip()
    return int(text) if text.isdigit() else None


def _counter(text: str, key: str) -> int:
    """`key N` from memory.oom_control / memory.events."""
    match = re.search(rf"^{key} (\d+)$", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class JobCgroup:
    path: Path
    version: int

    @classmethod
    def create(cls, hierarchy: Hierarchy, mem_bytes: int, allow_swap: bool) -> JobCgroup:
        path = hierarchy.parent / f"fwkit-run-{os.getpid()}-{secrets.token_hex(3)}"
        try:
            path.mkdir()
        except OSError as err:
            raise FwkitError(
                f"cannot create cgroup {path}: {err.strerror}; run as root or use --runtime docker"
            ) from None
        group = cls(path, hierarchy.version)
        try:
            group._limit(mem_bytes, allow_swap)
        except OSError as err:
            group.destroy()
            raise FwkitError(f"cannot set the memory cap in {path}: {err.strerror}") from None
        return group

    def _limit(self, mem_bytes: int, allow_swap: bool) -> None:
        if self.version == 1:
            (self.path / "memory.limit_in_bytes").write_text(str(mem_bytes))
            memsw = self.path / "memory.memsw.limit_in_bytes"  # only with swap accounting
            if not allow_swap and memsw.exists():
                memsw.write_text(str(mem_bytes))  # memory + swap = memory: no swap
            elif not allow_swap:
                (self.path / "memory.swappiness").write_text("0")
        else:
            (self.path / "memory.max").write_text(str(mem_bytes))
            swap = self.path / "memory.swap.max"
            if not allow_swap and swap.exists():
                swap.write_text("0")

    def enter_from_child(self) -> None:
        """Move the calling process into the cgroup (runs between fork and exec: raw os calls)."""
        fd = os.open(self.path / "cgroup.procs", os.O_WRONLY)
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)

    def oom_kills(self) -> int:
        if self.version == 1:
            return _counter(_read(self.path / "memory.oom_control"), "oom_kill")
        return _counter(_read(self.path / "memory.events"), "oom_kill")

    def peak_bytes(self) -> int | None:
        return read_int(self.path / ("memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"))

    def pids(self) -> list[int]:
        return [int(p) for p in _read(self.path / "cgroup.procs").split()]

    def destroy(self) -> None:
        """Kill whatever is left in the cgroup (orphaned workers), then remove it."""
        deadline = time.monotonic() + EMPTY_WAIT_S
        while True:
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise FwkitError(f"cannot remove cgroup {self.path}: processes {self.pids()} remain") from None
                time.sleep(0.05)


def remove_stale(hierarchy: Hierarchy, echo: Echo) -> None:
    """Remove job cgroups whose `fwkit run` died (e.g. `kill -9`), killing what is left inside."""
    for path in hierarchy.parent.iterdir() if hierarchy.parent.is_dir() else ():
        match = NAME_RE.match(path.name)
        if match and path.is_dir() and not pid_alive(int(match.group(1))):
            echo(f"removing stale cgroup {path}")
            JobCgroup(path, hierarchy.version).destroy()


@contextlib.contextmanager
def job_cgroup(hierarchy: Hierarchy, mem_bytes: int, allow_swap: bool) -> Iterator[JobCgroup]:
    group = JobCgroup.create(hierarchy, mem_bytes, allow_swap)
    try:
        yield group
    finally:
        group.destroy()


def systemd_scope_available() -> bool:
    """`systemd-run --user` can make scopes: a user manager is running for this user."""
    if shutil.which("systemd-run") is None or shutil.which("systemctl") is None:
        return False
    state = subprocess.run(
        ["systemctl", "--user", "is-system-running"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return state in ("running", "degraded")


def native_cap(hierarchy: Hierarchy | None) -> str | None:
    """How this host can cap memory natively: "cgroup v1", "cgroup v2", "systemd scope", or None."""
    if hierarchy is not None and os.geteuid() == 0:
        return f"cgroup v{hierarchy.version}"
    if os.geteuid() != 0 and systemd_scope_available():
        return "systemd scope"
    return None


def run_in_cgroup(spec: JobSpec, echo: Echo) -> JobResult:
    """Run the job under a native memory cap and read back how it ended."""
    hierarchy = find_hierarchy()
    how = native_cap(hierarchy)
    argv = tokenize_command(spec.tokenize_argv())
    if how is None:
        raise FwkitError(
            "no native memory cap here: needs root with a memory cgroup, or systemd-run --user; "
            "use --runtime docker, or --runtime none to run uncapped"
        )
    if how == "systemd scope":
        swap = [] if spec.allow_swap else ["-p", "MemorySwapMax=0"]
        scope = ["systemd-run", "--user", "--scope", "--quiet", "--collect", "-p", f"MemoryMax={spec.mem_bytes}"]
        code = run_process([*scope, *swap, "--", *argv], echo, spec.job_env())
        return JobResult(code, Oom.LIKELY if code == EXIT_SIGKILL else Oom.NO, None)
    assert hierarchy is not None
    remove_stale(hierarchy, echo)
    with job_cgroup(hierarchy, spec.mem_bytes, spec.allow_swap) as group:
        echo(f"cgroup {group.path} (v{group.version}), cap {spec.mem_bytes} bytes")
        code = run_process(argv, echo, spec.job_env(), enter=group.enter_from_child)
        oom = Oom.YES if group.oom_kills() > 0 else Oom.NO
        return JobResult(code, oom, group.peak_bytes())
