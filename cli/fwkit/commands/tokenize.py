"""Placeholder until its issue lands: replaced by the real command."""

from fwkit.errors import FwkitError


def tokenize() -> None:
    """Not built yet."""
    raise FwkitError("'fwkit tokenize' is not built yet")
