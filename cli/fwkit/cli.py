"""The `fwkit` command: thin commands wired together; each lives in `fwkit/commands/<name>.py`.

Errors a user can fix (`FwkitError`) print as one line and exit with their documented code;
anything else prints one line too, and the traceback only with `--debug` (or `FWKIT_DEBUG=1`).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from fwkit import __version__
from fwkit.commands import cloud, doctor, image, run, swap, tokenize, verify
from fwkit.errors import PARENT_REPORTS, REPORTED_BY_PARENT_ENV, FwkitError

# click's exceptions, wherever this Typer takes click from (newer Typer vendors it as typer._click).
_click = importlib.import_module(typer.BadParameter.__module__)


def _debug() -> bool:
    return os.environ.get("FWKIT_DEBUG", "") not in ("", "0")


def print_error(message: str) -> None:
    """One red line on stderr: the format of every error fwkit reports."""
    from rich.console import Console
    from rich.markup import escape

    # escaped: a message may hold brackets (`pip install 'fwkit[fast]'`) that are not markup
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}", markup=True)


class FwkitGroup(TyperGroup):
    """Turns `FwkitError` (and, without --debug, any crash) into one line and an exit code.

    Option errors too: click's usage error becomes one line (what is wrong, then where the help is)
    instead of Typer's boxed usage, as every other error is.
    """

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _click.NoArgsIsHelpError as err:  # `fwkit tokenize` alone: the help, as Typer shows it
            from typer.rich_utils import rich_format_error

            rich_format_error(err)
            sys.exit(err.exit_code)
        except _click.ClickException as err:
            ctx = getattr(err, "ctx", None)
            where = f" (`{ctx.command_path} -h` for help)" if ctx is not None else ""
            print_error(f"{err.format_message()}{where}")
            sys.exit(err.exit_code)
        except typer.Abort:
            print_error("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        """Before parsing (which prints --help), drop the flags' `<bool>` metavars everywhere."""
        from fwkit.commands.helptext import hide_flag_types

        hide_flag_types(self, self.context_class(self, info_name=info_name, **self.context_settings))
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except FwkitError as err:
            if not (os.environ.get(REPORTED_BY_PARENT_ENV) and err.exit_code in PARENT_REPORTS):
                print_error(err.message)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            raise
        except Exception as err:
            # Usage errors, Exit and Abort belong to click (vendored by newer Typer): let them through.
            if _debug() or type(err).__module__.split(".")[0] in ("click", "typer"):
                raise
            print_error(f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)")
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=FwkitGroup,
    name="fwkit",
    help="Tokenize web-scale text into GPT-2 shards without being OOM-killed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"fwkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.", envvar="FWKIT_DEBUG")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Tokenize web-scale text into GPT-2 shards without being OOM-killed."""
    if debug:
        os.environ["FWKIT_DEBUG"] = "1"


app.command("tokenize", no_args_is_help=True)(tokenize.tokenize)
app.command("verify", no_args_is_help=True)(verify.verify)
app.command("doctor")(doctor.doctor)
app.command(
    "run",
    no_args_is_help=True,
    # tokenize's options pass through after the inputs, no `--` needed
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)(run.run)
app.add_typer(image.app, name="image")
app.add_typer(swap.app, name="swap")
app.add_typer(cloud.app, name="cloud")


def main() -> None:
    """Console-script entry point (through `fwkit.__main__`)."""
    try:
        app(prog_name="fwkit")
    except KeyboardInterrupt:  # while Typer builds the command, before its own handler is in place
        sys.exit(130)


if __name__ == "__main__":
    main()
    sys.exit(0)
