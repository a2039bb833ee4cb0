"""How much swap closes a memory gap, and where `scripts/swap_setup.sh` lives.

`fwkit doctor` plans a swap file of `recommended_swap_bytes(need, limit)`; `fwkit swap create
--size auto` makes the same one. The script itself is plain bash so that cloud-init or a fresh VM
can run it without Python; this module only sizes and locates it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fwkit.engine.budget import MiB
from fwkit.errors import FwkitError

GiB = 1024 * MiB
MIN_MARGIN_BYTES = 1 * GiB  # never less than 1 GiB over the gap: page tables, a browser tab, sshd
MARGIN_FRACTION_PERCENT = 25  # 25% over the gap absorbs an estimate that was a bit low


def recommended_swap_bytes(need_bytes: int, limit_bytes: int) -> int:
    """Swap to add so a job that needs `need_bytes` runs where only `limit_bytes` of RAM is free.

    0 when the RAM is enough. Otherwise:
        gap    = need - limit
        margin = max(25% of gap, 1 GiB)
        swap   = gap + margin, rounded up to a whole GiB
    e.g. need 40 GiB, limit 16 GiB: gap 24 GiB, margin 6 GiB, swap 30 GiB;
         need 17 GiB, limit 16 GiB: gap 1 GiB, margin 1 GiB (25% would be 0.25), swap 2 GiB.
    """
    if need_bytes <= limit_bytes:
        return 0
    gap = need_bytes - limit_bytes
    margin = max(-(-gap * MARGIN_FRACTION_PERCENT // 100), MIN_MARGIN_BYTES)  # -(-a // b) = ceil(a / b)
    return -(-(gap + margin) // GiB) * GiB


SCRIPT_NAME = "swap_setup.sh"


@dataclass(frozen=True)
class SwapTarget:
    """Which swap file, and where its fstab line and sysctl drop-in live (None: the script's default)."""

    path: str = "/swapfile"
    fstab: str | None = None
    sysctl_dir: str | None = None
    dry_run: bool = False

    def args(self) -> list[str]:
        args = ["--path", self.path]
        args += ["--fstab", self.fstab] if self.fstab else []
        args += ["--dry-run"] if self.dry_run else []
        return args


def script_path() -> Path:
    """The script: shipped in the wheel as fwkit/data/swap_setup.sh, or scripts/ of a checkout."""
    shipped = Path(__file__).resolve().parent / "data" / SCRIPT_NAME  # force-include in pyproject.toml
    checkout = Path(__file__).resolve().parents[2] / "scripts" / SCRIPT_NAME  # cli/fwkit/swap.py -> repo root
    for candidate in (shipped, checkout):
        if candidate.is_file():
            return candidate
    raise FwkitError(f"{SCRIPT_NAME} is missing from {shipped} and {checkout}: reinstall fwkit")


def create_args(target: SwapTarget, size_bytes: int, persist: bool, swappiness: int | None) -> list[str]:
    """Arguments for `swap_setup.sh --size`: the size in whole MiB (the script rounds up to MiB too)."""
    args = ["--size", f"{-(-size_bytes // MiB)}M", *target.args()]
    args += ["--persist"] if persist else []
    if swappiness is not None:
        args += ["--swappiness", str(swappiness)]
    if target.sysctl_dir:
        args += ["--sysctl-dir", target.sysctl_dir]
    return args


def remove_args(target: SwapTarget) -> list[str]:
    return ["--remove", *target.args()]


def run_script(args: list[str], echo: Callable[[str], None]) -> int:
    """Run the script with `args`, passing each output line (stdout and stderr) to `echo`; its exit code."""
    with subprocess.Popen(
        ["bash", str(script_path()), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                echo(line.rstrip("\n"))
        except KeyboardInterrupt:
            # The script got the same SIGINT and is undoing its changes: show that to the end.
            for line in proc.stdout:
                echo(line.rstrip("\n"))
            raise
    return proc.returncode


def auto_swap_bytes(need_bytes: int) -> tuple[int, int]:
    """`--size auto`: the doctor's size for a job of `need_bytes` on this host, and the usable memory."""
    from fwkit.host.memory import read_memory_facts

    usable = read_memory_facts().usable_bytes
    return recommended_swap_bytes(need_bytes, usable), usable


def swappiness(path: Path = Path("/proc/sys/vm/swappiness")) -> int | None:
    """vm.swappiness now; None where /proc/sys is not readable."""
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None
