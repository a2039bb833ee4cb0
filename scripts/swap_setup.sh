#!/usr/bin/env bash
# Make, resize or remove a swap file the right way for its filesystem; undo everything on failure.
#
#   sudo scripts/swap_setup.sh --size 64G --persist --swappiness 10
#   sudo scripts/swap_setup.sh --remove
#
# Plain bash, no Python: cloud-init or a fresh VM can run it as is (`fwkit swap` wraps it).
# The new file is built under a temporary name (PATH.fwkit-new) and only renamed to PATH once it is
# a complete swap area, so PATH never holds a half-made swap file. Every change pushes its undo on
# a stack; the EXIT trap runs that stack backwards when anything fails.
set -euo pipefail

usage() {
    cat <<USAGE
usage: $(basename "$0") --size SIZE [--path P] [--persist] [--fstab F] [--swappiness N] [--sysctl-dir D] [--dry-run]
       $(basename "$0") --remove [--path P] [--fstab F] [--dry-run]

Create (or resize) the swap file P and turn it on, or --remove it: swapoff, drop its fstab line,
delete the file. A second identical call changes nothing. Needs root (--dry-run does not).

  --size SIZE        whole number with K, M, G or T (binary units), e.g. 64G; rounded up to 1 MiB
  --path P           the swap file (default /swapfile); letters, digits and ._/- only
  --persist          add one "P none swap sw 0 0" line to the fstab (never a second one)
  --fstab F          the fstab to edit (default /etc/fstab)
  --swappiness N     0..200: write vm.swappiness to D/99-fwkit-swap.conf and apply it (sysctl -w)
  --sysctl-dir D     the sysctl drop-in directory (default /etc/sysctl.d; env FWKIT_SYSCTL_DIR)
  --dry-run          print the commands it would run; change nothing
  -h, --help         this text

Filesystems: ext4/ext2/ext3 and XFS (fallocate, else dd), btrfs (btrfs filesystem mkswapfile, else
chattr +C before allocating). ZFS, tmpfs, overlayfs and network filesystems are refused.
Exit codes: 0 done (or nothing to do), 2 refused before changing anything, other: a command failed
and every change was undone.
Test only: FWKIT_SWAP_FSTYPE_OVERRIDE replaces the filesystem probe (stat -f -c %T).
USAGE
}

MiB=$((1024 * 1024))
GiB=$((1024 * MiB))
DISK_MARGIN=$GiB # left free on the disk after the swap file, so the system can still write logs
SIGNATURE=SWAPSPACE2 # mkswap's magic: the last 10 bytes of the first page

SIZE_TEXT="" SWAP_PATH=/swapfile PERSIST=0 FSTAB=/etc/fstab SWAPPINESS="" DRY_RUN=0 REMOVE=0
SYSCTL_DIR="${FWKIT_SYSCTL_DIR:-/etc/sysctl.d}"
FORMATTED=0 # 1 once btrfs mkswapfile has also written the swap signature

die() {
    echo "error: $*" >&2
    exit 2
}

while [[ $# -gt 0 ]]; do
    if [[ $1 =~ ^--(size|path|fstab|swappiness|sysctl-dir)$ && $# -lt 2 ]]; then
        die "$1 needs a value (see --help)"
    fi
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --size) SIZE_TEXT="${2-}"; shift ;;
        --path) SWAP_PATH="${2-}"; shift ;;
        --persist) PERSIST=1 ;;
        --fstab) FSTAB="${2-}"; shift ;;
        --swappiness) SWAPPINESS="${2-}"; shift ;;
        --sysctl-dir) SYSCTL_DIR="${2-}"; shift ;;
        --dry-run) DRY_RUN=1 ;;
        --remove) REMOVE=1 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

# ---- actions: printed as the command they run; --dry-run only prints ----------------------------
UNDO=() # undo commands, run last-first by the EXIT trap when the script fails
run() {
    echo "+ $*"
    [[ $DRY_RUN -eq 1 ]] || "$@"
}
push_undo() {
    UNDO+=("$(printf '%q ' "$@")")
}
on_exit() {
    local rc=$?
    trap '' PIPE # the reader of our output may be gone (Ctrl-C in fwkit swap): undo all the same
    if [[ $rc -ne 0 && ${#UNDO[@]} -gt 0 ]]; then
        echo "failed (exit $rc): undoing ${#UNDO[@]} change(s)" >&2
        local i
        for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do
            echo "+ ${UNDO[i]}" >&2
            eval "${UNDO[i]}" || echo "warning: undo step failed: ${UNDO[i]}" >&2
        done
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- probes: read only ----------------------------------------------------------------------------
parse_size() { # 64G -> bytes, rounded up to whole MiB; empty on bad input, zero, or over 1 PiB
    local text=$1 number unit scale=1
    [[ $text =~ ^([0-9]{1,12})([KkMmGgTt]?)(i?[Bb])?$ ]] || return 0
    number=$((10#${BASH_REMATCH[1]})) unit=${BASH_REMATCH[2]^^}
    case "$unit" in
        K) scale=1024 ;;
        M) scale=$MiB ;;
        G) scale=$GiB ;;
        T) scale=$((1024 * GiB)) ;;
    esac
    # 1 PiB = 2^50 bytes: far above any disk, and 12 digits times 2^40 would overflow 64-bit otherwise.
    if [[ $number -gt 0 && $number -le $(((1 << 50) / scale)) ]]; then
        echo $(((number * scale + MiB - 1) / MiB * MiB))
    fi
}
is_active() { # the kernel lists it in /proc/swaps (first column)
    awk -v p="$1" 'NR > 1 && $1 == p { found = 1 } END { exit !found }' /proc/swaps
}
has_signature() { # a swap area: mkswap wrote SWAPSPACE2 at the end of the first page
    local page
    page=$(getconf PAGESIZE)
    [[ -f $1 && $(dd if="$1" bs=1 skip=$((page - 10)) count=10 status=none 2>/dev/null) == "$SIGNATURE" ]]
}
fstab_has() {
    [[ -f $FSTAB ]] && awk -v p="$SWAP_PATH" '$1 == p && $3 == "swap" { found = 1 } END { exit !found }' "$FSTAB"
}
human() { # bytes -> "1.5 GiB" or "64 MiB"
    awk -v b="$1" 'BEGIN { if (b < 1073741824) printf "%d MiB", b / 1048576; else printf "%.1f GiB", b / 1073741824 }'
}

# ---- fstab and sysctl edits: a temporary copy renamed over the original -------------------------
fstab_add() {
    local tmp="$FSTAB.fwkit-tmp" line="$SWAP_PATH none swap sw 0 0"
    push_undo rm -f "$tmp"
    if [[ -f $FSTAB ]]; then run cp -p "$FSTAB" "$tmp"; else run touch "$tmp"; fi
    echo "+ echo '$line' >> $tmp"
    [[ $DRY_RUN -eq 1 ]] || echo "$line" >>"$tmp"
    run mv -f "$tmp" "$FSTAB"
}
fstab_drop() {
    # shellcheck disable=SC2016 # $1 and $3 are awk's fields, not the shell's
    local tmp="$FSTAB.fwkit-tmp" prog='!($1 == p && $3 == "swap")'
    push_undo rm -f "$tmp"
    run cp -p "$FSTAB" "$tmp"
    echo "+ awk -v p=$SWAP_PATH '$prog' $FSTAB > $tmp"
    [[ $DRY_RUN -eq 1 ]] || awk -v p="$SWAP_PATH" "$prog" "$FSTAB" >"$tmp"
    run mv -f "$tmp" "$FSTAB"
}

# ---- checks that apply to both modes ---------------------------------------------------------------
[[ $SWAP_PATH =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--path '$SWAP_PATH' must be absolute, with letters, digits and ._/- only"
SWAP_PATH=$(realpath -m "$SWAP_PATH") # the kernel lists the resolved path in /proc/swaps
if [[ $(id -u) -ne 0 ]]; then
    [[ $DRY_RUN -eq 1 ]] || die "swap needs root: rerun with sudo (or add --dry-run to preview)"
    echo "note: not root; the real run needs sudo" >&2
fi
for tool in mkswap swapon swapoff awk df stat flock; do
    command -v "$tool" >/dev/null || die "$tool not found: apt-get install util-linux coreutils mawk"
done

# One run at a time per directory: a second one (cloud-init and a user, say) is refused, not interleaved.
if [[ $DRY_RUN -eq 0 && -d $(dirname "$SWAP_PATH") ]]; then
    exec 9<"$(dirname "$SWAP_PATH")"
    flock -n 9 || die "another swap_setup.sh is working in $(dirname "$SWAP_PATH"): wait for it, then rerun"
fi

# ---- --remove ---------------------------------------------------------------------------------------
if [[ $REMOVE -eq 1 ]]; then
    [[ -z $SIZE_TEXT && -z $SWAPPINESS ]] || die "--remove takes only --path, --fstab and --dry-run"
    if [[ -e $SWAP_PATH ]] && ! is_active "$SWAP_PATH" && ! has_signature "$SWAP_PATH"; then
        die "$SWAP_PATH is not a swap file (no $SIGNATURE signature); not deleting it"
    fi
    changed=0
    if is_active "$SWAP_PATH"; then
        run swapoff "$SWAP_PATH"
        push_undo swapon "$SWAP_PATH"
        changed=1
    fi
    if fstab_has; then
        fstab_drop
        push_undo fstab_add
        changed=1
    fi
    if [[ -e $SWAP_PATH ]]; then
        run rm -f "$SWAP_PATH" # the last step: nothing after it can fail
        changed=1
    fi
    [[ $changed -eq 1 ]] || echo "$SWAP_PATH: no swap file, not active, not in $FSTAB; nothing to do"
    UNDO=()
    [[ $DRY_RUN -eq 0 ]] || echo "dry run: nothing changed"
    exit 0
fi

# ---- create: checks --------------------------------------------------------------------------------
[[ -n $SIZE_TEXT ]] || die "--size is required (e.g. --size 64G), or --remove"
SIZE=$(parse_size "$SIZE_TEXT")
[[ -n $SIZE ]] || die "--size '$SIZE_TEXT' is not a size: use a whole number with K, M, G or T, at most 1024T, e.g. 64G"
if [[ -n $SWAPPINESS ]]; then
    [[ $SWAPPINESS =~ ^[0-9]{1,3}$ && $SWAPPINESS -le 200 ]] || die "--swappiness '$SWAPPINESS' must be 0..200"
fi
DIR=$(dirname "$SWAP_PATH")
NEW="$SWAP_PATH.fwkit-new" OLD="$SWAP_PATH.fwkit-old"
[[ -d $DIR ]] || die "directory $DIR does not exist: create it or choose another --path"
if [[ -d $SWAP_PATH || -L $SWAP_PATH ]]; then
    die "$SWAP_PATH is a directory or a symlink: choose another --path"
fi
if [[ $PERSIST -eq 1 && ! -d $(dirname "$FSTAB") ]]; then
    die "directory of --fstab $FSTAB does not exist"
fi
if [[ -n $SWAPPINESS && ! -d $SYSCTL_DIR ]]; then
    die "sysctl directory $SYSCTL_DIR does not exist: create it or pass --sysctl-dir"
fi
for leftover in "$NEW" "$OLD"; do
    [[ ! -e $leftover ]] || die "$leftover is left over from an interrupted run: delete it (rm $leftover) and rerun"
done

if [[ -e $SWAP_PATH && ! -r $SWAP_PATH ]]; then
    die "cannot read $SWAP_PATH to check it is a swap file: rerun with sudo"
fi
STATE=absent # absent | same (active, this size) | resize (active, other size) | off (this size) | replace (off, other size)
if [[ -e $SWAP_PATH ]]; then
    if is_active "$SWAP_PATH"; then
        STATE=resize
        if [[ $(stat -c %s "$SWAP_PATH") -eq $SIZE ]]; then STATE=same; fi
    elif has_signature "$SWAP_PATH"; then
        STATE=replace
        if [[ $(stat -c %s "$SWAP_PATH") -eq $SIZE ]]; then STATE=off; fi
    else
        die "$SWAP_PATH exists and is not a swap file: choose another --path or move it away"
    fi
fi

FSTYPE="${FWKIT_SWAP_FSTYPE_OVERRIDE:-$(stat -f -c %T "$DIR")}"
case "$FSTYPE" in
    ext2/ext3 | ext[234] | xfs) ALLOC=fallocate ;;
    btrfs) ALLOC=btrfs ;;
    zfs) die "$DIR is on ZFS, which cannot hold swap files (no block map for swapon; swap on a zvol can deadlock under memory pressure): choose --path on ext4 or XFS" ;;
    tmpfs | ramfs) die "$DIR is on $FSTYPE, which lives in RAM: swap there frees nothing; choose --path on a disk (e.g. /swapfile)" ;;
    *) die "$DIR is on $FSTYPE, which cannot hold swap files: choose --path on ext4, XFS or btrfs" ;;
esac

if [[ $STATE != same && $STATE != off ]]; then
    # The new file is complete before the old one goes, so both need room for a moment.
    FREE=$(df -B1 --output=avail "$DIR" | tail -n 1 | tr -d ' ')
    NEED=$((SIZE + DISK_MARGIN))
    [[ $FREE -ge $NEED ]] || die "not enough free disk on $DIR: $(human "$FREE") free, $(human "$NEED") needed ($(human "$SIZE") swap + $(human "$DISK_MARGIN") margin)"
fi

# ---- create: changes -------------------------------------------------------------------------------
allocate() { # $NEW of $SIZE bytes with every block allocated (swapon refuses holes)
    local mib=$((SIZE / MiB))
    if [[ $ALLOC == btrfs ]]; then
        if command -v btrfs >/dev/null && btrfs filesystem mkswapfile --help >/dev/null 2>&1; then
            # btrfs-progs >= 6.1: makes a NOCOW, non-compressed, preallocated file and runs mkswap.
            push_undo rm -f "$NEW"
            run btrfs filesystem mkswapfile --size "${mib}m" "$NEW"
            FORMATTED=1
            return
        fi
        push_undo rm -f "$NEW"
        run touch "$NEW"
        run chattr +C "$NEW" # NOCOW must be set while the file is empty: swap needs fixed extents
    else
        push_undo rm -f "$NEW"
    fi
    if ! run fallocate -l "$SIZE" "$NEW" || [[ $DRY_RUN -eq 0 && $(($(stat -c '%b * %B' "$NEW"))) -lt $SIZE ]]; then
        echo "note: fallocate failed or left holes; writing zeros instead" >&2
        run dd if=/dev/zero of="$NEW" bs=1M count="$mib" status=none
    fi
}

activate() { # swapon; some kernels see fallocate's unwritten extents as holes: then write zeros, retry
    if run swapon "$SWAP_PATH"; then return 0; fi
    [[ $ALLOC == fallocate ]] || return 1
    echo "note: swapon refused the fallocated file; writing zeros into it and retrying" >&2
    run dd if=/dev/zero of="$SWAP_PATH" bs=1M count=$((SIZE / MiB)) conv=notrunc status=none
    run mkswap "$SWAP_PATH"
    run swapon "$SWAP_PATH"
}

if [[ $STATE == same ]]; then
    echo "$SWAP_PATH: active swap of $(human "$SIZE") already; leaving it"
elif [[ $STATE == off ]]; then
    run chmod 600 "$SWAP_PATH"
    run swapon "$SWAP_PATH"
    push_undo swapoff "$SWAP_PATH"
else
    allocate
    run chmod 600 "$NEW"
    [[ $FORMATTED -eq 1 ]] || run mkswap "$NEW"
    if [[ $STATE == resize ]]; then
        run swapoff "$SWAP_PATH"
        push_undo swapon "$SWAP_PATH"
    fi
    if [[ $STATE != absent ]]; then
        run mv "$SWAP_PATH" "$OLD"
        push_undo mv "$OLD" "$SWAP_PATH"
    fi
    run mv "$NEW" "$SWAP_PATH"
    push_undo mv "$SWAP_PATH" "$NEW"
    activate
    push_undo swapoff "$SWAP_PATH"
    echo "+ grep $SWAP_PATH /proc/swaps"
    [[ $DRY_RUN -eq 1 ]] || is_active "$SWAP_PATH" || {
        echo "error: swapon succeeded but $SWAP_PATH is not in /proc/swaps" >&2
        exit 1
    }
fi

if [[ $PERSIST -eq 1 ]]; then
    if fstab_has; then
        echo "$FSTAB: has a swap line for $SWAP_PATH already"
    else
        fstab_add
        push_undo fstab_drop
    fi
fi

if [[ -n $SWAPPINESS ]]; then
    conf="$SYSCTL_DIR/99-fwkit-swap.conf" want="vm.swappiness = $SWAPPINESS"
    if [[ ! -f $conf || $(cat "$conf") != "$want" ]]; then
        if [[ -f $conf ]]; then
            run cp -p "$conf" "$conf.fwkit-old"
            push_undo mv -f "$conf.fwkit-old" "$conf"
        else
            push_undo rm -f "$conf"
        fi
        push_undo rm -f "$conf.fwkit-tmp"
        echo "+ echo '$want' > $conf.fwkit-tmp"
        [[ $DRY_RUN -eq 1 ]] || echo "$want" >"$conf.fwkit-tmp"
        run mv -f "$conf.fwkit-tmp" "$conf"
    fi
    current=$(cat /proc/sys/vm/swappiness)
    if [[ $current != "$SWAPPINESS" ]]; then
        run sysctl -q -w "vm.swappiness=$SWAPPINESS"
        push_undo sysctl -q -w "vm.swappiness=$current"
    fi
    [[ ! -f $conf.fwkit-old ]] || run rm -f "$conf.fwkit-old"
fi

[[ ! -e $OLD ]] || run rm -f "$OLD" # the last step: the replaced swap file
UNDO=()
if [[ $DRY_RUN -eq 1 ]]; then
    echo "dry run: nothing changed"
    exit 0
fi
echo "done: $(awk -v p="$SWAP_PATH" 'NR > 1 && $1 == p { print $1 " " $3 " KiB active" }' /proc/swaps)"
