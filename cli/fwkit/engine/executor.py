"""The Executor seam: something that maps work items to results, in order, with bounded work in
flight. The pipeline is handed one and never asks where the work runs.

- `InProcessExecutor` (here): runs each item in this process; tests of the flow, `--workers 0`-like debugging.
- `fwkit.executors.processes.ProcessExecutor`: the local pool of worker processes (the default).
- `fwkit.executors.ray`: tasks on a Ray cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from fwkit.engine.items import ItemResult, Planned, WorkItem

WorkFn = Callable[[WorkItem], ItemResult]  # picklable: e.g. functools.partial(tokenize_item, spec=...)


class Executor(Protocol):
    """Runs `fn` on planned items; yields (planned, result) in the order the items came."""

    workers: int  # how many items it works on at once (for messages and sizing)

    def imap(
        self,
        fn: WorkFn,
        planned: Iterable[Planned],
        on_idle: Callable[[], None] = ...,
        should_stop: Callable[[], bool] = ...,
    ) -> Iterator[tuple[Planned, ItemResult]]:
        """Results in input order. Reads `planned` no further than its bound of work in flight;
        calls `on_idle` while it waits; stops taking new items once `should_stop()` is true."""
        ...

    def committed(self) -> None:
        """Every result yielded so far is durable in the shards (the engine checkpointed): an
        executor that kept something of them for a resume (Ray's segments) may drop it now."""
        ...

    def status(self) -> str:
        """A few words on the work in flight for the progress line ("" when counts say it all)."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class InProcessExecutor:
    """One item at a time, in this process: the flow without processes (tests, debugging)."""

    workers = 1

    def imap(
        self,
        fn: WorkFn,
        planned: Iterable[Planned],
        on_idle: Callable[[], None] = lambda: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[Planned, ItemResult]]:
        for p in planned:
            if should_stop():
                return
            yield p, fn(p.item)

    def committed(self) -> None:
        return None

    def status(self) -> str:
        return ""

    def __enter__(self) -> InProcessExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
