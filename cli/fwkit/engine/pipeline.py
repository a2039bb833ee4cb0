"""Runs one tokenize job: sources -> splitter -> worker pool -> shard writer -> manifest.

    fwkit tokenize train.txt --out data/ --format npy

The flow never looks inside the formats or the inputs; it moves work items and token arrays, and
checkpoints (open shard fsynced, then the manifest rewritten atomically) every few seconds and
after every finished shard, so a kill loses seconds of work. SIGINT/SIGTERM stop it cleanly.
"""

from __future__ import annotations

import errno
import os
import shlex
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fwkit.engine.budget import ITEMS_IN_FLIGHT_PER_WORKER, JobSize, size_job
from fwkit.engine.formats import FORMATS
from fwkit.engine.items import Cursor, ItemResult, Planned
from fwkit.engine.manifest import add_index_entry, checkpoint_of, load_manifest, new_manifest, save_manifest
from fwkit.engine.outdir import out_dir_lock, prepare_out_dir
from fwkit.engine.pool import OrderedPool
from fwkit.engine.progress import Progress
from fwkit.engine.settings import TokenizeSettings
from fwkit.engine.worker import tokenize_item
from fwkit.engine.writer import ShardRecord, ShardWriter
from fwkit.errors import EXIT_SIGINT, EXIT_SIGTERM, FwkitError, read_failed
from fwkit.sizes import format_bytes, format_count
from fwkit.sources import check_inputs, discover, plan_items
from fwkit.sources.files import InputFile

CHECKPOINT_SECONDS = 5.0  # a kill loses at most this much work; FWKIT_CHECKPOINT_SECONDS overrides


def checkpoint_seconds() -> float:
    """Seconds between checkpoints (each one fsyncs the open shard and rewrites the manifest)."""
    return float(os.environ.get("FWKIT_CHECKPOINT_SECONDS", CHECKPOINT_SECONDS))


class Stopped(FwkitError):
    """The job was asked to stop (SIGINT/SIGTERM) and left a resumable state."""


class _Signals:
    """First SIGINT/SIGTERM: stop after the current item. Second SIGINT: exit at once."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is not None and signum == signal.SIGINT:
            os._exit(EXIT_SIGINT)  # nothing under a final name is incomplete, so this is safe
        self.received = signum

    def __enter__(self) -> _Signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _resume_command(settings: TokenizeSettings) -> str:
    words = [w for w in settings.command if w not in ("--resume", "--overwrite")] or ["fwkit", "tokenize"]
    return shlex.join([*words, "--resume"])


class _Job:
    """The state of one run: the manifest dict being filled, the writer, the counters."""

    def __init__(self, settings: TokenizeSettings, manifest: dict[str, Any], size: JobSize) -> None:
        self.settings, self.manifest, self.size = settings, manifest, size
        cursor, state = checkpoint_of(manifest)
        self.cursor: Cursor = cursor
        self.writer = ShardWriter(
            settings.out_dir,
            FORMATS[settings.format],
            settings.prefix,
            settings.shard_tokens,
            settings.val_tokens,
            on_finished=self._shard_finished,
            state=state,
        )
        self.shard_finished = False
        self.last_checkpoint = time.monotonic()

    def _shard_finished(self, record: ShardRecord) -> None:
        self.manifest["shards"].append(record.to_json())
        self.shard_finished = True

    def add(self, planned: Planned, result: ItemResult) -> None:
        m = self.manifest
        add_index_entry(m, self.cursor, m["tokens"])
        self.writer.append(result.tokens)
        m["documents"] += result.documents
        m["tokens"] += int(result.tokens.size)
        m["input_bytes"] += result.text_bytes
        m["replaced_utf8"] += result.replaced
        m["skipped_null"] += result.skipped
        self.cursor = planned.end
        if self.shard_finished or time.monotonic() - self.last_checkpoint >= checkpoint_seconds():
            self.checkpoint()

    def checkpoint(self) -> None:
        state = self.writer.sync()
        self.manifest["checkpoint"] = {"cursor": asdict(self.cursor), "writer": asdict(state)}
        if self.settings.hub is not None:  # where a --dataset run continues: data file and row group
            from fwkit.sources.hub import next_position

            self.manifest["checkpoint"]["continue_from"] = next_position(self.settings.hub, self.cursor)
        save_manifest(self.settings.out_dir, self.manifest)
        self.shard_finished = False
        self.last_checkpoint = time.monotonic()

    def complete(self) -> None:
        self.writer.finish()
        self.manifest["complete"] = True
        self.manifest["checkpoint"] = None
        save_manifest(self.settings.out_dir, self.manifest)


def _disk_full(settings: TokenizeSettings, done: int, total: int, tokens: int) -> FwkitError:
    import shutil

    free = shutil.disk_usage(settings.out_dir).free
    need = int((total - done) * (2 * tokens / max(done, 1)))  # output bytes per input byte so far
    return FwkitError(
        f"{settings.out_dir}: disk full ({format_bytes(free)} free, about {format_bytes(need)} more needed): "
        f"free space, then resume with `{_resume_command(settings)}`"
    )


def _io_failed(settings: TokenizeSettings, err: OSError) -> FwkitError:
    """An I/O error named by its file: an input that cannot be read, or the out dir that cannot be written."""
    failed = Path(err.filename) if isinstance(err.filename, str) else None
    if failed is not None and not failed.resolve().is_relative_to(settings.out_dir.resolve()):
        return read_failed(failed, err.strerror)
    return FwkitError(f"{settings.out_dir}: write failed ({err.strerror}): fix it, then rerun with --resume")


def _resolve_hub(settings: TokenizeSettings) -> tuple[int, dict[str, Any]]:
    """(row-group shards, manifest `source`) of a --dataset run; (0, {}) for local inputs."""
    if settings.hub is None:
        return 0, {}
    from fwkit.sources.hub import resolve

    shards, resolved = resolve(settings.hub)
    return shards, settings.hub.source(resolved)


def run_tokenize(settings: TokenizeSettings) -> dict[str, Any]:
    """Run (or resume) the job described by `settings`; returns the final manifest."""
    inputs = discover(settings.inputs) if settings.hub is None else []
    check_inputs(inputs, settings.text_column)
    hub_shards, source = _resolve_hub(settings)
    fresh = new_manifest(settings.output_settings(), [f.record() for f in inputs], source=source)
    with out_dir_lock(settings.out_dir):
        return _run_in_out_dir(settings, inputs, hub_shards, fresh)


def _run_in_out_dir(
    settings: TokenizeSettings, inputs: list[InputFile], hub_shards: int, fresh: dict[str, Any]
) -> dict[str, Any]:
    """The job itself, once the out dir is this process's alone."""
    from fwkit.host.cgroup import memory_limit_bytes
    from fwkit.host.cpu import usable_cpus

    manifest = prepare_out_dir(settings, fresh)
    if manifest is None:  # --resume on a complete run
        done = load_manifest(settings.out_dir)
        assert done is not None
        if not settings.quiet:
            print(
                f"{settings.out_dir}: already complete ({done['tokens']:,} tokens); nothing to do",
                file=sys.stderr,
            )
        return done
    budget = settings.mem_bytes if settings.mem_bytes else memory_limit_bytes()
    size = size_job(usable_cpus(), budget, settings.workers)
    job = _Job(settings, manifest, size)
    total = sum(f.size for f in inputs) if settings.hub is None else hub_shards  # hub: progress in row groups
    before = [sum(f.size for f in inputs[:i]) for i in range(len(inputs))] or [0]
    progress = Progress(total, settings.quiet)
    done_bytes = before[job.cursor.input_index] if job.cursor.input_index < len(before) else 0
    if settings.hub is None:
        planned = plan_items(
            inputs, settings.doc_sep, size.item_bytes, settings.text_column, settings.errors, job.cursor
        )
    else:
        from fwkit.sources.hub import plan_shards

        planned = plan_shards(settings.hub, hub_shards, job.cursor)
    show = lambda: progress.update(manifest["documents"], manifest["tokens"], done_bytes)  # noqa: E731
    try:
        with (
            _Signals() as signals,
            OrderedPool(tokenize_item, size.workers, size.workers * ITEMS_IN_FLIGHT_PER_WORKER) as pool,
        ):
            stream = ((p, p.payload) for p in planned)
            for item, result in pool.imap(stream, on_idle=show, should_stop=lambda: signals.received is not None):
                job.add(item, result)
                done_bytes = before[item.end.input_index] + item.input_done_bytes
                show()
                if signals.received is not None:
                    break
            if signals.received is not None:
                job.checkpoint()
                code = EXIT_SIGINT if signals.received == signal.SIGINT else EXIT_SIGTERM
                name = signal.Signals(signals.received).name
                raise Stopped(
                    f"stopped by {name} after {manifest['tokens']:,} tokens; resume with `{_resume_command(settings)}`",
                    code,
                )
            job.complete()
    except OSError as err:
        job.writer.abandon()
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _disk_full(settings, done_bytes, total, manifest["tokens"]) from None
        raise _io_failed(settings, err) from None
    except FwkitError:
        job.writer.abandon()
        raise
    progress.update(manifest["documents"], manifest["tokens"], total, force=True)
    elapsed = progress.elapsed()
    progress.finish(
        f"done: {manifest['documents']:,} documents, {format_count(manifest['tokens'])} tokens "
        f"({manifest['tokens']:,}) in {len(manifest['shards'])} shards, {elapsed:.1f} s, "
        f"{format_count(manifest['tokens'] / max(elapsed, 1e-6))} tok/s, "
        f"{size.workers} workers -> {settings.out_dir}"
    )
    return manifest
