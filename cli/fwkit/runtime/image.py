"""The job image: a host-built wheelhouse installed into a base image, with no network at all.

    fwkit image build --base-image fwkit-base:bookworm --tag fwkit:0.1.0

`pip wheel` runs on the host (which has an index and working TLS); the Dockerfile installs only
from those wheels (`--no-index`), and the build runs with `network_mode="none"`, so it works on
air-gapped hosts and never needs TLS inside a container. Nothing is ever pulled: the base image
must already be local (see scripts/build_base_image.sh).

From a checkout, fwkit's wheel is `pip wheel <checkout>`; from a `pip install fwkit`, it is the
installed distribution zipped back into a wheel (`fwkit.runtime.repack`) and the Dockerfile is the
copy shipped in the package (fwkit/data/Dockerfile). Every image is labelled with a digest of the
fwkit code it holds (`fwkit.source`): `fwkit run` rebuilds one whose label differs from the running
fwkit's, so an upgrade never runs old code in the container.
"""

from __future__ import annotations

import hashlib
import shutil
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
SOURCE_LABEL = "fwkit.source"  # image label: `source_digest()` of the fwkit that built it
DIGEST_CHARS = 12  # 12 hex digits = 48 bits: plenty to tell wheelhouses apart

Echo = Callable[[str], None]


def default_tag() -> str:
    """`fwkit:<version>`: the image `fwkit run` uses unless told otherwise."""
    return f"fwkit:{fwkit.__version__}"


def checkout_root() -> Path | None:
    """The fwkit checkout (pyproject.toml + docker/Dockerfile) this fwkit runs from; None when installed."""
    root = Path(fwkit.__file__).resolve().parents[2]  # <root>/cli/fwkit/__init__.py
    if (root / "pyproject.toml").is_file() and (root / "docker" / "Dockerfile").is_file():
        return root
    return None


def dockerfile() -> Path:
    """docker/Dockerfile of the checkout, or the copy shipped in the package (pyproject force-include)."""
    root = checkout_root()
    shipped = Path(fwkit.__file__).resolve().parent / "data" / "Dockerfile"
    path = root / "docker" / "Dockerfile" if root else shipped
    if not path.is_file():
        raise FwkitError(f"{path} is missing: reinstall fwkit (the package ships its Dockerfile)")
    return path


def source_digest() -> str:
    """A short hash of every file of the running fwkit package (bytecode aside): its code's identity."""
    package = Path(fwkit.__file__).resolve().parent
    h = hashlib.sha256(fwkit.__version__.encode())
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:DIGEST_CHARS]


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


def build_wheelhouse(root: Path, echo: Echo, source: Path | None = None) -> Wheelhouse:
    """`pip wheel <source>` (default: the checkout `root`) into `<root>/wheelhouse`, as deps/ and fwkit/.

    Built in a fresh directory, then swapped in, so an old fwkit wheel can never linger and be
    installed instead.
    """
    final = root / "wheelhouse"
    with tempfile.TemporaryDirectory(prefix=".wheelhouse-", dir=root) as tmp:
        staging = Path(tmp) / "wheelhouse"
        # [fast]: gigatoken (glibc Linux wheels, as the base image is); without one, the image runs tiktoken
        for spec in (f"{source or root}[fast]", str(source or root)):
            cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", spec, "-w", str(staging / "deps")]
            echo(f"building the wheelhouse: {' '.join(cmd[2:])}")
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode == 0:
                break
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
            labels={WHEEL_LABEL: house.digest(), SOURCE_LABEL: source_digest()},
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
    """Wheelhouse, then image: what `fwkit image build` and a missing or stale image in `fwkit run` do."""
    require_base(client, base_image)
    root = checkout_root()
    if root is not None:
        build_image(client, root, build_wheelhouse(root, echo), base_image, tag, echo)
        return
    from fwkit.runtime.repack import repack_installed

    with tempfile.TemporaryDirectory(prefix="fwkit-image-") as tmp:
        context = Path(tmp) / "context"  # docker/Dockerfile + wheelhouse/: the whole build context
        (context / "docker").mkdir(parents=True)
        shutil.copyfile(dockerfile(), context / "docker" / "Dockerfile")
        wheel = repack_installed(Path(tmp) / "dist")
        echo(f"no checkout: building the image from the installed fwkit ({wheel.name})")
        build_image(client, context, build_wheelhouse(context, echo, source=wheel), base_image, tag, echo)


def stale_reason(client: Any, tag: str, is_default: bool) -> str | None:
    """Why image `tag` must be (re)built, None when it holds this fwkit's code.

    An image without the label is rebuilt only under the default tag: another tag may be the
    user's own image, used as it is.
    """
    import docker.errors

    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return "missing"
    label, current = (image.labels or {}).get(SOURCE_LABEL), source_digest()
    if label == current or (label is None and not is_default):
        return None
    return f"built from other fwkit code ({SOURCE_LABEL}={label or 'none'}, this fwkit is {current})"


def ensure_image(client: Any, tag: str, base_image: str, echo: Echo, is_default: bool = True) -> None:
    """Build `tag` when it is missing or stale, and say so; otherwise use it as it is."""
    why = stale_reason(client, tag, is_default)
    if why is None:
        return
    echo(f"image {tag} is {why}: building it now" + (" (once)" if why == "missing" else ""))
    build(client, base_image, tag, echo)
