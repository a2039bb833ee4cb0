"""`--help` of every command on an 80-column terminal: no `<bool>`, `Examples:` on its own line,
and every example line printed whole (never rewrapped mid-flag)."""

from __future__ import annotations

import re

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from fwkit.cli import app
from fwkit.commands.helptext import EXAMPLE_WIDTH, example_lines

BOX = re.compile(r"^[\s│]*(.*?)[\s│]*$")


def _commands(command, path=()):
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = [" ".join(path) for path, _ in _commands(get_command(app))]


@pytest.mark.parametrize("path", COMMANDS)
def test_help_fits_80_columns_and_keeps_examples_whole(path: str) -> None:
    result = CliRunner().invoke(app, [*path.split(), "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    lines = [BOX.match(line).group(1) for line in result.output.splitlines()]
    command = dict((" ".join(p), c) for p, c in _commands(get_command(app)))[path]
    examples = example_lines(command.help or "")
    assert all(len(example) <= EXAMPLE_WIDTH for example in examples), examples
    if "Examples:" in result.output:
        assert examples, f"`fwkit {path} --help` prints Examples: but none follow"
        at = lines.index("Examples:")
        assert lines[at + 1 : at + 1 + len(examples)] == examples


def test_every_command_with_options_has_an_example() -> None:
    for path in ("tokenize", "run", "doctor", "verify", "cloud up", "swap create", "swap remove", "image build"):
        command = dict((" ".join(p), c) for p, c in _commands(get_command(app)))[path]
        assert example_lines(command.help or ""), path
