"""What a worker does with one work item, wherever it runs (a local process, a cluster task).

    tokenize_item(item, TokenizerSpec("gpt2"))  ->  ItemResult(tokens, documents, input_bytes, ...)

The item reads its own documents (or hands a plain text item's bytes to a backend that splits
and encodes bytes itself); a retry (an idempotent Hub row group after a network error)
starts the item over, counts included.
"""

from __future__ import annotations

from fwkit.engine.encode import TokenizerSpec, encode_documents, encode_text_bytes, takes_bytes
from fwkit.engine.items import ItemResult, ReadStats, TextBytes, WorkItem
from fwkit.errors import FwkitError


def _unencodable(item: WorkItem, err: BaseException) -> FwkitError:
    first = (str(err).splitlines() or [""])[0][:200]
    return FwkitError(f"{item.describe()}: the tokenizer cannot encode a document here ({type(err).__name__}: {first})")


def _text_bytes(item: WorkItem, stats: ReadStats) -> TextBytes | None:
    """The item's raw text bytes, if it is a plain text item (the optional `WorkItem.text_bytes`)."""
    text_bytes = getattr(item, "text_bytes", None)
    return text_bytes(stats) if text_bytes is not None else None


def tokenize_item(item: WorkItem, spec: TokenizerSpec = TokenizerSpec()) -> ItemResult:
    """Tokenize one work item."""

    def read() -> ItemResult:
        stats = ReadStats()
        try:
            block = _text_bytes(item, stats) if takes_bytes(spec) else None
            if block is not None:
                tokens, documents = encode_text_bytes(block, spec, item.describe)
            else:
                tokens, documents = encode_documents(item.documents(stats), spec, item.describe)
        except (FwkitError, OSError):
            raise
        except (ValueError, UnicodeError) as err:  # tiktoken's "Regex error while tokenizing", a bad str
            raise _unencodable(item, err) from None
        except BaseException as err:  # a Rust panic (pyo3's PanicException derives from BaseException)
            if isinstance(err, KeyboardInterrupt | SystemExit):
                raise
            raise _unencodable(item, err) from None
        return ItemResult(tokens, documents, stats.input_bytes, stats.replaced, stats.skipped)

    return item.attempt(read)
