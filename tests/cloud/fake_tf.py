"""A fake `terraform` on PATH for the mocked-AWS command tests (tests/cli/test_cloud.py).

Not a conftest: tests/cli/ is shared, so the test module imports `install_fake_terraform` and
wraps it in its own fixture.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class FakeTerraform:
    """The fake's call log and a switch to make the next spot apply fail for lack of capacity."""

    log: Path
    no_capacity_flag: Path

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line)["args"] for line in self.log.read_text().splitlines()]

    def commands(self) -> list[str]:
        """The terraform subcommands called, in order (`init`, `plan`, `apply`, ...)."""
        return [args[0] for args in self.calls()]


def install_fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTerraform:
    """`terraform` is the recording fake and AWS credentials look configured (dummy values)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(Path(__file__).with_name("fake_terraform.py"), bin_dir / "terraform")
    (bin_dir / "terraform").chmod(0o755)
    fake = FakeTerraform(tmp_path / "terraform.log", tmp_path / "no-capacity")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TF_LOG", str(fake.log))
    monkeypatch.setenv("FAKE_TF_NO_CAPACITY", str(fake.no_capacity_flag))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-the-mocked-tests")
    # Anything that still tries AWS (`cloud status` reads status.json with the AWS CLI) is refused
    # at once by a closed local port, never sent to the real endpoint.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return fake
