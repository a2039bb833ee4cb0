"""The splitter for text and JSONL inputs: cuts a byte stream into work items of whole documents.

Documents are `text.split(sep)` with empty pieces dropped (JSONL: one per line). A block ends just
after the last separator it holds, found left to right exactly as `str.split` scans, so every
document lands whole in one block. A document larger than a block is cut only where
`fwkit.engine.cutter` proves the tokens do not change, and the next block says it continues it.
The stream is read once, in bounded pieces: memory does not grow with the input.

A plain (uncompressed) text file is not even read whole by the splitter: it reads a window before
each block's target end to find the cut, and the worker reads the block itself (`TextBlock.data` is
None), so the input's bytes never go through the main process and its pipes. Compressed inputs,
JSONL (whose blocks carry line numbers) and whole-file documents are streamed through.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from fwkit.engine.cutter import find_cut
from fwkit.engine.items import Cursor, Planned
from fwkit.errors import FwkitError
from fwkit.sources.digest import PrefixDigest, restart_at, same
from fwkit.sources.files import InputFile, check_unchanged, input_changed, open_stream
from fwkit.sources.text import TextBlock

READ_BYTES = 1 << 20  # read 1 MiB at a time
WINDOW_BYTES = 64 * 1024  # read before a seekable block's target end to find its cut


def _overlaps_itself(sep: bytes) -> bool:
    """Whether two occurrences of `sep` can overlap ("\n\n" in "\n\n\n"; "ab" never)."""
    return any(sep[i:] == sep[: len(sep) - i] for i in range(1, len(sep)))


def _last_cut_in_window(buf: bytes, sep: bytes, synced: bool) -> int | None:
    """Position just after the last separator that `str.split`'s left-to-right scan takes in `buf`.

    `synced`: buf[0] is where that scan stands (a block's start), not somewhere in the middle.
    For a separator that cannot overlap itself every occurrence is one of the scan's matches, so
    `rfind` gives it. For a run of one byte ("\n\n") the scan takes whole separators from the
    start of the run, so the answer is counted from there (unknowable when the run reaches buf[0]
    mid-stream). Any other separator that overlaps itself needs the scan itself, from a synced start.
    None: no separator here, or this window cannot tell.
    """
    at = buf.rfind(sep)
    if at < 0:
        return None
    if not _overlaps_itself(sep):
        return at + len(sep)
    if sep == sep[:1] * len(sep):
        run_end = at + len(sep)  # rfind is the last start that fits, so the run ends here
        run_start = len(buf[:at].rstrip(sep[:1]))
        if run_start == 0 and not synced:
            return None
        return run_start + len(sep) * ((run_end - run_start) // len(sep))
    return len(buf) - len(buf.split(sep)[-1]) if synced else None


def _end_of_last_separator(buf: bytes, sep: bytes) -> int | None:
    """Position just after the last separator a left-to-right scan from buf[0] finds."""
    return _last_cut_in_window(buf, sep, synced=True)


def _cut(buf: bytes, sep: bytes | None, tokenizer: str | None, margin: int) -> tuple[int, bool] | None:
    """(length, ends a document) of a block starting at buf[0], not at the end of the input.

    After the last separator; for a text document larger than `buf`, at a cut inside it proven
    exact for `tokenizer` (None: JSONL, whose documents are never cut). None: `buf` holds neither
    (read more).
    """
    cut = _end_of_last_separator(buf, sep) if sep else None
    if cut is not None:
        return cut, True
    if tokenizer is not None:
        cut = find_cut(buf, len(buf) - margin, lowest=1, tokenizer=tokenizer)
        if cut is not None:
            return cut, False
    return None


def _skip(stream, count: int) -> None:  # type: ignore[no-untyped-def]
    """Advance a (possibly compressed) stream by `count` bytes: resume's seek."""
    while count:
        chunk = stream.read(min(count, READ_BYTES))
        if not chunk:
            raise EOFError("input is shorter than the recorded resume position")
        count -= len(chunk)


def _seekable_cuts(
    raw: BinaryIO, offset: int, size: int, sep: bytes, item_bytes: int, window: int, tokenizer: str
) -> Iterator[tuple[None, int, bool, bool]]:
    """(no data, length, ends a document, ends the input) of each block of a plain text file from
    `offset`, read by windows: the worker reads the block itself."""
    while offset < size:
        end = offset + item_bytes
        found: tuple[int, bool] | None = (size - offset, True) if end >= size else None
        if found is None:
            lo = max(offset, end - window)
            raw.seek(lo)
            cut = _last_cut_in_window(raw.read(end - lo), sep, synced=lo == offset)
            found = (lo - offset + cut, True) if cut is not None else None
        want = item_bytes
        while found is None:  # no separator near the target: read the block itself, as streams do
            raw.seek(offset)
            buf = raw.read(want)
            if len(buf) < want and offset + len(buf) < size:  # it shrank: more reads would not help
                raise input_changed(raw.name)
            found = (len(buf), True) if offset + len(buf) >= size else _cut(buf, sep, tokenizer, len(sep))
            want *= 2
        yield None, *found, offset + found[0] >= size
        offset += found[0]


def _streamed_cuts(
    stream: BinaryIO, sep: bytes | None, tokenizer: str | None, item_bytes: int
) -> Iterator[tuple[bytes, int, bool, bool]]:
    """(data, length, ends a document, ends the input) of each block of a stream (compressed,
    JSONL, whole-file documents)."""
    margin = len(sep) if sep else 1  # a cut never takes bytes a separator may start in
    buf = b""
    want = item_bytes
    eof = False
    while True:
        while len(buf) < want and not eof:
            chunk = stream.read(max(READ_BYTES, want - len(buf)))
            eof = not chunk
            buf += chunk
        if not buf:
            return
        found = (len(buf), True) if eof else _cut(buf, sep, tokenizer, margin)
        if found is None:  # one document larger than a block, with no exact cut yet
            want = len(buf) * 2
            continue
        cut, ends_doc = found
        data, buf = buf[:cut], buf[cut:]
        want = item_bytes
        yield data, cut, ends_doc, eof and not buf


def _digest_from(
    f: InputFile, stream: BinaryIO, raw: BinaryIO, offset: int, consumed: dict[str, Any] | None
) -> PrefixDigest | None:
    """The digest of the input's first `offset` bytes, with the stream left at `offset`.

    From the start: a new one. On resume: the chain recorded at the checkpoint, continued over
    the part of a piece before `offset` (less than 1 MiB is read), and checked against the record.
    None (no digest for this input) when resuming without a record (a manifest from before fwkit
    kept one, or `fwkit verify --sample` starting mid-input)."""
    if offset == 0:
        return PrefixDigest()
    if consumed is None or consumed.get("offset") != offset:
        _skip_to(f, stream, raw, offset)
        return None
    digest, rest = restart_at(consumed)
    _skip_to(f, stream, raw, digest.base)
    if not digest.feed(stream, rest) or not same(digest, consumed):
        raise FwkitError(
            f"{f.path}: the part the partial run already read has changed: rerun with --overwrite to start again"
        )
    return digest


def _skip_to(f: InputFile, stream: BinaryIO, raw: BinaryIO, offset: int) -> None:
    if f.compression:
        _skip(stream, offset)
    else:
        raw.seek(offset)


def plan_blocks(
    input_index: int,
    f: InputFile,
    sep: bytes | None,
    item_bytes: int,
    text_column: str,
    errors: str,
    start: Cursor | None = None,
    window: int = WINDOW_BYTES,
    done_before: int = 0,
    tokenizer: str = "gpt2",
    consumed: dict[str, Any] | None = None,
) -> Iterator[Planned]:
    """Yield the work items of one text or JSONL input, from `start` (resume) or its beginning.

    Progress (`Planned.done_bytes`) counts file bytes (compressed ones for a compressed input),
    from `done_before`, the bytes of the inputs before this one. `Planned.consumed` is the digest
    of the stream up to the item's end (`fwkit.sources.digest`); a resume may go on past a change
    after it where it is a cut between documents ("cut"), not the end of the input.
    `consumed`: the record of the checkpoint resumed from.
    """
    if f.kind == "jsonl":
        sep = b"\n"
    offset, in_doc, line = (start.offset, start.in_doc, start.line) if start else (0, False, 1)
    seekable = f.kind == "text" and not f.compression and sep is not None
    with open_stream(f) as (stream, raw):
        digest = _digest_from(f, stream, raw, offset, consumed)
        if seekable:
            assert sep is not None
            size = os.fstat(raw.fileno()).st_size
            blocks: Iterator[tuple[bytes | None, int, bool, bool]] = _seekable_cuts(
                raw, offset, size, sep, item_bytes, window, tokenizer
            )
        else:
            blocks = _streamed_cuts(stream, sep, tokenizer if f.kind == "text" else None, item_bytes)
        for data, length, ends_doc, final in blocks:
            block = TextBlock(
                path=str(f.path),
                kind=f.kind,
                data=data,
                length=length,
                sep=sep,
                continues_doc=in_doc,
                first_line=line,
                text_column=text_column,
                errors=errors,
                start_offset=offset,
                stamp=f.stamp,
            )
            if digest is not None:
                if data is not None:
                    digest.update(data)
                else:  # a plain file's block: read here too (once, in order), only to hash it
                    raw.seek(offset)
                    digest.feed(raw, length)
            check_unchanged(f.path, f.stamp, raw.fileno())  # what the splitter read is still the input
            begin = Cursor(input_index, offset, in_doc, line)
            offset += length
            if data is not None and f.kind == "jsonl":
                line += data.count(b"\n")
            in_doc = not ends_doc
            done = offset if not f.compression else raw.tell()
            # "cut": a resume may go on here whatever follows: a cut between documents is exact, the
            # end of the input is not (text appended there may continue its last document).
            mark = {**digest.record(), "cut": ends_doc and not final} if digest is not None else None
            yield Planned(block, begin, Cursor(input_index, offset, in_doc, line), done_before + done, mark)
    check_unchanged(f.path, f.stamp)  # read to its end: the file under that name is still the one read
