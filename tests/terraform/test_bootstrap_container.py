"""The cloud bootstrap, rendered by Terraform and run for real in a container (no AWS).

The exact template (`terraform/modules/bootstrap`) is rendered with `terraform apply` of the
provider-free module, then run as root in the debootstrap base image (`fwkit-base:bookworm`) with
no network: fwkit is installed from a local wheelhouse (`pip --no-index`), the job is a small
`fwkit run --runtime none`, the "upload" goes to a mounted directory, and `poweroff`/`shutdown`
are stubs in PATH that record their calls, since a container cannot power off.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tfrun import render_bootstrap

import fwkit

STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> /observe/power.log\n'

pytestmark = [pytest.mark.docker, pytest.mark.slow]


OPTIONS = ["--format", "npy", "--shard-tokens", "20000"]


def _run_bootstrap(tmp_path: Path, base_image: str, wheelhouse: Path, inputs: list[str]) -> tuple[int, str]:
    """Render the bootstrap for a local job, run it in the base image; (exit code, its log)."""
    dirs = {d: tmp_path / d for d in ("data", "dest", "observe", "stubs")}
    for d in dirs.values():
        d.mkdir(exist_ok=True)
    for name in ("poweroff", "shutdown"):
        (dirs["stubs"] / name).write_text(STUB)
        (dirs["stubs"] / name).chmod(0o755)
    script = render_bootstrap(
        tmp_path / "render",
        {
            "fwkit_version": fwkit.__version__,
            "pip_find_links": ["/wheelhouse/deps", "/wheelhouse/fwkit"],
            "runtime": "none",
            "output_uri": "/dest/shards",
            "max_hours": 0.5,
            "job": {"inputs": inputs, "mem": "1G", "options": OPTIONS},
        },
    )
    (tmp_path / "bootstrap.sh").write_text(script)
    mounts = [(wheelhouse, "/wheelhouse", "ro"), (tmp_path / "bootstrap.sh", "/bootstrap.sh", "ro")]
    mounts += [(path, f"/{name}", "ro" if name in ("data", "stubs") else "rw") for name, path in dirs.items()]
    cmd = [
        "docker",
        "run",
        "--rm",
        "--network",
        "none",
        "-e",
        "PATH=/stubs:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    ]
    for src, dst, mode in mounts:
        cmd += ["-v", f"{src}:{dst}:{mode}"]
    done = subprocess.run([*cmd, base_image, "bash", "/bootstrap.sh"], capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout + done.stderr


def _power_calls(tmp_path: Path) -> list[str]:
    """The stubs' record: the max_hours timer first (0.5 h = 30 min), poweroff last."""
    calls = [line.strip() for line in (tmp_path / "observe" / "power.log").read_text().splitlines()]
    assert calls[0] == "shutdown -P +30 fwkit: max_hours reached", calls
    assert calls[-1] == "poweroff", calls
    return calls


def test_bootstrap_runs_the_job_uploads_and_powers_off(
    base_image: str, wheelhouse: Path, english_text: str, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.txt").write_text(english_text[:300_000], encoding="utf-8")
    code, log = _run_bootstrap(tmp_path, base_image, wheelhouse, ["/data/in.txt"])
    assert code == 0, log[-4000:]
    _power_calls(tmp_path)

    # The job ran, doctor first, and the shards + manifest were "uploaded".
    assert log.index("fwkit-bootstrap: ") < log.index("fwkit doctor (") < log.index("fwkit run --mem 1G --runtime none")
    shards = tmp_path / "dest" / "shards"
    manifest = json.loads((shards / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["tokens"] > 50_000
    job = tmp_path / "dest" / "shards.fwkit"  # the job's own files, beside the output
    status = json.loads((job / "status.json").read_text())
    assert status["exit_code"] == 0 and status["fwkit_version"] == fwkit.__version__
    assert "fwkit run exited 0" in (job / "bootstrap.log").read_text()
    assert sorted(p.name for p in job.iterdir()) == ["bootstrap.log", "status.json"]  # the resume state is gone

    # Byte for byte what `fwkit tokenize` writes on this host for the same input and options.
    host = tmp_path / "host"
    source = tmp_path / "data" / "in.txt"
    subprocess.run(
        [sys.executable, "-m", "fwkit", "tokenize", str(source), "--out", str(host), *OPTIONS, "-q"], check=True
    )
    names = sorted(p.name for p in host.glob("*.npy"))
    assert len(names) >= 3 and sorted(p.name for p in shards.iterdir()) == sorted([*names, "manifest.json"])
    for name in names:
        assert (shards / name).read_bytes() == (host / name).read_bytes(), name


def test_a_failed_job_still_reports_and_powers_off(base_image: str, wheelhouse: Path, tmp_path: Path) -> None:
    code, log = _run_bootstrap(tmp_path, base_image, wheelhouse, ["/data/missing.txt"])
    assert code == 2, log[-4000:]  # fwkit run's exit code for bad input, passed through
    _power_calls(tmp_path)
    job = tmp_path / "dest" / "shards.fwkit"
    status = json.loads((job / "status.json").read_text())
    assert status["exit_code"] == 2 and status["step"] == "run"
    assert "missing.txt" in (job / "bootstrap.log").read_text()
    assert not (tmp_path / "dest" / "shards" / "manifest.json").exists()  # never a manifest for a failed job
