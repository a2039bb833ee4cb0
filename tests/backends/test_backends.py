"""Every backend encodes exactly like tiktoken's `encode_ordinary`, on real prose (whole documents and
documents cut where the cutter cuts), on the adversarial sample, and on the corners it names
(lone surrogates, `<|endoftext|>` as text); the checks that guard a fast backend really refuse one
that differs, and `auto` falls back to tiktoken.

gigatoken is a real dependency of these tests (`scripts/setup_dev.sh` installs `.[fast]`): missing,
they fail rather than skip.
"""

from __future__ import annotations

import numpy as np
import pytest

from fwkit import backends
from fwkit.backends import Unavailable
from fwkit.backends import gigatoken_backend as giga
from fwkit.backends.check import CHECK_EVERY, Checker, CrossCheck, choose, start_check
from fwkit.backends.sample import adversarial_sample
from fwkit.encoding import TOKENIZERS, encoding
from fwkit.engine.budget import size_job
from fwkit.engine.cutter import find_cut
from fwkit.engine.encode import TokenizerSpec, resolve
from fwkit.errors import FwkitError

FAST = list(backends.FAST)


def reference(texts: list[str], tokenizer: str = "gpt2") -> tuple[np.ndarray, np.ndarray]:
    """encode_ordinary itself (lists), the behaviour every backend must match."""
    parts = [encoding(tokenizer).encode_ordinary(t) for t in texts]
    return np.array([i for p in parts for i in p], dtype=np.uint32), backends.offsets_of([len(p) for p in parts])


def assert_same(got: tuple[np.ndarray, np.ndarray], expected: tuple[np.ndarray, np.ndarray]) -> None:
    assert np.array_equal(got[1], expected[1]), "per-text token counts differ"
    assert np.array_equal(got[0], expected[0]), "token ids differ"


def cut_pieces(doc: str, size: int) -> list[str]:
    """`doc` cut every ~`size` bytes exactly where the engine's cutter would cut it."""
    data, pieces = doc.encode("utf-8"), []
    while len(data) > size:
        cut = find_cut(data, size) or len(data)
        pieces.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    return [*pieces, data.decode("utf-8")] if data else pieces


class SpecialTokensGigatoken(giga.GigatokenBackend):
    """DELIBERATELY WRONG: gigatoken loaded with `<|endoftext|>` as a special token, the easy mistake
    that turns the literal text into id 50256 (encode_ordinary keeps it text)."""

    def _from_ranks(self, path: str) -> object:
        return self._rs.BPETokenizer.from_tiktoken(path, "gpt2", {"<|endoftext|>": 50256})


@pytest.fixture(scope="module")
def real_docs(english_text: str, chinese_text: str) -> list[str]:
    return [d for d in (english_text[:3_000_000] + "\n\n" + chinese_text).split("\n\n") if d]


@pytest.mark.parametrize("name", [*FAST, "tiktoken"])
def test_backend_equals_tiktoken_on_real_text_whole_and_cut(name: str, real_docs: list[str]):
    backend = backends.load(name, "gpt2")
    assert_same(backend.encode_batch(real_docs), reference(real_docs))
    for tokenizer in ("cl100k_base", "o200k_base"):  # whole documents: the cut rules are per tokenizer
        assert_same(backends.load(name, tokenizer).encode_batch(real_docs), reference(real_docs, tokenizer))
    whole = "\n\n".join(real_docs)
    pieces = cut_pieces(whole, 64 * 1024)
    assert len(pieces) > 50
    assert_same(backend.encode_batch(pieces), reference(pieces))


@pytest.mark.parametrize("tokenizer", list(TOKENIZERS))
@pytest.mark.parametrize("name", [*FAST, "tiktoken"])
def test_backend_equals_tiktoken_on_the_adversarial_sample_for_every_tokenizer(name: str, tokenizer: str):
    sample = adversarial_sample()
    assert_same(backends.load(name, tokenizer).encode_batch(sample), reference(sample, tokenizer))
    assert start_check(backends.load(name, tokenizer), tokenizer) is None


@pytest.mark.parametrize("name", [*FAST, "tiktoken"])
def test_lone_surrogates_and_special_text_are_encoded_as_encode_ordinary_does(name: str):
    texts = ["ok", "a\ud800b", "\ud83d\ude00 pair", "<|endoftext|>", ""]
    ids, offsets = backends.load(name, "gpt2").encode_batch(texts)
    assert_same((ids, offsets), reference(texts))
    assert 50256 not in ids


def test_the_sample_has_every_corner_the_issue_names():
    text = "".join(adversarial_sample())
    for corner in ("\u180e", "\u3000", "\u2028", "\ud800", "\ufffd", "<|endoftext|>", "\u200d", "\u0301", "中", "'ll"):
        assert corner in text, corner
    assert any(len(t.encode("utf-8", "surrogatepass")) >= 500 and " " not in t for t in adversarial_sample())


def test_a_deliberately_wrong_backend_fails_the_start_check():
    why = start_check(SpecialTokensGigatoken("gpt2"), "gpt2")
    assert why is not None and "<|endoftext|>" in why


def test_explicit_backend_that_fails_its_start_check_is_refused_in_one_line():
    with pytest.raises(FwkitError) as err:
        choose("gigatoken", "gpt2", loader=lambda _n, t: SpecialTokensGigatoken(t))
    assert "refused" in err.value.message and "--backend tiktoken" in err.value.message
    assert "\n" not in err.value.message


def test_auto_picks_the_fast_backend_when_it_passes():
    assert choose("auto", "gpt2").name == FAST[0]
    assert choose("tiktoken", "gpt2").name == "tiktoken"


def test_auto_falls_back_to_tiktoken_when_the_fast_one_fails_its_start_check():
    notes: list[str] = []
    chosen = choose("auto", "gpt2", note=notes.append, loader=lambda _n, t: SpecialTokensGigatoken(t))
    assert chosen.name == "tiktoken"
    assert len(notes) == 1 and "refused" in notes[0]


def test_auto_falls_back_to_tiktoken_when_the_fast_one_is_missing():
    def missing(name: str, _tokenizer: str) -> backends.Backend:
        raise Unavailable(f"{name} is not installed: pip install 'fwkit[fast]'")

    assert choose("auto", "gpt2", loader=missing).name == "tiktoken"
    with pytest.raises(FwkitError, match=r"--backend gigatoken: gigatoken is not installed"):
        choose("gigatoken", "gpt2", loader=missing)


def test_a_tokenizer_the_backend_does_not_support_is_unavailable_not_guessed():
    with pytest.raises(Unavailable, match="no pre-tokenizer for 'p50k_base'"):
        backends.load("gigatoken", "p50k_base")


def test_the_running_cross_check_checks_the_first_item_then_one_in_check_every():
    check = CrossCheck()
    due = [check.due() for _ in range(3 * CHECK_EVERY)]
    assert due[0] and due[CHECK_EVERY] and due[2 * CHECK_EVERY] and sum(due) == 3


def test_the_running_cross_check_stops_on_a_difference_naming_the_item():
    wrong = SpecialTokensGigatoken("gpt2")
    texts = ["fine", "the literal <|endoftext|> is text"]
    checker = Checker(wrong, "gpt2", lambda: "train.txt bytes 0-4194304")
    with pytest.raises(FwkitError) as err:
        checker.compare(texts, wrong.encode_batch(texts), first=10)
    assert err.value.message.startswith("train.txt bytes 0-4194304: --backend gigatoken")
    assert "document 12 " in err.value.message and "--backend tiktoken --resume" in err.value.message
    checker.compare(["fine"], wrong.encode_batch(["fine"]))  # agreeing: no error


def test_gigatoken_drops_its_cache_when_the_process_grows_and_stays_exact(monkeypatch, real_docs: list[str]):
    monkeypatch.setattr(giga, "CACHE_CAP_BYTES", -(1 << 40))  # any size is too big: rebuilt every other batch
    backend = giga.GigatokenBackend("gpt2")
    batches = [real_docs[i : i + 2000] for i in range(0, 8000, 2000)]
    for batch in batches:
        assert_same(backend.encode_batch(batch), reference(batch))
    assert backend.rebuilds >= len(batches) // 2  # the batch after a rebuild takes the new baseline


def test_the_memory_budget_counts_what_a_fast_backend_adds_to_each_worker():
    assert backends.worker_bytes("tiktoken") == 0 < backends.worker_bytes("gigatoken") == backends.worker_bytes("auto")
    budget = 512 << 20
    assert size_job(2, budget).workers == 2
    tight = size_job(2, budget, backend_bytes=backends.worker_bytes("gigatoken"))
    assert tight.peak_bytes <= budget and tight.workers == 1


def test_a_backend_that_crashes_its_start_check_process_is_refused_in_one_line():
    with pytest.raises(FwkitError, match=r"^--backend fakes.crashing_backend crashed on its start check"):
        resolve(TokenizerSpec("gpt2", backend="fakes.crashing_backend"), note=print)
