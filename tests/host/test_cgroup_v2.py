"""cgroup v2 layouts on a fake tree: nested limits, `max`, missing files, namespaces, CPU quota."""

from __future__ import annotations

from fwkit.host.cgroup import locate, read_cpu_quota, read_memory

GiB = 1024**3


def v2_host(fake, own: str = "/user.slice/job") -> None:
    """A pure v2 host: cgroup2 at /sys/fs/cgroup with the memory and cpu controllers, we are in `own`."""
    fake.proc(f"0::{own}")
    fake.mount("cgroup2", "/", "/sys/fs/cgroup", "rw,nsdelegate")
    fake.write("", {"cgroup.controllers": "cpuset cpu io memory pids"})


def test_own_limit_and_usage(fake):
    v2_host(fake)
    fake.write("user.slice", {"memory.max": "max"})
    own = fake.write(
        "user.slice/job",
        {"memory.max": 3 * GiB, "memory.current": 500 * 2**20, "memory.stat": "anon 1\ninactive_file 100000000\n"},
    )
    found = read_memory(fake.source)
    assert found is not None
    assert (found.version, found.path, found.limit_bytes, found.limit_path) == (2, own, 3 * GiB, own)
    assert found.usage_bytes == 500 * 2**20 - 100_000_000  # inactive file cache is reclaimable
    assert found.headroom_bytes == 3 * GiB - found.usage_bytes
    assert found.swap_allowed and found.swap_limit_bytes is None  # no memory.swap.max: not accounted


def test_stricter_parent_wins(fake):
    v2_host(fake, "/a/b/c")
    parent = fake.write("a", {"memory.max": 1 * GiB, "memory.current": 2**20})
    fake.write("a/b", {"memory.max": "max"})
    fake.write("a/b/c", {"memory.max": 4 * GiB})
    found = read_memory(fake.source)
    assert found is not None
    assert found.limit_bytes == 1 * GiB
    assert found.limit_path == parent
    assert found.usage_bytes == 2**20  # the usage that counts against the cap in force: the parent's


def test_max_everywhere_is_unlimited(fake):
    v2_host(fake)
    fake.write("user.slice", {"memory.max": "max"})
    fake.write("user.slice/job", {"memory.max": "max", "memory.swap.max": "max"})
    found = read_memory(fake.source)
    assert found is not None
    assert found.limit_bytes is None and found.headroom_bytes is None and found.swap_limit_bytes is None


def test_missing_files_are_skipped(fake):
    v2_host(fake, "/a/b")
    fake.write("a", {"memory.max": 2 * GiB})  # no memory.current, no memory.stat
    fake.write("a/b", {})  # an empty directory: no memory.max here
    found = read_memory(fake.source)
    assert found is not None
    assert found.limit_bytes == 2 * GiB
    assert found.usage_bytes is None
    assert found.headroom_bytes == 2 * GiB


def test_swap_forbidden_by_a_parent(fake):
    v2_host(fake, "/a/b")
    fake.write("a", {"memory.swap.max": 0})
    fake.write("a/b", {"memory.max": GiB, "memory.swap.max": "max"})
    found = read_memory(fake.source)
    assert found is not None
    assert found.swap_limit_bytes == 0 and not found.swap_allowed


def test_namespaced_container_sees_itself_as_root(fake):
    """cgroupns: /proc/self/cgroup says `/`, the mount's root is the container's cgroup."""
    fake.proc("0::/")
    fake.mount("cgroup2", "/docker/abc123", "/sys/fs/cgroup", "rw")
    fake.write("", {"cgroup.controllers": "cpu memory", "memory.max": 3 * GiB, "cpu.max": "150000 100000"})
    found = read_memory(fake.source)
    assert found is not None
    assert found.path == fake.root and found.limit_bytes == 3 * GiB
    assert read_cpu_quota(fake.source) == 1.5


def test_path_missing_under_the_mount_maps_to_the_mount(fake):
    """No cgroupns: /proc/self/cgroup names the host path, which does not exist inside the container."""
    fake.proc("0::/kubepods/burstable/pod1/c1")
    fake.mount("cgroup2", "/", "/sys/fs/cgroup", "rw")
    fake.write("", {"cgroup.controllers": "memory", "memory.max": 512 * 2**20})
    found = read_memory(fake.source)
    assert found is not None
    assert found.path == fake.root and found.limit_bytes == 512 * 2**20


def test_longest_existing_tail_is_used(fake):
    fake.proc("0::/host/prefix/pod1/c1")
    fake.mount("cgroup2", "/", "/sys/fs/cgroup", "rw")
    fake.write("", {"cgroup.controllers": "memory"})
    own = fake.write("pod1/c1", {"memory.max": GiB})
    found = read_memory(fake.source)
    assert found is not None and found.path == own and found.limit_bytes == GiB


def test_unified_without_memory_controller_is_not_memory(fake):
    """A hybrid host's /sys/fs/cgroup/unified holds no controllers: no memory cgroup there."""
    fake.proc("0::/")
    fake.mount("cgroup2", "/", "/sys/fs/cgroup/unified", "rw")
    fake.write("unified", {"cgroup.controllers": "", "memory.max": GiB})
    assert locate("memory", fake.source) is None
    assert read_memory(fake.source) is None


def test_cpu_quota_smallest_up_the_tree(fake):
    v2_host(fake, "/a/b")
    fake.write("a", {"cpu.max": "50000 100000"})
    fake.write("a/b", {"cpu.max": "max 100000"})
    assert read_cpu_quota(fake.source) == 0.5


def test_no_cpu_quota(fake):
    v2_host(fake, "/a")
    fake.write("a", {"cpu.max": "max 100000"})
    assert read_cpu_quota(fake.source) is None


def test_no_mountinfo_falls_back_to_the_usual_layout(fake):
    fake.proc("0::/job")
    fake.write("", {"cgroup.controllers": "memory"})
    fake.write("job", {"memory.max": 2 * GiB})
    found = read_memory(fake.source)
    assert found is not None and found.version == 2 and found.limit_bytes == 2 * GiB
