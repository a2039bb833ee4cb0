"""The disk-full line's "more needed" (issue 16 saw 0 B at the start and 2.2 TiB mid-run): the
input left, times the tokens a byte of it makes here (or ~1 token per 4 bytes before 1 MiB is read),
times the bytes a token takes in the shards."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest

from fwkit.engine.failures import os_failure
from fwkit.engine.settings import TokenizeSettings

MiB = 1 << 20


def _needed(tmp_path: Path, done: int, total: int, tokens: int) -> float:
    settings = TokenizeSettings(out_dir=tmp_path, quiet=True)  # gpt2: 2-byte ids
    err = os_failure(settings, OSError(errno.ENOSPC, "No space left on device"), done, total, tokens)
    found = re.search(r"about ([\d.]+) (B|KiB|MiB|GiB|TiB) more needed", err.message)
    assert found, err.message
    return float(found[1]) * 1024 ** ["B", "KiB", "MiB", "GiB", "TiB"].index(found[2])


@pytest.mark.parametrize(
    ("done", "total", "tokens", "expected"),
    [
        (0, 100 * MiB, 0, 50 * MiB),  # at the start: 100 MiB of text, ~25M tokens, 2 bytes each
        (512 * 1024, 100 * MiB, 200_000, 49.75 * MiB),  # under 1 MiB read: still the default ratio
        (10 * MiB, 100 * MiB, 2 * MiB, 36 * MiB),  # measured: 0.2 tokens a byte, 90 MiB left
    ],
)
def test_more_needed_is_what_the_rest_of_the_input_makes(
    tmp_path: Path, done: int, total: int, tokens: int, expected: float
):
    assert _needed(tmp_path, done, total, tokens) == pytest.approx(expected, rel=0.01)
