"""Is a .zst file whole? Its frames are walked by their headers, without decompressing anything.

zstandard's stream reader returns a clean end of stream when the file stops in the middle of a
frame, so a truncated download would be tokenized as a shorter, "complete" input. The format
(RFC 8878) says where every frame and block ends: a whole file ends exactly after its last frame's
last block (and checksum). The checksum itself is checked by the decompressor while reading.
"""

from __future__ import annotations

import os
from typing import BinaryIO

ZSTD_MAGIC = 0xFD2FB528
SKIPPABLE_MASK, SKIPPABLE_MAGIC = 0xFFFFFFF0, 0x184D2A50  # 0x184D2A50 .. 0x184D2A5F
DICT_ID_BYTES = (0, 1, 2, 4)  # by Dictionary_ID_flag
FCS_BYTES = (0, 2, 4, 8)  # by Frame_Content_Size_flag (0 means 1 byte with Single_Segment)


def _u32(f: BinaryIO) -> int | None:
    data = f.read(4)
    return int.from_bytes(data, "little") if len(data) == 4 else None


def _frame_end(f: BinaryIO, at: int, size: int) -> int | str:
    """Where the zstd frame starting at `at` (after its magic) ends, or what is wrong with it."""
    descriptor = f.read(1)
    if not descriptor:
        return "a frame header cut short"
    d = descriptor[0]
    single_segment, checksum = bool(d & 0x20), bool(d & 0x04)
    fcs = FCS_BYTES[d >> 6] or (1 if single_segment else 0)
    pos = at + 1 + (0 if single_segment else 1) + DICT_ID_BYTES[d & 0x03] + fcs
    while True:
        f.seek(pos)
        header = f.read(3)
        if len(header) < 3:
            return f"a block header cut short at byte {pos}"
        value = int.from_bytes(header, "little")
        last, kind, block = value & 1, (value >> 1) & 3, value >> 3
        if kind == 3:
            return f"a reserved block type at byte {pos}"
        pos += 3 + (1 if kind == 1 else block)  # an RLE block stores its one byte
        if pos > size:
            return f"a block running past the end of the file (byte {pos} of {size})"
        if last:
            return pos + (4 if checksum else 0)


def zstd_damage(path: str | os.PathLike[str]) -> str | None:
    """What makes `path` not a whole zstd file (truncated, not zstd), or None when its frames add up."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        pos = 0
        while pos < size:
            f.seek(pos)
            magic = _u32(f)
            if magic == ZSTD_MAGIC:
                end = _frame_end(f, pos + 4, size)
                if isinstance(end, str):
                    return end
            elif magic is not None and magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC:
                length = _u32(f)
                end = pos + 8 + (length if length is not None else size)
            else:
                return f"no zstd frame at byte {pos}"
            if end > size:
                return f"the last frame ends at byte {end}, the file at {size}: it is truncated"
            pos = end
    return None
