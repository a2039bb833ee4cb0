"""`fwkit run --dataset` in a real container: the network it needs, HF_TOKEN passed but never shown,
and the Hugging Face cache on the host's disk. The "Hub" is a local HTTP server serving a
FineWeb-layout repo (the real Hub cannot be reached here); the container reaches it over the host
network that `fwkit run` gives hub jobs (and only them: local jobs get `network_mode=none`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import assert_same_output, fwkit_cli

from fineweb_repo import FILES, serve

SECRET = "hf_fwkitDockerSecretDoNotLeak"


@pytest.mark.docker
def test_docker_run_streams_a_dataset_with_the_token_hidden_and_the_cache_on_the_host(
    job_image: str, tmp_path: Path, fineweb_repo: Path, no_leftovers: None,
    monkeypatch: pytest.MonkeyPatch, docker_client: Any,
) -> None:  # fmt: skip
    local = tmp_path / "local"
    done = fwkit_cli(
        "tokenize", str(fineweb_repo / "sample" / "10BT"), "--out", str(local), "--shard-tokens", "20K", "-q"
    )
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "streamed"
    with serve(fineweb_repo) as (url, _):
        files = [a for f in range(FILES) for a in ("--data-files", f"{url}/sample/10BT/{f:03d}_00000.parquet")]
        done = fwkit_cli("run", "--mem", "1G", "--runtime", "docker", "--image", job_image, "--",
                         "--dataset", "parquet", *files, "--out", str(out), "--shard-tokens", "20K", "-q")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "done (docker): " in done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert SECRET not in (out / "manifest.json").read_text()
    assert_same_output(out, local)
    cache = tmp_path / "cache" / "fwkit" / "huggingface"
    assert cache.is_dir() and any(cache.iterdir()), "the container's HF_HOME was not the host cache dir"
