"""A sandbox for real swap files under /var/tmp (not tmpfs), torn down even when a test fails.

Imported by tests/swap/conftest.py and tests/cli/test_swap.py (`from swap.swapfiles import ...`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "swap_setup.sh"
SWAPPINESS = Path("/proc/sys/vm/swappiness")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def need_root() -> None:
    """Skip without root (fail in CI, which runs as root): swapon, chattr and mkswap need it."""
    if os.geteuid() == 0:
        return
    reason = "real swap files need root (swapon)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run runs the tests as root)")
    pytest.skip(reason)


def active_kib(path: Path) -> int | None:
    """The size /proc/swaps lists for `path` (KiB, one page less than the file), None when not active."""
    for line in Path("/proc/swaps").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[0] == str(path):
            return int(fields[2])
    return None


class SwapSandbox:
    """A directory with a swap file path, an fstab and a sysctl.d of its own."""

    def __init__(self) -> None:
        # /var/tmp, not pytest's tmp_path: /tmp may be tmpfs, which cannot hold swap.
        self.dir = Path(tempfile.mkdtemp(prefix="fwkit-swaptest-", dir="/var/tmp"))
        self.dir.chmod(0o755)  # the not-root test runs a copy of the script from here as nobody
        self.path = self.dir / "swapfile"
        self.fstab = self.dir / "fstab"
        self.sysctl_dir = self.dir / "sysctl.d"
        self.sysctl_dir.mkdir()
        self.swappiness = SWAPPINESS.read_text().strip()

    def run(
        self, *args: str, env: dict[str, str] | None = None, user: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The script with `args`; as `user` (a setpriv prefix) when given."""
        cmd = [*(user or []), "bash", str(SCRIPT), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)

    def files(self) -> list[str]:
        return sorted(p.name for p in self.dir.iterdir())

    def cleanup(self) -> None:
        """swapoff everything under the sandbox, undo chattr +i, restore swappiness, delete the directory."""
        for line in Path("/proc/swaps").read_text().splitlines()[1:]:
            name = line.split()[0]
            if name.startswith(f"{self.dir}/"):
                subprocess.run(["swapoff", name], check=False)
        if self.fstab.exists():
            subprocess.run(["chattr", "-i", str(self.fstab)], check=False, capture_output=True)
        if SWAPPINESS.read_text().strip() != self.swappiness:
            SWAPPINESS.write_text(self.swappiness)
        shutil.rmtree(self.dir, ignore_errors=True)


def sandboxed() -> Iterator[SwapSandbox]:
    """The body of the `sandbox` fixtures: need root, yield a sandbox, always clean it up."""
    need_root()
    box = SwapSandbox()
    try:
        yield box
    finally:
        box.cleanup()
