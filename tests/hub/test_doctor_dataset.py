"""`fwkit doctor --dataset`: sized from the dataset's metadata and sampled from its first row group.

The Hub cannot be reached here, so the metadata is a local FineWeb-layout repo whose README carries
a `dataset_info` block, read by the same `datasets.load_dataset_builder` call the Hub would answer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.encoding import gpt2

DATASET_INFO = """dataset_info:
- config_name: sample-10BT
  features:
  - name: text
    dtype: string
  splits:
  - name: train
    num_bytes: {num_bytes}
    num_examples: {rows}
configs:"""


def test_doctor_estimates_a_dataset_from_its_metadata(fineweb_repo: Path, fineweb_docs: list[str], tmp_path: Path):
    repo = tmp_path / "fineweb-edu"
    shutil.copytree(fineweb_repo, repo)
    num_bytes = sum(len(d.encode("utf-8")) for d in fineweb_docs)
    readme = repo / "README.md"
    info = DATASET_INFO.format(num_bytes=num_bytes, rows=len(fineweb_docs))
    readme.write_text(readme.read_text().replace("configs:", info, 1))

    result = CliRunner().invoke(app, ["doctor", "--json", "--dataset", str(repo), "--subset", "sample-10BT"])
    doc = json.loads(result.stdout)
    estimate = doc["inputs"]
    assert estimate is not None, doc["notes"]
    assert estimate["total_bytes"] == num_bytes
    real_tokens = sum(len(gpt2().encode_ordinary(d)) + 1 for d in fineweb_docs)
    assert 0.85 < estimate["est_tokens"] / real_tokens < 1.15, (estimate["est_tokens"], real_tokens)
    assert estimate["est_output_bytes"] == 2 * estimate["est_tokens"]
    assert estimate["tokens_per_second_per_worker"] > 0  # calibrated on the sampled row group
    assert any("size from the dataset's metadata (split 'train'" in n for n in doc["notes"])
    assert doc["plan"]["mode"] == "streaming"


def test_doctor_says_why_a_dataset_without_sizes_is_not_estimated(fineweb_repo: Path):
    result = CliRunner().invoke(app, ["doctor", "--json", "--dataset", str(fineweb_repo), "--subset", "sample-10BT"])
    doc = json.loads(result.stdout)
    assert doc["inputs"] is None
    assert (
        f"--dataset {fineweb_repo}: its metadata gives no size; its size is unknown, the plan assumes streaming"
        in (doc["notes"])
    )
