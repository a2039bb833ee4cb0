"""The Terraform code, checked by Terraform itself: fmt, `terraform test` of the provider-free
modules (offline), Python and Terraform choosing the same instance, and the AWS module's
validate + mocked-provider test where the aws provider can be installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tfrun import TERRAFORM_DIR, apply_config, render_bootstrap, terraform

from conftest import needs
from fwkit.cloud.sizing import cheapest_instance, load_table

PLUGIN_DIRS = [os.environ.get("FWKIT_TF_PLUGIN_DIR", ""), "/opt/tf-plugins"]


def test_fmt_is_clean(tmp_path: Path) -> None:
    done = terraform(["fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)], tmp_path, tmp_path, check=False)
    assert done.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{done.stdout}"


@pytest.mark.parametrize("module", ["sizing", "bootstrap"])
def test_module_terraform_test(module: str, tmp_path: Path) -> None:
    done = terraform(["test"], TERRAFORM_DIR / "modules" / module, tmp_path / ".tfdata")
    assert "0 failed" in done.stdout and " passed" in done.stdout, done.stdout
    assert not (TERRAFORM_DIR / "modules" / module / ".terraform").exists()


def test_python_and_terraform_pick_the_same_instance(tmp_path: Path) -> None:
    table = load_table()
    grid = [(m, v) for m in (0.5, 2.8, 2.9, 14.2, 30, 100, 200, 700, 1458.2, 1900) for v in (1, 8, 48, 128)]
    grid = [(m, v) for m, v in grid if any(t.vcpus >= v and table.usable_gib(t) >= m for t in table.types)]
    config = {
        "module": {
            f"s{i}": {"source": str(TERRAFORM_DIR / "modules" / "sizing"), "mem_gib": m, "min_vcpus": v}
            for i, (m, v) in enumerate(grid)
        },
        "output": {
            f"s{i}": {"value": f"${{[module.s{i}.instance_type, module.s{i}.usd_per_hour]}}"} for i in range(len(grid))
        },
    }
    outputs = apply_config(tmp_path, config)
    for i, (mem, vcpus) in enumerate(grid):
        python = cheapest_instance(mem, vcpus)
        assert outputs[f"s{i}"] == [python.name, python.usd_per_hour], (mem, vcpus)
    assert len({name for name, _ in outputs.values()}) >= 6, "the grid should exercise several types"


def _init_aws_module(workdir: Path) -> str:
    """`terraform init` of a copy of the AWS module: from the registry, else a local provider mirror."""
    data = workdir / ".tfdata"
    done = terraform(["init", "-input=false", "-backend=false"], workdir, data, check=False)
    if done.returncode == 0:
        return "registry"
    for plugin_dir in filter(None, PLUGIN_DIRS):
        if Path(plugin_dir).is_dir():
            args = ["init", "-input=false", "-backend=false", f"-plugin-dir={plugin_dir}"]
            if terraform(args, workdir, data, check=False).returncode == 0:
                return plugin_dir
    reason = (done.stderr.strip().splitlines() or ["?"])[-1]
    needs(
        f"terraform init cannot install hashicorp/aws (registry unreachable: {reason}) and no local mirror in "
        f"FWKIT_TF_PLUGIN_DIR or /opt/tf-plugins: terraform validate of the AWS module needs the provider"
    )


def test_aws_module_validates_and_plans_mocked_aws(tmp_path: Path) -> None:
    workdir = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, workdir, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    _init_aws_module(workdir)
    data = workdir / ".tfdata"
    valid = terraform(["validate"], workdir, data)
    assert "The configuration is valid" in valid.stdout
    tested = terraform(["test"], workdir, data)  # tests/aws_mocked.tftest.hcl: mock_provider "aws"
    assert "0 failed" in tested.stdout and "9 passed" in tested.stdout, tested.stdout


@pytest.mark.parametrize(
    "variables",
    [
        {"output_uri": "s3://my-bucket/out", "hf_token_ssm_parameter": "/fwkit/hf_token"},
        {"output_uri": "/dest", "pip_find_links": ["/wh/deps", "/wh/fwkit"], "runtime": "none", "max_hours": 0.5},
    ],
)
def test_rendered_bootstrap_passes_shellcheck(variables: dict[str, object], tmp_path: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.fail("shellcheck is not on PATH: apt-get install shellcheck (.ci/run must)")
    job = {"inputs": ["s3://my-bucket/raw/", "/data/it's.txt"], "mem": "8G", "options": ["--format", "llmc"]}
    script = render_bootstrap(tmp_path / "render", {"fwkit_version": "0.1.0", "job": job, **variables})
    path = tmp_path / "bootstrap.sh"
    path.write_text(script)
    done = subprocess.run(["shellcheck", "--shell=bash", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert subprocess.run(["bash", "-n", str(path)]).returncode == 0


def test_python_tfvars_pass_the_modules_validation(tmp_path: Path) -> None:
    """What `fwkit cloud up` writes is accepted by the modules as the root module passes it on."""
    from fwkit.cloud.job import CloudJob

    job = CloudJob(
        inputs=("s3://my-bucket/raw/train.txt", "s3://my-bucket/raw/more/"),
        output_uri="s3://my-bucket/shards/train/",
        options=("--format", "llmc", "--shard-tokens", "100M"),
        mem="100G",
        min_vcpus=16,
        spot=True,
        input_bytes=15 * 2**30,
        output_bytes=8 * 2**30,
        hf_token_parameter="/fwkit/hf_token",
    )
    v = job.to_tfvars()
    sizing_vars = ("mem_gib", "min_vcpus", "instance_type", "use_spot", "input_gib", "output_gib")
    boot_vars = ("fwkit_version", "fwkit_wheel_uri", "job", "runtime", "output_uri", "max_hours")
    boot_vars += ("hf_token_ssm_parameter", "aws_region")
    config = {
        "module": {
            "sizing": {"source": str(TERRAFORM_DIR / "modules" / "sizing"), **{k: v[k] for k in sizing_vars}},
            "bootstrap": {
                "source": str(TERRAFORM_DIR / "modules" / "bootstrap"),
                **{k: v[k] for k in boot_vars},
            },
        },
        "output": {
            "instance_type": {"value": "${module.sizing.instance_type}"},
            "root_volume_gib": {"value": "${module.sizing.root_volume_gib}"},
            "s3_write": {"value": "${module.bootstrap.s3_write}"},
        },
    }
    out = apply_config(tmp_path, config)
    assert out["instance_type"] == "r7i.4xlarge"
    assert out["root_volume_gib"] == 44  # (12 + 15 + 8) x 1.25 = 43.75 -> 44
    assert out["s3_write"] == {"bucket": "my-bucket", "prefix": "shards/train"}
