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
