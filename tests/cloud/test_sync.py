"""`fwkit.cloud.sync` on a directory store (the same code paths as S3, no AWS): what a resumable
job leaves in the output prefix at each step. S3 itself is covered end to end against moto in
tests/terraform/test_cloud_emulated_aws.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fwkit.cloud.report import describe_status, read_status
from fwkit.cloud.sync import Sync
from fwkit.errors import FwkitError

OPTIONS = ["--shard-tokens", "20000", "-q"]


def _local_run(tmp_path: Path, text: str, fmt: str) -> Path:
    """A finished local run: npy ~10 shards, megatron .bin + .idx; manifest.json (plus the lock)."""
    source = tmp_path / "in.txt"
    source.write_text(text[:600_000], encoding="utf-8")
    out = tmp_path / "out"
    options = [*OPTIONS, "--format", fmt]
    subprocess.run([sys.executable, "-m", "fwkit", "tokenize", str(source), "--out", str(out), *options], check=True)
    return out


@pytest.mark.parametrize("fmt", ["npy", "megatron"])
def test_publish_leaves_exactly_the_files_of_a_local_run(fmt: str, english_text: str, tmp_path: Path) -> None:
    run = _local_run(tmp_path, english_text, fmt)
    dest = tmp_path / "dest" / "shards"
    dest.mkdir(parents=True)
    (dest / "shard_train_000099.npy").write_text("stale")  # an earlier run under the same prefix
    sync = Sync(run, str(dest), tmp_path / "stage")
    sync.publish()
    local = sorted(p.name for p in run.iterdir() if p.is_file() and p.name != ".fwkit.lock")
    assert sorted(p.name for p in dest.iterdir()) == local
    for name in local:
        assert (dest / name).read_bytes() == (run / name).read_bytes(), name


def test_push_then_pull_restores_the_run_and_an_incomplete_one_is_never_published(
    english_text: str, tmp_path: Path
) -> None:
    run = _local_run(tmp_path, english_text, "npy")
    manifest = json.loads((run / "manifest.json").read_text())
    # Make it look mid-run: the last shard is not listed yet and an unfinished file exists.
    manifest["complete"], last = False, manifest["shards"].pop()
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / ".open.partial").write_bytes(b"\x01" * 100)
    dest = tmp_path / "dest" / "shards"
    sync = Sync(run, str(dest), tmp_path / "stage")
    sync.push()
    listed = {s["path"] for s in manifest["shards"]}
    assert {p.name for p in dest.iterdir()} == listed  # finished shards only, no manifest
    state = dest.parent / "shards.fwkit" / "state"
    assert sorted(p.relative_to(state).as_posix() for p in state.rglob("*") if p.is_file()) == sorted(
        ["manifest.json", "files/.open.partial", f"files/{last['path']}"]
    )
    with pytest.raises(FwkitError, match="not complete"):
        sync.publish()

    restored = tmp_path / "restored"
    assert Sync(restored, str(dest), tmp_path / "stage2").pull() == "resumed"
    assert json.loads((restored / "manifest.json").read_text()) == manifest
    assert (restored / ".open.partial").read_bytes() == b"\x01" * 100
    for name in listed:
        assert (restored / name).read_bytes() == (run / name).read_bytes()
    assert Sync(tmp_path / "other", str(tmp_path / "nothing"), tmp_path / "stage3").pull() == "fresh"


def test_status_lines(tmp_path: Path) -> None:
    assert describe_status(None).startswith("running")
    assert describe_status({"exit_code": 0, "finished": "t"}).startswith("succeeded")
    assert describe_status({"exit_code": 2, "step": "run", "finished": "t"}).startswith("failed at step run (exit 2")
    (tmp_path / "out.fwkit").mkdir()
    (tmp_path / "out.fwkit" / "status.json").write_text('{"exit_code": 0}')
    assert read_status(str(tmp_path / "out")) == {"exit_code": 0}


class _FailsOnce(Sync):
    """A real Sync whose first push is refused, as a throttled or briefly unreachable S3 would."""

    failed = 0

    def push(self) -> None:
        if not self.failed:
            self.failed += 1
            raise FwkitError("aws s3 cp failed (1): SlowDown")
        super().push()


def test_watch_survives_a_failed_push_and_saves_at_the_next_poll_push_fails_once_stand_in(
    english_text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fwkit.cloud.sync import watch

    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")  # no IMDS: refused at once
    run = _local_run(tmp_path, english_text, "npy")
    dest = tmp_path / "dest" / "shards"
    sync = _FailsOnce(run, str(dest), tmp_path / "stage")
    job = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])  # the job the watcher follows
    threading.Thread(target=job.wait, daemon=True).start()  # reaped when it ends: no zombie looks alive
    try:
        watch(sync, job.pid, sync_seconds=0, deadline_seconds=3600, poll=0.2)
    finally:
        job.kill()
    assert sync.failed == 1
    assert (dest.parent / "shards.fwkit" / "state" / "manifest.json").exists()  # saved after the failure
    assert "save failed, retrying at the next poll: aws s3 cp failed (1): SlowDown" in capsys.readouterr().err
