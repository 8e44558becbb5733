"""The access analysis of the planned stacks: each tenant reaches exactly what it should."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tooling import access, plan

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plans(repo_plans):
    return repo_plans  # tests/conftest.py: planned once per session


@pytest.fixture(scope="module")
def report(plans):
    return plan.access_reports(plans)["owner"]


def test_every_tenant_is_analysed_and_nothing_is_unexpected(report):
    # Listed tenants and the ones discovered in the shipped config's OU (the stand-in's example accounts) alike.
    assert [a.tenant for a in report] == ["analytics", "payments", "tenant-a", "tenant-b"]
    assert access.problems(report) == []
    for a in report:
        assert len(a.database) >= 4 and len(a.trust) >= 6
    by_tenant = {a.tenant: a for a in report}
    allowed, refused = by_tenant["tenant-a"], by_tenant["tenant-b"]  # tenant-a may call orders; tenant-b may not
    assert len(allowed.services) >= 7
    assert [(c.what, c.actual) for c in refused.services] == [
        ("invoke orders (not allowed for tenant-b) from its own VPC", "implicit-deny")
    ]


def test_services_only_from_the_tenants_own_account_inside_the_window(report):
    a = next(x for x in report if x.tenant == "tenant-a")
    allowed = [c.what for c in a.services if c.actual == "allow"]
    assert allowed == ["invoke orders from a VPC of account 222222222222"]
    denied = {c.what for c in a.services if c.actual != "allow"}
    assert "invoke orders from a VPC of account 333333333333" in denied  # tenant B's VPC
    assert "invoke orders from a VPC of account 111111111111" in denied  # the owner's VPC
    assert "invoke orders unsigned (anonymous)" in denied


def test_database_user_and_trust_are_per_tenant(report):
    for a in report:
        connect = {c.what: c.actual for c in a.database if c.what.startswith("rds-db:connect")}
        assert [w for w, d in connect.items() if d == "allow"] == [f"rds-db:connect as {a.db_user} ({a.tenant})"]
        trusted = [c.what for c in a.trust if c.actual == "allow"]
        assert trusted == [f"assume from account {a.account} with its external ID"]


def test_the_report_states_that_the_auth_policy_does_not_govern_the_database(plans, report):
    text = access.render(report)
    assert access.NOT_GOVERNED.split(":")[0] in text.replace("\n  ", " ")
    assert "No tenant reaches anything it should not." in text
    data = json.loads(plan.as_json(plans))["access"]["owner"]
    assert data["note"] == access.NOT_GOVERNED and data["problems"] == []
    assert "tenant-a" in data["tenants"] and data["tenants"]["tenant-a"]["databasePath"]


def test_the_report_and_the_plan_state_the_sharing_scope_in_plain_words(plans, report):
    scope = "ORGANIZATION-WIDE SHARING (sharing.organizationPrincipals or tenantSources, an opt-in): every account in"
    assert scope in " ".join(access.render(report, access.sharing_scope(plans[0])).split())
    assert scope in " ".join(plan.render_stack(plans[0]).split())
    assert json.loads(plan.as_json(plans))["access"]["owner"]["sharingScope"].startswith(scope)


def _owner_with(plans, typ, change):
    owner = copy.deepcopy(plans[0])
    for r in owner.result.registrations:
        if r.type == typ:
            change(r)
    return owner


def test_a_role_policy_without_the_source_account_condition_is_caught(plans):
    def loosen(r):
        document = json.loads(r.inputs["policy"])
        for statement in document["Statement"]:
            if statement["Action"] == "vpc-lattice-svcs:Invoke":
                del statement["Condition"]["StringEquals"]
        r.inputs["policy"] = json.dumps(document)

    found = access.problems(access.analyse(_owner_with(plans, "aws:iam/rolePolicy:RolePolicy", loosen), plans[1:]))
    assert any(
        "tenant-a: invoke orders from a VPC of account 333333333333: expected implicit-deny, got allow" in p
        for p in found
    )


def test_an_auth_policy_without_the_role_path_condition_is_caught(plans):
    def loosen(r):
        document = json.loads(r.inputs["policy"])
        del document["Statement"][0]["Condition"]["ArnLike"]
        r.inputs["policy"] = json.dumps(document)

    found = access.problems(
        access.analyse(_owner_with(plans, "aws:vpclattice/authPolicy:AuthPolicy", loosen), plans[1:])
    )
    assert any(
        "tenant-a: invoke orders as a non-tenant role with the same tags: expected implicit-deny" in p for p in found
    )


def test_a_role_policy_for_every_service_is_still_refused_by_the_services_own_auth_policy(plans):
    def widen(r):
        document = json.loads(r.inputs["policy"])
        if r.inputs["role"].endswith("tenant-b"):  # tenant-b may call no service; give its role every one
            document["Statement"].insert(0, {"Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"})
        r.inputs["policy"] = json.dumps(document)

    report = access.analyse(_owner_with(plans, "aws:iam/rolePolicy:RolePolicy", widen), plans[1:])
    assert access.problems(report) == []  # the service's auth policy requires the service's tag on the role
    (refused,) = [c for c in report[1].services]
    assert refused.actual == "implicit-deny"


def test_a_service_auth_policy_without_its_tag_condition_is_caught(plans):
    def loosen(r):
        document = json.loads(r.inputs["policy"])
        conditions = document["Statement"][0]["Condition"]["StringEquals"]
        for key in [k for k in conditions if k.startswith("aws:PrincipalTag/")]:
            del conditions[key]
        r.inputs["policy"] = json.dumps(document)

    def widen(r):
        document = json.loads(r.inputs["policy"])
        if r.inputs["role"].endswith("tenant-b"):
            document["Statement"].insert(0, {"Effect": "Allow", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"})
        r.inputs["policy"] = json.dumps(document)

    owner = _owner_with(plans, "aws:iam/rolePolicy:RolePolicy", widen)
    for r in owner.result.registrations:
        if r.type == "aws:vpclattice/authPolicy:AuthPolicy" and "lattice-service-" in r.inputs["policy"]:
            loosen(r)
    found = access.problems(access.analyse(owner, plans[1:]))
    assert found == [
        "tenant-b: invoke orders (not allowed for tenant-b) from its own VPC: expected implicit-deny, got allow"
    ]


def test_a_role_policy_granting_every_db_user_is_caught(plans):
    def widen(r):
        document = json.loads(r.inputs["policy"])
        for statement in document["Statement"]:
            if statement["Action"] == "rds-db:connect":
                statement["Resource"] = statement["Resource"].rsplit("/", 1)[0] + "/*"
        r.inputs["policy"] = json.dumps(document)

    found = access.problems(access.analyse(_owner_with(plans, "aws:iam/rolePolicy:RolePolicy", widen), plans[1:]))
    assert any(
        "tenant-a: rds-db:connect as tenant_b_app (tenant-b): expected implicit-deny, got allow" in p for p in found
    )


def test_a_database_open_to_a_cidr_is_caught(plans):
    def open_up(r):
        r.inputs["cidrIpv4"] = "10.0.0.0/8"

    owner = _owner_with(plans, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", open_up)
    found = access.problems(access.analyse(owner, plans[1:]))
    assert any("DB SG admits only the gateway SG" in p for p in found)


def test_large_tenant_sets_are_checked_against_ring_neighbours():
    small = [f"t{i:03d}" for i in range(access.PAIRWISE_LIMIT)]
    assert access.others(small, "t000") == small[1:]
    large = [f"t{i:03d}" for i in range(access.PAIRWISE_LIMIT + 1)]
    assert access.others(large, large[-1]) == large[: access.RING_NEIGHBOURS]
    assert len(access.others(large, "t010")) == access.RING_NEIGHBOURS


# --- property: generated tenants and requests against the project's own documents -------------------------

from datetime import datetime, timezone  # noqa: E402

from hypothesis import given, note, settings  # noqa: E402

from tenancy import documents, naming  # noqa: E402
from tests import choices  # noqa: E402
from tooling.iam_eval import Request, lattice_decision  # noqa: E402

OWNER = "111111111111"
NETWORK = f"arn:aws:vpc-lattice:eu-west-1:{OWNER}:servicenetwork/sn-0123456789abcdef0"
START, END = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)
PATH = naming.role_path("acme")
AUTH = documents.service_network_auth_policy(
    partition="aws", owner_account_id=OWNER, role_path=PATH, not_before=START, not_after=END
)
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

ACCOUNTS = [str(200000000000 + i) for i in range(10)]
DAY = 86400


class Scenario(choices.Choices):
    """Tenants of up to five of ten accounts, a caller (one of them or an impostor), a source account and a time."""

    def tenants(self) -> dict[str, str]:
        return {f"t{i}": self.pick(ACCOUNTS) for i in range(1 + self.index(5))}

    def moment(self) -> str:
        # From 400 days before the window opens to 800 days after (it is a year long), at 17 s past midnight.
        seconds = START.timestamp() + (self.index(1201) - 400) * DAY + 17
        return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=2000, deadline=None, database=None)
@given(choices.drawn(Scenario, bits=128))
def test_property_only_a_tenant_role_from_its_own_accounts_vpcs_in_the_window_is_allowed(scenario):
    tenant_accounts = scenario.tenants()
    name = scenario.pick([*sorted(tenant_accounts), "impostor", "other-stack", "anonymous"])
    source = scenario.pick([*tenant_accounts.values(), OWNER]) if scenario.index(2) else scenario.pick(ACCOUNTS)
    when = scenario.moment()
    tags = {"Team": f"Team-{name}", "TenantAccount": tenant_accounts.get(name) or scenario.pick(ACCOUNTS)}
    note({"tenant_accounts": tenant_accounts, "name": name, "source": source, "when": when, "tags": tags})
    if name in tenant_accounts:
        arn, identity = f"arn:aws:iam::{OWNER}:role{PATH}acme-{name}", documents.tenant_access_policy(
            partition="aws", region="eu-west-1", owner_account_id=OWNER, tenant_account_id=tenant_accounts[name],
            service_network_arn=NETWORK, db_resource_id="db-X", db_user=name,
            service_arns=[f"arn:aws:vpc-lattice:eu-west-1:{OWNER}:service/svc-0123456789abcdef0"],
        )  # fmt: skip
    elif name == "other-stack":  # a role of another stack's tenant path, with an administrator's identity policy
        arn, identity = f"arn:aws:iam::{OWNER}:role{naming.role_path('other')}x", ADMIN
    else:  # an owner-account role outside the path (or nobody), holding whatever tags it likes
        arn, identity = f"arn:aws:iam::{OWNER}:role/admin", ADMIN
    context = {f"aws:PrincipalTag/{k}": v for k, v in tags.items()}
    context |= {"aws:PrincipalArn": arn, "aws:PrincipalAccount": OWNER}
    principal = None if name == "anonymous" else arn
    request = Request(
        "vpc-lattice-svcs:Invoke",
        f"arn:aws:vpc-lattice:eu-west-1:{OWNER}:service/svc-0123456789abcdef0/x",
        principal,
        {
            **(context if principal else {}),
            "vpc-lattice-svcs:SourceVpcOwnerAccount": source,
            "vpc-lattice-svcs:ServiceNetworkArn": NETWORK,
            "aws:CurrentTime": when,
        },
    )
    decision = lattice_decision(
        identity_policies=[identity] if principal else [], auth_policies=[AUTH], request=request
    )
    in_window = START <= datetime.fromisoformat(when.replace("Z", "+00:00")) < END
    expected = name in tenant_accounts and source == tenant_accounts[name] and in_window
    assert (decision == "allow") is expected, (name, source, when, decision)
