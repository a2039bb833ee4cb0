"""A fast backend's two cheaper paths stay exact: a plain text item's raw bytes split and encoded by
the backend itself equal the documents fwkit splits in Python, encoded by tiktoken; a whitespace run
tiktoken cannot take whole gives tiktoken's own cut tokens. And the cross-check holds tiktoken only
for the item it checks, re-runs the start check in each worker process, and refuses a worker whose
backend is not the one the job was checked with.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest

from fwkit import backends
from fwkit.backends import gigatoken_backend as giga
from fwkit.backends.check import CrossCheck
from fwkit.engine.encode import TokenizerSpec, encode_documents, encode_text_bytes
from fwkit.engine.items import ReadStats
from fwkit.errors import FwkitError
from fwkit.sources.text import TextBlock, _valid_utf8

TIKTOKEN = TokenizerSpec("gpt2", backend="tiktoken", out_dtype="uint16")
GIGATOKEN = TokenizerSpec("gpt2", backend="gigatoken", out_dtype="uint16")


def block(tmp_path: Path, data: bytes, sep: bytes | None, continues: bool) -> TextBlock:
    path = tmp_path / "in.txt"
    path.write_bytes(data)
    return TextBlock(str(path), "text", None, len(data), sep, continues, 1, "text", "replace", 0)


@pytest.mark.parametrize("continues", [False, True])
@pytest.mark.parametrize(
    ("data", "sep"),
    [
        (b"one\n\ntwo\n\n\nthree\n\n\n\nfour", b"\n\n"),  # a separator run overlaps itself: "\ntwo"-style pieces
        (b"\n\nleading and trailing\n\n", b"\n\n"),  # empty pieces are not documents
        (b"crlf\r\n\r\nkept as it is\r\n", b"\n\n"),
        ("caf\u00e9 \u00a7\u00a7 \u4e2d\u6587 \u00a7\u00a7\u00a7 emoji \U0001f600".encode(), "\u00a7\u00a7".encode()),
        (b"a<|endoftext|>b<|endoftext|><|endoftext|>c", b"<|endoftext|>"),
        (b"the whole input is one document\n\nwith --doc-sep none", None),
        (b"", b"\n\n"),
    ],
)
def test_a_text_items_bytes_encoded_by_gigatoken_equal_its_documents_encoded_by_tiktoken(
    tmp_path: Path, data: bytes, sep: bytes | None, continues: bool
):
    item = block(tmp_path, data, sep, continues)
    stats = ReadStats()
    raw = item.text_bytes(stats)
    assert raw is not None and stats.input_bytes == len(data)
    got, got_docs = encode_text_bytes(raw, GIGATOKEN)
    expected, expected_docs = encode_documents(item.documents(ReadStats()), TIKTOKEN)
    assert got_docs == expected_docs
    assert got.dtype == np.uint16 and np.array_equal(got, expected)


def test_real_text_items_through_the_bytes_path_equal_tiktoken(tmp_path: Path, english_text: str, chinese_text: str):
    data = (english_text[:600_000] + "\n\n" + chinese_text[:200_000]).encode()
    item = block(tmp_path, data, b"\n\n", True)
    raw = item.text_bytes(ReadStats())
    assert raw is not None
    got, docs = encode_text_bytes(raw, GIGATOKEN)
    assert (got, docs)[1] > 100
    assert np.array_equal(got, encode_documents(item.documents(ReadStats()), TIKTOKEN)[0])


def test_invalid_utf8_is_left_to_the_string_path_which_replaces_and_counts_it(tmp_path: Path):
    item = block(tmp_path, b"fine\n\ncaf\xe9\n\nmore", b"\n\n", False)
    stats = ReadStats()
    assert item.text_bytes(stats) is None and stats.input_bytes == 0
    documents = list(item.documents(stats))
    assert [t for t, _ in documents] == ["fine", "caf\ufffd", "more"] and stats.replaced == 1


def test_the_utf8_check_sees_a_bad_byte_anywhere_also_across_its_chunks():
    good = ("x" * 10 + "é中😀") * 20
    data = good.encode()
    assert all(_valid_utf8(data, step) for step in (1, 2, 3, 7, 64, 1 << 16))
    for bad in (data + b"\xff", data[:-1], b"\xe4" + data, data[:11] + b"\x80" + data[11:], b"a\xed\xa0\x80b"):
        assert not any(_valid_utf8(bad, step) for step in (1, 2, 3, 7, 64, 1 << 16)), bad[:20]
    edge = b"a" * ((1 << 16) - 2)  # a 3-byte character straddling the first 64 KiB chunk's end
    assert _valid_utf8(edge + "中".encode() + b"x" * 100)
    assert not _valid_utf8(edge + b"\xe4\xb8" + b"x" * 100)  # left open, and the next chunk is ASCII


@pytest.mark.parametrize("path", ["strings", "bytes"])
def test_gigatoken_encodes_a_million_spaces_as_tiktoken_with_its_cut(path: str):
    text = "hello" + " " * 1_200_000 + "world"
    expected = backends.load("tiktoken", "gpt2").encode_batch([text])  # tiktoken alone overflows its regex here
    backend = giga.GigatokenBackend("gpt2")
    got = backend.encode_batch([text]) if path == "strings" else backend.encode_bytes(text.encode(), b"\n\n")
    assert np.array_equal(got[1], expected[1]) and np.array_equal(got[0], expected[0])


def test_a_checked_item_holds_tiktoken_only_while_it_runs_and_starts_the_backend_afresh():
    backend = giga.GigatokenBackend("gpt2")
    backend.encode_batch(["warm the cache"])
    warm = backend._tokenizer
    check = CrossCheck()
    with check.item(backend, "gpt2", lambda: "item 1") as checker:
        assert checker is not None and backend._tokenizer is not warm  # its cache dropped before tiktoken loads
        encoding = weakref.ref(checker.reference._encoding)  # type: ignore[union-attr]
        texts = ["checked text", "and more"]
        checker.compare(texts, backend.encode_batch(texts))
    gc.collect()
    assert encoding() is None, "the reference tiktoken outlived its item"
    with check.item(backend, "gpt2", lambda: "item 2") as checker:
        assert checker is None  # the second item is not checked (one in CHECK_EVERY)


def test_each_worker_process_runs_the_start_check_with_its_first_item():
    class WrongOnTheSample(giga.GigatokenBackend):  # DELIBERATELY WRONG: <|endoftext|> made a special token
        def _from_ranks(self, path: str) -> object:
            return self._rs.BPETokenizer.from_tiktoken(path, "gpt2", {"<|endoftext|>": 50256})

    wrong = WrongOnTheSample("gpt2")
    with pytest.raises(FwkitError) as err, CrossCheck().item(wrong, "gpt2", lambda: "x.txt bytes 0-9"):
        pass  # refused before any text of the item is compared
    message = err.value.message
    assert message.startswith("x.txt bytes 0-9: --backend gigatoken") and "adversarial sample" in message
    assert message.endswith("rerun with --backend tiktoken --resume")


def test_a_worker_whose_backend_version_differs_from_the_checked_one_stops_the_job():
    spec = TokenizerSpec("gpt2", backend="gigatoken", out_dtype="uint16", backend_version="0.0.1")
    with pytest.raises(FwkitError) as err:
        encode_documents(iter([("text", True)]), spec, lambda: "x.parquet row group 3")
    message = err.value.message
    assert message.startswith("x.parquet row group 3: ") and "the job was checked with 0.0.1" in message
    assert message.endswith("rerun with --backend tiktoken --resume")
