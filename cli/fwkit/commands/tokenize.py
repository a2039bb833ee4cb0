"""`fwkit tokenize`: the streaming tokenizer command (options in, settings out, pipeline runs)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

EXAMPLE = """
Examples:

  fwkit tokenize train.txt --out data/ --format npy

  fwkit tokenize fineweb/sample/10BT/ --out edu/ --format llmc --prefix edu_fineweb

  fwkit tokenize big.txt --out data/ --resume    # continue after a kill
"""


class Format(str, Enum):
    npy = "npy"
    llmc = "llmc"
    nanogpt = "nanogpt"


class Errors(str, Enum):
    replace = "replace"
    strict = "strict"


def tokenize(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Text (.txt[.gz|.zst]), JSONL (.jsonl[.gz|.zst]) or parquet files, or directories.",
            readable=False,  # fwkit checks, with a message that names the file and the fix
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the shards and manifest.json.")],
    format: Annotated[
        Format, typer.Option("--format", "-f", help="npy (build-nanogpt), llmc (llm.c) or nanogpt.")
    ] = Format.npy,
    prefix: Annotated[str, typer.Option(help="Shard file prefix: {prefix}_{split}_{index:06d}.")] = "shard",
    shard_tokens: Annotated[str, typer.Option(help="Tokens per shard (100M, 1e8, 100000000).")] = "100M",
    val_tokens: Annotated[str, typer.Option(help="nanogpt format: tokens in val.bin.")] = "10M",
    doc_sep: Annotated[
        str,
        typer.Option(help="Text files: document separator, backslash escapes allowed; 'none' = one per file."),
    ] = "\\n\\n",
    text_column: Annotated[str, typer.Option(help="Parquet column / JSONL field holding the text.")] = "text",
    errors: Annotated[Errors, typer.Option(help="Invalid UTF-8: replace (counted) or strict (fail).")] = Errors.replace,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: the CPUs this process may use).")
    ] = None,
    mem: Annotated[
        str | None,
        typer.Option(
            help="Memory budget the job sizes itself to (512M, 16G); default: the cgroup limit.",
            envvar="FWKIT_MEM",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, only errors.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a run already in --out.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue a partial run in --out (or start one).")] = False,
) -> None:
    """Tokenize text into GPT-2 shards with memory that does not grow with the input."""
    from fwkit.engine.pipeline import run_tokenize
    from fwkit.engine.settings import TokenizeSettings, parse_doc_sep
    from fwkit.errors import FwkitError
    from fwkit.sizes import parse_bytes, parse_count

    if overwrite and resume:
        raise FwkitError("--overwrite and --resume contradict each other: choose one")
    settings = TokenizeSettings(
        inputs=tuple(inputs),
        out_dir=out,
        format=format.value,
        prefix=prefix,
        shard_tokens=parse_count(shard_tokens, "--shard-tokens"),
        val_tokens=parse_count(val_tokens, "--val-tokens"),
        doc_sep=parse_doc_sep(doc_sep),
        text_column=text_column,
        errors=errors.value,
        workers=workers,
        mem_bytes=parse_bytes(mem, "--mem") if mem else None,
        quiet=quiet,
        overwrite=overwrite,
        resume=resume,
        command=["fwkit", *sys.argv[1:]],
    )
    run_tokenize(settings)


tokenize.__doc__ = (tokenize.__doc__ or "") + EXAMPLE
