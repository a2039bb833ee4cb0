"""Where a huge document may be cut so its tokens equal those of encoding it whole.

GPT-2 first splits text with the regex
    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
and then runs BPE inside each piece. A cut at position p gives the same tokens iff the whole text
has a piece boundary at p and no match before p looks past it. Two kinds of position qualify:

(a) text[p] is whitespace and text[p-1] is not: no piece holds a non-space followed by a space
    (a leading space is only ever the first char of a piece), the only lookahead `(?!\\S)` sits on
    whitespace runs, which cannot end at p, and greedy runs stop at the class change.
(b) text[p-1] and text[p] are both non-space and of different classes (letter / number / other),
    except an apostrophe before a letter (the contractions 's 't 're 've 'm 'll 'd).

Python's `isspace()` is a superset of the regex's Unicode `\\s`, and general categories give
`\\p{L}` / `\\p{N}`; unassigned code points (category `Cn`, which tiktoken's newer Unicode tables
may know) are never used for a cut. `tests/engine/test_cutter.py` proves it with hypothesis.
"""

from __future__ import annotations

import unicodedata

# ASCII bytes `str.isspace()` calls whitespace: \t \n \v \f \r, \x1c-\x1f and space.
_ASCII_SPACE = frozenset(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ")
_CUT_BEFORE = (b"\n", b" ")  # (a): cut before one of these ASCII whitespace bytes
_SEARCH_WINDOW = 1 << 16  # look back at most 64 KiB for a rule-(b) cut: it is rarely needed


def _char_class(ch: str) -> str | None:
    """'L', 'N', 'P' (other non-space), or None for whitespace and unassigned code points."""
    if ch.isspace():
        return None
    category = unicodedata.category(ch)
    if category == "Cn":
        return None
    return category[0] if category[0] in "LN" else "P"


def _char_ending_at(buf: bytes, end: int) -> str | None:
    """The UTF-8 character whose last byte is buf[end - 1], or None if the bytes are invalid."""
    start = end - 1
    while start > 0 and end - start < 4 and buf[start] & 0xC0 == 0x80:
        start -= 1
    try:
        text = buf[start:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if len(text) == 1 else None


def _space_cut(buf: bytes, limit: int, lowest: int) -> int | None:
    """Rule (a): the last p in [lowest, limit] with buf[p] in (space, newline), buf[p-1] non-space."""
    p = limit + 1
    while True:
        p = max(buf.rfind(sep, lowest, p) for sep in _CUT_BEFORE)
        if p <= 0 or p < lowest:
            return None
        before = buf[p - 1]
        if before < 0x80:
            if before not in _ASCII_SPACE:
                return p
        else:
            ch = _char_ending_at(buf, p)
            if ch is not None and not ch.isspace():
                return p


def _class_cut(buf: bytes, limit: int, lowest: int) -> int | None:
    """Rule (b): the last class change between two non-space characters in [lowest, limit]."""
    start = max(lowest, limit - _SEARCH_WINDOW)
    while start < limit and buf[start] & 0xC0 == 0x80:  # begin on a character boundary
        start += 1
    # surrogateescape keeps one char per invalid byte, so byte offsets stay exact.
    text = buf[start : limit + 1].decode("utf-8", errors="surrogateescape")
    offsets = []  # byte offset of each character, relative to `start`
    pos = 0
    for ch in text:
        offsets.append(pos)
        pos += len(ch.encode("utf-8", errors="surrogateescape"))
    for i in range(len(text) - 1, 0, -1):
        left, right = text[i - 1], text[i]
        if _is_escaped(left) or _is_escaped(right):
            continue  # never cut beside an invalid byte
        a, b = _char_class(left), _char_class(right)
        if a and b and a != b and not (left == "'" and b == "L"):
            cut = start + offsets[i]
            if cut <= limit:
                return cut
    return None


def _is_escaped(ch: str) -> bool:
    """A lone surrogate from surrogateescape: stands for one invalid byte."""
    return "\udc80" <= ch <= "\udcff"


def find_cut(buf: bytes, limit: int, lowest: int = 1) -> int | None:
    """The largest safe cut position p with lowest <= p <= limit (buf[:p] | buf[p:]), or None.

    Near `limit` (within 64 KiB) rule (a) is preferred, being common in any prose; then rule (b),
    which covers long runs without spaces (CJK, code, base64); then rule (a) further back.
    None means no exact cut exists in range: the caller keeps reading.
    """
    lowest = max(lowest, 1)
    limit = min(limit, len(buf) - 1)
    if limit < lowest:
        return None
    near = _space_cut(buf, limit, max(lowest, limit - _SEARCH_WINDOW))
    if near is not None:
        return near
    by_class = _class_cut(buf, limit, lowest)
    if by_class is not None:
        return by_class
    return _space_cut(buf, limit, lowest)
