"""`fwkit image build` against a real engine: never pulls, builds offline, labels the wheelhouse."""

from __future__ import annotations

import contextlib
from typing import Any

import docker.errors
import pytest
from typer.testing import CliRunner

from fwkit import __version__
from fwkit.cli import app
from fwkit.runtime.image import WHEEL_LABEL, Wheelhouse

pytestmark = [pytest.mark.docker]
runner = CliRunner()


def test_missing_base_image_is_refused_without_pulling(docker_client: Any) -> None:
    result = runner.invoke(app, ["image", "build", "--base-image", "fwkit-no-such-base:0", "--tag", "fwkit-x:0"])
    assert result.exit_code == 2
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "base image fwkit-no-such-base:0 is not on this host and fwkit never pulls" in output


@pytest.mark.slow
def test_cli_build_labels_the_image_with_its_wheelhouse_and_runs_fwkit(
    docker_client: Any, base_image: str, job_image: str, repo: Any
) -> None:
    tag = "fwkit-test-cli:latest"
    result = runner.invoke(app, ["image", "build", "--base-image", base_image, "--tag", tag])
    try:
        assert result.exit_code == 0, result.output
        image = docker_client.images.get(tag)
        assert image.labels[WHEEL_LABEL] == Wheelhouse(repo / "wheelhouse").digest()
        assert image.attrs["Config"]["User"] == "fwkit"
        version = docker_client.containers.run(tag, ["--version"], remove=True, network_mode="none")
        assert version.decode().strip() == f"fwkit {__version__}"
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(tag)
