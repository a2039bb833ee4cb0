"""Finding the inputs and opening them as byte streams (plain, gzip or zstd).

Inputs are taken in the order given; a directory contributes its files sorted by path. The kind
comes from the name: `.txt`, `.jsonl` (each optionally `.gz` / `.zst`) and `.parquet`.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fwkit.errors import FwkitError
from fwkit.sources.checks import check_file, is_json_lines, stat_input, warn, warn_duplicates

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


def _input_file(path: Path, kind: str, compression: str | None, st: os.stat_result) -> InputFile:
    if not os.access(path, os.R_OK):
        raise FwkitError(f"{path}: permission denied: make it readable (chmod +r) or run as its owner")
    check_file(path, kind, compression, st.st_size)
    return InputFile(path, kind, compression, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _inside(path: Path, directory: Path | None) -> bool:
    return directory is not None and path.is_relative_to(directory)


def _directory_files(path: Path, exclude: Path | None) -> list[Path]:
    """A directory's input files, sorted by path: not the out dir, not `.json` files that are not JSONL."""
    files = []
    for p in sorted(path.rglob("*")):
        if _inside(p, exclude) or not p.is_file() or classify(p) is None:
            continue
        if p.suffix.lower() == ".json" and not is_json_lines(p):
            warn(f"{p}: skipped, a .json file that is not JSON lines (one object per line)")
            continue
        files.append(p)
    return files


def discover(paths: Sequence[Path], exclude: Path | None = None) -> list[InputFile]:
    """Expand the given paths into the ordered list of input files, or fail on the first bad one.

    Paths become absolute (a manifest read from another directory still finds them); `exclude`, the
    out dir, is skipped when it lies inside an input directory.
    """
    skip = Path(os.path.abspath(exclude)) if exclude is not None else None
    found: list[tuple[Path, str, str | None]] = []
    for given in paths:
        path = Path(os.path.abspath(given))
        if stat.S_ISDIR(stat_input(path).st_mode):
            files = _directory_files(path, skip)
            if not files:
                raise FwkitError(f"{given}: directory holds no {SUPPORTED} files: point at the data files")
            found.extend((p, *classify(p)) for p in files)  # type: ignore[misc]
            continue
        kind = classify(path)
        if kind is None:
            raise FwkitError(f"{given}: unknown input type: fwkit reads {SUPPORTED}; rename or convert it")
        if path.suffix.lower() == ".json" and not is_json_lines(path):
            raise FwkitError(f"{given}: not JSON lines (one object per line): fwkit reads .json files as JSONL")
        found.append((path, *kind))
    stats = [(p, stat_input(p)) for p, _, _ in found]
    warn_duplicates(stats)
    return [_input_file(p, kind, comp, st) for (p, kind, comp), (_, st) in zip(found, stats, strict=True)]


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
