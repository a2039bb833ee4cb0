"""The planner on described hosts: streaming when it fits, swap when swap closes the gap, else cloud."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fwkit.engine.budget import ITEM_BYTES_MIN, MiB, expected_peak_bytes, size_job
from fwkit.estimate import InputEstimate
from fwkit.plan import PlanRequest, make_plan, mem_arg

GiB = 1024**3
FLOOR = expected_peak_bytes(1, ITEM_BYTES_MIN)  # the smallest streaming job


def estimate(output_bytes: int) -> InputEstimate:
    tokens = output_bytes // 2
    return InputEstimate(1, tokens * 3, tokens * 3, 1000, 333, 3.0, tokens, output_bytes, 1e6)


@pytest.mark.parametrize(("n", "text"), [(16 * GiB, "16G"), (GiB + 1, "1025M"), (300 * MiB, "300M")])
def test_mem_arg_never_rounds_down(n, text):
    assert mem_arg(n) == text


def test_plenty_of_memory_streams_with_every_cpu(host):
    plan = make_plan(host(cpus=4), PlanRequest(inputs=("train.txt",), out_dir="shards"))
    assert (plan.mode, plan.ready, plan.workers) == ("streaming", True, 4)
    assert plan.need_bytes == size_job(4, None).peak_bytes
    assert plan.need_bytes <= plan.mem_bytes <= plan.limit_bytes
    assert plan.commands == [f"fwkit run --mem {mem_arg(plan.mem_bytes)} train.txt --out shards"]


def test_cgroup_headroom_is_the_limit(host):
    facts = host(available=16 * GiB, limit=2 * GiB, usage=512 * MiB)
    plan = make_plan(facts, PlanRequest())
    assert plan.limit_bytes == 2 * GiB - 512 * MiB
    assert any("cgroup cap 2.0 GiB" in r for r in plan.reasons)


def test_workers_are_reduced_to_fit(host):
    facts = host(available=400 * MiB, cpus=8)
    plan = make_plan(facts, PlanRequest())
    assert plan.mode == "streaming"
    assert 1 <= plan.workers < 8
    assert plan.need_bytes <= 400 * MiB


def test_small_mem_fits(host):
    plan = make_plan(host(), PlanRequest(mem_bytes=GiB, workers=2))
    assert (plan.mode, plan.ready, plan.workers, plan.mem_bytes) == ("streaming", True, 2, GiB)
    assert plan.commands[0].startswith("fwkit run --mem 1G INPUT --out DIR")
    assert plan.commands[0].endswith("--workers 2")


def test_mem_below_the_smallest_job_is_raised(host):
    plan = make_plan(host(), PlanRequest(mem_bytes=100 * MiB))
    assert not plan.ready
    assert plan.mem_bytes >= FLOOR and plan.mem_bytes % (256 * MiB) == 0
    assert any("below the smallest job" in r for r in plan.reasons)


# 64 workers need more than 4 GiB even with the smallest work items: only swap or the cloud can run them.
TOO_BIG = {"mem_bytes": 12 * GiB, "workers": 64}


@pytest.mark.parametrize(("available", "mem"), [(24 * GiB, 30 * GiB), (990 * MiB, 2 * GiB), (8 * GiB, 200 * GiB)])
def test_mem_above_the_host_is_a_ceiling_lowered_to_what_it_gives(host, available, mem):
    plan = make_plan(host(available=available, cpus=2), PlanRequest(mem_bytes=mem, inputs=("big15.txt",)))
    assert (plan.mode, plan.ready, plan.swap_bytes, plan.instance) == ("streaming", True, None, None)
    assert plan.need_bytes <= plan.mem_bytes <= available
    assert any("is more than this host can give" in r for r in plan.reasons), plan.reasons
    assert plan.commands == [f"fwkit run --mem {mem_arg(plan.mem_bytes)} big15.txt --out DIR"]


def test_a_job_larger_than_the_host_with_swap_room_as_root_is_swap(host):
    plan = make_plan(host(available=4 * GiB), PlanRequest(**TOO_BIG, inputs=("a.txt",), out_dir="o"))
    assert (plan.mode, plan.ready) == ("swap", False)
    assert plan.need_bytes <= plan.mem_bytes <= 12 * GiB
    assert plan.swap_bytes is not None and plan.swap_bytes >= plan.mem_bytes - 4 * GiB
    assert plan.commands == [
        f"sudo fwkit swap create --size {mem_arg(plan.swap_bytes)}",
        f"fwkit run --mem {mem_arg(plan.mem_bytes)} --allow-swap a.txt --out o --workers 64",
    ]
    assert not any("container" in r for r in plan.reasons)


def test_swap_in_a_container_is_added_on_the_host(host):
    plan = make_plan(host(available=4 * GiB, container=True), PlanRequest(**TOO_BIG))
    assert plan.mode == "swap" and plan.commands[0].startswith("sudo fwkit swap create --size ")
    assert any("add the swap file on the host" in r for r in plan.reasons), plan.reasons


def test_existing_swap_that_covers_the_gap_runs_as_is(host):
    plan = make_plan(host(available=4 * GiB, swap_free=8 * GiB), PlanRequest(**TOO_BIG))
    assert (plan.mode, plan.ready, plan.swap_bytes) == ("swap", True, None)
    assert plan.commands == [f"fwkit run --mem {mem_arg(plan.mem_bytes)} --allow-swap INPUT --out DIR --workers 64"]


def test_more_workers_than_cpus_warns(host):
    assert make_plan(host(cpus=2), PlanRequest(workers=2)).warnings == []
    plan = make_plan(host(cpus=2), PlanRequest(workers=64))
    assert plan.warnings == [
        "--workers 64 is more than the 2 usable CPU(s): the extra workers share cores, add memory and no speed; "
        "use --workers 2 or leave it out"
    ]


def test_problems_make_the_plan_not_ready_and_print_no_command(host):
    plan = make_plan(host(), PlanRequest(inputs=("missing.txt",), problems=("missing.txt: no such file",)))
    assert (plan.mode, plan.ready, plan.commands) == ("streaming", False, [])


def test_dataset_commands_keep_each_option_its_own_word(host):
    request = PlanRequest(out_dir="edu dir", source_args=("--dataset", "HuggingFaceFW/fineweb-edu", "--subset", "s"))
    plan = make_plan(host(), request)
    assert plan.commands == [
        f"fwkit run --mem {mem_arg(plan.mem_bytes)} --dataset HuggingFaceFW/fineweb-edu --subset s --out 'edu dir'"
    ]


@pytest.mark.parametrize(
    ("facts_kwargs", "why"),
    [
        ({"root": False}, "needs root"),
        ({"swap_allowed": False, "limit": 4 * GiB}, "forbids swap"),
        ({"swap_cap": GiB, "limit": 4 * GiB}, "lets this job swap only"),
        ({"swap_disk_free": 2 * GiB}, "does not fit on /"),
    ],
)
def test_no_swap_possible_is_cloud(host, facts_kwargs, why):
    plan = make_plan(host(available=4 * GiB, **facts_kwargs), PlanRequest(**TOO_BIG))
    assert (plan.mode, plan.ready) == ("cloud", False)
    assert any(why in r for r in plan.reasons), plan.reasons
    assert plan.instance is not None and plan.instance_usd_per_hour is not None
    assert plan.commands == [
        f"fwkit cloud up --mem {mem_arg(plan.mem_bytes)} --min-vcpus 64 -- s3://BUCKET/INPUT --out s3://BUCKET/shards"
    ]


def test_output_larger_than_the_disk_is_cloud(host):
    facts = host(disk_free=10 * GiB)
    plan = make_plan(facts, PlanRequest(estimate=estimate(20 * GiB), inputs=("/data/raw/train.txt",), workers=2))
    assert plan.mode == "cloud"
    assert plan.commands == [
        f"fwkit cloud up --mem {mem_arg(plan.mem_bytes)} --min-vcpus 2 --input-size 30G --output-size 20G "
        "-- s3://BUCKET/train.txt --out s3://BUCKET/shards"
    ]
    assert any("the output needs about 20.0 GiB" in r for r in plan.reasons)
    assert not any(c.startswith("fwkit run") for c in plan.commands)


def test_output_that_fits_keeps_streaming(host):
    plan = make_plan(host(disk_free=10 * GiB), PlanRequest(estimate=estimate(5 * GiB)))
    assert plan.mode == "streaming"


def test_no_instance_big_enough_says_so(host):
    plan = make_plan(host(root=False), PlanRequest(mem_bytes=100_000 * GiB, workers=100_000))
    assert plan.mode == "cloud" and plan.instance is None and plan.commands == []
    assert any("no instance type" in r for r in plan.reasons)


def test_suggested_mem_never_exceeds_what_the_host_gives(host):
    facts = host(available=300 * MiB + 12345, cpus=1)  # between the 1-worker need and the next 256 MiB step
    plan = make_plan(facts, PlanRequest())
    assert plan.mode == "streaming" and plan.need_bytes <= plan.mem_bytes <= plan.limit_bytes
    assert f"--mem {mem_arg(plan.mem_bytes)} " in plan.commands[0] and plan.mem_bytes % MiB == 0


def test_the_swap_command_of_a_swap_plan_runs_as_printed(host, tmp_path):
    """`sudo fwkit swap create --size ...`, run with --dry-run added (for real it would change this host)."""
    import os
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    plan = make_plan(host(available=4 * GiB), PlanRequest(**TOO_BIG))
    sudo, *command = shlex.split(plan.commands[0])
    assert sudo == "sudo" and command[:3] == ["fwkit", "swap", "create"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "cli")}
    done = subprocess.run(
        [sys.executable, "-m", "fwkit", *command[1:], "--dry-run"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dry run: nothing changed" in done.stdout


def test_the_plan_sizes_workers_by_the_tokenizer_and_its_commands_carry_it(host):
    """400M holds 2 gpt2 workers but 1 o200k_base worker (each builds a 200k-rank encoding); the
    command printed runs the tokenizer planned for."""
    request = PlanRequest(mem_bytes=400 * MiB, inputs=("train.txt",), out_dir="shards")
    gpt2 = make_plan(host(cpus=2), request)
    o200k = make_plan(host(cpus=2), replace(request, tokenizer="o200k_base"))
    assert (gpt2.workers, o200k.workers) == (2, 1)
    assert o200k.need_bytes == size_job(2, 400 * MiB, tokenizer="o200k_base").peak_bytes <= 400 * MiB
    assert gpt2.commands == ["fwkit run --mem 400M train.txt --out shards"]
    assert o200k.commands == ["fwkit run --mem 400M train.txt --out shards --tokenizer o200k_base"]
    assert "o200k_base)" in o200k.reasons[0]
    cloud = make_plan(host(available=4 * GiB, swap_disk_free=0), PlanRequest(**TOO_BIG, tokenizer="cl100k_base"))
    assert cloud.mode == "cloud" and cloud.commands[0].endswith("--out s3://BUCKET/shards --tokenizer cl100k_base")
    smallest = expected_peak_bytes(64, ITEM_BYTES_MIN, "cl100k_base")
    assert cloud.need_bytes == smallest > expected_peak_bytes(64, ITEM_BYTES_MIN)
