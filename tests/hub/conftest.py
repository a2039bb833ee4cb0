"""Fixtures for the Hub-streaming tests: a FineWeb-like local repo (see fineweb_repo.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fineweb_repo import documents, make_repo


@pytest.fixture(scope="session")
def fineweb_docs(english_text: str, chinese_text: str) -> list[str]:
    return documents(english_text, chinese_text)


@pytest.fixture(scope="session")
def fineweb_repo(tmp_path_factory: pytest.TempPathFactory, fineweb_docs: list[str]) -> Path:
    return make_repo(tmp_path_factory.mktemp("fineweb-edu"), fineweb_docs)
