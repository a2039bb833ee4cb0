"""The splitter for text and JSONL inputs: cuts a byte stream into work items of whole documents.

Documents are `text.split(sep)` with empty pieces dropped (JSONL: one per line). A block ends just
after the last separator it holds, found left to right exactly as `str.split` scans, so every
document lands whole in one block. A document larger than a block is cut only where
`fwkit.engine.cutter` proves the tokens do not change, and the next block says it continues it.
The stream is read once, in bounded pieces: memory does not grow with the input.
"""

from __future__ import annotations

from collections.abc import Iterator

from fwkit.engine.cutter import find_cut
from fwkit.engine.items import Cursor, Planned, TextBlock
from fwkit.sources.files import InputFile, open_stream

READ_BYTES = 1 << 20  # read 1 MiB at a time


def _overlaps_itself(sep: bytes) -> bool:
    """Whether two occurrences of `sep` can overlap ("\n\n" in "\n\n\n"; "ab" never)."""
    return any(sep[i:] == sep[: len(sep) - i] for i in range(1, len(sep)))


def _end_of_last_separator(buf: bytes, sep: bytes) -> int | None:
    """Position just after the last separator that a left-to-right scan from buf[0] finds.

    That scan is `str.split`'s rule. For a separator that cannot overlap itself every occurrence is
    one of its matches, so `rfind` gives it. For a run of one byte ("\n\n") the scan takes whole
    separators from the start of the run, so the answer is counted from there. Any other separator
    that overlaps itself gets the forward split itself (exact, slower: it copies the buffer).
    """
    at = buf.rfind(sep)
    if at < 0:
        return None
    if not _overlaps_itself(sep):
        return at + len(sep)
    if sep == sep[:1] * len(sep):
        run_end = at + len(sep)  # rfind is the last start that fits, so the run ends here
        run_start = len(buf[:at].rstrip(sep[:1]))
        return run_start + len(sep) * ((run_end - run_start) // len(sep))
    return len(buf) - len(buf.split(sep)[-1])


def _skip(stream, count: int) -> None:  # type: ignore[no-untyped-def]
    """Advance a (possibly compressed) stream by `count` bytes: resume's seek."""
    while count:
        chunk = stream.read(min(count, READ_BYTES))
        if not chunk:
            raise EOFError("input is shorter than the recorded resume position")
        count -= len(chunk)


def plan_blocks(
    input_index: int,
    f: InputFile,
    sep: bytes | None,
    item_bytes: int,
    text_column: str,
    errors: str,
    start: Cursor | None = None,
) -> Iterator[Planned]:
    """Yield the work items of one text or JSONL input, from `start` (resume) or its beginning."""
    if f.kind == "jsonl":
        sep = b"\n"
    offset, in_doc, line = (start.offset, start.in_doc, start.line) if start else (0, False, 1)
    margin = len(sep) if sep else 1  # a cut never takes bytes a separator may start in
    with open_stream(f) as (stream, raw):
        if f.compression:
            _skip(stream, offset)
        else:
            raw.seek(offset)
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
            ends_doc = True
            if eof:
                cut = len(buf)
            else:
                cut = _end_of_last_separator(buf, sep) if sep else None
                if cut is None and f.kind == "text":
                    cut = find_cut(buf, len(buf) - margin, lowest=1)
                    ends_doc = False
                if cut is None:  # one document larger than a block, with no exact cut yet
                    want = len(buf) * 2
                    continue
            data, buf = buf[:cut], buf[cut:]
            block = TextBlock(
                path=str(f.path),
                kind=f.kind,
                data=data,
                sep=sep,
                continues_doc=in_doc,
                first_line=line,
                text_column=text_column,
                errors=errors,
                start_offset=offset,
            )
            offset += cut
            if f.kind == "jsonl":
                line += data.count(b"\n")
            in_doc = not ends_doc
            want = item_bytes
            done = raw.tell() if f.compression else offset
            yield Planned(block, Cursor(input_index, offset, in_doc, line), done)
