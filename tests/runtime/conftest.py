"""Session fixtures for the runtime tests: a real Docker engine, base image, job image, real prose.

Nothing here is mocked. Without a Docker engine (or root, for cgroups) a test skips and says why,
except in CI (`CI=true`), where `.ci/run` starts dockerd as root and a missing engine is a failure.
The job image is tagged with a digest of the wheelhouse, so an unchanged fwkit is not rebuilt.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from fwkit.runtime.container import RUN_LABEL

sys.path.insert(0, str(Path(__file__).parent))
from runtime_helpers import fwkit_cli

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = os.environ.get("FWKIT_TEST_BASE_IMAGE", "fwkit-base:bookworm")
IN_CI = os.environ.get("CI") == "true"
PY_HTML = Path("/usr/share/doc/python3.11/html")


def missing(reason: str) -> None:
    """Skip outside CI, fail in CI: CI has every prerequisite, so a missing one is a real failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    from fwkit.errors import FwkitError
    from fwkit.runtime.container import connect

    try:
        client = connect()
    except FwkitError as err:
        missing(f"no Docker engine: {err.message}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_image(docker_client: Any) -> str:
    """The debootstrap base image (built once; the script skips an existing tag)."""
    subprocess.run([str(REPO / "scripts" / "build_base_image.sh"), BASE_IMAGE], check=True)
    return BASE_IMAGE


@pytest.fixture(scope="session")
def job_image(docker_client: Any, base_image: str) -> str:
    """The fwkit job image for the current source, tagged with its wheelhouse digest."""
    from fwkit.runtime.image import build_image, build_wheelhouse, image_exists

    house = build_wheelhouse(REPO, print)
    tag = f"fwkit-test:{house.digest()}"
    if not image_exists(docker_client, tag):
        build_image(docker_client, REPO, house, base_image, tag, print)
    for old in docker_client.images.list(name="fwkit-test"):  # earlier sources' images: layers only
        for stale in (t for t in old.tags if t != tag):
            with contextlib.suppress(docker.errors.APIError):
                docker_client.images.remove(stale)
    return tag


@pytest.fixture(scope="session")
def root_user() -> None:
    if os.geteuid() != 0:
        missing("the cgroup runtime tests need root (they create memory cgroups)")


@pytest.fixture(scope="session")
def prose_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 60 MB of real prose: Debian's Python 3.11 HTML docs and their sources, concatenated."""
    if not PY_HTML.is_dir():
        pytest.fail(f"{PY_HTML} is missing: `apt-get install python3.11-doc` (.ci/run does)")
    path = tmp_path_factory.mktemp("prose") / "python-docs.txt"
    files = sorted(p for p in PY_HTML.rglob("*") if p.suffix in (".html", ".txt") and p.is_file())
    with open(path, "wb") as out:
        for p in files:
            out.write(p.read_bytes())
            out.write(b"\n\n")
    size = path.stat().st_size
    assert 40_000_000 < size < 80_000_000, f"expected 40-80 MB of docs, got {size:,} bytes"
    return path


@pytest.fixture
def no_leftovers(docker_client: Any) -> Iterator[None]:
    """Fail the test if it leaves an fwkit container behind."""
    before = {c.id for c in docker_client.containers.list(all=True, filters={"label": RUN_LABEL})}
    yield
    after = {c.id for c in docker_client.containers.list(all=True, filters={"label": RUN_LABEL})}
    assert after <= before, f"fwkit containers left behind: {sorted(after - before)}"


@pytest.fixture
def run_docker(job_image: str) -> Any:
    """`fwkit run --mem MEM --runtime docker --image <test image> ARGS...`"""
    return lambda mem, *args: fwkit_cli("run", "--mem", mem, "--runtime", "docker", "--image", job_image, *args)


@pytest.fixture
def run_cgroup(root_user: None) -> Any:
    """`fwkit run --mem MEM --runtime cgroup ARGS...`"""
    return lambda mem, *args: fwkit_cli("run", "--mem", mem, "--runtime", "cgroup", *args)


@pytest.fixture(scope="session")
def reference_shards(tmp_path_factory: pytest.TempPathFactory, corpus_file: Path) -> Path:
    """`fwkit tokenize` of the shared corpus, uncapped: what every runtime must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "shards"
    done = fwkit_cli("tokenize", str(corpus_file), "--out", str(out), "--shard-tokens", "300K", "--quiet")
    assert done.returncode == 0, done.stderr
    return out
