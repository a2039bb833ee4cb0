"""Inputs a hostile or unlucky user gives (issue 16): decided before any work, named when wrong,
warned about when odd, and never a crash or a run that cannot finish."""

from __future__ import annotations

import cProfile
import gzip
import json
import os
import pstats
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from crash_helpers import manifest, run

from fwkit.encoding import EOT, gpt2
from fwkit.engine.executor import InProcessExecutor
from fwkit.engine.pipeline import JobRun, run_tokenize
from fwkit.engine.settings import TokenizeSettings
from fwkit.sources import open_source


def fwkit(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fwkit", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def refused(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert lines[-1].startswith("error: ") and "internal error" not in lines[-1] and "Traceback" not in result.stderr
    return lines[-1]


def warnings(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def test_special_files_are_named_for_what_they_are(tmp_path: Path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.txt"
    loop.symlink_to(tmp_path / "loop2.txt")
    (tmp_path / "loop2.txt").symlink_to(loop)
    sock = tmp_path / "s.txt"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(sock))
        assert "a socket, not a regular file" in refused(fwkit("tokenize", sock, "--out", tmp_path / "d", "-q"))
    assert "a FIFO (named pipe), not a regular file" in refused(fwkit("tokenize", fifo, "--out", tmp_path / "a", "-q"))
    for device in ("/dev/null", "/dev/zero"):  # /dev/null once said "no such file"
        line = refused(fwkit("tokenize", device, "--out", tmp_path / "b", "-q"))
        assert line == (
            f"error: {device}: a character device, not a regular file: fwkit reads inputs it can measure and "
            "read again on resume; write it to a file first"
        )
    assert "a symlink loop" in refused(fwkit("tokenize", loop, "--out", tmp_path / "c", "-q"))
    assert not any((tmp_path / name).exists() for name in "abcd"), "an out dir was made for an input refused"


def test_out_dir_inside_the_input_dir_is_skipped(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("one document\n\nanother one\n")
    out = data / "out"
    assert fwkit("tokenize", data, "--out", out, "-q").returncode == 0
    assert [Path(i["path"]).name for i in manifest(out)["inputs"]] == ["a.txt"]
    again = fwkit("tokenize", data, "--out", out, "-q", "--resume")
    assert again.returncode == 0, again.stderr  # its own manifest.json is not an input that changed


def test_a_hugging_face_snapshot_dir_fails_or_skips_before_any_work(tmp_path: Path):
    snap = tmp_path / "snapshot"
    snap.mkdir()
    (snap / "dataset_info.json").write_text(json.dumps({"features": {"text": "string"}}, indent=2))
    pq.write_table(pa.table({"text": ["a document", "another"]}), snap / "train-00000.parquet")
    result = fwkit("tokenize", snap, "--out", tmp_path / "out", "-q")
    assert result.returncode == 0, result.stderr
    assert any("dataset_info.json: skipped" in w for w in warnings(result))
    assert manifest(tmp_path / "out")["documents"] == 2
    alone = refused(fwkit("tokenize", snap / "dataset_info.json", "--out", tmp_path / "o2", "-q"))
    assert "not JSON lines" in alone
    assert not (tmp_path / "o2").exists()


def test_jsonl_lone_surrogates_are_replaced_or_named(tmp_path: Path):
    path = tmp_path / "crawl.jsonl"
    path.write_text('{"text": "fine"}\n{"text": "abc\\ud800def"}\n{"text": "pair \\ud83d\\ude00 ok"}\n')
    out = tmp_path / "out"
    assert fwkit("tokenize", path, "--out", out, "-q").returncode == 0
    assert manifest(out)["replaced_utf8"] == 1
    enc = gpt2()
    expected = [EOT, *enc.encode_ordinary("fine"), EOT, *enc.encode_ordinary("abc\ufffddef")]
    expected += [EOT, *enc.encode_ordinary("pair \U0001f600 ok")]
    assert np.load(out / "shard_val_000000.npy").tolist() == expected
    line = refused(fwkit("tokenize", path, "--out", tmp_path / "strict", "-q", "--errors", "strict"))
    assert f"{path}:2: field 'text' holds a lone surrogate (\\ud800)" in line


@pytest.mark.parametrize("column", [pa.array([1, 2]), pa.array([b"x", b"y"]), pa.array([["a"], ["b"]])])
def test_a_parquet_column_that_is_not_text_is_named(tmp_path: Path, column: pa.Array):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": column}), path)
    line = refused(fwkit("tokenize", path, "--out", tmp_path / "out", "-q"))
    assert f"{path}: column 'text' holds" in line and "not text" in line


def test_empty_duplicate_and_misnamed_inputs_are_warned_about(tmp_path: Path):
    empty, seps, text = tmp_path / "empty.txt", tmp_path / "seps.txt", tmp_path / "a.txt"
    empty.write_text("")
    seps.write_text("\n\n\n\n\n\n")
    text.write_text("a document\n\nanother\n")
    result = fwkit("tokenize", empty, seps, "--out", tmp_path / "o1", "-q")
    assert result.returncode == 0
    assert any("empty.txt: empty file" in w for w in warnings(result))
    assert any("the inputs hold no documents" in w for w in warnings(result))
    result = fwkit("tokenize", text, text, "--out", tmp_path / "o2", "-q")
    assert any("given twice" in w for w in warnings(result))
    packed = tmp_path / "packed.txt"
    packed.write_bytes(gzip.compress(b"hidden text\n\n" * 100))
    result = fwkit("tokenize", packed, "--out", tmp_path / "o3", "-q")
    assert any("holds gzip data but is named as plain text: rename it to packed.txt.gz" in w for w in warnings(result))
    zero_rows = tmp_path / "zero.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), zero_rows)
    result = fwkit("tokenize", zero_rows, "--out", tmp_path / "o4", "-q")
    assert any("the inputs hold no documents" in w for w in warnings(result))


def test_relative_inputs_work_for_verify_and_resume_from_elsewhere(tmp_path: Path, english_text: str):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    (work / "docs.txt").write_text(english_text[:400_000], encoding="utf-8")
    assert fwkit("tokenize", "docs.txt", "--out", "out", "-q", "--shard-tokens", "20K", cwd=work).returncode == 0
    checked = fwkit("verify", work / "out", "--sample", "3", cwd=elsewhere)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 samples re-tokenized" not in checked.stdout and "0 problems" in checked.stdout
    again = ("tokenize", work / "docs.txt", "--out", work / "out", "-q", "--resume", "--shard-tokens", "20K")
    resumed = fwkit(*again, cwd=elsewhere)
    assert resumed.returncode == 0 and "changed" not in resumed.stderr, resumed.stderr


def test_a_document_with_a_million_spaces_is_tokenized_exactly(tmp_path: Path):
    """tiktoken's regex overflows on ~1M whitespace chars (a Rust panic); the run is cut out exactly."""
    path = tmp_path / "so.txt"
    path.write_text("before" + " " * 1_200_000 + "after\n\nnext\n\n" + "\n \t" * 150_000 + "x")
    out = tmp_path / "out"
    result = run(path, out, "--shard-tokens", "100M")
    assert result.returncode == 0, result.stderr
    enc = gpt2()
    expected = [EOT, *enc.encode_ordinary("before"), *enc._encode_single_piece(" " * 1_199_999)]
    expected += [*enc.encode_ordinary(" after"), EOT, *enc.encode_ordinary("next")]
    expected += [EOT, *enc.encode_ordinary("\n \t" * 150_000 + "x")]  # 450K: tiktoken still takes it whole
    assert np.load(out / "shard_val_000000.npy").tolist() == expected


def _calls_to_tokenize(data: Path, out: Path) -> int:
    """Python function calls (generator resumes included) of a whole in-process job on `data`:
    finding the files, planning, tokenizing, writing, the manifest. A count, not a time: it does
    not change with the machine's load."""
    settings = TokenizeSettings(out_dir=out, quiet=True)
    run = JobRun(start_executor=InProcessExecutor, item_bytes=1 << 20)
    profile = cProfile.Profile()
    profile.enable()
    run_tokenize(settings, open_source([data], None, "\n\n", "text", "replace", out_dir=out), run)
    profile.disable()
    return pstats.Stats(profile).total_calls  # type: ignore[attr-defined]


def test_twenty_thousand_small_files_take_linear_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The work per file must not grow with the number of files (a `sum(... inputs[:i])` per file
    made 20,000 files cost 10 s). Twice the files, twice the added calls: 2.0 measured; the
    quadratic list gave 3.2 (4 in the limit)."""
    monkeypatch.setenv("FWKIT_CHECKPOINT_SECONDS", "600")  # no timed checkpoints: the same work each run
    calls = {}
    for count in (10, 500, 1_000, 2_000):  # 10: the first run's one-time work (imports, the ranks)
        data = tmp_path / f"d{count}"
        data.mkdir()
        for i in range(count):
            (data / f"{i:06d}.txt").write_text(f"document number {i}\n")
        calls[count] = _calls_to_tokenize(data, tmp_path / f"o{count}")
        assert manifest(tmp_path / f"o{count}")["documents"] == count
    assert calls[2_000] - calls[1_000] < 2.3 * (calls[1_000] - calls[500]), calls
