"""What an input is, decided before any work: a file fwkit can read to its end (and again, on resume).

Refused up front, one line each: FIFOs and devices (no size, cannot be read twice), symlink loops,
truncated zstd files, a `.json` given by name that is not JSON lines. Said as a warning: empty
files, the same file given twice, compressed data under a plain name, and the `.json` files of a
directory that are not JSON lines (a Hugging Face snapshot's `dataset_info.json`), which are skipped.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from pathlib import Path

from fwkit.errors import FwkitError

MAGIC = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}  # compressed data under a plain name
FIRST_LINE_BYTES = 1 << 20  # a `.json` is JSON lines if its first line (within 1 MiB) is an object


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def stat_input(path: Path) -> os.stat_result:
    """The input's stat, or a one-line refusal that says what the path really is."""
    try:
        st = path.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise FwkitError(f"{path}: a symlink loop: point at the real file") from None
        if err.errno == errno.ENOENT:
            broken = " (a symlink to nothing)" if path.is_symlink() else ""
            raise FwkitError(f"{path}: no such file or directory{broken}: check the path") from None
        raise FwkitError(f"{path}: cannot read it ({err.strerror})") from None
    what = special_kind(st.st_mode)
    if what:
        raise FwkitError(
            f"{path}: {what}, not a regular file: fwkit reads inputs it can measure and read again on "
            "resume; write it to a file first"
        )
    return st


def special_kind(mode: int) -> str | None:
    """What a path that is neither a regular file nor a directory is ("a character device" for
    /dev/null), or None for those two."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kinds = {stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device", stat.S_ISFIFO: "a FIFO (named pipe)"}
    return next((name for test, name in kinds.items() if test(mode)), "a socket")


def is_json_lines(path: Path) -> bool:
    """Whether a `.json` file holds one JSON object per line (its first line is one)."""
    with open(path, "rb") as f:
        first = f.readline(FIRST_LINE_BYTES).strip()
    if not first:
        return True  # empty: the empty-input warning says so
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def check_file(path: Path, kind: str, compression: str | None, size: int) -> None:
    """Refuse a truncated zstd file; warn about an empty one or compressed data under a plain name."""
    if compression == "zst":  # the decompressor ends a truncated file quietly: its frames are checked
        from fwkit.sources.zstd_frames import zstd_damage

        damage = zstd_damage(path)
        if damage:
            raise FwkitError(f"{path}: truncated or damaged zstd file ({damage}): re-download or re-compress it")
    if size == 0:
        warn(f"{path}: empty file, it holds no documents")
    elif compression is None and kind != "parquet":
        with open(path, "rb") as f:
            head = f.read(4)
        for magic, name in MAGIC.items():
            if head.startswith(magic):
                suffix = ".gz" if name == "gzip" else ".zst"
                warn(f"{path}: holds {name} data but is named as plain text: rename it to {path.name}{suffix}")


def warn_duplicates(files: list[tuple[Path, os.stat_result]]) -> None:
    seen: dict[tuple[int, int], Path] = {}
    for path, st in files:
        key = (st.st_dev, st.st_ino)
        if key in seen:
            warn(f"{path}: the same file as {seen[key]}, given twice: it is tokenized twice")
        seen.setdefault(key, path)
