"""The deploy benchmark (issue #16, part 6): the modeled times follow from the scheduler and the estimates."""

from __future__ import annotations

import math

import pytest

from bench import deploy_scale


@pytest.mark.parametrize("tenants", [1, 10, 100, 500])
def test_modeled_time_is_the_owner_then_tenants_in_batches_of_the_parallelism(tenants):
    row = deploy_scale.measure(tenants, owner=970.0, tenant=122.0)
    assert row["ideal_s"] == 970 + 122
    for parallel in deploy_scale.PARALLELISM:
        assert row[f"parallel_{parallel}_s"] == 970 + math.ceil(tenants / parallel) * 122


def test_overhead_per_stack_is_added_to_every_stack():
    row = deploy_scale.measure(10, owner=100.0, tenant=10.0, overhead=5.0)
    assert row["ideal_s"] == 120 and row["parallel_8_s"] == 105 + 2 * 15


def test_the_table_has_a_row_per_size():
    rows = [deploy_scale.measure(n, 600.0, 60.0) for n in (1, 500)]
    lines = deploy_scale.table(rows).splitlines()
    assert lines[0].startswith("| tenant stacks | ideal (owner + one tenant) | parallel 1 | parallel 8 |")
    assert lines[3] == "| 500 | 11.0 min | 510.0 min | 73.0 min | 26.0 min |"
