"""The tools the other plans need: Docker (for `fwkit run`), Terraform and AWS credentials (for
`fwkit cloud`), the shipped tokenizer, and root (for swap and cgroups). Every probe has a short
timeout, so `fwkit doctor` stays fast on a host where the daemon hangs.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class DockerFacts:
    sdk: bool  # the `docker` Python package imports
    available: bool  # the daemon answered
    server_version: str | None = None
    cgroup_driver: str | None = None  # cgroupfs or systemd
    cgroup_version: str | None = None  # "1" or "2"
    swap_limit: bool | None = None  # whether --memory-swap is enforced (SwapLimit)
    error: str | None = None


@dataclass(frozen=True)
class TerraformFacts:
    path: str | None
    version: str | None
    error: str | None = None


@dataclass(frozen=True)
class CloudFacts:
    aws_credentials: bool
    source: str | None  # where they were found, e.g. "environment" or "~/.aws/credentials [default]"


@dataclass(frozen=True)
class TokenizerFacts:
    ok: bool
    error: str | None = None
    name: str = "gpt2"  # the tokenizer whose rank file was checked


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__


def probe_docker() -> DockerFacts:
    try:
        import docker
    except ImportError:
        return DockerFacts(sdk=False, available=False, error="the docker Python package is not installed")
    try:
        client = docker.from_env(timeout=int(PROBE_TIMEOUT_S))
        try:
            info = client.info()
        finally:
            client.close()
    except Exception as err:  # DockerException, requests errors, PermissionError: all mean "not usable"
        return DockerFacts(sdk=True, available=False, error=_one_line(err))
    return DockerFacts(
        sdk=True,
        available=True,
        server_version=info.get("ServerVersion"),
        cgroup_driver=info.get("CgroupDriver"),
        cgroup_version=info.get("CgroupVersion"),
        swap_limit=info.get("SwapLimit"),
    )


def probe_terraform() -> TerraformFacts:
    binary = shutil.which("terraform")
    if binary is None:
        return TerraformFacts(None, None, "terraform is not on PATH")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}  # no update check over the network
    try:
        done = subprocess.run(
            [binary, "version", "-json"], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env=env
        )
        version = json.loads(done.stdout)["terraform_version"]
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError) as err:
        return TerraformFacts(binary, None, f"`terraform version -json` failed: {_one_line(err)}")
    return TerraformFacts(binary, str(version))


def _profiles(path: Path) -> list[str]:
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return []
    return parser.sections()


def probe_cloud_credentials(home: Path | None = None) -> CloudFacts:
    """Whether AWS credentials are configured. Presence only: no value is read out or printed."""
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        return CloudFacts(True, "environment (AWS_ACCESS_KEY_ID)")
    if os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        return CloudFacts(True, "environment (AWS_WEB_IDENTITY_TOKEN_FILE)")
    home = home or Path.home()
    profile = os.environ.get("AWS_PROFILE", "default")
    # The credentials file names sections `[name]`; the config file `[default]` or `[profile name]`.
    credentials = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", home / ".aws" / "credentials"))
    config = Path(os.environ.get("AWS_CONFIG_FILE", home / ".aws" / "config"))
    for path, section in ((credentials, profile), (config, profile if profile == "default" else f"profile {profile}")):
        if section in _profiles(path):
            return CloudFacts(True, f"{path} [{section}]")
    return CloudFacts(False, None)


def probe_tokenizer(name: str = "gpt2") -> TokenizerFacts:
    """Whether the shipped rank file of tokenizer `name` matches its sha256."""
    from fwkit.encoding import ranks_bytes

    try:
        ranks_bytes(name)
    except (OSError, RuntimeError) as err:
        return TokenizerFacts(False, _one_line(err), name)
    return TokenizerFacts(True, None, name)


def is_root() -> bool:
    return os.geteuid() == 0


CONTAINER_MARKERS = (Path("/.dockerenv"), Path("/run/.containerenv"))  # Docker's and Podman's
CONTAINER_CGROUP_WORDS = ("docker", "kubepods", "containerd", "libpod", "lxc")


def in_container(root: Path = Path("/")) -> bool:
    """Whether this process runs in a container: its swap, and its cgroup's parents, are the host's."""
    if any((root / marker.relative_to("/")).exists() for marker in CONTAINER_MARKERS):
        return True
    try:
        groups = (root / "proc/1/cgroup").read_text()
    except OSError:
        return False
    return any(word in groups for word in CONTAINER_CGROUP_WORDS)
