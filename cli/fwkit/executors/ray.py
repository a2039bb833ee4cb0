"""The Ray executor: one Ray Core task per work item, results in input order, nothing big in Ray.

    fwkit tokenize train.txt --out /shared/data --engine ray --ray-address 10.0.0.5:6379

Each task runs the same worker function as a local run on one unit (a planned work item), writes
its tokens to a segment in the out dir (`fwkit.executors.segments`: a path every node sees) and
returns a small record. The driver keeps a bounded number of tasks in flight (`ray.wait`), and
hands the writer each unit's segment, in order, as a read-only memmap: the writer copies those
bytes into exactly the shards a local run writes. No token array passes through Ray's object store
or grows in the driver. A worker or node that dies mid-task is retried by Ray (`max_retries`);
a unit is idempotent (same item, same tokens, atomic segment), so the output does not change.
Ray is imported only here, and this module only when `--engine ray` is asked for.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fwkit.engine.budget import DEFAULT_TOKENIZER, worker_peak_bytes
from fwkit.engine.executor import WorkFn
from fwkit.engine.items import ItemResult, Planned
from fwkit.errors import EXIT_OOM, FwkitError
from fwkit.executors import segments
from fwkit.executors.segment_store import forwarded_environment, open_store
from fwkit.executors.segments import Record
from fwkit.sizes import format_bytes

POLL_SECONDS = 0.2  # how often a waiting driver checks signals and redraws progress
MAX_RETRIES = 3  # Ray retries a task whose worker or node died this often; FWKIT_RAY_MAX_RETRIES overrides
OBJECT_STORE_MIN = 80 << 20  # Ray refuses less than 75 MiB; tasks return records of a few hundred bytes
CONNECT_SECONDS = 10.0  # an address that does not answer in this long is reported, not waited on
TASK_NAME = "fwkit_tokenize"  # workers show as `ray::fwkit_tokenize` in ps while they run a unit
# Units submitted and not yet delivered, per task slot. A finished unit waits on disk (its segment)
# for the ones before it, not in the driver's memory, so a deeper window than the local pool's 2
# costs nothing and keeps a slot busy while the unit at the head of the line is slow.
UNITS_IN_FLIGHT_PER_SLOT = 4


def start_importing_ray() -> None:
    """Fail now, in one line, if Ray is not installed; else import it in a thread (~0.7 s) while the
    driver opens its inputs and out dir: `import_ray` then finds it loaded, or waits for the rest."""
    from importlib.util import find_spec

    if find_spec("ray") is None:
        import_ray()  # raises the install line
    threading.Thread(target=_import_quietly, daemon=True).start()


def _import_quietly() -> None:
    """In the thread: any failure is left for `import_ray` in the main thread to report."""
    with contextlib.suppress(Exception):
        import_ray()


def import_ray() -> Any:
    """Ray, or the one line that says how to get it."""
    try:
        import ray
    except ImportError:
        raise FwkitError("--engine ray needs Ray: pip install 'fwkit[ray]'") from None
    return ray


def check_reachable(address: str) -> None:
    """Fail in seconds on an address nobody listens at (Ray itself retries the GCS for minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", or a form only Ray knows: let it decide
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as err:
        raise FwkitError(
            f"cannot reach the Ray cluster at {address} ({err.strerror or err}): check --ray-address / RAY_ADDRESS"
        ) from None


def task_memory_bytes(item_bytes: int, tokenizer: str = DEFAULT_TOKENIZER, backend_bytes: int = 0) -> int:
    """What one task needs (fwkit's budget for a worker, with what a fast backend adds to it,
    `fwkit.backends.worker_bytes`): Ray schedules no more than fit a node."""
    return worker_peak_bytes(item_bytes, tokenizer, backend_bytes)


def object_store_bytes(workers: int, item_bytes: int) -> int:
    """A local Ray's object store: the units in flight may carry their bytes (compressed inputs)."""
    return OBJECT_STORE_MIN + workers * UNITS_IN_FLIGHT_PER_SLOT * item_bytes


@dataclass(frozen=True)
class LocalRay:
    """A Ray started by this driver on this machine, sized from fwkit's own reading of the host
    (Ray itself reads the cgroup limit only at the cgroup root, and would count the whole host)."""

    num_cpus: int
    memory: int
    object_store_memory: int


def run_unit(fn: WorkFn, planned: Planned, location: str, run: str) -> dict[str, Any]:
    """The task: tokenize one unit, write its segment, return its record (or the user's error)."""
    import ray

    node = ray.get_runtime_context().get_node_id()
    try:
        result = fn(planned.item)
        return {"record": asdict(segments.write_segment(open_store(location), planned, result, run, node))}
    except FwkitError as err:  # a bad input is not retried: the same message a local run gives
        return {"error": err.message, "exit_code": err.exit_code}


def _failure(ray: Any, err: Exception, planned: Planned, retries: int) -> FwkitError:
    """A task Ray gave up on, as one line naming the unit."""
    where = planned.item.describe()
    if isinstance(err, ray.exceptions.OutOfMemoryError):
        return FwkitError(f"{where}: Ray's memory monitor killed the task: give the nodes more memory", EXIT_OOM)
    if isinstance(err, ray.exceptions.RayTaskError):
        if os.environ.get("FWKIT_DEBUG"):
            print(str(err), flush=True)
        cause = err.cause if getattr(err, "cause", None) is not None else err
        return FwkitError(f"{where}: {type(cause).__name__}: {cause} (rerun with --debug for the traceback)", 1)
    if isinstance(err, ray.exceptions.TaskUnschedulableError | ray.exceptions.RuntimeEnvSetupError):
        return FwkitError(f"{where}: Ray cannot run the task ({str(err).splitlines()[0]})", 1)
    kind = type(err).__name__
    return FwkitError(
        f"{where}: the Ray task failed {retries + 1} times ({kind}): a node or worker keeps dying "
        "(out of memory?); fix the cluster, then rerun with --resume",
        EXIT_OOM if isinstance(err, ray.exceptions.WorkerCrashedError) else 1,
    )


@dataclass
class _Unit:
    planned: Planned
    ref: Any = None  # the task's ObjectRef, None when reused from a previous run
    reused: tuple[Record, np.ndarray] | None = None


class RayExecutor:
    """The Executor on a Ray cluster: joined by address, or started here (`local`)."""

    def __init__(
        self,
        out_dir: Path,
        address: str | None,
        local: LocalRay | None,
        item_bytes: int,
        dtype: np.dtype,
        settings: dict[str, Any],
        resume: bool,
        max_workers: int | None = None,
        say: Callable[[str], None] = lambda _: None,
        scratch: str | None = None,
        tokenizer: str = DEFAULT_TOKENIZER,
        backend_bytes: int = 0,
    ) -> None:
        self.out_dir, self.address, self.local = out_dir, address, local
        self.task_memory = task_memory_bytes(item_bytes, tokenizer, backend_bytes)
        self.item_bytes, self.dtype, self.settings, self.resume = item_bytes, dtype, settings, resume
        self.max_workers, self.say, self.tokenizer = max_workers, say, tokenizer
        self.store = open_store(segments.store_location(out_dir, scratch))
        self.run = uuid.uuid4().hex[:12]
        self.retries = int(os.environ.get("FWKIT_RAY_MAX_RETRIES", MAX_RETRIES))
        self.workers = 0
        self.submitted = self.reused = self.delivered = 0
        self.nodes: dict[str, int] = {}  # units run per Ray node (this run's tasks only)
        self.exhausted = False
        self._units: deque[_Unit] = deque()
        self._delivered: list[str] = []  # keys handed to the writer, not yet durable in shards
        self._ray: Any = None
        self._task: Any = None

    # -- connecting ----------------------------------------------------------------------------
    def __enter__(self) -> RayExecutor:
        ray = self._ray = import_ray()
        self._prepare_store()
        import fwkit

        runtime_env = {  # the workers run this driver's fwkit, whatever the cluster has installed
            "py_modules": [str(Path(fwkit.__file__).parent)],
            "excludes": ["__pycache__", "*.pyc", "terraform"],
            "env_vars": forwarded_environment(),  # the S3 endpoint and region, never a credential
        }
        common = {"runtime_env": runtime_env, "log_to_driver": False, "logging_level": "ERROR"}
        try:
            if self.local is None:
                ray.init(address=self.address, **common)
            else:
                ray.init(
                    address="local",  # a new Ray here: never one found running on this machine
                    num_cpus=self.local.num_cpus,
                    _memory=self.local.memory,  # ray.init calls the `memory` resource `_memory`
                    object_store_memory=self.local.object_store_memory,
                    include_dashboard=False,
                    **common,
                )
        except (ConnectionError, RuntimeError, ValueError, ray.exceptions.RayError) as err:
            where = self.address or "a local Ray"
            raise FwkitError(f"cannot start or join Ray at {where}: {str(err).splitlines()[0]}") from None
        slots, nodes, memory = self._check_cluster(ray)
        self.workers = min(slots, self.max_workers) if self.max_workers else slots
        where = "a local Ray" if self.local else f"the Ray cluster at {self.address or 'auto'}"
        self.say(
            f"ray: {nodes} node(s), {slots} CPUs, {format_bytes(memory)} task memory in {where}; "
            f"{self.workers} tasks at a time, units of {format_bytes(self.item_bytes)}, "
            f"segments in {self.store.location}"
        )
        self._task = ray.remote(run_unit).options(
            name=TASK_NAME,
            num_cpus=1,
            memory=self.task_memory,
            max_retries=self.retries,
            retry_exceptions=False,
        )
        return self

    def _prepare_store(self) -> None:
        """Keep the plan and segments of the run being resumed; anything else starts afresh."""
        plan = segments.load_plan(self.store)
        same = plan is not None and plan["item_bytes"] == self.item_bytes and plan["settings"] == self.settings
        if not (self.resume and same):
            segments.new_plan(self.store, self.item_bytes, self.settings)

    def _check_cluster(self, ray: Any) -> tuple[int, int, int]:
        """(task slots = CPUs, nodes, `memory`) of the nodes that can run a task; refused if none can."""
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        need = self.task_memory
        fits = [n for n in nodes if n["Resources"].get("CPU", 0) >= 1 and n["Resources"].get("memory", 0) >= need]
        if not fits:
            raise FwkitError(
                f"no Ray node has 1 CPU and {need >> 20} MiB of `memory` free for a task: add or resize nodes",
                1,
            )
        cpus = int(sum(n["Resources"]["CPU"] for n in fits))
        return cpus, len(fits), int(sum(n["Resources"]["memory"] for n in fits))

    # -- running -------------------------------------------------------------------------------
    def imap(
        self,
        fn: WorkFn,
        planned: Iterable[Planned],
        on_idle: Callable[[], None] = lambda: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Iterator[tuple[Planned, ItemResult]]:
        """Results in input order; at most `workers x UNITS_IN_FLIGHT_PER_SLOT` units submitted and not
        yet delivered."""
        ray = self._ray
        source = iter(planned)
        fn_ref = ray.put(fn)
        limit = max(1, self.workers) * UNITS_IN_FLIGHT_PER_SLOT
        while True:
            while not self.exhausted and len(self._units) < limit and not should_stop():
                p = next(source, None)
                if p is None:
                    self.exhausted = True
                    break
                self._units.append(self._submit(fn_ref, p))
            if not self._units:
                return
            unit = self._units[0]
            result = self._result(unit) if unit.ref is None or self._ready(unit) else None
            if result is None:
                if should_stop():
                    return  # the engine checkpoints; finished segments stay for --resume
                on_idle()
                continue
            self._units.popleft()
            self.delivered += 1
            yield unit.planned, result

    def _submit(self, fn_ref: Any, planned: Planned) -> _Unit:
        if not planned.item.portable:
            raise FwkitError(
                f"{planned.item.describe()}: cannot run on Ray: only this machine can read it "
                "(give a path every node sees, or an hf:// / s3:// URL)"
            )
        if self.resume:
            done = segments.finished(self.store, planned, self.dtype)
            if done is not None:
                self.reused += 1
                return _Unit(planned, reused=done)
        self.submitted += 1
        return _Unit(planned, ref=self._task.remote(fn_ref, planned, self.store.location, self.run))

    def _ready(self, unit: _Unit) -> bool:
        ready, _ = self._ray.wait([unit.ref], num_returns=1, timeout=POLL_SECONDS, fetch_local=True)
        return bool(ready)

    def _result(self, unit: _Unit) -> ItemResult:
        if unit.reused is not None:
            record, tokens = unit.reused
        else:
            record, tokens = self._fetch(unit)
        self._delivered.append(record.key)
        return segments.as_result(record, tokens)

    def _fetch(self, unit: _Unit) -> tuple[Record, np.ndarray]:
        ray = self._ray
        try:
            answer = ray.get(unit.ref)
        except ray.exceptions.RayError as err:
            raise _failure(ray, err, unit.planned, self.retries) from None
        if "error" in answer:
            raise FwkitError(answer["error"], answer["exit_code"])
        record = Record(**answer["record"])
        self.nodes[record.node] = self.nodes.get(record.node, 0) + 1
        tokens = segments.open_segment(self.store, record)
        if tokens is None:
            fix = (
                "the object changed after it was written (another run using the same --ray-scratch?)"
                if self.store.location.startswith("s3://")
                else "--out must be a path every node and the driver share, or give --ray-scratch s3://BUCKET/PREFIX"
            )
            raise FwkitError(
                f"{self.store.location}/{record.key}.tokens: written by the Ray task on {record.host}, "
                f"but the driver does not see it whole: {fix}"
            )
        return record, tokens

    def status(self) -> str:
        """Units the writer has, and units sent to Ray and not back yet (on how many nodes so far)."""
        running = sum(unit.ref is not None for unit in self._units)
        return f"units {self.delivered:,} done, {running} on Ray ({len(self.nodes)} node(s) so far)"

    def committed(self) -> None:
        """Everything delivered so far is durable in the shards: drop those segments."""
        for key in self._delivered:
            segments.remove(self.store, key)
        self._delivered.clear()

    # -- stopping ------------------------------------------------------------------------------
    def __exit__(self, *exc: object) -> None:
        ray = self._ray
        if ray is None:
            return
        if exc[0] is None:  # done or stopped; a failure says only its own line
            ran = sum(self.nodes.values())
            reused = f", {self.reused} reused from the run before" if self.reused else ""
            self.say(f"ray: {len(self.nodes)} node(s) ran {ran} of {self.submitted} units sent{reused}")
        if self.exhausted and not self._units and exc[0] is None:
            self.store.remove_all()
        # Units still running are not cancelled: when the driver leaves, Ray ends its job's tasks
        # (and ray.cancel of a task that is just finishing trips a check in Ray 2.60's task manager).
        ray.shutdown()
