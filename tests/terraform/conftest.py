"""The terraform tests need the terraform CLI: a failure, not a skip, when it is missing."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session", autouse=True)
def terraform_on_path() -> None:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: install Terraform >= 1.9 (.ci/run must provide it)")
