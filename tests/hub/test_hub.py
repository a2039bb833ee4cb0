"""sources/hub.py against a FineWeb-like local repo and a flaky local HTTP server (no Hub here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fineweb_repo import FILES, ROW_GROUP, ROWS, serve
from fwkit.errors import FwkitError
from fwkit.sources.hub import HubSpec, describe_shard, estimate_dataset, resolve, shard_texts, with_retries

GROUPS_PER_FILE = -(-ROWS // ROW_GROUP)  # ceil(40 / 12) = 4


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWKIT_HUB_RETRY_SECONDS", "0.01")


def _all_texts(spec: HubSpec) -> list[str | None]:
    n, _ = resolve(spec)
    return [t for k in range(n) for batch in shard_texts(spec, k, n) for t in batch]


def test_row_group_shards_in_order_equal_the_dataset(fineweb_repo: Path, fineweb_docs: list[str]):
    import datasets

    spec = HubSpec(str(fineweb_repo), "sample-10BT")
    n, resolved = resolve(spec)
    assert n == FILES * GROUPS_PER_FILE
    assert resolved is None  # a local directory has no commit
    plain = datasets.load_dataset(str(fineweb_repo), name="sample-10BT", split="train", streaming=True)
    assert [row["text"] for row in plain] == fineweb_docs
    assert _all_texts(spec) == fineweb_docs
    assert describe_shard(spec, GROUPS_PER_FILE + 1).endswith("001_00000.parquet row group 1")


def test_transient_errors_are_retried_and_the_rows_are_the_same(fineweb_repo: Path, fineweb_docs, capfd):
    with serve(fineweb_repo, flaky="001_00000.parquet", failures=6, mode="drop") as (url, state):
        files = tuple(f"{url}/sample/10BT/{f:03d}_00000.parquet" for f in range(FILES))
        spec = HubSpec("parquet", data_files=files)
        assert _all_texts(spec) == fineweb_docs
    assert state["failed"] == 6
    assert "retry 1/4" in capfd.readouterr().err


def test_a_row_group_that_keeps_failing_names_file_and_row_group(fineweb_repo: Path, monkeypatch):
    monkeypatch.setenv("FWKIT_HUB_ATTEMPTS", "2")
    with serve(fineweb_repo) as (url, state):
        spec = HubSpec("parquet", data_files=(f"{url}/sample/10BT/002_00000.parquet",))
        n, _ = resolve(spec)
        state.update(flaky="002_00000.parquet", failures=1000, mode="503")
        with pytest.raises(FwkitError, match=r"002_00000.parquet row group 2: still failing after 2 tries"):
            with_retries(spec, 2, lambda: list(shard_texts(spec, 2, n)))


def test_permanent_errors_are_one_line(fineweb_repo: Path, tmp_path: Path):
    with serve(fineweb_repo) as (url, _), pytest.raises(FwkitError, match="no such dataset or data files") as err:
        resolve(HubSpec("parquet", data_files=(f"{url}/sample/10BT/missing.parquet",)))
    assert "\n" not in str(err.value)
    with pytest.raises(FwkitError, match="no such dataset"):
        resolve(HubSpec(str(tmp_path / "nope")))
    with pytest.raises(FwkitError, match="--subset sample-999BT") as err:
        resolve(HubSpec(str(fineweb_repo), "sample-999BT"))
    assert "\n" not in str(err.value)


def test_estimate_says_why_it_cannot_know(tmp_path: Path):
    total, reason = estimate_dataset(HubSpec(str(tmp_path / "nope")))
    assert total is None and "cannot reach its metadata" in reason


def test_progress_counts_the_data_files_bytes(fineweb_repo: Path, fineweb_docs: list[str]):
    """A --dataset run's progress and ETA come from the data files' sizes, not row-group counts,
    and its manifest counts the text's UTF-8 bytes (Chinese rows are 3 bytes a character)."""
    from fwkit.engine.items import Cursor
    from fwkit.engine.worker import tokenize_item
    from fwkit.sources.hub import HubSource

    source = HubSource(HubSpec(str(fineweb_repo), "sample-10BT"))
    source.check()
    files = sorted((fineweb_repo / "sample/10BT").glob("*.parquet"))
    assert source.total_bytes() == sum(f.stat().st_size for f in files)
    planned = list(source.plan(0, Cursor()))
    done = [p.done_bytes for p in planned]
    assert done == sorted(done) and done[-1] == source.total_bytes()
    counted = sum(tokenize_item(p.item).input_bytes for p in planned)
    assert counted == sum(len(d.encode("utf-8")) for d in fineweb_docs) > sum(len(d) for d in fineweb_docs)


def test_a_port_with_403_in_it_is_not_a_denied_access() -> None:
    """A missing file served at 127.0.0.1:40367 was reported as "no access": the status is matched as a number alone."""
    from fwkit.sources.hub import _permanent

    spec = HubSpec("parquet")
    missing = _permanent(spec, FileNotFoundError("Unable to find 'http://127.0.0.1:40367/sample/gone.parquet'"))
    assert "no such dataset or data files" in missing.message
    denied = _permanent(spec, OSError("403 Client Error: Forbidden for url: https://huggingface.co/x"))
    assert "no access" in denied.message
