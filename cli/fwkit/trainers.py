"""What the trainers that read fwkit's shards trip on, checked on a finished run's manifest.

    fwkit tokenize small.txt --out data/ --shard-tokens 100M   # warns: only a val shard

- build-nanogpt's `train_gpt2.py` asserts "no shards found for split train", and llm.c finds no
  train file, when a corpus smaller than `--shard-tokens` gives only shard 0 (val).
- llm.c's DataLoader asserts `shard_ntok >= num_processes * B * T + 1` on every shard it loads:
  4,097 tokens for its default B=4, T=1024 on one GPU (`dataloader.h`, `train_gpt2.cu`).
- nanoGPT's `get_batch` draws `torch.randint(len(data) - block_size, ...)`: an empty or short
  `train.bin` fails (block_size 1024 in its configs).
Each warning says which `--shard-tokens` (or `--val-tokens`) gives shards that work.
"""

from __future__ import annotations

from typing import Any

LLMC_B, LLMC_T = 4, 1024  # llm.c train_gpt2.cu defaults: -b 4 -t 1024
LLMC_MIN_TOKENS = LLMC_B * LLMC_T + 1  # 4,097: one batch of inputs plus its last target
NANOGPT_BLOCK = 1024  # nanoGPT's block_size for GPT-2 (config/train_gpt2.py)


def _split_suggestion(tokens: int, least: int) -> str:
    """A --shard-tokens that gives a val shard and at least one train shard, both >= `least` tokens."""
    val = max(least, tokens // 10)
    if tokens - val < least:
        return f"the {tokens:,} tokens are too few for two shards of at least {least:,}"
    return f"--shard-tokens {val} gives a {val:,}-token val shard and {tokens - val:,} train tokens"


def _even_shards(tokens: int, shards: int, least: int) -> int | None:
    """A --shard-tokens for the same number of shards with the last one at least `least` tokens."""
    size = -(-tokens // shards)  # ceil: every shard but the last this size
    last = tokens - (shards - 1) * size
    return size if last >= least else None


def shard_warnings(manifest: dict[str, Any]) -> list[str]:
    """One line per trap in this run's shards for the trainer its format is for; [] when none."""
    fmt, tokens, shards = manifest["format"], manifest["tokens"], manifest["shards"]
    settings = manifest["settings"]
    if not manifest.get("complete") or tokens == 0:
        return []
    if fmt in ("nanogpt", "megatron"):  # val = the first --val-tokens, train = the rest
        train = sum(s["tokens"] for s in shards if s["split"] == "train")
        least = NANOGPT_BLOCK + 1 if fmt == "nanogpt" else 1
        if train < least:
            val = max(1, tokens - 10 * NANOGPT_BLOCK)
            name = "train.bin" if fmt == "nanogpt" else f"{settings['prefix']}_train.bin"
            why = (
                f"not more than nanoGPT's block_size {NANOGPT_BLOCK}: its get_batch fails"
                if fmt == "nanogpt"
                else ("Megatron's train split is empty")
            )
            return [
                f"{name} holds {train:,} tokens, {why}; rerun with --val-tokens {val} (or fewer) to leave "
                f"{tokens - val:,} tokens for it"
            ]
        return []
    least = LLMC_MIN_TOKENS if fmt == "llmc" else 1
    warnings = []
    if not any(s["split"] == "train" for s in shards):
        warnings.append(
            f"only a val shard: all {tokens:,} tokens fit in one --shard-tokens {settings['shard_tokens']:,} shard, "
            f"so build-nanogpt and llm.c find no train shard; {_split_suggestion(tokens, least)}"
        )
        return warnings
    short = [s for s in shards if s["tokens"] < least]
    if short:
        size = _even_shards(tokens, len(shards), least)
        fix = f"--shard-tokens {size}" if size and short == [shards[-1]] else f"--shard-tokens {least} or more"
        names = short[0]["path"] if len(short) == 1 else f"{len(short)} shards ({short[0]['path']}, ...)"
        warnings.append(
            f"{names}: fewer than llm.c's B*T+1 = {least:,} tokens (B={LLMC_B}, T={LLMC_T}), on which its DataLoader "
            f"asserts; delete it, or rerun with {fix}"
        )
    return warnings
