"""A wheel of the installed fwkit, for a `pip install fwkit` host that has no source checkout.

    python -c "from fwkit.runtime.repack import repack_installed; print(repack_installed(Path('dist')))"

The job image installs fwkit from a wheel. A checkout builds one with `pip wheel`; an installed
fwkit is zipped back into one from its own files (`importlib.metadata` lists them in RECORD): the
package, its dist-info (METADATA, WHEEL, entry_points.txt) and a fresh RECORD with every file's
sha256. Files pip added at install time (INSTALLER, REQUESTED, direct_url.json, bytecode, the
`bin/fwkit` script) are left out, as they are in the wheel pip installed from.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from fwkit.errors import FwkitError

INSTALL_ONLY = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}


def _record_hash(data: bytes) -> str:
    """RECORD's hash format: `sha256=` + urlsafe base64 without padding (PEP 376 / PEP 427)."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _wheel_tag(dist: metadata.Distribution) -> str:
    """The first `Tag:` of the dist-info's WHEEL file, e.g. py3-none-any."""
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return tags[0] if tags else "py3-none-any"


def repack_installed(dest: Path, name: str = "fwkit") -> Path:
    """Write `<dest>/fwkit-<version>-<tag>.whl` from the installed distribution; its path."""
    dist = metadata.distribution(name)
    files = [f for f in dist.files or [] if not str(f).startswith("..") and "__pycache__" not in f.parts]
    files = [f for f in files if not (f.parent.name.endswith(".dist-info") and f.name in INSTALL_ONLY)]
    if not any(f.name == "METADATA" for f in files):
        raise FwkitError(f"the installed {name} lists no METADATA (an editable or broken install): reinstall it")
    dist_info = next(f.parent for f in files if f.name == "METADATA")
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{name}-{dist.version}-{_wheel_tag(dist)}.whl"
    records = []
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(files, key=str):
            data = Path(f.locate()).read_bytes()
            zf.writestr(f.as_posix(), data)
            records.append(f"{f.as_posix()},{_record_hash(data)},{len(data)}")
        records.append(f"{dist_info.as_posix()}/RECORD,,")
        zf.writestr(f"{dist_info.as_posix()}/RECORD", "\n".join(records) + "\n")
    return wheel
