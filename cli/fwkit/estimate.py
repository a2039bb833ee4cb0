"""How big a job is before it starts: tokens, output size and duration, from a small sample.

    fwkit doctor train.txt        # prints this estimate with the plan

Bytes per token are measured on about 512 KiB of whole documents taken from `SAMPLE_PLACES`
places spread over the inputs (plain text files at evenly spaced byte offsets, other kinds from the
start of the files those places fall in), read by the tokenizer's own readers, with each
document's EOT and separator counted as the job counts them; then scaled to the inputs' text
size. The first documents alone ran 18-20% low on real text, whose start (a licence, a table of
contents) is not its middle. Tokenizer speed is measured once per machine (`fwkit.speed`).
Compressed inputs are scaled by their ratio, measured on the first 4 MiB of one file per
compression; parquet by its text column's uncompressed size from the footer. JSONL counts whole
lines, JSON syntax and other fields included, so its token count is an overestimate.
A Hub dataset (`estimate_dataset_job`) is sized from its metadata (every column, so also an
overestimate) and sampled from its first row group; offline it says it cannot know.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fwkit.engine.items import Cursor, ReadStats
from fwkit.sources import InputFile, LocalSource, discover
from fwkit.sources.checks import special_kind
from fwkit.sources.files import open_stream

if TYPE_CHECKING:
    from fwkit.sources.hub import HubSpec

SAMPLE_BYTES = 512 * 1024  # ~120k GPT-2 tokens of prose: ~0.2 s on one core, enough for 2 digits
DEFAULT_TOKENIZER = "gpt2"  # fwkit.encoding.DEFAULT_TOKENIZER (not imported: it loads tiktoken)
SAMPLE_PLACES = 8  # 64 KiB from each of 8 places: the start, then every 1/8 of the inputs
DOC_SEP = "\n\n"  # the default --doc-sep: text files' documents are sampled with it
RATIO_PROBE_BYTES = 4 * 1024 * 1024  # decompressed bytes read to measure a compression ratio
WARMUP_CHARS = 4096  # tokenized once before timing, so regex compilation is not counted


@dataclass(frozen=True)
class InputEstimate:
    files: int
    total_bytes: int  # on disk
    text_bytes: int  # after decompression (parquet: the text column, uncompressed)
    sample_bytes: int
    sample_tokens: int
    bytes_per_token: float  # text bytes per token in the sample
    est_tokens: int
    est_output_bytes: int  # tokens x 2 bytes (gpt2's uint16) or 4 (uint32); shard headers are a few KiB more
    tokens_per_second_per_worker: float

    def est_seconds(self, workers: int) -> float:
        """Tokenizing time with `workers` workers, if they scale linearly (reading is not counted)."""
        rate = self.tokens_per_second_per_worker * max(1, workers)
        return self.est_tokens / rate if rate > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _compression_ratio(f: InputFile) -> float:
    """Decompressed bytes per file byte, from the start of `f`."""
    with open_stream(f) as (stream, raw):
        read = 0
        while read < RATIO_PROBE_BYTES:
            chunk = stream.read(min(1 << 20, RATIO_PROBE_BYTES - read))
            if not chunk:
                return read / max(f.size, 1)  # the whole file: exact
            read += len(chunk)
        return read / max(raw.tell(), 1)


def _parquet_text_bytes(f: InputFile, text_column: str) -> int:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(f.path).metadata
    index = meta.schema.to_arrow_schema().get_field_index(text_column)
    return sum(meta.row_group(g).column(index).total_uncompressed_size for g in range(meta.num_row_groups))


def text_bytes(inputs: Sequence[InputFile], text_column: str) -> int:
    """The inputs' text size once decompressed."""
    ratios: dict[str, float] = {}
    total = 0
    for f in inputs:
        if f.kind == "parquet":
            total += _parquet_text_bytes(f, text_column)
        elif f.compression:
            if f.compression not in ratios:
                ratios[f.compression] = _compression_ratio(f)
            total += int(f.size * ratios[f.compression])
        else:
            total += f.size
    return total


def count_tokens(docs: list[str], tokenizer: str = DEFAULT_TOKENIZER) -> int:
    """Tokens the job writes for `docs`: [EOT] + encode_ordinary(text) each."""
    from fwkit.encoding import encoding

    enc = encoding(tokenizer)
    return sum(1 + len(enc.encode_ordinary(doc)) for doc in docs)


def token_bytes(tokenizer: str) -> int:
    """Bytes a token takes in the shards: 2 for gpt2's uint16 ids, 4 past 65,536 ids (uint32, int32)."""
    from fwkit.encoding import tokenizer as spec

    return spec(tokenizer).dtype.itemsize


def _place(inputs: Sequence[InputFile], at: int) -> Cursor:
    """Where byte `at` of the concatenated inputs is: an offset in a plain text file, else a file's start."""
    for index, f in enumerate(inputs):
        if at < f.size or index == len(inputs) - 1:
            seekable = f.kind == "text" and not f.compression
            return Cursor(index, min(at, f.size), in_doc=at > 0) if seekable else Cursor(index)
        at -= f.size
    return Cursor()


def spread_documents(inputs: Sequence[InputFile], max_bytes: int, text_column: str) -> list[str]:
    """About `max_bytes` of whole documents from `SAMPLE_PLACES` places spread over `inputs`."""
    source = LocalSource(inputs, DOC_SEP, text_column, "replace")
    source.check()
    total, per_place = sum(f.size for f in inputs), max(1, max_bytes // SAMPLE_PLACES)
    docs: list[str] = []
    starts = dict.fromkeys(_place(inputs, total * k // SAMPLE_PLACES) for k in range(SAMPLE_PLACES))
    if total <= max_bytes:  # small enough to read whole, once
        starts, per_place = {Cursor(): None}, max_bytes
    for start in starts:
        taken = 0
        for planned in source.plan(min(max(per_place, 64 * 1024), 1 << 20), start):
            for text, whole in planned.item.documents(ReadStats()):
                if whole and text:  # a document cut by an arbitrary offset is not counted
                    docs.append(text)
                    taken += len(text)
            if taken >= per_place:
                break
    return docs


def input_problem(path: Path) -> str | None:
    """What is wrong with an INPUT before reading it (None: a file or directory that exists)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return f"{path}: no such file or directory; check the input path"
    except OSError as err:
        return f"{path}: cannot be read ({err.strerror}); check its permissions"
    kind = special_kind(mode)
    if kind:
        return f"{path}: {kind}, not a regular file or directory: give a text, JSONL or parquet file"
    return None


def estimate_inputs(paths: list[Path], text_column: str = "text", tokenizer: str = DEFAULT_TOKENIZER) -> InputEstimate:
    """Estimate the job for `paths` (files or directories) with `tokenizer`; FwkitError for a
    missing/unreadable input."""
    inputs = discover(paths)
    docs = spread_documents(inputs, SAMPLE_BYTES, text_column)
    texts = sum(1 for f in inputs if f.kind == "text")
    sep = len(DOC_SEP) if texts * 2 > len(inputs) else 0  # text files: each document's separator is input too
    size = text_bytes(inputs, text_column)
    return scale_sample(docs, len(inputs), sum(f.size for f in inputs), size, sep, tokenizer)


def scale_sample(
    docs: list[str], files: int, total_bytes: int, size: int, sep_bytes: int = 0, tokenizer: str = DEFAULT_TOKENIZER
) -> InputEstimate:
    """The estimate for `size` text bytes, from bytes per token measured on `docs` (each + `sep_bytes`)."""
    from fwkit.speed import tokens_per_second

    sample_bytes = sum(len(doc.encode("utf-8")) + sep_bytes for doc in docs)
    tokens = count_tokens(docs, tokenizer)
    rate = tokens_per_second(DOC_SEP.join(docs), tokenizer) if docs else 0.0
    per_token = sample_bytes / tokens if tokens else 0.0
    est_tokens = int(size / per_token) if per_token else 0
    return InputEstimate(
        files=files,
        total_bytes=total_bytes,
        text_bytes=size,
        sample_bytes=sample_bytes,
        sample_tokens=tokens,
        bytes_per_token=round(per_token, 3),
        est_tokens=est_tokens,
        est_output_bytes=est_tokens * token_bytes(tokenizer),
        tokens_per_second_per_worker=round(rate, 1),
    )


def _first_texts(spec: HubSpec, max_bytes: int) -> list[str]:
    """About `max_bytes` of the dataset's first documents, streamed from its first row group."""
    from fwkit.sources.hub import resolve, shard_texts

    shards, _ = resolve(spec)
    docs, size = [], 0
    for text in (text for batch in shard_texts(spec, 0, shards) for text in batch if text):
        docs.append(text)
        size += len(text)
        if size >= max_bytes:
            break
    return docs


def estimate_dataset_job(spec: HubSpec, tokenizer: str = DEFAULT_TOKENIZER) -> tuple[InputEstimate | None, str]:
    """(estimate, where its size came from) for a --dataset job; (None, why not) when unreachable."""
    from fwkit.errors import FwkitError
    from fwkit.sources.hub import estimate_dataset, hub_unreachable

    unreachable = hub_unreachable(spec)
    if unreachable:
        return None, unreachable
    size, how = estimate_dataset(spec)
    if size is None:
        return None, how
    try:
        sample = _first_texts(spec, SAMPLE_BYTES)
    except FwkitError as err:
        return None, err.message
    estimate = scale_sample(sample, 1, size, size, tokenizer=tokenizer)
    return estimate, f"--dataset {spec.dataset}: size from {how}, every column counted (an overestimate)"
