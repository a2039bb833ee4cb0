"""Session fixtures for the runtime tests: a real Docker engine, base image, job image, real prose.

Nothing here is mocked. Without a Docker engine (or root, for cgroups) a test skips and says why,
except in CI (`CI=true`), where `.ci/run` starts dockerd as root and a missing engine is a failure.
The job image is tagged with a digest of the wheelhouse, so an unchanged fwkit is not rebuilt.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fwkit.runtime.container import RUN_LABEL

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


def fwkit_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real `fwkit` command in a child process (real signals, real exit codes)."""
    import sys

    return subprocess.run(
        [sys.executable, "-m", "fwkit", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture
def fwkit() -> Any:
    return fwkit_cli


def _assert_same_output(got: Path, want: Path) -> None:
    """Every shard byte-identical, same file set, same token and document counts."""
    import json

    names = sorted(p.name for p in want.iterdir())
    assert sorted(p.name for p in got.iterdir()) == names
    shards = [n for n in names if n != "manifest.json"]
    assert shards, f"no shards in {want}"
    for name in shards:
        assert (got / name).read_bytes() == (want / name).read_bytes(), f"{name} differs"
    got_m, want_m = (json.loads((d / "manifest.json").read_text()) for d in (got, want))
    assert got_m["complete"] is True
    assert (got_m["tokens"], got_m["documents"]) == (want_m["tokens"], want_m["documents"])


@pytest.fixture
def assert_same_output() -> Any:
    return _assert_same_output


@pytest.fixture(scope="session")
def reference_shards(tmp_path_factory: pytest.TempPathFactory, corpus_file: Path) -> Path:
    """`fwkit tokenize` of the shared corpus, uncapped: what every runtime must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "shards"
    done = fwkit_cli("tokenize", str(corpus_file), "--out", str(out), "--shard-tokens", "300K", "--quiet")
    assert done.returncode == 0, done.stderr
    return out
