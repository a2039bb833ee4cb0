"""Helpers: run the real terraform CLI on fwkit's modules, offline: provider-free modules need no registry.

Every run gets its own TF_DATA_DIR and working directory under pytest's tmp, so nothing (no
`.terraform/`, no lock file, no state) is written into the repository's `terraform/`.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"


def terraform(args: list[str], cwd: Path, data_dir: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`terraform args...` in `cwd` with its own data dir; on failure with `check`, the output in the error."""
    env = {**os.environ, "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1"}
    done = subprocess.run(["terraform", *args, "-no-color"], cwd=cwd, env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        pytest.fail(f"terraform {' '.join(args)} in {cwd} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def apply_config(workdir: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Apply a provider-free root config (JSON syntax) to a local state in `workdir`; its outputs."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.tf.json").write_text(json.dumps(config))
    data = workdir / ".tfdata"
    terraform(["init", "-input=false"], workdir, data)
    terraform(["apply", "-input=false", "-auto-approve"], workdir, data)
    out = terraform(["output", "-json"], workdir, data)
    return {name: entry["value"] for name, entry in json.loads(out.stdout).items()}


def render_bootstrap(workdir: Path, variables: dict[str, Any]) -> str:
    """The bootstrap script exactly as Terraform renders it (modules/bootstrap, templatefile)."""
    config = {
        "module": {"bootstrap": {"source": str(TERRAFORM_DIR / "modules" / "bootstrap"), **variables}},
        "output": {"user_data": {"value": "${module.bootstrap.user_data}"}},
    }
    return str(apply_config(workdir, config)["user_data"])
