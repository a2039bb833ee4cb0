"""`fwkit swap create|remove|status` through CliRunner, with real swap files (root, /var/tmp on ext4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.swap import GiB, MiB, SwapTarget, create_args, script_path
from swap.swapfiles import SwapSandbox, active_kib, sandboxed

runner = CliRunner()


@pytest.fixture
def sandbox() -> Iterator[SwapSandbox]:
    yield from sandboxed()


def _swap(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["swap", *args])
    return result.exit_code, result.output


@pytest.mark.root
def test_create_status_rerun_remove(sandbox: SwapSandbox) -> None:
    p = str(sandbox.path)
    code, out = _swap("create", "--size", "64M", "--path", p, "--persist", "--fstab", str(sandbox.fstab))
    assert code == 0, out
    assert f"+ swapon {p}" in out
    assert active_kib(sandbox.path) == 64 * 1024 - 4  # one 4 KiB header page
    assert sandbox.fstab.read_text() == f"{p} none swap sw 0 0\n"

    code, out = _swap("status")
    assert code == 0 and f"{p}  file  64.0 MiB" in out

    code, out = _swap("create", "--size", "64M", "--path", p, "--persist", "--fstab", str(sandbox.fstab))
    assert code == 0 and "+ " not in out, out

    code, out = _swap("remove", "--path", p, "--fstab", str(sandbox.fstab))
    assert code == 0, out
    assert active_kib(sandbox.path) is None and not sandbox.path.exists()
    assert sandbox.fstab.read_text() == ""
    assert p not in _swap("status")[1]


@pytest.mark.root
def test_dry_run_and_refusal_exit_codes(sandbox: SwapSandbox) -> None:
    code, out = _swap("create", "--size", "1.5G", "--path", str(sandbox.path), "--dry-run")
    assert code == 0, out
    assert f"+ fallocate -l {3 * GiB // 2} {sandbox.path}.fwkit-new" in out  # 1.5G passed on as 1536M
    assert not sandbox.path.exists()
    assert out.rstrip().endswith("dry run: nothing changed")
    code, out = _swap("create", "--size", "64M", "--path", str(sandbox.path))
    assert code == 0 and active_kib(sandbox.path), out
    code, out = _swap("remove", "--path", str(sandbox.path), "--dry-run")
    assert code == 0 and f"+ swapoff {sandbox.path}" in out, out
    assert out.rstrip().endswith("dry run: nothing changed")
    assert active_kib(sandbox.path) and sandbox.path.exists()
    assert _swap("remove", "--path", str(sandbox.path))[0] == 0
    sandbox.path.write_text("not swap\n")
    code, out = _swap("create", "--size", "64M", "--path", str(sandbox.path))
    assert code == 2 and "exists and is not a swap file" in out
    assert sandbox.path.read_text() == "not swap\n"


def test_sizes_near_a_unit_print_in_the_larger_unit() -> None:
    """/proc/swaps counts a 1 GiB swap file as 1 GiB minus its header page: 1.0 GiB, not 1024.0 MiB."""
    from fwkit.sizes import format_bytes

    assert format_bytes(GiB - 4096) == "1.0 GiB"
    assert format_bytes(1023 * MiB) == "1023.0 MiB"
    assert format_bytes(1023) == "1023 B" and format_bytes(1024 * 1024 - 1) == "1.0 MiB"


def test_size_auto_needs_mem() -> None:
    code, out = _swap("create", "--size", "auto")
    assert code == 2 and "--size auto needs --mem" in out


def test_size_auto_when_ram_is_enough() -> None:
    code, out = _swap("create", "--size", "auto", "--mem", "1M", "--dry-run")
    assert code == 0 and "no swap needed" in out and "+ " not in out


@pytest.mark.root
def test_size_auto_plans_the_doctors_size(sandbox: SwapSandbox) -> None:
    from fwkit.host.memory import read_memory_facts
    from fwkit.swap import recommended_swap_bytes

    # 3.5 GiB over what is usable now: 3.5 + 1 GiB margin -> 5 GiB, the same while MemAvailable
    # drifts by less than 0.5 GiB between this read and the command's.
    need = read_memory_facts().usable_bytes + 7 * GiB // 2
    assert recommended_swap_bytes(need, read_memory_facts().usable_bytes) == 5 * GiB
    _, out = _swap("create", "--size", "auto", "--mem", f"{need // MiB}M", "--path", str(sandbox.path), "--dry-run")
    assert out.startswith("--size auto: 5.0 GiB"), out
    # The dry run lists the fallocate of that size, or refuses a disk too small for it.
    assert f"+ fallocate -l {5 * GiB} " in out or "not enough free disk" in out, out


def test_create_args_round_up_to_mib() -> None:
    target = SwapTarget("/swapfile", "/tmp/fstab", "/tmp/sysctl.d", dry_run=True)
    assert create_args(target, 64 * MiB + 1, persist=True, swappiness=10) == [
        "--size", "65M", "--path", "/swapfile", "--fstab", "/tmp/fstab", "--dry-run",
        "--persist", "--swappiness", "10", "--sysctl-dir", "/tmp/sysctl.d",
    ]  # fmt: skip


def test_script_found_from_checkout() -> None:
    assert script_path() == Path(__file__).resolve().parents[2] / "scripts" / "swap_setup.sh"
