"""The job's arguments (read from tokenize's own options), its resume command and its outcome line."""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path
from typing import Any

import pytest

from fwkit.errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_OOM, EXIT_SIGINT, FwkitError
from fwkit.runtime.job import JobResult, JobSpec, Oom, conclude, split_tokenize_args


def test_split_keeps_option_values_apart_from_inputs(tokenize_cmd: Any) -> None:
    args = ["a.txt", "--format", "llmc", "dir/", "-o", "out", "--quiet", "--shard-tokens=1M", "--workers", "2"]
    parsed = split_tokenize_args(tokenize_cmd, args)
    assert parsed.inputs == ["a.txt", "dir/"]  # "llmc" and "2" are values, not inputs
    assert parsed.out == "out"
    assert parsed.options == ["--format", "llmc", "--quiet", "--shard-tokens=1M", "--workers", "2"]
    assert parsed.values == {"format": "llmc", "quiet": None, "shard_tokens": "1M", "workers": "2"}
    assert parsed.given("quiet") and not parsed.given("resume")


def test_split_everything_after_double_dash_is_an_input(tokenize_cmd: Any) -> None:
    parsed = split_tokenize_args(tokenize_cmd, ["--out=o", "--", "--weird-name.txt"])
    assert (parsed.inputs, parsed.out, parsed.options) == (["--weird-name.txt"], "o", [])


def test_split_rejects_an_option_tokenize_does_not_have(tokenize_cmd: Any) -> None:
    with pytest.raises(FwkitError, match="fwkit tokenize has no option --nope"):
        split_tokenize_args(tokenize_cmd, ["a.txt", "--nope", "--out", "o"])


def test_split_reports_a_missing_value(tokenize_cmd: Any) -> None:
    with pytest.raises(FwkitError, match="option --format needs a value"):
        split_tokenize_args(tokenize_cmd, ["a.txt", "--out", "o", "--format"])


def test_short_options_are_known_by_their_parameter(tokenize_cmd: Any) -> None:
    parsed = split_tokenize_args(tokenize_cmd, ["-o", "x", "-q", "-f", "llmc", "a.txt"])
    assert (parsed.inputs, parsed.out) == (["a.txt"], "x")
    assert parsed.values == {"quiet": None, "format": "llmc"}


def _spec(out: Path, options: tuple[str, ...] = ()) -> JobSpec:
    return JobSpec(
        inputs=("my data.txt",),
        out=str(out),
        options=options,
        mem_bytes=16 * 1024**3,
        mem_text="16G",
        run_options=("--runtime", "docker"),
    )


def test_tokenize_argv_sizes_the_job_to_the_cap(tmp_path: Path) -> None:
    spec = _spec(tmp_path, ("--format", "llmc"))
    argv = spec.tokenize_argv(["/in/0/my data.txt"], "/out")
    assert argv == ["tokenize", "/in/0/my data.txt", "--out", "/out", "--format", "llmc", "--mem", "17179869184"]


def test_resume_command_is_quoted_and_drops_overwrite(tmp_path: Path) -> None:
    cmd = _spec(tmp_path, ("--overwrite", "--format", "llmc")).resume_command()
    argv = shlex.split(cmd)
    assert argv == [
        "fwkit", "run", "--mem", "16G", "--runtime", "docker", "--",
        "my data.txt", "--out", str(tmp_path), "--format", "llmc", "--resume",
    ]  # fmt: skip


def _write_manifest(out: Path, tokens: int, complete: bool) -> None:
    (out / "manifest.json").write_text(json.dumps({"complete": complete, "tokens": tokens, "documents": 7}))


def test_oom_kill_is_one_line_with_tokens_peak_and_resume(tmp_path: Path) -> None:
    _write_manifest(tmp_path, 1_200_000_000, complete=False)
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(137, Oom.YES, 16 * 1024**3), "docker", 0.0)
    assert err.value.exit_code == EXIT_OOM
    message = err.value.message
    assert "\n" not in message
    assert message.startswith(
        "killed by the OOM killer at the 16.0 GiB cap after 1,200,000,000 tokens (peak 16.0 GiB): "
        "the job needs more than 16.0 GiB; resume with a larger cap: `fwkit run --mem 24G --runtime docker -- "
        "'my data.txt' --out"
    )
    assert message.endswith("--resume` (or the same --mem with fewer --workers)")
    assert "lower --mem" not in message and "or --mem" not in message  # one piece of advice, not two


def test_an_oom_kill_leaves_the_larger_cap_resume_command_for_verify(tmp_path: Path) -> None:
    from fwkit.runrecord import read_record

    (tmp_path / "manifest.json").write_text(json.dumps({"complete": False, "tokens": 9, "started_at": "T1"}))
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(137, Oom.YES, None), "docker", 0.0)
    command = read_record(tmp_path, "T1")
    assert command is not None and command.startswith("fwkit run --mem 24G ") and f"`{command}`" in err.value.message
    assert read_record(tmp_path, "T2") is None  # another run in the same dir: not this one's command
    _write_manifest(tmp_path, 9, complete=True)
    conclude(_spec(tmp_path), JobResult(EXIT_OK, Oom.NO, None), "docker", 0.0)
    assert not (tmp_path / ".fwkit-run.json").exists()


def test_a_worker_killed_without_an_oom_record_is_an_oom_too(tmp_path: Path) -> None:
    """Exit 3 is tokenize's own "a worker was killed by a signal": fwkit run says OOM, once."""
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(EXIT_OOM, Oom.NO, None), "none", 0.0)
    assert err.value.exit_code == EXIT_OOM and "most likely the OOM killer" in err.value.message


def test_sigkill_without_an_oom_record_is_called_likely(tmp_path: Path) -> None:
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(137, Oom.LIKELY, None), "cgroup", 0.0)
    assert err.value.exit_code == EXIT_OOM
    assert (
        "most likely the OOM killer" in err.value.message
        and "no checkpointed tokens (peak unknown)" in err.value.message
    )


def test_oom_counter_wins_over_the_exit_code(tmp_path: Path) -> None:
    """The OOM killer may kill a worker; tokenize then exits with its own code, not 137."""
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(1, Oom.YES, None), "cgroup", 0.0)
    assert err.value.exit_code == EXIT_OOM


def test_stop_bad_input_success_and_other_failures(tmp_path: Path) -> None:
    _write_manifest(tmp_path, 5000, complete=False)
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(EXIT_SIGINT, Oom.NO, None), "docker", 0.0)
    assert err.value.exit_code == EXIT_SIGINT and err.value.message.startswith("stopped after 5,000 tokens; resume")
    assert conclude(_spec(tmp_path), JobResult(EXIT_BAD_INPUT, Oom.NO, None), "docker", 0.0) == (EXIT_BAD_INPUT, "")
    _write_manifest(tmp_path, 5000, complete=True)
    code, line = conclude(_spec(tmp_path), JobResult(EXIT_OK, Oom.NO, 300 * 1024**2), "cgroup", 0.0)
    assert code == EXIT_OK
    assert line == f"done (cgroup): 5,000 tokens, 7 documents in {tmp_path}; peak 300.0 MiB of the 16.0 GiB cap"
    with pytest.raises(FwkitError) as err:  # the complete manifest is an earlier run's
        conclude(_spec(tmp_path), JobResult(1, Oom.NO, None), "docker", time.time() + 60)
    assert err.value.exit_code == 1 and "failed with exit code 1" in err.value.message


def test_a_stop_after_the_job_completed_is_done_not_a_resume(tmp_path: Path) -> None:
    """Ctrl-C while tokenize exits, after its manifest says complete: every shard is durable, so
    `fwkit run` says done (exit 0), not "stopped; resume with ...". A complete manifest older than
    the launch (an earlier run in the same --out) does not count."""
    launched = time.time()
    _write_manifest(tmp_path, 5000, complete=True)
    code, line = conclude(_spec(tmp_path), JobResult(EXIT_SIGINT, Oom.NO, None), "none", launched)
    assert code == EXIT_OK and line.startswith("done (none): 5,000 tokens, 7 documents")
    assert line.endswith("(it ended with exit code 130 after finishing)")
    assert not (tmp_path / ".fwkit-run.json").exists()  # no resume command left for verify
    os.utime(tmp_path / "manifest.json", (launched - 60, launched - 60))
    with pytest.raises(FwkitError) as err:
        conclude(_spec(tmp_path), JobResult(EXIT_SIGINT, Oom.NO, None), "none", launched)
    assert err.value.exit_code == EXIT_SIGINT and err.value.message.startswith("stopped after 5,000 tokens; resume")


def test_auto_never_picks_docker_for_the_ray_engine() -> None:
    """The job image has no Ray: where the Docker engine answers, `fwkit run --engine ray` still
    runs natively (a local Ray under a cgroup cap) instead of refusing."""
    from fwkit.runtime.launch import Runtime, choose

    said: list[str] = []
    assert choose(Runtime.auto, said.append) is Runtime.docker, said  # this host's engine answers
    picked = choose(Runtime.auto, said.append, ray=True)
    assert picked is not Runtime.docker
    assert said[-1].startswith(f"runtime: {picked.value} (auto: --engine ray, and the job image has no Ray"), said
