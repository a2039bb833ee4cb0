"""Placeholder until its issue lands: replaced by the real command."""

from fwkit.errors import FwkitError


def run() -> None:
    """Not built yet."""
    raise FwkitError("'fwkit run' is not built yet")
