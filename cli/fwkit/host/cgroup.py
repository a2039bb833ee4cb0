"""The memory and CPU limits the kernel enforces on this process, read from its cgroups (v1 or v2).

`free` shows the host's RAM; a container or a systemd slice can be capped far below it, and the
OOM killer acts on that cap. This module finds the cap in force:

- which hierarchy holds the controller: /proc/self/cgroup (`4:memory:/a/b` for v1, `0::/a/b` for
  v2) and /proc/self/mountinfo (where it is mounted, and the mount's root: inside a cgroup
  namespace or a container the mount's root is our own cgroup, so `/a/b` maps to the mount itself);
- the limit at every level from our cgroup up to the mount, the smallest wins (a parent's limit
  covers its children), plus v1's `hierarchical_memory_limit`, which sees ancestors outside the mount.

    python -c "from fwkit.host.cgroup import read_memory; print(read_memory())"

Standard library only: the tokenizer imports `memory_limit_bytes` to size itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SYS_CGROUP = Path("/sys/fs/cgroup")
# v1 writes "no limit" as PAGE_COUNTER_MAX pages: (2**63 - 1) rounded down to 4 KiB pages =
# 9223372036854771712 on x86-64 (other page sizes round differently). No real cap is >= 2**62 (4 EiB).
UNLIMITED_MIN = 2**62


@dataclass(frozen=True)
class CgroupSource:
    """Where the kernel's files are: the real ones, or a fake tree in tests."""

    root: Path = SYS_CGROUP
    proc_cgroup: Path = Path("/proc/self/cgroup")
    mountinfo: Path = Path("/proc/self/mountinfo")

    def mapped(self, mount_point: str) -> Path:
        """A mount point from mountinfo, moved under `root` when `root` stands in for /sys/fs/cgroup."""
        path = Path(mount_point)
        return self.root / path.relative_to(SYS_CGROUP) if path.is_relative_to(SYS_CGROUP) else path


@dataclass(frozen=True)
class Controller:
    """A controller's hierarchy as this process sees it: version, mount directory, our cgroup's directory."""

    version: int  # 1 or 2
    mount: Path
    own: Path

    def walk(self) -> list[Path]:
        """Our cgroup's directory, then each parent up to the mount (inclusive)."""
        dirs = [self.own]
        while dirs[-1] != self.mount and self.mount in dirs[-1].parents:
            dirs.append(dirs[-1].parent)
        return dirs


@dataclass(frozen=True)
class MemoryCgroup:
    """The memory cap in force for this process, and what its cgroup already uses."""

    version: int
    path: Path  # our cgroup's directory
    limit_bytes: int | None  # None: no cap at any level
    limit_path: Path | None  # the directory whose cap is in force (None: an ancestor outside the mount)
    usage_bytes: int | None  # that cgroup's working set: usage minus inactive file cache, which is reclaimable
    swap_limit_bytes: int | None  # swap it may use on top of memory: None unlimited, 0 forbidden

    @property
    def swap_allowed(self) -> bool:
        return self.swap_limit_bytes != 0

    @property
    def headroom_bytes(self) -> int | None:
        """The cap minus what is already used under it (None when there is no cap)."""
        if self.limit_bytes is None:
            return None
        return max(0, self.limit_bytes - (self.usage_bytes or 0))


def read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def read_limit(path: Path) -> int | None:
    """A limit file: an integer, `max` (v2) or a huge v1 sentinel. None for no limit or no file."""
    text = (read_text(path) or "").strip()
    if not text.lstrip("-").isdigit():
        return None  # "max", empty, missing
    value = int(text)
    return None if value < 0 or value >= UNLIMITED_MIN else value


def stat_value(path: Path, key: str) -> int | None:
    """`key N` from a memory.stat-style file."""
    for line in (read_text(path) or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return None


def _smallest(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _own_dir(mount: Path, mount_root: str, cgroup_path: str) -> Path:
    """Map our cgroup path onto the mount. Inside a namespace or a container the path may be `/` or
    not exist under the mount: then the longest existing tail, else the mount itself."""
    root = mount_root.rstrip("/") or "/"
    if cgroup_path == root or cgroup_path.startswith(root.rstrip("/") + "/"):
        rel = os.path.relpath(cgroup_path, root)
        candidate = mount if rel == "." else mount / rel
        if candidate.is_dir():
            return candidate
    parts = [p for p in cgroup_path.split("/") if p and p != ".."]
    for i in range(len(parts)):
        candidate = mount.joinpath(*parts[i:])
        if candidate.is_dir():
            return candidate
    return mount


def _mounts(source: CgroupSource) -> list[tuple[str, str, str, list[str]]]:
    """(fstype, mount root, mount point, super options) of every cgroup mount in mountinfo."""
    found = []
    for line in (read_text(source.mountinfo) or "").splitlines():
        pre, _, post = line.partition(" - ")
        fields, tail = pre.split(), post.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((tail[0], fields[3], fields[4], tail[2].split(",")))
    return found


def locate(controller: str, source: CgroupSource | None = None) -> Controller | None:
    """Where `controller` (`memory`, `cpu`) is for this process; v1 first (hybrid hosts keep it there)."""
    source = source or CgroupSource()
    v1_paths: dict[str, str] = {}
    v2_path = None
    for line in (read_text(source.proc_cgroup) or "").splitlines():
        hier_id, _, rest = line.partition(":")
        names, _, path = rest.partition(":")
        if hier_id == "0" and names == "":
            v2_path = path
        for name in names.split(","):
            v1_paths[name] = path
    mounts = _mounts(source)
    if not mounts:  # no mountinfo (a bare fake tree): the usual layout under root
        mounts = [("cgroup", "/", str(SYS_CGROUP / controller), [controller]), ("cgroup2", "/", str(SYS_CGROUP), [])]
    if controller in v1_paths:
        for fstype, root, point, opts in mounts:
            if fstype == "cgroup" and controller in opts:
                mount = source.mapped(point)
                return Controller(1, mount, _own_dir(mount, root, v1_paths[controller]))
    if v2_path is not None:
        for fstype, root, point, _ in mounts:
            mount = source.mapped(point)
            if fstype == "cgroup2" and controller in (read_text(mount / "cgroup.controllers") or "").split():
                return Controller(2, mount, _own_dir(mount, root, v2_path))
    return None


def _working_set(directory: Path, version: int) -> int | None:
    usage_file, inactive_key = (
        ("memory.usage_in_bytes", "total_inactive_file") if version == 1 else ("memory.current", "inactive_file")
    )
    usage = read_limit(directory / usage_file)
    if usage is None:
        return None
    return max(0, usage - (stat_value(directory / "memory.stat", inactive_key) or 0))


def read_memory(source: CgroupSource | None = None) -> MemoryCgroup | None:
    """The memory cap in force for this process (None when no memory controller is visible)."""
    found = locate("memory", source)
    if found is None:
        return None
    levels: list[tuple[Path | None, int | None, int | None]] = []  # (dir, memory cap, swap allowance)
    for directory in found.walk():
        if found.version == 1:
            mem = read_limit(directory / "memory.limit_in_bytes")
            memsw = read_limit(directory / "memory.memsw.limit_in_bytes")
            swap = memsw - mem if memsw is not None and mem is not None else None
        else:
            mem = read_limit(directory / "memory.max")
            swap = read_limit(directory / "memory.swap.max")
        levels.append((directory, mem, swap))
    if found.version == 1:  # ancestors outside our mount still count; the kernel sums them up here
        stat = found.own / "memory.stat"
        hier_mem = stat_value(stat, "hierarchical_memory_limit")
        hier_mem = hier_mem if hier_mem is not None and hier_mem < UNLIMITED_MIN else None
        hier_sw = stat_value(stat, "hierarchical_memsw_limit")
        hier_sw = hier_sw if hier_sw is not None and hier_sw < UNLIMITED_MIN else None
        levels.append((None, hier_mem, hier_sw - hier_mem if hier_sw is not None and hier_mem is not None else None))
    limit = _smallest([mem for _, mem, _ in levels])
    limit_path = next((d for d, mem, _ in levels if mem is not None and mem == limit), None) if limit else None
    usage = _working_set(limit_path or found.own, found.version)
    swap_limit = _smallest([max(0, sw) if sw is not None else None for _, _, sw in levels])
    return MemoryCgroup(found.version, found.own, limit, limit_path, usage, swap_limit)


def read_cpu_quota(source: CgroupSource | None = None) -> float | None:
    """The CPU quota in force in CPUs (e.g. 1.5), the smallest up the hierarchy; None when unlimited."""
    found = locate("cpu", source)
    if found is None:
        return None
    quotas: list[float | None] = []
    for directory in found.walk():
        if found.version == 1:
            quota = read_limit(directory / "cpu.cfs_quota_us")  # -1: no quota
            period = read_limit(directory / "cpu.cfs_period_us")
        else:
            fields = (read_text(directory / "cpu.max") or "").split()  # "max 100000" or "150000 100000"
            quota = int(fields[0]) if len(fields) == 2 and fields[0].isdigit() else None
            period = int(fields[1]) if len(fields) == 2 and fields[1].isdigit() else None
        quotas.append(quota / period if quota and period else None)
    present = [q for q in quotas if q is not None]
    return min(present) if present else None


def memory_limit_bytes() -> int | None:
    """The memory limit in force for this process, None when unlimited (or no cgroup is visible)."""
    found = read_memory()
    return found.limit_bytes if found else None


def cpu_quota() -> float | None:
    """The cgroup CPU quota in CPUs, None when unlimited."""
    return read_cpu_quota()
