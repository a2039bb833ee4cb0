"""The instance choice from the shared JSON table: cheapest that fits, refusals, a broken table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fwkit.cloud.paths import instance_table_path
from fwkit.cloud.sizing import cheapest_instance, load_table
from fwkit.errors import FwkitError


def test_cheapest_type_brute_force_over_the_table() -> None:
    table = load_table()
    for mem in (1, 3, 8, 14.2, 14.3, 30, 100, 500, 1200, 1900):
        for vcpus in (1, 4, 16, 64, 100):
            fits = [t for t in table.types if table.usable_gib(t) >= mem and t.vcpus >= vcpus]
            if not fits:
                with pytest.raises(FwkitError):
                    cheapest_instance(mem, vcpus)
                continue
            got = cheapest_instance(mem, vcpus)
            assert table.usable_gib(got) >= mem and got.vcpus >= vcpus
            assert got.usd_per_hour == min(t.usd_per_hour for t in fits)


def test_known_choices() -> None:
    # 100 GiB needs (100 + 1) / 0.95 = 106.3 GiB nominal: r7i.4xlarge (128 GiB, 16 vCPUs) is cheapest.
    assert cheapest_instance(100).name == "r7i.4xlarge"
    # The same memory with 64 vCPUs: r7i.16xlarge (512 GiB) costs more than c7i.16xlarge (128 GiB).
    assert cheapest_instance(100, 64).name == "c7i.16xlarge"
    # A 16 GiB type leaves 16 x 0.95 - 1 = 14.2 GiB: 14 fits it, 15 does not.
    assert cheapest_instance(14).memory_gib == 16
    assert cheapest_instance(15).memory_gib == 32
    assert cheapest_instance(14.2).memory_gib == 16  # exactly at the boundary (decimal, as in Terraform)
    # 1536 GiB leaves 1458.2: x2idn.24xlarge ($10.0035) is cheaper than r7i.48xlarge ($12.7008).
    assert cheapest_instance(1458.2).name == "x2idn.24xlarge"
    # Past r7i.48xlarge's usable 1458 GiB only x2idn is left.
    assert cheapest_instance(1500).name.startswith("x2idn.")


def test_refuses_a_size_no_type_has() -> None:
    with pytest.raises(FwkitError, match="no instance type in the table has 5000 GiB"):
        cheapest_instance(5000)
    with pytest.raises(FwkitError, match="1000 vCPUs"):
        cheapest_instance(8, 1000)


def test_the_table_is_the_shipped_json() -> None:
    path = instance_table_path()
    assert path.name == "instance_types.json"
    rows = json.loads(path.read_text())["instance_types"]
    assert [t.name for t in load_table().types] == [r["name"] for r in rows]


def test_broken_table_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "instance_types.json"
    bad.write_text('{"region": "us-east-1"}')
    with pytest.raises(FwkitError, match=str(bad)):
        load_table(bad)
