"""The I/O ceiling: read the input and write as many uint16 tokens as tokenizing it makes, without tokenizing.

    python benchmarks/io_ceiling.py INPUT.txt OUT.bin REFERENCE.bin   # as many tokens as REFERENCE.bin (uint16)

No tokenizer can make `fwkit tokenize` faster than this: it is the disk and the page cache alone,
in 4 MiB reads (fwkit's work-item size) with the matching share of the tokens written after each.
"""

from __future__ import annotations

import os
import sys

import numpy as np

READ_BYTES = 4 << 20  # 4 MiB, as fwkit's work items


def main(src: str, dst: str, tokens: int) -> None:
    size = os.path.getsize(src)
    written = read = 0
    with open(src, "rb") as f, open(dst, "wb") as out:
        while chunk := f.read(READ_BYTES):
            read += len(chunk)
            due = tokens * read // size  # the tokens of the input read so far, pro rata
            out.write(np.zeros(due - written, dtype=np.uint16).tobytes())
            written = due


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], os.path.getsize(sys.argv[3]) // 2)
