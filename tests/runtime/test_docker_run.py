"""`fwkit run --runtime docker` against a real engine: same bytes as tokenize, OOM, Ctrl-C, bad input."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import (
    FWKIT,
    assert_same_output,
    checkpointed,
    fwkit_cli,
    last_line,
    manifest,
    start_run,
    wait_until,
)

from fwkit.errors import EXIT_BAD_INPUT, EXIT_OOM, EXIT_SIGINT
from fwkit.runtime.container import OWNER_LABEL

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_docker_run_output_is_byte_identical_to_tokenize(
    run_docker: Any, corpus_file: Path, reference_shards: Path, tmp_path: Path, no_leftovers: None
) -> None:
    out = tmp_path / "shards"
    done = run_docker("1G", "--", str(corpus_file), "--out", str(out), "--shard-tokens", "300K", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "runtime: docker" in done.stderr
    assert "done (docker)" in done.stdout and "of the 1.0 GiB cap" in done.stdout
    assert_same_output(out, reference_shards)
    assert out.stat().st_uid == tmp_path.stat().st_uid  # written as the invoking user
    # The manifest names the host's paths, so verify re-reads the inputs from the host.
    assert [i["path"] for i in manifest(out)["inputs"]] == [str(corpus_file.resolve())]
    checked = fwkit_cli("verify", str(out), "--sample", "3")
    assert checked.returncode == 0 and " 0 samples" not in checked.stdout, checked.stdout
    assert checked.stdout.rstrip().endswith("samples re-tokenized, 0 problems"), checked.stdout


def test_docker_cap_too_small_is_reported_as_oom_with_exit_3(
    run_docker: Any, corpus_file: Path, tmp_path: Path, no_leftovers: None
) -> None:
    done = run_docker("64M", "--force", "--", str(corpus_file), "--out", str(tmp_path / "shards"))
    assert done.returncode == EXIT_OOM, done.stderr
    last = last_line(done)
    assert "killed by the OOM killer at the 64.0 MiB cap after" in last
    assert " --force -- " in last and last.endswith("--resume` (or the same --mem with fewer --workers)")
    assert "resume with a larger cap: `fwkit run --mem 256M --runtime docker" in last
    assert sum(line.startswith("error:") for line in done.stderr.splitlines()) == 1, done.stderr


def test_docker_bad_input_keeps_its_exit_code_and_message(run_docker: Any, tmp_path: Path, no_leftovers: None) -> None:
    bad = tmp_path / "table.csv"
    bad.write_text("a,b\n1,2\n")
    done = run_docker("1G", "--", str(bad), "--out", str(tmp_path / "out"))
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert "table.csv" in done.stderr
    assert "OOM" not in done.stderr


def test_docker_ctrl_c_stops_cleanly_leaves_resumable_state_and_no_container(
    job_image: str, prose_file: Path, tmp_path: Path, docker_client: Any, no_leftovers: None
) -> None:
    out = tmp_path / "shards"
    args = ["--", str(prose_file), "--out", str(out), "--shard-tokens", "1M", "--workers", "1"]
    proc = start_run("--mem", "1G", "--runtime", "docker", "--image", job_image, *args)
    wait_until("a first checkpoint", lambda: checkpointed(out) or proc.poll() is not None)
    assert proc.poll() is None, f"the job ended before it could be interrupted: {proc.communicate()}"
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_SIGINT, stderr
    state = manifest(out)
    assert state["complete"] is False and state["tokens"] > 0
    owned = [
        c for c in docker_client.containers.list(all=True) if c.labels.get(OWNER_LABEL, "").endswith(f":{proc.pid}")
    ]
    assert owned == [], "the interrupted run left its container behind"

    resumes = re.findall(r"resume with `([^`]+)`", stderr.strip().splitlines()[-1])  # fwkit run's own line
    assert resumes, stderr
    argv = shlex.split(resumes[-1])
    assert argv[:2] == ["fwkit", "run"] and argv[-1] == "--resume"
    inside = re.findall(r"resume with `([^`]+)`", stderr)  # tokenize, in the container, leaves the line to run
    assert inside == resumes[-1:], "a second stop line, or a resume hint with container paths: " + stderr
    again = subprocess.run([*FWKIT, *argv[1:]], capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    final = manifest(out)
    assert final["complete"] is True and final["tokens"] > state["tokens"]


def test_missing_image_that_cannot_be_built_is_one_line(docker_client: Any, tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n")
    done = fwkit_cli("run", "--mem", "1G", "--runtime", "docker", "--image", "fwkit-no-such-image:0",
                     "--base-image", "fwkit-no-such-base:0", "--", str(src), "--out", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 2
    assert "image fwkit-no-such-image:0 is missing: building it now" in done.stderr
    assert "base image fwkit-no-such-base:0 is not on this host and fwkit never pulls" in last_line(done)


def test_auto_falls_back_to_a_cgroup_when_the_image_cannot_be_built(
    docker_client: Any, root_user: None, tmp_path: Path
) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n\nworld\n")
    done = fwkit_cli("run", "--mem", "1G", "--image", "fwkit-no-such-image:0", "--base-image", "fwkit-no-such-base:0",
                     str(src), "--out", str(tmp_path / "o"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "runtime: docker (auto: the Docker engine answered)" in done.stderr
    assert "the job image could not be built (base image fwkit-no-such-base:0 is not on this host" in done.stderr
    assert "running under a cgroup v" in done.stderr and "done (cgroup)" in done.stdout
