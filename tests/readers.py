"""Read shards back exactly the way the training code that consumes them does.

- build-nanogpt `train_gpt2.py` (DataLoaderLite): list the dir, keep names containing the split,
  sort, `np.load` each.
- llm.c `dev/data/data_common.py` / `train_gpt2.py` `_load_data_shard`: 256 x int32 header with
  magic 20240520 and version 1, header[2] tokens of uint16 follow, and nothing else.
- nanoGPT `train.py`: `np.memmap(os.path.join(data_dir, 'train.bin'), dtype=np.uint16, mode='r')`.
"""

from __future__ import annotations

import os

import numpy as np

from fwkit.encoding import EOT, gpt2


def build_nanogpt_shards(data_root: str | os.PathLike, split: str) -> list[np.ndarray]:
    shards = sorted(s for s in os.listdir(data_root) if split in s and s.endswith(".npy"))
    return [np.load(os.path.join(data_root, s)).astype(np.int32) for s in shards]


def llmc_load_data_shard(filename: str | os.PathLike) -> np.ndarray:
    with open(filename, "rb") as f:
        header = np.frombuffer(f.read(256 * 4), dtype=np.int32)
        assert header[0] == 20240520, "magic number mismatch in the data .bin file"
        assert header[1] == 1, "unsupported version"
        ntok = header[2]
        tokens = np.frombuffer(f.read(), dtype=np.uint16)
    assert len(tokens) == ntok, "number of tokens read does not match header"
    return tokens


def llmc_shards(data_root: str | os.PathLike, split: str) -> list[np.ndarray]:
    names = sorted(s for s in os.listdir(data_root) if f"_{split}_" in s and s.endswith(".bin"))
    return [llmc_load_data_shard(os.path.join(data_root, s)) for s in names]


def nanogpt_split(data_root: str | os.PathLike, split: str) -> np.ndarray:
    return np.memmap(os.path.join(data_root, f"{split}.bin"), dtype=np.uint16, mode="r")


def stream_of(out_dir: str | os.PathLike, fmt: str) -> np.ndarray:
    """All tokens, val then train, read the way the format's trainer reads them."""
    if fmt == "npy":
        parts = build_nanogpt_shards(out_dir, "val") + build_nanogpt_shards(out_dir, "train")
    elif fmt == "llmc":
        parts = llmc_shards(out_dir, "val") + llmc_shards(out_dir, "train")
    else:
        present = [s for s in ("val", "train") if os.path.exists(os.path.join(out_dir, f"{s}.bin"))]
        parts = [np.asarray(nanogpt_split(out_dir, s)) for s in present]
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)


def reference_tokens(docs: list[str]) -> np.ndarray:
    """build-nanogpt's `tokenize`: [EOT] + encode_ordinary(doc) for each document, concatenated."""
    enc = gpt2()
    out: list[int] = []
    for doc in docs:
        out.append(EOT)
        out.extend(enc.encode_ordinary(doc))
    return np.array(out, dtype=np.int64)


def split_docs(text: str, sep: str | None = "\n\n") -> list[str]:
    """The documented document rule: `text.split(sep)` with empty pieces dropped."""
    return [d for d in (text.split(sep) if sep else [text]) if d]
