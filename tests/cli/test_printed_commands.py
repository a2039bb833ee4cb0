"""Every command `fwkit doctor` prints runs as printed: each test copies one from the plan and runs it.

`fwkit` is this checkout's `python -m fwkit`; `FWKIT_RUNTIME=none` keeps `fwkit run` off Docker (its
own tests cover that), so a test takes seconds. Nothing else is added to the printed words.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fwkit.cli import app

CLI = Path(__file__).resolve().parents[2] / "cli"


def plan_commands(*args: str) -> list[str]:
    result = CliRunner().invoke(app, ["doctor", "--json", *args])
    plan = json.loads(result.stdout)["plan"]
    assert plan["ready"], plan
    return plan["commands"]


def run_as_printed(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    assert argv[0] == "fwkit", command
    env = {**os.environ, "PYTHONPATH": str(CLI), "FWKIT_RUNTIME": "none"}
    return subprocess.run(
        [sys.executable, "-m", "fwkit", *argv[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_run_command_for_local_inputs_runs(tmp_path: Path) -> None:
    src = tmp_path / "my input.txt"  # a space: quoting must survive the copy and paste
    src.write_text("hello world\n\nsecond document\n")
    (command,) = plan_commands(str(src), "--out", str(tmp_path / "out dir"), "--mem", "1G")
    done = run_as_printed(command, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out dir" / "manifest.json").read_text())["complete"] is True


def test_the_run_command_for_a_dataset_keeps_the_subset_and_runs(fineweb_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "edu"
    (command,) = plan_commands("--dataset", str(fineweb_repo), "--subset", "sample-10BT", "--out", str(out))
    assert f"--dataset {shlex.quote(str(fineweb_repo))} --subset sample-10BT --out" in command
    done = run_as_printed(command, tmp_path)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["tokens"] > 0
