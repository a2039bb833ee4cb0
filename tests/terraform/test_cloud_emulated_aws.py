"""`fwkit cloud` end to end against an emulated AWS (moto_server on 127.0.0.1, started here).

`fwkit cloud up` applies the real AWS provider (from the local plugin dir) to the emulator; the
test reads the instance's user data back from the emulated EC2 and runs it in a local container
that plays the instance (`vm_image`: the base image with the AWS CLI and fwkit's dependencies):
its AWS CLI talks to the same emulator, so the shards land in the emulated S3. IMDSv2 cannot run
here: the spot interruption notice comes from a local stand-in (`emulated_aws.ImdsStandIn`), the
only mocked piece, named in the tests that use it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from emulated_aws import (
    ImdsStandIn,
    aws,
    freeze,
    logs,
    moto_server,
    objects,
    running,
    throttle,
    user_data,
    vm_command,
)

import fwkit
from conftest import needs

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUCKET = "fwkit-e2e"
OPTIONS = ["--format", "npy", "--shard-tokens", "500000"]
# The interrupted job runs on tiktoken: gigatoken (which the instance installs when the wheelhouse
# has it, as CI's has) tokenizes its 12 MB in ~0.3 s of CPU, too fast to freeze mid-run.
SLOW = ("--backend", "tiktoken")
PLUGIN_DIRS = [os.environ.get("FWKIT_TF_PLUGIN_DIR", ""), "/opt/tf-plugins"]
WHEEL = f"s3://{BUCKET}/wheels/fwkit-{fwkit.__version__}-py3-none-any.whl"


@pytest.fixture(scope="module")
def emulated(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Iterator[dict[str, str]]:
    """The emulator's environment, with a bucket holding this checkout's fwkit wheel."""
    plugin_dir = next((d for d in PLUGIN_DIRS if d and (Path(d) / "registry.terraform.io").is_dir()), None)
    if plugin_dir is None:
        needs("no local mirror of hashicorp/aws in FWKIT_TF_PLUGIN_DIR or /opt/tf-plugins")
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as env:
        env["FWKIT_TF_PLUGIN_DIR"] = str(plugin_dir)
        aws(env, "s3", "mb", f"s3://{BUCKET}")
        wheel = next((wheelhouse / "fwkit").glob("fwkit-*.whl"))
        aws(env, "s3", "cp", str(wheel), WHEEL)
        yield env


@pytest.fixture
def containers() -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def _fwkit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "fwkit", *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"fwkit {' '.join(args[:2])}: {done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _up(env: dict[str, str], state: Path, source: str, prefix: str, *extra: str, tokenize: tuple = ()) -> dict:
    """`fwkit cloud up` (real provider, emulated AWS); then `status --json`."""
    args = ["cloud", "up", "--yes", "--mem", "1G", "--input-size", "10M", "--runtime", "none"]
    args += ["--sync-minutes", "0.05", "--wheel", WHEEL, "--state-dir", str(state), *extra]
    _fwkit(env, *args, "--", source, "--out", f"s3://{BUCKET}/{prefix}", *OPTIONS, *tokenize)
    return _status(env, state)


def _status(env: dict[str, str], state: Path) -> dict[str, Any]:
    return json.loads(_fwkit(env, "cloud", "status", "--json", "--state-dir", str(state)).stdout)


def _script(env: dict[str, str], status: dict[str, Any], path: Path) -> Path:
    path.write_text(user_data(env, status["instance_id"]))
    return path


def _wait_for(what: str, check: Any, timeout: float, container: str = "") -> Any:
    """Poll `check` until it returns something; on timeout, fail with the container's log tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.3)
    tail = f"\n{container}'s log:\n{logs(container)[-4000:]}" if container else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}{tail}")


def test_failing_job_uploads_status_and_log_never_a_manifest_emulated_aws(
    emulated: dict[str, str], vm_image: str, wheelhouse: Path, english_text: str, tmp_path: Path, containers: list
) -> None:
    env = emulated
    bad = tmp_path / "bad.txt"  # 5 MB of text, then bytes that are not UTF-8: exits 2 with --errors strict
    bad.write_bytes(english_text[:5_000_000].encode() + b"\n\xff\xfe broken \xff\n" + english_text[:100].encode())
    aws(env, "s3", "cp", str(bad), f"s3://{BUCKET}/raw/bad.txt")
    status = _up(env, tmp_path / "state", f"s3://{BUCKET}/raw/bad.txt", "failed", tokenize=("--errors", "strict"))
    script = _script(env, status, tmp_path / "bootstrap.sh")

    imds = ImdsStandIn()
    containers.append(name := f"fwkit-vm-failed-{os.getpid()}")
    cmd = vm_command(name, vm_image, script, wheelhouse, env, imds.endpoint, tmp_path)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 2, logs(name)[-4000:]

    assert "manifest.json" not in objects(env, BUCKET, "failed")  # never a manifest for a failed job
    job = objects(env, BUCKET, "failed.fwkit")
    assert {"status.json", "bootstrap.log"} <= job.keys()
    report = _status(env, tmp_path / "state")
    assert report["job"].startswith("failed at step run (exit 2"), report
    if "state/manifest.json" in job:  # whatever was saved for --resume is not a complete run
        saved = tmp_path / "saved.json"
        aws(env, "s3", "cp", f"s3://{BUCKET}/failed.fwkit/state/manifest.json", str(saved))
        assert json.loads(saved.read_text())["complete"] is False
    _fwkit(env, "cloud", "down", "--yes", "--state-dir", str(tmp_path / "state"))


def test_job_end_to_end_interrupted_then_resumed_imds_stand_in_emulated_aws(
    emulated: dict[str, str], vm_image: str, wheelhouse: Path, english_text: str, tmp_path: Path, containers: list
) -> None:
    env = emulated
    source = tmp_path / "in.txt"
    source.write_text(english_text * 2, encoding="utf-8")  # ~12 MB, ~4M tokens: 8 shards
    aws(env, "s3", "cp", str(source), f"s3://{BUCKET}/raw/in.txt")
    (tmp_path / "old.json").write_text('{"complete": true}')
    for stale in ("shard_train_000099.npy", "manifest.json"):  # an earlier run under the same prefix
        aws(env, "s3", "cp", str(tmp_path / "old.json"), f"s3://{BUCKET}/edu/{stale}")
    state = tmp_path / "state"
    first = _up(env, state, f"s3://{BUCKET}/raw/in.txt", "edu", tokenize=SLOW)
    script = _script(env, first, tmp_path / "first.sh")
    assert "RESUME=false" in script.read_text() and "SYNC_SECONDS=3" in script.read_text()

    # The first "instance": its fwkit processes frozen (SIGSTOP) as soon as its manifest lists a
    # finished shard, so it is mid-run on any machine; once that checkpoint is saved to S3 it is
    # told of a spot interruption, then killed like a reclaimed instance.
    imds = ImdsStandIn()
    containers.append(vm1 := f"fwkit-vm-first-{os.getpid()}")
    work1 = tmp_path / "work1"
    cmd = vm_command(
        vm1, vm_image, script, wheelhouse, env, imds.endpoint, tmp_path, ("-d", "-v", f"{work1}:/var/lib/fwkit")
    )
    subprocess.run(cmd, check=True, capture_output=True)

    def local_shards() -> bool:
        try:
            return bool(json.loads((work1 / "out" / "manifest.json").read_text())["shards"])
        except (OSError, ValueError):
            return False

    # 12 MB take the job ~1 s here, less than noticing its first shard and freezing it. Once the job
    # starts (the bootstrap's pip install ran at full speed), the instance gets 0.2 CPU: on tiktoken
    # (SLOW) the 12 MB then take ~12 s. Unthrottled once frozen, so the uploader saves at full speed.
    _wait_for("the job to start", lambda: running(vm1, "fwkit run") or local_shards(), 900, vm1)
    throttle(vm1, 0.2)
    assert not local_shards(), "the job had finished shards before it was slowed down"
    _wait_for("a local checkpoint with finished shards", local_shards, 900, vm1)
    assert freeze(vm1, "fwkit run"), "the job ended before it could be frozen"
    throttle(vm1, os.cpu_count() or 1)  # `--cpus 0` would keep the quota
    saved = tmp_path / "saved.json"

    def checkpoint_with_shards() -> dict[str, Any] | None:
        get = ["aws", "s3", "cp", f"s3://{BUCKET}/edu.fwkit/state/manifest.json", str(saved)]
        if subprocess.run(get, env=env, capture_output=True).returncode != 0:
            return None  # not saved yet
        manifest = json.loads(saved.read_text())
        return manifest if manifest["shards"] else None

    _wait_for("a saved checkpoint with finished shards", checkpoint_with_shards, 300, vm1)
    imds.notice = True
    _wait_for("a save after the spot notice", lambda: "saved:" in logs(vm1).partition("spot interruption")[2], 120, vm1)
    subprocess.run(["docker", "kill", vm1], check=True, capture_output=True)
    at_kill = json.loads(saved.read_text()) if checkpoint_with_shards() else pytest.fail("no checkpoint")
    assert imds.asked_after_notice >= 1
    assert "fwkit run exited" not in logs(vm1), "the job ended before the interruption: slow it down"
    assert at_kill["complete"] is False and 0 < len(at_kill["shards"]) < 8
    before = objects(env, BUCKET, "edu")
    assert "manifest.json" not in before and "shard_train_000099.npy" not in before  # stale ones cleared
    assert {s["path"] for s in at_kill["shards"]} <= before.keys()

    # `cloud up --resume`: a new instance, its user data continues from the prefix.
    second = _up(env, state, f"s3://{BUCKET}/raw/in.txt", "edu", "--resume", tokenize=SLOW)
    assert second["instance_id"] != first["instance_id"]
    script = _script(env, second, tmp_path / "second.sh")
    assert "RESUME=true" in script.read_text()
    containers.append(vm2 := f"fwkit-vm-second-{os.getpid()}")
    work = tmp_path / "work2"
    mount = ("-v", f"{work}:/var/lib/fwkit")
    cmd = vm_command(vm2, vm_image, script, wheelhouse, env, ImdsStandIn().endpoint, tmp_path, mount)
    started = time.time()
    done = subprocess.run(cmd, capture_output=True, timeout=900)
    log = logs(vm2)
    assert done.returncode == 0, log[-4000:]
    assert f"resumed: {len(at_kill['shards'])} finished shard(s)" in log

    # Exactly the shards of a local run and manifest.json, byte for byte.
    host = tmp_path / "host"
    _fwkit(env, "tokenize", str(source), "--out", str(host), *OPTIONS, "-q")
    shards = sorted(p.name for p in host.glob("*.npy"))
    after = objects(env, BUCKET, "edu")
    assert sorted(after) == sorted([*shards, "manifest.json"])
    fetched = tmp_path / "fetched"
    aws(env, "s3", "cp", "--recursive", f"s3://{BUCKET}/edu/", str(fetched))
    for name in shards:
        assert (fetched / name).read_bytes() == (host / name).read_bytes(), name
    manifest = json.loads((fetched / "manifest.json").read_text())
    local = json.loads((host / "manifest.json").read_text())
    assert manifest["complete"] and manifest["tokens"] == local["tokens"] and manifest["shards"] == local["shards"]

    # Finished shards were not recomputed: not uploaded again, and the resumed job kept the copies it
    # downloaded (the AWS CLI dates a download by the object's LastModified, before this container).
    for shard in at_kill["shards"]:
        name = shard["path"]
        assert after[name]["LastModified"] == before[name]["LastModified"], name
        assert after[name]["ETag"] == before[name]["ETag"], name
        assert (work / "out" / name).stat().st_mtime < started, name

    report = _status(env, state)
    assert report["job"].startswith("succeeded"), report
    assert sorted(objects(env, BUCKET, "edu.fwkit")) == ["bootstrap.log", "status.json"]  # resume state gone

    _fwkit(env, "cloud", "down", "--yes", "--state-dir", str(state))
    _assert_nothing_left(env)


def _assert_nothing_left(env: dict[str, str]) -> None:
    """After `cloud down`: no live instance, role, profile, non-default group, alarm or schedule."""
    live = ["pending", "running", "stopping", "stopped"]
    filters = ["--filters", f"Name=instance-state-name,Values={','.join(live)}"]
    tagged = ["Name=tag:fwkit:job,Values=fwkit"]
    reservations = aws(env, "ec2", "describe-instances", *filters[:1], filters[1], *tagged)["Reservations"]
    assert reservations == []
    assert [r["RoleName"] for r in aws(env, "iam", "list-roles")["Roles"] if r["RoleName"].startswith("fwkit")] == []
    assert aws(env, "iam", "list-instance-profiles")["InstanceProfiles"] == []
    groups = aws(env, "ec2", "describe-security-groups")["SecurityGroups"]
    assert [g["GroupName"] for g in groups if g["GroupName"] != "default"] == []
    assert aws(env, "cloudwatch", "describe-alarms")["MetricAlarms"] == []
    assert aws(env, "scheduler", "list-schedules")["Schedules"] == []
