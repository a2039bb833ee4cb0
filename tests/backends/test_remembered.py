"""A fast backend's start-check pass is remembered per machine and versions, and never replaces the
workers' own check (`fwkit.backends.remembered`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_run import tokenize
from fwkit.backends import remembered
from fwkit.engine import encode
from fwkit.engine.encode import TokenizerSpec, resolve


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("FWKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / remembered.CACHE_NAME


def _no_spawn(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the start check was spawned again")


def test_a_pass_is_remembered_and_a_new_version_is_checked_again(cache: Path, monkeypatch: pytest.MonkeyPatch):
    first = resolve(TokenizerSpec("gpt2", backend="auto"), note=print)
    assert first.backend == "gigatoken"
    assert list(json.loads(cache.read_text()).values()) == [["gigatoken", first.backend_version]]

    monkeypatch.setattr(encode, "ProcessPoolExecutor", _no_spawn)
    assert resolve(TokenizerSpec("gpt2", backend="auto"), note=print) == first  # from the cache
    with pytest.raises(AssertionError, match="spawned again"):  # another tokenizer: its own check
        resolve(TokenizerSpec("cl100k_base", backend="auto"), note=print)
    installed = remembered._installed
    monkeypatch.setattr(remembered, "_installed", lambda p: "9.9" if p == "gigatoken" else installed(p))
    with pytest.raises(AssertionError, match="spawned again"):  # an upgrade: checked again
        resolve(TokenizerSpec("gpt2", backend="auto"), note=print)


def test_a_refusal_is_never_remembered(cache: Path):
    resolve(TokenizerSpec("gpt2", backend="tiktoken"), note=print)
    with pytest.raises(Exception, match="crashed on its start check"):
        resolve(TokenizerSpec("gpt2", backend="fakes.crashing_backend"), note=print)
    assert not cache.exists()


def test_a_wrong_remembered_pass_is_caught_by_the_workers_own_check(cache: Path, tmp_path: Path, english_text: str):
    """A cache that names a version the workers do not have (edited, or from an older install under
    the same key) cannot make a job run unchecked: every worker checks its backend itself."""
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({remembered.key("gigatoken", "gpt2"): ["gigatoken", "0.0.1"]}))
    source = tmp_path / "in.txt"
    source.write_text(english_text[:200_000], encoding="utf-8")
    code, output = tokenize(source, "--out", tmp_path / "out", "--backend", "gigatoken", "--workers", "1")
    assert code != 0 and "the job was checked with 0.0.1" in output, output
    assert (
        not (tmp_path / "out" / "manifest.json").exists()
        or '"complete": true' not in (tmp_path / "out" / "manifest.json").read_text()
    )
