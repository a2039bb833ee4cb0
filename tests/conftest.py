"""Shared fixtures: real prose from Debian's documentation packages (English and Chinese).

Synthetic text alone hides tokenizer bugs, so the corpora are real: the reStructuredText sources
of the Python 3.11 library docs (`python3.11-doc`) and Chinese man pages (`manpages-zh`). `.ci/run`
installs both; without them these fixtures fail loudly rather than skip.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fineweb_repo import documents, make_repo

PY_DOCS = Path("/usr/share/doc/python3.11/html/_sources")
ZH_MAN = Path("/usr/share/man/zh_CN")
IN_CI = os.environ.get("CI") == "true"


def _require(path: Path, package: str) -> None:
    if not path.exists():
        pytest.fail(f"{path} is missing: `apt-get install {package}` (.ci/run does) for the real-text fixtures")


@pytest.fixture(scope="session")
def english_text() -> str:
    """About 6 MB of English prose and code samples (Python's library reference)."""
    _require(PY_DOCS, "python3.11-doc")
    files = sorted((PY_DOCS / "library").glob("*.rst.txt"))
    return "\n\n".join(p.read_text(encoding="utf-8") for p in files)


@pytest.fixture(scope="session")
def chinese_text() -> str:
    """About 1-2 MB of Chinese man pages (troff source: CJK without spaces, markup, punctuation)."""
    _require(ZH_MAN, "manpages-zh")
    files = sorted(ZH_MAN.rglob("*.gz"))[:400]
    return "\n\n".join(gzip.decompress(p.read_bytes()).decode("utf-8", errors="replace") for p in files)


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory: pytest.TempPathFactory, english_text: str, chinese_text: str) -> Path:
    """A mixed-language text file of real prose, documents separated by blank lines."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text(english_text[:3_000_000] + "\n\n" + chinese_text[:1_000_000], encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def fineweb_docs(english_text: str, chinese_text: str) -> list[str]:
    """The documents of `fineweb_repo`, in the dataset's order."""
    return documents(english_text, chinese_text)


@pytest.fixture(scope="session")
def fineweb_repo(tmp_path_factory: pytest.TempPathFactory, fineweb_docs: list[str]) -> Path:
    """A local directory laid out like HuggingFaceFW/fineweb-edu (see fineweb_repo.py); read-only."""
    return make_repo(tmp_path_factory.mktemp("fineweb-edu"), fineweb_docs)


@pytest.fixture(scope="session")
def tokenize_cmd() -> object:
    """The `fwkit tokenize` click command, whose parameters `split_tokenize_args` reads."""
    import typer

    from fwkit.cli import app

    return typer.main.get_command(app).get_command(None, "tokenize")  # type: ignore[attr-defined]
