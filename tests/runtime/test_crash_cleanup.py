"""`kill -9` of `fwkit run` itself: the job still stops cleanly, and the next run removes the leftovers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwkit.runtime.cgroup import NAME_RE, find_hierarchy
from fwkit.runtime.container import OWNER_LABEL

pytestmark = [pytest.mark.slow]


def _start(*args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "fwkit", "run", *args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


def _until(what: str, check: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _checkpointed(out: Path) -> bool:
    manifest = out / "manifest.json"
    return manifest.exists() and json.loads(manifest.read_text()).get("tokens", 0) > 0


@pytest.mark.docker
def test_container_of_a_killed_fwkit_run_is_removed_by_the_next_run(
    fwkit: Any, docker_client: Any, job_image: str, prose_file: Path, corpus_file: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    proc = _start("--mem", "1G", "--runtime", "docker", "--image", job_image, "--",
                  str(prose_file), "--out", str(big), "--workers", "1", "--shard-tokens", "1M")  # fmt: skip

    def orphans() -> list[Any]:
        found = docker_client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}"})
        return [c for c in found if c.labels[OWNER_LABEL].endswith(f":{proc.pid}")]

    _until("the job's container", lambda: bool(orphans()))
    proc.kill()  # fwkit run dies without any cleanup
    proc.wait()
    assert orphans(), "nothing left behind to clean: the test proves nothing"
    done = fwkit("run", "--mem", "1G", "--runtime", "docker", "--image", job_image, "--",
                 str(corpus_file), "--out", str(tmp_path / "small"), "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "removing stale fwkit container" in done.stderr
    assert orphans() == []


@pytest.mark.root
def test_job_of_a_killed_fwkit_run_checkpoints_and_its_cgroup_is_removed(
    fwkit: Any, root_user: None, prose_file: Path, corpus_file: Path, tmp_path: Path
) -> None:
    hierarchy = find_hierarchy()
    assert hierarchy is not None
    big = tmp_path / "big"
    proc = _start("--mem", "1G", "--runtime", "cgroup", "--",
                  str(prose_file), "--out", str(big), "--workers", "1", "--shard-tokens", "1M")  # fmt: skip

    def own_cgroups() -> list[Path]:
        return [
            p for p in hierarchy.parent.iterdir() if NAME_RE.match(p.name) and p.name.split("-")[2] == str(proc.pid)
        ]

    _until("a first checkpoint", lambda: _checkpointed(big))
    (group,) = own_cgroups()
    proc.kill()
    proc.wait()
    # The parent-death signal (SIGTERM) makes tokenize checkpoint and exit: the cgroup empties.
    _until("the job to exit", lambda: (group / "cgroup.procs").read_text().strip() == "", timeout=60)
    assert json.loads((big / "manifest.json").read_text())["complete"] is False
    assert own_cgroups() == [group], "the stale cgroup should still be there before the next run"
    done = fwkit("run", "--mem", "1G", "--runtime", "cgroup", "--",
                 str(corpus_file), "--out", str(tmp_path / "small"), "--quiet")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"removing stale cgroup {group}" in done.stderr
    assert own_cgroups() == []
