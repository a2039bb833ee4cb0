"""`fwkit image build`: the job image `fwkit run` uses, built offline from a host wheelhouse."""

from __future__ import annotations

from typing import Annotated

import typer

from fwkit.commands.helptext import with_examples

BUILD_HELP = "Build the wheelhouse (pip wheel on the host), then the image from docker/Dockerfile. Never pulls."
BUILD_EXAMPLES = [
    "fwkit image build",
    "scripts/build_base_image.sh \\\n    && fwkit image build --base-image fwkit-base:bookworm    # cannot pull",
]
app = typer.Typer(help="The Docker image `fwkit run` runs the tokenizer in.", no_args_is_help=True)


@app.command("build", help=with_examples(BUILD_HELP, BUILD_EXAMPLES))
def build(
    base_image: Annotated[
        str | None,
        typer.Option(help="Base image with python3 + venv (default python:3.11-slim).", envvar="FWKIT_BASE_IMAGE"),
    ] = None,
    tag: Annotated[str | None, typer.Option(help="Image tag (default fwkit:<version>).", envvar="FWKIT_IMAGE")] = None,
) -> None:
    from fwkit.runtime.container import connect
    from fwkit.runtime.image import DEFAULT_BASE_IMAGE, default_tag
    from fwkit.runtime.image import build as build_image

    def echo(line: str) -> None:
        typer.echo(line, err=True)

    client = connect()
    try:
        build_image(client, base_image or DEFAULT_BASE_IMAGE, tag or default_tag(), echo)
    finally:
        client.close()
