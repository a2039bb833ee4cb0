"""`--preset`: the FineWeb datasets with the exact names build-nanogpt and llm.c give their shards.

Sources (read, not guessed):
- karpathy/build-nanogpt fineweb.py (commit 69cb21f): `local_dir = "edu_fineweb10B"`, `remote_name = "sample-10BT"`,
  `load_dataset("HuggingFaceFW/fineweb-edu", name=remote_name, split="train")`,
  `shard_size = int(1e8)`, shard 0 is "val", the rest "train",
  `f"edufineweb_{split}_{shard_index:06d}"` saved with `np.save` (-> .npy).
- karpathy/llm.c dev/data/fineweb.py (commit ea36d04): `-t edu|classic -v 10B|100B`, `local_dir = "edu_fineweb10B"`
  or `"fineweb10B"` (`f"{name}{version}"`), remote `sample-10BT` / `sample-100BT`, dataset
  `HuggingFaceFW/fineweb-edu` or `HuggingFaceFW/fineweb`, shards `f"{name}_{split}_{index:06d}.bin"`
  with name `edu_fineweb` or `fineweb`, 1e8 tokens each, shard 0 = val.
- KellerJordan/modded-nanogpt data/cached_finewebedu10B.py: `finewebedu_val_%06d.bin` (index 0) and
  `finewebedu_train_%06d.bin` (from 1) in `data/finewebedu10B/`, llm.c's header (magic 20240520),
  100M tokens each; read by train_gpt.py as `data/finewebedu10B/finewebedu_train_*.bin`.
Each preset sets its trainer's `--format` (build-nanogpt: npy; llm.c, modded-nanogpt: llmc)
unless `--format` is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from fwkit.errors import FwkitError


@dataclass(frozen=True)
class Preset:
    dataset: str
    subset: str
    out_dir: str  # build-nanogpt's and llm.c's local_dir
    npy_prefix: str  # build-nanogpt: edufineweb_{split}_{index:06d}.npy
    llmc_prefix: str  # llm.c: edu_fineweb_{split}_{index:06d}.bin
    format: str  # the format of the trainer whose layout this is
    shard_tokens: int = 100_000_000  # shard_size = int(1e8) in both scripts


def _edu(size: str) -> Preset:
    # build-nanogpt's fineweb.py: npy shards
    return Preset(
        "HuggingFaceFW/fineweb-edu", f"sample-{size}T", f"edu_fineweb{size}", "edufineweb", "edu_fineweb", "npy"
    )


def _classic(size: str) -> Preset:
    # llm.c's fineweb.py -t classic: .bin shards (build-nanogpt only does fineweb-edu).
    return Preset("HuggingFaceFW/fineweb", f"sample-{size}T", f"fineweb{size}", "fineweb", "fineweb", "llmc")


PRESETS: dict[str, Preset] = {
    "fineweb-edu-10B": _edu("10B"),
    "fineweb-edu-100B": _edu("100B"),
    "fineweb-10B": _classic("10B"),
    "fineweb-100B": _classic("100B"),
    "modded-fineweb-edu-10B": Preset(
        "HuggingFaceFW/fineweb-edu", "sample-10BT", "data/finewebedu10B", "finewebedu", "finewebedu", "llmc"
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise FwkitError(f"--preset {name!r} is unknown: choose one of {', '.join(PRESETS)}") from None


def preset_prefix(preset: Preset, fmt: str) -> str:
    """The file prefix for an output format (nanogpt's train.bin/val.bin have no prefix of their own)."""
    return preset.llmc_prefix if fmt == "llmc" else preset.npy_prefix
