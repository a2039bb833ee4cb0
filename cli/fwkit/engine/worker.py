"""What a worker does with one work item, wherever it runs (a local process, a cluster task).

    tokenize_item(item, TokenizerSpec("gpt2"))  ->  ItemResult(tokens, documents, input_bytes, ...)

The item reads its own documents; a retry (an idempotent Hub row group after a network error)
starts the item over, counts included.
"""

from __future__ import annotations

from fwkit.engine.encode import TokenizerSpec, encode_documents
from fwkit.engine.items import ItemResult, ReadStats, WorkItem


def tokenize_item(item: WorkItem, spec: TokenizerSpec = TokenizerSpec()) -> ItemResult:
    """Tokenize one work item."""

    def read() -> ItemResult:
        stats = ReadStats()
        tokens, documents = encode_documents(item.documents(stats), spec)
        return ItemResult(tokens, documents, stats.input_bytes, stats.replaced, stats.skipped)

    return item.attempt(read)
