"""The classic prepare script that gets `Killed`: the baseline fwkit is measured against.

Two variants of what people run (and what forum answers suggest as the fix):
- `whole`:   `open(f).read()` then one `encode_ordinary` into a Python list of ints (~36 bytes a
             token: 8-byte pointer + 28-byte int object), as nanoGPT's shakespeare/openwebtext
             prepare scripts do with a file.
- `chunked`: reads 1M-character chunks but appends every token to one Python list before saving,
             so memory still grows ~36 bytes per token (and words are cut at chunk edges).

    python benchmarks/naive_prepare.py --mode chunked INPUT.txt OUT.bin

Uses fwkit's shipped GPT-2 ranks only so it runs offline; the algorithm is the naive one.
"""

from __future__ import annotations

import argparse

import numpy as np

from fwkit.encoding import gpt2

CHUNK_CHARS = 1_000_000  # the "1M-character chunks" of the usual advice


def tokens_whole(path: str) -> list[int]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return gpt2().encode_ordinary(text)


def tokens_chunked(path: str) -> list[int]:
    enc = gpt2()
    tokens: list[int] = []
    with open(path, encoding="utf-8") as f:
        while chunk := f.read(CHUNK_CHARS):
            tokens.extend(enc.encode_ordinary(chunk))
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["whole", "chunked"], default="chunked")
    parser.add_argument("input")
    parser.add_argument("output")
    args = parser.parse_args()
    tokens = tokens_whole(args.input) if args.mode == "whole" else tokens_chunked(args.input)
    np.array(tokens, dtype=np.uint16).tofile(args.output)
    print(f"wrote {len(tokens)} tokens to {args.output}")


if __name__ == "__main__":
    main()
