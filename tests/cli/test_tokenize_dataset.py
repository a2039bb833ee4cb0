"""`fwkit tokenize --dataset/--preset`: streamed through `datasets` from a FineWeb-like local repo
(the Hub cannot be reached here) and from a flaky local HTTP server; compared with local runs."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from crash_helpers import assert_no_incomplete_final_file, assert_same_output, manifest, run, start
from typer.testing import CliRunner

from fineweb_repo import FILES, documents, make_repo, serve
from fwkit.cli import app
from readers import build_nanogpt_shards, llmc_shards, reference_tokens, stream_of

runner = CliRunner()
SHARD = "20K"


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory, fineweb_repo: Path) -> Path:
    """The same files tokenized as local parquet inputs: what every streamed run must equal."""
    out = tmp_path_factory.mktemp("local") / "out"
    result = runner.invoke(
        app, ["tokenize", str(fineweb_repo / "sample/10BT"), "--out", str(out), "--shard-tokens", SHARD]
    )
    assert result.exit_code == 0, result.output
    return out


def _tokenize(*args: str) -> None:
    result = runner.invoke(app, ["tokenize", *args, "--shard-tokens", SHARD, "-q"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_dataset_equals_local_parquet_run(
    tmp_path: Path, fineweb_repo: Path, local_run: Path, fineweb_docs, workers: str
):
    out = tmp_path / "out"
    _tokenize("--dataset", str(fineweb_repo), "--subset", "sample-10BT", "--out", str(out), "--workers", workers)
    assert_same_output(out, local_run)
    assert np.array_equal(stream_of(out, "npy"), reference_tokens(fineweb_docs))
    checked = runner.invoke(app, ["verify", str(out), "--sample", "4"])  # re-streams 4 row groups
    assert checked.exit_code == 0 and "4 samples re-tokenized, 0 problems" in checked.output, checked.output
    source = manifest(out)["source"]
    assert source["dataset"] == str(fineweb_repo) and source["subset"] == "sample-10BT" and source["split"] == "train"
    assert source["resolved_revision"] is None  # local directory


@pytest.mark.parametrize(
    ("preset", "given", "fmt", "out_dir", "prefix"),
    [
        ("fineweb-edu-10B", None, "npy", "edu_fineweb10B", "edufineweb"),  # build-nanogpt's own format
        ("fineweb-edu-10B", "llmc", "llmc", "edu_fineweb10B", "edu_fineweb"),
        ("fineweb-10B", None, "llmc", "fineweb10B", "fineweb"),  # llm.c's layout: llm.c's format
        ("fineweb-100B", "llmc", "llmc", "fineweb100B", "fineweb"),
        ("modded-fineweb-edu-10B", None, "llmc", "data/finewebedu10B", "finewebedu"),  # modded-nanogpt
    ],
)
def test_presets_give_the_trainers_names_and_format(
    tmp_path: Path, monkeypatch, fineweb_repo: Path, fineweb_docs, preset, given, fmt, out_dir, prefix
):
    monkeypatch.chdir(tmp_path)
    chosen = ["--format", given] if given else []
    _tokenize("--preset", preset, "--dataset", str(fineweb_repo), "--subset", "sample-10BT", *chosen)
    out = tmp_path / out_dir  # the preset's directory, as the trainers expect
    suffix = ".npy" if fmt == "npy" else ".bin"
    names = sorted(p.name for p in out.glob(f"*{suffix}"))
    assert names[0] == f"{prefix}_train_000001{suffix}" and f"{prefix}_val_000000{suffix}" in names
    read = build_nanogpt_shards if fmt == "npy" else llmc_shards  # the trainers' own loading code
    tokens = np.concatenate([*read(out, "val"), *read(out, "train")]).astype(np.int64)
    assert np.array_equal(tokens, reference_tokens(fineweb_docs))
    assert manifest(out)["source"]["subset"] == "sample-10BT" and manifest(out)["format"] == fmt


def test_preset_on_local_files_gives_only_the_names(tmp_path: Path, fineweb_repo: Path, local_run: Path):
    out = tmp_path / "edu"
    _tokenize(str(fineweb_repo / "sample/10BT"), "--preset", "fineweb-edu-10B", "--out", str(out))
    names = sorted(p.name for p in out.glob("*.npy"))
    assert names == [n.replace("shard_", "edufineweb_") for n in sorted(p.name for p in local_run.glob("*.npy"))]
    assert manifest(out)["source"] == {}


def test_preset_fills_in_the_subset(tmp_path: Path):
    result = runner.invoke(app, ["tokenize", "--preset", "fineweb-edu-10B", "--dataset", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "--dataset" in result.output and "sample-10BT" in result.output  # the preset's subset was asked for


def test_transient_http_errors_are_retried_output_identical(
    tmp_path: Path, fineweb_repo: Path, local_run: Path, monkeypatch
):
    monkeypatch.setenv("FWKIT_HUB_RETRY_SECONDS", "0.01")
    with serve(fineweb_repo, flaky="001_00000.parquet", failures=5, mode="drop") as (url, state):
        files = [a for f in range(FILES) for a in ("--data-files", f"{url}/sample/10BT/{f:03d}_00000.parquet")]
        _tokenize("--dataset", "parquet", *files, "--out", str(tmp_path / "out"), "--workers", "2")
    assert state["failed"] == 5
    assert_same_output(tmp_path / "out", local_run)


def test_missing_data_file_is_one_line_exit_2(tmp_path: Path, fineweb_repo: Path):
    with serve(fineweb_repo) as (url, _):
        args = ["--dataset", "parquet", "--data-files", f"{url}/sample/10BT/gone.parquet"]
        result = runner.invoke(app, ["tokenize", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "no such dataset or data files" in result.output and "gone.parquet" in result.output
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.txt", "--dataset", "d", "--out", "o"], "exactly one"),
        (["--out", "o"], "exactly one"),
        (["--preset", "fineweb-1T"], "--preset 'fineweb-1T' is unknown"),
        (["--dataset", "d"], "--out is missing"),
        (["--dataset", "d", "--data-files", "a.parquet", "--out", "o"], "--data-files needs --dataset parquet"),
    ],
)
def test_option_mistakes_are_exit_2(args: list[str], message: str):
    result = runner.invoke(app, ["tokenize", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_kill_9_mid_stream_then_resume_is_byte_identical(tmp_path: Path, english_text: str, chinese_text: str):
    repo = make_repo(tmp_path / "repo", documents(english_text, chinese_text, FILES * 300), rows=300)
    dataset = Path(f"--dataset={repo}")  # crash_helpers passes it where an input would go
    reference = tmp_path / "reference"
    assert run(dataset, reference, "--subset", "sample-10BT").returncode == 0
    out = tmp_path / "out"
    proc = start(dataset, out, "--subset", "sample-10BT", "--workers", "1")
    deadline = time.monotonic() + 60
    while not (out / "manifest.json").exists() or manifest(out)["tokens"] == 0:
        assert proc.poll() is None, f"ended before the kill: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, "no checkpoint with tokens"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = manifest(out)
    assert partial["complete"] is False and partial["checkpoint"]["cursor"]["offset"] > 0
    where = partial["checkpoint"]["continue_from"]  # the data file and row group a resume reads next
    assert where["shard"] == partial["checkpoint"]["cursor"]["offset"]
    assert where["data_files"][0].endswith("_00000.parquet") and where["row_groups"]
    assert_no_incomplete_final_file(out)
    result = run(dataset, out, "--subset", "sample-10BT", "--resume", "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert_same_output(out, reference)


def test_resume_refuses_a_different_resolved_revision(tmp_path: Path, fineweb_repo: Path):
    out = tmp_path / "out"
    args = ["--dataset", str(fineweb_repo), "--subset", "sample-10BT", "--out", str(out), "--shard-tokens", SHARD]
    proc = start(Path(f"--dataset={fineweb_repo}"), out, "--subset", "sample-10BT", "--workers", "1")
    proc.communicate(timeout=120)
    m = manifest(out)
    m["complete"], m["source"]["resolved_revision"] = False, "0" * 40  # as if the Hub had moved on
    m["checkpoint"] = {"cursor": {"input_index": 0, "offset": 1, "in_doc": False, "line": 1}, "writer": {}}
    (out / "manifest.json").write_text(json.dumps(m))
    result = runner.invoke(app, ["tokenize", *args, "--resume"])
    assert result.exit_code == 2, result.output
    assert "the dataset" in result.output


def test_hf_token_is_never_printed_or_written(tmp_path: Path, fineweb_repo: Path, monkeypatch):
    secret = "hf_fwkitTestSecretDoNotLeak"
    monkeypatch.setenv("HF_TOKEN", secret)
    out = tmp_path / "out"
    ok = runner.invoke(app, ["tokenize", "--dataset", str(fineweb_repo), "--subset", "sample-10BT", "--out", str(out)])
    bad = runner.invoke(app, ["tokenize", "--dataset", str(tmp_path / "none"), "--out", str(tmp_path / "o2")])
    assert ok.exit_code == 0 and bad.exit_code == 2
    assert secret not in ok.output + bad.output
    assert secret not in (out / "manifest.json").read_text()
