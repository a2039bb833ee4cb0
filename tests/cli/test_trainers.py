"""The shard layouts trainers trip on are warned about, and the suggested option really fixes them.

Each test runs `fwkit tokenize` for real on the shipped sample (~75K tokens), reads the warning,
reruns with the option the warning names, and reads the shards back as the trainer does
(tests/readers.py): build-nanogpt's split listing, llm.c's header and B*T+1 rule, nanoGPT's memmap.
"""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.trainers import LLMC_MIN_TOKENS, NANOGPT_BLOCK
from readers import build_nanogpt_shards, llmc_shards, nanogpt_split

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-tutorial.txt"


def tokenize(out: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["tokenize", str(SAMPLE), "--out", str(out), "--overwrite", "-q", *args])
    assert result.exit_code == 0, result.output
    return result.output + (result.stderr if result.stderr_bytes else "")


def suggested(output: str, option: str) -> str:
    match = re.search(rf"{option} (\d+)", output.split("warning:", 1)[1])
    assert match, output
    return match.group(1)


def test_a_corpus_under_shard_tokens_warns_and_the_suggestion_gives_a_train_shard(tmp_path: Path) -> None:
    out = tmp_path / "npy"
    text = tokenize(out)  # default --shard-tokens 100M: everything lands in shard 0 (val)
    assert "warning: only a val shard" in text and build_nanogpt_shards(out, "train") == []
    text = tokenize(out, "--shard-tokens", suggested(text, "--shard-tokens"))
    assert "warning" not in text
    assert build_nanogpt_shards(out, "train") and build_nanogpt_shards(out, "val")


def test_a_last_llmc_shard_under_b_t_plus_1_warns_and_the_suggestion_fixes_it(tmp_path: Path) -> None:
    out = tmp_path / "llmc"
    total = sum(s.size for s in [*llmc_shards(_run(out, "--shard-tokens", "1M"), "val")])
    shard = total // 3 - 100  # 3 full shards and a last one of ~300 tokens
    text = tokenize(out, "--format", "llmc", "--shard-tokens", str(shard))
    assert "fewer than llm.c's B*T+1 = 4,097 tokens" in text
    assert llmc_shards(out, "train")[-1].size < LLMC_MIN_TOKENS
    text = tokenize(out, "--format", "llmc", "--shard-tokens", suggested(text, "--shard-tokens"))
    assert "warning" not in text
    sizes = [s.size for s in [*llmc_shards(out, "val"), *llmc_shards(out, "train")]]
    assert len(sizes) == 4 and sum(sizes) == total and min(sizes) >= LLMC_MIN_TOKENS


def test_an_empty_nanogpt_train_bin_warns_and_the_suggestion_fills_it(tmp_path: Path) -> None:
    out = tmp_path / "nanogpt"
    text = tokenize(out, "--format", "nanogpt")  # default --val-tokens 10M: train.bin is empty
    assert "warning: train.bin holds 0 tokens" in text
    text = tokenize(out, "--format", "nanogpt", "--val-tokens", suggested(text, "--val-tokens"))
    assert "warning" not in text and nanogpt_split(out, "train").size > NANOGPT_BLOCK


def _run(out: Path, *args: str) -> Path:
    tokenize(out, "--format", "llmc", *args)
    return out


def test_more_workers_than_cpus_warns(tmp_path: Path) -> None:
    from fwkit.host.cpu import usable_cpus

    cpus = usable_cpus()
    assert "warning: --workers" not in tokenize(tmp_path / "a", "--workers", str(cpus), "--shard-tokens", "20K")
    text = tokenize(tmp_path / "b", "--workers", str(cpus + 1), "--shard-tokens", "20K")
    assert f"warning: --workers {cpus + 1} is more than the {cpus} usable CPU(s)" in text


def test_an_empty_megatron_train_split_warns_and_the_suggestion_fills_it(tmp_path: Path) -> None:
    out = tmp_path / "megatron"
    text = tokenize(out, "--format", "megatron")  # default --val-tokens 10M: the train .bin is empty
    assert "warning: shard_train.bin holds 0 tokens, Megatron's train split is empty" in text
    text = tokenize(out, "--format", "megatron", "--val-tokens", suggested(text, "--val-tokens"))
    assert "warning" not in text and (out / "shard_train.bin").stat().st_size > 0
