"""The cloud job's domain code: reachability checks, sizes, tfvars, the terraform workspace and
its error diagnosis (real error texts from terraform and AWS), and the hours/cost arithmetic.
"""

from __future__ import annotations

import json
import math
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from fwkit.cloud import terraform as tf
from fwkit.cloud.estimate import OVERHEAD_HOURS, TRANSFER_BYTES_PER_SECOND, job_hours
from fwkit.cloud.job import CloudJob, check_reachable, output_bytes_for
from fwkit.errors import FwkitError
from fwkit.estimate import InputEstimate
from fwkit.runtime.job import split_tokenize_args

GiB = 2**30


def test_reachable_inputs_and_output() -> None:
    check_reachable(["s3://b-1/raw/", "https://example.org/a.txt"], "s3://b-1/out", streams=False)
    check_reachable([], "s3://b-1/out", streams=True)
    with pytest.raises(FwkitError, match=r"aws s3 cp data/train\.txt"):
        check_reachable(["data/train.txt"], "s3://b-1/out", streams=False)
    with pytest.raises(FwkitError, match="no input"):
        check_reachable([], "s3://b-1/out", streams=False)
    for out in (None, "s3://b-1", "s3://b-1/", "/local/out", "s3://UPPER/x"):
        with pytest.raises(FwkitError, match="s3://bucket/prefix"):
            check_reachable(["s3://b-1/raw/"], out, streams=False)


def test_output_size() -> None:
    assert output_bytes_for(0, "20G") == 20 * GiB
    assert output_bytes_for(7 * GiB, None) == 4 * GiB  # 7 x 2 / 3.5
    with pytest.raises(FwkitError, match="--output-size"):
        output_bytes_for(0, None)


def test_tfvars_round_sizes_up_and_strip_the_slash() -> None:
    job = CloudJob(inputs=("s3://b-1/x",), output_uri="s3://b-1/out/", options=(), mem="1536M", input_bytes=GiB + 1)
    v = job.to_tfvars()
    assert v["mem_gib"] == 1.5 and v["input_gib"] == 2 and v["output_gib"] == 0
    assert v["output_uri"] == "s3://b-1/out" and v["job"]["mem"] == "1536M"


def test_prepare_copies_the_module_and_writes_vars(tmp_path: Path) -> None:
    ws = tf.Workspace(tmp_path / "state")
    tf.prepare(ws, {"mem_gib": 8})
    assert (ws.module_dir / "main.tf").is_file()
    assert (ws.module_dir / "modules" / "sizing" / "instance_types.json").is_file()
    assert not (ws.module_dir / "tests").exists() and not (ws.module_dir / "examples").exists()
    assert json.loads(ws.vars_file.read_text()) == {"mem_gib": 8}
    assert not ws.deployed()
    ws.state_file.write_text(json.dumps({"resources": [{"type": "aws_instance"}]}))
    tf.prepare(ws)  # a refresh of the code keeps the state and the variables
    assert ws.deployed() and json.loads(ws.vars_file.read_text()) == {"mem_gib": 8}


@pytest.mark.parametrize(
    ("command", "line", "expected"),
    [
        (
            "apply",
            "Error: creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient "
            "r7i.4xlarge capacity in the Availability Zone you requested (us-east-1a).",
            "no capacity",
        ),
        ("plan", "Error: No valid credential sources found", "aws configure"),
        ("plan", "Error: validating provider credentials: ... InvalidClientTokenId: The security token", "refused"),
        (
            "init",
            "Error: Failed to query available provider packages ... could not connect to registry.terraform.io: "
            'failed to request discovery document: Get "https://registry.terraform.io/.well-known/terraform.json"',
            "FWKIT_TF_PLUGIN_DIR",
        ),
        (
            "apply",
            "│ Error: creating IAM Role (fwkit-): AccessDenied: not authorized",
            "terraform apply failed: Error: creating IAM",
        ),
    ],
)
def test_terraform_errors_become_one_line(command: str, line: str, expected: str, tmp_path: Path) -> None:
    err = tf._diagnose(command, 1, deque(["some output\n", line + "\n"]), tf.Workspace(tmp_path))
    assert expected in err.message and "\n" not in err.message
    assert isinstance(err, tf.CapacityError) == (expected == "no capacity")


def test_hours_and_cost_arithmetic() -> None:
    sample = InputEstimate(
        files=1,
        total_bytes=10 * 10**9,
        text_bytes=10 * 10**9,
        sample_bytes=1,
        sample_tokens=1,
        bytes_per_token=4.0,
        est_tokens=2_500_000_000,
        est_output_bytes=5 * 10**9,
        tokens_per_second_per_worker=500_000.0,
    )
    # 15 GB moved at 200 MB/s = 75 s; 2.5B tokens / (16 x 500k/s) = 312.5 s; plus 0.1 h.
    expected = OVERHEAD_HOURS + (15 * 10**9 / TRANSFER_BYTES_PER_SECOND + 312.5) / 3600
    assert job_hours(sample, 16, sample.total_bytes) == pytest.approx(expected)


def test_output_size_counts_compressed_inputs_as_their_text() -> None:
    # 15 GiB of .jsonl.zst = 75 GiB of text = 43 GiB of shards (the volume must hold them).
    assert output_bytes_for(15 * GiB, None, ["s3://b-1/raw/train.jsonl.zst"]) == math.ceil(15 * GiB * 5 * 2 / 3.5)
    assert output_bytes_for(7 * GiB, None, ["s3://b-1/a.jsonl.gz", "s3://b-1/b.txt"]) == 16 * GiB  # 7 x 4 x 2 / 3.5
    assert output_bytes_for(7 * GiB, "1G", ["s3://b-1/a.zst"]) == GiB  # doctor's measured figure wins


def test_output_size_of_wide_tokenizers_is_four_bytes_a_token(tokenize_cmd: Any) -> None:
    """From tokenize's own parse of the job's options: `--tokenizer=o200k_base` counts as the
    two-word form does (a pairwise read of the words took it for GPT-2: half the disk)."""

    def output(*options: str) -> int:
        values = split_tokenize_args(tokenize_cmd, ["s3://b-1/a.txt", *options]).values
        return output_bytes_for(7 * GiB, None, ["s3://b-1/a.txt"], values)

    assert output("--tokenizer", "o200k_base") == output("--tokenizer=o200k_base") == 8 * GiB  # 7 x 4 / 3.5
    assert output("--dtype", "uint32") == output("--dtype=uint32") == 8 * GiB
    assert output("--format", "npy") == output() == 4 * GiB
