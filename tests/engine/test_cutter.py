"""Cut positions never change the tokens: encode(a) + encode(b) == encode(a + b) at every cut.

For each tokenizer, against tiktoken's own encoding: property-based (hypothesis) on adversarial
text, then on real English and Chinese prose.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fwkit.engine.cutter import find_cut
from fwkit.errors import FwkitError
from readers import tiktoken_encoding

TOKENIZERS = ["gpt2", "cl100k_base", "o200k_base"]

# Pieces that stress the pre-tokenizers: space runs, newlines and \r, contractions (any case:
# cl100k and o200k match them case-insensitively, o200k as a word's suffix), digits (grouped in
# threes), CJK without spaces, emoji, combining marks (o200k's word classes), letters of every
# case (Lu, Ll, Lt "ǅ", Lm "ʰ", Lo "中" "ª"), "/" (o200k's punctuation takes it after newlines),
# non-ASCII spaces, separators Python calls whitespace but the regex does not (\x1c).
ATOMS = [
    " ", "  ", "\n", "\n\n", "\t", "\r\n", "\r", "\u3000", "\xa0", "\u2028", "\x1c", "'", "'s", "'S", "'ll", "'LL",
    "'lL", "'ve", "'Re", "'t", "'M", "'d", "'ſ", "’", "a", "Z", "s", "l", "L", "the", "The", "THE", "don", "Don",
    "camel", "Case", "ǅ", "ǆ", "ʰ", "ª", "1", "2024", "12345", "½", "٣", "Ⅻ", "中", "文字", "，", "。", "😀", "👍🏽",
    "!", "...", "-", "_", "/", "//", ".\n", "e\u0301", "\u0301", "\u20dd", "é", "ß", "Ω", "<|endoftext|>", "$",
    "\\", "{", "}", "#", "​",
]  # fmt: skip

adversarial = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40).map("".join)


def assert_cut_exact(data: bytes, cut: int, tokenizer: str) -> None:
    enc = tiktoken_encoding(tokenizer)
    whole = enc.encode_ordinary(data.decode("utf-8"))
    parts = enc.encode_ordinary(data[:cut].decode("utf-8")) + enc.encode_ordinary(data[cut:].decode("utf-8"))
    assert parts == whole, f"{tokenizer}: cut at {cut} changes tokens: {data[:cut]!r} | {data[cut:]!r}"


def every_cut_is_exact(text: str, tokenizer: str) -> None:
    data = text.encode("utf-8")
    for limit in range(1, len(data)):
        cut = find_cut(data, limit, tokenizer=tokenizer)
        if cut is not None:
            assert 1 <= cut <= limit
            assert_cut_exact(data, cut, tokenizer)


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
@settings(max_examples=1500, deadline=None)
@given(text=adversarial)
@example(text="x\u3000  y")  # a cut after a non-ASCII space would split the space run's token
@example(text="a\xa0\n\n b")
@example(text="don't 'll'")
@example(text="n'lLx")  # o200k: "n'lL" is one piece, a case-insensitive contraction after a word
@example(text=".\n\n!\u0301\nx/\n")  # cl100k/o200k: punctuation (and o200k: a mark) takes the newlines after it
@example(text="1234567")  # digits group in threes from the run's start
def test_every_cut_found_in_adversarial_text_is_exact(tokenizer: str, text: str) -> None:
    every_cut_is_exact(text, tokenizer)


# Each class the patterns tell apart, one char each: hypothesis finds the pairs and triples.
CHARS = " \n\r\t\xa0'sSlLdDmtTvVreaZǅǆʰª中1٣½.,/!_\u0301😀"


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet=CHARS, min_size=2, max_size=12))
def test_every_cut_between_any_chars_is_exact(tokenizer: str, text: str) -> None:
    every_cut_is_exact(text, tokenizer)


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
@settings(max_examples=100, deadline=None)
@given(text=adversarial, seed=st.integers(min_value=0, max_value=2**32))
def test_cut_respects_lowest_bound(tokenizer: str, text: str, seed: int) -> None:
    data = text.encode("utf-8")
    rng = random.Random(seed)
    limit = rng.randrange(1, max(len(data), 2))
    lowest = rng.randrange(1, limit + 1)
    cut = find_cut(data, limit, lowest, tokenizer=tokenizer)
    if cut is not None:
        assert lowest <= cut <= limit


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_cuts_exist_and_are_exact_in_real_english(english_text: str, tokenizer: str) -> None:
    data = english_text.encode("utf-8")[:400_000]
    rng = random.Random(1)
    for _ in range(200):
        start = rng.randrange(0, len(data) - 5000)
        window = data[start : start + 5000]
        window = window[next(i for i in range(4) if window[i] & 0xC0 != 0x80) :]  # begin on a char
        window = window.decode("utf-8", errors="ignore").encode("utf-8")
        cut = find_cut(window, len(window) - 10, tokenizer=tokenizer)
        assert cut is not None, "prose always has a space to cut before"
        assert_cut_exact(window, cut, tokenizer)


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_cuts_in_chinese_without_spaces_use_class_changes(chinese_text: str, tokenizer: str) -> None:
    # Keep only CJK and punctuation: no spaces, so only rule (b) can cut.
    dense = "".join(ch for ch in chinese_text[:200_000] if not ch.isspace() and ord(ch) > 0x2000)
    rng = random.Random(2)
    found = 0
    for _ in range(100):
        start = rng.randrange(0, len(dense) - 3000)
        window = dense[start : start + 3000].encode("utf-8")
        cut = find_cut(window, len(window) - 1, tokenizer=tokenizer)
        if cut is not None:
            found += 1
            assert_cut_exact(window, cut, tokenizer)
    assert found > 50, f"only {found} of 100 CJK windows had an exact cut"


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_every_cut_in_real_text_is_exact(english_text: str, chinese_text: str, tokenizer: str) -> None:
    """Every position the rules allow in 6,000 chars of each language, not only the last one."""
    for text in (english_text[200_000:206_000], chinese_text[50_000:56_000]):
        data = text.encode("utf-8")
        limit, cuts = len(data) - 1, 0
        while (cut := find_cut(data, limit, tokenizer=tokenizer)) is not None:
            assert_cut_exact(data, cut, tokenizer)
            limit, cuts = cut - 1, cuts + 1
        assert cuts > 300


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_no_cut_inside_a_run_of_letters_or_digits(tokenizer: str) -> None:
    for data in (b"x" * 5000, b"7" * 5000, "中".encode() * 2000):
        assert find_cut(data, len(data) - 1, tokenizer=tokenizer) is None


@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_never_cuts_a_contraction_or_before_a_leading_space(tokenizer: str) -> None:
    assert find_cut(b"it's", 3, tokenizer=tokenizer) in (None, 2)  # "it" | "'s" may be fine, "it'" | "s" is not
    assert find_cut(b"a b", 2, tokenizer=tokenizer) == 1  # before the space, never after it


def test_where_the_rules_differ() -> None:
    assert find_cut(b"x.\ny", 3, tokenizer="gpt2") == 2
    assert find_cut(b"x.\ny", 3, tokenizer="cl100k_base") == 1  # ".\n" is one piece: "x" | ".\n"
    assert find_cut(b"x.\ny", 3, tokenizer="o200k_base") == 1
    assert find_cut(b"x1\ny", 3, tokenizer="o200k_base") == 2  # after a digit a newline starts a piece
    assert find_cut(b"(word", 4, tokenizer="gpt2") == 1
    assert find_cut(b"(word", 4, tokenizer="cl100k_base") is None  # "(word" is one piece
    assert find_cut(b"it's", 3, tokenizer="o200k_base") is None  # "it's" is one piece
    assert find_cut(b"camelCase", 8, tokenizer="o200k_base") == 5  # "camel" | "Case"
    assert find_cut(b"camelCase", 8, tokenizer="cl100k_base") is None


def test_a_tokenizer_without_a_proven_rule_is_refused() -> None:
    with pytest.raises(FwkitError, match="no exact cut is proven for tokenizer 'p50k_base'"):
        find_cut(b"a b", 2, tokenizer="p50k_base")
