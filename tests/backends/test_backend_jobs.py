"""`fwkit tokenize --backend`: every backend writes exactly tiktoken's tokens in a real job (whole
documents and documents cut across work items, 1 and 2 worker processes), the manifest says which
backend wrote them, a backend that disagrees with tiktoken mid-run stops the job and `--backend
tiktoken --resume` finishes it, and `auto` runs on tiktoken where the fast backend is missing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_run import manifest, runner, tokenize
from fwkit import backends
from fwkit.cli import app
from fwkit.engine.encode import TokenizerSpec
from fwkit.engine.manifest import spec_of
from fwkit.engine.settings import TokenizeSettings
from fwkit.errors import FwkitError
from fwkit.runner import run_job
from readers import reference_tokens, split_docs, stream_of


@pytest.fixture(scope="module")
def docs(english_text: str, chinese_text: str) -> list[str]:
    return split_docs(english_text[:1_000_000]) + split_docs(chinese_text[:250_000])


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory, docs: list[str]) -> Path:
    path = tmp_path_factory.mktemp("in") / "docs.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    return path


@pytest.mark.parametrize("backend", backends.BACKENDS)
@pytest.mark.parametrize(
    ("workers", "mem", "doc_sep"),
    [(1, "8G", "\\n\\n"), (2, "300M", "\\n\\n"), (2, "300M", "none")],  # 300M: 256 KiB items, documents cut
)
def test_each_backend_writes_tiktokens_tokens(
    tmp_path: Path, text_file: Path, docs: list[str], backend: str, workers: int, mem: str, doc_sep: str
):
    out = tmp_path / "out"
    args = ("--backend", backend, "--workers", workers, "--mem", mem, "--doc-sep", doc_sep, "--format", "nanogpt")
    code, output = tokenize(text_file, "--out", out, *args)
    assert code == 0, output
    expected = reference_tokens(docs if doc_sep != "none" else [text_file.read_text(encoding="utf-8")])
    assert np.array_equal(stream_of(out, "nanogpt"), expected)
    used = manifest(out)["backends"]
    assert [(b["name"], b["from_token"]) for b in used] == [(backend, 0)] and used[0]["version"]
    assert spec_of(manifest(out)).backend == "tiktoken"  # what `verify` re-tokenizes with, whatever wrote it
    if workers == 1:
        result = runner.invoke(app, ["verify", str(out), "--sample", "2"])
        assert result.exit_code == 0, result.output


def test_a_backend_that_disagrees_with_tiktoken_stops_the_job_and_tiktoken_resumes_it(
    tmp_path: Path, text_file: Path, docs: list[str]
):
    out = tmp_path / "out"
    settings = TokenizeSettings(
        out_dir=out, format="nanogpt", workers=2, mem_bytes=300 << 20, quiet=True,
        tokenizer=TokenizerSpec("gpt2", backend="fakes.wrong_backend"),  # DELIBERATELY WRONG on "Python"
    )  # fmt: skip
    with pytest.raises(FwkitError) as err:
        run_job(settings, [text_file], None)
    message = err.value.message
    first = re.match(rf"{re.escape(str(text_file))} bytes (\d+)-", message)
    assert first and int(first.group(1)) < 2 * (256 << 10), message  # each worker's first item is checked
    assert "--backend wrong-on-python" in message and "unlike tiktoken" in message
    assert message.endswith("rerun with --backend tiktoken --resume") and "\n" not in message
    assert manifest(out)["complete"] is False

    code, output = tokenize(text_file, "--out", out, "--format", "nanogpt", "--backend", "tiktoken", "--resume")
    assert code == 0, output
    assert np.array_equal(stream_of(out, "nanogpt"), reference_tokens(docs))
    assert manifest(out)["backends"][-1]["name"] == "tiktoken"


def test_auto_runs_on_tiktoken_where_the_fast_backend_is_missing(tmp_path: Path, text_file: Path, docs: list[str]):
    """A `gigatoken` that cannot be imported first on the path: what a machine without the wheel sees."""
    shadow = tmp_path / "shadow" / "gigatoken"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no gigatoken wheel for this platform')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow.parent), *sys.path])}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "fwkit", "tokenize", str(text_file), "--out", str(out), "--format", "nanogpt"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "--backend auto: not gigatoken (gigatoken is not installed" in done.stderr
    assert [b["name"] for b in manifest(out)["backends"]] == ["tiktoken"]
    assert np.array_equal(stream_of(out, "nanogpt"), reference_tokens(docs))


def test_explicit_backend_that_is_missing_is_refused_in_one_line(tmp_path: Path, text_file: Path):
    shadow = tmp_path / "shadow" / "gigatoken"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no gigatoken wheel for this platform')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow.parent), *sys.path])}
    cmd = [
        sys.executable,
        "-m",
        "fwkit",
        "tokenize",
        str(text_file),
        "--out",
        str(tmp_path / "o"),
        "--backend",
        "gigatoken",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .endswith(
            "--backend gigatoken: gigatoken is not installed: pip install 'fwkit[fast]'; or use --backend tiktoken"
        )
    )
