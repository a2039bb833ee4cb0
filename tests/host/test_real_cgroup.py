"""On this host's real cgroups (v1, as root): the limit and quota a capped process really sees.

`fwkit doctor --json` runs as a subprocess that joins a fresh child memory cgroup before exec.
"""

from __future__ import annotations

import json
import sys

import pytest

from fwkit.errors import EXIT_ACTION_NEEDED, EXIT_OK

pytestmark = pytest.mark.root
MiB = 1024**2
GiB = 1024**3


def doctor_json(run_in, groups):
    done = run_in(groups, [sys.executable, "-m", "fwkit", "doctor", "--json"])
    return done.returncode, json.loads(done.stdout), done.stderr


def test_doctor_reports_the_exact_limit(cgroup_child, run_in):
    group = cgroup_child("memory", {"memory.limit_in_bytes": 3 * GiB})
    code, doc, err = doctor_json(run_in, [group])
    assert doc["memory"]["limit_bytes"] == 3 * GiB, err
    assert doc["memory"]["cgroup_path"] == str(group)
    assert 0 < doc["memory"]["cgroup_usage_bytes"] < 3 * GiB
    assert doc["plan"]["mode"] == "streaming"  # ~430 MiB for 2 workers fits under 3 GiB
    assert code == EXIT_OK


def test_limit_below_the_job_is_not_streaming(cgroup_child, run_in):
    group = cgroup_child("memory", {"memory.limit_in_bytes": 256 * MiB})  # the smallest job needs ~272 MiB
    code, doc, err = doctor_json(run_in, [group])
    assert doc["memory"]["limit_bytes"] == 256 * MiB, err
    assert doc["plan"]["limit_bytes"] < doc["plan"]["need_bytes"]
    assert doc["plan"]["mode"] in ("swap", "cloud")
    assert code == EXIT_ACTION_NEEDED


def test_swap_forbidden_by_memsw_means_cloud(cgroup_child, run_in):
    group = cgroup_child("memory", {"memory.limit_in_bytes": 256 * MiB})
    (group / "memory.memsw.limit_in_bytes").write_text(f"{256 * MiB}\n")  # memsw == mem: no swap
    code, doc, err = doctor_json(run_in, [group])
    assert doc["memory"]["swap_allowed"] is False, err
    assert doc["plan"]["mode"] == "cloud"
    assert code == EXIT_ACTION_NEEDED


def test_cfs_quota_reduces_usable_cpus(cgroup_child, run_in):
    group = cgroup_child("cpu", {"cpu.cfs_period_us": 100000, "cpu.cfs_quota_us": 50000})  # half a CPU
    code = "from fwkit.host import cpu, cgroup; print(cpu.usable_cpus(), cgroup.cpu_quota())"
    done = run_in([group], [sys.executable, "-c", code])
    assert done.stdout.split() == ["1", "0.5"], done.stderr
