"""Drive the terraform CLI for `fwkit cloud`: a visible state directory, one-line errors.

`<state-dir>/module/` is a copy of fwkit's `terraform/` root module (refreshed on every command);
`fwkit.auto.tfvars.json`, the plan file, `.terraform/` and the local `terraform.tfstate` live
beside it, so the user can inspect or run `terraform -chdir=<state-dir>/module ...` by hand.
Terraform's own output is streamed as it runs; a failure becomes one line that says how to fix it.
`FWKIT_TF_PLUGIN_DIR` points `terraform init` at a local provider mirror (air-gapped hosts).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwkit.atomic import write_json_atomic
from fwkit.cloud.paths import terraform_dir
from fwkit.errors import FwkitError

# Error texts AWS returns when it has no spot (or on-demand) capacity for the type right now.
CAPACITY_ERRORS = ("InsufficientInstanceCapacity", "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded")
CREDENTIAL_ERRORS = ("No valid credential sources", "InvalidClientTokenId", "ExpiredToken", "SignatureDoesNotMatch")
TAIL_LINES = 200  # kept from terraform's output to find the error line in


class CapacityError(FwkitError):
    """AWS has no capacity for the type (spot): `fwkit cloud up --spot` retries on-demand."""


@dataclass(frozen=True)
class Workspace:
    """The state directory of one cloud job."""

    state_dir: Path

    @property
    def module_dir(self) -> Path:
        return self.state_dir / "module"

    @property
    def vars_file(self) -> Path:
        return self.module_dir / "fwkit.auto.tfvars.json"

    @property
    def plan_file(self) -> Path:
        return self.module_dir / "fwkit.tfplan"

    @property
    def state_file(self) -> Path:
        return self.module_dir / "terraform.tfstate"

    def deployed(self) -> bool:
        """Whether the local state holds any resource (an instance that may still be running)."""
        try:
            return bool(json.loads(self.state_file.read_text()).get("resources"))
        except (OSError, ValueError):
            return False


def require_tools() -> None:
    """Terraform on PATH and AWS credentials configured, or one line that says how to get them."""
    from fwkit.host.tools import probe_cloud_credentials

    if shutil.which("terraform") is None:
        raise FwkitError(
            "terraform is not on PATH: install Terraform >= 1.9 (https://developer.hashicorp.com/terraform/install)"
        )
    if not probe_cloud_credentials().aws_credentials:
        raise FwkitError(
            "no AWS credentials found: run `aws configure` (or `aws sso login`), or set AWS_PROFILE, "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )


def prepare(ws: Workspace, tfvars: dict[str, Any] | None = None) -> None:
    """Copy the module into the state directory and write the job's variables (atomically)."""
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(
        terraform_dir(),
        ws.module_dir,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", ".terraform.lock.hcl", "tests", "examples"),
    )
    if tfvars is not None:
        write_json_atomic(ws.vars_file, tfvars)


def deployed_workspace(state_dir: Path) -> Workspace:
    """The workspace of a job that was started (exit 1 if none), with tools checked and code fresh."""
    ws = Workspace(state_dir.resolve())
    if not ws.deployed():
        raise FwkitError(f"nothing deployed in {ws.state_dir}: start a job with `fwkit cloud up`", exit_code=1)
    require_tools()
    prepare(ws)
    return ws


def _diagnose(command: str, code: int, tail: deque[str], ws: Workspace) -> FwkitError:
    text = "".join(tail)
    if any(marker in text for marker in CAPACITY_ERRORS):
        return CapacityError(f"AWS has no capacity for this instance type right now (terraform {command})")
    if any(marker in text for marker in CREDENTIAL_ERRORS):
        return FwkitError(
            "AWS refused the credentials: run `aws configure` or `aws sso login` (check AWS_PROFILE), then retry"
        )
    if command == "init" and "registry.terraform.io" in text:
        return FwkitError(
            "terraform init could not download the AWS provider from registry.terraform.io: check network access, "
            "or set FWKIT_TF_PLUGIN_DIR to a local provider mirror"
        )
    error = next((line.strip() for line in tail if "Error:" in line), f"exit code {code}")
    return FwkitError(f"terraform {command} failed: {error.lstrip('│ ')} (output above; state in {ws.module_dir})")


def terraform(ws: Workspace, *args: str, echo: Callable[[str], None] | None = None) -> str:
    """Run `terraform -chdir=<module> args...`; stream to `echo` (if given) and return the output."""
    env = {**os.environ, "TF_IN_AUTOMATION": "1"}
    cmd = ["terraform", f"-chdir={ws.module_dir}", *args]
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line)
            lines.append(line)
            if echo:
                echo(line.rstrip("\n"))
    if proc.returncode != 0:
        raise _diagnose(args[0], proc.returncode, tail, ws)
    return "".join(lines)


def init(ws: Workspace, echo: Callable[[str], None]) -> None:
    plugin_dir = os.environ.get("FWKIT_TF_PLUGIN_DIR")
    terraform(
        ws, "init", "-input=false", "-no-color", *([f"-plugin-dir={plugin_dir}"] if plugin_dir else []), echo=echo
    )


def plan(ws: Workspace, echo: Callable[[str], None]) -> None:
    terraform(ws, "plan", "-input=false", "-no-color", f"-out={ws.plan_file.name}", echo=echo)


def apply(ws: Workspace, echo: Callable[[str], None]) -> None:
    terraform(ws, "apply", "-input=false", "-no-color", "-auto-approve", ws.plan_file.name, echo=echo)


def refresh(ws: Workspace, echo: Callable[[str], None]) -> None:
    terraform(ws, "apply", "-refresh-only", "-input=false", "-no-color", "-auto-approve", echo=echo)


def destroy(ws: Workspace, echo: Callable[[str], None]) -> None:
    terraform(ws, "destroy", "-input=false", "-no-color", "-auto-approve", echo=echo)


def _json(ws: Workspace, *args: str) -> Any:
    """A terraform command's JSON on stdout (warnings go to stderr and are ignored)."""
    cmd = ["terraform", f"-chdir={ws.module_dir}", *args, "-json", "-no-color"]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_IN_AUTOMATION": "1"})
    if done.returncode != 0:
        raise _diagnose(args[0], done.returncode, deque(done.stderr.splitlines(keepends=True)), ws)
    return json.loads(done.stdout or "{}")


def outputs(ws: Workspace) -> dict[str, Any]:
    """`terraform output -json` as {name: value}."""
    return {name: entry.get("value") for name, entry in _json(ws, "output").items()}


def instance_status(ws: Workspace) -> dict[str, Any]:
    """The instance as the (refreshed) state has it; a terminated instance is gone from the state."""
    resources = _json(ws, "show").get("values", {}).get("root_module", {}).get("resources", [])
    instance = next((r["values"] for r in resources if r.get("address") == "aws_instance.this"), None)
    if instance is None:
        return {"instance_state": "terminated (gone from AWS: the job has ended)"}
    keys = ("id", "instance_state", "instance_type", "launch_time")
    return {f"instance_{k}" if k in ("id", "launch_time") else k: instance.get(k) for k in keys}
