"""scripts/swap_setup.sh against real swap files (root, ext4 under /var/tmp): create, rerun, resize,
remove, fstab, sysctl, dry run, the refusals (exit 2, nothing changed) and the undo on failure.

    sudo python -m pytest tests/swap -q
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess

import pytest

from swap.swapfiles import NOBODY, SCRIPT, SWAPPINESS, SwapSandbox, active_kib

pytestmark = [pytest.mark.root, pytest.mark.slow]

MiB_KIB = 1024  # /proc/swaps counts KiB
PAGE_KIB = 4  # mkswap's header page is not swap space: 64 MiB file -> 65532 KiB listed


def _commands(out: str) -> list[str]:
    """The actions the script printed (`+ cmd` lines)."""
    return [line[2:] for line in out.splitlines() if line.startswith("+ ")]


def test_create_rerun_resize_remove(sandbox: SwapSandbox) -> None:
    p = str(sandbox.path)
    made = sandbox.run("--size", "64M", "--path", p)
    assert made.returncode == 0, made.stderr
    assert active_kib(sandbox.path) == 64 * MiB_KIB - PAGE_KIB
    assert sandbox.path.stat().st_mode & 0o777 == 0o600
    assert [c.split()[0] for c in _commands(made.stdout)] == ["fallocate", "chmod", "mkswap", "mv", "swapon", "grep"]
    before = sandbox.path.stat()

    again = sandbox.run("--size", "64M", "--path", p)
    assert again.returncode == 0, again.stderr
    assert _commands(again.stdout) == []
    after = sandbox.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    resized = sandbox.run("--size", "96M", "--path", p)
    assert resized.returncode == 0, resized.stderr
    assert active_kib(sandbox.path) == 96 * MiB_KIB - PAGE_KIB
    assert sandbox.files() == ["swapfile", "sysctl.d"]  # no .fwkit-new / .fwkit-old left

    removed = sandbox.run("--remove", "--path", p)
    assert removed.returncode == 0, removed.stderr
    assert active_kib(sandbox.path) is None
    assert not sandbox.path.exists()
    assert sandbox.run("--remove", "--path", p).returncode == 0  # nothing left to remove: still fine


def test_inactive_swap_file_is_turned_back_on(sandbox: SwapSandbox) -> None:
    """After a reboot without --persist the file is still a swap area: swapon it, do not rebuild it."""
    assert sandbox.run("--size", "64M", "--path", str(sandbox.path)).returncode == 0
    subprocess.run(["swapoff", str(sandbox.path)], check=True)
    inode = sandbox.path.stat().st_ino
    again = sandbox.run("--size", "64M", "--path", str(sandbox.path))
    assert again.returncode == 0, again.stderr
    assert [c.split()[0] for c in _commands(again.stdout)] == ["chmod", "swapon"]
    assert active_kib(sandbox.path) == 64 * MiB_KIB - PAGE_KIB
    assert sandbox.path.stat().st_ino == inode


def test_persist_twice_writes_one_line_and_remove_drops_only_it(sandbox: SwapSandbox) -> None:
    other = "UUID=1234 / ext4 defaults 0 1\n"
    sandbox.fstab.write_text(other)
    args = ["--size", "64M", "--path", str(sandbox.path), "--persist", "--fstab", str(sandbox.fstab)]
    for _ in range(2):
        result = sandbox.run(*args)
        assert result.returncode == 0, result.stderr
    line = f"{sandbox.path} none swap sw 0 0\n"
    assert sandbox.fstab.read_text() == other + line
    assert sandbox.run("--remove", "--path", str(sandbox.path), "--fstab", str(sandbox.fstab)).returncode == 0
    assert sandbox.fstab.read_text() == other
    assert active_kib(sandbox.path) is None


def test_swappiness_drop_in_and_sysctl(sandbox: SwapSandbox) -> None:
    want = 7 if SWAPPINESS.read_text().strip() != "7" else 8
    args = ["--size", "64M", "--path", str(sandbox.path), "--swappiness", str(want)]
    result = sandbox.run(*args, "--sysctl-dir", str(sandbox.sysctl_dir))
    assert result.returncode == 0, result.stderr
    assert (sandbox.sysctl_dir / "99-fwkit-swap.conf").read_text() == f"vm.swappiness = {want}\n"
    assert SWAPPINESS.read_text().strip() == str(want)
    again = sandbox.run(*args, env={"FWKIT_SYSCTL_DIR": str(sandbox.sysctl_dir)})  # the env var names it too
    assert again.returncode == 0 and _commands(again.stdout) == []


def test_dry_run_changes_nothing(sandbox: SwapSandbox) -> None:
    sandbox.fstab.write_text("# empty\n")
    result = sandbox.run(
        "--size", "64M", "--path", str(sandbox.path), "--persist", "--fstab", str(sandbox.fstab),
        "--swappiness", "1", "--sysctl-dir", str(sandbox.sysctl_dir), "--dry-run",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    commands = _commands(result.stdout)
    assert any(c.startswith("mkswap ") for c in commands) and any(c.startswith("swapon ") for c in commands)
    assert any("sysctl -q -w vm.swappiness=1" in c for c in commands)
    assert sandbox.files() == ["fstab", "sysctl.d"]
    assert sandbox.fstab.read_text() == "# empty\n"
    assert list(sandbox.sysctl_dir.iterdir()) == []
    assert active_kib(sandbox.path) is None
    assert SWAPPINESS.read_text().strip() == sandbox.swappiness


def test_refuses_without_root(sandbox: SwapSandbox) -> None:
    copy = sandbox.dir / "swap_setup.sh"  # the checkout may not be readable by nobody
    shutil.copy(SCRIPT, copy)
    result = subprocess.run(
        [*NOBODY, "bash", str(copy), "--size", "64M", "--path", str(sandbox.path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: swap needs root: rerun with sudo (or add --dry-run to preview)"
    ]
    assert not sandbox.path.exists()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--size", "100T"], {}, "not enough free disk on"),
        (["--size", "12X"], {}, "is not a size"),
        (["--size", "0"], {}, "is not a size"),
        (["--size", "999999999999T"], {}, "is not a size"),  # would overflow 64-bit arithmetic
        (["--size", "64M", "--swappiness", "300"], {}, "must be 0..200"),
        (["--size", "64M"], {"FWKIT_SWAP_FSTYPE_OVERRIDE": "zfs"}, "is on ZFS, which cannot hold swap files"),
        (["--size", "64M", "--bogus"], {}, "unknown option '--bogus'"),
        (["--size"], {}, "--size needs a value"),
    ],
)
def test_refusals_exit_2_and_change_nothing(
    sandbox: SwapSandbox, args: list[str], env: dict[str, str], message: str
) -> None:
    result = sandbox.run(*args, "--path", str(sandbox.path), env=env) if args != ["--size"] else sandbox.run(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert result.stdout == ""
    assert sandbox.files() == ["sysctl.d"]


def test_refusal_reports_free_and_needed(sandbox: SwapSandbox) -> None:
    result = sandbox.run("--size", "100T", "--path", str(sandbox.path))
    assert "GiB free, 102401.0 GiB needed (102400.0 GiB swap + 1.0 GiB margin)" in result.stderr


def test_refuses_a_second_run_in_the_same_directory(sandbox: SwapSandbox) -> None:
    fd = os.open(sandbox.dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a first run holds while it works
        result = sandbox.run("--size", "64M", "--path", str(sandbox.path))
    finally:
        os.close(fd)
    assert result.returncode == 2 and "another swap_setup.sh is working in" in result.stderr
    assert not sandbox.path.exists()


def test_refuses_a_regular_file(sandbox: SwapSandbox) -> None:
    sandbox.path.write_text("precious data\n")
    for args in (["--size", "64M"], ["--remove"]):
        result = sandbox.run(*args, "--path", str(sandbox.path))
        assert result.returncode == 2 and "not a swap file" in result.stderr
    assert sandbox.path.read_text() == "precious data\n"


def test_refuses_tmpfs(sandbox: SwapSandbox) -> None:
    fstype = subprocess.run(["stat", "-f", "-c", "%T", "/dev/shm"], capture_output=True, text=True).stdout.strip()
    assert fstype == "tmpfs", "this test needs /dev/shm on tmpfs (it is on Linux and in Docker)"
    result = sandbox.run("--size", "64M", "--path", "/dev/shm/fwkit-swaptest")
    assert result.returncode == 2 and "is on tmpfs, which lives in RAM" in result.stderr


def test_btrfs_sets_nocow_before_allocating(sandbox: SwapSandbox) -> None:
    env = {"FWKIT_SWAP_FSTYPE_OVERRIDE": "btrfs"}  # test only: btrfs cannot be mounted here
    result = sandbox.run("--size", "64M", "--path", str(sandbox.path), "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    first = [c.split()[0:3] for c in _commands(result.stdout)][:3]
    if shutil.which("btrfs"):
        assert first[0] == ["btrfs", "filesystem", "mkswapfile"]
    else:
        assert [c[0] for c in first] == ["touch", "chattr", "fallocate"] and first[1][1] == "+C"


def test_failure_midway_undoes_everything(sandbox: SwapSandbox) -> None:
    """chattr +C fails on ext4 (a real failure after the first change): the new file must go."""
    env = {"FWKIT_SWAP_FSTYPE_OVERRIDE": "btrfs"}
    result = sandbox.run("--size", "64M", "--path", str(sandbox.path), env=env)
    assert result.returncode not in (0, 2)
    assert "undoing 1 change(s)" in result.stderr
    assert sandbox.files() == ["sysctl.d"]
    assert active_kib(sandbox.path) is None


def test_failed_resize_restores_the_old_swap(sandbox: SwapSandbox) -> None:
    """An immutable fstab makes the last step fail: the new swap goes, the old one is back on."""
    sandbox.fstab.write_text("# immutable\n")
    if subprocess.run(["chattr", "+i", str(sandbox.fstab)], capture_output=True).returncode != 0:
        pytest.fail(f"chattr +i failed on {sandbox.dir}: this test needs ext4 or XFS under /var/tmp")
    assert sandbox.run("--size", "64M", "--path", str(sandbox.path)).returncode == 0
    inode = sandbox.path.stat().st_ino
    result = sandbox.run("--size", "96M", "--path", str(sandbox.path), "--persist", "--fstab", str(sandbox.fstab))
    assert result.returncode not in (0, 2), result.stdout
    assert active_kib(sandbox.path) == 64 * MiB_KIB - PAGE_KIB
    assert sandbox.path.stat().st_ino == inode
    assert sandbox.files() == ["fstab", "swapfile", "sysctl.d"]
    assert sandbox.fstab.read_text() == "# immutable\n"


def test_swapon_refusing_fallocate_falls_back_to_zeros_stubbed_refusal(sandbox: SwapSandbox) -> None:
    """Some kernels take fallocate's unwritten extents for holes ("swapfile has holes"). A stub refuses
    the first swapon like they do; the real swapon then takes the zero-filled file."""
    real = shutil.which("swapon")
    assert real is not None
    stubs = sandbox.dir / "bin"
    stubs.mkdir()
    stub = stubs / "swapon"
    mark = sandbox.dir / "refused"
    stub.write_text(
        f"#!/bin/bash\nif [[ ! -e {mark} ]]; then touch {mark}; echo 'swapon: swapfile has holes' >&2; exit 255; fi\n"
        f'exec {real} "$@"\n'
    )
    stub.chmod(0o755)
    result = sandbox.run("--size", "64M", "--path", str(sandbox.path), env={"PATH": f"{stubs}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert mark.exists() and "swapon refused the fallocated file" in result.stderr
    assert f"dd if=/dev/zero of={sandbox.path} bs=1M count=64 conv=notrunc status=none" in result.stdout
    assert active_kib(sandbox.path) == 64 * MiB_KIB - PAGE_KIB


def test_sigterm_midway_undoes_everything_stubbed_mkswap(sandbox: SwapSandbox) -> None:
    """A stub mkswap sends the script SIGTERM (as a shutdown would) after the file was allocated."""
    stubs = sandbox.dir / "bin"
    stubs.mkdir()
    (stubs / "mkswap").write_text("#!/bin/bash\nkill -TERM $PPID\nsleep 0.2\n")
    (stubs / "mkswap").chmod(0o755)
    result = sandbox.run("--size", "64M", "--path", str(sandbox.path), env={"PATH": f"{stubs}:{os.environ['PATH']}"})
    assert result.returncode == 143, result.stderr  # 128 + SIGTERM
    assert "undoing 1 change(s)" in result.stderr
    assert sandbox.files() == ["bin", "sysctl.d"]


def test_shellcheck_clean() -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck not found: apt-get install shellcheck")
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_help() -> None:
    result = subprocess.run(["bash", str(SCRIPT), "-h"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("usage: swap_setup.sh --size SIZE")
