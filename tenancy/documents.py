"""IAM and resource policy documents, built as plain data from config and tested without Pulumi.

The components turn these into JSON with `compact_json` (sorted keys, no whitespace: VPC Lattice rejects
newlines in auth policies, and the plan must be the same byte for byte).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tenancy.naming import service_tag

Document = dict[str, Any]

VERSION = "2012-10-17"
AUTH_POLICY_MAX_BYTES = 10 * 1024  # VPC Lattice auth policy quota, not adjustable

TEAM_TAG = "Team"
SERVICE_TAG_VALUE = "invoke"
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
    service_arns: list[str],
) -> Document:
    """What a tenant role may do: invoke services of this network from its own account's VPCs, and connect to the
    DB as its own user. `SourceVpcOwnerAccount` and `ServiceNetworkArn` are condition keys of the Invoke action, so
    they hold in an identity policy (Service Authorization Reference, Amazon VPC Lattice Services)."""
    connect = {
        "Sid": "ConnectAsOwnDatabaseUser",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:{partition}:rds-db:{region}:{owner_account_id}:dbuser:{db_resource_id}/{db_user}",
    }
    if not service_arns:
        return {"Version": VERSION, "Statement": [connect]}
    invoke = {
        "Sid": "InvokeItsServicesOfTheSharedNetworkFromOwnVpcs",
        "Effect": "Allow",
        "Action": "vpc-lattice-svcs:Invoke",
        # The service, and every path of it (Invoke is authorized on `<service ARN>/<path>`).
        "Resource": [arn for service in sorted(service_arns) for arn in (service, f"{service}/*")],
        "Condition": {
            "ArnEquals": {"vpc-lattice-svcs:ServiceNetworkArn": service_network_arn},
            "StringEquals": {"vpc-lattice-svcs:SourceVpcOwnerAccount": tenant_account_id},
        },
    }
    return {"Version": VERSION, "Statement": [invoke, connect]}


def service_auth_policy(*, partition: str, owner_account_id: str, role_path: str, service_name: str) -> Document:
    """Who may invoke one shared service: a tenant role of this stack that carries the service's tag.

    The same size for any number of tenants (a tag names the allowed ones, set on their roles by this stack, and
    session tags can't replace it: the roles' trust policies don't allow sts:TagSession). The network's auth policy
    (role path, window) and the role's identity policy (own VPCs, its services) must allow too.
    """
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "TenantRolesAllowedForThisService",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{owner_account_id}:root"},
                "Action": "vpc-lattice-svcs:Invoke",
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": f"arn:{partition}:iam::{owner_account_id}:role{role_path}*"},
                    "StringEquals": {
                        "aws:PrincipalAccount": owner_account_id,
                        f"aws:PrincipalTag/{service_tag(service_name)}": SERVICE_TAG_VALUE,
                    },
                },
            }
        ],
    }


def rollback_trust_policy() -> Document:
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "LambdaRunsTheRollback",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def rollback_policy(
    *,
    partition: str,
    region: str,
    account_id: str,
    listener_arns: list[str],
    rule_arns: list[str],
    record_prefix: str,
    topic_arn: str,
    log_group: str,
) -> Document:
    """What the rollback function may do: read and set the weights of the listeners and rules it guards, record the
    rollback, notify, and log. Nothing else, and on nothing else."""
    statements: list[Document] = [
        {
            "Sid": "GuardedListeners",
            "Effect": "Allow",
            "Action": ["vpc-lattice:GetListener", "vpc-lattice:UpdateListener"],
            "Resource": sorted(listener_arns),
        }
    ]
    if rule_arns:
        statements.append(
            {
                "Sid": "GuardedRules",
                "Effect": "Allow",
                "Action": ["vpc-lattice:GetRule", "vpc-lattice:UpdateRule"],
                "Resource": sorted(rule_arns),
            }
        )
    statements += [
        {
            "Sid": "RecordTheRollback",
            "Effect": "Allow",
            "Action": "ssm:PutParameter",
            "Resource": f"arn:{partition}:ssm:{region}:{account_id}:parameter{record_prefix}*",
        },
        {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}:*",
        },
    ]
    return {"Version": VERSION, "Statement": statements}


def trail_arn(*, partition: str, region: str, account_id: str, trail_name: str) -> str:
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def _deny_insecure_transport(bucket_arn: str) -> Document:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def audit_bucket_policy(*, partition: str, bucket: str, account_id: str, trail_arn: str) -> Document:
    """TLS only; CloudTrail may check the ACL and write its own account's logs, for this trail only."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    source = {"aws:SourceArn": trail_arn}
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(bucket_arn),
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


def access_log_bucket_policy(*, partition: str, bucket: str, sources: dict[str, str], account_id: str) -> Document:
    """TLS only; S3's log delivery may write each source bucket's server access logs under its prefix (`sources`:
    prefix → bucket), for that bucket in this account only (S3 User Guide, "Permissions for log delivery": a bucket
    policy for logging.s3.amazonaws.com with aws:SourceArn and aws:SourceAccount; ACLs are off)."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(bucket_arn),
            *(
                {
                    "Sid": "S3ServerAccessLogDelivery" + "".join(w.title() for w in prefix.strip("/").split("-")),
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{prefix}*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:::{source}"},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                }
                for prefix, source in sorted(sources.items())
            ),
        ],
    }


def service_role_trust_policy(*, service: str, account_id: str, source_arn: str) -> Document:
    """An AWS service may assume the role only on behalf of `source_arn` in this account (confused-deputy
    prevention, IAM User Guide "The confused deputy problem")."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ServiceOnBehalfOfThisResource",
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": source_arn},
                },
            }
        ],
    }


def flow_log_delivery_policy(*, partition: str, region: str, account_id: str, log_group: str) -> Document:
    """What the flow-log delivery role may do: write streams of its one log group (no log group creation)."""
    group = f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}"
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "FlowLogStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [group, f"{group}:log-stream:*"],
            },
            # In AWS's documented policy for the role; read-only, and not scoped by resource in IAM.
            {"Sid": "FindTheGroup", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ],
    }


def alerts_key_policy(*, partition: str, account_id: str, topic_arn: str) -> Document:
    """The alerts topic's key: administrators through IAM; EventBridge, CloudWatch and AWS Budgets may use it to
    publish to the topic, for this account only (SNS Developer Guide, "Key management": the AWS managed aws/sns key
    can't be granted to them)."""
    return {
        "Version": VERSION,
        "Statement": [
            account_administrators(partition, account_id),
            {
                "Sid": "PublishersOfThisAccount",
                "Effect": "Allow",
                "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                # SNS encrypts with this context; EventBridge's calls may carry no source keys (UNCONFIRMED), so
                # the topic, not the caller, is what the grant is held to.
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}},
            },
        ],
    }


def alerts_topic_policy(*, partition: str, region: str, account_id: str, topic_arn: str, prefix: str) -> Document:
    """Who may publish to the alerts topic: this stack's EventBridge rules, CloudWatch alarms and budgets."""

    def publisher(sid: str, service: str, source: str) -> Document:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}, "ArnLike": {"aws:SourceArn": source}},
        }

    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": [
                    "sns:GetTopicAttributes",
                    "sns:SetTopicAttributes",
                    "sns:Subscribe",
                    "sns:ListSubscriptionsByTopic",
                    "sns:Publish",
                ],
                "Resource": topic_arn,
            },
            publisher(
                "ChangeEventRules", "events.amazonaws.com", f"arn:{partition}:events:*:{account_id}:rule/{prefix}-*"
            ),
            publisher(
                "Alarms",
                "cloudwatch.amazonaws.com",
                f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{prefix}-*",
            ),
            publisher("Budgets", "budgets.amazonaws.com", f"arn:{partition}:budgets::{account_id}:*"),
        ],
    }


def event_forwarding_policy(*, bus_arn: str) -> Document:
    """What the us-east-1 rule's role may do: put events on this stack's region's default bus, nothing else."""
    return {
        "Version": VERSION,
        "Statement": [
            {"Sid": "ForwardToHomeRegion", "Effect": "Allow", "Action": "events:PutEvents", "Resource": bus_arn}
        ],
    }


def cost_export_bucket_policy(*, partition: str, bucket: str, account_id: str, export_arn_pattern: str) -> Document:
    """TLS only; AWS Data Exports may write this account's export (bcm-data-exports, with the source conditions the
    Data Exports user guide gives)."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(bucket_arn),
            {
                "Sid": "DataExportsDelivery",
                "Effect": "Allow",
                "Principal": {"Service": ["bcm-data-exports.amazonaws.com", "billingreports.amazonaws.com"]},
                "Action": ["s3:PutObject", "s3:GetBucketPolicy"],
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {
                    "StringLike": {
                        "aws:SourceArn": [
                            export_arn_pattern,
                            f"arn:{partition}:cur:us-east-1:{account_id}:definition/*",
                        ]
                    },
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
        ],
    }


def config_bucket_policy(*, partition: str, bucket: str, account_id: str) -> Document:
    """TLS only; AWS Config may check the bucket and deliver this account's snapshots and history (AWS Config
    Developer Guide, "Permissions for the Amazon S3 bucket"), for this account only."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    source = {"aws:SourceAccount": account_id}
    return {
        "Version": VERSION,
        "Statement": [
            _deny_insecure_transport(bucket_arn),
            {
                "Sid": "ConfigChecksTheBucket",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "ConfigDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account_id}/Config/*",
                "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
            },
        ],
    }


def config_delivery_policy(*, partition: str, bucket: str, account_id: str, topic_arn: str, key_arn: str) -> Document:
    """What AWS Config's recorder role may do to deliver: write its objects, check the bucket, publish to the topic
    and use the topic's key."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    return {
        "Version": VERSION,
        "Statement": [
            {"Sid": "CheckTheBucket", "Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": bucket_arn},
            {
                "Sid": "DeliverSnapshotsAndHistory",
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account_id}/Config/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
            },
            {"Sid": "Notify", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
            {
                "Sid": "UseTheTopicsKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": key_arn,
            },
        ],
    }


def config_lattice_rule_policy(*, partition: str, region: str, account_id: str, log_group: str) -> Document:
    """What the Config rule's function may do: read VPC Lattice networks, services, auth policies and RAM shares
    (read-only), report evaluations, and write its logs."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "ReadLatticeAndSharing",
                "Effect": "Allow",
                "Action": [
                    "ram:GetResourceShares",
                    "ram:ListPrincipals",
                    "ram:ListResources",
                    "vpc-lattice:GetAuthPolicy",
                    "vpc-lattice:GetService",
                    "vpc-lattice:GetServiceNetwork",
                    "vpc-lattice:ListServiceNetworks",
                    "vpc-lattice:ListServices",
                ],
                # List and Get calls across the account's networks, services and shares: no narrower resource exists.
                "Resource": "*",
            },
            {
                "Sid": "ReportEvaluations",
                "Effect": "Allow",
                # GetComplianceDetailsByConfigRule: earlier results of resources since deleted are withdrawn.
                "Action": ["config:GetComplianceDetailsByConfigRule", "config:PutEvaluations"],
                "Resource": "*",
            },
            {
                "Sid": "OwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}:*",
            },
        ],
    }


def trail_logs_policy(*, partition: str, region: str, account_id: str, log_group: str) -> Document:
    """What CloudTrail's role may do: create its log streams and put events, in its one log group (the stream names
    CloudTrail uses, per the CloudTrail User Guide's role policy for CloudWatch Logs)."""
    streams = (
        f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group}:log-stream:{account_id}_CloudTrail_{region}*"
    )
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "CloudTrailLogStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": streams,
            }
        ],
    }


def account_administrators(partition: str, account_id: str) -> Document:
    """A key policy's statement that lets the account's IAM policies grant use of the key (without it nobody could
    manage the key)."""
    return {
        "Sid": "AccountAdministratorsThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def account_managed_key_policy(*, partition: str, account_id: str) -> Document:
    """A key only IAM policies of its own account grant use of (KMS's default key policy). RDS uses it on behalf of
    whoever creates or operates the instance, within that caller's IAM permissions (grants RDS makes itself)."""
    return {
        "Version": VERSION,
        "Statement": [account_administrators(partition, account_id)],
    }


def promote_replica_policy(*, instance_arns: list[str]) -> Document:
    """What the Region switch plan's RDS step does, on these instances only (ARC's sample policy grants them on
    every instance: "Amazon RDS execution block sample policy"; creating replicas is not part of this plan)."""
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "PromoteTheStandbyDatabase",
                "Effect": "Allow",
                "Action": ["rds:DescribeDBInstances", "rds:ModifyDBInstance", "rds:PromoteReadReplica"],
                "Resource": sorted(instance_arns),
            }
        ],
    }


def audit_key_policy(
    *, partition: str, region: str, account_id: str, trail_arn: str, log_groups: list[str]
) -> Document:
    """The audit key: the account's administrators manage it through IAM; CloudTrail may encrypt this trail's logs;
    CloudWatch Logs may use it for these log groups only. Each service principal is held to an encryption context
    or source condition, as the CloudTrail and CloudWatch Logs user guides document for their key policies."""
    return {
        "Version": VERSION,
        "Statement": [
            account_administrators(partition, account_id),
            {
                "Sid": "CloudTrailEncryptsThisTrailsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "CloudWatchLogsForTheseLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    # The encryption context value is a string (not an ARN-typed key), so String operators.
                    "StringEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"
                            for name in sorted(log_groups)
                        ]
                    }
                },
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
