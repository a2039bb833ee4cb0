"""What every output format is: a naming rule, a header rule, a dtype and a capacity per shard.

The writer, the out-dir checks and `fwkit verify` ask the format; none of them switches on a
format's name, so a new format is one module in this package plus a line in `FORMATS`.
"""

from __future__ import annotations

import fnmatch
import glob
from pathlib import Path

import numpy as np

from fwkit.errors import FwkitError

UINT16_IDS = 1 << 16  # ids 0..65,535 fit uint16


def split_of(index: int) -> str:
    """Shard 0 is the validation split, as in build-nanogpt and llm.c."""
    return "val" if index == 0 else "train"


class ShardFormat:
    """A format of numbered shards `{prefix}_{split}_{index:06d}{suffix}`, each header + raw tokens.

    Subclasses set `name`, `suffix` and `header_bytes` and override `header`/`check_header`;
    formats with another layout (nanoGPT's two files) override the naming methods too.
    """

    name = ""
    suffix = ""
    header_bytes = 0

    def __init__(self, dtype: np.dtype | type = np.uint16, eot: int = 50256) -> None:
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self.eot = eot  # the token each document starts with (formats that index documents find them by it)

    @classmethod
    def choose_dtype(cls, tokenizer: str, n_vocab: int, requested: str = "auto") -> np.dtype:
        """The dtype this format writes ids of `n_vocab` in: the narrowest that holds them, or
        `requested` (uint16 or uint32) if it does; anything else is a one-line error."""
        if requested == "auto":
            return np.dtype(np.uint16 if n_vocab <= UINT16_IDS else np.uint32)
        if requested not in ("uint16", "uint32"):
            raise FwkitError(f"--dtype {requested}: --format {cls.name} writes uint16 or uint32")
        if requested == "uint16" and n_vocab > UINT16_IDS:
            raise FwkitError(f"--dtype uint16 cannot hold {tokenizer}'s {n_vocab:,} ids: use --dtype uint32 (or auto)")
        return np.dtype(requested)

    @property
    def token_bytes(self) -> int:
        return self.dtype.itemsize

    # -- names -------------------------------------------------------------------------------
    def file_name(self, prefix: str, index: int) -> str:
        return f"{prefix}_{split_of(index)}_{index:06d}{self.suffix}"

    def owns(self, name: str, prefix: str) -> bool:
        """Whether a file name is one of this format's shard names."""
        return fnmatch.fnmatchcase(name, f"{glob.escape(prefix)}_*_[0-9][0-9][0-9][0-9][0-9][0-9]{self.suffix}")

    def existing_files(self, out_dir: Path, prefix: str) -> list[Path]:
        """Files in `out_dir` named like this format's shards (whoever wrote them)."""
        if not out_dir.is_dir():
            return []
        return sorted(p for p in out_dir.iterdir() if self.owns(p.name, prefix))

    def is_open_ended(self, index: int) -> bool:
        """Whether shard `index` is the format's last possible file (no later names exist)."""
        return False

    # -- sizes -------------------------------------------------------------------------------
    def capacity(self, index: int, shard_tokens: int, val_tokens: int) -> int | None:
        """Tokens shard `index` holds before the next begins; None: no limit."""
        return shard_tokens

    def file_bytes(self, tokens: int) -> int:
        return self.header_bytes + tokens * self.token_bytes

    # -- headers -----------------------------------------------------------------------------
    def header(self, count: int) -> bytes:
        """The header of a shard of `count` tokens (a placeholder with 0 while it is written)."""
        return b""

    def check_header(self, data: bytes, tokens: int) -> str | None:
        """What is wrong with a shard's header bytes for `tokens` tokens; None: nothing."""
        return None if data == self.header(tokens) else f"{self.name} header does not describe {tokens} tokens"

    # -- files beside a shard ----------------------------------------------------------------
    def companions(self, name: str) -> list[str]:
        """Other files a finished shard `name` comes with (Megatron's .idx); none by default."""
        return []

    def finish_shard(self, path: Path, scratch: Path) -> None:
        """Called once shard `path` has its final name, before the manifest lists it: write its
        companions (durably; `scratch` is a work directory on the same filesystem)."""

    def check_companions(self, path: Path) -> str | None:
        """What is wrong with the companions of shard `path`; None: nothing."""
        return None

    # -- reading back ------------------------------------------------------------------------
    def read_tokens(self, path: Path) -> np.ndarray:
        """A shard's tokens, memory-mapped (nothing is read until used)."""
        if path.stat().st_size == self.header_bytes:
            return np.empty(0, dtype=self.dtype)
        return np.memmap(path, dtype=self.dtype, mode="r", offset=self.header_bytes)
