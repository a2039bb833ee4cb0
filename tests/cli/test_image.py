"""`fwkit image` as a command; the real build is exercised in tests/runtime/test_image_build.py."""

from __future__ import annotations

from typer.testing import CliRunner

from fwkit.cli import app

runner = CliRunner()


def test_build_help_shows_the_offline_example() -> None:
    result = runner.invoke(app, ["image", "build", "--help"])
    assert result.exit_code == 0
    assert "--base-image" in result.output and "scripts/build_base_image.sh" in result.output


def test_build_without_an_engine_is_one_line_with_exit_2() -> None:
    result = runner.invoke(app, ["image", "build"], env={"DOCKER_HOST": "unix:///nonexistent/fwkit-test.sock"})
    assert result.exit_code == 2
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "the Docker engine is not reachable" in output
