"""Fixtures for the real swap-file tests: a sandbox under /var/tmp that is always torn down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swap.swapfiles import SwapSandbox, need_root


@pytest.fixture
def sandbox() -> Iterator[SwapSandbox]:
    need_root()
    box = SwapSandbox()
    try:
        yield box
    finally:
        box.cleanup()
