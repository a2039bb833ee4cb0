"""Placeholder until its issue lands: replaced by the real command."""

from fwkit.errors import FwkitError


def doctor() -> None:
    """Not built yet."""
    raise FwkitError("'fwkit doctor' is not built yet")
