"""`fwkit tokenize` end to end: every input kind, every format read back the way its trainer reads
it, exactness across workers and cuts, and every bad input (one line, exit 2, nothing complete)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from cli_run import manifest, tokenize
from fwkit.engine.formats.llmc import LLMC_MAGIC
from readers import reference_tokens, split_docs, stream_of


@pytest.fixture(scope="module")
def docs(english_text: str, chinese_text: str) -> list[str]:
    """Real documents, English and Chinese, a few MB in all."""
    return split_docs(english_text[:1_200_000]) + split_docs(chinese_text[:300_000])


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory, docs: list[str]) -> Path:
    path = tmp_path_factory.mktemp("in") / "docs.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["npy", "llmc", "nanogpt"])
def test_each_format_reads_back_as_its_trainer_reads_it(tmp_path: Path, text_file: Path, docs: list[str], fmt: str):
    out = tmp_path / fmt
    code, output = tokenize(text_file, "--out", out, "--format", fmt, "--shard-tokens", "100K", "--val-tokens", "50K")
    assert code == 0, output
    m = manifest(out)
    expected = reference_tokens(docs)
    assert np.array_equal(stream_of(out, fmt), expected)
    assert m["complete"] is True and m["tokens"] == expected.size and m["documents"] == len(docs)
    if fmt in ("npy", "llmc"):
        assert [s["split"] for s in m["shards"]][:2] == ["val", "train"]
        assert all(s["tokens"] == 100_000 for s in m["shards"][:-1]), "every shard but the last is full"
        assert m["shards"][0]["path"] == f"shard_val_000000.{'npy' if fmt == 'npy' else 'bin'}"
    if fmt == "llmc":
        header = np.fromfile(out / m["shards"][1]["path"], dtype=np.int32, count=256)
        assert (header[0], header[1], header[2]) == (LLMC_MAGIC, 1, 100_000)
    if fmt == "nanogpt":
        assert (out / "val.bin").stat().st_size == 50_000 * 2
        assert [s["path"] for s in m["shards"]] == ["val.bin", "train.bin"]


def test_npy_shards_are_what_np_save_writes(tmp_path: Path, text_file: Path):
    out = tmp_path / "o"
    assert tokenize(text_file, "--out", out, "--shard-tokens", "300K")[0] == 0
    first = out / "shard_val_000000.npy"
    arr = np.load(first)
    np.save(tmp_path / "ref.npy", arr)  # build-nanogpt's write path
    assert first.read_bytes() == (tmp_path / "ref.npy").read_bytes()


def test_workers_and_cuts_do_not_change_the_output(tmp_path: Path, text_file: Path):
    outs = []
    for workers, mem in ((1, "8G"), (2, "8G"), (2, "400M")):  # 400M: 1 MiB blocks, more cuts
        out = tmp_path / f"w{workers}-{mem}"
        assert tokenize(text_file, "--out", out, "--workers", workers, "--mem", mem, "--shard-tokens", "200K")[0] == 0
        outs.append(out)
    shards = [[s["sha256"] for s in manifest(o)["shards"]] for o in outs]
    assert shards[0] == shards[1] == shards[2]


def test_whole_file_as_one_document_is_exact(tmp_path: Path, text_file: Path):
    out = tmp_path / "whole"
    assert tokenize(text_file, "--out", out, "--doc-sep", "none", "--mem", "300M")[0] == 0
    text = text_file.read_text(encoding="utf-8")
    assert np.array_equal(stream_of(out, "npy"), reference_tokens([text]))
    assert manifest(out)["documents"] == 1


def _write_inputs(d: Path, docs: list[str]) -> dict[str, Path]:
    """The same documents as .txt.gz, .txt.zst, .jsonl, .jsonl.zst and parquet (FineWeb columns)."""
    d.mkdir()
    text = "\n\n".join(docs).encode()
    lines = "".join(json.dumps({"text": t, "id": str(i)}) + "\n" for i, t in enumerate(docs)).encode()
    paths = {
        "txt.gz": d / "a.txt.gz",
        "txt.zst": d / "a.txt.zst",
        "jsonl": d / "a.jsonl",
        "jsonl.zst": d / "a.jsonl.zst",
        "parquet": d / "a.parquet",
    }
    paths["txt.gz"].write_bytes(gzip.compress(text))
    paths["txt.zst"].write_bytes(zstandard.ZstdCompressor().compress(text))
    paths["jsonl"].write_bytes(lines)
    paths["jsonl.zst"].write_bytes(zstandard.ZstdCompressor().compress(lines))
    table = pa.table({"text": docs, "id": [str(i) for i in range(len(docs))], "dump": ["CC-MAIN-2024-10"] * len(docs)})
    pq.write_table(table, paths["parquet"], row_group_size=200)
    return paths


@pytest.mark.parametrize("kind", ["txt.gz", "txt.zst", "jsonl", "jsonl.zst", "parquet"])
def test_each_input_kind(tmp_path: Path, docs: list[str], kind: str):
    sample = docs[:1500]
    path = _write_inputs(tmp_path / "in", sample)[kind]
    out = tmp_path / "out"
    code, output = tokenize(path, "--out", out, "--workers", 2)
    assert code == 0, output
    assert np.array_equal(stream_of(out, "npy"), reference_tokens(sample))


def test_directory_inputs_are_read_sorted_by_path(tmp_path: Path, docs: list[str]):
    d = tmp_path / "dir"
    (d / "b").mkdir(parents=True)
    (d / "b" / "2.txt").write_text("\n\n".join(docs[10:20]))
    (d / "a.txt").write_text("\n\n".join(docs[:10]))
    (d / "notes.md").write_text("ignored: not an input kind")
    out = tmp_path / "out"
    assert tokenize(d, "--out", out)[0] == 0
    assert np.array_equal(stream_of(out, "npy"), reference_tokens(docs[:20]))
    assert [Path(i["path"]).name for i in manifest(out)["inputs"]] == ["a.txt", "2.txt"]


def test_endoftext_inside_a_text_is_ordinary_text(tmp_path: Path):
    path = tmp_path / "t.txt"
    path.write_text("before <|endoftext|> after")
    out = tmp_path / "out"
    assert tokenize(path, "--out", out)[0] == 0
    tokens = stream_of(out, "npy")
    assert list(tokens).count(50256) == 1 and tokens[0] == 50256


def test_invalid_utf8_is_replaced_and_counted_or_refused(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good text\n\nbad \xff\xfe bytes\n\nmore")
    out = tmp_path / "out"
    assert tokenize(path, "--out", out)[0] == 0
    assert manifest(out)["replaced_utf8"] == 2
    code, output = tokenize(path, "--out", tmp_path / "strict", "--errors", "strict")
    assert code == 2 and "bad.txt: invalid UTF-8 at byte 15" in output and "--errors replace" in output
    assert manifest(tmp_path / "strict")["complete"] is False
    assert not list((tmp_path / "strict").glob("shard_*"))


def _bad(tmp_path: Path) -> dict[str, tuple[list[object], str]]:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + os.urandom(2000) + b"PAR1")
    nocol = tmp_path / "nocol.parquet"
    pq.write_table(pa.table({"content": ["x"]}), nocol)
    badjson = tmp_path / "bad.jsonl"
    badjson.write_text('{"text": "ok"}\n{"text": "ok"}\n{"text": broken\n')
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    (empty_dir / "readme.md").write_text("no inputs here")
    return {
        "missing": ([tmp_path / "nope.txt"], "nope.txt: no such file or directory"),
        "no inputs": ([empty_dir], "empty: directory holds no"),
        "corrupt parquet": ([corrupt], "corrupt.parquet: not a readable parquet file"),
        "missing column": ([nocol], "nocol.parquet: no column 'text' (it has: content): use --text-column"),
        "invalid json": ([badjson], "bad.jsonl:3: invalid JSON"),
        "unknown kind": ([tmp_path / "corrupt.parquet", tmp_path / "x.csv"], "x.csv"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "no inputs", "corrupt parquet", "missing column", "invalid json", "unknown kind"]
)
def test_bad_input_is_one_line_exit_2_and_nothing_complete(tmp_path: Path, case: str):
    (tmp_path / "x.csv").write_text("a,b")
    args, message = _bad(tmp_path)[case]
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "fwkit", "tokenize", *map(str, args), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    if out.exists() and (out / "manifest.json").exists():
        assert manifest(out)["complete"] is False
    assert not list(out.glob("shard_*")) if out.exists() else True


def test_unreadable_file_is_refused(tmp_path: Path):
    # Root reads anything through CAP_DAC_OVERRIDE: drop it (and DAC_READ_SEARCH) for this run.
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden")
    secret.chmod(0o000)
    result = subprocess.run(
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
         sys.executable, "-m", "fwkit", "tokenize", str(secret), "--out", str(tmp_path / "out"), "-q"],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "secret.txt: permission denied" in result.stderr


def test_an_out_dir_holding_a_run_is_refused_unless_overwrite(tmp_path: Path, text_file: Path):
    out = tmp_path / "out"
    assert tokenize(text_file, "--out", out)[0] == 0
    before = manifest(out)["shards"]
    code, output = tokenize(text_file, "--out", out)
    assert code == 2 and "already holds a complete run" in output and "--overwrite" in output
    assert manifest(out)["shards"] == before
    assert tokenize(text_file, "--out", out, "--overwrite")[0] == 0
    assert manifest(out)["complete"] is True


def test_shard_tokens_accepts_human_counts(tmp_path: Path, text_file: Path):
    for spelled in ("1e5", "100K", "100000"):
        out = tmp_path / spelled
        assert tokenize(text_file, "--out", out, "--shard-tokens", spelled)[0] == 0
        assert manifest(out)["settings"]["shard_tokens"] == 100_000
    code, output = tokenize(text_file, "--out", tmp_path / "x", "--shard-tokens", "lots")
    assert code == 2 and "--shard-tokens 'lots' is not a count" in output
