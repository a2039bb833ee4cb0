"""Finding the inputs and opening them as byte streams (plain, gzip or zstd).

Inputs are taken in the order given; a directory contributes its files sorted by path. The kind
comes from the name: `.txt`, `.jsonl` (each optionally `.gz` / `.zst`) and `.parquet`.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fwkit.errors import FwkitError

KINDS = {".txt": "text", ".text": "text", ".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet"}
COMPRESSIONS = {".gz": "gz", ".zst": "zst", ".zstd": "zst"}
SUPPORTED = "`.txt`, `.jsonl` (also `.gz` / `.zst`) or `.parquet`"


@dataclass(frozen=True)
class InputFile:
    """One input file, with the size and mtime that resume compares."""

    path: Path
    kind: str  # "text", "jsonl" or "parquet"
    compression: str | None  # None, "gz" or "zst"
    size: int
    mtime_ns: int
    inode: int = 0
    ctime_ns: int = 0  # changes on any write or rename, and cannot be set back: checked during the run

    def record(self) -> dict[str, object]:
        """How the manifest lists it (and how resume recognises it)."""
        return {"path": str(self.path), "size": self.size, "mtime_ns": self.mtime_ns, "inode": self.inode}

    @property
    def stamp(self) -> tuple[int, int, int, int]:
        """What must not change while the run reads the file."""
        return (self.size, self.mtime_ns, self.inode, self.ctime_ns)


def stamp_of(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def input_changed(path: object) -> FwkitError:
    """An input that changed while the run read it: its tokens would belong to neither version."""
    return FwkitError(
        f"{path}: input changed during the run (size, mtime or inode differ from when it began): "
        "let it settle, then rerun with --overwrite"
    )


def check_unchanged(path: str | os.PathLike[str], stamp: tuple[int, int, int, int], fd: int | None = None) -> None:
    """Raise `input_changed` unless `path` (or the open `fd`) still has `stamp`."""
    try:
        st = os.fstat(fd) if fd is not None else os.stat(path)
    except OSError:
        raise input_changed(path) from None
    if stamp_of(st) != stamp:
        raise input_changed(path)


def classify(path: Path) -> tuple[str, str | None] | None:
    """(kind, compression) from the file name, or None when fwkit does not read that kind."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    kind = KINDS.get(suffixes[-1]) if suffixes else None
    if kind is None or (kind == "parquet" and compression):
        return None
    return kind, compression


def _input_file(path: Path, kind: str, compression: str | None) -> InputFile:
    if not os.access(path, os.R_OK):
        raise FwkitError(f"{path}: permission denied: make it readable (chmod +r) or run as its owner")
    st = path.stat()
    if compression == "zst":  # the decompressor ends a truncated file quietly: check its frames first
        from fwkit.sources.zstd_frames import zstd_damage

        damage = zstd_damage(path)
        if damage:
            raise FwkitError(f"{path}: truncated or damaged zstd file ({damage}): re-download or re-compress it")
    return InputFile(path, kind, compression, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def discover(paths: Sequence[Path]) -> list[InputFile]:
    """Expand the given paths into the ordered list of input files, or fail on the first bad one."""
    found: list[InputFile] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and classify(p) is not None)
            if not files:
                raise FwkitError(f"{path}: directory holds no {SUPPORTED} files: point at the data files")
            found.extend(_input_file(p, *classify(p)) for p in files)  # type: ignore[misc]
        elif path.is_file():
            kind = classify(path)
            if kind is None:
                raise FwkitError(f"{path}: unknown input type: fwkit reads {SUPPORTED}; rename or convert it")
            found.append(_input_file(path, *kind))
        else:
            raise FwkitError(f"{path}: no such file or directory: check the path")
    return found


def _zstd_error() -> type[Exception]:
    import zstandard

    return zstandard.ZstdError


@contextmanager
def open_stream(f: InputFile) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """(decompressed stream, raw file) for a text or JSONL input; raw.tell() measures progress."""
    raw = open(f.path, "rb")  # noqa: SIM115 - closed below, after the decompressor
    try:
        if f.compression == "gz":
            stream: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        elif f.compression == "zst":
            import zstandard

            stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)  # type: ignore[assignment]
        else:
            stream = raw
        yield stream, raw
    except (OSError, EOFError, zlib.error, _zstd_error()) as err:
        if isinstance(err, FileNotFoundError | PermissionError) or not f.compression:
            raise
        raise FwkitError(f"{f.path}: cannot decompress ({err}): re-download or re-compress it") from err
    finally:
        raw.close()
