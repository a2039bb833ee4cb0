"""`fwkit cloud estimate|plan|up|status|down`: run a fwkit job on one AWS instance via Terraform.

The domain code is in `fwkit.cloud` (sizing from the shared table, the job's variables, the
terraform wrapper); this module parses options and prints. See docs/cloud.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from fwkit.commands.helptext import with_examples
from fwkit.commands.tokenize import Tokenizer

app = typer.Typer(
    help="Run a job on one AWS instance that terminates itself (Terraform). See docs/cloud.md.",
    no_args_is_help=True,
)

EXAMPLES = [
    "fwkit cloud estimate --mem 100G --input sample.txt",
    "fwkit cloud up --mem 16G --input-size 15G \\\n    -- s3://my-bucket/raw/train.txt --out s3://my-bucket/shards",
    "fwkit cloud up --mem 32G --spot --output-size 20G \\\n"
    "    --hf-token-param /fwkit/hf_token \\\n"
    "    -- --dataset HuggingFaceFW/fineweb-edu --subset sample-10BT \\\n"
    "    --out s3://my-bucket/edu --format llmc",
    "fwkit cloud up --resume ...same job...   # after a spot reclaim or max_hours",
]

Mem = Annotated[str, typer.Option("--mem", help="Memory cap for the job (16G, 100G): sizes the instance.")]
MinVcpus = Annotated[int, typer.Option("--min-vcpus", min=1, help="Fewest vCPUs (one worker each).")]
Spot = Annotated[bool, typer.Option("--spot", help="Spot instance, capped at the on-demand price.")]
StateDir = Annotated[
    Path,
    typer.Option("--state-dir", help="Terraform code, variables and state of this job.", envvar="FWKIT_CLOUD_STATE"),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (plan never asks).")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DEFAULT_STATE = Path(".fwkit-cloud")


def _echo(line: str) -> None:
    typer.secho(line, err=True, dim=True)


def _print(data: dict[str, Any], as_json: bool) -> None:
    import json

    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        for key, value in data.items():
            typer.echo(f"{key:>18}: {value}")


@app.command()
def estimate(
    mem: Mem,
    min_vcpus: MinVcpus = 1,
    spot: Spot = False,
    input: Annotated[
        list[Path] | None, typer.Option("--input", help="Local inputs (or a sample) to time and price the job.")
    ] = None,
    tokenizer: Annotated[
        Tokenizer, typer.Option(help="The job's tokenizer: sizes its workers, tokens and hours.")
    ] = Tokenizer.gpt2,
    as_json: JsonOut = False,
) -> None:
    """Offline: the instance for --mem, its $/h and, with --input, the hours and cost. No credentials."""
    from fwkit.cloud.estimate import estimate_cloud
    from fwkit.sizes import parse_bytes

    result = estimate_cloud(parse_bytes(mem, "--mem"), min_vcpus, spot, input, tokenizer.value)
    data = result.to_json()
    if not as_json:
        data.pop("inputs")
    _print(data, as_json)


def _job_command(apply: bool) -> Any:
    def command(
        ctx: typer.Context,
        args: Annotated[
            list[str] | None,
            typer.Argument(metavar="-- INPUT... --out S3_URI [TOKENIZE OPTIONS]", show_default=False),
        ] = None,
        mem: Mem = "",
        min_vcpus: MinVcpus = 1,
        spot: Spot = False,
        instance_type: Annotated[str, typer.Option(help="EC2 type instead of the cheapest that fits.")] = "",
        input_size: Annotated[str, typer.Option(help="Total size of the s3:// inputs (sizes the disk).")] = "",
        output_size: Annotated[str, typer.Option(help="Expected shards' size (default: from --input-size).")] = "",
        max_hours: Annotated[float, typer.Option(help="The instance powers off after this, done or not.")] = 12,
        region: Annotated[str, typer.Option(help="AWS region.", envvar="AWS_REGION")] = "us-east-1",
        hf_token_param: Annotated[
            str, typer.Option(help="SSM SecureString parameter holding the HF token, e.g. /fwkit/hf_token.")
        ] = "",
        wheel: Annotated[str, typer.Option(help="Install this fwkit wheel (s3:// or https://) instead of PyPI.")] = "",
        runtime: Annotated[
            str, typer.Option(help="`fwkit run --runtime` on the instance: cgroup, docker, none or auto.")
        ] = "cgroup",
        sync_minutes: Annotated[
            float, typer.Option(min=0.01, max=60, help="Upload finished shards and the resume state this often.")
        ] = 5,
        resume: Annotated[
            bool,
            typer.Option(
                help="Continue from the resume state beside --out (else a fresh start replaces what is there)."
            ),
        ] = False,
        state_dir: StateDir = DEFAULT_STATE,
        yes: Yes = False,
    ) -> None:
        from fwkit.cloud import terraform as tf
        from fwkit.cloud.job import CloudJob, check_reachable, describe, output_bytes_for
        from fwkit.cloud.sizing import cheapest_instance
        from fwkit.errors import FwkitError
        from fwkit.runtime.job import NETWORK_OPTIONS, split_tokenize_args
        from fwkit.sizes import parse_bytes

        if not mem:
            raise FwkitError("fwkit cloud needs --mem, the job's memory cap: e.g. --mem 16G")
        tokenize_cmd = ctx.find_root().command.get_command(ctx, "tokenize")  # type: ignore[attr-defined]
        parsed = split_tokenize_args(tokenize_cmd, [*(args or []), *ctx.args])
        inputs, out, options = parsed.inputs, parsed.out, parsed.options
        check_reachable(inputs, out, parsed.given(*NETWORK_OPTIONS))
        input_bytes = parse_bytes(input_size, "--input-size") if input_size else 0
        if not input_size and any(i.startswith("s3://") for i in inputs):
            raise FwkitError(
                "give --input-size, the s3:// inputs' total (`aws s3 ls --summarize --recursive URI`): "
                "they are copied to the instance's disk first"
            )
        job = CloudJob(
            inputs=tuple(inputs),
            output_uri=str(out),
            options=tuple(options),
            mem=mem,
            min_vcpus=min_vcpus,
            instance_type=instance_type,
            spot=spot,
            input_bytes=input_bytes,
            output_bytes=output_bytes_for(input_bytes, output_size, inputs, parsed.values),
            max_hours=max_hours,
            region=region,
            hf_token_parameter=hf_token_param,
            wheel_uri=wheel,
            resume=resume,
            runtime=runtime,
            sync_minutes=sync_minutes,
        )
        if not instance_type:
            chosen = cheapest_instance(job.mem_gib, min_vcpus)
            typer.echo(
                f"{chosen.name}: {chosen.memory_gib:g} GiB, {chosen.vcpus} vCPUs, ${chosen.usd_per_hour}/h; "
                f"at most ${chosen.usd_per_hour * max_hours:.2f} (max {max_hours:g} h)"
            )
        typer.echo(describe(job))
        tf.require_tools()
        ws = tf.Workspace(state_dir.resolve())
        tf.prepare(ws, job.to_tfvars())
        tf.init(ws, _echo)
        tf.plan(ws, _echo)
        if not apply:
            typer.echo(f"planned; variables in {ws.vars_file}; start it with `fwkit cloud up --state-dir {state_dir}`")
            return
        if not yes:
            typer.confirm("Start the instance?", abort=True)
        try:
            tf.apply(ws, _echo)
        except tf.CapacityError:
            if not spot:
                raise
            typer.echo("no spot capacity for this type: falling back to on-demand (same price ceiling)")
            tf.prepare(ws, {**job.to_tfvars(), "use_spot": False})
            tf.plan(ws, _echo)
            tf.apply(ws, _echo)
        _print(tf.outputs(ws), False)
        typer.echo(
            f"follow it: fwkit cloud status --state-dir {state_dir}; stop it: fwkit cloud down --state-dir {state_dir}"
        )

    return command


plan = _job_command(apply=False)
plan.__doc__ = "Write the job's variables and run `terraform plan` (needs AWS credentials; creates nothing)."
up = _job_command(apply=True)
up.__doc__ = with_examples(
    "Plan, show the price, confirm, and start the instance that runs the job and terminates.", EXAMPLES
)
_job_settings = {"allow_extra_args": True, "ignore_unknown_options": True}
app.command("plan", context_settings=_job_settings)(plan)
app.command("up", context_settings=_job_settings)(up)


@app.command()
def status(state_dir: StateDir = DEFAULT_STATE, as_json: JsonOut = False) -> None:
    """Refresh the state and show the instance (gone once the job has finished) and where results go."""
    import json

    from fwkit.cloud import terraform as tf
    from fwkit.cloud.report import job_report

    ws = tf.deployed_workspace(state_dir)
    tf.refresh(ws, _echo)
    uri = json.loads(ws.vars_file.read_text())["output_uri"]
    data = {**tf.instance_status(ws), "output_uri": uri, **job_report(uri)}
    _print(data, as_json)


@app.command()
def down(state_dir: StateDir = DEFAULT_STATE, yes: Yes = False) -> None:
    """Destroy the instance (if still running), its role and security group. Uploaded shards stay."""
    from fwkit.cloud import terraform as tf

    ws = tf.deployed_workspace(state_dir)
    if not yes:
        typer.confirm(f"Destroy everything in {ws.state_dir} (the S3 output is kept)?", abort=True)
    tf.destroy(ws, _echo)
    typer.echo("destroyed; the shards stay in S3")
