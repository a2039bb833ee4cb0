"""`fwkit.estimate` on real text in every input kind: text size, tokens and speed from the sample."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from fwkit.encoding import gpt2
from fwkit.errors import FwkitError
from fwkit.estimate import estimate_inputs


@pytest.fixture(scope="module")
def docs(english_text: str) -> list[str]:
    """~2 MB of real documents (paragraph-sized)."""
    return [d for d in english_text[:2_000_000].split("\n\n") if d.strip()]


def true_tokens(docs: list[str]) -> int:
    return sum(len(t) for t in gpt2().encode_ordinary_batch(docs))


def test_parquet_text_size_from_the_footer(tmp_path, docs):
    path = tmp_path / "part.parquet"
    table = pa.table({"id": list(range(len(docs))), "text": docs})
    pq.write_table(table, path, row_group_size=2000, compression="zstd")
    est = estimate_inputs([path])
    text = sum(len(d.encode()) for d in docs)
    assert est.total_bytes == path.stat().st_size < text  # compressed on disk
    assert text <= est.text_bytes <= text + 4 * len(docs)  # + parquet's 4-byte length per value
    assert abs(est.est_tokens - true_tokens(docs)) / true_tokens(docs) < 0.15


def test_jsonl_zst_counts_whole_lines(tmp_path, docs):
    path = tmp_path / "docs.jsonl.zst"
    lines = "".join(json.dumps({"text": d, "url": f"https://example.com/{i}"}) + "\n" for i, d in enumerate(docs))
    path.write_bytes(zstandard.ZstdCompressor().compress(lines.encode()))
    est = estimate_inputs([path])
    assert abs(est.text_bytes - len(lines.encode())) / len(lines.encode()) < 0.05  # ratio from the first 4 MiB
    assert est.est_tokens >= true_tokens(docs) * 0.9  # JSON syntax counted: an overestimate, never much under
    assert est.est_seconds(2) == pytest.approx(est.est_seconds(1) / 2)


def test_directory_of_inputs(tmp_path, docs):
    (tmp_path / "a.txt").write_text("\n\n".join(docs[: len(docs) // 2]))
    (tmp_path / "b.txt").write_text("\n\n".join(docs[len(docs) // 2 :]))
    est = estimate_inputs([tmp_path])
    assert est.files == 2 and est.total_bytes == est.text_bytes
    assert est.est_output_bytes == 2 * est.est_tokens


def test_wrong_text_column_is_a_one_line_error(tmp_path):
    path = tmp_path / "part.parquet"
    pq.write_table(pa.table({"content": ["hello"]}), path)
    with pytest.raises(FwkitError, match="no column 'text'"):
        estimate_inputs([path])


def test_empty_file_is_zero_tokens(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    est = estimate_inputs([Path(tmp_path / "empty.txt")])
    assert (est.est_tokens, est.est_output_bytes, est.est_seconds(4)) == (0, 0, 0.0)


def _job_tokens(text: str) -> int:
    enc = gpt2()
    return sum(1 + len(enc.encode_ordinary(d)) for d in text.split("\n\n") if d)


def test_a_file_whose_start_is_not_its_middle_is_sampled_from_several_places(
    tmp_path, english_text: str, chinese_text: str
):
    """1 MB of English, then 3 MB of Chinese: the first 512 KiB alone would say ~2x too few tokens."""
    text = english_text[:1_000_000] + "\n\n" + (chinese_text * 3)[:1_000_000]  # ~3 MB of UTF-8 Chinese
    path = tmp_path / "mixed.txt"
    path.write_text(text, encoding="utf-8")
    est = estimate_inputs([path])
    true = _job_tokens(text)
    assert abs(est.est_tokens - true) / true < 0.15, (est.est_tokens, true)
    assert est.sample_bytes < 2 * 512 * 1024  # a sample, not the whole file


def test_the_estimate_counts_each_documents_eot(tmp_path):
    """Many short documents: one EOT each is a large share of the tokens, and must be counted."""
    path = tmp_path / "short.txt"
    path.write_text("\n\n".join(f"line {i} ok" for i in range(20_000)), encoding="utf-8")
    est = estimate_inputs([path])
    true = _job_tokens(path.read_text(encoding="utf-8"))
    assert abs(est.est_tokens - true) / true < 0.02, (est.est_tokens, true)


def test_the_speed_is_measured_once_per_machine_and_cached(tmp_path, monkeypatch, docs):
    from fwkit.speed import CACHE_NAME, machine_key

    monkeypatch.setenv("FWKIT_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "a.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    first = estimate_inputs([path]).tokens_per_second_per_worker
    cached = json.loads((tmp_path / "cache" / CACHE_NAME).read_text())
    assert cached == {machine_key(): first} and first > 1000
    for _ in range(3):  # a busy machine no longer changes the duration from one doctor to the next
        assert estimate_inputs([path]).tokens_per_second_per_worker == first
    (tmp_path / "cache" / CACHE_NAME).write_text(json.dumps({machine_key(): 1234.5}))
    assert estimate_inputs([path]).tokens_per_second_per_worker == 1234.5  # read, not measured
