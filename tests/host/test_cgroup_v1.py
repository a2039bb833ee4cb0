"""cgroup v1 layouts on a fake tree: sentinels, hierarchical limits, memsw, namespaces, CFS quota."""

from __future__ import annotations

import pytest

from fwkit.host.cgroup import UNLIMITED_MIN, read_cpu_quota, read_limit, read_memory

GiB = 1024**3
V1_SENTINEL = 9223372036854771712  # what v1 prints for "no limit" on x86-64


def v1_host(fake, own: str = "/job") -> None:
    fake.proc("5:cpu,cpuacct:" + own, "4:memory:" + own, "0::/")
    fake.mount("cgroup", "/", "/sys/fs/cgroup/memory", "rw,memory")
    fake.mount("cgroup", "/", "/sys/fs/cgroup/cpu,cpuacct", "rw,cpu,cpuacct")
    fake.mount("cgroup2", "/", "/sys/fs/cgroup/unified", "rw")
    fake.write("unified", {"cgroup.controllers": ""})


@pytest.mark.parametrize("text", [str(V1_SENTINEL), str(2**62), "max", "", "-1"])
def test_unlimited_values(tmp_path, text):
    (tmp_path / "limit").write_text(text + "\n")
    assert read_limit(tmp_path / "limit") is None


def test_a_real_limit_just_below_the_sentinel_range(tmp_path):
    (tmp_path / "limit").write_text(f"{UNLIMITED_MIN - 4096}\n")
    assert read_limit(tmp_path / "limit") == UNLIMITED_MIN - 4096


def test_own_limit_under_unlimited_root(fake):
    v1_host(fake)
    fake.write("memory", {"memory.limit_in_bytes": V1_SENTINEL})
    own = fake.write(
        "memory/job",
        {
            "memory.limit_in_bytes": 3 * GiB,
            "memory.usage_in_bytes": 300 * 2**20,
            "memory.stat": f"cache 5\ntotal_inactive_file {100 * 2**20}\nhierarchical_memory_limit {3 * GiB}\n",
        },
    )
    found = read_memory(fake.source)
    assert found is not None
    assert (found.version, found.path, found.limit_bytes, found.limit_path) == (1, own, 3 * GiB, own)
    assert found.usage_bytes == 200 * 2**20
    assert found.swap_allowed  # no memsw files: swap is not accounted (swapaccount=0)


def test_sentinel_everywhere_is_unlimited(fake):
    v1_host(fake)
    fake.write("memory", {"memory.limit_in_bytes": V1_SENTINEL})
    fake.write(
        "memory/job",
        {"memory.limit_in_bytes": V1_SENTINEL, "memory.stat": f"hierarchical_memory_limit {V1_SENTINEL}\n"},
    )
    found = read_memory(fake.source)
    assert found is not None and found.limit_bytes is None


def test_hierarchical_limit_of_an_invisible_ancestor(fake):
    """A container's mount root is its own cgroup; the kernel still reports the ancestors' cap in memory.stat."""
    fake.proc("4:memory:/docker/abc")
    fake.mount("cgroup", "/docker/abc", "/sys/fs/cgroup/memory", "rw,memory")
    fake.write(
        "memory",
        {
            "memory.limit_in_bytes": V1_SENTINEL,
            "memory.usage_in_bytes": 2**20,
            "memory.stat": f"hierarchical_memory_limit {2 * GiB}\nhierarchical_memsw_limit {2 * GiB}\n",
        },
    )
    found = read_memory(fake.source)
    assert found is not None
    assert found.path == fake.root / "memory"  # /docker/abc maps onto the mount itself
    assert found.limit_bytes == 2 * GiB and found.limit_path is None
    assert found.usage_bytes == 2**20
    assert not found.swap_allowed  # memsw == mem: no swap on top


def test_stricter_parent_and_memsw(fake):
    v1_host(fake, "/a/b")
    parent = fake.write("memory/a", {"memory.limit_in_bytes": GiB, "memory.memsw.limit_in_bytes": GiB + 512 * 2**20})
    fake.write("memory/a/b", {"memory.limit_in_bytes": 8 * GiB, "memory.memsw.limit_in_bytes": V1_SENTINEL})
    found = read_memory(fake.source)
    assert found is not None
    assert found.limit_bytes == GiB and found.limit_path == parent
    assert found.swap_limit_bytes == 512 * 2**20 and found.swap_allowed


def test_cfs_quota(fake):
    v1_host(fake, "/a")
    fake.write("cpu,cpuacct", {"cpu.cfs_quota_us": -1, "cpu.cfs_period_us": 100000})
    fake.write("cpu,cpuacct/a", {"cpu.cfs_quota_us": 250000, "cpu.cfs_period_us": 100000})
    assert read_cpu_quota(fake.source) == 2.5


def test_no_cfs_quota(fake):
    v1_host(fake, "/a")
    fake.write("cpu,cpuacct/a", {"cpu.cfs_quota_us": -1, "cpu.cfs_period_us": 100000})
    assert read_cpu_quota(fake.source) is None


def test_no_memory_controller_at_all(fake):
    fake.proc("1:name=systemd:/")
    fake.mount("cgroup", "/", "/sys/fs/cgroup/systemd", "rw,name=systemd")
    assert read_memory(fake.source) is None
