#!/usr/bin/env bash
# Build a local Debian bookworm base image (python3 + venv + pip) for hosts that cannot pull one.
#
#   scripts/build_base_image.sh [TAG]        # default TAG: fwkit-base:bookworm
#   fwkit image build --base-image fwkit-base:bookworm
#
# debootstrap fetches packages from the Debian mirror (apt's, not Docker Hub), and `docker import`
# turns the root filesystem into an image. Bookworm's python3 is 3.11, the same ABI the host's
# wheelhouse is built for. Skips all work when TAG already exists.
set -euo pipefail

usage() {
    cat <<USAGE
usage: $(basename "$0") [-h] [TAG]

Build a minimal Debian bookworm image with python3, python3-venv and python3-pip from the Debian
mirror (debootstrap --variant=minbase) and import it into Docker as TAG
(default: fwkit-base:bookworm). Needs root, debootstrap and a running Docker engine.
Environment: DEBIAN_MIRROR (default: http://deb.debian.org/debian).
USAGE
}

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    usage
    exit 0
fi
if [[ $# -gt 1 ]]; then
    usage >&2
    exit 2
fi

TAG="${1:-fwkit-base:bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

run() {
    echo "+ $*" >&2
    "$@"
}

if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "base image $TAG exists; nothing to do" >&2
    exit 0
fi
for tool in debootstrap docker tar; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found; apt-get install $tool" >&2; exit 2; }
done
if [[ $(id -u) -ne 0 ]]; then
    echo "error: debootstrap needs root; rerun with sudo" >&2
    exit 2
fi

ROOTFS="$(mktemp -d /tmp/fwkit-rootfs.XXXXXX)"
cleanup() {
    echo "+ rm -rf $ROOTFS" >&2
    rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

run debootstrap --variant=minbase --include=python3,python3-venv,python3-pip bookworm "$ROOTFS" "$MIRROR"
# Keep the image small: package lists and caches are not needed at run time.
run rm -rf "$ROOTFS/var/lib/apt/lists" "$ROOTFS/var/cache/apt/archives"
mkdir -p "$ROOTFS/var/lib/apt/lists/partial"
echo "+ tar -C $ROOTFS -c . | docker import - $TAG" >&2
tar -C "$ROOTFS" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    - "$TAG" >/dev/null
echo "built base image $TAG" >&2
