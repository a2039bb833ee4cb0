"""Parse and print human sizes: `16G`, `512M`, `1.5GiB` for bytes, `100M`, `1e8` for token counts."""

from __future__ import annotations

import re

from fwkit.errors import FwkitError

_BYTE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_COUNT_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9, "T": 10**12}
MAX_VALUE = 2.0**63  # sizes and counts fit an int64 (1e400 is infinity, and no disk holds 2**63 bytes)
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([A-Za-z]*)\s*$")


def parse_bytes(text: str, what: str = "size") -> int:
    """`16G`, `16GiB`, `16gb`, `512M`, `1048576` -> bytes. Units are binary (Docker's convention)."""
    match = _SIZE_RE.match(str(text))
    unit = match.group(2).upper().removesuffix("IB").removesuffix("B") if match else ""
    if not match or unit not in _BYTE_UNITS:
        raise FwkitError(f"{what} {text!r} is not a size: use a number with K, M, G or T, e.g. 16G")
    number = float(match.group(1)) * _BYTE_UNITS[unit]
    if not number < MAX_VALUE:
        raise FwkitError(f"{what} {text!r} is too large: use a number with K, M, G or T, e.g. 16G")
    value = int(number)
    if value <= 0:
        raise FwkitError(f"{what} {text!r} must be larger than zero")
    return value


def parse_count(text: str, what: str = "count") -> int:
    """`100M`, `1e8`, `100000000`, `10B` -> an integer count (decimal units, as token counts are)."""
    match = _SIZE_RE.match(str(text))
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _COUNT_UNITS:
        raise FwkitError(f"{what} {text!r} is not a count: use e.g. 100M, 1e8 or 100000000")
    value = float(match.group(1)) * _COUNT_UNITS[unit]
    if not value < MAX_VALUE:
        raise FwkitError(f"{what} {text!r} is too large: use e.g. 100M, 1e8 or 100000000")
    if value < 1 or value != int(value):
        raise FwkitError(f"{what} {text!r} must be a whole number of at least 1")
    return int(value)


def format_bytes(n: float) -> str:
    """Bytes -> `1.5 GiB`; binary units, as `free -h` and Docker print them.

    A value that rounds to 1024.0 of a unit is printed in the next one (1 GiB - 4 KiB: `1.0 GiB`).
    """
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(round(n, 0 if unit == "B" else 1)) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def format_count(n: float) -> str:
    """Tokens -> `1.23M`; decimal units, as token counts are quoted (10B tokens)."""
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:.0f}"
