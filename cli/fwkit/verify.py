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

from fwkit.encoding import VOCAB_SIZE
from fwkit.engine.formats import FORMATS, LLMC_MAGIC, LLMC_VERSION, TOKEN_BYTES, npy_header, split_of
from fwkit.engine.manifest import MANIFEST, load_manifest
from fwkit.engine.writer import sha256_file
from fwkit.errors import FwkitError

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


def _check_header(fmt_name: str, data: bytes, tokens: int) -> str | None:
    fmt = FORMATS[fmt_name]
    if fmt_name == "npy" and data != npy_header(tokens):
        return f"npy header does not describe {tokens} uint16 tokens"
    if fmt_name == "llmc":
        magic, version, count = np.frombuffer(data[:12], dtype="<i4")
        if (magic, version) != (LLMC_MAGIC, LLMC_VERSION):
            return f"llm.c header has magic {magic} version {version}, expected {LLMC_MAGIC} version {LLMC_VERSION}"
        if count != tokens:
            return f"llm.c header counts {count} tokens, the manifest {tokens}"
    assert len(data) == fmt.header_bytes
    return None


def _shard_tokens(path: Path, header_bytes: int) -> np.ndarray:
    return np.memmap(path, dtype=np.uint16, mode="r", offset=header_bytes)


def _check_shard(report: Report, m: dict[str, Any], i: int, shard: dict[str, Any]) -> None:
    out, fmt_name = report.out_dir, m["format"]
    fmt = FORMATS[fmt_name]
    path = out / shard["path"]
    name = shard["path"]
    if not path.is_file():
        report.problem(name, "missing")
        return
    size, expected = path.stat().st_size, fmt.header_bytes + shard["tokens"] * TOKEN_BYTES
    if size != expected:
        report.problem(name, f"{size} bytes, expected {expected} (header + {shard['tokens']} tokens x 2)")
        return
    with open(path, "rb") as f:
        bad_header = _check_header(fmt_name, f.read(fmt.header_bytes), shard["tokens"])
    if bad_header:
        report.problem(name, bad_header)
    if shard.get("split") != split_of(i):
        report.problem(name, f"split {shard.get('split')!r}, expected {split_of(i)!r} for shard {i}")
    if sha256_file(path) != shard["sha256"]:
        report.problem(name, "sha256 differs from the manifest (the file changed or is damaged)")
    tokens = _shard_tokens(path, fmt.header_bytes) if shard["tokens"] else np.empty(0, np.uint16)
    for start in range(0, tokens.size, SCAN_TOKENS):
        top = int(tokens[start : start + SCAN_TOKENS].max())
        if top >= VOCAB_SIZE:
            report.problem(name, f"token id {top} >= vocabulary size {VOCAB_SIZE}")
            break
    report.shards_checked += 1
    report.tokens_checked += int(tokens.size)


def _check_sizes(report: Report, m: dict[str, Any]) -> None:
    shards, settings = m["shards"], m["settings"]
    total = sum(s["tokens"] for s in shards)
    if total != m["tokens"]:
        report.problem(MANIFEST, f"shards hold {total} tokens, the manifest says {m['tokens']}")
    if m["format"] == "nanogpt":
        if shards and shards[0]["tokens"] != min(settings["val_tokens"], m["tokens"]):
            report.problem(
                shards[0]["path"], f"holds {shards[0]['tokens']} tokens, --val-tokens was {settings['val_tokens']}"
            )
        return
    for s in shards[:-1]:
        if s["tokens"] != settings["shard_tokens"]:
            report.problem(
                s["path"], f"holds {s['tokens']} tokens; every shard but the last holds {settings['shard_tokens']}"
            )


def _stream_slice(report: Report, m: dict[str, Any], start: int, count: int) -> np.ndarray:
    """Tokens [start, start + count) of the whole output, across shard boundaries."""
    fmt = FORMATS[m["format"]]
    parts, offset = [], 0
    for shard in m["shards"]:
        lo, hi = max(start - offset, 0), min(start + count - offset, shard["tokens"])
        if lo < hi:
            parts.append(np.asarray(_shard_tokens(report.out_dir / shard["path"], fmt.header_bytes)[lo:hi]))
        offset += shard["tokens"]
    return np.concatenate(parts) if parts else np.empty(0, np.uint16)


def _check_samples(report: Report, m: dict[str, Any], count: int, seed: int | None) -> None:
    from fwkit.engine.items import Cursor
    from fwkit.engine.worker import tokenize_item
    from fwkit.sources import plan_items
    from fwkit.sources.files import discover

    entries = m.get("index", {}).get("entries", [])
    if not entries or not (m.get("inputs") or m.get("source")):
        report.problem(MANIFEST, "no index of work items: --sample needs a manifest written by fwkit >= 0.1")
        return
    s = m["settings"]
    if m.get("source"):  # a --dataset run: the same row-group shards, streamed again
        from fwkit.sources.hub import sample_planner

        plan = sample_planner(m["source"])
    else:
        inputs = discover([Path(i["path"]) for i in m["inputs"]])
        for f, recorded in zip(inputs, m["inputs"], strict=True):
            if f.record() != recorded:
                report.problem(str(f.path), "changed since the run (size or mtime): cannot re-tokenize samples")
                return
        plan = lambda cursor: next(  # noqa: E731
            plan_items(inputs, s["doc_sep"], 1 << 20, s["text_column"], s["errors"], cursor), None
        )
    rng = random.Random(seed)
    for entry in rng.sample(entries, min(count, len(entries))):
        input_index, offset, in_doc, line, token_offset = entry
        cursor = Cursor(input_index, offset, bool(in_doc), line)
        planned = plan(cursor)
        if planned is None:
            continue
        expected = tokenize_item(planned.payload).tokens
        actual = _stream_slice(report, m, token_offset, expected.size)
        report.samples_checked += 1
        if not np.array_equal(actual, expected):
            name = m["source"]["dataset"] if m.get("source") else inputs[input_index].path
            where = f"{name} at byte/row-group {offset}"
            report.problem(where, f"re-tokenized text differs from the output at token {token_offset}")


def verify(out_dir: Path, sample: int = 0, seed: int | None = None) -> Report:
    """Check `out_dir` against its manifest; `sample` > 0 also re-tokenizes that many items."""
    report = Report(out_dir)
    if not out_dir.is_dir():
        raise FwkitError(f"{out_dir}: no such directory: give the --out dir of a run")
    m = load_manifest(out_dir)
    if m is None:
        raise FwkitError(f"{out_dir}: no {MANIFEST}: not an fwkit output dir (or the run never started)")
    if not m.get("complete"):
        report.problem(MANIFEST, "the run is not complete: finish it with `fwkit tokenize ... --resume`")
    for i, shard in enumerate(m["shards"]):
        _check_shard(report, m, i, shard)
    _check_sizes(report, m)
    listed = {s["path"] for s in m["shards"]}
    fmt_name, prefix = m["settings"]["format"], m["settings"]["prefix"]
    from fwkit.engine.outdir import shard_files

    for path in shard_files(out_dir, fmt_name, prefix):
        if path.name not in listed and m.get("complete"):
            report.problem(path.name, "shard file not listed in the manifest (left from another run?)")
    if sample:
        _check_samples(report, m, sample, seed)
    return report
