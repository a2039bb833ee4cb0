"""`fwkit verify`: check an out dir against its manifest (exit 0 all good, 1 problems found)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fwkit.commands.helptext import with_examples


def verify(
    out_dir: Annotated[Path, typer.Argument(help="The --out dir of a tokenize run.")],
    sample: Annotated[int, typer.Option(min=0, help="Also re-tokenize N random work items and compare.")] = 0,
    seed: Annotated[int | None, typer.Option(help="Seed for --sample (default: random).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Check every shard against manifest.json: presence, length, header, sha256, token ids, totals."""
    from fwkit.errors import EXIT_ACTION_NEEDED
    from fwkit.verify import verify as run_verify

    report = run_verify(out_dir, sample, seed)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        for file, problem in report.problems:
            typer.echo(f"✗ {file}: {problem}")
        mark = "✓" if report.ok else "✗"
        typer.echo(
            f"{mark} {out_dir}: {report.shards_checked} shards, {report.tokens_checked:,} tokens checked, "
            f"{report.samples_checked} samples re-tokenized, {len(report.problems)} problems"
        )
    if not report.ok:
        raise typer.Exit(EXIT_ACTION_NEEDED)


verify.__doc__ = with_examples(verify.__doc__ or "", ["fwkit verify data/", "fwkit verify data/ --sample 20 --json"])
