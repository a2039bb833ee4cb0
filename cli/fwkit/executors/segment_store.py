"""Where Ray tasks leave their segments for the driver: a directory every node sees, or S3.

    OUT/.fwkit/segments/                 default: the out dir, on a shared file system (NFS, EFS, ...)
    /shared/scratch/fwkit-segments/      --ray-scratch /shared/scratch: a shared path, --out the driver's own
    s3://bucket/scratch/fwkit-segments/  --ray-scratch s3://bucket/scratch: nodes that share no file system

A store holds objects by name (`plan.json`, `KEY.tokens`, `KEY.json`) and writes each whole or not
at all: in a directory by a temp name and a rename; on S3 a PUT is atomic by itself. A directory
store does not fsync: every segment is checked against its record's length and sha256 whenever it
is read, so what a power cut tears costs a re-run of its unit, never a wrong token, and an fsync
per unit (which on ext4 also flushes the shards being written) cost a Ray run 3.3 s of 24 (1000 MB). It is
named by a string (`location`) so a task on another node opens the same store. Only names fwkit
itself writes are ever deleted: a scratch prefix may hold other objects, and they stay.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Protocol

from fwkit.errors import FwkitError

OURS = re.compile(r"(plan\.json|u\d{6}-\d{16}-[01]\.(tokens|json))")  # every name a store holds
SCRATCH_SUBDIR = "fwkit-segments"  # under the --ray-scratch prefix or directory
S3_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")  # pyarrow reads neither itself


class SegmentStore(Protocol):
    location: str  # what a task on another node opens the same store with

    def put(self, name: str, data: bytes | memoryview) -> None:
        """Write `name` whole, replacing it; a crash leaves the old one or none, never a part."""
        ...

    def get(self, name: str) -> bytes | None:
        """The object's bytes, None if there is none."""
        ...

    def size(self, name: str) -> int | None: ...

    def local_path(self, name: str) -> Path | None:
        """A path to map the object from, where the store is a directory (None on S3)."""
        ...

    def delete(self, name: str) -> None: ...

    def names(self) -> list[str]:
        """The objects fwkit wrote here (never anything else under the prefix)."""
        ...

    def remove_all(self) -> None:
        """The run is complete: every object of ours goes (a directory goes with them)."""
        ...

    def check(self) -> None:
        """Fail before any work where the store cannot be used (an S3 bucket that is not there)."""
        ...


class DirectoryStore:
    """A directory on a file system every node and the driver mount at the same path."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.location = str(directory)

    def put(self, name: str, data: bytes | memoryview) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / name
        tmp = path.with_name(f".{name}.{uuid.uuid4().hex}.tmp")  # a retry may race a dying attempt
        try:
            with open(tmp, "wb") as f:  # no fsync: see the module's docstring
                f.write(data)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def get(self, name: str) -> bytes | None:
        try:
            return (self.directory / name).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def size(self, name: str) -> int | None:
        try:
            return (self.directory / name).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            return None

    def local_path(self, name: str) -> Path | None:
        return self.directory / name

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / name).unlink()

    def names(self) -> list[str]:
        try:
            return [p.name for p in self.directory.iterdir() if OURS.fullmatch(p.name)]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def remove_all(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def check(self) -> None:
        return None  # created on first write; the out dir's own checks cover the default place


class S3Store:
    """`s3://bucket/prefix/fwkit-segments/`, through pyarrow's S3 client (already a dependency).

    Credentials are each machine's own (instance role, IRSA, environment); an S3-compatible
    endpoint comes from AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, which the driver passes on to
    the tasks (never a credential)."""

    def __init__(self, uri: str) -> None:
        from pyarrow import fs

        bucket_and_prefix = uri.removeprefix("s3://").strip("/")
        if not bucket_and_prefix:
            raise FwkitError(f"--ray-scratch {uri}: name a bucket, e.g. s3://my-bucket/fwkit-scratch")
        self.location = uri
        self.root = f"{bucket_and_prefix}/{SCRATCH_SUBDIR}"
        endpoint = next((os.environ[v] for v in S3_ENDPOINT_VARIABLES if os.environ.get(v)), None)
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        self.fs = fs.S3FileSystem(endpoint_override=endpoint, region=region)
        self._fs_module = fs

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def put(self, name: str, data: bytes | memoryview) -> None:
        with self._fail(name), self.fs.open_output_stream(self._path(name)) as f:
            f.write(data)

    def get(self, name: str) -> bytes | None:
        try:
            with self._fail(name), self.fs.open_input_stream(self._path(name)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def size(self, name: str) -> int | None:
        with self._fail(name):
            info = self.fs.get_file_info(self._path(name))
        return info.size if info.type == self._fs_module.FileType.File else None

    def local_path(self, name: str) -> Path | None:
        return None

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError), self._fail(name):
            self.fs.delete_file(self._path(name))

    def names(self) -> list[str]:
        with self._fail(""):
            found = self.fs.get_file_info(self._fs_module.FileSelector(self.root, allow_not_found=True))
        return [info.base_name for info in found if OURS.fullmatch(info.base_name)]

    def remove_all(self) -> None:
        for name in self.names():
            self.delete(name)

    def check(self) -> None:
        bucket = self.root.split("/")[0]
        with self._fail(""):
            found = self.fs.get_file_info(bucket).type != self._fs_module.FileType.NotFound
        if not found:
            raise FwkitError(f"--ray-scratch {self.location}: no bucket {bucket!r} here: create it, or fix the name")

    @contextlib.contextmanager
    def _fail(self, name: str):  # type: ignore[no-untyped-def]
        """An S3 error as one line naming the object (a missing bucket, no credentials, ...)."""
        try:
            yield
        except FileNotFoundError:
            raise
        except OSError as err:
            first = str(err).splitlines()[0]
            where = f"s3://{self._path(name)}"
            raise FwkitError(f"{where}: {first} (check --ray-scratch and the AWS credentials)") from None


def open_store(location: str) -> DirectoryStore | S3Store:
    """The store a location names: `s3://...` or a directory."""
    return S3Store(location) if location.startswith("s3://") else DirectoryStore(Path(location))


def scratch_location(scratch: str) -> str:
    """A --ray-scratch value as a store location: fwkit keeps to a subdirectory of a scratch
    directory, as it keeps to a sub-prefix of an S3 one."""
    return scratch if scratch.startswith("s3://") else str(Path(scratch) / SCRATCH_SUBDIR)


def forwarded_environment() -> dict[str, str]:
    """What a task needs to reach the same S3 as the driver: the endpoint and region, no secret."""
    names = (*S3_ENDPOINT_VARIABLES, "AWS_REGION", "AWS_DEFAULT_REGION")
    return {name: os.environ[name] for name in names if os.environ.get(name)}
