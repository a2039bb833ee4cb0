"""`fwkit cloud`: the offline estimate for real; plan/up/status/down against a fake terraform
(tests named `_mocked_aws`: nothing here reaches AWS), and the one-line errors for missing tools.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.cloud.sizing import load_table

sys.path.insert(0, str(Path(__file__).parents[1] / "cloud"))
from fake_tf import FakeTerraform, install_fake_terraform

runner = CliRunner()
JOB = ["--", "s3://my-bucket/raw/train.txt", "--out", "s3://my-bucket/shards/train", "--format", "npy"]


@pytest.fixture
def fake_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeTerraform:
    return install_fake_terraform(tmp_path, monkeypatch)


def _tfvars(state: Path) -> dict:
    return json.loads((state / "module" / "fwkit.auto.tfvars.json").read_text())


@pytest.mark.parametrize(
    ("mem", "vcpus"), [("1G", 1), ("16G", 1), ("100G", 1), ("100G", 64), ("600G", 8), ("1800G", 1)]
)
def test_estimate_picks_the_cheapest_type_that_fits(mem: str, vcpus: int) -> None:
    result = runner.invoke(app, ["cloud", "estimate", "--mem", mem, "--min-vcpus", str(vcpus), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    table = load_table()
    need = float(mem.rstrip("G"))
    fits = [t for t in table.types if table.usable_gib(t) >= need and t.vcpus >= vcpus]
    assert data["usd_per_hour"] == min(t.usd_per_hour for t in fits)
    assert data["memory_gib"] * 0.95 - 1 >= need - 1e-6 and data["vcpus"] >= vcpus
    assert {"instance_type", "memory_gib", "vcpus", "usd_per_hour"} <= data.keys()


def test_estimate_refuses_a_size_no_type_has() -> None:
    result = runner.invoke(app, ["cloud", "estimate", "--mem", "3T"])
    assert result.exit_code == 2
    assert "no instance type in the table has 3072 GiB" in result.output
    assert "Traceback" not in result.output


def test_estimate_spot_reports_the_on_demand_ceiling() -> None:
    on_demand = json.loads(runner.invoke(app, ["cloud", "estimate", "--mem", "30G", "--json"]).output)
    spot = json.loads(runner.invoke(app, ["cloud", "estimate", "--mem", "30G", "--spot", "--json"]).output)
    assert spot["instance_type"] == on_demand["instance_type"] and spot["usd_per_hour"] == on_demand["usd_per_hour"]
    assert spot["market"] == "spot" and "ceiling" in spot["price_basis"]


def test_estimate_sizes_the_workers_by_the_tokenizer() -> None:
    """A 400M cap on a 2-vCPU type holds 2 gpt2 workers but 1 o200k_base worker."""
    found = {}
    for name in ("gpt2", "o200k_base"):
        result = runner.invoke(app, ["cloud", "estimate", "--mem", "400M", "--tokenizer", name, "--json"])
        assert result.exit_code == 0, result.output
        found[name] = json.loads(result.output)
    assert found["gpt2"]["vcpus"] == found["o200k_base"]["vcpus"] == 2
    assert (found["gpt2"]["workers"], found["o200k_base"]["workers"]) == (2, 1)


def test_estimate_prices_a_real_input(corpus_file: Path) -> None:
    result = runner.invoke(app, ["cloud", "estimate", "--mem", "8G", "--input", str(corpus_file), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["inputs"]["total_bytes"] == corpus_file.stat().st_size
    assert data["inputs"]["est_tokens"] > 100_000
    # 4 MB is tiny: the hours are the 0.1 h boot/install overhead plus a few seconds.
    assert 0.1 <= data["estimated_hours"] < 0.2
    assert data["estimated_usd"] == pytest.approx(data["estimated_hours"] * data["usd_per_hour"], abs=0.01)


def test_local_input_is_refused_with_the_upload_command(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cloud", "plan", "--mem", "8G", "--", "train.txt", "--out", "s3://b-1/x"])
    assert result.exit_code == 2
    assert "aws s3 cp train.txt s3://BUCKET/raw/" in result.output


def test_out_must_be_an_s3_prefix() -> None:
    result = runner.invoke(app, ["cloud", "plan", "--mem", "8G", "--", "s3://b-1/t.txt", "--out", "shards"])
    assert result.exit_code == 2 and "must be an s3://bucket/prefix" in result.output


def test_missing_terraform_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(app, ["cloud", "plan", "--mem", "8G", "--input-size", "1G", *JOB])
    assert result.exit_code == 2
    assert "terraform is not on PATH: install Terraform" in result.output


def test_missing_credentials_say_how_to_configure(
    fake_terraform: FakeTerraform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    result = runner.invoke(app, ["cloud", "plan", "--mem", "8G", "--input-size", "1G", *JOB])
    assert result.exit_code == 2
    assert "no AWS credentials found: run `aws configure`" in result.output
    assert fake_terraform.calls() == []


def test_plan_writes_the_job_variables_mocked_aws(fake_terraform: FakeTerraform, tmp_path: Path) -> None:
    state = tmp_path / "state"
    args = ["cloud", "plan", "--mem", "16G", "--input-size", "15G", "--state-dir", str(state), *JOB]
    result = runner.invoke(app, [*args, "--shard-tokens", "50M", "--backend", "gigatoken"])
    assert result.exit_code == 0, result.output
    assert fake_terraform.commands() == ["init", "plan"]
    tfvars = _tfvars(state)
    assert tfvars["mem_gib"] == 16 and tfvars["use_spot"] is False
    assert tfvars["job"] == {  # the instance runs `fwkit run --mem 16G -- INPUTS --out ... OPTIONS`
        "inputs": ["s3://my-bucket/raw/train.txt"],
        "mem": "16G",
        "options": ["--format", "npy", "--shard-tokens", "50M", "--backend", "gigatoken"],
    }
    assert tfvars["output_uri"] == "s3://my-bucket/shards/train"
    # 15 GiB in, 15 x 2 / 3.5 = 8.6 GiB of shards, rounded up to whole GiB.
    assert (tfvars["input_gib"], tfvars["output_gib"]) == (15, 9)
    assert (state / "module" / "main.tf").is_file() and (state / "module" / "modules" / "sizing").is_dir()
    assert "r7i.xlarge" in result.output  # 16 GiB usable needs a 32 GiB type


def test_up_asks_and_a_no_creates_nothing_mocked_aws(fake_terraform: FakeTerraform, tmp_path: Path) -> None:
    state = tmp_path / "state"
    args = ["cloud", "up", "--mem", "16G", "--input-size", "1G", "--state-dir", str(state), *JOB]
    result = runner.invoke(app, args, input="n\n")
    assert result.exit_code == 1
    assert "at most $3.18 (max 12 h)" in result.output  # r7i.xlarge $0.2646/h x 12 h
    assert "apply" not in fake_terraform.commands()


def test_up_status_down_mocked_aws(
    fake_terraform: FakeTerraform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    up = runner.invoke(
        app, ["cloud", "up", "--mem", "16G", "--input-size", "1G", "--state-dir", str(state), "--yes", *JOB]
    )
    assert up.exit_code == 0, up.output
    assert fake_terraform.commands() == ["init", "plan", "apply", "output"]
    assert "i-0123456789abcdef0" in up.output
    status = runner.invoke(app, ["cloud", "status", "--state-dir", str(state), "--json"])
    assert status.exit_code == 0, status.output
    shown = json.loads(status.output[status.output.index("{") :])
    assert shown["instance_state"] == "running" and shown["instance_id"] == "i-0123456789abcdef0"
    assert shown["status_uri"] == "s3://my-bucket/shards/train.fwkit/status.json"
    assert shown["job"].startswith("unknown: could not read s3://my-bucket/shards/train.fwkit/status.json")
    assert "-refresh-only" in fake_terraform.calls()[-2]
    monkeypatch.setenv("FAKE_TF_TERMINATED", "1")  # the job ended: poweroff terminated the instance
    ended = runner.invoke(app, ["cloud", "status", "--state-dir", str(state)])
    assert ended.exit_code == 0 and "terminated (gone from AWS: the job has ended)" in ended.output
    down = runner.invoke(app, ["cloud", "down", "--state-dir", str(state), "--yes"])
    assert down.exit_code == 0, down.output
    assert fake_terraform.commands()[-1] == "destroy"
    again = runner.invoke(app, ["cloud", "status", "--state-dir", str(state)])
    assert again.exit_code == 1 and "nothing deployed" in again.output


def test_spot_without_capacity_falls_back_to_on_demand_mocked_aws(
    fake_terraform: FakeTerraform, tmp_path: Path
) -> None:
    fake_terraform.no_capacity_flag.touch()
    state = tmp_path / "state"
    args = ["cloud", "up", "--mem", "8G", "--spot", "--input-size", "1G", "--state-dir", str(state), "--yes", *JOB]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "falling back to on-demand" in result.output
    assert fake_terraform.commands() == ["init", "plan", "apply", "plan", "apply", "output"]
    assert _tfvars(state)["use_spot"] is False and "on-demand" in result.output


def test_hf_token_is_named_never_copied_mocked_aws(
    fake_terraform: FakeTerraform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "hf_" + "x" * 34
    monkeypatch.setenv("HF_TOKEN", secret)
    state = tmp_path / "state"
    args = ["cloud", "up", "--mem", "8G", "--output-size", "20G", "--hf-token-param", "/fwkit/hf_token"]
    # A private file on the hub: the token is what lets the instance fetch it.
    job = ["--", "https://huggingface.co/datasets/me/private/resolve/main/a.jsonl", "--out", "s3://my-bucket/edu"]
    result = runner.invoke(app, [*args, "--state-dir", str(state), "--yes", *job])
    assert result.exit_code == 0, result.output
    assert _tfvars(state)["hf_token_ssm_parameter"] == "/fwkit/hf_token"
    written = "".join(p.read_text(errors="replace") for p in state.rglob("*") if p.is_file())
    assert secret not in written and secret not in result.output
    assert "AKIAFAKEFAKEFAKEFAKE" not in written


def test_down_with_nothing_deployed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cloud", "down", "--state-dir", str(tmp_path / "none"), "--yes"])
    assert result.exit_code == 1 and "nothing deployed" in result.output
