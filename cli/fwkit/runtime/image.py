"""The job image: a host-built wheelhouse installed into a base image, with no network at all.

    fwkit image build --base-image fwkit-base:bookworm --tag fwkit:0.1.0

`pip wheel` runs on the host (which has an index and working TLS); the Dockerfile installs only
from those wheels (`--no-index`), and the build runs with `network_mode="none"`, so it works on
air-gapped hosts and never needs TLS inside a container. Nothing is ever pulled: the base image
must already be local (see scripts/build_base_image.sh).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fwkit
from fwkit.errors import FwkitError

DEFAULT_BASE_IMAGE = "python:3.11-slim"  # the Dockerfile's ARG default
WHEEL_LABEL = "fwkit.wheel"  # image label: digest of the wheelhouse it was built from
DIGEST_CHARS = 12  # 12 hex digits = 48 bits: plenty to tell wheelhouses apart

Echo = Callable[[str], None]


def default_tag() -> str:
    """`fwkit:<version>`: the image `fwkit run` uses unless told otherwise."""
    return f"fwkit:{fwkit.__version__}"


def source_root() -> Path:
    """The fwkit checkout (pyproject.toml + docker/Dockerfile) the image is built from."""
    root = Path(fwkit.__file__).resolve().parents[2]  # <root>/cli/fwkit/__init__.py
    if not (root / "pyproject.toml").is_file() or not (root / "docker" / "Dockerfile").is_file():
        raise FwkitError(
            f"no fwkit source checkout at {root} (needs pyproject.toml and docker/Dockerfile): "
            "`fwkit image build` builds from a checkout; clone the repo and `pip install -e .`"
        )
    return root


@dataclass(frozen=True)
class Wheelhouse:
    """`<root>/wheelhouse/{deps,fwkit}/`: the wheels the Dockerfile installs, in two layers."""

    path: Path

    @property
    def fwkit_wheel(self) -> Path:
        wheels = sorted((self.path / "fwkit").glob("fwkit-*.whl"))
        if len(wheels) != 1:
            raise FwkitError(f"{self.path}/fwkit should hold one fwkit wheel, found {len(wheels)}")
        return wheels[0]

    def digest(self) -> str:
        """A short hash of every wheel's name and content: equal digests build equal images."""
        h = hashlib.sha256()
        for wheel in sorted(self.path.glob("*/*.whl")):
            h.update(wheel.name.encode())
            h.update(hashlib.sha256(wheel.read_bytes()).digest())
        return h.hexdigest()[:DIGEST_CHARS]


def build_wheelhouse(root: Path, echo: Echo) -> Wheelhouse:
    """`pip wheel <root>` into a fresh directory, split into deps/ and fwkit/, then swapped in.

    Fresh each time so an old fwkit wheel can never linger and be installed instead.
    """
    final = root / "wheelhouse"
    with tempfile.TemporaryDirectory(prefix=".wheelhouse-", dir=root) as tmp:
        staging = Path(tmp) / "wheelhouse"
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", str(root), "-w", str(staging / "deps")]
        echo(f"building the wheelhouse: {' '.join(cmd[2:])}")
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise FwkitError(f"pip wheel {root} failed: {last}; fix the host's pip index and retry")
        (staging / "fwkit").mkdir()
        for wheel in (staging / "deps").glob("fwkit-*.whl"):
            wheel.rename(staging / "fwkit" / wheel.name)
        old = Path(tmp) / "old"
        if final.exists():
            final.rename(old)
        staging.rename(final)
    house = Wheelhouse(final)
    house.fwkit_wheel  # noqa: B018  (asserts exactly one fwkit wheel)
    return house


def image_exists(client: Any, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def require_base(client: Any, base_image: str) -> None:
    if not image_exists(client, base_image):
        raise FwkitError(
            f"base image {base_image} is not on this host and fwkit never pulls: "
            f"`docker pull {base_image}`, or build one offline with scripts/build_base_image.sh "
            "and pass --base-image fwkit-base:bookworm"
        )


def build_image(client: Any, root: Path, house: Wheelhouse, base_image: str, tag: str, echo: Echo) -> None:
    """`docker build` of docker/Dockerfile with the wheelhouse, streaming its steps to `echo`."""
    import docker.errors

    require_base(client, base_image)
    echo(f"building image {tag} from {base_image} (docker/Dockerfile, wheelhouse {house.digest()})")
    try:
        stream = client.api.build(
            path=str(root),
            dockerfile="docker/Dockerfile",
            tag=tag,
            buildargs={"BASE_IMAGE": base_image},
            labels={WHEEL_LABEL: house.digest()},
            network_mode="none",  # pip installs from the wheelhouse only
            pull=False,
            rm=True,
            forcerm=True,
            decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                raise FwkitError(f"building image {tag} failed: {chunk['error'].strip()}")
            text = chunk.get("stream", "").rstrip()
            if text:
                echo(text)
    except docker.errors.APIError as err:
        raise FwkitError(f"building image {tag} failed: {err.explanation or err}") from None
    echo(f"built image {tag}")


def build(client: Any, base_image: str, tag: str, echo: Echo) -> None:
    """Wheelhouse, then image: what `fwkit image build` and a missing image in `fwkit run` do."""
    root = source_root()
    require_base(client, base_image)
    build_image(client, root, build_wheelhouse(root, echo), base_image, tag, echo)


def ensure_image(client: Any, tag: str, base_image: str, echo: Echo) -> None:
    """Build `tag` when it is missing, and say so; otherwise use it as it is."""
    if image_exists(client, tag):
        return
    echo(f"image {tag} is missing: building it now (once)")
    build(client, base_image, tag, echo)
