"""`kill -9` of `fwkit run` itself: the job still stops cleanly, and the next run removes the leftovers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import checkpointed, manifest, start_run, wait_until

from fwkit.runtime.cgroup import NAME_RE, find_hierarchy
from fwkit.runtime.container import OWNER_LABEL

pytestmark = [pytest.mark.slow]


def _long_job(src: Path, out: Path) -> list[str]:
    """Tokenize args for a job that runs for seconds and checkpoints every 1M tokens."""
    return ["--", str(src), "--out", str(out), "--workers", "1", "--shard-tokens", "1M"]


@pytest.mark.docker
def test_container_of_a_killed_fwkit_run_is_removed_by_the_next_run(
    run_docker: Any, docker_client: Any, job_image: str, prose_file: Path, corpus_file: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    proc = start_run("--mem", "1G", "--runtime", "docker", "--image", job_image, *_long_job(prose_file, big))

    def orphans() -> list[Any]:
        found = docker_client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}"})
        return [c for c in found if c.labels[OWNER_LABEL].endswith(f":{proc.pid}")]

    wait_until("the job's container", lambda: bool(orphans()))
    proc.kill()  # fwkit run dies without any cleanup
    proc.wait()
    assert orphans(), "nothing left behind to clean: the test proves nothing"
    done = run_docker("1G", "--", str(corpus_file), "--out", str(tmp_path / "small"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "removing stale fwkit container" in done.stderr
    assert orphans() == []


@pytest.mark.root
def test_job_of_a_killed_fwkit_run_checkpoints_and_its_cgroup_is_removed(
    run_cgroup: Any, prose_file: Path, corpus_file: Path, tmp_path: Path
) -> None:
    hierarchy = find_hierarchy()
    assert hierarchy is not None
    big = tmp_path / "big"
    proc = start_run("--mem", "1G", "--runtime", "cgroup", *_long_job(prose_file, big))

    def own_cgroups() -> list[Path]:
        return [
            p for p in hierarchy.parent.iterdir() if NAME_RE.match(p.name) and p.name.split("-")[2] == str(proc.pid)
        ]

    wait_until("a first checkpoint", lambda: checkpointed(big))
    (group,) = own_cgroups()
    proc.kill()
    proc.wait()
    # The parent-death signal (SIGTERM) makes tokenize checkpoint and exit: the cgroup empties.
    wait_until("the job to exit", lambda: (group / "cgroup.procs").read_text().strip() == "", timeout=60)
    assert manifest(big)["complete"] is False
    assert own_cgroups() == [group], "the stale cgroup should still be there before the next run"
    done = run_cgroup("1G", "--", str(corpus_file), "--out", str(tmp_path / "small"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"removing stale cgroup {group}" in done.stderr
    assert own_cgroups() == []
