"""What an OSError during a run means to the user, in one line: a full disk (bytes or inodes), an
input that cannot be read, or an out dir that cannot be written. Each ends with the resume command.
"""

from __future__ import annotations

import errno
import os
import shlex
from pathlib import Path

from fwkit.engine.settings import TokenizeSettings
from fwkit.errors import FwkitError, read_failed
from fwkit.sizes import format_bytes

TEXT_BYTES_PER_TOKEN = 4  # before enough is measured: ~4 bytes of English text a token
MEASURED_BYTES = 1 << 20  # the ratio of this run counts once it has read 1 MiB
MIN_NEED = 64 << 10  # at the very end: the manifest and a shard header still need room


def resume_command(settings: TokenizeSettings) -> str:
    words = [w for w in settings.command if w not in ("--resume", "--overwrite")] or ["fwkit", "tokenize"]
    return shlex.join([*words, "--resume"])


def _disk_full(settings: TokenizeSettings, done: int, total: int | None, tokens: int) -> FwkitError:
    out = settings.out_dir
    st = os.statvfs(out if out.exists() else out.parent)
    free = st.f_bavail * st.f_frsize
    then = f"then resume with `{resume_command(settings)}`"
    if st.f_files and st.f_favail == 0:
        return FwkitError(f"{out}: out of inodes (no new file fits, {format_bytes(free)} free): delete files, {then}")
    if total:
        per_token = settings.shard_format().token_bytes  # 2 for uint16 ids, 4 for uint32
        ratio = per_token * tokens / done if done >= MEASURED_BYTES and tokens else per_token / TEXT_BYTES_PER_TOKEN
        need = f"about {format_bytes(max((total - done) * ratio, MIN_NEED))} more needed"
    else:
        need = "the size needed is unknown"
    return FwkitError(f"{out}: disk full ({format_bytes(free)} free, {need}): free space, {then}")


def os_failure(settings: TokenizeSettings, err: OSError, done: int, total: int | None, tokens: int) -> FwkitError:
    """The one line for an OSError of a run that had read `done` of `total` bytes into `tokens`."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return _disk_full(settings, done, total, tokens)
    failed = Path(err.filename) if isinstance(err.filename, str) else None
    if failed is not None and not failed.resolve().is_relative_to(settings.out_dir.resolve()):
        return read_failed(failed, err.strerror)
    return FwkitError(f"{settings.out_dir}: write failed ({err.strerror}): fix it, then rerun with --resume")
