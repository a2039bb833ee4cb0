"""Helpers for the cloud tests against an emulated AWS: a `moto_server` on 127.0.0.1, the AWS CLI
pointed at it, a stand-in for the instance metadata service (IMDSv2 cannot run here) and a local
container that plays the EC2 instance by running the user data the emulated EC2 holds.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent  # the venv's moto_server and aws (test dependencies)
STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> /tmp/power.log\n'  # poweroff/shutdown: a container cannot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_server(log: Path) -> Iterator[dict[str, str]]:
    """Start moto_server (EC2, IAM, S3, SSM, STS, CloudWatch, Scheduler) and yield the environment
    that points the AWS CLI, Terraform's AWS provider and fwkit at it; stop it after."""
    exe = shutil.which("moto_server", path=str(BIN)) or shutil.which("moto_server")
    assert exe, 'moto_server is missing: pip install "moto[server]" (a test dependency)'
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    with open(log, "w") as out:
        # Managed policies loaded, else attaching an AWS-managed policy fails.
        proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(port)],
            env={**env, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{env['AWS_ENDPOINT_URL']}/moto-api/", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def aws(env: dict[str, str], *args: str) -> Any:
    """The AWS CLI against the emulator; its JSON output (None for `aws s3`, which prints text)."""
    done = subprocess.run(["aws", *args, "--output", "json"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}"
    return json.loads(done.stdout) if args[0] != "s3" and done.stdout.strip() else None


def objects(env: dict[str, str], bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    """{key relative to prefix: {ETag, LastModified, Size}} under `prefix/`."""
    listed = aws(env, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", f"{prefix}/") or {}
    return {o["Key"].removeprefix(f"{prefix}/"): o for o in listed.get("Contents", [])}


def user_data(env: dict[str, str], instance_id: str) -> str:
    """The instance's user data as the emulated EC2 returns it (base64 on the wire)."""
    value = aws(env, "ec2", "describe-instance-attribute", "--instance-id", instance_id, "--attribute", "userData")
    return base64.b64decode(value["UserData"]["Value"]).decode()


class _Imds(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        ok = self.path == "/latest/api/token" and "X-aws-ec2-metadata-token-ttl-seconds" in self.headers
        self._reply(200 if ok else 400, "stand-in-token" if ok else "")

    def do_GET(self) -> None:
        if self.headers.get("X-aws-ec2-metadata-token") != "stand-in-token":
            return self._reply(401, "")
        server: ImdsStandIn = self.server  # type: ignore[assignment]
        if self.path == "/latest/meta-data/spot/instance-action" and server.notice:
            server.asked_after_notice += 1
            return self._reply(200, json.dumps({"action": "terminate", "time": "2026-01-01T00:02:00Z"}))
        self._reply(404, "")

    def _reply(self, code: int, body: str) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


class ImdsStandIn(ThreadingHTTPServer):
    """IMDSv2's token and `spot/instance-action` (404 until `notice` is set), on 127.0.0.1."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Imds)
        self.notice = False
        self.asked_after_notice = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def vm_command(
    name: str,
    image: str,
    script: Path,
    wheelhouse: Path,
    env: dict[str, str],
    imds: str,
    tmp: Path,
    docker_args: tuple[str, ...] = (),
) -> list[str]:
    """`docker run` of a container playing the instance: host network (so 127.0.0.1 is the
    emulator), the AWS endpoint and dummy keys in its environment where a real instance has its
    role, pip pointed at the wheelhouse (no TLS to PyPI in a container), power-off stubs."""
    stubs = tmp / f"{name}-stubs"
    stubs.mkdir(exist_ok=True)
    for stub in ("poweroff", "shutdown"):
        (stubs / stub).write_text(STUB)
        (stubs / stub).chmod(0o755)
    passed = {k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    passed |= {
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": "/wheelhouse/deps /wheelhouse/aws",
        "FWKIT_CHECKPOINT_SECONDS": "0.5",
        "PATH": "/stubs:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    }
    cmd = ["docker", "run", "--name", name, "--network", "host", *docker_args]
    for key, value in passed.items():
        cmd += ["-e", f"{key}={value}"]
    cmd += ["-v", f"{wheelhouse}:/wheelhouse:ro", "-v", f"{stubs}:/stubs:ro", "-v", f"{script}:/bootstrap.sh:ro"]
    return [*cmd, image, "bash", "/bootstrap.sh"]


def logs(name: str) -> str:
    done = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
    return done.stdout + done.stderr


def processes(name: str) -> list[tuple[int, int, str]]:
    """(host PID, parent PID, command line) of each process of the container; none once it stopped.
    `docker top` needs a PID column: with `-eo args` alone it fails."""
    done = subprocess.run(["docker", "top", name, "-eo", "pid,ppid,args"], capture_output=True, text=True)
    if done.returncode != 0:
        assert "is not running" in done.stderr, f"docker top {name}: {done.stderr}"
        return []
    rows = [line.split(None, 2) for line in done.stdout.splitlines()[1:] if line.strip()]
    return [(int(pid), int(ppid), args) for pid, ppid, args in rows]


def running(name: str, command: str) -> bool:
    """Whether a process of the container has `command` in its command line."""
    return any(command in args for _, _, args in processes(name))


def throttle(name: str, cpus: float) -> None:
    """Cap the running container at `cpus` CPUs (its cgroup's CFS quota, as `docker run --cpus`)."""
    subprocess.run(["docker", "update", "--cpus", str(cpus), name], check=True, capture_output=True)


def freeze(name: str, command: str) -> list[int]:
    """SIGSTOP the container's processes whose command line holds `command`, and their children
    (the job's workers): the job makes no more progress, while the bootstrap's uploader keeps
    running. The PIDs frozen (empty if the job has ended)."""
    import signal

    procs = processes(name)
    chosen = {pid for pid, _, args in procs if command in args}
    for _ in range(3):  # children, grandchildren
        chosen |= {pid for pid, ppid, _ in procs if ppid in chosen}
    for pid in sorted(chosen):
        os.kill(pid, signal.SIGSTOP)
    return sorted(chosen)
