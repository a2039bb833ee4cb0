"""The shard writer: appends tokens to the open shard file, never holding a shard in memory.

A shard is written in the out dir's hidden work directory (`.fwkit/NAME.partial`) with a placeholder
header; when it is full its header is written, the file fsynced and renamed to its final name, the
directory fsynced. So a file under a final name is always complete, and nothing unfinished sits
where a trainer lists its shards. `sync()` makes the open shard durable for a
checkpoint; `ShardWriter.resume` truncates it back to the checkpoint after a kill.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fwkit.atomic import fsync_dir, replace_durably
from fwkit.engine.formats import ShardFormat, split_of
from fwkit.errors import FwkitError

HASH_CHUNK = 8 << 20  # hash finished shards 8 MiB at a time
WORK_DIR = ".fwkit"  # in the out dir: unfinished shards (and an executor's segments), never listed as shards


def work_dir(out_dir: Path) -> Path:
    """The out dir's hidden work directory (created on first use)."""
    path = out_dir / WORK_DIR
    path.mkdir(exist_ok=True)
    return path


def remove_work_dir(out_dir: Path) -> None:
    """A complete run needs nothing in its work directory, whatever executor left what there (a Ray
    run resumed by the local engine leaves its segment store): a finished out dir holds shards and
    the manifest only."""
    shutil.rmtree(out_dir / WORK_DIR, ignore_errors=True)


@dataclass(frozen=True)
class ShardRecord:
    """A finished shard, as the manifest lists it."""

    path: str  # relative to the out dir
    split: str
    tokens: int
    sha256: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class WriterState:
    """Where the writer stands: the open shard's index and the tokens already in it."""

    shard_index: int = 0
    shard_tokens: int = 0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ShardWriter:
    """Cuts the ordered token stream into shards of the chosen format, durably."""

    def __init__(
        self,
        out_dir: Path,
        fmt: ShardFormat,
        prefix: str,
        shard_tokens: int,
        val_tokens: int,
        on_finished: Callable[[ShardRecord], None],
        state: WriterState = WriterState(),
    ) -> None:
        self.out_dir, self.fmt, self.prefix = out_dir, fmt, prefix
        self.shard_tokens, self.val_tokens = shard_tokens, val_tokens
        self.on_finished = on_finished
        self.index, self.count = state.shard_index, state.shard_tokens
        self._file = self._open(resume=state != WriterState())

    # -- names -------------------------------------------------------------------------------
    def final_path(self, index: int) -> Path:
        return self.out_dir / self.fmt.file_name(self.prefix, index)

    def partial_path(self, index: int) -> Path:
        return work_dir(self.out_dir) / f"{self.fmt.file_name(self.prefix, index)}.partial"

    def _legacy_partial(self, index: int) -> Path:
        """Where fwkit < 0.2 kept the open shard (beside the shards); resume moves it in."""
        return self.out_dir / f".{self.fmt.file_name(self.prefix, index)}.partial"

    @property
    def state(self) -> WriterState:
        return WriterState(self.index, self.count)

    # -- writing -----------------------------------------------------------------------------
    def _open(self, resume: bool):  # type: ignore[no-untyped-def]
        partial = self.partial_path(self.index)
        final = self.final_path(self.index)
        if resume and not partial.exists() and self._legacy_partial(self.index).exists():
            os.replace(self._legacy_partial(self.index), partial)
        if resume and not partial.exists() and final.exists():
            os.replace(final, partial)  # killed after the rename, before the manifest said so
        if not resume or not partial.exists():
            if resume and self.count:
                raise FwkitError(f"{partial} is missing, so the run cannot resume: rerun with --overwrite")
            f = open(partial, "wb")  # noqa: SIM115 - owned by the writer until finish()
            f.write(self.fmt.header(0))
            return f
        f = open(partial, "r+b")  # noqa: SIM115
        have, want = os.fstat(f.fileno()).st_size, self.fmt.file_bytes(self.count)
        if have < want:  # truncate() would pad it with zeros: tokens that were never written
            f.close()
            raise FwkitError(
                f"{partial}: {have} bytes, shorter than the {want} the checkpoint made durable "
                "(the unfinished shard was damaged): rerun with --overwrite"
            )
        f.truncate(want)
        f.seek(0, os.SEEK_END)
        return f

    def append(self, tokens: np.ndarray) -> None:
        """Write tokens, finishing shards as they fill (a document may straddle two shards)."""
        assert tokens.dtype == self.fmt.dtype, f"tokens are {tokens.dtype}, the format writes {self.fmt.dtype}"
        start = 0
        while start < tokens.size:
            capacity = self.fmt.capacity(self.index, self.shard_tokens, self.val_tokens)
            take = tokens.size - start if capacity is None else min(capacity - self.count, tokens.size - start)
            self._file.write(tokens[start : start + take].tobytes())
            self.count += take
            start += take
            if capacity is not None and self.count == capacity:
                self._finish_shard()
                self._file = self._open(resume=False)

    def _finish_shard(self) -> None:
        f = self._file
        size = self.fmt.file_bytes(self.count)
        assert f.tell() == size, f"shard length {f.tell()} != header + {self.count} tokens"
        if self.fmt.header_bytes:
            f.seek(0)
            f.write(self.fmt.header(self.count))
        f.flush()
        os.fsync(f.fileno())
        f.close()
        partial, final = self.partial_path(self.index), self.final_path(self.index)
        replace_durably(partial, final)
        fsync_dir(partial.parent)
        self.fmt.finish_shard(final, partial.parent)
        record = ShardRecord(final.name, split_of(self.index), self.count, sha256_file(final))
        self.index, self.count = self.index + 1, 0
        self.on_finished(record)

    def sync(self) -> WriterState:
        """Make everything written so far durable; the returned state is safe to checkpoint."""
        self._file.flush()
        os.fsync(self._file.fileno())
        return self.state

    def finish(self) -> None:
        """Finish the last shard if it holds tokens; drop its temp file if it holds none."""
        if self.count:
            self._finish_shard()
        else:
            self._file.close()
            self.partial_path(self.index).unlink(missing_ok=True)
            fsync_dir(self.out_dir)

    def abandon(self) -> None:
        """Close the open shard without finishing it (it stays a `.partial`, for resume)."""
        if not self._file.closed:
            with contextlib.suppress(OSError):  # flushing fails on a full disk: only the checkpoint counts
                self._file.close()
