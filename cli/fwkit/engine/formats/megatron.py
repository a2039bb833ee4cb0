"""megatron (Megatron-LM, NeMo, GPT-NeoX): `{prefix}_val.bin` (the first `--val-tokens` tokens) then
`{prefix}_train.bin`, raw tokens, each with the `.idx` of Megatron's `IndexedDataset`
(`megatron/core/datasets/indexed_dataset.py`, "MMIDIDX"):

    9 bytes  b"MMIDIDX\\x00\\x00"       8 bytes  version 1 (<Q)        1 byte  dtype code (<B)
    8 bytes  sequence count N (<Q)     8 bytes  document count N + 1 (<Q)
    N x int32 sequence lengths, N x int64 byte pointers, (N + 1) x int64 document indices 0..N

One document is one sequence, [EOT] + its tokens, so the files concatenated are the same stream as
every other format's (a document that straddles val and train is a sequence in each). The token
dtype is Megatron's `DType.optimal_dtype(vocab)`: uint16 below 65,500 ids, else int32 (Megatron has
no uint32 code). Megatron's own writer keeps every length in Python lists (250 GB of RAM for a
43 GB Pile shard); here the `.idx` is built when a `.bin` is finished, from the `.bin` itself: its
EOT positions are streamed into a lengths file, then the pointers and indices are streamed after
them, so memory does not grow with the input and resume needs no extra state.
"""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fwkit.atomic import fsync_dir, replace_durably
from fwkit.engine.formats.base import ShardFormat, split_of
from fwkit.errors import FwkitError

INDEX_MAGIC = b"MMIDIDX\x00\x00"
INDEX_VERSION = 1
DTYPE_CODES = {"uint16": 8, "int32": 4}  # Megatron's DType enum: uint8 1, int8 2, int16 3, int32 4, ... uint16 8
OPTIMAL_UINT16_BELOW = 65500  # DType.optimal_dtype: uint16 if the vocabulary is below this, else int32
SCAN_TOKENS = 4 << 20  # read the .bin 4M tokens at a time (16 MB of int32), by read(), not a mapping
INT64_CHUNK = 1 << 20  # write pointers and indices 1M at a time (8 MB)


class MegatronFormat(ShardFormat):
    name = "megatron"
    suffix = ".bin"
    header_bytes = 0

    @classmethod
    def choose_dtype(cls, tokenizer: str, n_vocab: int, requested: str = "auto") -> np.dtype:
        """Megatron's `optimal_dtype`, or `requested` if Megatron has a code for it and it holds every id."""
        optimal = np.dtype(np.uint16 if n_vocab < OPTIMAL_UINT16_BELOW else np.int32)
        if requested == "auto":
            return optimal
        if requested not in DTYPE_CODES:
            raise FwkitError(f"--dtype {requested}: Megatron reads uint16 or int32 (no uint32): use --dtype auto")
        if requested == "uint16" and optimal != np.uint16:
            raise FwkitError(f"--dtype uint16 cannot hold {tokenizer}'s {n_vocab:,} ids: use --dtype int32 (or auto)")
        return np.dtype(requested)

    # -- names -------------------------------------------------------------------------------
    def file_name(self, prefix: str, index: int) -> str:
        return f"{prefix}_{split_of(index)}.bin"

    def owns(self, name: str, prefix: str) -> bool:
        return name in {f"{prefix}_{split}{ext}" for split in ("val", "train") for ext in (".bin", ".idx")}

    def is_open_ended(self, index: int) -> bool:
        return index >= 1

    def capacity(self, index: int, shard_tokens: int, val_tokens: int) -> int | None:
        """The val .bin holds `val_tokens`; the train .bin everything after."""
        return val_tokens if index == 0 else None

    def companions(self, name: str) -> list[str]:
        return [name.removesuffix(".bin") + ".idx"]

    # -- the .idx ----------------------------------------------------------------------------
    def finish_shard(self, path: Path, scratch: Path) -> None:
        """Write `path`'s .idx under a temporary name in `scratch`, fsync it, then give it its name."""
        idx = path.with_suffix(".idx")
        tmp = scratch / f"{idx.name}.partial"
        with open(tmp, "wb") as out:
            self._write_index(path, out, scratch)
            out.flush()
            os.fsync(out.fileno())
        replace_durably(tmp, idx)
        fsync_dir(idx.parent)

    def check_companions(self, path: Path) -> str | None:
        """The .idx must be exactly what the .bin's documents give (rebuilt in a temp dir, compared)."""
        idx = path.with_suffix(".idx")
        if not idx.is_file():
            return f"{idx.name} is missing"
        with tempfile.TemporaryDirectory(prefix="fwkit-verify-") as tmp:
            expected = Path(tmp) / idx.name
            with open(expected, "wb") as out:
                self._write_index(path, out, Path(tmp))
            if not _same_bytes(expected, idx):
                return f"{idx.name} does not index {path.name}'s documents (sequence lengths, pointers or header)"
        return None

    def _write_index(self, path: Path, out, scratch: Path) -> None:  # type: ignore[no-untyped-def]
        with tempfile.TemporaryFile(dir=scratch) as lengths:
            count = 0
            for chunk in self._sequence_lengths(path):
                lengths.write(chunk.astype("<i4").tobytes())
                count += chunk.size
            out.write(INDEX_MAGIC)
            out.write(struct.pack("<Q", INDEX_VERSION))
            out.write(struct.pack("<B", DTYPE_CODES[self.dtype.name]))
            out.write(struct.pack("<Q", count))  # sequences
            out.write(struct.pack("<Q", count + 1))  # documents: the indices 0..count that bound them
            lengths.seek(0)
            shutil.copyfileobj(lengths, out)
            lengths.seek(0)
            pointer = 0  # byte offset of each sequence in the .bin
            while chunk_bytes := lengths.read(INT64_CHUNK * 4):
                lens = np.frombuffer(chunk_bytes, dtype="<i4").astype(np.int64)
                ends = pointer + np.cumsum(lens * self.token_bytes)
                out.write(np.concatenate(([pointer], ends[:-1])).astype("<i8").tobytes())
                pointer = int(ends[-1])
            for lo in range(0, count + 1, INT64_CHUNK):
                out.write(np.arange(lo, min(lo + INT64_CHUNK, count + 1), dtype="<i8").tobytes())

    def _sequence_lengths(self, path: Path) -> Iterator[np.ndarray]:
        """Lengths of the sequences of a .bin: a new one at every EOT, and one at its start.

        The .bin is read in chunks, not memory-mapped: a mapping's pages that a scan touched stay
        in the process (its RSS and PSS, and its cgroup's charge) until it is unmapped, so indexing a
        whole mapped .bin raised the job's peak by the .bin's size (2.4x the npy run's on 1000 MB).
        """
        size = path.stat().st_size - self.header_bytes
        assert size % self.token_bytes == 0, f"{path.name}: {size:,} bytes is not a whole number of tokens"
        total = size // self.token_bytes
        start = 0  # where the current sequence began
        with open(path, "rb") as f:
            f.seek(self.header_bytes)
            for lo in range(0, total, SCAN_TOKENS):
                chunk = np.frombuffer(f.read(SCAN_TOKENS * self.token_bytes), dtype=self.dtype)
                assert chunk.size == min(SCAN_TOKENS, total - lo), f"{path.name} shrank while it was indexed"
                eots = np.flatnonzero(chunk == self.eot) + lo
                bounds = np.concatenate(([start], eots[eots > 0]))
                yield np.diff(bounds)
                start = int(bounds[-1])
        if total:
            assert total - start < 2**31, "Megatron stores a sequence's length as int32"
            yield np.array([total - start])


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True
