"""The other host facts: /proc/meminfo, /proc/swaps, disk, and the tool probes on this real host."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from fwkit.host.disk import nearest_existing, read_disk_facts
from fwkit.host.facts import gather
from fwkit.host.memory import meminfo, read_memory_facts
from fwkit.host.swap import read_swap_facts
from fwkit.host.tools import probe_cloud_credentials, probe_docker, probe_terraform, probe_tokenizer

MEMINFO = """MemTotal:       24683652 kB
MemFree:        22842000 kB
MemAvailable:   24215148 kB
SwapTotal:       2097148 kB
SwapFree:        1048572 kB
HugePages_Total:       0
"""
SWAPS = """Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/swapfile                               file\t\t2097148\t\t1048576\t\t-2
/mnt/my\\040swap                         file\t\t1024\t\t0\t\t-3
/dev/sda2                               partition\t8388604\t\t0\t\t-4
"""


def test_meminfo_in_bytes(tmp_path):
    (tmp_path / "meminfo").write_text(MEMINFO)
    info = meminfo(tmp_path / "meminfo")
    assert info["MemTotal"] == 24683652 * 1024
    assert info["HugePages_Total"] == 0  # a count, not kB: not scaled


def test_swaps_and_totals(tmp_path):
    (tmp_path / "meminfo").write_text(MEMINFO)
    (tmp_path / "swaps").write_text(SWAPS)
    facts = read_swap_facts(tmp_path / "meminfo", tmp_path / "swaps")
    assert (facts.total_bytes, facts.free_bytes) == (2097148 * 1024, 1048572 * 1024)
    assert [(d.path, d.kind, d.size_bytes, d.used_bytes) for d in facts.devices] == [
        ("/swapfile", "file", 2097148 * 1024, 1048576 * 1024),
        ("/mnt/my swap", "file", 1024 * 1024, 0),
        ("/dev/sda2", "partition", 8388604 * 1024, 0),
    ]


def test_real_memory_is_plausible():
    facts = read_memory_facts()
    assert 0 < facts.available_bytes <= facts.total_bytes
    assert facts.total_bytes == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert 0 < facts.usable_bytes <= facts.available_bytes


def test_disk_of_a_path_that_does_not_exist_yet(tmp_path):
    target = tmp_path / "not" / "yet" / "shards"
    assert nearest_existing(target) == tmp_path
    facts = read_disk_facts(target)
    assert facts.path == str(tmp_path)
    assert abs(facts.free_bytes - shutil.disk_usage(tmp_path).free) < 64 * 1024**2


def test_aws_credentials_presence_only(tmp_path, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("AWS_CONFIG_FILE", raising=False)
    assert probe_cloud_credentials(tmp_path).aws_credentials is False
    (tmp_path / ".aws").mkdir()
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    (tmp_path / ".aws" / "credentials").write_text(
        f"[work]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {secret}\n"
    )
    assert probe_cloud_credentials(tmp_path).aws_credentials is False  # no [default], no AWS_PROFILE
    monkeypatch.setenv("AWS_PROFILE", "work")
    found = probe_cloud_credentials(tmp_path)
    assert found.aws_credentials and found.source and "[work]" in found.source
    assert secret not in repr(found) and "AKIAEXAMPLE" not in repr(found)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    found = probe_cloud_credentials(tmp_path)
    assert found.source == "environment (AWS_ACCESS_KEY_ID)" and secret not in repr(found)


@pytest.mark.docker
def test_docker_probe_on_the_real_engine():
    import docker

    facts = probe_docker()
    if not facts.available and os.environ.get("CI") != "true":
        pytest.skip(f"no Docker engine here: {facts.error}")
    assert facts.available, facts.error
    assert facts.server_version == docker.from_env().version()["Version"]
    assert facts.cgroup_version in ("1", "2")


def test_docker_probe_with_no_daemon_is_fast(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    facts = probe_docker()
    assert not facts.available and facts.error


def test_terraform_probe_matches_the_binary():
    facts = probe_terraform()
    binary = shutil.which("terraform")
    if binary is None:
        assert facts.version is None and facts.error
        return
    done = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, check=True)
    assert facts.version == json.loads(done.stdout)["terraform_version"]


def test_terraform_absent(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    facts = probe_terraform()
    assert (facts.path, facts.version) == (None, None)


def test_tokenizer_intact_and_gather_together(tmp_path):
    assert probe_tokenizer().ok
    facts = gather(tmp_path / "out")
    assert facts.disk.path == str(tmp_path)
    assert facts.root == (os.geteuid() == 0)
    assert facts.cpu.count == min(facts.cpu.affinity, facts.cpu.count) >= 1
