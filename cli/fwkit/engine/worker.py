"""What a worker does with one work item, wherever it runs (a local process, a cluster task).

    tokenize_item(item, TokenizerSpec("gpt2"))  ->  ItemResult(tokens, documents, input_bytes, ...)

The item reads its own documents; a retry (an idempotent Hub row group after a network error)
starts the item over, counts included.
"""

from __future__ import annotations

from fwkit.engine.encode import TokenizerSpec, encode_documents
from fwkit.engine.items import ItemResult, ReadStats, WorkItem
from fwkit.errors import FwkitError


def _unencodable(item: WorkItem, err: BaseException) -> FwkitError:
    first = (str(err).splitlines() or [""])[0][:200]
    return FwkitError(f"{item.describe()}: the tokenizer cannot encode a document here ({type(err).__name__}: {first})")


def tokenize_item(item: WorkItem, spec: TokenizerSpec = TokenizerSpec()) -> ItemResult:
    """Tokenize one work item."""

    def read() -> ItemResult:
        stats = ReadStats()
        try:
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
