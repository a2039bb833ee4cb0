"""`fwkit run --runtime docker` against a real engine: same bytes as tokenize, OOM, Ctrl-C, bad input."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fwkit.errors import EXIT_BAD_INPUT, EXIT_OOM, EXIT_SIGINT

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_docker_run_output_is_byte_identical_to_tokenize(
    fwkit: Any,
    job_image: str,
    corpus_file: Path,
    reference_shards: Path,
    tmp_path: Path,
    assert_same_output: Any,
    no_leftovers: None,
) -> None:
    out = tmp_path / "shards"
    done = fwkit(
        "run",
        "--mem",
        "1G",
        "--runtime",
        "docker",
        "--image",
        job_image,
        "--",
        str(corpus_file),
        "--out",
        str(out),
        "--shard-tokens",
        "300K",
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert "runtime: docker" in done.stderr
    assert "done (docker)" in done.stdout and "of the 1.0 GiB cap" in done.stdout
    assert_same_output(out, reference_shards)
    assert out.stat().st_uid == (tmp_path.stat().st_uid)


def test_docker_cap_too_small_is_reported_as_oom_with_exit_3(
    fwkit: Any, job_image: str, corpus_file: Path, tmp_path: Path, no_leftovers: None
) -> None:
    out = tmp_path / "shards"
    done = fwkit(
        "run",
        "--mem",
        "64M",
        "--force",
        "--runtime",
        "docker",
        "--image",
        job_image,
        "--",
        str(corpus_file),
        "--out",
        str(out),
    )
    assert done.returncode == EXIT_OOM, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert "killed by the OOM killer at the 64.0 MiB cap after" in last
    assert "resume with `fwkit run --mem 64M --runtime docker --image " in last
    assert " --force -- " in last and last.endswith("--resume`; or raise --mem / lower --workers")
    assert "raise --mem / lower --workers" in last


def test_docker_bad_input_keeps_its_exit_code_and_message(
    fwkit: Any, job_image: str, tmp_path: Path, no_leftovers: None
) -> None:
    bad = tmp_path / "table.csv"
    bad.write_text("a,b\n1,2\n")
    done = fwkit(
        "run",
        "--mem",
        "1G",
        "--runtime",
        "docker",
        "--image",
        job_image,
        "--",
        str(bad),
        "--out",
        str(tmp_path / "out"),
    )
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "table.csv" in done.stderr
    assert "OOM" not in done.stderr


def test_docker_ctrl_c_stops_cleanly_leaves_resumable_state_and_no_container(
    job_image: str, prose_file: Path, tmp_path: Path, docker_client: Any, no_leftovers: None
) -> None:
    out = tmp_path / "shards"
    cmd = [
        sys.executable,
        "-m",
        "fwkit",
        "run",
        "--mem",
        "1G",
        "--runtime",
        "docker",
        "--image",
        job_image,
        "--",
        str(prose_file),
        "--out",
        str(out),
        "--shard-tokens",
        "1M",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    manifest = out / "manifest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # wait for a first checkpoint
        if manifest.exists() and json.loads(manifest.read_text()).get("tokens", 0) > 0:
            break
        time.sleep(0.2)
    assert proc.poll() is None, f"the job ended before it could be interrupted: {proc.communicate()}"
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_SIGINT, stderr
    state = json.loads(manifest.read_text())
    assert state["complete"] is False and state["tokens"] > 0
    assert "resume with `fwkit run" in stderr
    owned = [
        c for c in docker_client.containers.list(all=True) if c.labels.get("fwkit.owner", "").endswith(f":{proc.pid}")
    ]
    assert owned == [], "the interrupted run left its container behind"

    resumes = re.findall(r"resume with `([^`]+)`", stderr.strip().splitlines()[-1])  # fwkit run's own line
    assert resumes, stderr
    argv = shlex.split(resumes[-1])
    assert argv[:2] == ["fwkit", "run"] and argv[-1] == "--resume"
    again = subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    final = json.loads(manifest.read_text())
    assert final["complete"] is True and final["tokens"] > state["tokens"]
