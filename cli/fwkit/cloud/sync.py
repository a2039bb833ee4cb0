"""The instance's side of a spot- and limit-safe job: keep the output prefix in step with `--out`.

    python -m fwkit.cloud.sync --out /var/lib/fwkit/out --uri s3://b/shards --stage /var/lib/fwkit/sync begin
    python -m fwkit.cloud.sync ... watch --pid 1234 --sync-seconds 300 --deadline-seconds 42600
    python -m fwkit.cloud.sync ... publish

Two places: the output prefix `URI/` gets only what a local run leaves (the shards the manifest
lists, then `manifest.json`), and its sibling `URI.fwkit/` holds the job's own files: `state/` (the
checkpoint manifest and every file of `--out` the manifest does not list as finished, i.e. the
open shard) while the job runs, `status.json` and `bootstrap.log`. The layout of `--out` is not
assumed: whatever is neither a listed shard, the manifest nor the lock is resume state.

Order makes every moment resumable: a finished shard is uploaded before a checkpoint manifest that
lists it, the state files before the manifest that needs them; the final `manifest.json` goes
last, after stale objects of an earlier run are gone. Each step is one AWS CLI call (its start-up
costs seconds on a busy instance): a push is at most three.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fwkit.cloud.store import Store, job_uri, open_store
from fwkit.errors import FwkitError

MANIFEST = "manifest.json"
LOCK = ".fwkit.lock"  # the out dir's flock file: not state
STATE = "state/"
IMDS = "http://169.254.169.254"  # AWS_EC2_METADATA_SERVICE_ENDPOINT overrides it, as for the AWS SDKs
POLL_SECONDS = 5.0  # how often the watcher looks at the job, the clock and the spot notice


def finished_files(manifest: dict[str, Any]) -> list[str]:
    """The files of the shards the manifest lists, with their companions (Megatron's `.idx`)."""
    import numpy as np

    from fwkit.engine.formats import make_format

    fmt = make_format(manifest["format"], np.dtype(manifest.get("dtype", "uint16")))
    return [name for s in manifest["shards"] for name in (s["path"], *fmt.companions(s["path"]))]


def say(text: str) -> None:
    print(f"fwkit-sync: {time.strftime('%H:%M:%SZ', time.gmtime())} {text}", file=sys.stderr, flush=True)


class Sync:
    """One job's out dir, its two stores and a local stage (snapshot copies, the uploaded list)."""

    def __init__(self, out_dir: Path, uri: str, stage: Path) -> None:
        self.out_dir, self.stage = out_dir, stage
        self.data: Store = open_store(uri)
        self.job: Store = open_store(job_uri(uri))
        stage.mkdir(parents=True, exist_ok=True)
        self._uploaded = stage / "uploaded.txt"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One sync at a time (the watcher and the final publish)."""
        with open(self.stage / ".lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            yield

    def uploaded(self) -> set[str]:
        return set(self._uploaded.read_text().split()) if self._uploaded.exists() else set()

    def _upload_shards(self, manifest: dict[str, Any]) -> int:
        """Finished shards not uploaded yet, in one transfer (hard links in a stage directory)."""
        done = self.uploaded()
        new = [name for name in finished_files(manifest) if name not in done]
        if not new:
            return 0
        batch = self.stage / "batch"
        shutil.rmtree(batch, ignore_errors=True)
        for name in new:
            (batch / name).parent.mkdir(parents=True, exist_ok=True)
            os.link(self.out_dir / name, batch / name)
        self.data.put_dir(batch, "")
        shutil.rmtree(batch)
        with open(self._uploaded, "a") as f:
            f.writelines(f"{n}\n" for n in new)
        return len(new)

    def snapshot(self) -> tuple[dict[str, Any], Path] | None:
        """The manifest and copies of every unfinished file, consistent with it; None before the first."""
        snap = self.stage / "snap"
        for _ in range(10):  # a file renamed while we copy (a shard finishing): take it again
            shutil.rmtree(snap, ignore_errors=True)
            try:
                manifest = json.loads((self.out_dir / MANIFEST).read_text())
            except FileNotFoundError:
                return None
            finished = set(finished_files(manifest))
            try:
                for path in sorted(p for p in self.out_dir.rglob("*") if p.is_file()):
                    rel = path.relative_to(self.out_dir).as_posix()
                    if rel not in finished and rel not in (MANIFEST, LOCK):
                        (snap / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(path, snap / "files" / rel)
            except FileNotFoundError:
                continue
            snap.mkdir(parents=True, exist_ok=True)  # a checkpoint at a shard's end has no open file
            (snap / MANIFEST).write_text(json.dumps(manifest))
            return manifest, snap
        raise FwkitError(f"{self.out_dir}: files kept changing while taking a snapshot")

    def begin(self) -> None:
        """A fresh job: remove an earlier run's objects (shards, manifest, resume state) first."""
        with self.locked():
            stale = self.data.list_keys()
            self.data.delete([k for k in stale if k == MANIFEST])  # no complete manifest over a mix
            self.data.delete([k for k in stale if k != MANIFEST])
            self.job.delete(self.job.list_keys(STATE))
            self._uploaded.unlink(missing_ok=True)
            say(f"fresh start: removed {len(stale)} earlier object(s) under {self.data.uri}/")

    def pull(self) -> str:
        """Restore `--out` from the resume state: "resumed", "complete" (nothing to do) or "fresh"."""
        with self.locked():
            state = self.job.list_keys(STATE)
            if STATE + MANIFEST not in state:
                if MANIFEST in self.data.list_keys():
                    self.data.get(MANIFEST, self.stage / MANIFEST)
                    if json.loads((self.stage / MANIFEST).read_text()).get("complete"):
                        say(f"{self.data.uri}/{MANIFEST} is complete: nothing to resume")
                        return "complete"
                say(f"no resume state under {self.job.uri}/{STATE}: starting over")
                return "fresh"
            self.job.get(STATE + MANIFEST, self.stage / MANIFEST)
            manifest = json.loads((self.stage / MANIFEST).read_text())
            # Every shard under the prefix was finished when uploaded (a fresh start cleared it);
            # one past the checkpoint is dropped or rewritten by `fwkit tokenize --resume`.
            uploaded = [k for k in self.data.list_keys() if k != MANIFEST]
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self.data.get_dir("", self.out_dir, exclude=(MANIFEST,))
            self.job.get_dir(STATE + "files/", self.out_dir)
            shutil.copy2(self.stage / MANIFEST, self.out_dir / MANIFEST)  # last: it needs the files
            listed = set(finished_files(manifest))
            self._uploaded.write_text("".join(f"{n}\n" for n in uploaded if n in listed))
            tokens = manifest["tokens"]
            say(f"resumed: {len(manifest['shards'])} finished shard(s), {tokens:,} tokens at the checkpoint")
            return "resumed"

    def push(self) -> None:
        """Upload new finished shards, then the resume state: files first, manifest, stale files last."""
        with self.locked():
            taken = self.snapshot()
            if taken is None:
                return
            manifest, snap = taken
            new = self._upload_shards(manifest)
            # Mirrored (stale state files deleted) before the manifest: a kill in between leaves
            # the old manifest with newer files, which resumes too: a shard that finished since is
            # under the output prefix already, and `--resume` takes a finished shard back.
            (snap / "files").mkdir(exist_ok=True)
            self.job.mirror(snap / "files", STATE + "files/")
            self.job.put(snap / MANIFEST, STATE + MANIFEST)
            shards = len(manifest["shards"])
            say(f"saved: {new} new shard(s) ({shards} in all), checkpoint at {manifest['tokens']:,} tokens")

    def publish(self) -> None:
        """The finished job: exactly its shards, stale objects removed, `manifest.json` last."""
        with self.locked():
            manifest = json.loads((self.out_dir / MANIFEST).read_text())
            if not manifest.get("complete"):
                raise FwkitError(f"{self.out_dir}/{MANIFEST} is not complete: nothing to publish")
            self._upload_shards(manifest)
            keep = set(finished_files(manifest))
            self.data.delete([k for k in self.data.list_keys() if k not in keep])
            self.data.put(self.out_dir / MANIFEST, MANIFEST)
            self.job.delete(self.job.list_keys(STATE))
            say(f"published {len(manifest['shards'])} shard(s) and {MANIFEST} to {self.data.uri}/")


def spot_notice(timeout: float = 2.0) -> bool:
    """Whether IMDSv2 announces a spot interruption (`spot/instance-action` answers 200)."""
    base = os.environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT", IMDS).rstrip("/")
    try:
        put = urllib.request.Request(
            f"{base}/latest/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"}
        )
        with urllib.request.urlopen(put, timeout=timeout) as r:
            token = r.read().decode()
        get = urllib.request.Request(
            f"{base}/latest/meta-data/spot/instance-action", headers={"X-aws-ec2-metadata-token": token}
        )
        with urllib.request.urlopen(get, timeout=timeout) as r:
            return r.status == 200
    except OSError:  # 404 (no notice), no IMDS here, a timeout
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def watch(sync: Sync, pid: int, sync_seconds: float, deadline_seconds: float, poll: float = POLL_SECONDS) -> None:
    """While `pid` runs: push every `sync_seconds`, once at `deadline_seconds`, and continuously
    after a spot interruption notice. SIGTERM ends the loop after the current push. A failed push
    never ends the loop: a watcher that died would leave a spot instance with no resume state."""
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    start = last = time.monotonic()
    noticed = near = False
    while not stopping and _alive(pid):
        time.sleep(poll)
        if stopping:
            return
        now = time.monotonic() - start
        if not noticed and spot_notice():
            noticed = True
            say("spot interruption notice: saving the resume state until the instance goes")
        due = noticed or time.monotonic() - last >= sync_seconds
        if not near and now >= deadline_seconds:
            near = due = True
            say("max_hours is near: saving the resume state")
        if due:
            try:
                sync.push()
            except (FwkitError, OSError) as err:  # a refused upload, a full stage disk: try again
                say(f"save failed, retrying at the next poll: {getattr(err, 'message', err)}")
                continue  # `last` unchanged: the next poll is due at once
            last = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fwkit.cloud.sync", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the job's --out directory")
    parser.add_argument("--uri", required=True, help="the output prefix: s3://bucket/prefix or a directory")
    parser.add_argument("--stage", type=Path, required=True, help="a local working directory for snapshots")
    sub = parser.add_subparsers(dest="action", required=True)
    for name in ("begin", "pull", "push", "publish"):
        sub.add_parser(name)
    w = sub.add_parser("watch")
    w.add_argument("--pid", type=int, required=True)
    w.add_argument("--sync-seconds", type=float, required=True)
    w.add_argument("--deadline-seconds", type=float, required=True)
    w.add_argument("--poll-seconds", type=float, default=POLL_SECONDS)
    args = parser.parse_args(argv)
    sync = Sync(args.out, args.uri, args.stage)
    try:
        if args.action == "watch":
            watch(sync, args.pid, args.sync_seconds, args.deadline_seconds, args.poll_seconds)
        elif args.action == "pull":
            print(sync.pull())
        else:
            getattr(sync, args.action)()
    except FwkitError as err:
        say(f"error: {err.message}")
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main())
