"""How a cloud job ended, from the `status.json` its bootstrap uploads beside the output prefix.

    fwkit cloud status      # ... job: succeeded (exit 0) ...

Read with the AWS CLI (it honours `AWS_ENDPOINT_URL` and the user's credentials, as Terraform
does); without one, the report says which command reads it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fwkit.cloud.store import job_uri, open_store
from fwkit.errors import FwkitError

STATUS = "status.json"


def describe_status(status: dict[str, Any] | None) -> str:
    """One line: succeeded, failed at a step, or not finished yet."""
    if status is None:
        return "running (no status.json yet)"
    code, step = status.get("exit_code"), status.get("step")
    if code == 0:
        return f"succeeded (exit 0, finished {status.get('finished')})"
    return f"failed at step {step} (exit {code}, finished {status.get('finished')}): see bootstrap.log"


def read_status(output_uri: str) -> dict[str, Any] | None:
    """The job's status.json, None while there is none."""
    store = open_store(job_uri(output_uri))
    if STATUS not in store.list_keys(STATUS):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        store.get(STATUS, Path(tmp) / STATUS)
        return json.loads((Path(tmp) / STATUS).read_text())


def job_report(output_uri: str) -> dict[str, Any]:
    """`job` (how it ended) and where the status and log are; a hint instead when it cannot read them."""
    where = f"{job_uri(output_uri)}/{STATUS}"
    if output_uri.startswith("s3://") and shutil.which("aws") is None:
        return {"job": f"unknown: install the AWS CLI, or run `aws s3 cp {where} -`", "status_uri": where}
    try:
        status = read_status(output_uri)
    except (FwkitError, ValueError) as err:
        return {"job": f"unknown: could not read {where} ({err})", "status_uri": where}
    return {"job": describe_status(status), "status_uri": where, "log_uri": f"{job_uri(output_uri)}/bootstrap.log"}
