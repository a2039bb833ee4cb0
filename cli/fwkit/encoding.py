"""The tokenizers fwkit ships (gpt2, cl100k_base, o200k_base), built from ranks inside the package.

`tiktoken.get_encoding(name)` downloads its files on first use; a `--network none` container, an
air-gapped host or this CI cannot. The same ranks (MIT, OpenAI; see `data/*.LICENSE`) ship here,
checked by sha256 at load, with tiktoken's own pattern and special tokens for each encoding
(`tiktoken_ext/openai_public.py`), so the ids are exactly tiktoken's: "Hello world" -> gpt2
[15496, 995], cl100k_base [9906, 1917], o200k_base [13225, 2375].
"""

from __future__ import annotations

import binascii
import functools
import hashlib
from dataclasses import dataclass
from importlib import resources

import numpy as np
import tiktoken

from fwkit.errors import FwkitError

ENDOFTEXT = "<|endoftext|>"
UINT16_IDS = 1 << 16  # a vocabulary of at most 65,536 ids fits uint16; a bigger one needs uint32

# GPT-2's pattern as first released; tiktoken's r50k_pat_str is the same split, written possessively.
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True)
class Tokenizer:
    """One encoding: its rank file, pattern, special tokens and what its ids need on disk."""

    name: str
    ranks_sha256: str
    pattern: str
    special_tokens: tuple[tuple[str, int], ...]
    n_vocab: int  # tiktoken's n_vocab: the largest id + 1

    @property
    def ranks_file(self) -> str:
        return f"{self.name}.tiktoken"

    @property
    def eot(self) -> int:
        """`<|endoftext|>`: the token each document starts with."""
        return dict(self.special_tokens)[ENDOFTEXT]

    @property
    def dtype(self) -> np.dtype:
        """The smallest unsigned dtype every id fits: uint16 up to 65,536 ids, else uint32."""
        return np.dtype(np.uint16 if self.n_vocab <= UINT16_IDS else np.uint32)


TOKENIZERS = {
    t.name: t
    for t in (
        Tokenizer(
            "gpt2",
            "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
            GPT2_PATTERN,
            ((ENDOFTEXT, 50256),),
            50257,  # 50,256 ranks + <|endoftext|>
        ),
        Tokenizer(
            "cl100k_base",
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            CL100K_PATTERN,
            (
                (ENDOFTEXT, 100257),
                ("<|fim_prefix|>", 100258),
                ("<|fim_middle|>", 100259),
                ("<|fim_suffix|>", 100260),
                ("<|endofprompt|>", 100276),
            ),
            100277,  # 100,256 ranks, then specials up to 100,276
        ),
        Tokenizer(
            "o200k_base",
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            O200K_PATTERN,
            ((ENDOFTEXT, 199999), ("<|endofprompt|>", 200018)),
            200019,  # 199,998 ranks, then specials up to 200,018
        ),
    )
}
DEFAULT_TOKENIZER = "gpt2"


def tokenizer(name: str) -> Tokenizer:
    """The registered tokenizer `name`; an unknown name is an error the user can fix."""
    try:
        return TOKENIZERS[name]
    except KeyError:
        raise FwkitError(f"unknown tokenizer {name!r}: use one of {', '.join(TOKENIZERS)}") from None


def ranks_bytes(name: str = DEFAULT_TOKENIZER) -> bytes:
    """A shipped rank file's bytes (checked against its sha256, so a damaged install fails loudly)."""
    spec = tokenizer(name)
    data = resources.files("fwkit").joinpath("data", spec.ranks_file).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.ranks_sha256:
        raise RuntimeError(f"fwkit/data/{spec.ranks_file} is damaged (sha256 {digest}); reinstall fwkit")
    return data


def build_encoding(name: str = DEFAULT_TOKENIZER) -> tiktoken.Encoding:
    """A new encoding `name` (0.1-0.5 s): a fast backend's cross-check builds one per checked item and
    frees it after, so it does not stay in the worker's memory."""
    spec = tokenizer(name)
    fields = ranks_bytes(name).split()  # "token_base64 rank" per line: tokens at even places, ranks at odd
    ranks = dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))
    enc = tiktoken.Encoding(
        name=spec.name, pat_str=spec.pattern, mergeable_ranks=ranks, special_tokens=dict(spec.special_tokens)
    )
    assert enc.n_vocab == spec.n_vocab, f"{name}: {enc.n_vocab} ids, expected {spec.n_vocab}"
    return enc


@functools.cache
def encoding(name: str = DEFAULT_TOKENIZER) -> tiktoken.Encoding:
    """The encoding `name`, built once per process (workers build their own, lazily)."""
    return build_encoding(name)


def gpt2() -> tiktoken.Encoding:
    """The GPT-2 encoding (the default tokenizer)."""
    return encoding("gpt2")


# The default tokenizer's facts, for code that only ever writes GPT-2 tokens.
EOT = TOKENIZERS["gpt2"].eot
VOCAB_SIZE = TOKENIZERS["gpt2"].n_vocab
RANKS_SHA256 = TOKENIZERS["gpt2"].ranks_sha256
