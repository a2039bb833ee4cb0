"""Runs one tokenize job: a Source's work items -> an Executor -> the shard writer -> the manifest.

    fwkit tokenize train.txt --out data/ --format npy

The flow is handed its Source (where the text comes from), an Executor (where the items run) and
a format (through the settings); it never looks inside any of them. It moves work items and
token arrays, and
checkpoints (open shard fsynced, then the manifest rewritten atomically) every few seconds and
after every finished shard, so a kill loses seconds of work. SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any

from fwkit.engine.encode import resolve
from fwkit.engine.executor import Executor
from fwkit.engine.failures import os_failure, resume_command
from fwkit.engine.items import Cursor, ItemResult, Planned
from fwkit.engine.manifest import (
    add_index_entry,
    checkpoint_of,
    load_manifest,
    new_manifest,
    record_backend,
    save_manifest,
)
from fwkit.engine.outdir import out_dir_lock, prepare_out_dir
from fwkit.engine.progress import Progress
from fwkit.engine.settings import TokenizeSettings
from fwkit.engine.source import Source
from fwkit.engine.worker import tokenize_item
from fwkit.engine.writer import ShardRecord, ShardWriter, remove_work_dir
from fwkit.errors import EXIT_SIGINT, FwkitError
from fwkit.sizes import format_count

CHECKPOINT_SECONDS = 5.0  # a kill loses at most this much work; FWKIT_CHECKPOINT_SECONDS overrides


def checkpoint_seconds() -> float:
    """Seconds between checkpoints (each one fsyncs the open shard and rewrites the manifest)."""
    text = os.environ.get("FWKIT_CHECKPOINT_SECONDS")
    try:
        seconds = float(text) if text is not None else CHECKPOINT_SECONDS
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        raise FwkitError(f"FWKIT_CHECKPOINT_SECONDS={text!r} is not a number of seconds: e.g. 5, or unset it")
    return seconds


class Stopped(FwkitError):
    """The job was asked to stop (SIGINT/SIGTERM) and left a resumable state."""


class _Signals:
    """First SIGINT/SIGTERM/SIGHUP: stop after the current item. Second SIGINT: exit at once."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is not None and signum == signal.SIGINT:
            os._exit(EXIT_SIGINT)  # nothing under a final name is incomplete, so this is safe
        self.received = signum

    def __enter__(self) -> _Signals:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a closed terminal stops it like SIGTERM
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class _Job:
    """The state of one run: the manifest dict being filled, the writer, the counters."""

    def __init__(self, settings: TokenizeSettings, manifest: dict[str, Any], source: Source) -> None:
        self.settings, self.manifest, self.source = settings, manifest, source
        cursor, state = checkpoint_of(manifest)
        self.cursor: Cursor = cursor
        self.done_bytes = int((manifest["checkpoint"] or {}).get("done_bytes", 0))
        self.consumed: dict[str, Any] | None = (manifest["checkpoint"] or {}).get("consumed")
        self.writer = ShardWriter(
            settings.out_dir,
            settings.shard_format(),
            settings.prefix,
            settings.shard_tokens,
            settings.val_tokens,
            on_finished=self._shard_finished,
            state=state,
        )
        self.shard_finished = False
        self.last_checkpoint = time.monotonic()
        self.on_checkpoint: Callable[[], None] = lambda: None  # the executor's `committed`
        self.unsaved = False  # items added since the last checkpoint

    def _shard_finished(self, record: ShardRecord) -> None:
        self.manifest["shards"].append(record.to_json())
        self.shard_finished = True

    def add(self, planned: Planned, result: ItemResult) -> None:
        m = self.manifest
        add_index_entry(m, self.cursor, m["tokens"])
        self.writer.append(result.tokens)
        m["documents"] += result.documents
        m["tokens"] += int(result.tokens.size)
        m["input_bytes"] += result.input_bytes
        m["replaced_utf8"] += result.replaced
        m["skipped_null"] += result.skipped
        self.cursor = planned.end
        self.done_bytes = planned.done_bytes
        self.consumed = planned.consumed
        self.unsaved = True
        if self.shard_finished or time.monotonic() - self.last_checkpoint >= checkpoint_seconds():
            self.checkpoint()

    def checkpoint(self) -> None:
        state = self.writer.sync()
        self.manifest["checkpoint"] = {
            "cursor": asdict(self.cursor),
            "writer": asdict(state),
            "done_bytes": self.done_bytes,
            "continue_from": self.source.resume_point(self.cursor),
            "consumed": self.consumed,  # the Source's digest of what was read: resume past a fixed line
        }
        save_manifest(self.settings.out_dir, self.manifest)
        self.shard_finished = False
        self.unsaved = False
        self.last_checkpoint = time.monotonic()
        self.on_checkpoint()

    def complete(self) -> None:
        self.writer.finish()
        self.manifest["complete"] = True
        self.manifest["checkpoint"] = None
        save_manifest(self.settings.out_dir, self.manifest)
        remove_work_dir(self.settings.out_dir)  # after the manifest says complete: a kill between leaves only litter


def _saved_on_failure(job: _Job, results: Iterator[tuple[Planned, ItemResult]]) -> Iterator[tuple[Planned, ItemResult]]:
    """`results`, but when an item fails (a line that is not JSON, a worker killed), what was done
    before it is checkpointed first: the resume after the fix starts at that item, not seconds
    before it."""
    try:
        yield from results
    except FwkitError:
        if job.unsaved:
            with contextlib.suppress(OSError):  # the failure is what the user must see
                job.checkpoint()
        raise


@dataclass
class JobRun:
    """How to run a job, decided outside the engine (from host facts, options, the cluster)."""

    start_executor: Callable[[], Executor]  # called once the out dir is ready
    item_bytes: int  # the size the Source cuts text into
    memory: Callable[[], int] = lambda: 0  # the job's memory now, for the progress line
    notes: list[str] = field(default_factory=list)  # said before the work starts (e.g. sizing)


def run_tokenize(settings: TokenizeSettings, source: Source, run: JobRun) -> dict[str, Any]:
    """Run (or resume) the job described by `settings` on `source`; returns the final manifest."""
    source.check()
    spec = resolve(settings.tokenizer, note=run.notes.append)  # `auto` -> a checked backend
    settings = replace(settings, tokenizer=spec)
    run.notes.append(f"backend {spec.backend} {spec.backend_version}")
    described = source.describe()
    fresh = new_manifest(settings.output_settings(), described["inputs"], described["source"], settings.tokenizer)
    record_backend(fresh, spec.backend, spec.backend_version)
    with out_dir_lock(settings.out_dir):
        return _run_in_out_dir(settings, source, run, fresh)


def _run_in_out_dir(settings: TokenizeSettings, source: Source, run: JobRun, fresh: dict[str, Any]) -> dict[str, Any]:
    """The job itself, once the out dir is this process's alone."""
    try:
        manifest = prepare_out_dir(settings, fresh, source.read_part_changed)
    except OSError as err:  # a full disk (or no inode left) before the first byte
        raise os_failure(settings, err, 0, source.total_bytes(), 0) from None
    if manifest is None:  # --resume on a complete run
        done = load_manifest(settings.out_dir)
        assert done is not None
        if not settings.quiet:
            print(
                f"{settings.out_dir}: already complete ({done['tokens']:,} tokens); nothing to do",
                file=sys.stderr,
            )
        return done
    record_backend(
        manifest, settings.tokenizer.backend, settings.tokenizer.backend_version
    )  # a resumed run may use another one
    total = source.total_bytes()
    try:
        job = _Job(settings, manifest, source)
    except OSError as err:
        raise os_failure(settings, err, 0, total, manifest["tokens"]) from None
    progress = Progress(total, settings.quiet, run.memory, start=(manifest["tokens"], job.done_bytes))
    for note in run.notes:
        progress.note(note)
    planned = source.plan(run.item_bytes, job.cursor, job.consumed)
    show = lambda: progress.update(manifest["documents"], manifest["tokens"], job.done_bytes)  # noqa: E731
    work = partial(tokenize_item, spec=settings.tokenizer)
    workers = 0
    try:
        with _Signals() as signals:
            progress.note("starting workers")
            with run.start_executor() as executor:
                workers = executor.workers
                progress.status = executor.status
                job.on_checkpoint = executor.committed
                stop = lambda: signals.received is not None  # noqa: E731
                results = executor.imap(work, planned, on_idle=show, should_stop=stop)
                for item, result in _saved_on_failure(job, results):
                    job.add(item, result)
                    show()
                    if signals.received is not None:
                        break
            if signals.received is not None:
                job.checkpoint()
                code = 128 + signals.received  # 130 SIGINT, 143 SIGTERM, 129 SIGHUP
                name = signal.Signals(signals.received).name
                raise Stopped(
                    f"stopped by {name} after {manifest['tokens']:,} tokens; resume with `{resume_command(settings)}`",
                    code,
                )
            job.complete()
    except OSError as err:
        job.writer.abandon()
        raise os_failure(settings, err, job.done_bytes, total, manifest["tokens"]) from None
    except FwkitError:
        job.writer.abandon()
        raise
    progress.update(manifest["documents"], manifest["tokens"], total or job.done_bytes, force=True)
    if manifest["documents"] == 0:  # complete, but an empty file, only separators, zero rows
        print(f"warning: the inputs hold no documents: {settings.out_dir} has no shards", file=sys.stderr)
    elapsed = progress.elapsed()
    progress.finish(
        f"done: {manifest['documents']:,} documents, {format_count(manifest['tokens'])} tokens "
        f"({manifest['tokens']:,}) in {len(manifest['shards'])} shards, {elapsed:.1f} s, "
        f"{format_count(progress.rate(manifest['tokens']))} tok/s, "
        f"{workers} workers -> {settings.out_dir}"
    )
    return manifest
