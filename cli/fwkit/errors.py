"""The one exception type for errors a user can fix, and the documented exit codes.

Every module raises `FwkitError` with a one-line message that names the file and the fix; the CLI
prints it as one line and exits with its code. Tracebacks appear only with `--debug`.
"""

from __future__ import annotations

# Documented exit codes (README, "Exit codes").
EXIT_OK = 0
EXIT_ACTION_NEEDED = 1  # doctor: swap or cloud first; verify: a problem found
EXIT_BAD_INPUT = 2  # bad input, bad option, broken host setup
EXIT_OOM = 3  # fwkit run: the job was killed by the OOM killer
EXIT_SIGINT = 130  # 128 + SIGINT
EXIT_SIGTERM = 143  # 128 + SIGTERM

# Set by `fwkit run` for its tokenize child: an OOM kill or a stop is reported once, by fwkit run,
# which knows the cap, the peak and the resume command; the child prints no second line.
REPORTED_BY_PARENT_ENV = "FWKIT_REPORTED_BY_PARENT"
PARENT_REPORTS = (EXIT_OOM, EXIT_SIGINT, EXIT_SIGTERM)


class FwkitError(Exception):
    """An error the user can fix: one line that says what is wrong and what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_BAD_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def read_failed(path: object, strerror: str | None) -> FwkitError:
    """An input that cannot be read, whoever read it (splitter or worker): the last checkpoint stays."""
    return FwkitError(f"{path}: read failed ({strerror}): fix it, then rerun with --resume")
