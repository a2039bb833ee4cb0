"""Where a huge document may be cut so its tokens equal those of encoding it whole, per tokenizer.

tiktoken splits text into pieces with the encoding's regex (`fwkit.encoding`), then runs BPE inside
each piece. The regexes have no lookbehind, `^` or `\\b`, so the pieces after a position p depend
only on the text from p on. A cut at p therefore gives the same tokens if the whole text has a
piece boundary at p and every match before p decides the same when p is the end of the text:
no piece holds both text[p-1] and text[p], and nothing before p looks at text[p] and sees a
difference from the end (a greedy run or a class test that text[p] fails anyway does not; `$`
would, but only on a whitespace run, which cannot hold text[p-1] below). With x = text[p-1] and
y = text[p] (never whitespace, an unassigned code point or an invalid byte, unless said):

(a) y is a space and x is not whitespace: in all three patterns a piece that holds a non-space
    ends with it or with a letter, digit, newline or "/", never with a space (a space is only a
    piece's first char). y is a newline: for gpt2 the same; cl100k's ` ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*`
    and o200k's `... [^\\s\\p{L}\\p{N}]+[\\r\\n/]*` take newlines after punctuation (and o200k's
    after a mark), so there x must be a letter or digit (`\\p{L}`, `\\p{N}`).
(b) gpt2: x and y of different classes (letter / number / other), except `'` before a letter
    (the contractions 's 't 're 've 'm 'll 'd).
    cl100k_base: different classes, except other before letter: `[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++`
    takes one such char ("(", "'", a mark) before a word, and "'s" is a piece of its own.
    o200k_base: never beside a mark (`\\p{M}` sits in its word classes and in `[^\\s\\p{L}\\p{N}]`).
    A digit beside a non-digit (`\\p{N}{1,3}` is the only piece holding digits; never between
    two digits: the grouping in threes counts from the run's start). A letter before "other"
    except `'` (a word takes `(?i:'s|'t|...)` after it). A lowercase letter (Ll) before an
    uppercase or titlecase one (Lu, Lt), as in "camelCase", when neither of the two chars before
    x is `'` (else x may end a case-insensitive contraction: "n'lL" is one piece).

Python's `isspace()` is a superset of the regex's Unicode `\\s`, and general categories give
`\\p{L}` / `\\p{N}` / `\\p{M}`; unassigned code points (category `Cn`, which tiktoken's newer Unicode
tables may know) are never used for a cut. `tests/engine/test_cutter.py` proves every rule with
hypothesis and on real text against tiktoken; a tokenizer without a proven rule is refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from fwkit.encoding import TOKENIZERS
from fwkit.errors import FwkitError

_CUT_BEFORE = (b"\n", b" ")  # (a): cut before one of these ASCII whitespace bytes
_SEARCH_WINDOW = 1 << 16  # look back at most 64 KiB for a rule-(b) cut: it is rarely needed


def _is_escaped(ch: str) -> bool:
    """A lone surrogate from surrogateescape: stands for one invalid byte."""
    return "\udc80" <= ch <= "\udcff"


def _category(ch: str) -> str | None:
    """The general category ("Ll", "Nd", "Po"...), or None for whitespace, unassigned code points
    and invalid bytes: never cut beside those."""
    if ch.isspace() or _is_escaped(ch):
        return None
    category = unicodedata.category(ch)
    return None if category == "Cn" else category


def _group(category: str) -> str:
    """Letter, number or other, as the patterns' `\\p{L}`, `\\p{N}` and `[^\\s\\p{L}\\p{N}]` see it."""
    return category[0] if category[0] in "LN" else "P"


def _gpt2_pair(text: str, i: int, x: str, y: str) -> bool:
    return _group(x) != _group(y) and not (text[i - 1] == "'" and _group(y) == "L")


def _cl100k_pair(text: str, i: int, x: str, y: str) -> bool:
    return _group(x) != _group(y) and not (_group(x) == "P" and _group(y) == "L")


def _o200k_pair(text: str, i: int, x: str, y: str) -> bool:
    if x[0] == "M" or y[0] == "M":
        return False
    gx, gy = _group(x), _group(y)
    if "N" in (gx, gy):
        return gx != gy
    if gx == "L" and gy == "P":
        return text[i] != "'"
    return x == "Ll" and y in ("Lu", "Lt") and i >= 3 and "'" not in text[i - 3 : i - 1]


@dataclass(frozen=True)
class CutRule:
    """The proven cuts of one pre-tokenizer pattern (see the module docstring)."""

    pattern: str  # the pattern the rule is proven for: a tokenizer with another one is refused
    newline_after: Callable[[str], bool]  # (a): may a "\n" after a char of this category start a cut
    pair: Callable[[str, int, str, str], bool]  # (b): (text, i, category of text[i-1], of text[i])


RULES = {
    "gpt2": CutRule(TOKENIZERS["gpt2"].pattern, lambda category: True, _gpt2_pair),
    "cl100k_base": CutRule(TOKENIZERS["cl100k_base"].pattern, lambda category: category[0] in "LN", _cl100k_pair),
    "o200k_base": CutRule(TOKENIZERS["o200k_base"].pattern, lambda category: category[0] in "LN", _o200k_pair),
}


def cut_rule(tokenizer: str) -> CutRule:
    """The proven cut rule of `tokenizer`; none proven (or its pattern changed) is a one-line error."""
    rule = RULES.get(tokenizer)
    known = TOKENIZERS.get(tokenizer)
    if rule is None or known is None or known.pattern != rule.pattern:
        raise FwkitError(
            f"no exact cut is proven for tokenizer {tokenizer!r}: a document larger than a work item "
            "cannot be split; give documents a separator (--doc-sep) or use another --tokenizer"
        )
    return rule


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


def _space_cut(buf: bytes, limit: int, lowest: int, rule: CutRule) -> int | None:
    """Rule (a): the last p in [lowest, limit] before a space or newline that may follow buf[p-1]."""
    p = limit + 1
    while True:
        p = max(buf.rfind(sep, lowest, p) for sep in _CUT_BEFORE)
        if p <= 0 or p < lowest:
            return None
        before = chr(buf[p - 1]) if buf[p - 1] < 0x80 else _char_ending_at(buf, p)
        category = _category(before) if before is not None else None
        if category is not None and (buf[p] == 0x20 or rule.newline_after(category)):
            return p


def _class_cut(buf: bytes, limit: int, lowest: int, rule: CutRule) -> int | None:
    """Rule (b): the last allowed change between two non-space characters in [lowest, limit]."""
    start = max(lowest - 1, limit - _SEARCH_WINDOW)  # from the char before the lowest cut
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
        x, y = _category(text[i - 1]), _category(text[i])
        if x and y and rule.pair(text, i, x, y):
            cut = start + offsets[i]
            if lowest <= cut <= limit:
                return cut
    return None


def find_cut(buf: bytes, limit: int, lowest: int = 1, tokenizer: str = "gpt2") -> int | None:
    """The largest safe cut position p with lowest <= p <= limit (buf[:p] | buf[p:]), or None.

    Near `limit` (within 64 KiB) rule (a) is preferred, being common in any prose; then rule (b),
    which covers long runs without spaces (CJK, code, base64); then rule (a) further back.
    None means no exact cut exists in range: the caller keeps reading.
    """
    rule = cut_rule(tokenizer)
    lowest = max(lowest, 1)
    limit = min(limit, len(buf) - 1)
    if limit < lowest:
        return None
    near = _space_cut(buf, limit, max(lowest, limit - _SEARCH_WINDOW), rule)
    if near is not None:
        return near
    by_class = _class_cut(buf, limit, lowest, rule)
    if by_class is not None:
        return by_class
    return _space_cut(buf, limit, lowest, rule)
