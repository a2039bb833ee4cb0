"""`fwkit tokenize`: the streaming tokenizer command (options in, settings out, pipeline runs)."""

from __future__ import annotations

import os
import shlex
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from fwkit.backends import CHOICES
from fwkit.commands.helptext import with_examples

EXAMPLES = [
    "fwkit tokenize train.txt --out data/ --format npy",
    "fwkit tokenize fineweb/sample/10BT/ --out edu/ --format llmc",
    "fwkit tokenize big.txt --out data/ --resume    # continue after a kill",
    "fwkit tokenize --preset fineweb-edu-10B    # build-nanogpt's edu_fineweb10B/",
    "fwkit tokenize --dataset HuggingFaceFW/fineweb-edu --subset sample-10BT \\\n    --out edu/ --format llmc",
    "fwkit tokenize train.txt --out data/ --tokenizer o200k_base \\\n"
    "    --format megatron    # uint32 ids, Megatron .bin/.idx",
    "fwkit tokenize /shared/train.txt --out /shared/data \\\n    --engine ray --ray-address 10.0.0.5:6379",
]


class Format(str, Enum):
    npy = "npy"
    llmc = "llmc"
    nanogpt = "nanogpt"
    megatron = "megatron"


class Tokenizer(str, Enum):
    gpt2 = "gpt2"
    cl100k_base = "cl100k_base"
    o200k_base = "o200k_base"


class Dtype(str, Enum):
    auto = "auto"
    uint16 = "uint16"
    uint32 = "uint32"
    int32 = "int32"


class Engine(str, Enum):
    local = "local"
    ray = "ray"


Backend = Enum("Backend", {name: name for name in CHOICES}, type=str)  # tiktoken, gigatoken, ..., auto


class Errors(str, Enum):
    replace = "replace"
    strict = "strict"


def tokenize(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Text (.txt[.gz|.zst]), JSONL (.jsonl[.gz|.zst]) or parquet files, or directories.",
            readable=False,  # fwkit checks, with a message that names the file and the fix
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Directory for the shards and manifest.json.")] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="Stream a Hub dataset (or a local dir laid out like one; 'parquet' + --data-files)."),
    ] = None,
    subset: Annotated[str | None, typer.Option(help="--dataset: the config name, e.g. sample-10BT.")] = None,
    split: Annotated[str, typer.Option(help="--dataset: the split.")] = "train",
    revision: Annotated[str | None, typer.Option(help="--dataset: branch, tag or commit.")] = None,
    data_files: Annotated[
        list[str] | None, typer.Option(help="--dataset parquet: a parquet file or URL (repeat, in order).")
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(
            help="fineweb-edu-10B, fineweb-edu-100B (build-nanogpt), fineweb-10B, fineweb-100B (llm.c), "
            "modded-fineweb-edu-10B (modded-nanogpt): their names and format."
        ),
    ] = None,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="npy (build-nanogpt), llmc (llm.c), nanogpt or megatron; default npy, or the preset's.",
        ),
    ] = None,
    tokenizer: Annotated[
        Tokenizer, typer.Option(help="gpt2 (50,257 ids), cl100k_base (100,277) or o200k_base (200,019).")
    ] = Tokenizer.gpt2,
    dtype: Annotated[
        Dtype, typer.Option(help="Token dtype; auto: the narrowest the vocabulary and format allow.")
    ] = Dtype.auto,
    prefix: Annotated[
        str | None, typer.Option(help="Shard file prefix: {prefix}_{split}_{index:06d} (default: shard).")
    ] = None,
    shard_tokens: Annotated[
        str | None, typer.Option(help="Tokens per shard (100M, 1e8, 100000000; default 100M).")
    ] = None,
    val_tokens: Annotated[str, typer.Option(help="nanogpt and megatron formats: tokens in the val split.")] = "10M",
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
    backend: Annotated[
        Backend,
        typer.Option(
            help="What encodes the text: tiktoken, a faster exact library (pip install 'fwkit\\[fast]'), or auto: "
            "the fastest installed one that encodes a built-in adversarial sample exactly like tiktoken.",
            envvar="FWKIT_BACKEND",
        ),
    ] = Backend.auto,  # type: ignore[attr-defined]
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, only errors.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a run already in --out.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue a partial run in --out (or start one).")] = False,
    engine: Annotated[
        Engine,
        typer.Option(help="local: worker processes here; ray: Ray tasks, same output (pip install 'fwkit[ray]')."),
    ] = Engine.local,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="--engine ray: the cluster to join (host:6379, auto); default: start a Ray here. See docs/ray.md.",
            envvar="RAY_ADDRESS",
        ),
    ] = None,
    ray_scratch: Annotated[
        str | None,
        typer.Option(
            help="--engine ray: where tasks leave their tokens for the driver, s3://BUCKET/PREFIX or a path "
            "every node sees (default: --out, which every node must then see).",
        ),
    ] = None,
    force_mem: Annotated[
        bool, typer.Option("--force-mem", hidden=True, help="fwkit run --force: accept a --mem below the smallest job.")
    ] = False,
) -> None:
    """Tokenize text into token shards (gpt2, cl100k_base, o200k_base) in memory that does not grow with the input."""
    from dataclasses import replace

    from fwkit.engine.settings import (
        DEFAULT_SHARD_TOKENS,
        RESUME_COMMAND_ENV,
        TokenizeSettings,
        parse_doc_sep,
        tokenizer_spec,
    )
    from fwkit.errors import FwkitError
    from fwkit.options import check_checkpoint_env, check_job_size, check_prefix, check_shard_tokens
    from fwkit.runner import run_job
    from fwkit.sizes import parse_bytes, parse_count
    from fwkit.sources.hub import HubSpec
    from fwkit.sources.presets import get_preset, preset_prefix

    if overwrite and resume:
        raise FwkitError("--overwrite and --resume contradict each other: choose one")
    if ray_address and engine is not Engine.ray and ray_address != os.environ.get("RAY_ADDRESS"):
        raise FwkitError("--ray-address needs --engine ray")
    if ray_scratch and engine is not Engine.ray:
        raise FwkitError("--ray-scratch needs --engine ray")
    if ray_scratch and not (ray_scratch.startswith("s3://") or os.path.isabs(ray_scratch)):
        raise FwkitError(f"--ray-scratch {ray_scratch}: give s3://BUCKET/PREFIX or an absolute path every node sees")
    chosen = get_preset(preset) if preset else None
    dataset = dataset or (chosen.dataset if chosen and not inputs else None)  # with INPUTs: names only
    if bool(inputs) == bool(dataset):
        raise FwkitError("give either INPUT files or --dataset/--preset (exactly one): e.g. --preset fineweb-edu-10B")
    if data_files and dataset != "parquet":
        raise FwkitError("--data-files needs --dataset parquet (the builder that reads them)")
    out = out or (Path(chosen.out_dir) if chosen else None)
    if out is None:
        raise FwkitError("--out is missing: give the directory for the shards, e.g. --out data/")
    default_shard_tokens = chosen.shard_tokens if chosen else DEFAULT_SHARD_TOKENS
    fmt = format.value if format else chosen.format if chosen else Format.npy.value
    hub = None
    if dataset:
        subset = subset or (chosen.subset if chosen else None)
        hub = HubSpec(dataset, subset, split, revision, tuple(data_files or ()), text_column)
    check_checkpoint_env()
    settings = TokenizeSettings(
        out_dir=out,
        format=fmt,
        prefix=prefix or (preset_prefix(chosen, fmt) if chosen else "shard"),
        shard_tokens=parse_count(shard_tokens, "--shard-tokens") if shard_tokens else default_shard_tokens,
        val_tokens=parse_count(val_tokens, "--val-tokens"),
        doc_sep=parse_doc_sep(doc_sep),
        text_column=text_column,
        errors=errors.value,
        workers=workers,
        mem_bytes=parse_bytes(mem, "--mem") if mem else None,
        quiet=quiet,
        overwrite=overwrite,
        resume=resume,
        command=shlex.split(os.environ.get(RESUME_COMMAND_ENV, "")) or ["fwkit", *sys.argv[1:]],
        tokenizer=replace(tokenizer_spec(fmt, tokenizer.value, dtype.value), backend=backend.value),
    )
    check_prefix(settings.prefix)
    check_shard_tokens(settings.format, settings.shard_tokens)
    workers_here = settings.workers if engine is not Engine.ray else None
    check_job_size(workers_here, settings.mem_bytes, force_mem, settings.tokenizer.name)
    from fwkit.host.cpu import usable_cpus
    from fwkit.trainers import shard_warnings

    cpus = usable_cpus()
    if workers and workers > cpus and engine is not Engine.ray:  # a Ray cluster has CPUs of its own
        typer.secho(
            f"warning: --workers {workers} is more than the {cpus} usable CPU(s): the extra workers share cores, "
            "add memory and no speed",
            err=True,
            fg=typer.colors.YELLOW,
        )
    ray = (ray_address, ray_scratch) if engine is Engine.ray else None
    manifest = run_job(settings, inputs or [], hub, ray)
    for warning in shard_warnings(manifest):
        typer.secho(f"warning: {warning}", err=True, fg=typer.colors.YELLOW)


tokenize.__doc__ = with_examples(tokenize.__doc__ or "", EXAMPLES)
