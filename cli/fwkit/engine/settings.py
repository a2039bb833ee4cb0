"""The typed settings of a tokenize job, passed down from the command (no globals, no exec)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fwkit.encoding import tokenizer
from fwkit.engine.encode import TokenizerSpec
from fwkit.engine.formats import FORMATS, ShardFormat, make_format
from fwkit.errors import FwkitError

DEFAULT_SHARD_TOKENS = 100_000_000  # build-nanogpt: 1e8 tokens x 2 bytes = 200 MB per shard
DEFAULT_VAL_TOKENS = 10_000_000  # nanoGPT: val.bin holds this many tokens
# Set by `fwkit run` for the tokenize it launches: the command the user should rerun to resume (the
# `fwkit run ...` they typed, with host paths), not tokenize's own argv (container paths).
RESUME_COMMAND_ENV = "FWKIT_RESUME_COMMAND"


def parse_doc_sep(text: str) -> str | None:
    """`--doc-sep` with backslash escapes (`\\n\\n`, `\\t`, `\\x00`); `none`: one document per file."""
    if text.lower() == "none":
        return None
    try:
        sep = text.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError as err:
        raise FwkitError(f"--doc-sep {text!r} has a bad escape ({err.reason}): e.g. use '\\n\\n'") from None
    try:
        sep.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: '\ud800' typed, or a raw byte such as $'\xff'
        raise FwkitError(
            f"--doc-sep {text!r} is not UTF-8 text (a lone surrogate or a raw byte): e.g. use '\\n\\n'"
        ) from None
    if not sep:
        raise FwkitError("--doc-sep is empty: give a separator such as '\\n\\n', or 'none' for whole files")
    return sep


def tokenizer_spec(format: str, name: str, dtype: str = "auto") -> TokenizerSpec:
    """`--tokenizer` with the dtype `--format` writes its ids in (`--dtype auto`: from the vocabulary);
    a dtype that cannot hold them, or that the format's trainer cannot read, is a one-line error."""
    spec = tokenizer(name)
    chosen = FORMATS[format].choose_dtype(spec.name, spec.n_vocab, dtype)
    return TokenizerSpec(spec.name, out_dtype=chosen.name)


@dataclass(frozen=True)
class TokenizeSettings:
    """Everything that decides the output (`output_settings`) and how the job runs (the rest).

    Where the text comes from is not here: the job is handed a Source (`fwkit.sources`); the
    reading options (`doc_sep`, `text_column`, `errors`) are here because resume compares them."""

    out_dir: Path
    format: str = "npy"
    prefix: str = "shard"
    shard_tokens: int = DEFAULT_SHARD_TOKENS
    val_tokens: int = DEFAULT_VAL_TOKENS
    doc_sep: str | None = "\n\n"
    text_column: str = "text"
    errors: str = "replace"
    workers: int | None = None
    mem_bytes: int | None = None
    quiet: bool = False
    overwrite: bool = False
    resume: bool = False
    command: list[str] = field(default_factory=list)  # how the user ran it, for the resume hint
    tokenizer: TokenizerSpec = field(default_factory=TokenizerSpec)

    def shard_format(self) -> ShardFormat:
        """The output format, writing the tokenizer's dtype."""
        return make_format(self.format, self.tokenizer.dtype, tokenizer(self.tokenizer.name).eot)

    def output_settings(self) -> dict[str, object]:
        """The settings a resumed run must share with the partial one (workers and memory may differ)."""
        return {
            "format": self.format,
            "prefix": self.prefix,
            "shard_tokens": self.shard_tokens,
            "val_tokens": self.val_tokens,
            "doc_sep": self.doc_sep,
            "text_column": self.text_column,
            "errors": self.errors,
        }
