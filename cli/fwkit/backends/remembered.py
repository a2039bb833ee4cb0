"""Start checks a fast backend passed on this machine, remembered so the next job starts at once.

    cat ~/.cache/fwkit/backend_checks.json
    # {"auto | gpt2 | gigatoken 0.10.0 at .../gigatoken/__init__.py | ... | sample 3f2a...": ["gigatoken", "0.10.0"]}

Choosing a backend loads it and tiktoken in a spawned process and encodes the adversarial sample with
both: ~1.5 s before the first worker starts, 6% of a 1 GB job at 8x tiktoken. Its outcome depends
only on what the key names (the request, the tokenizer, fwkit's and every backend's installed
version and location, the sample's digest), so a pass is kept under that key; an upgrade or a
changed sample makes a new key and a new check. This skips no check: every worker, local or on a
Ray node, still runs the start check with its first item (`check.CrossCheck`) and refuses another
version than the one chosen. A refusal is never remembered: it is checked and explained again on every run.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from importlib.util import find_spec

from fwkit import cachefile
from fwkit.backends import FAST, REFERENCE

CACHE_NAME = "backend_checks.json"


def _installed(package: str) -> str:
    """Its version and where `import` would take it from (another copy on PYTHONPATH is another key)."""
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:
        return "missing"
    spec = find_spec(package)
    return f"{version} at {spec.origin if spec else 'nowhere'}"


def key(requested: str, tokenizer: str) -> str:
    """Everything a start check's outcome depends on, in one line."""
    from fwkit.backends.sample import adversarial_sample

    texts = "\0".join(adversarial_sample()).encode("utf-8", "surrogatepass")
    versions = " | ".join(f"{name} {_installed(name)}" for name in (*FAST, REFERENCE, "fwkit"))
    return f"{requested} | {tokenizer} | {versions} | sample {hashlib.sha256(texts).hexdigest()[:16]}"


def passed(requested: str, tokenizer: str) -> tuple[str, str] | None:
    """(backend, version) a start check chose for this request on this machine before, or None."""
    found = cachefile.read(CACHE_NAME).get(key(requested, tokenizer))
    if isinstance(found, list) and len(found) == 2 and found[0] in FAST and isinstance(found[1], str):
        return found[0], found[1]
    return None


def remember(requested: str, tokenizer: str, backend: str, version: str) -> None:
    """Keep a fast backend's pass (tiktoken needs no check, and a refusal is never kept)."""
    if backend in FAST:
        cachefile.remember(CACHE_NAME, key(requested, tokenizer), [backend, version])
