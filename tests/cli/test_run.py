"""`fwkit run` as a command: its options, its refusals, and real runs on the no-Docker paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fwkit.cli import app

runner = CliRunner()
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/fwkit-test.sock"}  # a Docker engine that is not there


def fwkit_run(*args: object, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["run", *map(str, args)], env=env)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_help_shows_examples_and_the_tokenize_passthrough() -> None:
    code, out = fwkit_run("--help")
    assert code == 0
    assert "fwkit run --mem 16G train.txt --out shards" in out and "--runtime" in out


def test_mem_is_required(tmp_path: Path) -> None:
    code, out = fwkit_run("--", "a.txt", "--out", tmp_path / "o")
    assert code == 2 and "fwkit run needs --mem" in out


def test_bad_mem_is_one_line(tmp_path: Path) -> None:
    code, out = fwkit_run("--mem", "lots", "--", "a.txt", "--out", tmp_path / "o")
    assert code == 2 and "--mem 'lots' is not a size" in out


def test_out_is_required() -> None:
    code, out = fwkit_run("--mem", "1G", "--", "a.txt")
    assert code == 2 and "needs --out DIR" in out


def test_unknown_tokenize_option_is_named(tmp_path: Path) -> None:
    code, out = fwkit_run("--mem", "1G", "--", "a.txt", "--out", tmp_path / "o", "--colour", "red")
    assert code == 2 and "fwkit tokenize has no option --colour" in out


def test_cap_below_the_smallest_streaming_job_is_refused_with_the_plan(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n\nworld\n")
    code, out = fwkit_run("--mem", "64M", "--runtime", "none", "--", src, "--out", tmp_path / "o")
    assert code == 1
    assert "Plan: streaming" in out and "is below the smallest job with 1 worker(s)" in out
    assert "the plan for a 64.0 MiB cap is `streaming`, not ready" in out and "add --force" in out
    assert not (tmp_path / "o").exists()


def test_cap_larger_than_this_host_can_give_is_lowered_to_what_it_gives(tmp_path: Path) -> None:
    import psutil

    src = tmp_path / "a.txt"
    src.write_text("hello\n\nworld\n")
    too_big = f"{psutil.virtual_memory().total // 1024**3 * 4 + 64}G"  # 4x RAM + 64 GiB: never available
    code, out = fwkit_run("--mem", too_big, "--runtime", "none", src, "--out", tmp_path / "o", "--quiet")
    assert code == 0, out
    assert f"--mem {too_big} is more than this host can give: capping at " in out
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["complete"] is True


def test_workers_more_than_this_host_can_give_are_refused_with_the_plan(tmp_path: Path) -> None:
    import psutil

    src = tmp_path / "a.txt"
    src.write_text("hello\n\nworld\n")
    workers = (psutil.virtual_memory().total + psutil.swap_memory().total) // (100 * 1024**2)  # > 100 MiB each
    code, out = fwkit_run("--mem", "64G", "--runtime", "none", src, "--out", tmp_path / "o", "--workers", workers)
    assert code == 1
    assert "more than this host can give" in out and f"--workers {workers} is more than the" in out
    assert "is `swap`" in out or "is `cloud`" in out
    assert not (tmp_path / "o").exists()


def test_docker_runtime_without_an_engine_says_how_to_start_it(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("hello\n")
    code, out = fwkit_run("--mem", "1G", "--runtime", "docker", "--", src, "--out", tmp_path / "o", env=NO_ENGINE)
    assert code == 2
    assert "the Docker engine is not reachable" in out and "--runtime cgroup" in out


def test_runtime_none_runs_the_real_tokenizer_and_warns_that_nothing_caps_it(corpus_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "shards"
    code, text = fwkit_run("--mem", "1G", "--runtime", "none", "--", corpus_file, "--out", out, "--quiet")
    assert code == 0, text
    assert "nothing enforces the 1G cap" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is True and manifest["tokens"] > 100_000
    assert "done (none): " in text and "peak unknown of the 1.0 GiB cap" in text


def test_tokenize_options_pass_through_without_a_double_dash(corpus_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "shards"
    code, text = fwkit_run(
        "--mem", "1G", "--runtime", "none", corpus_file, "--out", out, "--format", "npy", "--shard-tokens", "50K",
        "--backend", "tiktoken", "--quiet",
    )  # fmt: skip
    assert code == 0, text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "npy" and manifest["settings"]["shard_tokens"] == 50_000
    assert [b["name"] for b in manifest["backends"]] == ["tiktoken"]  # not `auto`'s gigatoken: passed through
    assert len(manifest["shards"]) > 2


@pytest.mark.root
def test_auto_without_docker_falls_back_to_a_cgroup_and_says_so(corpus_file: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs as root: the cgroup runtime must be tested")
        pytest.skip("needs root to create a memory cgroup")
    out = tmp_path / "shards"
    code, text = fwkit_run("--mem", "1G", "--", corpus_file, "--out", out, "--quiet", env=NO_ENGINE)
    assert code == 0, text
    assert "runtime: cgroup (auto: no Docker engine; capping with a cgroup v" in text
    assert "done (cgroup): " in text


def test_the_commands_in_docs_run_md_parse_as_written(tmp_path: Path) -> None:
    """docs/run.md shows `fwkit run` without `--` (none is needed): each of its commands parses."""
    import shlex

    docs = (Path(__file__).resolve().parents[2] / "docs" / "run.md").read_text()
    commands = [line.removeprefix("$ ") for line in docs.splitlines() if line.startswith("$ fwkit run ")]
    assert commands and "Put `--` before the inputs" not in docs
    for command in commands:
        argv = shlex.split(command)[2:]
        assert "--" not in argv, command
        code, out = fwkit_run(*argv, "--runtime", "none")  # the inputs do not exist here
        assert code == 2 and "no such file" in out.lower() and "No such option" not in out, (command, out)
