"""fwkit's shipped tokenizers give exactly tiktoken's own encodings' ids, and check their rank files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fwkit.encoding
from fwkit.encoding import TOKENIZERS, encoding, ranks_bytes, tokenizer
from fwkit.errors import FwkitError
from readers import tiktoken_encoding

NAMES = list(TOKENIZERS)
HELLO = {"gpt2": [15496, 995], "cl100k_base": [9906, 1917], "o200k_base": [13225, 2375]}
EOTS = {"gpt2": 50256, "cl100k_base": 100257, "o200k_base": 199999}


@pytest.mark.parametrize("name", NAMES)
def test_facts_match_tiktoken(name: str) -> None:
    ours, theirs = encoding(name), tiktoken_encoding(name)
    spec = tokenizer(name)
    assert ours._pat_str == theirs._pat_str or name == "gpt2"  # gpt2: the same split, not possessive
    assert ours._special_tokens == theirs._special_tokens
    assert ours._mergeable_ranks == theirs._mergeable_ranks
    assert spec.n_vocab == ours.n_vocab == theirs.n_vocab
    assert spec.eot == ours.eot_token == theirs.eot_token == EOTS[name]
    assert spec.dtype == (np.uint16 if name == "gpt2" else np.uint32)
    assert ours.encode_ordinary("Hello world") == HELLO[name]
    assert encoding(name) is ours  # built once per process


@pytest.mark.parametrize("name", NAMES)
def test_real_text_encodes_as_tiktoken_does(name: str, english_text: str, chinese_text: str) -> None:
    ours, theirs = encoding(name), tiktoken_encoding(name)
    for text in (english_text[:300_000], chinese_text[:150_000]):
        assert ours.encode_ordinary(text) == theirs.encode_ordinary(text)


# Every class the patterns tell apart: spaces and newlines, digits, letters of each case (Lt: ǅ,
# Lm: ʰ, Lo: 中 ª), marks, apostrophes and contractions, punctuation, emoji, the special token's text.
ALPHABET = " \t\n\r\xa0\u3000aZsStTlLǅʰª中文\u0301\u20dd0179٣½'’.,/-_😀👍🏽<|endoftext|>"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_adversarial_text_encodes_as_tiktoken_does(text: str) -> None:
    for name in NAMES:
        assert encoding(name).encode_ordinary(text) == tiktoken_encoding(name).encode_ordinary(text), name


def test_unknown_tokenizer_is_a_one_line_error() -> None:
    with pytest.raises(FwkitError, match="unknown tokenizer 'llama3': use one of gpt2, cl100k_base, o200k_base"):
        tokenizer("llama3")


def test_damaged_rank_file_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "fwkit"
    shutil.copytree(Path(fwkit.encoding.__file__).parent / "data", package / "data")
    ranks = package / "data" / "cl100k_base.tiktoken"
    ranks.write_bytes(ranks.read_bytes()[:-10])
    monkeypatch.setattr(fwkit.encoding.resources, "files", lambda _: package)
    with pytest.raises(RuntimeError, match=r"fwkit/data/cl100k_base.tiktoken is damaged"):
        ranks_bytes("cl100k_base")
    assert ranks_bytes("o200k_base")  # the others are still fine
