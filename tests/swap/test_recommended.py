"""The swap size the doctor plans: gap + max(25%, 1 GiB), rounded up to a whole GiB."""

from __future__ import annotations

import pytest

from fwkit.swap import GiB, MiB, recommended_swap_bytes


@pytest.mark.parametrize(
    ("need", "limit", "expected"),
    [
        (16 * GiB, 16 * GiB, 0),  # exactly enough RAM: no swap
        (8 * GiB, 16 * GiB, 0),  # more than enough
        (17 * GiB, 16 * GiB, 2 * GiB),  # gap 1 GiB, margin 1 GiB (25% = 256 MiB is below the floor)
        (40 * GiB, 16 * GiB, 30 * GiB),  # gap 24 GiB, margin 6 GiB
        (16 * GiB + 1, 16 * GiB, 2 * GiB),  # one byte over: 1 B + 1 GiB, rounded up to 2 GiB
        (100 * GiB + 100 * MiB, 0, 126 * GiB),  # gap 100.1 GiB + 25.02 GiB = 125.1 GiB -> 126 GiB
    ],
)
def test_recommended_swap_bytes(need: int, limit: int, expected: int) -> None:
    assert recommended_swap_bytes(need, limit) == expected


@pytest.mark.parametrize("gap", [1, 123 * MiB, 3 * GiB + 7, 50 * GiB])
def test_recommended_covers_gap_with_margin_in_whole_gib(gap: int) -> None:
    size = recommended_swap_bytes(10 * GiB + gap, 10 * GiB)
    assert size % GiB == 0
    assert size >= gap + max(gap // 4, GiB)
    assert size - (gap + max(gap // 4, GiB)) < GiB + 1
