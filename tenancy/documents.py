"""IAM and resource policy documents, built as plain data from config and tested without Pulumi.

The components turn these into JSON with `compact_json` (sorted keys, no whitespace: VPC Lattice rejects
newlines in auth policies, and the plan must be the same byte for byte).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

Document = dict[str, Any]

VERSION = "2012-10-17"
AUTH_POLICY_MAX_BYTES = 10 * 1024  # VPC Lattice auth policy quota, not adjustable

TEAM_TAG = "Team"
TENANT_ACCOUNT_TAG = "TenantAccount"


def compact_json(document: Document) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def iso_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def service_network_auth_policy(
    *, partition: str, owner_account_id: str, role_path: str, not_before: datetime, not_after: datetime
) -> Document:
    """Who may invoke services in the shared network.

    One statement, whatever the number of tenants: the caller must be a tenant role of this stack (a role under
    `role_path` in the owner account, which this stack creates one per configured tenant, tagged with its Team),
    inside the access window. Every condition must hold; there is no unconditioned Allow. It uses no policy
    variables: VPC Lattice's documentation does not say they are evaluated in auth policies. Which VPCs a tenant may
    call from is bound in each tenant role's own identity policy instead (`tenant_access_policy`), with a literal
    `vpc-lattice-svcs:SourceVpcOwnerAccount`; Lattice requires the identity policy and the auth policy to allow.
    """
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "TenantRolesInWindow",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{owner_account_id}:root"},
                "Action": "vpc-lattice-svcs:Invoke",
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": f"arn:{partition}:iam::{owner_account_id}:role{role_path}*"},
                    "StringEquals": {"aws:PrincipalAccount": owner_account_id},
                    "Null": {f"aws:PrincipalTag/{TEAM_TAG}": "false"},
                    "DateGreaterThanEquals": {"aws:CurrentTime": iso_utc(not_before)},
                    "DateLessThan": {"aws:CurrentTime": iso_utc(not_after)},
                },
            }
        ],
    }


def tenant_trust_policy(*, partition: str, tenant_account_id: str, external_id: str) -> Document:
    """Only the tenant's own account may assume its role, and only with the tenant's external ID.

    Only sts:AssumeRole is allowed (not sts:TagSession), so a caller cannot replace the role's Team or
    TenantAccount tags with session tags (they attribute requests in logs and costs to the tenant).
    """
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "TenantAccountWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{tenant_account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def tenant_access_policy(
    *,
    partition: str,
    region: str,
    owner_account_id: str,
    tenant_account_id: str,
    service_network_arn: str,
    db_resource_id: str,
    db_user: str,
) -> Document:
    """What a tenant role may do: invoke services of this network from its own account's VPCs, and connect to the
    DB as its own user. `SourceVpcOwnerAccount` and `ServiceNetworkArn` are condition keys of the Invoke action, so
    they hold in an identity policy (Service Authorization Reference, Amazon VPC Lattice Services)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "InvokeServicesOfTheSharedNetworkFromOwnVpcs",
                "Effect": "Allow",
                "Action": "vpc-lattice-svcs:Invoke",
                "Resource": f"arn:{partition}:vpc-lattice:{region}:*:service/*",
                "Condition": {
                    "ArnEquals": {"vpc-lattice-svcs:ServiceNetworkArn": service_network_arn},
                    "StringEquals": {"vpc-lattice-svcs:SourceVpcOwnerAccount": tenant_account_id},
                },
            },
            {
                "Sid": "ConnectAsOwnDatabaseUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": f"arn:{partition}:rds-db:{region}:{owner_account_id}:dbuser:{db_resource_id}/{db_user}",
            },
        ],
    }


def trail_arn(*, partition: str, region: str, account_id: str, trail_name: str) -> str:
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def audit_bucket_policy(*, partition: str, bucket: str, account_id: str, trail_arn: str) -> Document:
    """TLS only; CloudTrail may check the ACL and write its own account's logs, for this trail only."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    source = {"aws:SourceArn": trail_arn}
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account_id}/*",
                "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
            },
        ],
    }


def mysql_identifier(name: str) -> str:
    """A MySQL quoted identifier: backticks, with any backtick doubled."""
    return "`" + name.replace("`", "``") + "`"


def mysql_string(value: str) -> str:
    """A MySQL string literal that means the same whether or not NO_BACKSLASH_ESCAPES is set."""
    if "\\" in value:
        raise ValueError(f"{value!r}: a backslash reads differently under NO_BACKSLASH_ESCAPES; refuse it upstream")
    return "'" + value.replace("'", "''") + "'"


def mysql_grant_schema(schema: str) -> str:
    """The schema as a GRANT's `db.*` level that matches that schema alone.

    In a schema-level GRANT, `_` and `%` are wildcards (`a_b` also matches `a1b`): escape them, and the escape
    character itself, with a backslash (MySQL 8.4 Reference Manual, 15.7.1.6 GRANT Statement).
    """
    escaped = "".join("\\" + c if c in "\\_%" else c for c in schema)
    return mysql_identifier(escaped)


def database_user_sql(db_users: list[str]) -> list[str]:
    """MySQL statements the owner runs once as the master user: one schema and one IAM-authenticated user per
    tenant, TLS required, privileges on its own schema only. (No Pulumi provider reaches inside the database.)

    The names were validated by tenancy.config (a safe character set, no system names, unique); quoting and
    wildcard escaping here make the statements exact even so.
    """
    statements = []
    for user in db_users:
        account = f"{mysql_string(user)}@'%'"
        statements += [
            f"CREATE DATABASE IF NOT EXISTS {mysql_identifier(user)};",
            f"CREATE USER IF NOT EXISTS {account} IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS' REQUIRE SSL;",
            f"GRANT ALL PRIVILEGES ON {mysql_grant_schema(user)}.* TO {account};",
        ]
    return statements


def unconditioned_allows(document: Document) -> list[str]:
    """Sids (or indexes) of Allow statements without any condition: in an auth policy each one is a bypass."""
    found = []
    for i, statement in enumerate(document.get("Statement", [])):
        if statement.get("Effect") == "Allow" and not statement.get("Condition"):
            found.append(statement.get("Sid", str(i)))
    return found
