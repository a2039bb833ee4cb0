"""`pip install fwkit` (a wheel built from this checkout, in a fresh venv), then `fwkit run` on Docker.

There is no checkout beside the installed package, so the job image must be built from the
installed distribution itself; an image labelled with another fwkit's code must be rebuilt, and a
current one reused. The venv installs offline from the deps wheelhouse the job image fixture
builds (`PIP_NO_INDEX`), as the image build does.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fwkit.runtime.image import SOURCE_LABEL

pytestmark = [pytest.mark.docker, pytest.mark.slow]
TAG = "fwkit-piptest:stale"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, repo: Path, job_image: str) -> tuple[Path, dict[str, str]]:
    """(the venv's bin/, an environment without this checkout on PYTHONPATH and with an offline pip)."""
    tmp = tmp_path_factory.mktemp("pip-install")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(repo), "-w", str(dist)], check=True
    )
    (wheel,) = dist.glob("fwkit-*.whl")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(repo / "wheelhouse" / "deps")})
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True)
    bin_dir = tmp / "venv" / "bin"
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], env=env, check=True)
    return bin_dir, env


def _fwkit(installed: tuple[Path, dict[str, str]], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    bin_dir, env = installed
    return subprocess.run(
        [str(bin_dir / "fwkit"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200, check=False
    )


def test_fwkit_run_from_a_pip_install_builds_its_image_and_rebuilds_a_stale_one(
    installed: tuple[Path, dict[str, str]], repo: Path, base_image: str, docker_client: Any, tmp_path: Path
) -> None:
    bin_dir, env = installed
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import fwkit.runtime.image as i; print(i.__file__, i.source_digest())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert "site-packages" in where[0] and not where[0].startswith(str(repo))
    stale = f"FROM {base_image}\nLABEL {SOURCE_LABEL}=0ld0ld0ld0ld\n"  # an image of another fwkit's code
    docker_client.images.build(fileobj=io.BytesIO(stale.encode()), tag=TAG, rm=True)
    src = tmp_path / "in.txt"
    shutil.copyfile(repo / "examples" / "python-tutorial.txt", src)
    args = ["run", "--mem", "1G", "--runtime", "docker", "--image", TAG, "--base-image", base_image]
    try:
        done = _fwkit(installed, tmp_path, *args, "in.txt", "--out", "out", "--shard-tokens", "20K", "-q")
        assert done.returncode == 0, done.stderr
        assert f"image {TAG} is built from other fwkit code" in done.stderr
        assert "no checkout: building the image from the installed fwkit (fwkit-" in done.stderr
        assert "done (docker)" in done.stdout
        assert json.loads((tmp_path / "out" / "manifest.json").read_text())["complete"] is True
        assert docker_client.images.get(TAG).labels[SOURCE_LABEL] == where[1]

        again = _fwkit(installed, tmp_path, *args, "in.txt", "--out", "out", "--overwrite", "-q")
        assert again.returncode == 0, again.stderr
        assert "building" not in again.stderr  # the image now holds this fwkit's code
    finally:
        docker_client.images.remove(TAG, force=True)
