"""`fwkit tokenize --tokenizer cl100k_base|o200k_base` end to end: uint32 (and Megatron's int32)
shards read back by the trainers' own readers equal tiktoken's tokens of every document, whole,
with 1 and 2 workers and documents cut into many work items; and every refusal is one line."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from crash_helpers import run, start

from cli_run import manifest, runner, tokenize
from fwkit.cli import app
from readers import (
    build_nanogpt_shards,
    llama3_load_data_shard,
    llmc_load_data_shard,
    llmc_shards,
    megatron_sequences,
    reference_tokens,
    split_docs,
    stream_of,
)

DTYPES = {"gpt2": np.uint16, "cl100k_base": np.uint32, "o200k_base": np.uint32}


@pytest.fixture(scope="module")
def docs(english_text: str, chinese_text: str) -> list[str]:
    """Real documents, English and Chinese (about 350 KB), and one of 600 KB without a separator."""
    one = re.sub(r"\n(?=\n)", "\n ", english_text[300_000:900_000].strip())  # no blank line: one document
    return split_docs(english_text[:250_000]) + split_docs(chinese_text[:100_000]) + [one]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory, docs: list[str]) -> Path:
    path = tmp_path_factory.mktemp("in") / "docs.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    return path


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base"])
@pytest.mark.parametrize("fmt", ["npy", "llmc", "megatron"])
def test_trainers_read_the_documents_tokens(tmp_path: Path, text_file: Path, docs, name, fmt, workers) -> None:
    out = tmp_path / "out"
    # With 2 workers, 256 KiB work items (--mem below what 2 workers of either tokenizer need at larger
    # items): the 600 KB document is cut in three, exactly. 1 worker fits 4 MiB items: uncut.
    code, output = tokenize(
        text_file, "--out", out, "--tokenizer", name, "--format", fmt, "--workers", workers,
        "--shard-tokens", "30K", "--val-tokens", "20K", "--mem", "400M",
    )  # fmt: skip
    assert code == 0, output
    m = manifest(out)
    expected = reference_tokens(docs, name)
    assert np.array_equal(stream_of(out, fmt), expected)
    want_dtype = np.int32 if fmt == "megatron" else DTYPES[name]
    assert m["dtype"] == np.dtype(want_dtype).name and m["tokenizer"]["name"] == name
    assert m["eot"] == {"cl100k_base": 100257, "o200k_base": 199999}[name]
    if fmt == "npy":  # build-nanogpt's load_tokens: np.load, then astype(np.int32)
        assert all(np.load(out / s["path"]).dtype == np.uint32 for s in m["shards"])
        loaded = build_nanogpt_shards(out, "val") + build_nanogpt_shards(out, "train")
        assert np.array_equal(np.concatenate(loaded), expected)
    if fmt == "llmc":  # llm.c train_llama3.py's _load_data_shard: magic 20240801, version 7
        assert len(llmc_shards(out, "train")) == len(m["shards"]) - 1
    if fmt == "megatron":  # one sequence per document, each [EOT] + its tokens
        sequences = megatron_sequences(out, "val") + megatron_sequences(out, "train")
        val_tokens = sum(s.size for s in megatron_sequences(out, "val"))
        assert val_tokens == 20_000
        whole = [reference_tokens([d], name) for d in docs]
        starts = np.cumsum([0] + [d.size for d in whole])
        seq_starts = np.cumsum([0] + [s.size for s in sequences])
        # Every document is one sequence, except the one the val/train boundary splits in two.
        split_doc = int(np.searchsorted(starts, 20_000, side="right")) - 1
        for i, doc in enumerate(whole):
            if i != split_doc:
                j = int(np.searchsorted(seq_starts, starts[i]))
                assert np.array_equal(sequences[j], doc)
    verified = runner.invoke(app, ["verify", str(out), "--sample", "5"])
    assert verified.exit_code == 0, verified.output


def test_gpt2_is_unchanged_and_uint16(tmp_path: Path, text_file: Path, docs) -> None:
    code, output = tokenize(text_file, "--out", tmp_path / "o", "--format", "llmc", "--shard-tokens", "50K")
    assert code == 0, output
    m = manifest(tmp_path / "o")
    assert m["dtype"] == "uint16" and m["eot"] == 50256 and m["tokenizer"]["vocab_size"] == 50257
    assert np.array_equal(stream_of(tmp_path / "o", "llmc"), reference_tokens(docs, "gpt2"))


def test_gpt2_megatron_is_uint16(tmp_path: Path, text_file: Path, docs) -> None:
    code, output = tokenize(text_file, "--out", tmp_path / "o", "--format", "megatron", "--val-tokens", "1K")
    assert code == 0, output
    assert manifest(tmp_path / "o")["dtype"] == "uint16"  # Megatron's optimal_dtype: 50,257 < 65,500
    assert np.array_equal(stream_of(tmp_path / "o", "megatron"), reference_tokens(docs, "gpt2"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tokenizer", "o200k_base", "--format", "nanogpt"], "--format nanogpt is uint16 only"),
        (["--format", "nanogpt", "--dtype", "uint32"], "use --format npy"),
        (["--tokenizer", "cl100k_base", "--dtype", "uint16"], "--dtype uint16 cannot hold cl100k_base's 100,277 ids"),
        (["--tokenizer", "cl100k_base", "--format", "megatron", "--dtype", "uint32"], "Megatron reads uint16 or int32"),
        (["--dtype", "int32"], "--format npy writes uint16 or uint32"),
    ],
)
def test_impossible_dtypes_are_refused_in_one_line(tmp_path: Path, text_file: Path, args, message) -> None:
    result = runner.invoke(app, ["tokenize", str(text_file), "--out", str(tmp_path / "o"), *args])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and message in lines[0], result.output
    assert not (tmp_path / "o").exists()


def test_a_mem_too_small_for_one_o200k_worker_is_refused_where_gpt2_runs(tmp_path: Path, text_file: Path) -> None:
    """The budget sizes each worker by its tokenizer: 300M holds a gpt2 worker, not an o200k_base one."""
    code, output = tokenize(text_file, "--out", tmp_path / "gpt2", "--mem", "300M", "--workers", "1")
    assert code == 0, output
    result = runner.invoke(app, ["tokenize", str(text_file), "--out", str(tmp_path / "o"), "--mem", "300M",
                                 "--tokenizer", "o200k_base"])  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert "the smallest job (1 worker, o200k_base) needs about" in lines[0] and "--mem 327M" in lines[0]
    assert not (tmp_path / "o").exists()


def test_train_gpt2_loader_refuses_a_llama3_shard_cleanly(tmp_path: Path, text_file: Path) -> None:
    """The README's claim: a uint32 (20240801 v7) shard is read by train_llama3.py's loader, and GPT-2's
    (train_gpt2.py's, like master's dataloader.h) refuses it by its magic instead of misreading it."""
    code, output = tokenize(text_file, "--out", tmp_path / "o", "--format", "llmc", "--tokenizer", "cl100k_base")
    assert code == 0, output
    shard = next((tmp_path / "o").glob("*_val_*.bin"))
    assert llama3_load_data_shard(shard).dtype == np.uint32
    with pytest.raises(AssertionError, match="magic number mismatch"):
        llmc_load_data_shard(shard)


def test_gpt2_written_as_uint32_on_request(tmp_path: Path, text_file: Path, docs) -> None:
    code, output = tokenize(text_file, "--out", tmp_path / "o", "--format", "llmc", "--dtype", "uint32")
    assert code == 0, output
    assert np.array_equal(stream_of(tmp_path / "o", "llmc"), reference_tokens(docs, "gpt2"))


def test_resume_refuses_another_tokenizer_and_reads_an_old_manifest_as_gpt2(tmp_path: Path, text_file: Path) -> None:
    out = tmp_path / "o"
    code, output = tokenize(text_file, "--out", out)
    assert code == 0, output
    code, output = tokenize(text_file, "--out", out, "--resume", "--tokenizer", "cl100k_base")
    assert code == 2 and "--tokenizer ('gpt2' -> 'cl100k_base')" in output, output
    m = manifest(out)
    for key in ("tokenizer", "eot", "dtype"):  # as fwkit wrote manifests before it recorded them
        del m[key]
    (out / "manifest.json").write_text(json.dumps(m))
    code, output = tokenize(text_file, "--out", out, "--resume")
    assert code == 0, output  # the same tokenizer: nothing changed
    assert runner.invoke(app, ["verify", str(out)]).exit_code == 0


def test_verify_finds_a_damaged_megatron_index(tmp_path: Path, text_file: Path) -> None:
    out = tmp_path / "o"
    code, output = tokenize(
        text_file, "--out", out, "--format", "megatron", "--tokenizer", "cl100k_base", "--val-tokens", "1K"
    )
    assert code == 0, output
    idx = out / "shard_train.idx"
    data = bytearray(idx.read_bytes())
    data[40] ^= 1  # a sequence length
    idx.write_bytes(bytes(data))
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code != 0 and "shard_train.idx does not index shard_train.bin" in result.output, result.output
    idx.unlink()
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code != 0 and "shard_train.idx is missing" in result.output, result.output


@pytest.mark.slow
def test_megatron_killed_mid_run_then_resumed_is_byte_identical(tmp_path: Path, text_file: Path) -> None:
    """kill -9 after tokens were checkpointed (3 times), then --resume: the .bin and .idx files are
    byte for byte those of an uninterrupted run."""
    args = ("--format", "megatron", "--tokenizer", "o200k_base", "--val-tokens", "50K", "--mem", "400M")
    big = tmp_path / "big.txt"
    big.write_bytes(b"\n\n".join([text_file.read_bytes()] * 3))
    reference = tmp_path / "ref"
    assert run(big, reference, *args).returncode == 0
    out, rng = tmp_path / "out", random.Random(13)
    for _ in range(3):
        proc = start(big, out, "--resume", "--workers", "1", *args)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if (out / "manifest.json").exists() and manifest(out)["tokens"] > 0:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.5))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    result = run(big, out, "--resume", "--workers", "2", *args)
    assert result.returncode == 0, result.stderr
    for name in ("shard_val.bin", "shard_val.idx", "shard_train.bin", "shard_train.idx"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), f"{name} differs"
