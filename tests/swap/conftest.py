"""Fixtures for the real swap-file tests: a sandbox under /var/tmp that is always torn down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swap.swapfiles import SwapSandbox, sandboxed


@pytest.fixture
def sandbox() -> Iterator[SwapSandbox]:
    yield from sandboxed()
