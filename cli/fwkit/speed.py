"""Tokenizer speed on this machine, measured once and kept in a cache file.

    cat ~/.cache/fwkit/speed.json      # {"x86_64 | <CPU model> | tiktoken 0.8.0": 612345.6, ...}

The duration `fwkit doctor` estimates is tokens / (this rate x workers). Timing a fraction of a
second of tokenizing at every call made it swing by 3x on a busy machine, so the rate is measured
once per machine (CPU model, architecture, tiktoken version), as the best of `ROUNDS` passes over
the first sample doctor sees (the fastest pass is the one least disturbed), and cached
(`cachefile.py`: `$FWKIT_CACHE_DIR`, else `~/.cache/fwkit`). Delete the file to measure again.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

from fwkit import cachefile

ROUNDS = 3  # passes over the sample; the fastest counts
CALIBRATION_CHARS = 1 << 20  # at most 1M characters per pass: ~0.4 s of prose on one core
WARMUP_CHARS = 4096  # tokenized once before timing, so regex compilation is not counted
CACHE_NAME = "speed.json"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_key(tokenizer: str = "gpt2") -> str:
    """The cache key: machine and tiktoken version, and the tokenizer unless it is gpt2 (keys written
    before there were other tokenizers stay valid)."""
    import tiktoken

    key = f"{platform.machine()} | {_cpu_model()} | tiktoken {getattr(tiktoken, '__version__', '?')}"
    return key if tokenizer == "gpt2" else f"{key} | {tokenizer}"


def measure(sample: str, tokenizer: str = "gpt2") -> float:
    """Tokens per second on one core: the best of `ROUNDS` timed passes over `sample`."""
    from fwkit.encoding import encoding

    enc = encoding(tokenizer)
    text = sample[:CALIBRATION_CHARS]
    enc.encode_ordinary(text[:WARMUP_CHARS])
    best = 0.0
    for _ in range(ROUNDS):
        start = time.perf_counter()
        tokens = len(enc.encode_ordinary(text))
        elapsed = time.perf_counter() - start
        if elapsed > 0 and tokens:
            best = max(best, tokens / elapsed)
    return best


def tokens_per_second(sample: str, tokenizer: str = "gpt2") -> float:
    """This machine's cached rate for `tokenizer`, or one measured on `sample` now (and cached)."""
    key = machine_key(tokenizer)
    rate = cachefile.read(CACHE_NAME).get(key)
    if isinstance(rate, int | float) and rate > 0:
        return float(rate)
    rate = measure(sample, tokenizer)
    if rate > 0:
        cachefile.remember(CACHE_NAME, key, round(rate, 1))
    return rate
