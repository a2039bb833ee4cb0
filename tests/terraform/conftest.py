"""The terraform tests need the terraform CLI: a failure, not a skip, when it is missing. Fixtures
for the tests that run the bootstrap in a container: the base image and a local wheelhouse.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tfrun import REPO

BASE_IMAGE = os.environ.get("FWKIT_TEST_BASE_IMAGE", "fwkit-base:bookworm")
# The AWS CLI the "instance" installs with pip, pinned to the one in the test environment
# (botocore and s3transfer named too: this awscli's metadata does not always list them).
AWS_CLI = ("awscli", "botocore", "s3transfer")


def needs(reason: str) -> None:
    """Skip outside CI, fail in CI (where .ci/run starts dockerd and builds the base image)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def terraform_on_path() -> None:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH: install Terraform >= 1.9 (.ci/run must provide it)")


@pytest.fixture(scope="session")
def base_image() -> str:
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        needs("no Docker engine answers `docker info`: start dockerd")
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), BASE_IMAGE], check=True)
    return BASE_IMAGE


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deps/ from the repo's wheelhouse (built when missing), aws/ (the AWS CLI's wheels, fetched
    once into the repo's wheelhouse) and a fresh fwkit wheel of this checkout in fwkit/."""
    from fwkit.runtime.image import build_wheelhouse

    deps, aws = REPO / "wheelhouse" / "deps", REPO / "wheelhouse" / "aws"
    if not any(deps.glob("*.whl")):
        build_wheelhouse(REPO, print)
    if not any(aws.glob("awscli-*.whl")):
        pins = [f"{name}=={version(name)}" for name in AWS_CLI]
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "-d", str(aws), *pins]
        subprocess.run(cmd, check=True)
    house = tmp_path_factory.mktemp("wheelhouse")
    shutil.copytree(deps, house / "deps")
    shutil.copytree(aws, house / "aws")
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(REPO), "-w", str(house / "fwkit")]
    subprocess.run(cmd, check=True)
    return house


# Built once per set of wheels: what an AMI prepared for fwkit jobs holds. fwkit itself is not in it:
# the bootstrap installs this checkout's wheel (from S3) over the ready dependencies.
VM_PREP = (
    "set -e; python3 -m venv /usr/local/aws-cli && /usr/local/aws-cli/bin/pip install -q --no-index "
    "--find-links /wheelhouse/aws awscli && ln -s /usr/local/aws-cli/bin/aws /usr/local/bin/aws; "
    "python3 -m venv /opt/fwkit && /opt/fwkit/bin/pip install -q --no-index --find-links /wheelhouse/deps "
    "/wheelhouse/fwkit/*.whl && /opt/fwkit/bin/pip uninstall -q -y fwkit"
)


@pytest.fixture(scope="session")
def vm_image(base_image: str, wheelhouse: Path) -> str:
    """The base image with the AWS CLI on PATH (as Amazon Linux has it) and fwkit's dependencies
    in /opt/fwkit: the bootstrap then installs only fwkit (minutes less per container here)."""
    names = sorted(p.name for d in ("deps", "aws") for p in (wheelhouse / d).glob("*.whl"))
    tag = f"fwkit-test-vm:{hashlib.sha256(' '.join([base_image, VM_PREP, *names]).encode()).hexdigest()[:12]}"
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0:
        return tag
    name = f"fwkit-vm-prep-{os.getpid()}"
    run = ["docker", "run", "--name", name, "--network", "none", "-v", f"{wheelhouse}:/wheelhouse:ro"]
    try:
        subprocess.run([*run, base_image, "bash", "-c", VM_PREP], check=True, capture_output=True)
        subprocess.run(["docker", "commit", name, tag], check=True, capture_output=True)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return tag
