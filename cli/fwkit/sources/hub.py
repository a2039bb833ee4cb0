"""Hugging Face Hub datasets, streamed: one work item per parquet row group, nothing cached on disk.

    fwkit tokenize --dataset HuggingFaceFW/fineweb-edu --subset sample-10BT --out edu_fineweb10B

`datasets.load_dataset(..., streaming=True)` lists the data files in the dataset's own order;
`IterableDataset.reshard()` splits them into one shard per row group (datasets' parquet builder,
`_generate_more_gen_kwargs`), and shards 0..n-1 concatenated are the dataset's rows in order (the
tests check it). The main process resolves the dataset once; each worker keeps its own resharded
copy (`_resharded`, cached) and reads shard k's text column in batches. A row group is idempotent,
so a transient network error retries it whole, with back-off. HF_TOKEN is read by
huggingface_hub itself; fwkit never prints or stores it.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

from fwkit.engine.items import Cursor, Planned, ReadStats
from fwkit.errors import FwkitError
from fwkit.sources.rows import row_documents

RETRY_ATTEMPTS = 5  # tries per row group; FWKIT_HUB_ATTEMPTS overrides
RETRY_BASE_SECONDS = 2.0  # back-off 2, 4, 8, 16 s (30 s in all); FWKIT_HUB_RETRY_SECONDS overrides
BATCH_ROWS = 1024  # rows decoded at a time (~4 MB of FineWeb text)
# datasets retries a failed read itself 20 times x 5 s; fwkit's retry of the whole row group is
# the outer loop, so datasets' own is shortened to 3 tries x 1 s (a blip is still absorbed inside).
STREAMING_READ_MAX_RETRIES = 3
STREAMING_READ_RETRY_INTERVAL = 1
HUB_PROBE_SECONDS = 3  # connecting to the Hub before asking it for anything
T = TypeVar("T")
_COMMIT = re.compile(r"@([0-9a-f]{40})/")


@dataclass(frozen=True)
class HubSpec:
    """What to stream: a Hub dataset id (or a local directory laid out like one), or parquet URLs."""

    dataset: str
    subset: str | None = None
    split: str = "train"
    revision: str | None = None
    data_files: tuple[str, ...] = ()  # with dataset "parquet": these files, in this order
    text_column: str = "text"

    def source(self, resolved: str | None) -> dict[str, Any]:
        """The manifest's `source` (no token: it is never written)."""
        record = asdict(self)
        record["data_files"] = list(self.data_files)
        record["resolved_revision"] = resolved
        return record


def _configure() -> None:
    import threading

    import datasets
    from tqdm import tqdm

    # datasets' progress bars (off) would still make tqdm create a multiprocessing lock in every
    # worker, which the pool's shutdown reports as a "leaked semaphore"; a thread lock is enough.
    tqdm.set_lock(threading.RLock())

    datasets.config.STREAMING_READ_MAX_RETRIES = STREAMING_READ_MAX_RETRIES
    datasets.config.STREAMING_READ_RETRY_INTERVAL = min(STREAMING_READ_RETRY_INTERVAL, retry_policy()[1])
    datasets.disable_progress_bars()


def _load(spec: HubSpec) -> Any:
    import datasets

    _configure()
    files = {spec.split: list(spec.data_files)} if spec.data_files else None
    return datasets.load_dataset(
        spec.dataset,
        name=spec.subset,
        split=spec.split,
        revision=spec.revision,
        data_files=files,
        streaming=True,
        columns=[spec.text_column],
    )


HTTP_DENIED = re.compile(r"(?<![\d:.])\b40[13]\b(?![\d.])")  # a 401/403 status, not a port like :40367


def _permanent(spec: HubSpec, err: Exception) -> FwkitError:
    """One line naming what was asked and the fix (never the token, which is not in any of these)."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    name = type(err).__name__
    what = f"--dataset {spec.dataset}" + (f" --subset {spec.subset}" if spec.subset else "")
    if name in ("GatedRepoError",) or HTTP_DENIED.search(text) or "gated" in text.lower():
        return FwkitError(f"{what}: no access ({text}): accept its terms on the Hub and set HF_TOKEN")
    if name in ("DatasetNotFoundError", "RepositoryNotFoundError", "FileNotFoundError", "EmptyDatasetError"):
        return FwkitError(f"{what}: no such dataset or data files ({text}): check the name")
    if "BuilderConfig" in text or ("config" in text.lower() and name == "ValueError"):
        return FwkitError(f"{what}: no such subset ({text}): choose one the dataset lists")
    if "split" in text.lower() or "revision" in text.lower():
        return FwkitError(f"{what} --split {spec.split}: {text}: check --split / --revision")
    return FwkitError(f"{what}: cannot load ({name}: {text})")


def hub_unreachable(spec: HubSpec) -> str | None:
    """Why the Hub cannot be asked right now (offline mode, no route), in a few seconds at most.

    Without this check an offline run would wait through huggingface_hub's and fwkit's retries
    (minutes) for a name that does not resolve.
    """
    import socket
    from pathlib import Path
    from urllib.parse import urlparse

    name = spec.dataset
    local = Path(name).exists() or name.startswith(("/", ".", "~")) or name.count("/") > 1
    if local or spec.data_files:
        return None  # a local directory (a Hub id is `name` or `owner/name`), or explicit files
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes") or os.environ.get("HF_DATASETS_OFFLINE"):
        return f"--dataset {spec.dataset}: offline mode (HF_HUB_OFFLINE / HF_DATASETS_OFFLINE), the Hub is not asked"
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = endpoint.hostname or "huggingface.co", endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=HUB_PROBE_SECONDS).close()
    except OSError as err:
        what = f"--dataset {spec.dataset}" + (f" --subset {spec.subset}" if spec.subset else "")
        return f"{what}: the Hub ({host}) cannot be reached from here ({err.strerror or err})"
    return None


def resolve(spec: HubSpec) -> tuple[int, str | None]:
    """(row-group shards, resolved commit hash or None for local files); permanent errors exit 2."""
    unreachable = hub_unreachable(spec)
    if unreachable:  # fail in seconds, before any out dir exists: nothing to resume
        raise FwkitError(f"{unreachable}: check the network (HF_ENDPOINT, proxy), then run the command again")

    def load() -> tuple[Any, list[str]]:
        ds = _resharded(spec)
        return ds, [f for k in range(ds.num_shards) for f in _where(ds, k)[0]]

    ds, files = retried(load, lambda: f"--dataset {spec.dataset}", lambda err: _permanent(spec, err))
    if spec.text_column not in (ds.column_names or [spec.text_column]):
        raise FwkitError(f"--dataset {spec.dataset}: no column {spec.text_column!r}: use --text-column NAME")
    commits = {m.group(1) for f in files if (m := _COMMIT.search(f))}
    return ds.num_shards, (commits.pop() if len(commits) == 1 else None)


@functools.lru_cache(maxsize=4)
def _resharded(spec: HubSpec) -> Any:
    return _load(spec).reshard()


def _where(ds: Any, k: int) -> tuple[list[str], list[int]]:
    """The data file(s) and row group(s) of shard k (for messages and the manifest)."""
    kwargs = getattr(ds.shard(ds.num_shards, k, contiguous=True)._ex_iterable, "kwargs", {})
    files = [str(f) for f in kwargs.get("files", [])]
    groups = [g for gs in kwargs.get("row_groups_list", []) or [] for g in gs]
    return files, groups


def describe_shard(spec: HubSpec, k: int) -> str:
    """ "<data file> row group <g>" for messages; without a loaded dataset, the shard number."""
    try:
        files, groups = _where(_resharded(spec), k)
    except Exception:  # the dataset itself cannot be loaded right now: say what is known
        files, groups = [], []
    if not files:
        return f"--dataset {spec.dataset} row-group shard {k}"
    return f"{', '.join(files)} row group {', '.join(map(str, groups))}"


def _transient(err: Exception) -> bool:
    """Timeouts, 5xx, dropped connections: worth retrying. A 404 or bad data is not."""
    text = f"{type(err).__name__} {err}"
    if isinstance(err, FileNotFoundError | PermissionError) or re.search(r"\b(401|403|404)\b", text):
        return False
    if re.search(r"\b5\d\d\b", text) or re.search(r"(?i)timeout|timed out|connection|reset|disconnect", text):
        return True
    return isinstance(err, ConnectionError | TimeoutError | OSError)


def retry_policy() -> tuple[int, float]:
    """(attempts, first back-off in seconds) from the environment or the defaults."""
    return int(os.environ.get("FWKIT_HUB_ATTEMPTS", RETRY_ATTEMPTS)), float(
        os.environ.get("FWKIT_HUB_RETRY_SECONDS", RETRY_BASE_SECONDS)
    )


def shard_texts(spec: HubSpec, k: int, n: int) -> Iterator[list[str | None]]:
    """Shard k's text column in batches of BATCH_ROWS rows (read once; the caller retries)."""
    ds = _resharded(spec)
    if ds.num_shards != n:
        raise FwkitError(f"--dataset {spec.dataset}: now {ds.num_shards} row groups, the run planned {n}")
    for batch in ds.shard(n, k, contiguous=True).iter(batch_size=BATCH_ROWS):
        yield batch[spec.text_column]


def retried(read: Callable[[], T], where: Callable[[], str], permanent: Callable[[Exception], FwkitError]) -> T:
    """`read()`, retried whole with back-off on transient errors, each retry reported on stderr."""
    attempts, base = retry_policy()
    for attempt in range(1, attempts + 1):
        try:
            return read()
        except FwkitError:
            raise
        except Exception as err:  # network stacks raise many types; _transient sorts them
            if not _transient(err):
                raise permanent(err) from None
            first = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            if attempt == attempts:
                raise FwkitError(
                    f"{where()}: still failing after {attempts} tries ({first}): "
                    "check the network, then rerun with --resume"
                ) from None
            delay = base * 2 ** (attempt - 1)
            print(f"fwkit: {where()}: {first}; retry {attempt}/{attempts - 1} in {delay:g} s", file=sys.stderr)
            time.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def with_retries(spec: HubSpec, k: int, read: Callable[[], T]) -> T:
    """`read()` for shard k (a row group: idempotent, so retried whole); errors name file and row group."""

    def permanent(err: Exception) -> FwkitError:
        first = str(err).splitlines()[0] if str(err) else ""
        return FwkitError(f"{describe_shard(spec, k)}: cannot read ({type(err).__name__}: {first})")

    return retried(read, lambda: describe_shard(spec, k), permanent)


@dataclass(frozen=True)
class HubShard:
    """One row group of a streamed Hub dataset: shard `shard_index` of `num_shards`, retried whole."""

    spec: HubSpec
    shard_index: int
    num_shards: int
    portable = True  # a dataset id / URLs at a pinned revision: readable from any machine online

    def describe(self) -> str:
        return describe_shard(self.spec, self.shard_index)

    def attempt(self, read: Callable[[], T]) -> T:
        return with_retries(self.spec, self.shard_index, read)

    def documents(self, stats: ReadStats) -> Iterator[tuple[str, bool]]:
        return row_documents(shard_texts(self.spec, self.shard_index, self.num_shards), stats)


def _file_size(path: str) -> int | None:
    """A data file's size (a local path or an fsspec URL such as hf://); None when it cannot be had."""
    try:
        import fsspec

        fs, inner = fsspec.core.url_to_fs(path)
        return int(fs.size(inner))
    except Exception:  # progress only: an unknown size means no ETA, never a failed run
        return None


class HubSource:
    """A Hub dataset (or a local directory laid out like one), one work item per row group.

    `check()` resolves it once (the revision is pinned in the manifest's `source`); progress counts
    the data files' bytes, each row group a share of its file.
    """

    def __init__(self, spec: HubSpec) -> None:
        self.spec = spec
        self.num_shards = 0
        self.resolved: str | None = None
        self._done: list[int] | None = None  # bytes done after each shard

    def check(self) -> None:
        self.num_shards, self.resolved = resolve(self.spec)
        self._done = _progress_bytes(self.spec, self.num_shards)

    def describe(self) -> dict[str, Any]:
        return {"inputs": [], "source": self.spec.source(self.resolved)}

    def total_bytes(self) -> int | None:
        return self._done[-1] if self._done else None

    def plan(
        self, item_bytes: int, start: Cursor = Cursor(), consumed: dict[str, Any] | None = None
    ) -> Iterator[Planned]:
        """One item per row-group shard, from `start.offset` (the next shard) on resume (no digest:
        a dataset is pinned to a commit, and resume compares its files, never their contents).

        Items name the commit resolved here, so every worker (a Ray node's too) reads the same
        files even if the branch moves during the run."""
        spec = replace(self.spec, revision=self.resolved) if self.resolved else self.spec
        for k in range(start.offset, self.num_shards):
            done = self._done[k] if self._done else 0
            yield Planned(HubShard(spec, k, self.num_shards), Cursor(0, k), Cursor(0, k + 1), done)

    def resume_point(self, cursor: Cursor) -> dict[str, Any] | None:
        return next_position(self.spec, cursor)

    def read_part_changed(self, index: int, cursor: Cursor, consumed: dict[str, Any] | None) -> str | None:
        return "a dataset is compared whole"  # it has no local inputs: never asked


def _progress_bytes(spec: HubSpec, num_shards: int) -> list[int] | None:
    """Cumulative data-file bytes after each row-group shard; None when a file's size is unknown."""
    ds = _resharded(spec)
    where = [_where(ds, k) for k in range(num_shards)]
    groups_per_file: dict[str, int] = {}
    for files, _ in where:
        for f in files:
            groups_per_file[f] = groups_per_file.get(f, 0) + 1
    sizes = {f: _file_size(f) for f in groups_per_file}
    if any(size is None for size in sizes.values()):
        return None
    seen: dict[str, int] = {}  # row groups of each file counted so far
    done, total = [], 0
    for files, _ in where:
        for f in files:  # group j of g: size*(j+1)//g - size*j//g, so a file's groups add up to its size
            j, g, size = seen.get(f, 0), groups_per_file[f], sizes[f] or 0
            total += size * (j + 1) // g - size * j // g
            seen[f] = j + 1
        done.append(total)
    return done


def next_position(spec: HubSpec, cursor: Cursor) -> dict[str, Any] | None:
    """Where a partial run continues (data file, row group), for the manifest; None when done."""
    ds = _resharded(spec)  # already loaded by `resolve` in this process
    if cursor.offset >= ds.num_shards:
        return None
    files, groups = _where(ds, cursor.offset)
    return {"shard": cursor.offset, "data_files": files, "row_groups": groups}


def spec_of(source: dict[str, Any]) -> HubSpec:
    """The HubSpec a manifest's `source` records (for resume checks and `fwkit verify --sample`)."""
    fields = {k: source.get(k) for k in ("dataset", "subset", "split", "revision", "text_column")}
    return HubSpec(**fields, data_files=tuple(source.get("data_files") or ()))  # type: ignore[arg-type]


def open_recorded(source: dict[str, Any]) -> HubSource:
    """The source a manifest's `source` records, resolved again; refused if the revision moved."""
    spec = spec_of(source)
    hub = HubSource(spec)
    hub.check()
    if hub.resolved != source.get("resolved_revision"):
        raise FwkitError(
            f"--dataset {spec.dataset}: now resolves to {hub.resolved}, "
            f"the run read {source.get('resolved_revision')}: cannot re-tokenize samples"
        )
    return hub


def estimate_dataset(spec: HubSpec) -> tuple[int | None, str]:
    """(total parquet bytes of the subset/split, how it was found) for `fwkit doctor --dataset`.

    Offline, or for a dataset without metadata, (None, why it cannot know)."""
    try:
        import datasets

        _configure()
        builder = datasets.load_dataset_builder(spec.dataset, name=spec.subset, revision=spec.revision)
        info = builder.info
        split = (info.splits or {}).get(spec.split)
        if split is not None and split.num_bytes:
            return int(split.num_bytes), f"the dataset's metadata (split {spec.split!r}, {split.num_examples} rows)"
        if info.download_size:
            return int(info.download_size), "the dataset's metadata (download size)"
        return None, f"--dataset {spec.dataset}: its metadata gives no size"
    except Exception as err:  # offline, gated, missing: say why in one line
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return None, f"--dataset {spec.dataset}: cannot reach its metadata ({type(err).__name__}: {first})"
