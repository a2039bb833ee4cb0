"""The job's memory budget per tokenizer: a bigger vocabulary costs every worker more, and a real
worker of each tokenizer fits the figure the budget gives it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fwkit.encoding import DEFAULT_TOKENIZER, TOKENIZERS
from fwkit.engine import budget
from fwkit.engine.budget import MiB, expected_peak_bytes, size_job, worker_peak_bytes

ITEM_BYTES = 1 * MiB
# What a spawned worker holds: the CLI's modules (spawn imports `python -m fwkit`'s main module), the
# encoding built from the shipped ranks, and one item's tokens, alive when its PSS is read.
WORKER = """
import sys, psutil
import fwkit.cli, fwkit.engine.worker
from fwkit.engine.encode import TokenizerSpec, encode_documents
text = open(sys.argv[1], encoding="utf-8").read()
tokens, _ = encode_documents(iter([(text, True)]), TokenizerSpec(sys.argv[2]))
assert tokens.size > 100_000
print(psutil.Process().memory_full_info().pss)
"""


def test_every_tokenizer_has_a_worker_figure_and_bigger_vocabularies_cost_more() -> None:
    assert set(budget.WORKER_BYTES) == set(TOKENIZERS)
    assert budget.DEFAULT_TOKENIZER == DEFAULT_TOKENIZER
    w = budget.WORKER_BYTES
    assert w["gpt2"] < w["cl100k_base"] < w["o200k_base"]
    # each worker pays its tokenizer's figure: 2 workers of o200k_base cost 2 x the difference more
    assert expected_peak_bytes(2, tokenizer="o200k_base") - expected_peak_bytes(2) == 2 * (w["o200k_base"] - w["gpt2"])


def test_a_small_budget_fits_fewer_o200k_workers_than_gpt2() -> None:
    mem = 400 * MiB
    gpt2, cl100k, o200k = (size_job(2, mem, tokenizer=name) for name in ("gpt2", "cl100k_base", "o200k_base"))
    assert (gpt2.workers, o200k.workers) == (2, 1)
    assert all(job.peak_bytes <= mem for job in (gpt2, cl100k, o200k))
    assert o200k.peak_bytes == expected_peak_bytes(1, o200k.item_bytes, "o200k_base")


def test_an_unknown_tokenizer_has_no_figure() -> None:
    with pytest.raises(KeyError):
        size_job(2, None, tokenizer="r50k_base")


def test_a_real_worker_of_each_tokenizer_fits_its_budget(tmp_path: Path, english_text: str, chinese_text: str) -> None:
    """Measured, not assumed: each tokenizer's worker (encoding built, one real item tokenized) stays
    within `worker_peak_bytes`, and o200k_base's really costs more than gpt2's."""
    item = tmp_path / "item.txt"
    text = english_text[: ITEM_BYTES * 3 // 4] + chinese_text[: ITEM_BYTES // 12]  # ~1 MiB, a quarter CJK bytes
    item.write_text(text, encoding="utf-8")
    pss = {}
    for name in TOKENIZERS:
        done = subprocess.run([sys.executable, "-c", WORKER, str(item), name], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        pss[name] = int(done.stdout)
        budget_bytes = worker_peak_bytes(len(text.encode("utf-8")), name)
        assert pss[name] <= budget_bytes, f"{name}: worker PSS {pss[name] >> 20} MiB > budget {budget_bytes >> 20} MiB"
    table_gap = budget.WORKER_BYTES["o200k_base"] - budget.WORKER_BYTES["gpt2"]
    assert pss["o200k_base"] - pss["gpt2"] > table_gap // 2, {k: v >> 20 for k, v in pss.items()}
