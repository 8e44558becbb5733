"""Policy documents as data: who the auth policy admits, trust and access policies, the audit bucket policy."""

from __future__ import annotations

import fnmatch
import json
import re
from datetime import datetime, timezone

import pytest

from tenancy import documents, naming

OWNER = "111111111111"
TENANT_A, TENANT_B = "222222222222", "333333333333"
PATH = naming.role_path("acme-db")
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
END = datetime(2027, 1, 1, tzinfo=timezone.utc)


def auth_policy():
    return documents.service_network_auth_policy(
        partition="aws", owner_account_id=OWNER, role_path=PATH, not_before=START, not_after=END
    )


def _resolve(value: str, context: dict) -> str | None:
    """Substitute ${key} policy variables; None when a variable's key is missing (the condition is then false)."""
    missing = False

    def sub(match):
        nonlocal missing
        if match.group(1) not in context:
            missing = True
            return ""
        return context[match.group(1)]

    resolved = re.sub(r"\$\{([^}]+)\}", sub, value)
    return None if missing else resolved


def condition_holds(operator: str, key: str, expected, context: dict) -> bool:
    """The operators this project's auth policy uses, per AWS's documented semantics (single-valued keys)."""
    values = expected if isinstance(expected, list) else [expected]
    if operator == "Null":
        return (key not in context) == (values[0] == "true")
    if key not in context:
        return False
    actual = context[key]
    resolved = [_resolve(v, context) for v in values]
    if operator in ("StringEquals", "ArnEquals"):
        return any(v is not None and actual == v for v in resolved)
    if operator == "ArnLike":
        return any(v is not None and fnmatch.fnmatchcase(actual, v) for v in resolved)
    moment = datetime.fromisoformat(actual.replace("Z", "+00:00"))
    bounds = [datetime.fromisoformat(v.replace("Z", "+00:00")) for v in resolved if v]
    if operator == "DateGreaterThanEquals":
        return any(moment >= b for b in bounds)
    if operator == "DateLessThan":
        return any(moment < b for b in bounds)
    raise AssertionError(f"operator {operator} is not modelled here")


NETWORK = "arn:aws:vpc-lattice:eu-west-1:111111111111:servicenetwork/sn-1"
SERVICE = "arn:aws:vpc-lattice:eu-west-1:111111111111:service/svc-1"


def access_policy(tenant_account: str = TENANT_A, db_user: str = "tenant_a") -> dict:
    return documents.tenant_access_policy(
        partition="aws",
        region="eu-west-1",
        owner_account_id=OWNER,
        tenant_account_id=tenant_account,
        service_network_arn=NETWORK,
        db_resource_id="db-ABC",
        db_user=db_user,
        service_arns=[SERVICE],
    )


def admits(policy: dict, context: dict) -> bool:
    """Whether any Allow statement's conditions all hold (the policy has no Deny statements)."""
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    for statement in policy["Statement"]:
        if statement["Action"] != context["action"]:
            continue
        if all(
            condition_holds(op, key, value, context)
            for op, block in statement["Condition"].items()
            for key, value in block.items()
        ):
            return True
    return False


def request(tenant_account=TENANT_A, source_account=TENANT_A, team="TeamA", when="2026-06-01T12:00:00Z", **extra):
    context = {
        "action": "vpc-lattice-svcs:Invoke",
        "aws:PrincipalArn": f"arn:aws:iam::{OWNER}:role{PATH}acme-db-tenant-a",
        "aws:PrincipalAccount": OWNER,
        "aws:PrincipalTag/Team": team,
        "aws:PrincipalTag/TenantAccount": tenant_account,
        "vpc-lattice-svcs:SourceVpcOwnerAccount": source_account,
        "vpc-lattice-svcs:ServiceNetworkArn": NETWORK,
        "aws:CurrentTime": when,
    }
    context.update(extra)
    return {k: v for k, v in context.items() if v is not None}


@pytest.mark.parametrize(
    ("case", "context", "allowed"),
    [
        ("tenant role from its own account's VPC", request(), True),
        ("tenant B's role from B's VPC", request(TENANT_B, TENANT_B, "TeamB"), True),
        ("tenant A's role from tenant B's VPC", request(TENANT_A, TENANT_B), False),
        ("from the owner's VPC", request(source_account=OWNER), False),
        ("before the window", request(when="2025-12-31T23:59:59Z"), False),
        ("at the window's start", request(when="2026-01-01T00:00:00Z"), True),
        ("at the window's end", request(when="2027-01-01T00:00:00Z"), False),
        ("role without a Team tag", request(team=None), False),
        ("role without a TenantAccount tag (no longer read)", request(tenant_account=None), True),
        ("through another service network", request(**{"vpc-lattice-svcs:ServiceNetworkArn": NETWORK + "x"}), False),
        ("role outside the tenant path", request(**{"aws:PrincipalArn": f"arn:aws:iam::{OWNER}:role/admin"}), False),
        ("a tenant path role of another stack", request(**{"aws:PrincipalArn": f"arn:aws:iam::{OWNER}:role/lattice-tenancy/other/x"}), False),
        ("principal in another account", request(**{"aws:PrincipalAccount": TENANT_A}), False),
        ("anonymous caller", {"action": "vpc-lattice-svcs:Invoke", "aws:CurrentTime": "2026-06-01T12:00:00Z",
                              "vpc-lattice-svcs:SourceVpcOwnerAccount": TENANT_A}, False),
    ],
)  # fmt: skip
def test_auth_and_identity_policy_admit_exactly_tenant_roles_from_their_own_vpcs_in_the_window(case, context, allowed):
    # Lattice with AWS_IAM: the caller's identity policy AND the auth policy must allow. The caller is the role of
    # the tenant whose account the (former) TenantAccount tag names, or tenant A's when it has none.
    identity = access_policy(context.get("aws:PrincipalTag/TenantAccount", TENANT_A))
    assert (admits(auth_policy(), context) and admits(identity, context)) is allowed, case


def test_the_auth_policy_uses_no_policy_variables_and_the_identity_policy_names_the_account_literally():
    assert "${" not in documents.compact_json(auth_policy())
    invoke = access_policy(TENANT_B)["Statement"][0]
    assert invoke["Condition"]["StringEquals"] == {"vpc-lattice-svcs:SourceVpcOwnerAccount": TENANT_B}
    assert "${" not in documents.compact_json(access_policy())
    # The auth policy alone no longer binds the source VPC; the identity policy does.
    from_b = request(TENANT_A, TENANT_B)
    assert admits(auth_policy(), from_b) and not admits(access_policy(TENANT_A), from_b)


def test_auth_policy_has_no_unconditioned_allow_and_names_no_tenant():
    policy = auth_policy()
    assert documents.unconditioned_allows(policy) == []
    text = documents.compact_json(policy)
    assert TENANT_A not in text and "TeamA" not in text


def test_unconditioned_allow_is_detected():
    bypass = {"Statement": [{"Sid": "Owner", "Effect": "Allow", "Principal": "*", "Action": "*"}]}
    assert documents.unconditioned_allows(bypass) == ["Owner"]


def test_auth_policy_is_compact_deterministic_json_under_the_quota():
    text = documents.compact_json(auth_policy())
    assert "\n" not in text and ": " not in text and ", " not in text
    assert text == documents.compact_json(json.loads(text))
    assert len(text.encode()) < documents.AUTH_POLICY_MAX_BYTES / 10


def test_trust_policy_trusts_only_the_tenant_account_with_its_external_id():
    doc = documents.tenant_trust_policy(partition="aws", tenant_account_id=TENANT_A, external_id="x" * 20)
    (statement,) = doc["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{TENANT_A}:root"}
    assert statement["Action"] == "sts:AssumeRole"  # not sts:TagSession: role tags can't be overridden
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "x" * 20}}


def test_access_policy_is_scoped_to_the_network_and_the_tenants_own_db_user():
    doc = access_policy()
    invoke, connect = doc["Statement"]
    assert invoke["Action"] == "vpc-lattice-svcs:Invoke"
    assert invoke["Condition"]["ArnEquals"]["vpc-lattice-svcs:ServiceNetworkArn"].endswith("sn-1")
    assert invoke["Condition"]["StringEquals"]["vpc-lattice-svcs:SourceVpcOwnerAccount"] == TENANT_A
    assert connect["Action"] == "rds-db:connect"
    assert connect["Resource"] == "arn:aws:rds-db:eu-west-1:111111111111:dbuser:db-ABC/tenant_a"
    assert all("*" not in s["Action"] for s in doc["Statement"])


def test_audit_bucket_policy_guards_cloudtrail_with_source_arn_and_denies_plain_http():
    trail = documents.trail_arn(partition="aws", region="eu-west-1", account_id=OWNER, trail_name="t")
    doc = documents.audit_bucket_policy(partition="aws", bucket="b", account_id=OWNER, trail_arn=trail)
    deny, acl, write = doc["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    for statement in (acl, write):
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert (
            statement["Condition"]["StringEquals"]["aws:SourceArn"] == f"arn:aws:cloudtrail:eu-west-1:{OWNER}:trail/t"
        )
    assert write["Resource"] == f"arn:aws:s3:::b/AWSLogs/{OWNER}/*"
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"


def test_database_user_sql_gives_each_tenant_its_own_schema_and_iam_user():
    sql = documents.database_user_sql(["tenant_a"])
    assert sql == [
        "CREATE DATABASE IF NOT EXISTS `tenant_a`;",
        "CREATE USER IF NOT EXISTS 'tenant_a'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;",
        "GRANT ALL PRIVILEGES ON `tenant\\_a`.* TO 'tenant_a'@'%';",
    ]
