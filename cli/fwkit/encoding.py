"""GPT-2's tokenizer from the ranks shipped inside the package, so fwkit never needs a network.

`tiktoken.get_encoding("gpt2")` downloads its files on first use; a `--network none` container, an
air-gapped host or this CI cannot. The same ranks (MIT, OpenAI; see `data/gpt2.LICENSE`) ship here
and reproduce its ids exactly: "Hello world" -> [15496, 995].
"""

from __future__ import annotations

import base64
import functools
import hashlib
from importlib import resources

import tiktoken

RANKS_FILE = "gpt2.tiktoken"
RANKS_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
EOT = 50256  # <|endoftext|>, the only special token: 50,256 ranks + 1 = 50,257 ids
VOCAB_SIZE = 50257
# tiktoken's r50k_base / gpt2 pre-tokenizer pattern.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def ranks_bytes() -> bytes:
    """The shipped rank file's bytes (checked against its sha256, so a damaged install fails loudly)."""
    data = resources.files("fwkit").joinpath("data", RANKS_FILE).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != RANKS_SHA256:
        raise RuntimeError(f"fwkit/data/{RANKS_FILE} is damaged (sha256 {digest}); reinstall fwkit")
    return data


@functools.lru_cache(maxsize=1)
def gpt2() -> tiktoken.Encoding:
    """The GPT-2 encoding, built once per process (workers build their own, lazily)."""
    ranks = {}
    for line in ranks_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(
        name="gpt2",
        pat_str=GPT2_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={"<|endoftext|>": EOT},
        explicit_n_vocab=VOCAB_SIZE,
    )
