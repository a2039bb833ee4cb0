#!/usr/bin/env python3
"""A stand-in `terraform` for the mocked-AWS CLI tests: records each call, answers like terraform.

It never talks to AWS. `apply` writes a state with one resource (so `fwkit cloud status/down` see a
deployment); `destroy` empties it; `output -json` and `show -json` print canned answers. With
FAKE_TF_TERMINATED set, a refresh finds the instance gone (it powered off). If FAKE_TF_NO_CAPACITY
names a file that exists, the next spot apply fails the way AWS does and the file is removed.
"""

import json
import os
import sys
from pathlib import Path

args = sys.argv[1:]
chdir = Path(args.pop(0).removeprefix("-chdir=")) if args and args[0].startswith("-chdir=") else Path.cwd()
log = Path(os.environ["FAKE_TF_LOG"])
with log.open("a") as f:
    f.write(json.dumps({"args": args, "chdir": str(chdir)}) + "\n")
state = chdir / "terraform.tfstate"
command = args[0]
if command == "apply" and "-refresh-only" not in args:
    flag = Path(os.environ.get("FAKE_TF_NO_CAPACITY", "/nonexistent"))
    spot = json.loads((chdir / "fwkit.auto.tfvars.json").read_text())["use_spot"]
    if spot and flag.exists():
        flag.unlink()
        print("Error: creating EC2 Instance: InsufficientInstanceCapacity: There is no Spot capacity available")
        sys.exit(1)
    state.write_text(json.dumps({"resources": [{"type": "aws_instance", "name": "this"}]}))
    print("Apply complete! Resources: 5 added, 0 changed, 0 destroyed.")
elif command == "apply" and os.environ.get("FAKE_TF_TERMINATED"):
    state.write_text(json.dumps({"resources": [{"type": "aws_iam_role", "name": "this"}]}))  # refresh: instance gone
elif command == "destroy":
    state.write_text(json.dumps({"resources": []}))
    print("Destroy complete! Resources: 5 destroyed.")
elif command == "show":
    running = any(r["type"] == "aws_instance" for r in json.loads(state.read_text())["resources"])
    instance = {"id": "i-0123456789abcdef0", "instance_state": "running", "instance_type": "r7i.xlarge"}
    resources = [{"address": "aws_instance.this", "values": instance}] if running else []
    print(json.dumps({"values": {"root_module": {"resources": resources}}}))
elif command == "output":
    tfvars = json.loads((chdir / "fwkit.auto.tfvars.json").read_text())
    outputs = {
        "instance_id": "i-0123456789abcdef0",
        "instance_state": "running",
        "instance_type": "r7i.xlarge",
        "market_type": "spot" if tfvars["use_spot"] else "on-demand",
        "output_uri": tfvars["output_uri"],
    }
    print(json.dumps({k: {"value": v, "type": "string", "sensitive": False} for k, v in outputs.items()}))
else:
    print(f"fake terraform {command}: ok")
