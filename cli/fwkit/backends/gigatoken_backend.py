"""gigatoken (MIT, Rust): tiktoken's GPT-2 ids about 10x faster per core, from the same rank file.

Its fastest exact call for documents held as Python strings is `BPETokenizer.encode_batch`: one
call per batch of documents, ids returned as one flat uint32 buffer plus offsets (an awkward
array whose two numpy buffers are taken as they are, no Python list). `parallel=False`: fwkit
already runs one worker process per core, and gigatoken's thread pool must not start after a fork.

Two corners differ from tiktoken's `encode_ordinary` and are handled here: the rank file is loaded
with no special tokens (else the literal `<|endoftext|>` in a text becomes id 50256), and lone
surrogates raise TypeError, so the batch is repaired as tiktoken repairs it and encoded again.

Memory: gigatoken caches the ids of the pieces it has seen, with no way to clear it (a worker grew
by ~100 MB over 10 MB of fresh text here, then stayed flat while the text repeated). The tokenizer
is rebuilt (0.1 s) whenever this process has grown `CACHE_CAP_BYTES` beyond what it held after its
first batch (which also pays a one-off ~20-50 MB of gigatoken's own set-up), which keeps a worker
flat on an input of any size.
"""

from __future__ import annotations

from importlib import resources
from importlib.metadata import version

import numpy as np
import psutil

from fwkit.backends import Unavailable, repair_surrogates
from fwkit.encoding import TOKENIZERS, ranks_bytes

# tiktoken's encoding name -> gigatoken's name for that pre-tokenizer regex.
SCHEMES = {"gpt2": "gpt2", "cl100k_base": "gpt4", "o200k_base": "o200k"}
CACHE_CAP_BYTES = 32 * 2**20  # 2 workers x 32 MiB of cache: the job stays inside 400 MB (bench_memory.py)


class GigatokenBackend:
    """gigatoken's BPETokenizer for one tiktoken rank file, rebuilt when its cache has grown too much."""

    name = "gigatoken"

    def __init__(self, tokenizer: str) -> None:
        try:
            import gigatoken.gigatoken_rs as rs
        except ImportError:
            raise Unavailable("gigatoken is not installed: pip install 'fwkit[fast]'") from None
        if tokenizer not in SCHEMES:
            raise Unavailable(f"gigatoken: no pre-tokenizer for {tokenizer!r}")
        if tokenizer not in TOKENIZERS:
            raise Unavailable(f"gigatoken: fwkit ships no rank file for {tokenizer!r}")
        ranks_bytes(tokenizer)  # checks the file's sha256 (gigatoken then reads the same file)
        ranks = resources.files("fwkit").joinpath("data", TOKENIZERS[tokenizer].ranks_file)
        self.version = version("gigatoken")
        self._rs, self._ranks, self._scheme = rs, ranks, SCHEMES[tokenizer]
        self._process = psutil.Process()
        self._tokenizer = self._build()
        self.rebuilds = 0  # how often the cache was dropped (for tests and benchmarks)

    def _from_ranks(self, path: str) -> object:
        return self._rs.BPETokenizer.from_tiktoken(path, self._scheme)  # no special tokens: encode_ordinary

    def _build(self) -> object:
        with resources.as_file(self._ranks) as path:
            tokenizer = self._from_ranks(str(path))
        self._baseline: int | None = None  # taken after the first batch, set-up included
        return tokenizer

    def _encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        layout = self._tokenizer.encode_batch(texts, parallel=False).layout
        return layout.content.data, layout.offsets.data

    def encode_batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        try:
            ids, offsets = self._encode(texts)
        except TypeError:  # a lone surrogate (gigatoken says "expected str or bytes, got str")
            ids, offsets = self._encode([repair_surrogates(t) for t in texts])
        rss = self._process.memory_info().rss
        if self._baseline is None:
            self._baseline = rss
        elif rss - self._baseline > CACHE_CAP_BYTES:
            self._tokenizer = None
            self._tokenizer = self._build()
            self.rebuilds += 1
        return ids, offsets


def load(tokenizer: str) -> GigatokenBackend:
    return GigatokenBackend(tokenizer)
