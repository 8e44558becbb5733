"""bench/sdk_floor.py declares what one tenant adds to the shipped plan, with the same properties set."""

from __future__ import annotations

from bench import sdk_floor
from tooling.aws_standin import OfflineAws
from tooling.mock_engine import run_program
from tooling.plan import StackPlan


def _shape(registrations) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((r.type, tuple(sorted(r.inputs))) for r in registrations)


def test_a_bench_tenant_is_what_a_tenant_adds_to_the_owner_and_recovery_stacks(repo_plans: list[StackPlan]):
    bench = run_program(
        {}, stack="floor", mocks=OfflineAws(sdk_floor.OWNER, "eu-west-1"), program=lambda: sdk_floor.tenant(0)
    )
    shipped = [
        registration
        for planned in repo_plans
        if planned.kind in ("owner", "recovery") and planned.result is not None
        for registration in planned.result.registrations
        if registration.custom and registration.name.endswith(("-tenant-a", "-tenant-a-access", "-tenant-a-standby"))
    ]
    assert len(shipped) == sdk_floor.KINDS["tenant"][1]
    assert _shape(bench.registrations) == _shape(shipped)


def test_each_kind_counts_its_registrations():
    seconds, _, registrations = sdk_floor.run("tenant", 2)
    assert registrations == 2 * sdk_floor.KINDS["tenant"][1] and seconds > 0
