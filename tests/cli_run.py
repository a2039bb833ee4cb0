"""`fwkit tokenize` run in-process (typer's CliRunner) for tests, and the manifest it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fwkit.cli import app

runner = CliRunner()


def tokenize(*args: object) -> tuple[int, str]:
    """(exit code, stdout + stderr) of `fwkit tokenize ARGS --quiet`."""
    result = runner.invoke(app, ["tokenize", *map(str, args), "--quiet"])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())
