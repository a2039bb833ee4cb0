"""`fwkit verify`: does an out dir hold exactly what its manifest says, and is it right?

Checks every shard against the manifest (present, length = header + tokens, header fields, sha256,
token ids < vocabulary), the totals and the `complete` flag; with `sample`, re-tokenizes work items
picked at random from the manifest's index and compares them with the tokens at their offsets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fwkit.engine.formats import FORMATS, ShardFormat, split_of
from fwkit.engine.manifest import MANIFEST, load_manifest, spec_of, tokenizer_of
from fwkit.engine.writer import sha256_file
from fwkit.errors import EXIT_ACTION_NEEDED, FwkitError

SAMPLE_ITEM_BYTES = 1 << 20  # re-tokenize sampled spans 1 MiB at a time (each span checked whole)
SCAN_TOKENS = 16 << 20  # check token ids 16M at a time (32 MB), so memory stays flat


@dataclass
class Report:
    """What was checked and each problem found, as (file, what is wrong)."""

    out_dir: Path
    problems: list[tuple[str, str]] = field(default_factory=list)
    shards_checked: int = 0
    tokens_checked: int = 0
    samples_checked: int = 0

    def problem(self, file: str, what: str) -> None:
        self.problems.append((file, what))

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "out_dir": str(self.out_dir),
            "shards_checked": self.shards_checked,
            "tokens_checked": self.tokens_checked,
            "samples_checked": self.samples_checked,
            "problems": [{"file": f, "problem": p} for f, p in self.problems],
        }


def _format_of(m: dict[str, Any]) -> ShardFormat:
    """The format a manifest was written in (its dtype and EOT recorded; GPT-2's before fwkit recorded them)."""
    name = m.get("format")
    if name not in FORMATS:
        raise FwkitError(f"{MANIFEST}: unknown format {name!r}: written by a newer fwkit? upgrade fwkit")
    return FORMATS[name](np.dtype(m.get("dtype", "uint16")), int(m.get("eot", 50256)))


def _check_shard(report: Report, fmt: ShardFormat, i: int, shard: dict[str, Any], vocab: int) -> None:
    path = report.out_dir / shard["path"]
    name = shard["path"]
    if not path.is_file():
        report.problem(name, "missing")
        return
    size, expected = path.stat().st_size, fmt.file_bytes(shard["tokens"])
    if size != expected:
        report.problem(
            name, f"{size:,} bytes, expected {expected:,} (header + {shard['tokens']:,} tokens x {fmt.token_bytes})"
        )
        return
    with open(path, "rb") as f:
        bad_header = fmt.check_header(f.read(fmt.header_bytes), shard["tokens"])
    if bad_header:
        report.problem(name, bad_header)
    if shard.get("split") != split_of(i):
        report.problem(name, f"split {shard.get('split')!r}, expected {split_of(i)!r} for shard {i}")
    if sha256_file(path) != shard["sha256"]:
        report.problem(name, "sha256 differs from the manifest (the file changed or is damaged)")
    tokens = fmt.read_tokens(path)
    for start in range(0, tokens.size, SCAN_TOKENS):
        chunk = tokens[start : start + SCAN_TOKENS]
        top, low = int(chunk.max()), int(chunk.min())
        if top >= vocab or low < 0:
            report.problem(name, f"token id {top if top >= vocab else low} outside the vocabulary (0..{vocab - 1})")
            break
    companions = fmt.check_companions(path)
    if companions:
        report.problem(name, companions)
    report.shards_checked += 1
    report.tokens_checked += int(tokens.size)


def _check_sizes(report: Report, m: dict[str, Any], fmt: ShardFormat) -> None:
    """Totals add up, and every shard but the last is exactly as full as the format fills it."""
    shards, settings = m["shards"], m["settings"]
    total = sum(s["tokens"] for s in shards)
    if total != m["tokens"] and m.get("complete"):  # unfinished: the open shard's tokens are not listed yet
        report.problem(MANIFEST, f"shards hold {total:,} tokens, the manifest says {m['tokens']:,}")
    for i, s in enumerate(shards):
        capacity = fmt.capacity(i, settings["shard_tokens"], settings["val_tokens"])
        last = i == len(shards) - 1
        if capacity is not None and (s["tokens"] > capacity or (not last and s["tokens"] != capacity)):
            report.problem(s["path"], f"holds {s['tokens']:,} tokens; a full shard {i} holds {capacity:,}")


def _stream_slice(report: Report, m: dict[str, Any], start: int, count: int) -> np.ndarray:
    """Tokens [start, start + count) of the whole output, across shard boundaries."""
    fmt = _format_of(m)
    parts, offset = [], 0
    for shard in m["shards"]:
        lo, hi = max(start - offset, 0), min(start + count - offset, shard["tokens"])
        if lo < hi:
            parts.append(np.asarray(fmt.read_tokens(report.out_dir / shard["path"])[lo:hi]))
        offset += shard["tokens"]
    return np.concatenate(parts) if parts else np.empty(0, fmt.dtype)


def _check_samples(report: Report, m: dict[str, Any], count: int, seed: int | None) -> None:
    from fwkit.engine.items import Cursor
    from fwkit.engine.worker import tokenize_item
    from fwkit.sources import open_recorded

    entries = m.get("index", {}).get("entries", [])
    if not entries or not (m.get("inputs") or m.get("source")):
        report.problem(MANIFEST, "no index of work items: --sample needs a manifest written by fwkit >= 0.1")
        return
    try:
        source = open_recorded(m)
    except FwkitError as err:
        report.problem(MANIFEST, err.message)
        return
    spec = spec_of(m)  # backend tiktoken, the reference, whatever wrote the shards (manifest "backends")
    rng = random.Random(seed)
    for k in sorted(rng.sample(range(len(entries)), min(count, len(entries)))):
        input_index, offset, in_doc, line, token_offset = entries[k]
        # The whole span up to the next index entry (at least the whole sampled item), or to the end.
        stop = (entries[k + 1][0], entries[k + 1][1], entries[k + 1][4]) if k + 1 < len(entries) else None
        token, where = token_offset, ""
        for planned in source.plan(SAMPLE_ITEM_BYTES, Cursor(input_index, offset, bool(in_doc), line)):
            where = planned.item.describe()
            expected = tokenize_item(planned.item, spec).tokens
            if not np.array_equal(_stream_slice(report, m, token, expected.size), expected):
                report.problem(
                    where,
                    f"re-tokenized text differs from the output between tokens {token:,} and {token + expected.size:,}",
                )
                break
            token += expected.size
            if stop is not None and (planned.end.input_index, planned.end.offset) >= stop[:2]:
                if (planned.end.input_index, planned.end.offset) == stop[:2] and token != stop[2]:
                    report.problem(
                        where,
                        f"re-tokenizes to {token - token_offset:,} tokens, the output holds {stop[2] - token_offset:,}",
                    )
                break
        else:
            if token != m["tokens"] and where:
                report.problem(where, f"the inputs end at token {token:,}, the output at {m['tokens']:,}")
        report.samples_checked += 1


def _unfinished(out_dir: Path, m: dict[str, Any]) -> str:
    """The problem line of an unfinished run, with the command that resumes it."""
    from fwkit.runrecord import read_record

    done = f"the run is not complete ({m['tokens']:,} tokens checkpointed, {len(m['shards'])} shards finished)"
    command = read_record(out_dir, m.get("started_at"))
    if command:
        return f"{done}: finish it with `{command}`"
    return f"{done}: finish it by rerunning the command that started it with --resume (fwkit tokenize or fwkit run)"


def verify(out_dir: Path, sample: int = 0, seed: int | None = None) -> Report:
    """Check `out_dir` against its manifest; `sample` > 0 also re-tokenizes that many items."""
    report = Report(out_dir)
    if not out_dir.is_dir():
        raise FwkitError(f"{out_dir}: no such directory: give the --out dir of a run")
    try:
        m = load_manifest(out_dir)
    except FwkitError as err:  # unreadable or damaged: a problem found (exit 1), said in one line
        raise FwkitError(err.message, EXIT_ACTION_NEEDED) from None
    if m is None:
        raise FwkitError(f"{out_dir}: no {MANIFEST}: not an fwkit output dir (or the run never started)")
    if not m.get("complete"):
        report.problem(MANIFEST, _unfinished(out_dir, m))
    fmt = _format_of(m)
    vocab = int(tokenizer_of(m)["vocab_size"])
    for i, shard in enumerate(m["shards"]):
        _check_shard(report, fmt, i, shard, vocab)
    _check_sizes(report, m, fmt)
    listed = {name for s in m["shards"] for name in (s["path"], *fmt.companions(s["path"]))}
    prefix = m["settings"]["prefix"]
    from fwkit.engine.outdir import shard_files

    for path in shard_files(out_dir, fmt, prefix):
        if path.name not in listed and m.get("complete"):
            report.problem(path.name, "shard file not listed in the manifest (left from another run?)")
    if sample:
        _check_samples(report, m, sample, seed)
    return report
