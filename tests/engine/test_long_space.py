"""Whitespace runs tiktoken's regex cannot take (issue 16): cut out exactly, tokens as if whole.

`encode_text` with a small `long_run` goes through the cut path on texts tiktoken itself can still
encode whole, so every case here is compared with tiktoken's own answer.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fwkit.backends.tiktoken_backend import encode_text
from fwkit.encoding import gpt2

SPACES = [" ", "\n", "\t", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u2003", "\u3000", "\u2028"]
NEIGHBOURS = ["x", "word", "'s", "'", "42", "7", "!", "...", "中文", "é", "\x1c", "\x1f", "🙂", " a", "\u0301"]


def _cut(text: str, long_run: int) -> np.ndarray:
    parts = encode_text(gpt2(), text, long_run)
    return np.concatenate(parts) if parts else np.empty(0, np.uint32)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(NEIGHBOURS), st.lists(st.sampled_from(SPACES), min_size=0, max_size=40)),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.booleans(),
)
def test_runs_cut_out_give_tiktokens_own_tokens(chunks, lead, trail):
    text = ("  \n " if lead else "") + "".join(word + "".join(ws) for word, ws in chunks) + ("\n \n" if trail else "")
    assert np.array_equal(_cut(text, 3), gpt2().encode_ordinary(text))


@pytest.mark.parametrize("seed", range(5))
def test_long_real_runs_match_tiktoken_where_it_still_works(seed: int):
    rng = random.Random(seed)
    text = "".join(
        rng.choice(NEIGHBOURS) + "".join(rng.choice(SPACES) for _ in range(rng.randrange(1, 300_000))) for _ in range(3)
    )
    assert np.array_equal(_cut(text, 100_000), gpt2().encode_ordinary(text))


def test_a_run_tiktoken_cannot_take_is_encoded():
    text = "hello" + " " * 1_200_000 + "world"
    tokens = _cut(text, 100_000)
    enc = gpt2()
    expected = [
        *enc.encode_ordinary("hello"),
        *enc._encode_single_piece(" " * 1_199_999),
        *enc.encode_ordinary(" world"),
    ]
    assert tokens.tolist() == expected
