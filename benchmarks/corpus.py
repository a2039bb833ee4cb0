"""Real-text benchmark inputs, built once and cached: Python's docs (English) + man pages (Chinese).

    python benchmarks/corpus.py 100      # prints the path of a ~100 MB corpus

Synthetic text hides tokenizer costs (GPT-2's regex and BPE behave differently on real prose,
code and CJK), so benchmarks run on Debian's `python3.11-doc` and `manpages-zh` text, repeated to
the size asked. Documents are separated by blank lines.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

CACHE = Path("/var/tmp/fwkit-bench")
PY_DOCS = Path("/usr/share/doc/python3.11/html/_sources")
ZH_MAN = Path("/usr/share/man/zh_CN")


def base_text() -> str:
    """About 10 MB of real prose: every Python doc page, then ~1 MB of Chinese man pages."""
    if not PY_DOCS.exists() or not ZH_MAN.exists():
        sys.exit("benchmarks need real text: apt-get install python3.11-doc manpages-zh")
    english = [p.read_text(encoding="utf-8") for p in sorted(PY_DOCS.rglob("*.txt"))]
    chinese = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace") for p in sorted(ZH_MAN.rglob("*.gz"))[:300]]
    return "\n\n".join(english + chinese)


def corpus(megabytes: int) -> Path:
    """A file of about `megabytes` MB: the real text repeated (cached under /var/tmp)."""
    path = CACHE / f"corpus-{megabytes}MB.txt"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    block = base_text().encode("utf-8")
    target = megabytes * 1_000_000
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        written = 0
        while written < target:
            piece = block[: target - written]
            piece = piece[: piece.rfind(b"\n\n")] if written + len(block) > target else piece
            f.write(piece + b"\n\n")
            written += len(piece) + 2
            if len(piece) < len(block):
                break
    tmp.rename(path)
    return path


if __name__ == "__main__":
    print(corpus(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
