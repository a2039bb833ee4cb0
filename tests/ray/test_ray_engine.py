"""`fwkit tokenize --engine ray` on a real two-node Ray cluster: every shard equals a local run's,
also when a worker, the second node's raylet or the driver is killed mid-run.

Real Ray, nothing mocked: `ray start` processes on this machine (ray_cluster.py), fwkit run as a
separate driver process that joins them by address with token auth, processes killed by pid.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from ray_cluster import TwoNodeCluster

sys.path.insert(0, str(Path(__file__).parents[1] / "terraform"))
from emulated_aws import aws, moto_server, objects

from fwkit.engine.budget import expected_peak_bytes
from fwkit.executors.ray import TASK_NAME
from fwkit.executors.segments import Record, segments_dir

pytestmark = pytest.mark.ray
BUCKET = "fwkit-scratch"

UNIT = 256 * 1024  # small units, so a few MB of text make ~30 tasks to kill and resume among
MEM = str(expected_peak_bytes(2, UNIT))  # the budget at which two workers get UNIT-sized items
COMMON = ["--workers", "2", "--mem", MEM, "--shard-tokens", "100K"]
# The driver's closing line (not with -q): what this run sent to Ray, ran, and reused from the run before.
SUMMARY = re.compile(r"ray: (\d+) node\(s\) ran (\d+) of (\d+) units sent(?:, (\d+) reused from the run before)?")


def summary(stderr: str) -> dict[str, int]:
    found = SUMMARY.findall(stderr)
    assert found, f"no ray summary line in: {stderr[-2000:]}"
    nodes, ran, sent, reused = found[-1]
    return {"nodes": int(nodes), "ran": int(ran), "sent": int(sent), "reused": int(reused or 0)}


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`fwkit tokenize ARGS` as its own process (group), so a test can kill it like a crash would."""
    command = [sys.executable, "-m", "fwkit", "tokenize", *args]
    return subprocess.Popen(
        command, env=env or dict(os.environ), start_new_session=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str]) -> str:
    _, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr[-3000:]
    return stderr


def tokenize(args: list[str], env: dict[str, str] | None = None) -> str:
    return finish(start(args, env))


def on_ray(cluster: TwoNodeCluster, args: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    return start([*args, "--engine", "ray", "--ray-address", cluster.address], {**cluster.env, **(extra_env or {})})


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def assert_identical(out: Path, local: Path) -> None:
    """Same shard names, bytes and sha256s, same counts: what a trainer reads cannot tell them apart."""
    got, want = manifest(out), manifest(local)
    assert got["complete"] is True
    assert [s["path"] for s in got["shards"]] == [s["path"] for s in want["shards"]]
    assert [s["sha256"] for s in got["shards"]] == [s["sha256"] for s in want["shards"]]
    files = lambda d: sorted(p.name for p in d.iterdir() if p.name not in ("manifest.json", ".fwkit.lock"))  # noqa: E731
    assert files(out) == files(local)  # shards and their companions (megatron's .idx)
    for name in files(local):
        assert (out / name).read_bytes() == (local / name).read_bytes(), name
    for key in ("documents", "tokens", "input_bytes", "replaced_utf8", "skipped_null"):
        assert got[key] == want[key], key
    assert not (out / ".fwkit").exists(), "a complete run leaves no work directory (segments, plan)"


@pytest.fixture(scope="module")
def big_text(tmp_path_factory: pytest.TempPathFactory, english_text: str, chinese_text: str) -> Path:
    """About 7 MB of real English and Chinese prose: ~28 units of 256 KiB."""
    path = tmp_path_factory.mktemp("text") / "train.txt"
    path.write_text(english_text + "\n\n" + chinese_text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local_out(tmp_path_factory: pytest.TempPathFactory, big_text: Path, fineweb_repo: Path):
    """Reference runs of the local engine, one per (input, format), made on first use."""
    made: dict[tuple[str, str, tuple[str, ...]], Path] = {}

    def get(kind: str, fmt: str, extra: tuple[str, ...] = ()) -> Path:
        if (kind, fmt, extra) not in made:
            out = tmp_path_factory.mktemp("local") / f"{kind}-{fmt}"
            args = [*inputs(kind, big_text, fineweb_repo), "--out", str(out), "--format", fmt, *extra]
            tokenize([*args, *COMMON, "-q"])
            made[kind, fmt, extra] = out
        return made[kind, fmt, extra]

    return get


def inputs(kind: str, big_text: Path, fineweb_repo: Path) -> list[str]:
    if kind == "text":
        return [str(big_text)]
    if kind == "parquet":
        return [str(fineweb_repo / "sample" / "10BT")]
    return ["--dataset", str(fineweb_repo), "--subset", "sample-10BT"]


@pytest.fixture(scope="module")
def ray_text_run(
    tmp_path_factory: pytest.TempPathFactory, ray_cluster: TwoNodeCluster, big_text: Path
) -> tuple[Path, dict[str, int]]:
    """One uninterrupted Ray run of the text input (npy), and its summary (its unit count)."""
    ray_cluster.ensure_two_nodes()
    out = tmp_path_factory.mktemp("ray") / "text-npy"
    return out, summary(finish(on_ray(ray_cluster, [str(big_text), "--out", str(out), *COMMON])))


def test_text_npy_on_two_nodes_equals_local(ray_text_run: tuple[Path, dict[str, int]], local_out) -> None:
    out, done = ray_text_run
    assert_identical(out, local_out("text", "npy"))
    assert [b["name"] for b in manifest(out)["backends"]] == ["gigatoken"]  # `auto`, on both nodes' workers
    assert done["ran"] == done["sent"] >= 20 and done["reused"] == 0, done
    assert done["nodes"] == 2, f"both nodes ran units: {done}"


@pytest.mark.parametrize(
    ("kind", "fmt", "extra"),
    [("parquet", "llmc", ()), ("dataset", "npy", ()), ("parquet", "megatron", ("--tokenizer", "o200k_base"))],
)
def test_parquet_and_dataset_on_two_nodes_equal_local(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path, fineweb_repo: Path, local_out, kind, fmt, extra
) -> None:
    out = tmp_path / "out"
    args = [*inputs(kind, big_text, fineweb_repo), "--out", str(out), "--format", fmt, *extra, *COMMON]
    stderr = finish(on_ray(two_nodes, args))
    assert_identical(out, local_out(kind, fmt, extra))
    assert summary(stderr)["sent"] == 12  # 3 files x 4 row groups: one task each


def _wait_for(what: str, found, proc: subprocess.Popen, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        assert proc.poll() is None, f"the run ended before {what}: {proc.communicate()[1][-2000:]}"
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_worker_is_retried_and_the_output_is_identical(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path, local_out
) -> None:
    out = tmp_path / "out"
    proc = on_ray(two_nodes, [str(big_text), "--out", str(out), *COMMON, "-q"])
    busy = lambda: [w for node in two_nodes.nodes for w in node.workers(TASK_NAME)]  # noqa: E731
    victim = _wait_for("a worker running a unit", busy, proc)[0]
    victim.send_signal(signal.SIGKILL)
    psutil.wait_procs([victim], timeout=10)
    finish(proc)
    assert_identical(out, local_out("text", "npy"))


def _records(out: Path) -> list[Record]:
    found = []
    for path in segments_dir(out).glob("u*.json"):
        try:
            found.append(Record(**json.loads(path.read_text())))
        except (OSError, ValueError):
            continue
    return found


def test_a_ray_client_address_gives_the_same_shards(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path, local_out
) -> None:
    """`--ray-address ray://HOST:PORT`: the driver joins through the head's Ray Client server (as from
    outside a KubeRay cluster, to its client port); tasks still run on both nodes."""
    out = tmp_path / "out"
    args = [str(big_text), "--out", str(out), *COMMON, "--engine", "ray", "--ray-address", two_nodes.client_address]
    done = summary(finish(start(args, two_nodes.env)))
    assert_identical(out, local_out("text", "npy"))
    assert done["ran"] == done["sent"] >= 20, done


@pytest.fixture(scope="module")
def emulated_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    """An S3 on 127.0.0.1 (moto_server) with an empty bucket: the AWS_* a driver needs to reach it,
    and the server's request log."""
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_server(log) as env:
        aws(env, "s3", "mb", f"s3://{BUCKET}")
        yield {k: v for k, v in env.items() if k.startswith("AWS_")}, log


def test_segments_go_through_s3_when_the_nodes_share_no_file_system(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path, local_out, emulated_s3: tuple[dict[str, str], Path]
) -> None:
    """--ray-scratch s3://...: tasks PUT their segments there, the driver GETs them and writes the
    shards to its own --out. The driver passes the endpoint to the tasks (the nodes have their own
    credentials); the prefix's other objects stay, and a complete run leaves none of its own."""
    aws_env, requests = emulated_s3
    env = {**two_nodes.env, **aws_env}
    aws(env, "s3", "cp", str(big_text), f"s3://{BUCKET}/scratch/fwkit-segments/not-ours.txt")
    out = tmp_path / "out"
    scratch = ["--ray-scratch", f"s3://{BUCKET}/scratch"]
    done = summary(finish(on_ray(two_nodes, [str(big_text), "--out", str(out), *COMMON, *scratch], env)))
    assert_identical(out, local_out("text", "npy"))
    put = re.findall(rf'"PUT /{BUCKET}/scratch/fwkit-segments/(u[\d-]+)\.tokens', requests.read_text())
    assert len(set(put)) == done["sent"] >= 20, "every unit's tokens went through S3"
    left = [key for key in objects(env, BUCKET, "scratch") if not key.endswith("/")]  # pyarrow's directory markers
    assert left == ["fwkit-segments/not-ours.txt"]

    bad_scratch = ["--ray-scratch", "s3://no-such-bucket/x"]
    bad = on_ray(two_nodes, [str(big_text), "--out", str(tmp_path / "o2"), *COMMON, *bad_scratch], env)
    _, err = bad.communicate(timeout=300)
    assert bad.returncode == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: --ray-scratch s3://no-such-bucket/x: no bucket 'no-such-bucket'"), err


def test_killed_driver_resumes_without_redoing_finished_units(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path, local_out, ray_text_run: tuple[Path, dict[str, int]]
) -> None:
    out = tmp_path / "out"
    args = [str(big_text), "--out", str(out), *COMMON]
    proc = on_ray(two_nodes, args, {"FWKIT_CHECKPOINT_SECONDS": "0.3"})

    def checkpointed_with_segments() -> bool:
        try:
            tokens = manifest(out)["tokens"]  # as of the last checkpoint
        except (OSError, ValueError):
            return False
        return tokens > 0 and len(_records(out)) >= 2

    _wait_for("a checkpoint and finished segments", checkpointed_with_segments, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    time.sleep(3)  # Ray notices the driver is gone and stops its tasks: no segment appears later
    at_kill = manifest(out)
    cursor = at_kill["checkpoint"]["cursor"]
    at = (cursor["input_index"], cursor["offset"])
    done = [r for r in _records(out) if (r.start["input_index"], r.start["offset"]) >= at]
    assert done, "the kill left no finished unit past the checkpoint to reuse"

    resumed = summary(finish(on_ray(two_nodes, [*args, "--resume"])))
    assert_identical(out, local_out("text", "npy"))
    assert resumed["reused"] == len(done), "every unit finished before the kill was reused, none run again"
    total = ray_text_run[1]["sent"]
    assert resumed["sent"] == total - at_kill["index"]["seen"] - len(done), "only unfinished units ran"


def test_a_killed_second_node_is_survived_and_the_output_is_identical(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path, local_out
) -> None:
    out = tmp_path / "out"
    proc = on_ray(two_nodes, [str(big_text), "--out", str(out), "--format", "npy", *COMMON, "-q"])
    node = two_nodes.second
    _wait_for("a unit running on the second node", lambda: node.workers(TASK_NAME), proc)
    raylet = node.raylet()
    raylet.send_signal(signal.SIGKILL)
    psutil.wait_procs([raylet], timeout=10)
    finish(proc)
    assert_identical(out, local_out("text", "npy"))


def test_fwkit_run_cgroup_starts_a_local_ray_sized_by_fwkit(
    ray_cluster: TwoNodeCluster, tmp_path: Path, big_text: Path, local_out
) -> None:
    """No address, under `fwkit run`'s native memory cgroup: fwkit starts its own Ray with the CPUs
    and memory it read itself (Ray alone would read the host's, from the cgroup root)."""
    if os.geteuid() != 0:
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)("fwkit run --runtime cgroup needs root")
    env = {k: v for k, v in ray_cluster.env.items() if k != "RAY_ADDRESS"}  # token auth, in a file of its own
    out = tmp_path / "out"
    command = [sys.executable, "-m", "fwkit", "run", "--mem", "3G", "--runtime", "cgroup", str(big_text)]
    done = subprocess.run(
        [*command, "--out", str(out), "--workers", "2", "--shard-tokens", "100K", "--engine", "ray"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    started = re.search(r"starting a local Ray: 2 CPUs, ([\d.]+ \w+) for tasks", done.stderr)
    assert started, done.stderr
    assert f"1 node(s), 2 CPUs, {started.group(1)} task memory in a local Ray" in done.stderr, done.stderr
    assert "of the 3.0 GiB cap" in done.stdout
    assert_identical(out, local_out("text", "npy"))


def test_without_ray_installed_one_line_says_how_to_get_it(tmp_path: Path, big_text: Path) -> None:
    """`import ray` failing, as without the extra (sys.modules["ray"] = None makes it raise ImportError)."""
    code = "import sys; sys.modules['ray'] = None; from fwkit.cli import main; sys.argv[0] = 'fwkit'; main()"
    args = ["tokenize", str(big_text), "--out", str(tmp_path / "o"), "--engine", "ray"]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["error: --engine ray needs Ray: pip install 'fwkit[ray]'"]
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_a_bad_input_fails_as_on_the_local_engine(two_nodes: TwoNodeCluster, tmp_path: Path) -> None:
    """A unit's error (here invalid UTF-8 under --errors strict) is the local run's line, not retried."""
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine text\n\n" * 1000 + b"caf\xe9\n\n" + b"more\n\n" * 10)
    args = [str(bad), "--errors", "strict", "-q"]
    local = start([*args, "--out", str(tmp_path / "local")])
    _, local_err = local.communicate(timeout=300)
    ray = on_ray(two_nodes, [*args, "--out", str(tmp_path / "ray")])
    _, ray_err = ray.communicate(timeout=300)
    assert local.returncode == ray.returncode == 2
    assert "invalid UTF-8 at byte 11003" in local_err
    assert ray_err.strip().splitlines() == local_err.strip().splitlines()


def test_an_address_nobody_answers_is_one_line_in_seconds(tmp_path: Path, big_text: Path) -> None:
    """Ray alone retries an unreachable GCS for minutes; fwkit says so before touching --out."""
    from ray_cluster import free_port

    out = tmp_path / "o"
    proc = start([str(big_text), "--out", str(out), "--engine", "ray", "--ray-address", f"127.0.0.1:{free_port()}"])
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert stderr.strip().splitlines()[-1].startswith("error: cannot reach the Ray cluster at 127.0.0.1:"), stderr
    assert not out.exists()


def test_ray_scratch_is_checked_before_any_work(tmp_path: Path, big_text: Path) -> None:
    out = tmp_path / "o"
    for extra, said in (
        (["--ray-scratch", "s3://b/x"], "error: --ray-scratch needs --engine ray"),
        (["--engine", "ray", "--ray-scratch", "scratch"], "error: --ray-scratch scratch: give s3://BUCKET/PREFIX"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "fwkit", "tokenize", str(big_text), "--out", str(out), *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2 and done.stderr.startswith(said) and done.stderr.count("\n") == 1, done.stderr
        assert not out.exists()


def test_a_backend_that_disagrees_with_tiktoken_is_caught_on_the_cluster_workers(
    two_nodes: TwoNodeCluster, tmp_path: Path, big_text: Path
) -> None:
    """The Ray tasks build the job's backend on their node and cross-check its first unit there: a
    DELIBERATELY WRONG backend (tests/fakes, wrong on "Python") stops the job with the local run's line."""
    out = tmp_path / "out"
    code = (
        "import sys; from pathlib import Path; from fwkit.errors import FwkitError; from fwkit.runner import run_job\n"
        "from fwkit.engine.encode import TokenizerSpec; from fwkit.engine.settings import TokenizeSettings\n"
        f"s = TokenizeSettings(out_dir=Path({str(out)!r}), workers=2, mem_bytes={MEM}, shard_tokens=100_000,"
        " quiet=True, tokenizer=TokenizerSpec('gpt2', backend='fakes.wrong_backend'))\n"
        f"try: run_job(s, [Path({str(big_text)!r})], None, ({two_nodes.address!r}, None))\n"
        "except FwkitError as e: print('error:', e.message, file=sys.stderr); sys.exit(e.exit_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=two_nodes.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-3000:]
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {big_text} bytes "), line
    assert "--backend wrong-on-python" in line
    assert line.endswith("unlike tiktoken: rerun with --backend tiktoken --resume")
    assert manifest(out)["complete"] is False
