"""How much swap closes a memory gap, and where `scripts/swap_setup.sh` lives.

`fwkit doctor` plans a swap file of `recommended_swap_bytes(need, limit)`; `fwkit swap create
--size auto` makes the same one. The script itself is plain bash so that cloud-init or a fresh VM
can run it without Python; this module only sizes and locates it.
"""

from __future__ import annotations

from fwkit.engine.budget import MiB

GiB = 1024 * MiB
MIN_MARGIN_BYTES = 1 * GiB  # never less than 1 GiB over the gap: page tables, a browser tab, sshd
MARGIN_FRACTION_PERCENT = 25  # 25% over the gap absorbs an estimate that was a bit low


def recommended_swap_bytes(need_bytes: int, limit_bytes: int) -> int:
    """Swap to add so a job that needs `need_bytes` runs where only `limit_bytes` of RAM is free.

    0 when the RAM is enough. Otherwise:
        gap    = need - limit
        margin = max(25% of gap, 1 GiB)
        swap   = gap + margin, rounded up to a whole GiB
    e.g. need 40 GiB, limit 16 GiB: gap 24 GiB, margin 6 GiB, swap 30 GiB;
         need 17 GiB, limit 16 GiB: gap 1 GiB, margin 1 GiB (25% would be 0.25), swap 2 GiB.
    """
    if need_bytes <= limit_bytes:
        return 0
    gap = need_bytes - limit_bytes
    margin = max(-(-gap * MARGIN_FRACTION_PERCENT // 100), MIN_MARGIN_BYTES)  # -(-a // b) = ceil(a / b)
    return -(-(gap + margin) // GiB) * GiB
