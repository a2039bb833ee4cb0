"""Command help that prints as written: a summary, `Examples:` on its own line, one example per line.

Typer's rich help joins single line breaks of the first paragraph and wraps every line at the
terminal's width. So the examples come after a blank line, and each is at most `EXAMPLE_WIDTH`
characters (longer ones are split with a shell `\\` continuation, which still pastes as one
command): on an 80-column terminal none is rewrapped mid-flag. Notes are one paragraph, wrapped by
the terminal. `hide_flag_types` drops the `<bool>` Typer >= 0.24 shows beside every flag.
"""

from __future__ import annotations

from typing import Any

EXAMPLE_WIDTH = 76  # 80 columns - Typer's 1-space margin each side - 2 spare


def with_examples(summary: str, examples: list[str], notes: str = "") -> str:
    """The help text for a command: `summary`, then its examples verbatim, then `notes`.

    tests/cli/test_help.py holds every example line to `EXAMPLE_WIDTH`.
    """
    body = "\n".join(examples)
    text = f"{summary.strip()}\n\nExamples:\n{body}"
    return f"{text}\n\n{' '.join(notes.split())}" if notes else text


def example_lines(help_text: str) -> list[str]:
    """The example lines of a help text made by `with_examples` (for tests and docs)."""
    _, found, rest = help_text.partition("\n\nExamples:\n")
    return [line.strip() for line in rest.split("\n\n")[0].splitlines()] if found else []


def hide_flag_types(command: Any, ctx: Any) -> None:
    """Give every flag of `command` (and of its subcommands) an empty metavar: no `<bool>` in --help."""
    params = [*command.params]
    help_option = command.get_help_option(ctx)
    params += [help_option] if help_option is not None else []
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        hide_flag_types(sub, ctx)
