"""An installed fwkit (the wheel, not the checkout) finds its Terraform code and instance table."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_terraform_and_reads_the_table_from_it(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(REPO), "-w", str(tmp_path / "dist")]
    subprocess.run(cmd, check=True)
    wheel = next((tmp_path / "dist").glob("fwkit-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        z.extractall(site)
    assert "fwkit/terraform/modules/sizing/instance_types.json" in names
    assert "fwkit/terraform/modules/bootstrap/bootstrap.sh.tftpl" in names
    for name in ("gpt2", "cl100k_base", "o200k_base"):  # the ranks fwkit encodes with, offline
        assert f"fwkit/data/{name}.tiktoken" in names and f"fwkit/data/{name}.LICENSE" in names
    assert not [n for n in names if "/.terraform" in n or n.endswith(".tfstate")]
    probe = "from fwkit.cloud.paths import instance_table_path; print(instance_table_path())"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(site)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()) == site / "fwkit" / "terraform" / "modules" / "sizing" / "instance_types.json"
