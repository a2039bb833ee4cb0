"""Placeholder until its issue lands: replaced by the real sub-app."""

import typer

app = typer.Typer(help="Not built yet.", no_args_is_help=True)


@app.command()
def todo() -> None:
    """Not built yet."""
