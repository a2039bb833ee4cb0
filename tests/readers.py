"""Read shards back exactly the way the training code that consumes them does.

- build-nanogpt `train_gpt2.py` (DataLoaderLite): list the dir, keep names containing the split,
  sort, `np.load` each.
- llm.c `dev/data/data_common.py` / `train_gpt2.py` `_load_data_shard`: 256 x int32 header with
  magic 20240520 and version 1, header[2] tokens of uint16 follow, and nothing else.
- llm.c `train_llama3.py` `_load_data_shard`: the same with magic 20240801, version 7 and uint32.
- llm.c's C loader `llmc/dataloader.h` is not compiled here. On llm.c's master it reads only magic
  20240520 v1 as uint16 and exits on any other magic ("Bad magic in the data file"); the version
  that also reads 20240801 v7 as uint32 is on its `llama3` branch (PR #754, not merged). Neither
  can be vendored from this machine (no network but the package registries, and no package ships
  llm.c), so the two Python loaders above stand for llm.c.
- nanoGPT `train.py`: `np.memmap(os.path.join(data_dir, 'train.bin'), dtype=np.uint16, mode='r')`.
- Megatron-LM: `megatron.core.datasets.indexed_dataset.IndexedDataset` itself (`megatron-core`).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from unittest import mock

import numpy as np
import tiktoken
from tiktoken.load import load_tiktoken_bpe
from tiktoken_ext import openai_public

import fwkit.encoding


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


def llama3_load_data_shard(filename: str | os.PathLike) -> np.ndarray:
    with open(filename, "rb") as f:
        header = np.frombuffer(f.read(256 * 4), dtype=np.int32)
        assert header[0] == 20240801, "magic number mismatch in the data .bin file"
        assert header[1] == 7, "unsupported version"
        ntok = header[2]
        tokens = np.frombuffer(f.read(), dtype=np.uint32)
    assert len(tokens) == ntok, "number of tokens read does not match header?"
    return tokens


def llmc_shards(data_root: str | os.PathLike, split: str) -> list[np.ndarray]:
    """llm.c's loader for the header the shard has: GPT-2's (uint16) or Llama-3's (uint32)."""
    names = sorted(s for s in os.listdir(data_root) if f"_{split}_" in s and s.endswith(".bin"))
    paths = [os.path.join(data_root, s) for s in names]
    magic = lambda p: int(np.fromfile(p, dtype=np.int32, count=1)[0])  # noqa: E731
    return [(llama3_load_data_shard if magic(p) == 20240801 else llmc_load_data_shard)(p) for p in paths]


def megatron_sequences(data_root: str | os.PathLike, split: str, prefix: str = "shard") -> list[np.ndarray]:
    """Every sequence of `{prefix}_{split}.bin/.idx`, read by Megatron-LM's own `IndexedDataset`."""
    from megatron.core.datasets.indexed_dataset import IndexedDataset

    path_prefix = os.path.join(data_root, f"{prefix}_{split}")
    if not os.path.exists(path_prefix + ".idx"):
        return []
    dataset = IndexedDataset(path_prefix)
    assert list(dataset.document_indices) == list(range(len(dataset) + 1)), "one document per sequence"
    return [np.array(dataset[i]) for i in range(len(dataset))]  # copies: the mmap closes with the dataset


def nanogpt_split(data_root: str | os.PathLike, split: str) -> np.ndarray:
    return np.memmap(os.path.join(data_root, f"{split}.bin"), dtype=np.uint16, mode="r")


def stream_of(out_dir: str | os.PathLike, fmt: str) -> np.ndarray:
    """All tokens, val then train, read the way the format's trainer reads them."""
    if fmt == "npy":
        parts = build_nanogpt_shards(out_dir, "val") + build_nanogpt_shards(out_dir, "train")
    elif fmt == "llmc":
        parts = llmc_shards(out_dir, "val") + llmc_shards(out_dir, "train")
    elif fmt == "megatron":
        parts = megatron_sequences(out_dir, "val") + megatron_sequences(out_dir, "train")
    else:
        present = [s for s in ("val", "train") if os.path.exists(os.path.join(out_dir, f"{s}.bin"))]
        parts = [np.asarray(nanogpt_split(out_dir, s)) for s in present]
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)


@functools.cache
def tiktoken_encoding(name: str = "gpt2") -> tiktoken.Encoding:
    """tiktoken's own encoding `name`, from its `openai_public` constructor (pattern, special tokens),
    with the rank file read from fwkit's package data instead of downloaded (same sha256, checked by
    tiktoken). gpt2's ranks are r50k_base's (tiktoken's `gpt2` reads the same ranks as vocab.bpe)."""
    data = Path(fwkit.encoding.__file__).parent / "data"
    local = lambda url, expected_hash: load_tiktoken_bpe(str(data / f"{name}.tiktoken"), expected_hash)  # noqa: E731
    with mock.patch.object(openai_public, "load_tiktoken_bpe", local):
        params = openai_public.ENCODING_CONSTRUCTORS["r50k_base" if name == "gpt2" else name]()
    return tiktoken.Encoding(**params)


def reference_tokens(docs: list[str], tokenizer: str = "gpt2") -> np.ndarray:
    """build-nanogpt's `tokenize`: [EOT] + encode_ordinary(doc) for each document, concatenated,
    with tiktoken's own encoding."""
    enc = tiktoken_encoding(tokenizer)
    out: list[int] = []
    for doc in docs:
        out.append(enc.eot_token)
        out.extend(enc.encode_ordinary(doc))
    return np.array(out, dtype=np.int64)


def split_docs(text: str, sep: str | None = "\n\n") -> list[str]:
    """The documented document rule: `text.split(sep)` with empty pieces dropped."""
    return [d for d in (text.split(sep) if sep else [text]) if d]
