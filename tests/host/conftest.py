"""Fake cgroup trees (/sys/fs/cgroup, /proc/self/cgroup, mountinfo under tmp_path) and real v1 child cgroups."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fwkit.host.cgroup import CgroupSource


class FakeCgroups:
    """Write the files one test needs; `source` points the readers at them."""

    def __init__(self, base: Path) -> None:
        self.root = base / "sys-fs-cgroup"
        self.root.mkdir()
        self.source = CgroupSource(root=self.root, proc_cgroup=base / "cgroup", mountinfo=base / "mountinfo")
        self.source.mountinfo.write_text("")

    def proc(self, *lines: str) -> None:
        self.source.proc_cgroup.write_text("".join(f"{line}\n" for line in lines))

    def mount(self, fstype: str, mount_root: str, point: str, opts: str) -> None:
        """One mountinfo line, e.g. mount("cgroup", "/", "/sys/fs/cgroup/memory", "rw,memory")."""
        n = len(self.source.mountinfo.read_text().splitlines()) + 30
        line = f"{n} 23 0:{n} {mount_root} {point} rw,nosuid,nodev,noexec,relatime - {fstype} {fstype} {opts}\n"
        with self.source.mountinfo.open("a") as f:
            f.write(line)

    def write(self, rel: str, files: dict[str, object]) -> Path:
        """Files in the directory `rel` under the fake /sys/fs/cgroup, e.g. {"memory.max": "max"}."""
        directory = self.root / rel
        directory.mkdir(parents=True, exist_ok=True)
        for name, value in files.items():
            (directory / name).write_text(f"{value}\n")
        return directory


@pytest.fixture
def fake(tmp_path: Path) -> FakeCgroups:
    return FakeCgroups(tmp_path)


CGROUP_V1 = Path("/sys/fs/cgroup")


def need_root_v1(controller: str) -> Path:
    """The real v1 hierarchy of `controller`; skip (fail in CI, which runs as root on v1) without it."""
    mount = CGROUP_V1 / controller
    if os.geteuid() == 0 and (mount / "cgroup.procs").exists():
        return mount
    reason = f"needs root and a cgroup v1 {controller} hierarchy at {mount}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run runs the tests as root on this v1 host)")
    pytest.skip(reason)


@pytest.fixture
def cgroup_child() -> Iterator[Callable[[str, dict[str, object]], Path]]:
    """Make real child cgroups `fwkit-test-<random>` with the given files; removed afterwards, always."""
    made: list[Path] = []

    def make(controller: str, files: dict[str, object]) -> Path:
        path = need_root_v1(controller) / f"fwkit-test-{secrets.token_hex(4)}"
        path.mkdir()
        made.append(path)
        for name, value in files.items():
            (path / name).write_text(f"{value}\n")
        return path

    yield make
    for path in reversed(made):
        for _ in range(50):  # a process that just exited may still be leaving the cgroup
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.1)


def _run_in(groups: list[Path], argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run `argv` with the child joining `groups` between fork and exec, so all of it runs capped."""

    def join() -> None:
        for group in groups:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    return subprocess.run(argv, preexec_fn=join, capture_output=True, text=True, timeout=60)


@pytest.fixture
def run_in() -> Callable[[list[Path], list[str]], subprocess.CompletedProcess[str]]:
    return _run_in
