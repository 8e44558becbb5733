"""The cost report: attribution per tenant, the shared fixed cost from the price table, overrides, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tooling import cli, cost, plan
from tooling.access import TenantAccess
from tooling.records import Registration, RunResult

ROOT = Path(__file__).resolve().parent.parent
HOURS = 730


@pytest.fixture(scope="module")
def plans(repo_plans) -> list[plan.StackPlan]:
    return repo_plans  # tests/conftest.py: planned once per session


@pytest.fixture(scope="module")
def table() -> cost.PriceTable:
    return cost.load_prices()


@pytest.fixture(scope="module")
def report(plans, table) -> cost.OwnerCost:
    (owner,) = cost.analyse(plans, table)
    return owner


def _stack(plans: list[plan.StackPlan], name: str) -> plan.StackPlan:
    return next(p for p in plans if p.name == name)


def _created(stack: plan.StackPlan) -> list[Registration]:
    return [r for r in stack.resources if r.custom and not r.is_read]


def _tenant(report: cost.OwnerCost, name: str) -> cost.TenantCost:
    return next(t for t in report.tenants if t.name == name)


def _expected_owner_side(owner: plan.StackPlan, account: str) -> set[str]:
    """Independently of tooling.cost: the tenant's role (by its TenantAccount tag) and the policies naming that role.
    (The share's associations are one resource for all tenants: shared.)"""
    roles = [
        r
        for r in _created(owner)
        if r.type == "aws:iam/role:Role" and (r.inputs.get("tags") or {}).get("TenantAccount") == account
    ]
    assert len(roles) == 1, [r.urn for r in roles]
    role_name = roles[0].inputs["name"]
    policies = {
        r.name for r in _created(owner) if r.type == "aws:iam/rolePolicy:RolePolicy" and r.inputs["role"] == role_name
    }
    assert policies
    return {roles[0].name, *policies}


# --- attribution ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tenant", "account"), [("tenant-a", "222222222222"), ("tenant-b", "333333333333")])
def test_each_tenant_gets_its_role_and_its_policies(plans, report, tenant, account):
    owner = _stack(plans, "owner")
    got = {line.name for line in _tenant(report, tenant).owner_lines}
    expected = _expected_owner_side(owner, account)
    assert expected <= got, expected - got
    # Anything else it gets is tagged for it (Tenant) or is its budget; nothing of the other tenant's.
    for line in _tenant(report, tenant).owner_lines:
        assert line.stack == "owner" and line.reason, line
    other = next(t for t in report.tenants if t.name != tenant)
    assert not got & {line.name for line in other.owner_lines}
    assert not got & {line.name for line in report.shared}


def test_tenant_a_gets_every_resource_of_its_tenant_stack_and_tenant_b_none(plans, report):
    tenant_stack = _stack(plans, "tenant-a")
    a, b = _tenant(report, "tenant-a"), _tenant(report, "tenant-b")
    assert list(a.tenant_stacks) == ["tenant-a"]
    assert sorted(line.name for line in a.tenant_stacks["tenant-a"]) == sorted(r.name for r in _created(tenant_stack))
    assert any(line.type == "aws:ec2/vpcEndpoint:VpcEndpoint" for line in a.tenant_stacks["tenant-a"])
    assert b.tenant_stacks == {}
    assert report.unmatched_stacks == []


def test_shared_is_every_other_owner_resource_once(plans, report):
    owner = _stack(plans, "owner")
    attributed = [line.name for t in report.tenants for line in t.owner_lines]
    shared = [line.name for line in report.shared]
    assert sorted(attributed + shared) == sorted(r.name for r in _created(owner))
    assert {"database-instance", "service-orders-service", "network-rgw", "database-rcfg"} <= set(shared)
    for line in report.shared:
        assert line.stack == "owner" and not line.reason


def _registration(logical: str, typ: str, **inputs: Any) -> Registration:
    return Registration(f"urn:pulumi:owner::p::{typ}::{logical}", typ, logical, "", True, inputs, [], {}, False)


def _synthetic_owner(role_tags: dict[str, str], team: str = "") -> plan.StackPlan:
    role = _registration("auth-x", "aws:iam/role:Role", name="p-x", tags=role_tags)
    registrations = [
        role,
        _registration("auth-x-access", "aws:iam/rolePolicy:RolePolicy", role="p-x", policy="{}"),
        _registration("share-x", "aws:ram/principalAssociation:PrincipalAssociation", principal="444444444444"),
        _registration("share-org", "aws:ram/principalAssociation:PrincipalAssociation", principal="arn:aws:org"),
        _registration("x-bucket", "aws:s3/bucket:Bucket", tags={"Tenant": "x"}),
        _registration("y-bucket", "aws:s3/bucket:Bucket", tags={"Tenant": "y-not-a-tenant"}),
    ]
    exports = {"tenant_account_ids": {"x": "444444444444"}, "region": "eu-west-1"}
    owner = plan.StackPlan(
        "owner", "owner", "111111111111", "eu-west-1", result=RunResult("owner", registrations, exports)
    )
    owner.access = (
        [TenantAccess("x", "444444444444", team, "arn:aws:iam::111111111111:role/p-x", "x")] if team else None
    )
    return owner


def test_a_role_without_a_tenant_tag_is_attributed_by_tenant_account_and_team(table):
    (report,) = cost.analyse([_synthetic_owner({"TenantAccount": "444444444444", "Team": "TeamX"}, "TeamX")], table)
    (x,) = report.tenants
    assert sorted(line.name for line in x.owner_lines) == ["auth-x", "auth-x-access", "share-x", "x-bucket"]
    assert sorted(line.name for line in report.shared) == ["share-org", "y-bucket"]


def test_a_role_of_another_team_is_not_the_tenants(table):
    (report,) = cost.analyse([_synthetic_owner({"TenantAccount": "444444444444", "Team": "Other"}, "TeamX")], table)
    (x,) = report.tenants
    assert sorted(line.name for line in x.owner_lines) == ["share-x", "x-bucket"]
    assert {"auth-x", "auth-x-access"} <= {line.name for line in report.shared}


# --- fixed cost from the price table ---------------------------------------------------------------------------


def test_the_shipped_database_costs_what_the_rates_say(plans, report):
    """By hand: Multi-AZ db.t4g.small at $0.032/h × 730 h × 2 = 46.72; 20 GB gp3 at $0.115 × 2 = 4.60; the
    RDS-managed master secret $0.40."""
    (db,) = [r for r in _created(_stack(plans, "owner")) if r.type == "aws:rds/instance:Instance"]
    assert (db.inputs["instanceClass"], db.inputs["multiAz"], db.inputs["allocatedStorage"]) == (
        "db.t4g.small",
        True,
        20,
    )
    assert db.inputs["storageType"] == "gp3" and db.inputs["manageMasterUserPassword"] is True
    (line,) = [line for line in report.shared if line.name == "database-instance"]
    charges = {c.item: c.monthly for c in line.charges}
    assert charges == pytest.approx(
        {"rds-mysql-db.t4g.small": 46.72, "rds-gp3-storage": 4.60, "secretsmanager-secret": 0.40}
    )
    assert line.monthly == pytest.approx(51.72)


def test_the_shared_total_is_the_sum_of_rate_times_quantity(report, table):
    expected = sum(
        (table.items[c.item].rate or 0.0) * c.quantity
        for line in report.shared
        for c in line.charges
        if c.item in table.items
    )
    assert report.shared_fixed == pytest.approx(expected)
    assert report.shared_fixed >= 51.72 + 18.25  # the database and the orders service at least
    assert report.split == pytest.approx(report.shared_fixed / len(report.tenants))
    service = next(line for line in report.shared if line.name == "service-orders-service")
    assert service.monthly == pytest.approx(0.025 * HOURS)


def test_unconfirmed_rates_are_listed_not_guessed(report, table):
    unpriced = {line.name: [c.item for c in line.unpriced] for line in report.shared if line.unpriced}
    assert unpriced["database-rcfg"] == ["vpc-lattice-resource-hour"]
    assert unpriced["network-rgw"] == ["vpc-lattice-resource-gateway-hour"]
    for items in unpriced.values():
        for item in items:
            assert table.items[item].rate is None and table.items[item].status == cost.UNCONFIRMED
    text = cost.render([report], table, {})
    assert "total, known rates only" in text and "database-rcfg (vpc-lattice-resource-hour)" in text


def test_every_shipped_resource_type_has_a_pricing_rule(report):
    lines = report.lines()
    assert not [line.type for line in lines if any(c.problem == cost.NO_RULE for c in line.charges)]
    assert not [(line.name, c.item) for line in lines for c in line.charges if c.problem == cost.NO_RATE]


def test_the_price_table_states_unit_region_source_and_date_for_every_item(table):
    assert table.hours_per_month == HOURS
    for item, rate in table.items.items():
        assert rate.source.startswith("https://aws.amazon.com/"), item
        assert rate.date == "2026-12" and rate.region in ("us-east-1", "eu-west-1", "global") and rate.unit, item
        assert (rate.rate is None) == (rate.status == cost.UNCONFIRMED), item
    for item in ("rds-mysql-db.t4g.small", "rds-mysql-db.t4g.medium", "rds-mysql-db.t4g.large", "rds-gp3-storage"):
        assert table.items[item].rate is not None
    assert {"rds-mysql-db.m7g.large", "rds-mysql-db.r7g.large", "vpc-lattice-resource-hour"} <= set(table.items)


# --- the command ----------------------------------------------------------------------------------------------


def _prices(tmp_path: Path, change: Any) -> Path:
    document = json.loads(cost.PRICES.read_text())
    change(document)
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    return path


def _run_json(capsys, *argv: str) -> tuple[int, dict[str, Any]]:
    status = cli.main(["cost", "--json", *argv])
    return status, json.loads(capsys.readouterr().out)


def test_overriding_a_rate_changes_the_total_by_rate_times_hours(tmp_path, capsys):
    status, base = _run_json(capsys)
    assert status == 0
    path = _prices(tmp_path, lambda d: d["items"]["rds-mysql-db.t4g.small"].update(rate=1.0, region="eu-west-1"))
    status, changed = _run_json(capsys, "--prices", str(path))
    assert status == 0 and changed["priceTable"]["path"] == str(path)
    before = base["owners"]["owner"]["shared"]["fixedMonthlyUsd"]
    after = changed["owners"]["owner"]["shared"]["fixedMonthlyUsd"]
    assert after - before == pytest.approx((1.0 - 0.032) * HOURS * 2, abs=1e-3)
    assert "rds-mysql-db.t4g.small" in base["owners"]["owner"]["ratesFromAnotherRegion"]
    assert "rds-mysql-db.t4g.small" not in changed["owners"]["owner"]["ratesFromAnotherRegion"]


def test_rates_read_for_another_region_are_warned_about(report, table, tmp_path):
    assert "Warning:" in cost.render([report], table, {}) and "not eu-west-1" in cost.render([report], table, {})

    def to_eu(document):
        for entry in document["items"].values():
            entry["region"] = "eu-west-1"

    local = cost.load_prices(_prices(tmp_path, to_eu))
    assert "Warning:" not in cost.render([report], local, {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ("[]", '"items" is expected'),
        (None, "rate: a number ≥ 0"),
        ("rate-null", "null needs"),
        ("no-source", "source: a non-empty string"),
        ("hours", "hoursPerMonth"),
        ("missing", "No such file"),
    ],
)
def test_a_bad_price_table_exits_2_with_one_line(tmp_path, capsys, content, message):
    changes = {
        None: lambda d: d["items"]["rds-gp3-storage"].update(rate=-1),
        "rate-null": lambda d: d["items"]["rds-gp3-storage"].update(rate=None),
        "no-source": lambda d: d["items"]["kms-customer-managed-key"].pop("source"),
        "hours": lambda d: d.update(hoursPerMonth=24),
    }
    if content in changes or content is None:
        path = _prices(tmp_path, changes[content])
    else:
        path = tmp_path / "prices.json"
        if content != "missing":
            path.write_text(content)
    assert cli.main(["cost", "--prices", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and f"--prices {path}" in captured.err and message in captured.err, (
        captured.err
    )
    assert "Traceback" not in captured.err


@pytest.mark.fresh_plans
def test_json_is_stable_and_sorted(plans, table):
    once = cost.as_json(cost.analyse(plans, table), table, {})
    again = cost.as_json(cost.analyse(plan.plan_all(ROOT), cost.load_prices()), cost.load_prices(), {})
    assert once == again
    assert once == json.dumps(json.loads(once), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_the_json_command_prints_the_analysis_of_every_stack(plans, table, capsys):
    once = cost.as_json(cost.analyse(plans, table), table, {})
    status, data = _run_json(capsys)
    assert status == 0 and json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n" == once
    tenant_a = data["owners"]["owner"]["tenants"]["tenant-a"]
    assert tenant_a["sharedSplitMonthlyUsd"] == data["owners"]["owner"]["shared"]["split"]["perTenantUsd"]


def test_the_table_fits_120_columns_and_says_how_to_split_variable_cost(capsys):
    assert cli.main(["cost"]) == 0
    text = capsys.readouterr().out
    assert max(len(line) for line in text.splitlines()) <= 120
    for words in ("sourceVpcArn", "resolvedUser", "bytesReceived + bytesSent", "equal shares", "tenant-a", "tenant-b"):
        assert words in text, words
    assert "46.72" in text and "4.60" in text


def test_stack_selects_the_owner_a_tenant_reads(capsys):
    status, data = _run_json(capsys, "--stack", "tenant-a")
    assert status == 0 and list(data["owners"]) == ["owner"]
    assert cli.main(["cost", "--stack", "nope"]) == 2


def test_a_stack_that_cannot_be_planned_is_a_finding(tmp_path, capsys):
    root = tmp_path / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".venv", ".git", "*_cache", "__pycache__"))
    tenant = root / "Pulumi.tenant-a.yaml"
    tenant.write_text(tenant.read_text().replace("connection: endpoint", "connection: carrier-pigeon"))
    assert cli.main(["cost", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "Stack tenant-a: not planned" in out and "Cost report — owner stack owner" in out
    assert "no planned tenant stack in this repository reads owner" in out
