"""What a worker process does with one work item: text in, uint16 tokens out.

Each document becomes [EOT] + encode_ordinary(text), as build-nanogpt and llm.c do; the literal
string "<|endoftext|>" inside a text is ordinary text. The tokenizer is built lazily, once per
worker; pyarrow is imported only by workers that get a parquet item.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator

import numpy as np

from fwkit.encoding import EOT, VOCAB_SIZE, gpt2
from fwkit.engine.items import HubShard, ItemResult, ParquetRowGroup, TextBlock
from fwkit.errors import FwkitError

_EOT = np.array([EOT], dtype=np.uint32)
_replaced = [0]  # invalid UTF-8 sequences replaced in this process (read around each decode)


def _count_and_replace(err: UnicodeError) -> tuple[str, int]:
    """Like errors="replace" (one U+FFFD per invalid sequence), but counted for the manifest."""
    _replaced[0] += 1
    return "\ufffd", err.end  # type: ignore[attr-defined]


codecs.register_error("fwkit.replace", _count_and_replace)


def encode_documents(docs: Iterator[tuple[str, bool]]) -> tuple[np.ndarray, int, int]:
    """(tokens as uint16, documents started, text bytes) for (text, starts_a_document) pairs."""
    enc = gpt2()
    parts: list[np.ndarray] = []
    documents = text_bytes = 0
    for text, starts in docs:
        if starts:
            parts.append(_EOT)
            documents += 1
        if text:
            parts.append(enc.encode_to_numpy(text, allowed_special=set(), disallowed_special=()))
            text_bytes += len(text)
    tokens = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint32)
    # A token id that does not fit the vocabulary (and so uint16) would corrupt the shards silently.
    assert tokens.size == 0 or int(tokens.max()) < VOCAB_SIZE, "token id outside GPT-2's vocabulary"
    return tokens.astype(np.uint16), documents, text_bytes


def _decode(block: TextBlock) -> str:
    try:
        return block.read().decode("utf-8", errors="strict" if block.errors == "strict" else "fwkit.replace")
    except UnicodeDecodeError as err:
        at = block.start_offset + err.start
        raise FwkitError(f"{block.path}: invalid UTF-8 at byte {at}: fix the file or use --errors replace") from None


def _text_docs(block: TextBlock, text: str) -> Iterator[tuple[str, bool]]:
    pieces = text.split(block.sep.decode("utf-8")) if block.sep else [text]
    for i, piece in enumerate(pieces):
        if piece:
            yield piece, not (i == 0 and block.continues_doc)


def _jsonl_docs(block: TextBlock, text: str) -> Iterator[tuple[str, bool]]:
    for i, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        where = f"{block.path}:{block.first_line + i}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise FwkitError(f"{where}: invalid JSON ({err.msg}): fix or remove that line") from None
        if not isinstance(record, dict) or block.text_column not in record:
            raise FwkitError(f"{where}: no field {block.text_column!r}: use --text-column NAME")
        value = record[block.text_column]
        if not isinstance(value, str):
            raise FwkitError(f"{where}: field {block.text_column!r} is not a string: use --text-column NAME")
        yield value, True


def _tokenize_text(block: TextBlock) -> ItemResult:
    before = _replaced[0]
    text = _decode(block)
    docs = _jsonl_docs(block, text) if block.kind == "jsonl" else _text_docs(block, text)
    tokens, documents, _ = encode_documents(docs)
    return ItemResult(tokens, documents, block.length, replaced=_replaced[0] - before)


def _encode_batches(batches: Iterator[list[str | None]]) -> ItemResult:
    """Rows of text (None: a null row, counted and skipped), batch by batch, into one result."""
    chunks: list[np.ndarray] = []
    documents = text_bytes = skipped = 0
    for texts in batches:
        skipped += sum(t is None for t in texts)
        tokens, docs, nbytes = encode_documents((t, True) for t in texts if t is not None)
        chunks.append(tokens)
        documents += docs
        text_bytes += nbytes
    tokens = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.uint16)
    return ItemResult(tokens, documents, text_bytes, skipped=skipped)


def _tokenize_parquet(item: ParquetRowGroup) -> ItemResult:
    import pyarrow.parquet as pq

    try:
        batches = pq.ParquetFile(item.path).iter_batches(
            batch_size=item.batch_rows, row_groups=[item.row_group], columns=[item.text_column]
        )
        return _encode_batches(batch.column(0).to_pylist() for batch in batches)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid / ArrowIOError derive from these
        raise FwkitError(
            f"{item.path}: corrupt parquet in row group {item.row_group} ({err}): re-download the file"
        ) from None


def _tokenize_hub(item: HubShard) -> ItemResult:
    from fwkit.sources.hub import shard_texts, with_retries

    read = lambda: _encode_batches(shard_texts(item.spec, item.shard_index, item.num_shards))  # noqa: E731
    return with_retries(item.spec, item.shard_index, read)


def tokenize_item(item: TextBlock | ParquetRowGroup | HubShard) -> ItemResult:
    """Tokenize one work item (runs in a worker process)."""
    if isinstance(item, TextBlock):
        return _tokenize_text(item)
    if isinstance(item, HubShard):
        return _tokenize_hub(item)
    return _tokenize_parquet(item)
