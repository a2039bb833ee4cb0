"""Documents in, token ids out: each document becomes [EOT] + encode_ordinary(text).

As build-nanogpt and llm.c do, EOT (`<|endoftext|>`) starts every document; the literal string
"<|endoftext|>" inside a text is ordinary text. The backend (`fwkit.backends`: tiktoken, or a
faster exact library) is built lazily, once per process, and encodes the documents in batches of
about `BATCH_CHARS`: one call, one flat array of ids, no Python list of tokens; a plain text item
goes to a backend that `takes_bytes` as its raw bytes, split into documents there. A fast backend's
first item in every process, and one in `CHECK_EVERY` after it, is encoded with tiktoken too
(`fwkit.backends.check`). The ids are checked against the vocabulary before they are narrowed to
the output dtype: an id that does not fit would corrupt the shards silently.
"""

from __future__ import annotations

import multiprocessing
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from importlib import metadata
from itertools import islice

import numpy as np

from fwkit import backends
from fwkit.backends import remembered
from fwkit.backends.check import RERUN, CrossCheck, choose
from fwkit.encoding import DEFAULT_TOKENIZER, tokenizer
from fwkit.engine.items import TextBytes
from fwkit.errors import FwkitError

BATCH_CHARS = 4 << 20  # ~4M characters per backend call: a text work item in one call, a row group in a few


@dataclass(frozen=True)
class TokenizerSpec:
    """Which tokenizer and which backend encode the documents, and the dtype the ids are written in
    (picklable: sent to every worker). `out_dtype` "" means the vocabulary's own (`Tokenizer.dtype`);
    `backend` is a name of `fwkit.backends.BACKENDS`, or "auto" until `resolve` picks one and sets
    `backend_version`, the version its start check passed with (every worker must have that one)."""

    name: str = DEFAULT_TOKENIZER
    backend: str = backends.REFERENCE
    out_dtype: str = ""
    backend_version: str = ""

    @property
    def dtype(self) -> np.dtype:
        """The dtype written: uint16 for GPT-2's 50,257 ids, uint32 past 65,536, or as the format chose."""
        return np.dtype(self.out_dtype) if self.out_dtype else tokenizer(self.name).dtype


def _choose(requested: str, tokenizer: str) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    backend = choose(requested, tokenizer, note=notes.append)
    return backend.name if requested == "auto" else requested, backend.version, notes


def resolve(spec: TokenizerSpec, note: Callable[[str], None]) -> TokenizerSpec:
    """The spec with the backend the job runs with (checked at start) and its version.

    A fast backend is loaded and checked in a short-lived process: its set-up (~30 MB that it never
    gives back) stays out of the main process, which encodes nothing. A pass on this machine with
    the same versions is remembered (`backends.remembered`): the workers check again anyway."""
    if spec.backend == backends.REFERENCE:  # nothing to check, and nothing to load here
        return replace(spec, backend_version=metadata.version("tiktoken"))
    if (found := remembered.passed(spec.backend, spec.name)) is not None:
        return replace(spec, backend=found[0], backend_version=found[1])
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            name, version, notes = pool.submit(_choose, spec.backend, spec.name).result()
    except BrokenProcessPool:  # the backend crashed the process that checked it (a segfault, say)
        if spec.backend != "auto":
            raise FwkitError(f"--backend {spec.backend} crashed on its start check: use --backend tiktoken") from None
        note("--backend auto: the fast backend crashed on its start check")
        return resolve(replace(spec, backend=backends.REFERENCE), note)
    for line in notes:
        note(line)
    remembered.remember(spec.backend, spec.name, name, version)
    return replace(spec, backend=name, backend_version=version)


_cross_check = CrossCheck()  # this process's count of fast-backend items


def _backend(spec: TokenizerSpec, where: Callable[[], str]) -> backends.Backend:
    """This process's backend: the one the job was checked with at start, or one line why not (a Ray
    node without it, or with another version of it)."""
    try:
        backend = backends.cached(spec.backend, spec.name)
    except backends.Unavailable as err:
        raise FwkitError(f"{where()}: on {socket.gethostname()}, {err}; {RERUN}") from None
    if spec.backend_version and backend.version != spec.backend_version:
        raise FwkitError(
            f"{where()}: {socket.gethostname()} has {backend.name} {backend.version}, the job was checked with "
            f"{spec.backend_version}: install that one there, or {RERUN}"
        )
    return backend


def _batches(docs: Iterator[tuple[str, bool]]) -> Iterator[tuple[list[str], list[bool]]]:
    """(texts, starts) of about BATCH_CHARS characters, taken 256 documents at a time (in C, not per document)."""
    texts: list[str] = []
    starts: list[bool] = []
    chars = 0
    while chunk := list(islice(docs, 256)):
        chunk_texts, chunk_starts = zip(*chunk, strict=True)
        texts += chunk_texts
        starts += chunk_starts
        chars += sum(map(len, chunk_texts))
        if chars >= BATCH_CHARS:
            yield texts, starts
            texts, starts, chars = [], [], 0
    if texts:
        yield texts, starts


def with_eots(ids: np.ndarray, doc_starts: np.ndarray, spec: TokenizerSpec) -> np.ndarray:
    """`ids` in `spec.dtype` with EOT before position each of `doc_starts` (ascending): one array, the
    ids cast as they are copied in (no uint32 copy, no list)."""
    known = tokenizer(spec.name)
    assert ids.size == 0 or int(ids.max()) < known.n_vocab, "token id outside the vocabulary"
    assert known.n_vocab <= np.iinfo(spec.dtype).max + 1, f"{spec.name} ids do not fit {spec.dtype}"
    out = np.empty(len(ids) + len(doc_starts), dtype=spec.dtype)
    at = doc_starts + np.arange(len(doc_starts))  # where each EOT lands once those before it are in
    keep = np.ones(len(out), dtype=bool)
    keep[at] = False
    out[keep] = ids
    out[at] = known.eot
    return out


def encode_documents(
    docs: Iterator[tuple[str, bool]], spec: TokenizerSpec, where: Callable[[], str] = lambda: "a work item"
) -> tuple[np.ndarray, int]:
    """(tokens in `spec.dtype`, documents started) for (text, starts_a_document) pairs.

    `where` names the item in one-line errors (a fast backend that disagrees with tiktoken)."""
    backend = _backend(spec, where)
    parts: list[np.ndarray] = []
    documents = pieces = 0
    with _cross_check.item(backend, spec.name, where) as check:
        for texts, starts in _batches(docs):
            ids, offsets = backend.encode_batch(texts)
            if check is not None:
                check.compare(texts, (ids, offsets), first=pieces)
            doc_starts = offsets[:-1][np.array(starts, dtype=bool)]
            parts.append(with_eots(ids, doc_starts, spec))
            documents += len(doc_starts)
            pieces += len(texts)
    tokens = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.empty(0, dtype=spec.dtype)
    return tokens, documents


def encode_text_bytes(
    block: TextBytes, spec: TokenizerSpec, where: Callable[[], str] = lambda: "a work item"
) -> tuple[np.ndarray, int]:
    """The same for a plain text item's bytes, split and encoded by the backend itself (`takes_bytes`)."""
    backend = _backend(spec, where)
    with _cross_check.item(backend, spec.name, where) as check:
        ids, offsets = backend.encode_bytes(block.data, block.sep)
        if check is not None:
            check.compare(block.texts(), (ids, offsets))
    doc_starts = offsets[:-1] if block.first_starts() else offsets[1:-1]
    return with_eots(ids, doc_starts, spec), len(doc_starts)


def takes_bytes(spec: TokenizerSpec) -> bool:
    """Whether this process's backend encodes raw text bytes (`encode_text_bytes`) faster than strings."""
    try:
        return backends.cached(spec.backend, spec.name).takes_bytes
    except backends.Unavailable:
        return False  # encode_documents then says why, in one line naming the item
