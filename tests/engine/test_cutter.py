"""Cut positions never change the tokens: encode(a) + encode(b) == encode(a + b) at every cut.

Property-based (hypothesis) on adversarial text, then on real English and Chinese prose.
"""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fwkit.encoding import gpt2
from fwkit.engine.cutter import find_cut

# Pieces that stress GPT-2's pre-tokenizer: space runs, newlines, contractions, digits, CJK without
# spaces, emoji, combining marks, non-ASCII spaces, separators Python calls whitespace but the
# regex does not (\x1c), apostrophes before letters, invalid-in-isolation surrogate-free chars.
ATOMS = [
    " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u3000", "\xa0", "\u2028", "\x1c", "'", "'s", "'ll", "'ve", "'t",
    "a", "Z", "the", "don", "1", "2024", "½", "٣", "中", "文字", "，", "。", "😀", "👍🏽", "!", "...", "-", "_",
    "e\u0301", "é", "ß", "Ω", "<|endoftext|>", "$", "\\", "{", "}", "#", "​",
]  # fmt: skip

adversarial = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40).map("".join)


def assert_cut_exact(data: bytes, cut: int) -> None:
    enc = gpt2()
    whole = enc.encode_ordinary(data.decode("utf-8"))
    parts = enc.encode_ordinary(data[:cut].decode("utf-8")) + enc.encode_ordinary(data[cut:].decode("utf-8"))
    assert parts == whole, f"cut at {cut} changes tokens: {data[:cut]!r} | {data[cut:]!r}"


@settings(max_examples=1500, deadline=None)
@given(adversarial)
@example("x\u3000  y")  # a cut after a non-ASCII space would split the space run's token
@example("a\xa0\n\n b")
@example("don't 'll'")
def test_every_cut_found_in_adversarial_text_is_exact(text: str) -> None:
    data = text.encode("utf-8")
    for limit in range(1, len(data)):
        cut = find_cut(data, limit)
        if cut is not None:
            assert 1 <= cut <= limit
            assert_cut_exact(data, cut)


@settings(max_examples=200, deadline=None)
@given(adversarial, st.integers(min_value=0, max_value=2**32))
def test_cut_respects_lowest_bound(text: str, seed: int) -> None:
    data = text.encode("utf-8")
    rng = random.Random(seed)
    limit = rng.randrange(1, max(len(data), 2))
    lowest = rng.randrange(1, limit + 1)
    cut = find_cut(data, limit, lowest)
    if cut is not None:
        assert lowest <= cut <= limit


def test_cuts_exist_and_are_exact_in_real_english(english_text: str) -> None:
    data = english_text.encode("utf-8")[:400_000]
    rng = random.Random(1)
    for _ in range(200):
        start = rng.randrange(0, len(data) - 5000)
        window = data[start : start + 5000]
        window = window[next(i for i in range(4) if window[i] & 0xC0 != 0x80) :]  # begin on a char
        window = window.decode("utf-8", errors="ignore").encode("utf-8")
        cut = find_cut(window, len(window) - 10)
        assert cut is not None, "prose always has a space to cut before"
        assert_cut_exact(window, cut)


def test_cuts_in_chinese_without_spaces_use_class_changes(chinese_text: str) -> None:
    # Keep only CJK and punctuation: no spaces, so only rule (b) can cut.
    dense = "".join(ch for ch in chinese_text[:200_000] if not ch.isspace() and ord(ch) > 0x2000)
    data = dense.encode("utf-8")
    rng = random.Random(2)
    found = 0
    for _ in range(100):
        start = rng.randrange(0, len(dense) - 3000)
        window = dense[start : start + 3000].encode("utf-8")
        cut = find_cut(window, len(window) - 1)
        if cut is not None:
            found += 1
            assert_cut_exact(window, cut)
    assert found > 50, f"only {found} of 100 CJK windows had an exact cut"
    assert data  # the corpus really held CJK


def test_no_cut_inside_a_run_of_letters() -> None:
    data = ("x" * 5000).encode()
    assert find_cut(data, len(data) - 1) is None


def test_never_cuts_a_contraction_or_before_a_leading_space() -> None:
    data = b"it's"
    assert find_cut(data, 3) in (None, 2)  # "it" | "'s" is fine, "it'" | "s" is not
    assert find_cut(b"a b", 2) == 1  # before the space, never after it
