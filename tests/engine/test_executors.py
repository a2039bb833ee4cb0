"""The Executor contract: the same job through the in-process executor and the process pool, at two
work-item sizes, gives byte-identical shards, for text files, parquet files and a --dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fwkit.engine.executor import Executor, InProcessExecutor
from fwkit.engine.pipeline import JobRun, run_tokenize
from fwkit.engine.settings import TokenizeSettings
from fwkit.engine.source import Source
from fwkit.executors.processes import ProcessExecutor
from fwkit.sources import LocalSource, discover
from fwkit.sources.hub import HubSource, HubSpec

EXECUTORS: dict[str, Callable[[], Executor]] = {
    "in-process": InProcessExecutor,
    "processes": lambda: ProcessExecutor(2, 4),
}
ITEM_BYTES = (16 * 1024, 1 << 20)


def _shas(out: Path, source: Source, executor: Callable[[], Executor], item_bytes: int) -> list[str]:
    settings = TokenizeSettings(out_dir=out, shard_tokens=30_000, quiet=True)
    manifest = run_tokenize(settings, source, JobRun(start_executor=executor, item_bytes=item_bytes))
    assert manifest["complete"] and manifest["tokens"] > 60_000  # several shards, so boundaries count
    return [s["sha256"] for s in manifest["shards"]]


def _all_runs(tmp_path: Path, make_source: Callable[[], Source]) -> dict[tuple[str, int], list[str]]:
    return {
        (name, size): _shas(tmp_path / f"{name}-{size}", make_source(), executor, size)
        for name, executor in EXECUTORS.items()
        for size in ITEM_BYTES
    }


def _assert_identical(runs: dict[tuple[str, int], list[str]]) -> None:
    first = next(iter(runs.values()))
    for key, shas in runs.items():
        assert shas == first, f"{key} wrote other shards than {next(iter(runs))}"


@pytest.fixture(scope="module")
def text_file(tmp_path_factory: pytest.TempPathFactory, corpus_file: Path) -> Path:
    path = tmp_path_factory.mktemp("contract") / "docs.txt"
    path.write_bytes(corpus_file.read_bytes()[:400_000])
    return path


def test_text_files(tmp_path: Path, text_file: Path) -> None:
    _assert_identical(_all_runs(tmp_path, lambda: LocalSource(discover([text_file]), "\n\n", "text", "replace")))


def test_parquet_files(tmp_path: Path, fineweb_repo: Path) -> None:
    files = discover([fineweb_repo / "sample/10BT"])
    _assert_identical(_all_runs(tmp_path, lambda: LocalSource(files, "\n\n", "text", "replace")))


def test_a_dataset(tmp_path: Path, fineweb_repo: Path) -> None:
    spec = HubSpec(str(fineweb_repo), "sample-10BT")
    runs = _all_runs(tmp_path, lambda: HubSource(spec))
    _assert_identical(runs)
    local = _shas(
        tmp_path / "local",
        LocalSource(discover([fineweb_repo / "sample/10BT"]), None, "text", "replace"),
        InProcessExecutor,
        1 << 20,
    )
    assert next(iter(runs.values())) == local, "the dataset's stream differs from its files read locally"
