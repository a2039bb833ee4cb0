"""Text and JSONL work items: whole documents of one input (at most a cut document at each end).

A block of a plain text file carries only where it is (`data` None): the worker reads its bytes
itself, so the input never passes through the main process. Blocks of compressed or JSONL inputs
carry their bytes. Documents are `text.split(sep)` with empty pieces dropped; JSONL: one JSON
object per line, field `text_column`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from fwkit.engine.items import ReadStats, TextBytes
from fwkit.errors import FwkitError, read_failed

T = TypeVar("T")
_replaced = [0]  # invalid UTF-8 sequences replaced in this process (read around each decode)


def _count_and_replace(err: UnicodeError) -> tuple[str, int]:
    """Like errors="replace" (one U+FFFD per invalid sequence), but counted for the manifest."""
    _replaced[0] += 1
    return "\ufffd", err.end  # type: ignore[attr-defined]


codecs.register_error("fwkit.replace", _count_and_replace)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads pairs the valid ones: any left is alone


def _valid_utf8(data: bytes, step: int = 1 << 16) -> bool:
    """Whether `data` is UTF-8, read 64 KiB at a time: a chunk of ASCII (no sequence open before it)
    is skipped, the others decoded and dropped. ~1.8 GB/s on the benchmark corpus (the whole block
    decoded at once: ~0.23), no string of the whole block ever held."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for at in range(0, len(data), step):
            chunk = data[at : at + step]
            if not (chunk.isascii() and not decoder.getstate()[0]):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class TextBlock:
    """Whole documents (and at most a cut document at each end) of a text or JSONL input."""

    path: str
    kind: str  # "text" or "jsonl"
    data: bytes | None  # None: the worker reads `length` bytes at `start_offset` itself (plain files)
    length: int
    sep: bytes | None  # None: the whole input is one document
    continues_doc: bool  # the first piece continues a document started in the previous block
    first_line: int
    text_column: str
    errors: str  # "replace" or "strict"
    start_offset: int
    stamp: tuple[int, ...] | None = None  # the input's (size, mtime, inode, ctime) when the run began

    @property
    def portable(self) -> bool:
        """A block that reads its own bytes can be read wherever the path is; carried bytes go along."""
        return True

    def describe(self) -> str:
        return f"{self.path} bytes {self.start_offset}-{self.start_offset + self.length}"

    def attempt(self, read: Callable[[], T]) -> T:
        return read()

    def read(self) -> bytes:
        """The block's bytes: carried along, or read from the input where the splitter cut it."""
        if self.data is not None:
            return self.data
        from fwkit.sources.files import check_unchanged, input_changed

        try:
            with open(self.path, "rb") as f:
                f.seek(self.start_offset)
                data = f.read(self.length)
                if self.stamp is not None:
                    check_unchanged(self.path, self.stamp, f.fileno())  # type: ignore[arg-type]
        except OSError as err:
            raise read_failed(self.path, err.strerror) from None
        if len(data) != self.length:
            raise input_changed(self.path)
        return data

    def decode(self, stats: ReadStats) -> str:
        """The block as text; invalid UTF-8 replaced (and counted) or, with --errors strict, an error."""
        before = _replaced[0]
        try:
            text = self.read().decode("utf-8", errors="strict" if self.errors == "strict" else "fwkit.replace")
        except UnicodeDecodeError as err:
            at = self.start_offset + err.start
            raise FwkitError(f"{self.path}: invalid UTF-8 at byte {at}: fix the file or use --errors replace") from None
        stats.replaced += _replaced[0] - before
        stats.input_bytes += self.length
        return text

    def text_bytes(self, stats: ReadStats) -> TextBytes | None:
        """A plain text block's bytes, for a backend that splits and encodes bytes itself; None when
        they hold invalid UTF-8 (`documents` then replaces or refuses it) or the input is JSONL."""
        if self.kind != "text":
            return None
        data = self.read()
        if not _valid_utf8(data):
            return None
        stats.input_bytes += self.length
        return TextBytes(data, self.sep, self.continues_doc)

    def documents(self, stats: ReadStats) -> Iterator[tuple[str, bool]]:
        text = self.decode(stats)
        return self.jsonl_docs(text, stats) if self.kind == "jsonl" else self.text_docs(text)

    def text_docs(self, text: str) -> Iterator[tuple[str, bool]]:
        pieces = text.split(self.sep.decode("utf-8")) if self.sep else [text]
        for i, piece in enumerate(pieces):
            if piece:
                yield piece, not (i == 0 and self.continues_doc)

    def jsonl_docs(self, text: str, stats: ReadStats | None = None) -> Iterator[tuple[str, bool]]:
        for i, line in enumerate(text.split("\n")):
            if not line.strip():
                continue
            where = f"{self.path}:{self.first_line + i}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise FwkitError(f"{where}: invalid JSON ({err.msg}): fix or remove that line") from None
            if not isinstance(record, dict) or self.text_column not in record:
                raise FwkitError(f"{where}: no field {self.text_column!r}: use --text-column NAME")
            value = record[self.text_column]
            if not isinstance(value, str):
                raise FwkitError(f"{where}: field {self.text_column!r} is not a string: use --text-column NAME")
            if "\\u" in line and _LONE_SURROGATE.search(value):  # `"\ud800"` escaped: no UTF-8 for it
                value = self._no_lone_surrogates(value, where, stats)
            yield value, True

    def _no_lone_surrogates(self, value: str, where: str, stats: ReadStats | None) -> str:
        """A lone surrogate (common in crawls) replaced by U+FFFD and counted, or refused (--errors strict)."""
        if self.errors == "strict":
            found = _LONE_SURROGATE.search(value)
            code = f"\\u{ord(found.group()):04x}" if found else "a surrogate"
            raise FwkitError(
                f"{where}: field {self.text_column!r} holds a lone surrogate ({code}), which is not text: "
                "fix that line or use --errors replace"
            )
        value, count = _LONE_SURROGATE.subn("\ufffd", value)
        if stats is not None:
            stats.replaced += count
        return value
