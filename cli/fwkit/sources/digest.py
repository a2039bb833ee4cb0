"""A digest of the part of an input a run has read, so `--resume` can tell "only the unread part
changed" (the user fixed the broken line fwkit pointed at) from "what was tokenized changed".

    d = PrefixDigest(); d.update(first_bytes); d.record()   # {"offset", "chain", "sha256"}

The stream (the decompressed one for `.gz`/`.zst`) is hashed in 1 MiB pieces at fixed offsets and
the piece digests are chained: chain_k = sha256(chain_k-1 + sha256(piece_k)). So the digest of a
prefix does not depend on how the run cut it into work items (which depends on --workers and
--mem), the state at a piece boundary is 32 bytes a resume restores by reading less than one
piece, and memory stays flat: no list per item, one hash object in progress.
"""

from __future__ import annotations

import hashlib
from typing import Any, BinaryIO

PIECE_BYTES = 1 << 20  # the digest's unit, and how much is read at a time to check a prefix
_START = bytes(32)  # the chain before any piece


class PrefixDigest:
    """The running digest of a stream's first bytes."""

    def __init__(self, chain: bytes = _START, base: int = 0) -> None:
        assert base % PIECE_BYTES == 0, "a chain is restored at a piece boundary"
        self.chain, self.base = chain, base
        self._piece = hashlib.sha256()
        self._in_piece = 0

    @property
    def offset(self) -> int:
        return self.base + self._in_piece

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            take = view[: PIECE_BYTES - self._in_piece]
            self._piece.update(take)
            self._in_piece += len(take)
            view = view[len(take) :]
            if self._in_piece == PIECE_BYTES:
                self.chain = hashlib.sha256(self.chain + self._piece.digest()).digest()
                self.base += PIECE_BYTES
                self._piece, self._in_piece = hashlib.sha256(), 0

    def record(self) -> dict[str, Any]:
        """What the manifest keeps: the offset, the chain at the last piece boundary (to continue
        from) and the digest of the whole prefix (to compare)."""
        whole = hashlib.sha256(self.chain + self._piece.copy().digest()).hexdigest()
        return {"offset": self.offset, "chain": self.chain.hex(), "sha256": whole}

    def feed(self, stream: BinaryIO, count: int) -> bool:
        """Read `count` bytes of `stream` into the digest; False if it ends first."""
        while count:
            chunk = stream.read(min(count, PIECE_BYTES))
            if not chunk:
                return False
            self.update(chunk)
            count -= len(chunk)
        return True


def restart_at(record: dict[str, Any]) -> tuple[PrefixDigest, int]:
    """(the digest at the piece boundary before `record`'s offset, the bytes still to feed it)."""
    offset = int(record["offset"])
    base = offset - offset % PIECE_BYTES
    return PrefixDigest(bytes.fromhex(record["chain"]), base), offset - base


def same(digest: PrefixDigest, record: dict[str, Any]) -> bool:
    """Whether `digest` is at `record` (which may hold more keys, such as the splitter's "cut")."""
    return all(record.get(key) == value for key, value in digest.record().items())


def prefix_matches(stream: BinaryIO, record: dict[str, Any]) -> bool:
    """Whether the first `record["offset"]` bytes of `stream` (at its start) are those recorded."""
    digest = PrefixDigest()
    return digest.feed(stream, int(record["offset"])) and same(digest, record)
