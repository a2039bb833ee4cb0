"""`fwkit doctor` on this host: every documented JSON key, exit codes, the estimate, the report.

The real-cgroup checks (a doctor child under a 3 GiB / 256 MiB cap) are in tests/host/test_real_cgroup.py.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.errors import EXIT_ACTION_NEEDED, EXIT_BAD_INPUT, EXIT_OK

DOCS = Path(__file__).resolve().parents[2] / "docs" / "doctor.md"
REQUIRED = [
    "memory.total_bytes", "memory.available_bytes", "memory.limit_bytes", "swap.total_bytes", "swap.free_bytes",
    "cpu.count", "disk.free_bytes", "docker.available", "terraform.version", "plan.mode", "plan.workers",
    "plan.need_bytes", "plan.reasons", "plan.commands",
]  # fmt: skip
runner = CliRunner()


def doctor(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["doctor", *args])
    return result.exit_code, result.output


def doctor_json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out = doctor("--json", *args)
    return code, json.loads(out)


def flat_keys(value: Any, prefix: str = "") -> list[str]:
    """{"a": {"b": 1}, "c": [{"d": 2}]} -> ["a.b", "c", "c[].d"]: the leaves, and lists of objects."""
    if isinstance(value, dict):
        keys: list[str] = []
        for name, sub in value.items():
            keys += flat_keys(sub, f"{prefix}.{name}" if prefix else name)
        return keys
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [prefix, *flat_keys(value[0], f"{prefix}[]")]
    return [prefix]


@pytest.fixture(scope="module")
def english_file(tmp_path_factory: pytest.TempPathFactory, english_text: str) -> Path:
    path = tmp_path_factory.mktemp("doctor") / "english.txt"
    path.write_text(english_text[:3_000_000], encoding="utf-8")
    return path


def test_json_holds_every_documented_key(english_file):
    code, doc = doctor_json(str(english_file), "--mem", "1G")
    documented = set(re.findall(r"^\| `([a-z_.\[\]]+)` \|", DOCS.read_text(), re.MULTILINE))
    keys = set(flat_keys(doc))
    assert not keys - documented, f"undocumented keys in docs/doctor.md: {sorted(keys - documented)}"
    assert set(REQUIRED) <= keys
    assert code == EXIT_OK
    assert doc["memory"]["total_bytes"] >= doc["memory"]["available_bytes"] > 0
    assert doc["cpu"]["count"] >= 1 and doc["disk"]["free_bytes"] > 0
    assert doc["plan"]["mode"] == "streaming" and doc["plan"]["commands"]


def test_without_inputs_is_fast_and_inputs_null():
    start = time.monotonic()
    code, doc = doctor_json()
    assert time.monotonic() - start < 3.0
    assert doc["inputs"] is None and doc["problems"] == []
    assert code in (EXIT_OK, EXIT_ACTION_NEEDED)  # depends on the host; this host: streaming


def test_small_mem_streams_and_exits_0():
    code, doc = doctor_json("--mem", "1G", "--workers", "1")
    assert (code, doc["plan"]["mode"], doc["plan"]["workers"]) == (EXIT_OK, "streaming", 1)
    assert doc["plan"]["mem_bytes"] == 1024**3
    assert doc["plan"]["commands"] == ["fwkit run --mem 1G INPUT --out DIR --workers 1"]


def test_mem_beyond_ram_and_swap_is_lowered_to_what_the_host_gives():
    code, doc = doctor_json()
    beyond = doc["memory"]["total_bytes"] + doc["swap"]["total_bytes"] + 4 * 1024**3
    code, doc = doctor_json("--mem", f"{beyond // 1024**2}M", "--out", "/tmp/fwkit-doctor-out")
    assert (code, doc["plan"]["mode"], doc["plan"]["ready"]) == (EXIT_OK, "streaming", True)
    assert doc["plan"]["need_bytes"] <= doc["plan"]["mem_bytes"] <= doc["plan"]["limit_bytes"]
    assert any("is more than this host can give" in r for r in doc["plan"]["reasons"])
    assert doc["disk"]["path"] == "/tmp"  # the nearest existing parent of --out


def test_workers_beyond_ram_and_swap_need_an_action():
    _, doc = doctor_json()
    workers = (doc["memory"]["total_bytes"] + doc["swap"]["total_bytes"]) // (100 * 1024**2)  # > 100 MiB each
    code, doc = doctor_json("--workers", str(workers))
    assert doc["plan"]["mode"] in ("swap", "cloud") and doc["plan"]["workers"] == workers
    assert not doc["plan"]["ready"] and code == EXIT_ACTION_NEEDED
    assert doc["plan"]["mem_bytes"] > doc["plan"]["limit_bytes"]
    assert doc["plan"]["warnings"] and "usable CPU(s)" in doc["plan"]["warnings"][0]


def test_estimate_is_close_to_the_real_token_count(english_file, tmp_path):
    from fwkit.encoding import gpt2

    true_tokens = len(gpt2().encode_ordinary(english_file.read_text(encoding="utf-8")))
    _, doc = doctor_json("--input", str(english_file))
    est = doc["inputs"]
    assert est["total_bytes"] == est["text_bytes"] == english_file.stat().st_size
    assert abs(est["est_tokens"] - true_tokens) / true_tokens < 0.15, (est, true_tokens)
    assert est["est_output_bytes"] == 2 * est["est_tokens"]
    assert est["tokens_per_second_per_worker"] > 1000

    packed = tmp_path / "english.txt.gz"
    packed.write_bytes(gzip.compress(english_file.read_bytes()))
    _, doc = doctor_json(str(packed))
    assert doc["inputs"]["total_bytes"] == packed.stat().st_size
    assert abs(doc["inputs"]["text_bytes"] - english_file.stat().st_size) / english_file.stat().st_size < 0.1


def test_the_tokenizer_sizes_the_workers_the_tokens_and_the_shards(english_file):
    """`--tokenizer o200k_base`: fewer workers fit a small cap, the tokens are o200k's (fewer, 4 bytes
    each) and the printed command runs o200k_base."""
    from fwkit.encoding import encoding

    _, gpt2 = doctor_json("--mem", "400M", "--input", str(english_file))
    code, doc = doctor_json("--mem", "400M", "--input", str(english_file), "--tokenizer", "o200k_base")
    assert code == EXIT_OK and doc["tokenizer"] == {"ok": True, "error": None, "name": "o200k_base"}
    if doc["cpu"]["count"] >= 2:  # 400M: 2 workers of gpt2, 1 of o200k_base
        assert (gpt2["plan"]["workers"], doc["plan"]["workers"]) == (2, 1)
    assert doc["plan"]["commands"] == [f"fwkit run --mem 400M {english_file} --out DIR --tokenizer o200k_base"]
    true_tokens = len(encoding("o200k_base").encode_ordinary(english_file.read_text(encoding="utf-8")))
    est = doc["inputs"]
    assert abs(est["est_tokens"] - true_tokens) / true_tokens < 0.15, (est, true_tokens)
    assert est["est_tokens"] < gpt2["inputs"]["est_tokens"] and est["est_output_bytes"] == 4 * est["est_tokens"]


def test_missing_input_is_broken_exit_2(tmp_path):
    missing = tmp_path / "nope.txt"
    code, doc = doctor_json(str(missing))
    assert code == EXIT_BAD_INPUT
    assert any(str(missing) in p for p in doc["problems"])
    assert doc["plan"]["ready"] is False and doc["plan"]["commands"] == []
    code, out = doctor(str(missing))
    assert code == EXIT_BAD_INPUT and f"{missing}: no such file" in out
    assert "✓ Plan" not in out and "! Plan: streaming" in out and "fwkit run" not in out


def test_a_device_input_and_a_proc_out_are_named_for_what_they_are():
    code, out = doctor("--input", "/dev/null", "--out", "/proc/x")
    assert code == EXIT_BAD_INPUT
    assert "✗ /dev/null: a character device, not a regular file or directory" in out
    assert "no such file" not in out
    assert "✗ Disk: /proc is not a disk" in out and "✓ Disk" not in out
    assert "/proc is a virtual filesystem (no disk space): choose another --out" in out


def test_unreachable_dataset_is_noted_not_estimated():
    """The Hub cannot be reached from here: the doctor says so in one note, and plans streaming."""
    _, doc = doctor_json("--dataset", "HuggingFaceFW/fineweb-edu", "--subset", "sample-10BT")
    assert doc["inputs"] is None
    prefix = "--dataset HuggingFaceFW/fineweb-edu --subset sample-10BT: the Hub (huggingface.co)"
    (note,) = [n for n in doc["notes"] if n.startswith(prefix)]
    assert "cannot be reached from here" in note and note.endswith("its size is unknown, the plan assumes streaming")


def test_bad_mem_is_one_line_exit_2():
    code, out = doctor("--mem", "lots")
    assert code == EXIT_BAD_INPUT
    assert "--mem 'lots' is not a size" in out


def test_human_report_has_marks_and_the_plan_last():
    _, out = doctor("--mem", "1G", "--out", "shards")
    lines = out.strip().splitlines()
    assert lines[0].startswith("✓ Memory:")
    assert any(line.startswith(("✓ Tokenizer", "✗ Tokenizer")) for line in lines)
    assert "Plan: streaming" in out and "affinity" not in out
    assert lines[-1].strip() == "fwkit run --mem 1G INPUT --out shards"
    _, verbose = doctor("-v")
    assert "affinity" in verbose and "cgroup" in verbose


NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/fwkit-test.sock"}  # a Docker engine that is not there


def _doctor_and_run_runtimes() -> tuple[str, str]:
    """(what doctor predicts for `--runtime auto`, what `fwkit run` then picks), on this host."""
    from fwkit.runtime.launch import Runtime, choose

    result = runner.invoke(app, ["doctor", "--json"], env=NO_ENGINE)
    said: list[str] = []
    picked = choose(Runtime.auto, said.append)
    assert said == [f"runtime: {picked.value} (auto: {json.loads(result.stdout)['runtime']['why']})"]
    return json.loads(result.stdout)["runtime"]["auto"], picked.value


def test_doctor_predicts_the_runtime_fwkit_run_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE["DOCKER_HOST"])
    predicted, picked = _doctor_and_run_runtimes()
    assert predicted == picked
    out = runner.invoke(app, ["doctor"], env=NO_ENGINE).output
    assert f"not reachable: `fwkit run` will use --runtime {picked}" in out


def test_doctor_predicts_no_runtime_for_a_non_root_user_without_systemd_simulated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Simulated (geteuid patched): this machine's Python lives under /root, which no other user can read."""
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE["DOCKER_HOST"])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)  # no systemd-run: no user scope
    assert _doctor_and_run_runtimes() == ("none", "none")
    out = runner.invoke(app, ["doctor"], env=NO_ENGINE).output
    assert "`fwkit run` will use --runtime none (no Docker engine and no cgroup we may use" in out
