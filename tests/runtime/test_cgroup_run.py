"""`fwkit run --runtime cgroup` with real v1/v2 memory cgroups: same bytes as tokenize, OOM, cleanup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import assert_same_output, last_line

from fwkit.errors import EXIT_OOM
from fwkit.runtime.cgroup import NAME_RE, JobCgroup, find_hierarchy, remove_stale

pytestmark = [pytest.mark.root, pytest.mark.slow]


def _job_cgroups() -> set[str]:
    hierarchy = find_hierarchy()
    assert hierarchy is not None, "no memory cgroup hierarchy on this host"
    return {p.name for p in hierarchy.parent.iterdir() if NAME_RE.match(p.name)}


def test_cgroup_run_output_is_byte_identical_to_tokenize(
    run_cgroup: Any, corpus_file: Path, reference_shards: Path, tmp_path: Path
) -> None:
    before = _job_cgroups()
    out = tmp_path / "shards"
    done = run_cgroup("1G", "--", str(corpus_file), "--out", str(out), "--shard-tokens", "300K", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "runtime: cgroup" in done.stderr and "(v" in done.stderr
    assert "done (cgroup)" in done.stdout and "of the 1.0 GiB cap" in done.stdout
    assert_same_output(out, reference_shards)
    assert _job_cgroups() <= before, "the job's cgroup was left behind"


def test_cgroup_cap_too_small_is_reported_as_oom_with_exit_3(
    run_cgroup: Any, corpus_file: Path, tmp_path: Path
) -> None:
    before = _job_cgroups()
    done = run_cgroup("64M", "--force", "--", str(corpus_file), "--out", str(tmp_path / "shards"))
    assert done.returncode == EXIT_OOM, done.stderr
    last = last_line(done)
    assert "killed by the OOM killer at the 64.0 MiB cap after" in last
    assert "(peak 64.0 MiB)" in last  # the kernel's own peak counter, at the cap
    assert "resume with a larger cap: `fwkit run --mem 256M --runtime cgroup --force -- " in last
    assert sum(line.startswith("error:") for line in done.stderr.splitlines()) == 1, done.stderr  # one line per stop
    assert _job_cgroups() <= before, "the job's cgroup was left behind"


def test_stale_cgroup_of_a_dead_run_is_removed(root_user: None) -> None:
    """A cgroup named after a pid that no longer exists (fwkit run was kill -9ed) goes next time."""
    hierarchy = find_hierarchy()
    assert hierarchy is not None
    dead_pid = 2**22 + 1  # above Linux's largest pid_max (4,194,304 = 2**22): never alive
    stale = JobCgroup(hierarchy.parent / f"fwkit-run-{dead_pid}-abc123", hierarchy.version)
    stale.path.mkdir()
    mine = JobCgroup.create(hierarchy, 64 << 20, allow_swap=False)  # our pid: alive, kept
    try:
        lines: list[str] = []
        remove_stale(hierarchy, lines.append)
        assert not stale.path.exists()
        assert mine.path.exists()
        assert lines == [f"removing stale cgroup {stale.path}"]
    finally:
        mine.destroy()
        if stale.path.exists():
            stale.path.rmdir()
