"""Placeholder until its issue lands: replaced by the real command."""

from fwkit.errors import FwkitError


def verify() -> None:
    """Not built yet."""
    raise FwkitError("'fwkit verify' is not built yet")
