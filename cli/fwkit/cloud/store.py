"""A key-value view of an output location: an `s3://bucket/prefix` through the AWS CLI, or a directory.

Used on the instance by `fwkit.cloud.sync`. S3 goes through the `aws` CLI (no SDK in fwkit's
dependencies), which honours `AWS_ENDPOINT_URL`, `AWS_DEFAULT_REGION` and the instance role, so the
same code runs against AWS, an S3-compatible store or an emulator. A directory store (a path
instead of `s3://`) lets the bootstrap run with no AWS at all (tests, a mounted volume).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Protocol

from fwkit.errors import FwkitError

DELETE_BATCH = 1000  # DeleteObjects takes at most 1000 keys a call


class Store(Protocol):
    """Objects under one root, addressed by keys relative to it (`a/b.npy`)."""

    uri: str

    def list_keys(self, prefix: str = "") -> list[str]: ...
    def put(self, src: Path, key: str) -> None: ...
    def get(self, key: str, dst: Path) -> None: ...
    def put_dir(self, src: Path, prefix: str) -> None: ...
    def mirror(self, src: Path, prefix: str) -> None: ...
    def get_dir(self, prefix: str, dst: Path, exclude: tuple[str, ...] = ()) -> None: ...
    def delete(self, keys: list[str]) -> None: ...


def _aws(*args: str) -> str:
    done = subprocess.run(["aws", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise FwkitError(f"aws {' '.join(args[:3])} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


class S3Store:
    """`s3://bucket/prefix`: keys live at `prefix/<key>`."""

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        bucket, _, prefix = self.uri.removeprefix("s3://").partition("/")
        self.bucket, self.prefix = bucket, prefix

    def list_keys(self, prefix: str = "") -> list[str]:
        root = f"{self.prefix}/"
        out = _aws(
            "s3api", "list-objects-v2", "--bucket", self.bucket, "--prefix", root + prefix,
            "--query", "Contents[].Key", "--output", "json",
        )  # fmt: skip
        return sorted(k.removeprefix(root) for k in (json.loads(out or "null") or []))

    def put(self, src: Path, key: str) -> None:
        _aws("s3", "cp", "--only-show-errors", str(src), f"{self.uri}/{key}")

    def get(self, key: str, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        _aws("s3", "cp", "--only-show-errors", f"{self.uri}/{key}", str(dst))

    # One CLI call a directory: each `aws` process costs ~1 s of Python start-up, and the CLI
    # moves the files of one call in parallel.
    def put_dir(self, src: Path, prefix: str) -> None:
        _aws("s3", "cp", "--only-show-errors", "--recursive", str(src), f"{self.uri}/{prefix}")

    def mirror(self, src: Path, prefix: str) -> None:
        """`prefix` becomes a copy of `src`: changed files uploaded, others deleted (one call)."""
        _aws("s3", "sync", "--only-show-errors", "--delete", str(src), f"{self.uri}/{prefix}")

    def get_dir(self, prefix: str, dst: Path, exclude: tuple[str, ...] = ()) -> None:
        excludes = [arg for name in exclude for arg in ("--exclude", name)]
        _aws("s3", "cp", "--only-show-errors", "--recursive", f"{self.uri}/{prefix}", str(dst), *excludes)

    def delete(self, keys: list[str]) -> None:
        for i in range(0, len(keys), DELETE_BATCH):
            objects = [{"Key": f"{self.prefix}/{k}"} for k in keys[i : i + DELETE_BATCH]]
            request = json.dumps({"Objects": objects, "Quiet": True})
            _aws("s3api", "delete-objects", "--bucket", self.bucket, "--delete", request)


class DirStore:
    """A directory: keys are relative paths under it."""

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        self.root = Path(self.uri)

    def list_keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        found = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in found if k.startswith(prefix))

    def put(self, src: Path, key: str) -> None:
        dst = self.root / key
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)

    def get(self, key: str, dst: Path) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.root / key, dst)

    def put_dir(self, src: Path, prefix: str) -> None:
        shutil.copytree(src, self.root / prefix, dirs_exist_ok=True)

    def mirror(self, src: Path, prefix: str) -> None:
        files = {p.relative_to(src).as_posix() for p in src.rglob("*") if p.is_file()}
        self.delete([k for k in self.list_keys(prefix) if k.removeprefix(prefix) not in files])
        self.put_dir(src, prefix)

    def get_dir(self, prefix: str, dst: Path, exclude: tuple[str, ...] = ()) -> None:
        for key in self.list_keys(prefix):
            if key not in exclude:
                self.get(key, dst / key.removeprefix(prefix))

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


def job_uri(output_uri: str) -> str:
    """Where a job's own files go, beside its output: `s3://b/shards` -> `s3://b/shards.fwkit`."""
    return output_uri.rstrip("/") + ".fwkit"


def open_store(uri: str) -> Store:
    """The store for an `s3://bucket/prefix` or an absolute directory path."""
    return S3Store(uri) if uri.startswith("s3://") else DirStore(uri)
