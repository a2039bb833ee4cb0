"""The classic failure, end to end: the naive prepare script is OOM-killed where `fwkit run` is not.

Same image, same cap, same ~60 MB of real prose. The naive script (`open().read()` + one
`encode_ordinary` into a Python list, ~36 bytes a token) needs well over the cap; the streaming job
fits under it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import manifest

from fwkit.runtime.container import RUN_LABEL

pytestmark = [pytest.mark.docker, pytest.mark.slow]

CAP = "320M"
CAP_BYTES = 320 * 1024 * 1024


def test_naive_script_is_oom_killed_where_fwkit_run_completes(
    run_docker: Any,
    repo: Path,
    docker_client: Any,
    job_image: str,
    prose_file: Path,
    tmp_path: Path,
    no_leftovers: None,
) -> None:
    container = docker_client.containers.run(
        job_image,
        entrypoint=["/opt/fwkit/bin/python", "/bench/naive_prepare.py", "--mode", "whole"],
        command=[f"/in/{prose_file.name}", "/tmp/naive.bin"],
        volumes={
            str(prose_file.parent): {"bind": "/in", "mode": "ro"},
            str(repo / "benchmarks"): {"bind": "/bench", "mode": "ro"},
        },
        user=f"{os.getuid()}:{os.getgid()}",  # as fwkit run does: the inputs are the user's
        mem_limit=CAP_BYTES,
        memswap_limit=CAP_BYTES,
        network_mode="none",
        labels={RUN_LABEL: "test-naive"},
        detach=True,
    )
    try:
        status = container.wait(timeout=300)
        container.reload()
        assert container.attrs["State"]["OOMKilled"] is True, container.logs().decode()[-2000:]
        assert status["StatusCode"] == 137
    finally:
        container.remove(force=True)

    out = tmp_path / "shards"
    done = run_docker(CAP, "--", str(prose_file), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    assert manifest(out)["complete"] is True and manifest(out)["tokens"] > 10_000_000
    assert "of the 320.0 MiB cap" in done.stdout
