"""The baseline: one process, a plain tiktoken loop over the same documents, tokens to a file.

    python benchmarks/baseline_tiktoken.py INPUT.txt OUT.bin

Same documents and same tokens as `fwkit tokenize` ([EOT] + encode_ordinary per document, uint16),
read and written in a streaming way so the comparison is about tokenizing speed, not I/O.
"""

from __future__ import annotations

import sys

import numpy as np

from fwkit.encoding import EOT, gpt2

READ_CHARS = 1 << 22


def main(src: str, dst: str) -> None:
    enc = gpt2()
    carry = ""
    with open(src, encoding="utf-8", newline="") as f, open(dst, "wb") as out:
        while True:
            chunk = f.read(READ_CHARS)
            docs = (carry + chunk).split("\n\n")
            carry = docs.pop() if chunk else ""
            for doc in docs:
                if doc:
                    out.write(np.array([EOT, *enc.encode_ordinary(doc)], dtype=np.uint16).tobytes())
            if not chunk:
                break


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
