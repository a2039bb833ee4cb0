"""A real two-node Ray cluster on this machine, for the --engine ray tests and the benchmark.

    with two_node_cluster(tmp_dir) as cluster:
        subprocess.run([..., "--engine", "ray", "--ray-address", cluster.address], env=cluster.env)

Each node is a `ray start --block` process in its own session (head: GCS + raylet; second node:
its own raylet, temp dir and ports), one CPU each, bound to 127.0.0.1, with token auth on (a
token file of its own, so ~/.ray is not touched). `--block` makes the `ray start` process the
parent of its node's processes and kill them when it ends; teardown still kills each node's
whole process group by its id, so nothing outlives the block even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

RAY = str(Path(sys.executable).with_name("ray"))
TESTS = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120.0  # a head starts in ~10-20 s on a quiet machine; CI shares 2 cores
NODE_MEMORY = 1 << 30  # the `memory` resource each node advertises (Ray would read the whole host)
OBJECT_STORE = 100 << 20  # per node; tasks return small records, never token arrays


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RayNode:
    """One `ray start --block` process and its log."""

    name: str
    proc: subprocess.Popen
    log: Path

    def processes(self) -> list[psutil.Process]:
        """The node's processes (raylet, GCS, agents, workers), found from its `ray start`."""
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def has_raylet(self) -> bool:
        return any(_name(p) == "raylet" and p.status() != psutil.STATUS_ZOMBIE for p in self.processes())

    def raylet(self) -> psutil.Process:
        found = [p for p in self.processes() if _name(p) == "raylet"]
        assert found, f"{self.name}: no raylet running (log: {self.log})"
        return found[0]

    def workers(self, task: str) -> list[psutil.Process]:
        """Worker processes running the task named `task` now (Ray titles them `ray::NAME`)."""
        return [p for p in self.processes() if _cmdline(p).startswith(f"ray::{task}")]

    def stop(self) -> None:
        """SIGTERM the node (its block process cleans up), then SIGKILL what is left: its process
        group, and the workers, which Ray puts in process groups of their own."""
        left = self.processes()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        for p in left:
            with contextlib.suppress(psutil.Error):
                p.kill()
        self.proc.wait()


def _name(p: psutil.Process) -> str:
    try:
        return p.name()
    except psutil.Error:
        return ""


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


@dataclass
class TwoNodeCluster:
    """A head and a second node; `env` is what a driver (and `ray start`) needs to join it."""

    root: Path
    address: str
    env: dict[str, str]
    client_address: str  # the head's Ray Client server: ray://HOST:PORT
    nodes: list[RayNode] = field(default_factory=list)

    @property
    def head(self) -> RayNode:
        return self.nodes[0]

    @property
    def second(self) -> RayNode:
        """The newest node that is not the head (a test may have replaced the first one)."""
        return self.nodes[-1]

    def start_node(self, name: str, args: list[str]) -> RayNode:
        temp = self.root / name  # short: Ray's socket paths must stay under 108 bytes
        temp.mkdir(parents=True, exist_ok=True)
        log = self.root / f"{name}.log"
        command = [
            RAY, "start", "--block", "--num-cpus", "1", "--memory", str(NODE_MEMORY),
            "--object-store-memory", str(OBJECT_STORE), "--node-ip-address", "127.0.0.1",
            "--temp-dir", str(temp), "--dashboard-agent-listen-port", str(free_port()),
            "--disable-usage-stats", *args,
        ]  # fmt: skip
        with open(log, "wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        node = RayNode(name, proc, log)
        self.nodes.append(node)
        _wait_for(lambda: b"Ray runtime started" in log.read_bytes(), node, "to start")
        return node

    def alive_nodes(self) -> int:
        """Nodes the GCS counts alive, asked by a short-lived driver (as fwkit would see them)."""
        code = f"import ray; ray.init(address={self.address!r}, logging_level='ERROR'); "
        code += "print(sum(n['Alive'] for n in ray.nodes()))"
        out = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=120)
        return int(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else 0

    def ensure_two_nodes(self) -> None:
        """Start a new second node if a test killed one (its raylet gone: the node is dead)."""
        if len(self.nodes) >= 2 and self.second.proc.poll() is None and self.second.has_raylet():
            return
        self.start_node(f"node{len(self.nodes) + 1}", ["--address", self.address])
        self.wait_for_nodes(2)

    def wait_for_nodes(self, count: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while self.alive_nodes() < count:
            assert time.monotonic() < deadline, f"{count} nodes are not alive (logs: {self.root})"
            time.sleep(1)

    def stop(self) -> None:
        for node in reversed(self.nodes):
            node.stop()


def _wait_for(ready: object, node: RayNode, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            return
        if node.proc.poll() is not None:
            break
        time.sleep(0.5)
    raise AssertionError(f"ray node {node.name} failed {what}:\n{node.log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def two_node_cluster(root: Path) -> Iterator[TwoNodeCluster]:
    """Start a head and a second node (one CPU each); always torn down, also when the body fails."""
    root.mkdir(parents=True, exist_ok=True)
    token = root / "auth_token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "RAY_USAGE_STATS_ENABLED": "0"}
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # the nodes' own (for emulated S3)
    # tests/ importable by the nodes' workers too: a test backend (tests/fakes) is loaded there by name
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), env.get("PYTHONPATH", "")) if p)
    env.pop("RAY_ADDRESS", None)
    port, client_port = free_port(), free_port()
    cluster = TwoNodeCluster(root, f"127.0.0.1:{port}", env, f"ray://127.0.0.1:{client_port}")
    try:
        cluster.start_node(
            "head",
            ["--head", "--port", str(port), "--ray-client-server-port", str(client_port), "--include-dashboard=false"],
        )
        cluster.start_node("node2", ["--address", cluster.address])
        cluster.wait_for_nodes(2)
        yield cluster
    finally:
        cluster.stop()
