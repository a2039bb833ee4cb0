"""The splitter + worker, in process: any block size gives exactly the documents' reference tokens.

Tiny blocks force every path: documents cut mid-way (exactly), separators that straddle reads,
self-overlapping separators ("\\n\\n" in "\\n\\n\\n"), whole-file documents, resume cursors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_cutter import ATOMS

from fwkit.engine.encode import TokenizerSpec
from fwkit.engine.items import Cursor
from fwkit.engine.worker import tokenize_item
from fwkit.sources import LocalSource, discover
from fwkit.sources.blocks import _end_of_last_separator, plan_blocks
from readers import reference_tokens, split_docs

texts = st.lists(st.sampled_from([*ATOMS, "\n\n", "\n\n\n", "word ", "more words here. "]), max_size=60).map("".join)


def tokens_via_blocks(
    path: Path, sep: str | None, item_bytes: int, start: Cursor = Cursor(), tokenizer: str = "gpt2"
) -> np.ndarray:
    planned = LocalSource(discover([path]), sep, "text", "strict", tokenizer).plan(item_bytes, start)
    parts = [tokenize_item(p.item, TokenizerSpec(tokenizer)).tokens for p in planned]
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)


@pytest.mark.parametrize("tokenizer", ["gpt2", "cl100k_base", "o200k_base"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, item_bytes=st.integers(min_value=1, max_value=64), sep=st.sampled_from(["\n\n", "\n", "ab", None]))
def test_any_block_size_gives_the_reference_tokens(
    tmp_path: Path, tokenizer: str, text: str, item_bytes: int, sep: str | None
) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("utf-8"))
    expected = reference_tokens(split_docs(text, sep), tokenizer)
    assert np.array_equal(tokens_via_blocks(path, sep, item_bytes, tokenizer=tokenizer), expected)


@pytest.mark.parametrize("tokenizer", ["gpt2", "cl100k_base", "o200k_base"])
def test_real_prose_in_small_blocks_matches_whole_encoding(corpus_file: Path, tokenizer: str) -> None:
    text = corpus_file.read_text(encoding="utf-8")[:600_000]
    path = corpus_file.parent / "slice.txt"
    path.write_text(text, encoding="utf-8")
    expected = reference_tokens(split_docs(text, "\n\n"), tokenizer)
    for item_bytes in (4096, 65536):
        assert np.array_equal(tokens_via_blocks(path, "\n\n", item_bytes, tokenizer=tokenizer), expected)
    # One document for the whole file (--doc-sep none), cut hundreds of times: still exact.
    assert np.array_equal(tokens_via_blocks(path, None, 4096, tokenizer=tokenizer), reference_tokens([text], tokenizer))


@pytest.mark.parametrize("tokenizer", ["gpt2", "cl100k_base", "o200k_base"])
def test_chinese_as_one_document_in_small_blocks_matches_whole_encoding(
    tmp_path: Path, chinese_text: str, tokenizer: str
) -> None:
    """Few spaces: most cuts are class changes (CJK before punctuation, letters and digits)."""
    text = chinese_text[:150_000]
    path = tmp_path / "zh.txt"
    path.write_text(text, encoding="utf-8")
    got = tokens_via_blocks(path, None, 2048, tokenizer=tokenizer)
    assert np.array_equal(got, reference_tokens([text], tokenizer))


@pytest.mark.parametrize("sep", ["\n\n", None])
def test_resuming_from_any_cursor_continues_the_same_stream(corpus_file: Path, sep: str | None) -> None:
    text = corpus_file.read_text(encoding="utf-8")[:200_000]
    path = corpus_file.parent / f"resume-{sep is None}.txt"
    path.write_text(text, encoding="utf-8")
    planned = list(LocalSource(discover([path]), sep, "text", "strict").plan(8192, Cursor()))
    full = np.concatenate([tokenize_item(p.item).tokens for p in planned])
    for k in (1, len(planned) // 2, len(planned) - 1):
        head = np.concatenate([tokenize_item(p.item).tokens for p in planned[:k]])
        tail = tokens_via_blocks(path, sep, 3000, start=planned[k - 1].end)  # another block size
        assert np.array_equal(np.concatenate([head.astype(np.int64), tail]), full.astype(np.int64))


@settings(max_examples=2000, deadline=None)
@given(
    buf=st.lists(st.sampled_from([b"\n", b"\n\n", b"a", b"b", b"ab", b"aba", b" ", b"x"]), max_size=40).map(b"".join),
    sep=st.sampled_from([b"\n\n", b"\n", b"\n\n\n", b"ab", b"aba", b"aa", b"\r\n", b"x"]),
)
def test_last_separator_is_where_a_forward_split_ends(buf: bytes, sep: bytes) -> None:
    """The fast paths (rfind, one-byte runs) agree with `bytes.split`, the rule they stand for."""
    expected = len(buf) - len(buf.split(sep)[-1]) if sep in buf else None
    assert _end_of_last_separator(buf, sep) == expected


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(text="a\n\n\nb", item_bytes=4, window=2, sep="\n\n")  # a window starting inside a newline run
@example(text="xabababyz", item_bytes=7, window=5, sep="aba")  # a window out of step with the scan
@given(
    text=texts,
    item_bytes=st.integers(min_value=1, max_value=64),
    window=st.integers(min_value=1, max_value=16),
    sep=st.sampled_from(["\n\n", "\n", "ab", "aba", None]),
)
def test_cuts_found_in_small_windows_give_the_reference_tokens(
    tmp_path: Path, text: str, item_bytes: int, window: int, sep: str | None
) -> None:
    """Plain files are cut from a window before each block's end; the worker reads the block itself."""
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("utf-8"))
    (f,) = discover([path])
    sep_bytes = sep.encode() if sep is not None else None
    planned = list(plan_blocks(0, f, sep_bytes, item_bytes, "text", "strict", window=window))
    if sep is not None:
        assert all(p.item.data is None for p in planned), "a plain file's bytes went through the splitter"
    parts = [tokenize_item(p.item).tokens for p in planned]
    got = np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
    assert np.array_equal(got, reference_tokens(split_docs(text, sep)))
