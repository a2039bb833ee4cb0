"""The --engine ray tests' cluster: one real two-node Ray cluster per test module (see ray_cluster.py).

Ray is the `fwkit[ray]` extra, which `scripts/setup_dev.sh` installs: in CI (CI=true) its absence
fails these tests; elsewhere it skips them with the command that installs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ray_cluster import TwoNodeCluster, two_node_cluster


def _require_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        message = "Ray is not installed: pip install -e '.[ray]' (scripts/setup_dev.sh does)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNodeCluster]:
    """A head and a second node, one CPU each, token auth on; torn down after the module, pass or fail."""
    _require_ray()
    with two_node_cluster(Path(tmp_path_factory.mktemp("ray"))) as cluster:
        yield cluster


@pytest.fixture
def two_nodes(ray_cluster: TwoNodeCluster) -> TwoNodeCluster:
    """The module's cluster with both nodes alive (a test that killed the second node's raylet
    leaves one node: a new second node joins before the next test)."""
    ray_cluster.ensure_two_nodes()
    return ray_cluster
