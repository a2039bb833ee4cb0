"""A fwkit job as the AWS module's variables: what `fwkit cloud plan|up` write to tfvars.

The job's inputs must be reachable from the instance (`s3://` objects, `s3://` prefixes ending in
`/`, `https://` files, or `--dataset` from the hub) and its `--out` must be an `s3://` prefix;
a local path is refused with the command that uploads it. No secret is ever put here: the
Hugging Face token is named by its SSM parameter only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from fwkit import __version__
from fwkit.errors import FwkitError
from fwkit.sizes import format_bytes, parse_bytes

GiB = 1024**3
# Output size from input size when no sample was measured: 2 bytes a token (GPT-2's uint16) at a
# conservative 3.5 bytes of text a token (GPT-2 averages ~4.3 on English prose; code and
# non-Latin text need fewer bytes a token, so more output): output = input x 2 / 3.5 = 0.57x.
CONSERVATIVE_BYTES_PER_TOKEN = 3.5
# Compressed inputs hold more text than their size: web text and JSONL decompress ~3-4x with gzip
# and ~4-5x with zstd (-3). Taken at the high end, so the disk is never short: a 15 GB `.jsonl.zst`
# counts as 15 x 5 = 75 GB of text = 43 GB of shards. `fwkit doctor` on the files measures the
# ratio instead, and its `fwkit cloud up` line passes that as --output-size.
DECOMPRESSION = {".zst": 5.0, ".zstd": 5.0, ".gz": 4.0}
_S3_OUT = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^/].*$")
_REMOTE = ("s3://", "https://")


@dataclass(frozen=True)
class CloudJob:
    """Everything `terraform/` needs to run one job; `to_tfvars` is the JSON it reads."""

    inputs: tuple[str, ...]
    output_uri: str
    options: tuple[str, ...]
    mem: str
    min_vcpus: int = 1
    instance_type: str = ""
    spot: bool = False
    input_bytes: int = 0
    output_bytes: int = 0
    max_hours: float = 12
    region: str = "us-east-1"
    name: str = "fwkit"
    hf_token_parameter: str = ""
    fwkit_version: str = __version__
    wheel_uri: str = ""
    runtime: str = "cgroup"
    resume: bool = False
    sync_minutes: float = 5

    @property
    def mem_gib(self) -> float:
        return parse_bytes(self.mem, "--mem") / GiB

    def to_tfvars(self) -> dict[str, Any]:
        return {
            "aws_region": self.region,
            "name": self.name,
            "mem_gib": round(self.mem_gib, 3),
            "min_vcpus": self.min_vcpus,
            "instance_type": self.instance_type,
            "use_spot": self.spot,
            # Whole GiB, rounded up: the volume is sized from these.
            "input_gib": math.ceil(self.input_bytes / GiB),
            "output_gib": math.ceil(self.output_bytes / GiB),
            "fwkit_version": self.fwkit_version,
            "fwkit_wheel_uri": self.wheel_uri,
            "job": {"inputs": list(self.inputs), "mem": self.mem, "options": list(self.options)},
            "output_uri": self.output_uri.rstrip("/"),
            "runtime": self.runtime,
            "max_hours": self.max_hours,
            "hf_token_ssm_parameter": self.hf_token_parameter,
            "resume": self.resume,
            "sync_minutes": self.sync_minutes,
        }


def check_reachable(inputs: list[str], out: str | None, streams: bool) -> None:
    """Refuse what the instance cannot reach: local inputs, a local or bucket-only --out."""
    for path in inputs:
        if not path.startswith(_REMOTE):
            raise FwkitError(
                f"input {path} is on this machine, not reachable from the instance: upload it first "
                f"(`aws s3 cp {path} s3://BUCKET/raw/`) and pass the s3:// URI"
            )
    if not inputs and not streams:
        raise FwkitError("the job has no input: give s3:// or https:// inputs, or --dataset to stream from the hub")
    if out is None or not _S3_OUT.match(out):
        raise FwkitError(
            f"--out {out or '(missing)'} must be an s3://bucket/prefix: the instance uploads the shards there"
        )


def token_bytes(values: dict[str, str | None]) -> int:
    """Bytes a token in the shards, from tokenize's parsed option values (`TokenizeArgs.values`, so
    `--tokenizer=X` counts too): 4 for `--dtype uint32`, else the tokenizer's own (`estimate.token_bytes`)."""
    from fwkit.encoding import DEFAULT_TOKENIZER
    from fwkit.estimate import token_bytes as tokenizer_bytes

    if values.get("dtype") == "uint32":
        return 4
    return tokenizer_bytes(values.get("tokenizer") or DEFAULT_TOKENIZER)


def text_ratio(inputs: list[str]) -> float:
    """Text bytes per stored byte of the inputs: the largest decompression ratio among them."""
    return max([DECOMPRESSION.get("." + uri.rsplit(".", 1)[-1], 1.0) for uri in inputs], default=1.0)


def output_bytes_for(
    input_bytes: int,
    output_size: str | None,
    inputs: list[str] | None = None,
    values: dict[str, str | None] | None = None,
) -> int:
    """The shards' expected size: `--output-size` if given, else from the inputs' (decompressed) size."""
    if output_size:
        return parse_bytes(output_size, "--output-size")
    if input_bytes:
        text = input_bytes * text_ratio(inputs or [])
        return math.ceil(text * token_bytes(values or {}) / CONSERVATIVE_BYTES_PER_TOKEN)
    raise FwkitError(
        "give --output-size (about 2 bytes a token: 10B tokens = 20G) or --input-size, "
        "so the instance's disk can be sized"
    )


def describe(job: CloudJob) -> str:
    """One line for the confirmation prompt: what runs where, with which limits."""
    market = "spot" if job.spot else "on-demand"
    return (
        f"{market} in {job.region}, max {job.max_hours:g} h, --mem {job.mem}, "
        f"{len(job.inputs)} input(s) ({format_bytes(job.input_bytes)}), "
        f"~{format_bytes(job.output_bytes)} of shards to {job.output_uri}"
    )
