"""The quotas that bound an owner account, checked before anything is declared (tenancy/quotas.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bench import plan_scale
from tenancy import quotas
from tenancy.quotas import Quota, TenantRole, quota_problems, tenant_policy_chars
from tests.conftest import owner_values, run_owner
from tooling.mock_engine import ProgramError
from tooling.records import reveal

ROOT = Path(__file__).resolve().parent.parent

ACCOUNT = "111111111111"


def tenants(n: int) -> list[TenantRole]:
    return [TenantRole(f"t-{i:04d}", f"{300000000000 + i:012d}", f"t_{i:04d}") for i in range(n)]


def check(n: int, *, services: int = 0, regions: tuple[str, ...] = ("eu-west-1",), principals: int | None = None,
          room: bool = True) -> tuple[list[str], list[str]]:  # fmt: skip
    roles = tenants(n)
    return quota_problems(
        tenants=roles,
        partition="aws",
        account_id=ACCOUNT,
        regions={region: {t.name: services for t in roles} for region in regions},
        share_principals=n if principals is None else principals,
        services=services,
        room_for_standby=room,
    )


def test_a_small_owner_is_within_every_quota():
    assert check(2, services=1) == ([], [])


@pytest.mark.parametrize(
    ("tenants_", "problem", "warning"),
    [
        (700, False, False),
        (800, False, True),  # 808 roles: near the default of 1,000
        (1_500, False, True),  # over the default: raise it first
        (4_992, False, True),  # 5,000 roles with the service roles: the maximum
        (4_993, True, False),  # 5,001: more than IAM allows in one account
    ],
)
def test_iam_roles_per_account_default_and_maximum(tenants_, problem, warning):
    problems, warnings = check(tenants_, principals=1)
    roles = [p for p in problems if "Roles per account" in p]
    assert bool(roles) == problem, problems
    assert any("Roles per account" in w for w in warnings) == warning, warnings
    for message in roles + [w for w in warnings if "Roles per account" in w]:
        assert (
            "default 1,000, adjustable up to 5,000" in message and "IAM User Guide, IAM and AWS STS quotas" in message
        )
        assert message.startswith("lattice-tenancy:tenants:")


def test_a_recovery_stack_counts_both_stacks_service_roles_in_the_account():
    roles = tenants(4_984)
    common = dict(
        partition="aws", account_id=ACCOUNT, regions={}, share_principals=1, services=0, room_for_standby=False
    )
    assert quota_problems(tenants=roles, stacks_in_account=2, **common)[0] == []  # 4,984 + 16 = 5,000
    (problem,) = quota_problems(tenants=tenants(4_985), stacks_in_account=2, **common)[0]
    assert "4,985 tenant roles and up to 16 service roles (5,001) exceed the most AWS allows" in problem
    # The scale bench's largest size is that ceiling, less the tenants the shipped owner's OU discovers.
    assert plan_scale.MOST_TENANTS + plan_scale.DISCOVERED_TENANTS == 4_984


def test_the_bench_counts_the_tenants_the_shipped_owner_discovers(repo_plans):
    owner = next(p for p in repo_plans if p.name == "owner")
    listed = yaml.safe_load((ROOT / "Pulumi.owner.yaml").read_text())["config"]["lattice-tenancy:tenants"]
    discovered = set(owner.result.exports["tenant_account_ids"]) - {t["name"] for t in listed}
    assert len(discovered) == plan_scale.DISCOVERED_TENANTS, discovered


def test_inline_policy_size_counts_every_region_of_a_role():
    # One Region of 34 services fits; a recovery stack's second policy of the same shape does not.
    single = tenant_policy_chars(
        partition="aws", region="eu-west-1", account_id=ACCOUNT, tenant_account_id="222222222222", db_user="a",
        services=34,
    )  # fmt: skip
    assert 5_120 < single < 10_240
    problems, warnings = check(1, services=34)
    assert problems == [] and any("a recovery stack would add a policy of the same shape" in w for w in warnings)
    problems, _ = check(1, services=34, regions=("eu-west-1", "eu-central-1"), room=False)
    (problem,) = problems
    assert problem.startswith("lattice-tenancy:services: tenant t-0000's role would need")
    assert "in 2 Regions" in problem and "10,240 characters, not adjustable" in problem


def test_the_policy_size_is_what_the_stack_writes(owner_run):
    """The estimate uses placeholders of the IDs' real lengths: it equals the planned policy's length."""
    policy = next(r for r in owner_run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("tenant-b-access"))
    planned = json.loads(reveal(policy.inputs["policy"]))
    services = sum(s["Sid"].startswith("Invoke") for s in planned["Statement"])
    estimate = tenant_policy_chars(
        partition="aws", region="eu-west-1", account_id=ACCOUNT, tenant_account_id="333333333333", db_user="b_app",
        services=services,
    )  # fmt: skip
    assert estimate == len(reveal(policy.inputs["policy"]))


def test_shared_principals_and_service_associations():
    problems, _ = check(1, principals=5_001)
    assert any('"Shared principals' in p and "default UNCONFIRMED" in p for p in problems)
    problems, _ = check(1, services=501, room=False)
    assert any("Service associations per service network" in p for p in problems)


def test_a_quota_says_whether_it_can_be_raised():
    assert "not adjustable" in quotas.INLINE_ROLE_POLICY.describe()
    assert "adjustable up to 5,000" in quotas.ROLES_PER_ACCOUNT.describe()
    assert "adjustable in Service Quotas" in Quota("x", "s", 5, 5, "src").describe()


def test_the_owner_program_refuses_before_declaring_anything(monkeypatch):
    # A tiny stand-in quota makes two tenants too many: the wiring, not the numbers, is under test here.
    monkeypatch.setattr(quotas, "ROLES_PER_ACCOUNT", Quota("Roles per account", "IAM", 5, 9, "IAM User Guide"))
    with pytest.raises(ProgramError) as caught:
        run_owner(owner_values())
    assert "lattice-tenancy:tenants: 2 tenant roles and up to 8 service roles (10) exceed the most AWS allows" in str(
        caught.value
    )
    assert [r.urn for r in caught.value.registrations if not r.is_read] == []


def test_the_cloudwatch_logs_resource_policy_does_not_grow_with_the_design(owner_run):
    """Vended log deliveries (Lattice access logs) write only to log groups under /aws/vendedlogs/, which the
    account's single log-delivery resource policy covers with one wildcard (CloudWatch Logs User Guide, "Enabling
    logging from AWS services"); every other writer here uses an IAM role. So no tenant, service or stack adds to the
    10 resource policies or 5,120 characters CloudWatch Logs allows per Region."""
    groups = {r.urn: r for r in owner_run.of_type("aws:cloudwatch/logGroup:LogGroup")}
    subscriptions = owner_run.of_type("aws:vpclattice/accessLogSubscription:AccessLogSubscription")
    to_logs = [s for s in subscriptions if ":logs:" in str(s.inputs.get("destinationArn", ""))]
    assert to_logs
    for subscription in to_logs:
        (group_urn,) = subscription.property_dependencies["destinationArn"]
        assert groups[group_urn].inputs["name"].startswith("/aws/vendedlogs/"), group_urn
    assert not owner_run.of_type("aws:cloudwatch/logResourcePolicy:LogResourcePolicy")
