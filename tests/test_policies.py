"""The CrossGuard pack, policy by policy: one compliant and one violating fixture per failure reason.

Fixtures are resources as the engine sends them (camelCase wire names, numbers as floats, secrets wrapped) and go
through the same argument building as the offline runner (tooling.policy_evaluation: deserialize_properties and the
unknown-checking proxy), so a rule reading a snake_case key, or a dict instead of a Mapping, fails here.
Beyond the fixtures: the pack loads the way the Pulumi CLI loads it, pulumi_policy's own analyzer agrees with the
offline evaluation, and every resource type and property a rule reads exists in the installed pulumi_aws.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import subprocess
import sys
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format, struct_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policies.rules import PACK_NAME, POLICIES
from policies.rules.common import LOW, ResourceRule
from policies.rules.tags import TAGGABLE
from tests.policy_fixtures import repo_checks
from tooling import policy_evaluation as evaluation
from tooling.policy_evaluation import PACK_VERSION, PolicyConfigError, Violation, evaluate, normalize_config
from tooling.records import SECRET_SIG, SECRET_VALUE, Registration

ROOT = Path(__file__).resolve().parent.parent
BY_NAME = {p.name: p for p in POLICIES}
STACK = "prod"

INSTANCE = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
RGW = "aws:vpclattice/resourceGateway:ResourceGateway"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
SN = "aws:vpclattice/serviceNetwork:ServiceNetwork"
SERVICE = "aws:vpclattice/service:Service"
AUTH = "aws:vpclattice/authPolicy:AuthPolicy"
RCFG = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"
ALS = "aws:vpclattice/accessLogSubscription:AccessLogSubscription"
SNVA = "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SHARE = "aws:ram/resourceShare:ResourceShare"
PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"
EXCLUSIVE = "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive"
KMS_KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
LISTENER = "aws:vpclattice/listener:Listener"
LISTENER_RULE = "aws:vpclattice/listenerRule:ListenerRule"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION = "aws:lambda/function:Function"
TOPIC = "aws:sns/topic:Topic"
BUDGET = "aws:budgets/budget:Budget"
KMS_ALIAS = "aws:kms/alias:Alias"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
RECORDER = "aws:cfg/recorder:Recorder"
RECORDER_STATUS = "aws:cfg/recorderStatus:RecorderStatus"
DELIVERY_CHANNEL = "aws:cfg/deliveryChannel:DeliveryChannel"
CONFIG_RULE = "aws:cfg/rule:Rule"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"

TAGS = {
    "ManagedBy": "pulumi/lattice-tenancy",
    "LatticeTenancyStack": STACK,
    "CostCenter": "platform",
    "Environment": "production",
}


@pytest.fixture(scope="module")
def repo_runs() -> list[list[Registration]]:
    """The registrations of every real stack in the repository."""
    checks = repo_checks()
    assert all(c.error is None for c in checks), [c.error for c in checks]
    return [c.resources for c in checks]


@pytest.fixture(scope="module")
def owner_repo_run(repo_runs) -> list[Registration]:
    (owner,) = [c.resources for c in repo_checks() if c.kind == "owner"]
    return owner


# --- building resources as the engine sends them ------------------------------------------------------------


def res(typ: str, name: str, props: dict[str, Any], *, stack: str = STACK, protect: bool = False, refs=None):
    """A registration; `refs` maps a property to the resource(s) whose Outputs flowed into it (dependency edges)."""
    deps = {k: [r.urn for r in (v if isinstance(v, list) else [v])] for k, v in (refs or {}).items()}
    return Registration(
        urn=f"urn:pulumi:{stack}::lattice-tenancy::{typ}::{name}",
        type=typ,
        name=name,
        parent="",
        custom=True,
        inputs=props,
        dependencies=sorted({u for urns in deps.values() for u in urns}),
        property_dependencies=deps,
        protect=protect,
    )


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG: SECRET_VALUE, "value": value}


def compact(document: dict) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of `base` with keys changed; a value of DROP removes the key (the engine sends nothing for it)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is DROP:
            out.pop(key, None)
        else:
            out[key] = value
    return out


DROP = object()


# --- compliant baselines ---------------------------------------------------------------------------------------

RDS = {
    "engine": "mysql",
    "identifier": "acme-db",
    "storageEncrypted": True,
    "publiclyAccessible": False,
    "backupRetentionPeriod": 7.0,
    "deletionProtection": True,
    "iamDatabaseAuthenticationEnabled": True,
    "manageMasterUserPassword": True,
    "autoMinorVersionUpgrade": True,
    "enabledCloudwatchLogsExports": ["audit", "error", "general", "iam-db-auth-error", "slowquery"],
    "dbSubnetGroupName": "acme-db",
    "multiAz": True,
    "copyTagsToSnapshot": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "acme-db-final",
    "username": "lattice_admin",
    "monitoringInterval": 60.0,
    "monitoringRoleArn": "arn:aws:iam::111111111111:role/acme-db-monitoring",
    "port": 3306.0,
    "tags": TAGS,
}
# A cross-Region replica in eu-central-1 of an eu-west-1 primary, with a key of its own Region.
REPLICA = {
    **{
        k: v
        for k, v in RDS.items()
        if k not in ("engine", "username", "manageMasterUserPassword", "finalSnapshotIdentifier")
    },
    "replicateSourceDb": "arn:aws:rds:eu-west-1:111111111111:db:acme-db",
    "region": "eu-central-1",
    "kmsKeyId": "arn:aws:kms:eu-central-1:111111111111:key/" + "b" * 36,
    "skipFinalSnapshot": True,
}
PAB_OK = {"bucket": "audit", **dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)}  # fmt: skip
SSE_OK = {"bucket": "audit", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
TRAIL_ARN = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/acme-trail"
TLS_DENY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::audit", "arn:aws:s3:::audit/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
CLOUDTRAIL_WRITE = {
    "Sid": "CloudTrailWrite",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::audit/AWSLogs/111111111111/*",
    "Condition": {"StringEquals": {"aws:SourceArn": TRAIL_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}},
}


def trust(*statements: dict) -> dict[str, Any]:
    return secret(compact({"Version": "2012-10-17", "Statement": list(statements)}))


def bucket_policy(*statements: dict) -> dict[str, Any]:
    return {"bucket": "audit", "policy": compact({"Version": "2012-10-17", "Statement": list(statements)})}


BUCKET_POLICY_OK = bucket_policy(TLS_DENY, CLOUDTRAIL_WRITE)
TRAIL_OK = {
    "name": "acme-trail",
    "s3BucketName": "audit",
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "enableLogging": True,
    "kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000",
    "cloudWatchLogsGroupArn": "arn:aws:logs:eu-west-1:111111111111:log-group:acme-trail:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::111111111111:role/acme-trail-logs",
    "tags": TAGS,
}
LOG_DELIVERY = {
    "Sid": "S3ServerAccessLogDelivery",
    "Effect": "Allow",
    "Principal": {"Service": "logging.s3.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::audit-logs/audit/*",
    "Condition": {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::audit"},
        "StringEquals": {"aws:SourceAccount": "111111111111"},
    },
}
TRAIL_LOGS_ROLE = {
    "name": "acme-trail-logs",
    "assumeRolePolicy": trust(
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "111111111111"},
                "ArnLike": {"aws:SourceArn": TRAIL_ARN},
            },
        }
    ),
    "tags": TAGS,
}
MONITORING_TRUST = {
    "Effect": "Allow",
    "Principal": {"Service": "monitoring.rds.amazonaws.com"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}},
}
EXTERNAL_ID = "ext-id-do-not-print-0123456789"


TENANT_TRUST = {
    "Sid": "TenantAccountWithExternalId",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}},
}
ROLE_OK = {
    "name": "acme-tenant-a",
    "assumeRolePolicy": trust(TENANT_TRUST),
    "tags": {**TAGS, "Tenant": "tenant-a", "Team": "TeamA", "TenantAccount": "222222222222"},
}


def identity(*statements: dict) -> str:
    return compact({"Version": "2012-10-17", "Statement": list(statements)})


ACCESS = {"Effect": "Allow", "Action": "rds-db:connect", "Resource": "arn:aws:rds-db:eu-west-1:1:dbuser:db-X/a"}
AUTH_STATEMENT = {
    "Sid": "Tenants",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalAccount": "111111111111"}},
}


KEY_ROOT = {
    "Sid": "AccountAdministratorsThroughIam",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": "kms:*",
    "Resource": "*",
}
KEY_CLOUDTRAIL = {
    "Sid": "CloudTrailEncryptsThisTrailsLogs",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "kms:GenerateDataKey*",
    "Resource": "*",
    "Condition": {
        "StringEquals": {"aws:SourceArn": TRAIL_ARN},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111111111111:trail/*"},
    },
}
KEY_LOGS = {
    "Sid": "CloudWatchLogsForTheseLogGroups",
    "Effect": "Allow",
    "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    "Resource": "*",
    "Condition": {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111111111111:log-group:acme-trail"}
    },
}
KEY_PUBLIC = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}


def key_policy(*statements: dict) -> str:
    return compact({"Version": "2012-10-17", "Statement": list(statements)})


KEY_OK = {
    "description": "audit trail and log groups",
    "enableKeyRotation": True,
    "deletionWindowInDays": 30.0,
    "policy": key_policy(KEY_ROOT, KEY_CLOUDTRAIL, KEY_LOGS),
    "tags": TAGS,
}


def auth(*statements: dict, raw: str | None = None) -> dict[str, Any]:
    policy = raw if raw is not None else compact({"Version": "2012-10-17", "Statement": list(statements)})
    return {"resourceIdentifier": "sn-1", "policy": policy}


# --- stack fixtures ----------------------------------------------------------------------------------------------


def audit_stack(*, drop: str | None = None, stack: str = STACK, bucket_protect: bool = True, force=False):
    """A bucket with its five companions and the trail writing to it; `drop` leaves one companion out."""
    bucket = res(BUCKET, "audit-bucket", {"bucket": "audit", "forceDestroy": force, "tags": TAGS}, stack=stack, protect=bucket_protect)  # fmt: skip
    companions = {
        PAB: PAB_OK,
        SSE: SSE_OK,
        VERSIONING: {"bucket": "audit", "versioningConfiguration": {"status": "Enabled"}},
        OWNERSHIP: {"bucket": "audit", "rule": {"objectOwnership": "BucketOwnerEnforced"}},
        BUCKET_POLICY: BUCKET_POLICY_OK,
    }
    out = [bucket]
    for typ, props in companions.items():
        if typ != drop:
            out.append(res(typ, typ.rsplit(":", 1)[-1], props, stack=stack, refs={"bucket": bucket}))
    out.append(res(TRAIL, "audit-trail", TRAIL_OK, stack=stack, refs={"s3BucketName": bucket}))
    return out


def access_log_stack(*, logging: bool = True, source: str = "audit", target: str = "logs", literal: bool = False):
    """The audit bucket and its access-log bucket (their other companions have their own policy); with `logging`, a
    BucketLogging from the `source` bucket into the `target` one ("audit" or "logs"), linked by dependency edges or,
    with `literal`, by bucket name only."""
    buckets = {"audit": res(BUCKET, "audit-bucket", {"bucket": "audit"}), "logs": res(BUCKET, "log-bucket", {"bucket": "audit-logs"})}  # fmt: skip
    out = list(buckets.values())
    if logging:
        props = {"bucket": buckets[source].inputs["bucket"], "targetBucket": buckets[target].inputs["bucket"], "targetPrefix": "audit/"}  # fmt: skip
        refs = None if literal else {"bucket": buckets[source], "targetBucket": buckets[target]}
        out.append(res(BUCKET_LOGGING, "audit-access-logging", props, refs=refs))
    return out


def db_stack(*, rule=None, rule_type=INGRESS, engine_port=(3306.0, "mysql"), db_refs=True, extra_sg_ids=0, inline=None):
    """Gateway SG, DB SG, resource gateway, instance and one ingress rule to the DB SG (overridable)."""
    gateway_sg = res(SG, "gateway-sg", {"name": "gw", "description": "gateway", "vpcId": "vpc-1"})
    db_props = {"name": "db", "description": "db", "vpcId": "vpc-1"}
    if inline is not None:
        db_props["ingress"] = inline
    db_sg = res(SG, "db-sg", db_props)
    gateway = res(RGW, "rgw", {"name": "rgw", "securityGroupIds": ["sg-gw"]}, refs={"securityGroupIds": gateway_sg})
    port, engine = engine_port
    instance_props = with_(RDS, engine=engine, port=port if port is not None else DROP)
    instance_props["vpcSecurityGroupIds"] = ["sg-db"] + [f"sg-extra{i}" for i in range(extra_sg_ids)]
    instance = res(INSTANCE, "db", instance_props, refs={"vpcSecurityGroupIds": db_sg} if db_refs else None)
    out = [gateway_sg, db_sg, gateway, instance]
    if rule is not None:
        props, refs = rule(gateway_sg, db_sg)
        out.append(res(rule_type, "rule", props, refs=refs))
    return out


def ingress(port_from=3306.0, port_to=3306.0, protocol="tcp", source="gateway", **extra):
    def build(gateway_sg, db_sg):
        props = {
            "securityGroupId": "sg-db",
            "referencedSecurityGroupId": "sg-src",
            "ipProtocol": protocol,
            "fromPort": port_from,
            "toPort": port_to,
            "description": "MySQL from the gateway",
            **extra,
        }
        refs = {"securityGroupId": db_sg}
        if source == "gateway":
            refs["referencedSecurityGroupId"] = gateway_sg
        return props, refs

    return build


def legacy_rule(**extra):
    def build(gateway_sg, db_sg):
        props = {"type": "ingress", "securityGroupId": "sg-db", "sourceSecurityGroupId": "sg-gw", "protocol": "tcp",
                 "fromPort": 3306.0, "toPort": 3306.0, "description": "from gateway", **extra}  # fmt: skip
        return props, {"securityGroupId": db_sg, "sourceSecurityGroupId": gateway_sg}

    return build


def lattice_stack(*log_types, sn_type="AWS_IAM", other_network=False):
    """A service network with access log subscriptions of these types (None: the type left to its default); with
    `other_network` the subscriptions belong to a second network instead."""
    network = res(SN, "sn", {"name": "sn", "authType": sn_type, "tags": TAGS})
    other = res(SN, "other", {"name": "other", "authType": "NONE"})
    target = other if other_network else network
    logs = [
        res(
            ALS,
            f"logs-{i}",
            ({"serviceNetworkLogType": t} if t else {}) | {"resourceIdentifier": "sn-x"},
            refs={"resourceIdentifier": target},
        )
        for i, t in enumerate(log_types)
    ]
    return [network, *([other] if other_network else []), *logs]


def share_stack(external: bool, *principals: str):
    share = res(SHARE, "share", {"name": "share", "allowExternalPrincipals": external})
    associations = [
        res(PRINCIPAL, f"p-{i}", {"principal": p, "resourceShareArn": "arn:share"}, refs={"resourceShareArn": share})
        for i, p in enumerate(principals)
    ]
    return [share, *associations]


def exclusive_share_stack(external: bool, *principals: str):
    """The same share, with every principal in one ResourceShareAssociationsExclusive (what the stacks declare)."""
    share = res(SHARE, "share", {"name": "share", "allowExternalPrincipals": external})
    props = {"principals": list(principals), "resourceArns": ["arn:sn"], "resourceShareArn": "arn:share"}
    return [share, res(EXCLUSIVE, "associations", props, refs={"resourceShareArn": share})]


def rds_config(kind, definition, refs_instance=False):
    instance = res(INSTANCE, "db", RDS)
    props = {"name": "db", "type": kind, "resourceConfigurationDefinition": definition}
    return [instance, res(RCFG, "rcfg", props, refs={"resourceConfigurationDefinition": instance} if refs_instance else None)]  # fmt: skip


CANARY_ALARM = "orders-canary-errors"
ALARM_PATTERN = {
    "source": ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    "detail": {"alarmName": [CANARY_ALARM], "state": {"value": ["ALARM"]}},
}
ROLLBACK_ARN = "arn:aws:lambda:eu-west-1:111111111111:function:orders-rollback"


def alarm_pattern(**detail: Any) -> str:
    return compact(with_(ALARM_PATTERN, detail=with_(ALARM_PATTERN["detail"], **detail)))


def canary_stack(*, alarm="queries", release="listener", preview=False, rollback=True, pattern=None, rule=None, target="function"):  # fmt: skip
    """A service released by weight, stable target group first and canary second, as components/service.py declares
    it; an alarm on a target group; the rollback path: an EventRule on the alarm, an EventTarget, a Lambda function.
    `alarm`: "queries" (metricQueries on the canary), "direct" (dimensions on the canary), "stable" (on the stable
    group only) or None. `release`: the listener's default action forwards by weight, or ("rule") a listener rule does.
    `preview`: every ID unknown, only dependency edges link. Without `rollback` no EventRule; `pattern` replaces its
    eventPattern, `rule` adds to its inputs. `target`: "function" (linked by edge), "arn" (the function's ARN only),
    "elsewhere" (the ARN of a function not in the stack), "topic" (an SNS topic) or None."""
    ids = {"stable": "tg-stable", "canary": "tg-canary"}

    def tg_id(which: str) -> str:
        return UNKNOWN_STRING_VALUE if preview else ids[which]

    groups = {w: res(TARGET_GROUP, w, {"name": f"orders-{w}", "type": "LAMBDA"}) for w in ids}
    weighted = {"targetGroups": [{"targetGroupIdentifier": tg_id("stable"), "weight": 90.0}, {"targetGroupIdentifier": tg_id("canary"), "weight": 10.0}]}  # fmt: skip
    to_stable = {"targetGroups": [{"targetGroupIdentifier": tg_id("stable"), "weight": 100.0}]}
    listener_props = {"name": "orders-https", "protocol": "HTTPS", "port": 443.0, "serviceIdentifier": "svc-1"}
    out = [res(SERVICE, "svc", {"name": "orders", "authType": "AWS_IAM"}), *groups.values()]
    if release == "listener":
        out.append(res(LISTENER, "listener", {**listener_props, "defaultAction": {"forwards": [weighted]}}, refs={"defaultAction": list(groups.values())}))  # fmt: skip
    else:
        out.append(res(LISTENER, "listener", {**listener_props, "defaultAction": {"forwards": [to_stable]}}, refs={"defaultAction": groups["stable"]}))  # fmt: skip
        rule_props = {"name": "orders-p10", "priority": 10.0, "listenerIdentifier": "listener-1", "serviceIdentifier": "svc-1", "match": {"httpMatch": {"method": "GET"}}, "action": {"forward": weighted}}  # fmt: skip
        out.append(res(LISTENER_RULE, "rule-10", rule_props, refs={"action": list(groups.values())}))
    if alarm is not None:
        watched = "stable" if alarm == "stable" else "canary"
        dimensions = {"TargetGroup": tg_id(watched)}
        props: dict[str, Any] = {"name": CANARY_ALARM, "comparisonOperator": "GreaterThanThreshold", "threshold": 5.0, "evaluationPeriods": 3.0}  # fmt: skip
        if alarm == "direct":
            props |= {"namespace": "AWS/VpcLattice", "metricName": "HTTPCode_5XX_Count", "statistic": "Sum", "period": 60.0, "dimensions": dimensions}  # fmt: skip
            refs = {"dimensions": groups[watched]}
        else:
            metric = {"namespace": "AWS/VpcLattice", "metricName": "HTTPCode_5XX_Count", "stat": "Sum", "period": 60.0, "dimensions": dimensions}  # fmt: skip
            props["metricQueries"] = [{"id": "errors", "metric": metric, "returnData": True}]
            refs = {"metricQueries": groups[watched]}
        out.append(res(ALARM, "canary-errors", props, refs=refs))
    function = res(FUNCTION, "rollback-function", {"name": "orders-rollback", "runtime": "python3.12", "handler": "handler.handle", "role": "arn:aws:iam::111111111111:role/service-role/orders-rollback"})  # fmt: skip
    topic = res(TOPIC, "rollback-topic", {"name": "orders-rollback"})
    out += [function, topic]
    if rollback:
        event_rule = res(EVENT_RULE, "rollback-alarms", {"name": "orders-rollback", "eventPattern": pattern or compact(ALARM_PATTERN), **(rule or {})})  # fmt: skip
        out.append(event_rule)
        arn, edge = {
            "function": (UNKNOWN_STRING_VALUE if preview else ROLLBACK_ARN, function),
            "arn": (ROLLBACK_ARN, None),
            "elsewhere": ("arn:aws:lambda:eu-west-1:111111111111:function:other-rollback", None),
            "topic": ("arn:aws:sns:eu-west-1:111111111111:orders-rollback", topic),
        }.get(target, (None, None))
        if arn is not None:
            refs = {"rule": event_rule, **({"arn": edge} if edge else {})}
            out.append(res(EVENT_TARGET, "rollback-target", {"rule": "orders-rollback", "arn": arn}, refs=refs))
    return out


# --- alerting: a topic, its key, and who publishes to it --------------------------------------------------------------

ALERTS_ARN = "arn:aws:sns:eu-west-1:111111111111:acme-alerts"
ALERTS_KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555"
PUBLISHERS = {
    "Sid": "PublishersOfThisAccount",
    "Effect": "Allow",
    "Principal": {"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"]},
    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}},
}
ALERT_ALARM = {
    "name": "acme-denied", "namespace": "LatticeTenancy/acme", "metricName": "DeniedRequests", "statistic": "Sum",
    "period": 300.0, "evaluationPeriods": 1.0, "threshold": 10.0, "comparisonOperator": "GreaterThanThreshold",
}  # fmt: skip


def alert_stack(*, publisher="alarm", key="declared", statements=(KEY_ROOT, PUBLISHERS), separate=None, linked=True, preview=False):  # fmt: skip
    """The alerts topic and who publishes to it: `publisher` "alarm" (alarmActions), "ok" (okActions only), "event"
    (an EventTarget), "budget" (a budget notification) or None. `key`: "declared" (a Key of the stack with
    `statements` as its policy; None: the default policy), "alias" (that key through a declared alias), a literal
    kmsMasterKeyId, or None. `separate`: statements of a separate KeyPolicy. Without `linked` no dependency edges,
    only literal ARNs; with `preview` the ARNs and the key ID are unknown and only the edges link."""
    arn = UNKNOWN_STRING_VALUE if preview else ALERTS_ARN
    key_props: dict[str, Any] = {"description": "alerts", "enableKeyRotation": True, "tags": TAGS}
    if statements is not None:
        key_props["policy"] = key_policy(*statements)
    kms_key = res(KMS_KEY, "alerts-key", key_props)
    out = [kms_key]
    topic_props: dict[str, Any] = {"name": "acme-alerts", "tags": TAGS}
    topic_refs = {}
    if key == "declared":
        topic_props["kmsMasterKeyId"] = UNKNOWN_STRING_VALUE if preview else ALERTS_KEY_ARN
        topic_refs = {"kmsMasterKeyId": kms_key}
        if not preview:
            kms_key.inputs["arn"] = ALERTS_KEY_ARN
    elif key == "alias":
        alias = res(KMS_ALIAS, "alerts-alias", {"name": "alias/acme-alerts", "targetKeyId": "k-1"}, refs={"targetKeyId": kms_key})  # fmt: skip
        out.append(alias)
        topic_props["kmsMasterKeyId"] = "alias/acme-alerts"
    elif key is not None:
        topic_props["kmsMasterKeyId"] = key
    if separate is not None:
        out.append(res(KEY_POLICY, "alerts-key-policy", {"keyId": "k-1", "policy": key_policy(*separate)}, refs={"keyId": kms_key}))  # fmt: skip
    topic = res(TOPIC, "alerts-topic", topic_props, refs=topic_refs if linked else None)
    out.append(topic)
    edge = topic if linked else None

    def refs(*keys: str) -> dict | None:
        return dict.fromkeys(keys, edge) if edge else None

    if publisher == "alarm":
        out.append(res(ALARM, "denied", {**ALERT_ALARM, "alarmActions": [arn], "okActions": [arn]}, refs=refs("alarmActions", "okActions")))  # fmt: skip
    elif publisher == "ok":
        out.append(res(ALARM, "denied", {**ALERT_ALARM, "okActions": [arn]}, refs=refs("okActions")))
    elif publisher == "event":
        rule = res(EVENT_RULE, "changes", {"name": "acme-changes", "eventPattern": compact({"source": ["aws.ram"]})})
        out += [rule, res(EVENT_TARGET, "changes-topic", {"rule": "acme-changes", "arn": arn}, refs={"rule": rule, **(refs("arn") or {})})]  # fmt: skip
    elif publisher == "budget":
        notification = {"comparisonOperator": "GREATER_THAN", "threshold": 80.0, "thresholdType": "PERCENTAGE", "notificationType": "ACTUAL", "subscriberSnsTopicArns": [arn]}  # fmt: skip
        out.append(res(BUDGET, "budget", {"name": "acme-tenant-a", "budgetType": "COST", "limitAmount": "100.00", "limitUnit": "USD", "timeUnit": "MONTHLY", "notifications": [notification]}, refs=refs("notifications")))  # fmt: skip
    return out


def alarm(name: str = "orphan", **props: Any) -> list[Registration]:
    return [res(ALARM, name, {**ALERT_ALARM, **props})]


# --- flow logs on the subnets of gateways and endpoints --------------------------------------------------------------


def flow_log_stack(*, holder=RGW, logged=("subnet-1", "subnet-2"), traffic="ALL", vpc_log=None, declared=False):
    """A resource gateway (or VPC endpoint) in subnet-1 and subnet-2 of vpc-1, with a flow log on each `logged` subnet
    of `traffic`, and with `vpc_log` one on that VPC. With `declared` the subnets are Subnets of the stack whose IDs
    are unknown during preview: only dependency edges link them."""
    subnets = {s: res(SUBNET, s, {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24"}) for s in ("subnet-1", "subnet-2")}
    props: dict[str, Any] = {"name": "gw", "vpcId": "vpc-1", "subnetIds": ["subnet-1", "subnet-2"], "tags": TAGS}
    if holder == ENDPOINT:
        props = {"vpcEndpointType": "ServiceNetwork", "vpcId": "vpc-1", "subnetIds": ["subnet-1", "subnet-2"], "securityGroupIds": ["sg-1"]}  # fmt: skip
    out: list[Registration] = []
    if declared:
        props["subnetIds"] = [UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE]
        out += subnets.values()
    out.append(res(holder, "holder", props, refs={"subnetIds": list(subnets.values())} if declared else None))
    for s in logged:
        log_props = {"subnetId": UNKNOWN_STRING_VALUE if declared else s, "trafficType": traffic, "logDestinationType": "cloud-watch-logs", "logDestination": "arn:aws:logs:eu-west-1:111111111111:log-group:flow"}  # fmt: skip
        out.append(res(FLOW_LOG, f"flow-{s}", log_props, refs={"subnetId": subnets[s]} if declared else None))
    if vpc_log is not None:
        out.append(res(FLOW_LOG, "flow-vpc", {"vpcId": vpc_log, "trafficType": traffic}))
    return out


def lattice_identity(*statements: dict) -> dict[str, Any]:
    return {"name": "canary-rollback", "role": "orders-rollback", "policy": identity(*statements)}


LISTENER_ARN = (
    "arn:aws:vpc-lattice:eu-west-1:111111111111:service/svc-0123456789abcdef0/listener/listener-0123456789abcdef0"
)
GUARDED_LISTENERS = {"Sid": "GuardedListeners", "Effect": "Allow", "Action": ["vpc-lattice:GetListener", "vpc-lattice:UpdateListener"], "Resource": [LISTENER_ARN]}  # fmt: skip
GUARDED_RULES = {"Sid": "GuardedRules", "Effect": "Allow", "Action": ["vpc-lattice:GetRule", "vpc-lattice:UpdateRule"], "Resource": [f"{LISTENER_ARN}/rule/rule-0123456789abcdef0"]}  # fmt: skip


# --- AWS Config: the recorder, and the role of a custom rule's function ---------------------------------------------

CONFIG_RECORDER = {"name": "acme-config", "roleArn": "arn:aws:iam::111111111111:role/service-role/acme-config-recorder", "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": False}}  # fmt: skip
MANAGED_RULE = {"name": "acme-rds-storage-encrypted", "source": {"owner": "AWS", "sourceIdentifier": "RDS_STORAGE_ENCRYPTED"}, "tags": TAGS}  # fmt: skip


def recorder_stack(*, status="linked", enabled: Any = True, channel=True, region=None, status_region=None, channel_region=None):  # fmt: skip
    """A Config recorder, its RecorderStatus and a DeliveryChannel, as components/compliance.py declares them.
    `status`: "linked" (its name is the recorder's Output), "literal" (the same name, no edge), "other" (another
    recorder's name) or None; `enabled` its isEnabled; `channel` whether there is a DeliveryChannel; the regions
    (None: the provider's) of the recorder, the status and the channel."""
    recorder = res(RECORDER, "recorder", {**CONFIG_RECORDER, **({"region": region} if region else {})})
    out = [recorder]
    if channel:
        delivery = {"name": "acme-config", "s3BucketName": "acme-config-111111111111-eu-west-1", "snsTopicArn": ALERTS_ARN}  # fmt: skip
        out.append(res(DELIVERY_CHANNEL, "delivery", {**delivery, **({"region": channel_region} if channel_region else {})}))  # fmt: skip
    if status is not None:
        props = {"name": "acme-other" if status == "other" else "acme-config", "isEnabled": enabled}
        if status_region:
            props["region"] = status_region
        out.append(res(RECORDER_STATUS, "recorder-status", props, refs={"name": recorder} if status == "linked" else None))  # fmt: skip
    out.append(res(CONFIG_RULE, "rule-rds", MANAGED_RULE))
    return out


RULE_FUNCTION_ARN = "arn:aws:lambda:eu-west-1:111111111111:function:acme-config-lattice"
RULE_ROLE_ARN = "arn:aws:iam::111111111111:role/service-role/acme-config-lattice"
RULE_READS = {"Sid": "ReadLatticeAndSharing", "Effect": "Allow", "Action": ["ram:GetResourceShares", "ram:ListPrincipals", "vpc-lattice:Get*", "vpc-lattice:List*", "ec2:DescribeVpcs"], "Resource": "*"}  # fmt: skip
RULE_REPORTS = {"Sid": "ReportEvaluations", "Effect": "Allow", "Action": ["config:GetComplianceDetailsByConfigRule", "config:PutEvaluations"], "Resource": "*"}  # fmt: skip
RULE_LOGS = {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/acme-config-lattice:*"}  # fmt: skip
RULE_STATEMENTS = (RULE_READS, RULE_REPORTS, RULE_LOGS)
LAMBDA_TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}


def custom_rule_stack(*statements: dict, owner="CUSTOM_LAMBDA", linked=True, preview=False, service="lambda.amazonaws.com", role_props=None, extra=()):  # fmt: skip
    """A custom Config rule, the function it runs, and the function's role with a RolePolicy of `statements` (by
    default read, report and log). `owner` the rule's source owner; without `linked` no dependency edges, only literal
    ARNs and names; with `preview` those are unknown and only the edges link; `service` the principal the role trusts;
    `role_props` more role inputs; `extra` more resources (attachments name the role "acme-config-lattice")."""
    unknown = UNKNOWN_STRING_VALUE if preview else None
    role = res(ROLE, "rule-role", {"name": "acme-config-lattice", "path": "/service-role/", "assumeRolePolicy": trust(with_(LAMBDA_TRUST, Principal={"Service": service})), "tags": TAGS, **(role_props or {})})  # fmt: skip
    policy = res(ROLE_POLICY, "rule-policy", {"name": "config-lattice-rule", "role": unknown or "acme-config-lattice", "policy": identity(*(statements or RULE_STATEMENTS))}, refs={"role": role} if linked else None)  # fmt: skip
    function = res(FUNCTION, "rule-function", {"name": "acme-config-lattice", "role": unknown or RULE_ROLE_ARN, "runtime": "python3.12", "handler": "handler.handle", "tags": TAGS}, refs={"role": role} if linked else None)  # fmt: skip
    source = {"owner": owner, "sourceIdentifier": unknown or RULE_FUNCTION_ARN, "sourceDetails": [{"messageType": "ScheduledNotification", "maximumExecutionFrequency": "TwentyFour_Hours"}]}  # fmt: skip
    if owner == "AWS":
        source = {"owner": owner, "sourceIdentifier": "RDS_STORAGE_ENCRYPTED"}
    rule = res(CONFIG_RULE, "lattice-rule", {"name": "acme-lattice-auth-and-sharing", "source": source, "tags": TAGS}, refs={"source": function} if linked and owner != "AWS" else None)  # fmt: skip
    return [role, policy, function, rule, *extra]


EXTRA_POLICY_ARN = "arn:aws:iam::111111111111:policy/acme-config-lattice-extra"


def extra_policy(*statements: dict) -> Registration:
    return res(IAM_POLICY, "extra-policy", {"name": "acme-config-lattice-extra", "arn": EXTRA_POLICY_ARN, "policy": identity(*statements)})  # fmt: skip


def role_attachment(policy_arn: str = EXTRA_POLICY_ARN) -> Registration:
    return res(ROLE_ATTACHMENT, "rule-attach", {"role": "acme-config-lattice", "policyArn": policy_arn})


# --- the cases ---------------------------------------------------------------------------------------------------


@dataclass
class Case:
    policy: str
    what: str
    resources: list[Registration]
    expect: str | None  # a fragment of the violation message; None: compliant
    config: dict[str, Any] | None = None

    @property
    def id(self) -> str:
        return f"{self.policy}:{self.what}"


def one(typ: str, props: dict[str, Any], stack: str = STACK) -> list[Registration]:
    return [res(typ, "subject", props, stack=stack)]


CASES = [
    # RDS --------------------------------------------------------------------------------------------------------
    Case("rds-storage-encrypted", "encrypted", one(INSTANCE, RDS), None),
    Case("rds-storage-encrypted", "false", one(INSTANCE, with_(RDS, storageEncrypted=False)), "storageEncrypted is not true"),
    Case("rds-storage-encrypted", "unset (default false)", one(INSTANCE, with_(RDS, storageEncrypted=DROP)), "storageEncrypted is not true"),
    Case("rds-not-publicly-accessible", "private", one(INSTANCE, RDS), None),
    Case("rds-not-publicly-accessible", "unset (default false)", one(INSTANCE, with_(RDS, publiclyAccessible=DROP)), None),
    Case("rds-not-publicly-accessible", "public", one(INSTANCE, with_(RDS, publiclyAccessible=True)), "publiclyAccessible is true"),
    Case("rds-not-publicly-accessible", "public as string", one(INSTANCE, with_(RDS, publiclyAccessible="true")), "publiclyAccessible is true"),
    Case("rds-backup-retention", "7 days", one(INSTANCE, RDS), None),
    Case("rds-backup-retention", "unset (default 0)", one(INSTANCE, with_(RDS, backupRetentionPeriod=DROP)), "backupRetentionPeriod is not set"),
    Case("rds-backup-retention", "1 day", one(INSTANCE, with_(RDS, backupRetentionPeriod=1.0)), "backupRetentionPeriod is 1 days; set at least 7"),
    Case("rds-backup-retention", "below configured 14", one(INSTANCE, RDS), "set at least 14", {"minimumDays": 14}),
    Case("rds-backup-retention", "meets configured 14", one(INSTANCE, with_(RDS, backupRetentionPeriod=14.0)), None, {"minimumDays": 14}),
    Case("rds-deletion-protection", "on", one(INSTANCE, RDS), None),
    Case("rds-deletion-protection", "off in production", one(INSTANCE, with_(RDS, deletionProtection=False)), "deletionProtection is not true in stack 'prod'"),
    Case("rds-deletion-protection", "unset in production", one(INSTANCE, with_(RDS, deletionProtection=DROP)), "deletionProtection is not true"),
    Case("rds-deletion-protection", "off in a development stack", one(INSTANCE, with_(RDS, deletionProtection=False), stack="dev-1"), None, {"developmentStacks": ["dev-*"]}),
    Case("rds-deletion-protection", "off, stack not matched", one(INSTANCE, with_(RDS, deletionProtection=False)), "production for this pack", {"developmentStacks": ["dev-*"]}),
    Case("rds-iam-authentication", "on", one(INSTANCE, RDS), None),
    Case("rds-iam-authentication", "unset", one(INSTANCE, with_(RDS, iamDatabaseAuthenticationEnabled=DROP)), "iamDatabaseAuthenticationEnabled is not true"),
    Case("rds-iam-authentication", "off", one(INSTANCE, with_(RDS, iamDatabaseAuthenticationEnabled=False)), "iamDatabaseAuthenticationEnabled is not true"),
    Case("rds-managed-master-password", "managed", one(INSTANCE, RDS), None),
    Case("rds-managed-master-password", "literal password", one(INSTANCE, with_(RDS, manageMasterUserPassword=DROP, password=secret("hunter2hunter2"))), "password is set"),
    Case("rds-managed-master-password", "write-only password", one(INSTANCE, with_(RDS, manageMasterUserPassword=DROP, passwordWo="hunter2hunter2")), "passwordWo is set"),
    Case("rds-managed-master-password", "not managed", one(INSTANCE, with_(RDS, manageMasterUserPassword=False)), "manageMasterUserPassword is not true"),
    Case("rds-managed-master-password", "replica has no master user", one(INSTANCE, with_(RDS, manageMasterUserPassword=DROP, username=DROP, replicateSourceDb="acme-db")), None),
    Case("rds-auto-minor-version-upgrade", "on", one(INSTANCE, RDS), None),
    Case("rds-auto-minor-version-upgrade", "unset (default true)", one(INSTANCE, with_(RDS, autoMinorVersionUpgrade=DROP)), None),
    Case("rds-auto-minor-version-upgrade", "off", one(INSTANCE, with_(RDS, autoMinorVersionUpgrade=False)), "autoMinorVersionUpgrade is false"),
    Case("rds-log-exports", "mysql, all four", one(INSTANCE, RDS), None),
    Case("rds-log-exports", "mysql without audit", one(INSTANCE, with_(RDS, enabledCloudwatchLogsExports=["error", "general", "slowquery"])), "lacks audit (required for mysql"),
    Case("rds-log-exports", "mysql, none", one(INSTANCE, with_(RDS, enabledCloudwatchLogsExports=DROP)), "lacks audit, error, general, slowquery"),
    Case("rds-log-exports", "postgres", one(INSTANCE, with_(RDS, engine="postgres", enabledCloudwatchLogsExports=["postgresql"])), None),
    Case("rds-log-exports", "postgres, none", one(INSTANCE, with_(RDS, engine="postgres", enabledCloudwatchLogsExports=[])), "lacks postgresql"),
    Case("rds-log-exports", "engine without a list", one(INSTANCE, with_(RDS, engine="oracle-ee", enabledCloudwatchLogsExports=DROP)), None),
    Case("rds-log-exports", "configured list met", one(INSTANCE, with_(RDS, enabledCloudwatchLogsExports=["error"])), None, {"requiredLogTypes": {"mysql": ["error"]}}),
    Case("rds-in-subnet-group", "in one", one(INSTANCE, RDS), None),
    Case("rds-in-subnet-group", "unset", one(INSTANCE, with_(RDS, dbSubnetGroupName=DROP)), "dbSubnetGroupName is not set"),
    Case("rds-in-subnet-group", "empty", one(INSTANCE, with_(RDS, dbSubnetGroupName="")), "dbSubnetGroupName is not set"),
    Case("rds-multi-az", "multi-AZ", one(INSTANCE, RDS), None),
    Case("rds-multi-az", "single AZ in production", one(INSTANCE, with_(RDS, multiAz=False)), "multiAz is not true"),
    Case("rds-multi-az", "single AZ in development", one(INSTANCE, with_(RDS, multiAz=False), stack="sandbox"), None, {"developmentStacks": ["sandbox"]}),
    Case("rds-copy-tags-to-snapshot", "on", one(INSTANCE, RDS), None),
    Case("rds-copy-tags-to-snapshot", "unset (default false)", one(INSTANCE, with_(RDS, copyTagsToSnapshot=DROP)), "copyTagsToSnapshot is not true"),
    Case("rds-final-snapshot", "named", one(INSTANCE, RDS), None),
    Case("rds-final-snapshot", "replica", one(INSTANCE, with_(REPLICA, skipFinalSnapshot=True)), None),
    Case("rds-replica-key-in-its-region", "own-region key", one(INSTANCE, REPLICA), None),
    Case("rds-replica-key-in-its-region", "primary", one(INSTANCE, RDS), None),
    Case(
        "rds-replica-key-in-its-region",
        "source-region key",
        one(INSTANCE, with_(REPLICA, kmsKeyId="arn:aws:kms:eu-west-1:111111111111:key/" + "a" * 36)),
        "is a key in eu-west-1, but the replica is in eu-central-1",
    ),
    Case(
        "rds-replica-key-in-its-region",
        "no key",
        one(INSTANCE, with_(REPLICA, kmsKeyId=DROP)),
        "a cross-Region replica without kmsKeyId",
    ),
    Case(
        "rds-replica-key-in-its-region",
        "region unknown",
        one(INSTANCE, with_(REPLICA, region=DROP)),
        "the replica's Region is unknown",
    ),
    Case("rds-final-snapshot", "skipped", one(INSTANCE, with_(RDS, skipFinalSnapshot=True)), "skipFinalSnapshot is true"),
    Case("rds-final-snapshot", "unnamed", one(INSTANCE, with_(RDS, finalSnapshotIdentifier=DROP)), "finalSnapshotIdentifier is not set"),
    Case("rds-custom-master-username", "custom", one(INSTANCE, RDS), None),
    Case("rds-custom-master-username", "admin", one(INSTANCE, with_(RDS, username="admin")), "engine default 'admin'"),
    Case("rds-custom-master-username", "Postgres, any case", one(INSTANCE, with_(RDS, username="Postgres")), "engine default 'Postgres'"),
    Case("rds-enhanced-monitoring", "every 60 s, with a role", one(INSTANCE, RDS), None),
    Case("rds-enhanced-monitoring", "unset in production (default 0)", one(INSTANCE, with_(RDS, monitoringInterval=DROP, monitoringRoleArn=DROP)), "monitoringInterval is not set (the default, 0): Enhanced Monitoring is off in stack 'prod'"),
    Case("rds-enhanced-monitoring", "0 in production", one(INSTANCE, with_(RDS, monitoringInterval=0.0, monitoringRoleArn=DROP)), "monitoringInterval is 0: Enhanced Monitoring is off"),
    Case("rds-enhanced-monitoring", "0 in a development stack, on purpose", one(INSTANCE, with_(RDS, monitoringInterval=0.0, monitoringRoleArn=DROP), stack="dev-1"), None, {"developmentStacks": ["dev-*"]}),
    Case("rds-enhanced-monitoring", "on without a role", one(INSTANCE, with_(RDS, monitoringRoleArn=DROP)), "monitoringRoleArn is not set while monitoringInterval is 60"),
    Case("rds-enhanced-monitoring", "on without a role in development", one(INSTANCE, with_(RDS, monitoringInterval=30.0, monitoringRoleArn=""), stack="dev-1"), "monitoringRoleArn is not set while monitoringInterval is 30", {"developmentStacks": ["dev-*"]}),
    Case("rds-enhanced-monitoring", "an interval RDS refuses", one(INSTANCE, with_(RDS, monitoringInterval=45.0)), "monitoringInterval is 45; RDS accepts 1, 5, 10, 15, 30, 60"),
    # S3 ---------------------------------------------------------------------------------------------------------
    Case("s3-public-access-block", "all four", one(PAB, PAB_OK), None),
    *(
        Case("s3-public-access-block", f"{flag} off", one(PAB, with_(PAB_OK, **{flag: False})), f"{flag} not true")
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ),
    Case("s3-public-access-block", "none set", one(PAB, {"bucket": "audit"}), "blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets not true"),
    Case("s3-default-encryption", "SSE-S3", one(SSE, SSE_OK), None),
    Case("s3-default-encryption", "SSE-KMS", one(SSE, {"bucket": "audit", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"}, "bucketKeyEnabled": True}]}), None),
    Case("s3-default-encryption", "no rule", one(SSE, {"bucket": "audit", "rules": []}), "no encryption rule"),
    Case("s3-default-encryption", "no algorithm", one(SSE, {"bucket": "audit", "rules": [{"bucketKeyEnabled": True}]}), "rules[0] sseAlgorithm is not set"),
    Case("s3-default-encryption", "unknown algorithm", one(SSE, {"bucket": "audit", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "DES"}}]}), "sseAlgorithm is 'DES'"),
    Case("s3-versioning-enabled", "enabled", one(VERSIONING, {"bucket": "audit", "versioningConfiguration": {"status": "Enabled"}}), None),
    Case("s3-versioning-enabled", "suspended", one(VERSIONING, {"bucket": "audit", "versioningConfiguration": {"status": "Suspended"}}), "status is 'Suspended'"),
    Case("s3-versioning-enabled", "no configuration", one(VERSIONING, {"bucket": "audit"}), "status is 'not set'"),
    Case("s3-ownership-enforced", "owner enforced", one(OWNERSHIP, {"bucket": "audit", "rule": {"objectOwnership": "BucketOwnerEnforced"}}), None),
    Case("s3-ownership-enforced", "object writer", one(OWNERSHIP, {"bucket": "audit", "rule": {"objectOwnership": "ObjectWriter"}}), "objectOwnership is 'ObjectWriter'"),
    Case("s3-ownership-enforced", "no rule", one(OWNERSHIP, {"bucket": "audit"}), "objectOwnership is 'not set'"),
    Case("s3-tls-only", "TLS deny", one(BUCKET_POLICY, BUCKET_POLICY_OK), None),
    Case("s3-tls-only", "TLS deny to AWS *", one(BUCKET_POLICY, bucket_policy(with_(TLS_DENY, Principal={"AWS": "*"}))), None),
    Case("s3-tls-only", "no deny", one(BUCKET_POLICY, bucket_policy(CLOUDTRAIL_WRITE)), "no statement denies"),
    Case("s3-tls-only", "deny on objects only", one(BUCKET_POLICY, bucket_policy(with_(TLS_DENY, Resource="arn:aws:s3:::audit/*"))), "no statement denies"),
    Case("s3-tls-only", "deny of one action", one(BUCKET_POLICY, bucket_policy(with_(TLS_DENY, Action="s3:GetObject"))), "no statement denies"),
    Case("s3-tls-only", "deny when TLS is used", one(BUCKET_POLICY, bucket_policy(with_(TLS_DENY, Condition={"Bool": {"aws:SecureTransport": "true"}}))), "no statement denies"),
    Case("s3-tls-only", "not JSON", one(BUCKET_POLICY, {"bucket": "audit", "policy": "{not json"}), "is not valid JSON"),
    Case("s3-no-public-grants", "private bucket and policy", [*one(BUCKET, {"bucket": "audit", "tags": TAGS}), res(BUCKET_POLICY, "p", BUCKET_POLICY_OK)], None),
    Case("s3-no-public-grants", "public-read ACL", one(BUCKET, {"bucket": "audit", "acl": "public-read"}), "acl is 'public-read'"),
    Case("s3-no-public-grants", "AllUsers grant", one(BUCKET, {"bucket": "audit", "grants": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": ["READ"]}]}), "grants[0] names the group"),
    Case("s3-no-public-grants", "public Allow", one(BUCKET_POLICY, bucket_policy({"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::audit/*"})), "'Public' allow Principal \"*\""),
    Case("s3-no-public-grants", "public Allow pinned to a VPC endpoint", one(BUCKET_POLICY, bucket_policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::audit/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}})), None),
    Case("s3-no-public-grants", "public Allow with a negated condition", one(BUCKET_POLICY, bucket_policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}})), "statement #1 allow"),
    Case("s3-no-public-grants", "public Allow from the whole internet", one(BUCKET_POLICY, bucket_policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}})), "allow Principal"),
    Case("s3-no-public-grants", "public Allow from one network", one(BUCKET_POLICY, bucket_policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})), None),
    Case("s3-no-public-grants", "public Allow with a wildcard source", one(BUCKET_POLICY, bucket_policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringLike": {"aws:SourceArn": "*"}}})), "allow Principal"),
    Case("s3-bucket-controls-attached", "all five", audit_stack(), None),
    *(
        Case("s3-bucket-controls-attached", f"without {typ.rsplit(':', 1)[-1]}", audit_stack(drop=typ), f"has no {typ.rsplit(':', 1)[-1]}")
        for typ in (PAB, SSE, VERSIONING, OWNERSHIP, BUCKET_POLICY)
    ),
    Case("s3-bucket-controls-attached", "linked by literal name", [res(BUCKET, "b", {"bucket": "lit"}), *(res(t, t[-8:], {"bucket": "lit"}) for t in (PAB, SSE, VERSIONING, OWNERSHIP, BUCKET_POLICY))], None),
    Case("s3-server-access-logging", "audit bucket logs into the log bucket", access_log_stack(), None),
    Case("s3-server-access-logging", "linked by literal names", access_log_stack(literal=True), None),
    Case("s3-server-access-logging", "inline logging block", [res(BUCKET, "b", {"bucket": "audit", "logging": {"targetBucket": "audit-logs", "targetPrefix": "audit/"}}), res(BUCKET, "l", {"bucket": "audit-logs"})], None),
    Case("s3-server-access-logging", "inline logging target unknown during preview", [res(BUCKET, "b", {"bucket": "audit", "logging": {"targetBucket": UNKNOWN_STRING_VALUE}})], None),
    Case("s3-server-access-logging", "no logging", access_log_stack(logging=False), "bucket 'audit-bucket' has no server access logging"),
    Case("s3-server-access-logging", "logging for another bucket", [res(BUCKET, "other", {"bucket": "other"}), *access_log_stack()], "bucket 'other' has no server access logging"),
    Case("s3-server-access-logging", "bucket logs into itself", access_log_stack(target="audit"), "bucket 'audit-bucket' delivers its server access logs to itself"),
    Case("s3-log-delivery-source-conditions", "source bucket and account", one(BUCKET_POLICY, bucket_policy(TLS_DENY, LOG_DELIVERY)), None),
    Case("s3-log-delivery-source-conditions", "source account only", one(BUCKET_POLICY, bucket_policy(with_(LOG_DELIVERY, Condition={"StringEquals": {"aws:SourceAccount": "111111111111"}}))), None),
    Case("s3-log-delivery-source-conditions", "no log delivery statement", one(BUCKET_POLICY, BUCKET_POLICY_OK), None),
    Case("s3-log-delivery-source-conditions", "no condition", one(BUCKET_POLICY, bucket_policy(TLS_DENY, with_(LOG_DELIVERY, Condition=DROP))), "'S3ServerAccessLogDelivery' allow logging.s3.amazonaws.com without an aws:SourceArn or aws:SourceAccount"),
    Case("s3-log-delivery-source-conditions", "every bucket's ARN", one(BUCKET_POLICY, bucket_policy(with_(LOG_DELIVERY, Condition={"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}))), "allow logging.s3.amazonaws.com without"),
    Case("s3-log-delivery-source-conditions", "negated account", one(BUCKET_POLICY, bucket_policy(with_(LOG_DELIVERY, Condition={"StringNotEquals": {"aws:SourceAccount": "222222222222"}}))), "allow logging.s3.amazonaws.com without"),
    Case("s3-log-delivery-source-conditions", "only if the key exists", one(BUCKET_POLICY, bucket_policy(with_(LOG_DELIVERY, Condition={"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}}))), "allow logging.s3.amazonaws.com without"),
    Case("s3-log-delivery-source-conditions", "not JSON", one(BUCKET_POLICY, {"bucket": "audit-logs", "policy": "{"}), "the bucket policy is not valid JSON"),
    Case("s3-bucket-controls-attached", "companions of another bucket", [res(BUCKET, "b", {"bucket": "mine"}), *(res(t, t[-8:], {"bucket": "other"}) for t in (PAB, SSE, VERSIONING, OWNERSHIP, BUCKET_POLICY))], "bucket 'b' has no BucketPublicAccessBlock"),
    # CloudTrail -------------------------------------------------------------------------------------------------
    Case("cloudtrail-multi-region", "multi-region", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-multi-region", "unset (default false)", one(TRAIL, with_(TRAIL_OK, isMultiRegionTrail=DROP)), "isMultiRegionTrail is not true"),
    Case("cloudtrail-multi-region", "single region", one(TRAIL, with_(TRAIL_OK, isMultiRegionTrail=False)), "isMultiRegionTrail is not true"),
    Case("cloudtrail-global-service-events", "on", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-global-service-events", "unset (default true)", one(TRAIL, with_(TRAIL_OK, includeGlobalServiceEvents=DROP)), None),
    Case("cloudtrail-global-service-events", "off", one(TRAIL, with_(TRAIL_OK, includeGlobalServiceEvents=False)), "includeGlobalServiceEvents is false"),
    Case("cloudtrail-management-events", "default selectors", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-management-events", "basic selector, all", one(TRAIL, with_(TRAIL_OK, eventSelectors=[{"readWriteType": "All", "includeManagementEvents": True}])), None),
    Case("cloudtrail-management-events", "basic selector, writes only", one(TRAIL, with_(TRAIL_OK, eventSelectors=[{"readWriteType": "WriteOnly"}])), "no event selector records all management events"),
    Case("cloudtrail-management-events", "basic selector, no management events", one(TRAIL, with_(TRAIL_OK, eventSelectors=[{"includeManagementEvents": False}])), "no event selector records"),
    Case("cloudtrail-management-events", "advanced selector, all management", one(TRAIL, with_(TRAIL_OK, advancedEventSelectors=[{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}])), None),
    Case("cloudtrail-management-events", "advanced selector, reads only", one(TRAIL, with_(TRAIL_OK, advancedEventSelectors=[{"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}, {"field": "readOnly", "equals": ["true"]}]}])), "no advanced event selector"),
    Case("cloudtrail-management-events", "advanced selector, data only", one(TRAIL, with_(TRAIL_OK, advancedEventSelectors=[{"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}])), "no advanced event selector"),
    Case("cloudtrail-log-file-validation", "on", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-log-file-validation", "unset (default false)", one(TRAIL, with_(TRAIL_OK, enableLogFileValidation=DROP)), "enableLogFileValidation is not true"),
    Case("cloudtrail-logging-enabled", "on", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-logging-enabled", "unset (default true)", one(TRAIL, with_(TRAIL_OK, enableLogging=DROP)), None),
    Case("cloudtrail-logging-enabled", "stopped", one(TRAIL, with_(TRAIL_OK, enableLogging=False)), "enableLogging is false"),
    Case("cloudtrail-kms-encryption", "KMS key", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-kms-encryption", "no key", one(TRAIL, with_(TRAIL_OK, kmsKeyId=DROP)), "kmsKeyId is not set"),
    Case("cloudtrail-bucket-policy-source-arn", "guarded", one(BUCKET_POLICY, BUCKET_POLICY_OK), None),
    Case("cloudtrail-bucket-policy-source-arn", "ArnLike on the trail", one(BUCKET_POLICY, bucket_policy(with_(CLOUDTRAIL_WRITE, Condition={"ArnLike": {"aws:sourcearn": TRAIL_ARN}}))), None),
    Case("cloudtrail-bucket-policy-source-arn", "no condition", one(BUCKET_POLICY, bucket_policy(with_(CLOUDTRAIL_WRITE, Condition=DROP))), "'CloudTrailWrite' allow cloudtrail.amazonaws.com without an aws:SourceArn"),
    Case("cloudtrail-bucket-policy-source-arn", "source account only", one(BUCKET_POLICY, bucket_policy(with_(CLOUDTRAIL_WRITE, Condition={"StringEquals": {"aws:SourceAccount": "111111111111"}}))), "without an aws:SourceArn"),
    Case("cloudtrail-bucket-policy-source-arn", "negated source ARN", one(BUCKET_POLICY, bucket_policy(with_(CLOUDTRAIL_WRITE, Condition={"StringNotEquals": {"aws:SourceArn": TRAIL_ARN}}))), "without an aws:SourceArn"),
    Case("cloudtrail-bucket-policy-source-arn", "wildcard source ARN", one(BUCKET_POLICY, bucket_policy(with_(CLOUDTRAIL_WRITE, Condition={"StringLike": {"aws:SourceArn": "*"}}))), "without an aws:SourceArn"),
    Case("cloudtrail-bucket-policy-source-arn", "other service, no condition", one(BUCKET_POLICY, bucket_policy(TLS_DENY, {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::audit/*"})), None),
    Case("cloudtrail-cloudwatch-logs", "log group and role", one(TRAIL, TRAIL_OK), None),
    Case("cloudtrail-cloudwatch-logs", "S3 only", one(TRAIL, with_(TRAIL_OK, cloudWatchLogsGroupArn=DROP, cloudWatchLogsRoleArn=DROP)), "cloudWatchLogsGroupArn is not set: events reach only the S3 bucket"),
    Case("cloudtrail-cloudwatch-logs", "log group ARN without ':*'", one(TRAIL, with_(TRAIL_OK, cloudWatchLogsGroupArn="arn:aws:logs:eu-west-1:111111111111:log-group:acme-trail")), "is not a log group ARN ending in ':*'"),
    Case("cloudtrail-cloudwatch-logs", "a bucket ARN", one(TRAIL, with_(TRAIL_OK, cloudWatchLogsGroupArn="arn:aws:s3:::audit:*")), "is not a log group ARN ending in ':*'"),
    Case("cloudtrail-cloudwatch-logs", "no role", one(TRAIL, with_(TRAIL_OK, cloudWatchLogsRoleArn=DROP)), "cloudWatchLogsRoleArn is not set"),
    # KMS --------------------------------------------------------------------------------------------------------
    Case("kms-key-rotation", "rotating", one(KMS_KEY, KEY_OK), None),
    Case("kms-key-rotation", "unset (default false)", one(KMS_KEY, with_(KEY_OK, enableKeyRotation=DROP)), "enableKeyRotation is not true"),
    Case("kms-key-rotation", "off", one(KMS_KEY, with_(KEY_OK, enableKeyRotation=False)), "enableKeyRotation is not true"),
    Case("kms-key-rotation", "asymmetric key (can't rotate)", one(KMS_KEY, with_(KEY_OK, enableKeyRotation=DROP, customerMasterKeySpec="RSA_2048", keyUsage="SIGN_VERIFY")), None),
    Case("kms-key-rotation", "custom key store (can't rotate)", one(KMS_KEY, with_(KEY_OK, enableKeyRotation=DROP, customKeyStoreId="cks-1234567890abcdef0")), None),
    Case("kms-key-deletion-window", "30 days", one(KMS_KEY, KEY_OK), None),
    Case("kms-key-deletion-window", "unset (AWS waits 30)", one(KMS_KEY, with_(KEY_OK, deletionWindowInDays=DROP)), None),
    Case("kms-key-deletion-window", "5 days", one(KMS_KEY, with_(KEY_OK, deletionWindowInDays=5.0)), "deletionWindowInDays is 5: a scheduled deletion"),
    Case("kms-key-deletion-window", "7 days, configured 30", one(KMS_KEY, with_(KEY_OK, deletionWindowInDays=7.0)), "wait at least 30 days", {"minimumDays": 30}),
    Case("kms-key-policy-no-public-principal", "account, CloudTrail, CloudWatch Logs", one(KMS_KEY, KEY_OK), None),
    Case("kms-key-policy-no-public-principal", "default key policy", one(KMS_KEY, with_(KEY_OK, policy=DROP)), None),
    Case("kms-key-policy-no-public-principal", "Principal * unconditioned", one(KMS_KEY, with_(KEY_OK, policy=key_policy(KEY_ROOT, KEY_PUBLIC))), "'Everyone' allow Principal \"*\" without a condition"),
    Case("kms-key-policy-no-public-principal", "AWS * with a TLS condition only", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_PUBLIC, Principal={"AWS": "*"}, Condition={"Bool": {"aws:SecureTransport": "true"}})))), "allow Principal \"*\""),
    Case("kms-key-policy-no-public-principal", "Principal * for the own account via a service", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_PUBLIC, Condition={"StringEquals": {"kms:CallerAccount": "111111111111", "kms:ViaService": "s3.eu-west-1.amazonaws.com"}})))), None),
    Case("kms-key-policy-no-public-principal", "Principal * for any caller account", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_PUBLIC, Condition={"StringLike": {"kms:CallerAccount": "*"}})))), "allow Principal \"*\""),
    Case("kms-key-policy-no-public-principal", "Deny to everyone", one(KMS_KEY, with_(KEY_OK, policy=key_policy(KEY_ROOT, with_(KEY_PUBLIC, Effect="Deny")))), None),
    Case("kms-key-policy-no-public-principal", "separate key policy", one(KEY_POLICY, {"keyId": "k", "policy": key_policy(KEY_ROOT, KEY_PUBLIC)}), "'Everyone' allow Principal"),
    Case("kms-key-policy-no-public-principal", "not JSON", one(KEY_POLICY, {"keyId": "k", "policy": "[]"}), "the key policy is JSON but not an object"),
    Case("kms-key-policy-service-conditions", "encryption context and source", one(KMS_KEY, KEY_OK), None),
    Case("kms-key-policy-service-conditions", "encryption context only", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_CLOUDTRAIL, Condition={"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:111111111111:trail/*"}})))), None),
    Case("kms-key-policy-service-conditions", "separate key policy", one(KEY_POLICY, {"keyId": "k", "policy": key_policy(KEY_ROOT, KEY_LOGS)}), None),
    Case("kms-key-policy-service-conditions", "CloudTrail unconditioned", one(KMS_KEY, with_(KEY_OK, policy=key_policy(KEY_ROOT, with_(KEY_CLOUDTRAIL, Condition=DROP)))), "'CloudTrailEncryptsThisTrailsLogs' allows cloudtrail.amazonaws.com without a kms:EncryptionContext, aws:SourceArn or aws:SourceAccount"),
    Case("kms-key-policy-service-conditions", "every account's trails", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_CLOUDTRAIL, Condition={"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:*:trail/*"}})))), "allows cloudtrail.amazonaws.com without"),
    Case("kms-key-policy-service-conditions", "any log group", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_LOGS, Condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "*"}})))), "allows logs.eu-west-1.amazonaws.com without"),
    Case("kms-key-policy-service-conditions", "context keys only", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_LOGS, Condition={"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "aws:logs:arn"}})))), "allows logs.eu-west-1.amazonaws.com without"),
    Case("kms-key-policy-service-conditions", "negated source", one(KMS_KEY, with_(KEY_OK, policy=key_policy(with_(KEY_CLOUDTRAIL, Condition={"StringNotEquals": {"aws:SourceArn": TRAIL_ARN}})))), "allows cloudtrail.amazonaws.com without"),
    Case("kms-key-policy-service-conditions", "DescribeKey unconditioned", one(KMS_KEY, with_(KEY_OK, policy=key_policy(KEY_ROOT, {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*"}))), "statement #2 allows cloudtrail.amazonaws.com without"),
    # CloudWatch Logs --------------------------------------------------------------------------------------------
    Case("log-group-retention", "a year", one(LOG_GROUP, {"name": "g", "retentionInDays": 365.0}), None),
    Case("log-group-retention", "never expires (unset)", one(LOG_GROUP, {"name": "g"}), None),
    Case("log-group-retention", "never expires (0)", one(LOG_GROUP, {"name": "g", "retentionInDays": 0.0}), None),
    Case("log-group-retention", "a month", one(LOG_GROUP, {"name": "g", "retentionInDays": 30.0}), "retentionInDays is 30; keep logs at least 365"),
    Case("log-group-kms-encryption", "customer managed key in production", one(LOG_GROUP, {"name": "g", "kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/k"}), None),
    Case("log-group-kms-encryption", "no key in production", one(LOG_GROUP, {"name": "g", "retentionInDays": 365.0}), "kmsKeyId is not set in production stack 'prod'"),
    Case("log-group-kms-encryption", "no key in a development stack", one(LOG_GROUP, {"name": "g"}, stack="dev"), None, {"developmentStacks": ["dev"]}),
    Case("log-group-retention", "a month, configured", one(LOG_GROUP, {"name": "g", "retentionInDays": 30.0}), None, {"minimumDays": 30}),
    # Security groups --------------------------------------------------------------------------------------------
    Case("sg-no-public-ingress", "from a security group", one(INGRESS, {"securityGroupId": "sg-1", "referencedSecurityGroupId": "sg-2", "ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0}), None),
    Case("sg-no-public-ingress", "from a private range", one(INGRESS, {"securityGroupId": "sg-1", "cidrIpv4": "10.0.0.0/8", "ipProtocol": "-1"}), None),
    Case("sg-no-public-ingress", "IPv4 anywhere", one(INGRESS, {"securityGroupId": "sg-1", "cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 3306.0, "toPort": 3306.0}), "admits 0.0.0.0/0"),
    Case("sg-no-public-ingress", "IPv6 anywhere", one(INGRESS, {"securityGroupId": "sg-1", "cidrIpv6": "::/0", "ipProtocol": "-1"}), "admits ::/0"),
    Case("sg-no-public-ingress", "IPv6 anywhere, long form", one(INGRESS, {"securityGroupId": "sg-1", "cidrIpv6": "0::/0", "ipProtocol": "-1"}), "admits 0::/0"),
    Case("sg-no-public-ingress", "inline ingress anywhere", one(SG, {"description": "x", "ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["10.0.0.0/8", "0.0.0.0/0"]}]}), "ingress[0] admits 0.0.0.0/0"),
    Case("sg-no-public-ingress", "inline egress anywhere", one(SG, {"description": "x", "egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}]}), None),
    Case("sg-no-public-ingress", "legacy rule, ingress anywhere", one(SG_RULE, {"type": "ingress", "securityGroupId": "sg-1", "protocol": "tcp", "fromPort": 1.0, "toPort": 1.0, "ipv6CidrBlocks": ["::/0"]}), "admits ::/0"),
    Case("sg-no-public-ingress", "legacy rule, egress anywhere", one(SG_RULE, {"type": "egress", "securityGroupId": "sg-1", "protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}), None),
    Case("sg-db-ingress-from-gateway-only", "from the gateway, DB port", db_stack(rule=ingress()), None),
    Case("sg-db-ingress-from-gateway-only", "no ingress at all", db_stack(), None),
    Case("sg-db-ingress-from-gateway-only", "legacy rule from the gateway", db_stack(rule=legacy_rule(), rule_type=SG_RULE), None),
    Case("sg-db-ingress-from-gateway-only", "postgres default port", db_stack(rule=ingress(5432.0, 5432.0), engine_port=(None, "postgres")), None),
    Case("sg-db-ingress-from-gateway-only", "also from a CIDR", db_stack(rule=ingress(cidrIpv4="10.0.0.0/8")), "'rule' admits 10.0.0.0/8"),
    Case("sg-db-ingress-from-gateway-only", "from another group", db_stack(rule=ingress(source="other")), "'rule' does not come from the resource gateway's security group"),
    Case("sg-db-ingress-from-gateway-only", "another port", db_stack(rule=ingress(3307.0, 3307.0)), "'rule' opens tcp 3307-3307; open tcp 3306 only"),
    Case("sg-db-ingress-from-gateway-only", "a port range", db_stack(rule=ingress(0.0, 65535.0)), "opens tcp 0-65535"),
    Case("sg-db-ingress-from-gateway-only", "all protocols", db_stack(rule=ingress(-1.0, -1.0, protocol="-1")), "opens -1"),
    Case("sg-db-ingress-from-gateway-only", "legacy rule from a CIDR", db_stack(rule=legacy_rule(sourceSecurityGroupId=DROP, cidrBlocks=["10.0.0.0/8"]), rule_type=SG_RULE), "admits 10.0.0.0/8"),
    Case("sg-db-ingress-from-gateway-only", "inline ingress on the DB group", db_stack(inline=[{"protocol": "tcp", "fromPort": 3306.0, "toPort": 3306.0, "securityGroups": ["sg-gw"]}]), "is declared inline (ingress[0])"),
    Case("sg-db-ingress-from-gateway-only", "database without a declared group", db_stack(db_refs=False), "uses no security group declared in this stack"),
    Case("sg-db-ingress-from-gateway-only", "database with an undeclared group", db_stack(rule=ingress(), extra_sg_ids=1), "lists 1 security group(s) not declared"),
    Case("sg-descriptions", "described", one(SG, {"name": "db", "description": "MySQL from the gateway"}), None),
    Case("sg-descriptions", "described rule", one(EGRESS, {"securityGroupId": "sg", "description": "to the DB", "ipProtocol": "tcp"}), None),
    Case("sg-descriptions", "group without", one(SG, {"name": "db"}), "no description of its own"),
    Case("sg-descriptions", "provider default", one(SG, {"name": "db", "description": "Managed by Pulumi"}), "no description of its own"),
    Case("sg-descriptions", "rule without", one(INGRESS, {"securityGroupId": "sg", "ipProtocol": "tcp"}), "the rule has no description"),
    Case("sg-descriptions", "inline rule without", one(SG, {"description": "x", "egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0}]}), "egress[0] has no description"),
    Case("sg-no-rule-management-conflicts", "separate rules only", db_stack(rule=ingress()), None),
    Case("sg-no-rule-management-conflicts", "inline rules only", one(SG, {"description": "x", "ingress": [{"protocol": "tcp", "fromPort": 1.0, "toPort": 1.0}]}), None),
    Case("sg-no-rule-management-conflicts", "both", db_stack(rule=ingress(), inline=[{"protocol": "tcp", "fromPort": 1.0, "toPort": 1.0}]), "security group 'db-sg' has inline ingress rules and separate rule resources (rule)"),
    Case("vpc-flow-logs-on-interface-subnets", "gateway, each subnet logged", flow_log_stack(), None),
    Case("vpc-flow-logs-on-interface-subnets", "endpoint, rejected traffic logged", flow_log_stack(holder=ENDPOINT, traffic="REJECT"), None),
    Case("vpc-flow-logs-on-interface-subnets", "flow log on the VPC", flow_log_stack(logged=(), vpc_log="vpc-1"), None),
    Case("vpc-flow-logs-on-interface-subnets", "declared subnets, IDs unknown during preview", flow_log_stack(declared=True), None),
    Case("vpc-flow-logs-on-interface-subnets", "gateway endpoint has no interfaces", one(ENDPOINT, {"vpcEndpointType": "Gateway", "vpcId": "vpc-1", "serviceName": "com.amazonaws.eu-west-1.s3"}), None),
    Case("vpc-flow-logs-on-interface-subnets", "one subnet not logged", flow_log_stack(logged=("subnet-1",)), "resource gateway 'holder' puts network interfaces in subnet 'subnet-2', which has no flow log, nor has its VPC"),
    Case("vpc-flow-logs-on-interface-subnets", "endpoint, nothing logged", flow_log_stack(holder=ENDPOINT, logged=()), "VPC endpoint 'holder' puts network interfaces in subnet 'subnet-1'"),
    Case("vpc-flow-logs-on-interface-subnets", "accepted traffic only", flow_log_stack(traffic="ACCEPT"), "which is covered only by flow logs of trafficType ACCEPT"),
    Case("vpc-flow-logs-on-interface-subnets", "flow log on another VPC", flow_log_stack(logged=(), vpc_log="vpc-2"), "subnet 'subnet-1', which has no flow log"),
    Case("vpc-flow-logs-on-interface-subnets", "declared subnet not logged", flow_log_stack(declared=True, logged=("subnet-1",)), "in subnet 'subnet-2', which has no flow log"),
    # IAM --------------------------------------------------------------------------------------------------------
    Case("iam-no-admin-statements", "scoped", one(ROLE_POLICY, {"role": "r", "policy": identity(ACCESS)}), None),
    Case("iam-no-admin-statements", "admin", one(ROLE_POLICY, {"role": "r", "policy": identity({"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"})}), "policy statement 'All' allows Action \"*\" on Resource \"*\""),
    Case("iam-no-admin-statements", "admin as *:*", one(IAM_POLICY, {"policy": identity({"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": ["*"]})}), "statement #1 allows Action"),
    Case("iam-no-admin-statements", "deny everything", one(ROLE_POLICY, {"role": "r", "policy": identity({"Effect": "Deny", "Action": "*", "Resource": "*"})}), None),
    Case("iam-no-admin-statements", "every action on one resource", one(ROLE_POLICY, {"role": "r", "policy": identity({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"})}), None),
    Case("iam-no-admin-statements", "role inline policy", one(ROLE, with_(ROLE_OK, inlinePolicies=[{"name": "x", "policy": identity({"Effect": "Allow", "Action": "*", "Resource": "*"})}])), "inlinePolicies[0] statement #1 allows"),
    Case("iam-no-admin-statements", "role without inline policies", one(ROLE, ROLE_OK), None),
    Case("iam-no-admin-statements", "not JSON", one(ROLE_POLICY, {"role": "r", "policy": "Allow everything"}), "policy is not valid JSON"),
    Case("iam-no-service-wildcard-actions", "named actions", one(ROLE_POLICY, {"role": "r", "policy": identity(ACCESS)}), None),
    Case("iam-no-service-wildcard-actions", "s3:*", one(ROLE_POLICY, {"role": "r", "policy": identity({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"})}), "every action of a service (s3:*)"),
    Case("iam-no-service-wildcard-actions", "deny s3:*", one(ROLE_POLICY, {"role": "r", "policy": identity({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})}), None),
    Case("iam-trust-no-public-principal", "named account", one(ROLE, ROLE_OK), None),
    Case("iam-trust-no-public-principal", "Principal *", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}))), "lets Principal \"*\" assume the role"),
    Case("iam-trust-no-public-principal", "AWS *", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sts:AssumeRole"}))), "lets Principal \"*\""),
    Case("iam-trust-no-public-principal", "Principal * with a condition", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}}))), None),
    Case("iam-cross-account-trust-external-id", "external ID", one(ROLE, ROLE_OK), None),
    Case("iam-cross-account-trust-external-id", "no condition", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Condition=DROP)))), "lets 222222222222 assume the role without a StringEquals sts:ExternalId"),
    Case("iam-cross-account-trust-external-id", "StringLike external ID", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Condition={"StringLike": {"sts:ExternalId": "*"}})))), "without a StringEquals sts:ExternalId"),
    Case("iam-cross-account-trust-external-id", "account ID principal", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Principal={"AWS": "333333333333"}, Condition=DROP)))), "lets 333333333333"),
    Case("iam-cross-account-trust-external-id", "anyone", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}))), "lets * assume"),
    Case("iam-cross-account-trust-external-id", "own account, configured", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Condition=DROP)))), None, {"ownAccountIds": ["222222222222"]}),
    Case("iam-cross-account-trust-external-id", "service principal", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))), None),
    Case("iam-trust-no-session-tags", "AssumeRole only", one(ROLE, ROLE_OK), None),
    Case("iam-trust-no-session-tags", "TagSession too", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Action=["sts:AssumeRole", "sts:TagSession"])))), "allows sts:TagSession: session tags would override the role's Team, TenantAccount tags"),
    Case("iam-trust-no-session-tags", "sts:*", one(ROLE, with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Action="sts:*")))), "allows sts:TagSession"),
    Case("iam-trust-no-session-tags", "role without ABAC tags", one(ROLE, with_(ROLE_OK, tags=TAGS, assumeRolePolicy=trust(with_(TENANT_TRUST, Action="sts:*")))), None),
    Case("iam-service-trust-source-conditions", "CloudTrail for this trail and account", one(ROLE, TRAIL_LOGS_ROLE), None),
    Case("iam-service-trust-source-conditions", "RDS monitoring for this account", one(ROLE, with_(TRAIL_LOGS_ROLE, assumeRolePolicy=trust(MONITORING_TRUST))), None),
    Case("iam-service-trust-source-conditions", "tenant role, no service", one(ROLE, ROLE_OK), None),
    Case("iam-service-trust-source-conditions", "a service not listed", one(ROLE, with_(TRAIL_LOGS_ROLE, assumeRolePolicy=trust({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))), None),
    Case("iam-service-trust-source-conditions", "CloudTrail unconditioned", one(ROLE, with_(TRAIL_LOGS_ROLE, assumeRolePolicy=trust({"Sid": "Trail", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}))), "assumeRolePolicy statement 'Trail' lets cloudtrail.amazonaws.com assume the role without an aws:SourceArn or aws:SourceAccount"),
    Case("iam-service-trust-source-conditions", "RDS monitoring for any database", one(ROLE, with_(TRAIL_LOGS_ROLE, assumeRolePolicy=trust(with_(MONITORING_TRUST, Condition={"ArnLike": {"aws:SourceArn": "arn:aws:rds:*:*:db:*"}})))), "lets monitoring.rds.amazonaws.com assume the role without"),
    Case("iam-service-trust-source-conditions", "only if the key exists", one(ROLE, with_(TRAIL_LOGS_ROLE, assumeRolePolicy=trust(with_(MONITORING_TRUST, Condition={"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}})))), "lets monitoring.rds.amazonaws.com assume"),
    Case("iam-service-trust-source-conditions", "a configured service", one(ROLE, with_(TRAIL_LOGS_ROLE, assumeRolePolicy=trust({"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": "sts:AssumeRole"}))), "lets ec2.amazonaws.com assume", {"servicePrincipals": ["ec2.amazonaws.com"]}),
    Case("iam-lattice-routing-scoped", "named listener and rule ARNs", one(ROLE_POLICY, lattice_identity(GUARDED_LISTENERS, GUARDED_RULES)), None),
    Case("iam-lattice-routing-scoped", "every rule of a named listener", one(ROLE_POLICY, lattice_identity(with_(GUARDED_RULES, Resource=f"{LISTENER_ARN}/rule/*"))), None),
    Case("iam-lattice-routing-scoped", "reading listeners anywhere", one(ROLE_POLICY, lattice_identity({"Effect": "Allow", "Action": ["vpc-lattice:GetListener", "vpc-lattice:List*"], "Resource": "*"})), None),
    Case("iam-lattice-routing-scoped", "denying updates everywhere", one(ROLE_POLICY, lattice_identity({"Effect": "Deny", "Action": "vpc-lattice:UpdateListener", "Resource": "*"})), None),
    Case("iam-lattice-routing-scoped", "UpdateListener on *", one(ROLE_POLICY, lattice_identity(with_(GUARDED_LISTENERS, Resource="*"))), "policy statement 'GuardedListeners' allows vpc-lattice:UpdateListener on Resource \"*\""),
    Case("iam-lattice-routing-scoped", "vpc-lattice:* on *", one(ROLE_POLICY, lattice_identity({"Sid": "All", "Effect": "Allow", "Action": "vpc-lattice:*", "Resource": ["*"]})), "'All' allows vpc-lattice:UpdateListener, vpc-lattice:UpdateRule, vpc-lattice:BatchUpdateRule on Resource \"*\""),
    Case("iam-lattice-routing-scoped", "BatchUpdateRule by Update*", one(IAM_POLICY, {"policy": identity({"Effect": "Allow", "Action": "vpc-lattice:*Update*", "Resource": "*"})}), "allows vpc-lattice:UpdateListener, vpc-lattice:UpdateRule, vpc-lattice:BatchUpdateRule on Resource"),
    Case("iam-lattice-routing-scoped", "every listener of every service", one(ROLE_POLICY, lattice_identity(with_(GUARDED_LISTENERS, Resource="arn:aws:vpc-lattice:eu-west-1:111111111111:service/*/listener/*"))), "which reach(es) listeners or rules beyond named ones"),
    Case("iam-lattice-routing-scoped", "every Lattice resource of the account", one(ROLE_POLICY, lattice_identity(with_(GUARDED_RULES, Resource="arn:aws:vpc-lattice:eu-west-1:111111111111:*"))), "allows vpc-lattice:UpdateRule on arn:aws:vpc-lattice:eu-west-1:111111111111:*"),
    Case("iam-lattice-routing-scoped", "NotResource", one(ROLE_POLICY, lattice_identity(with_(GUARDED_LISTENERS, Resource=DROP, NotResource=LISTENER_ARN))), "allows vpc-lattice:UpdateListener with NotResource"),
    Case("iam-lattice-routing-scoped", "role inline policy", one(ROLE, with_(ROLE_OK, inlinePolicies=[{"name": "x", "policy": identity(with_(GUARDED_RULES, Resource="*"))}])), "inlinePolicies[0] statement 'GuardedRules' allows vpc-lattice:UpdateRule on Resource"),
    # VPC Lattice ------------------------------------------------------------------------------------------------
    Case("lattice-service-network-iam-auth", "AWS_IAM", one(SN, {"name": "sn", "authType": "AWS_IAM"}), None),
    Case("lattice-service-network-iam-auth", "NONE", one(SN, {"name": "sn", "authType": "NONE"}), "authType is 'NONE'"),
    Case("lattice-service-network-iam-auth", "unset (default NONE)", one(SN, {"name": "sn"}), "authType is 'not set'"),
    Case("lattice-service-iam-auth", "AWS_IAM", one(SERVICE, {"name": "orders", "authType": "AWS_IAM"}), None),
    Case("lattice-service-iam-auth", "NONE", one(SERVICE, {"name": "orders", "authType": "NONE"}), "authType is 'NONE'"),
    Case("lattice-service-iam-auth", "unset (default NONE)", one(SERVICE, {"name": "orders"}), "authType is 'not set'"),
    Case("lattice-service-iam-auth", "a service network is not a service", one(SN, {"name": "sn", "authType": "NONE"}), None),
    Case("lattice-auth-policy-attached", "attached", [sn := res(SN, "sn", {"authType": "AWS_IAM"}), res(AUTH, "auth", auth(AUTH_STATEMENT), refs={"resourceIdentifier": sn})], None),
    Case("lattice-auth-policy-attached", "attached by literal ID", [res(SN, "sn", {"authType": "AWS_IAM", "id": "sn-1"}), res(AUTH, "auth", auth(AUTH_STATEMENT))], None),
    Case("lattice-auth-policy-attached", "none", [res(SN, "sn", {"authType": "AWS_IAM"})], "service network 'sn' uses AWS_IAM but has no AuthPolicy"),
    Case("lattice-auth-policy-attached", "for another network", [sn, res(SN, "sn2", {"authType": "AWS_IAM"}), res(AUTH, "auth", auth(AUTH_STATEMENT), refs={"resourceIdentifier": sn})], "service network 'sn2'"),
    Case("lattice-auth-policy-attached", "service without", [res(SERVICE, "svc", {"authType": "AWS_IAM"})], "service 'svc' uses AWS_IAM"),
    Case("lattice-auth-policy-attached", "auth type NONE needs none", [res(SN, "sn", {"authType": "NONE"})], None),
    Case("lattice-auth-policy-attached", "service, by its ARN's dependency edge", [svc := res(SERVICE, "svc", {"name": "orders", "authType": "AWS_IAM"}), res(AUTH, "svc-auth", with_(auth(AUTH_STATEMENT), resourceIdentifier=UNKNOWN_STRING_VALUE), refs={"resourceIdentifier": svc})], None),
    Case("lattice-auth-policy-attached", "service, by literal ARN", [res(SERVICE, "svc", {"name": "orders", "authType": "AWS_IAM", "arn": "arn:aws:vpc-lattice:eu-west-1:111111111111:service/svc-1"}), res(AUTH, "svc-auth", with_(auth(AUTH_STATEMENT), resourceIdentifier="arn:aws:vpc-lattice:eu-west-1:111111111111:service/svc-1"))], None),
    Case("lattice-auth-policy-attached", "service, only its network has one", [sn, svc, res(AUTH, "auth", auth(AUTH_STATEMENT), refs={"resourceIdentifier": sn})], "service 'svc' uses AWS_IAM but has no AuthPolicy"),
    Case("lattice-auth-policy-attached", "service, the policy of another service", [svc, other := res(SERVICE, "svc2", {"name": "billing", "authType": "AWS_IAM"}), res(AUTH, "auth", auth(AUTH_STATEMENT), refs={"resourceIdentifier": other})], "service 'svc' uses AWS_IAM"),
    Case("lattice-auth-policy-conditioned", "conditioned", one(AUTH, auth(AUTH_STATEMENT)), None),
    Case("lattice-auth-policy-conditioned", "unconditioned Allow", one(AUTH, auth(AUTH_STATEMENT, {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"})), "'Owner' allow without any condition"),
    Case("lattice-auth-policy-conditioned", "unconditioned Deny", one(AUTH, auth(AUTH_STATEMENT, {"Effect": "Deny", "Principal": "*", "Action": "vpc-lattice-svcs:Invoke", "Resource": "*"})), None),
    Case("lattice-auth-policy-format", "compact", one(AUTH, auth(AUTH_STATEMENT)), None),
    Case("lattice-auth-policy-format", "line breaks", one(AUTH, auth(raw=json.dumps({"Statement": [AUTH_STATEMENT]}, indent=2))), "contains line breaks"),
    Case("lattice-auth-policy-format", "over 10 KB", one(AUTH, auth(*[with_(AUTH_STATEMENT, Sid=f"S{i}") for i in range(60)])), "bytes; VPC Lattice accepts at most 10,240"),
    Case("lattice-auth-policy-format", "exactly 10 KB", one(AUTH, auth(raw='{"Statement":[],"Version":"2012-10-17","Pad":"' + "x" * (10240 - 49) + '"}')), None),
    Case("lattice-auth-policy-format", "not JSON", one(AUTH, auth(raw="{")), "is not valid JSON"),
    Case("lattice-auth-policy-actions", "Invoke", one(AUTH, auth(AUTH_STATEMENT)), None),
    Case("lattice-auth-policy-actions", "another service's action", one(AUTH, auth(with_(AUTH_STATEMENT, Action=["vpc-lattice-svcs:Invoke", "s3:GetObject"]))), "names s3:GetObject"),
    Case("lattice-auth-policy-actions", "every action", one(AUTH, auth(with_(AUTH_STATEMENT, Action="*"))), "names *"),
    Case("lattice-auth-policy-actions", "NotAction", one(AUTH, auth(with_(AUTH_STATEMENT, Action=DROP, NotAction="vpc-lattice-svcs:Connect"))), "uses NotAction"),
    Case("lattice-rds-resource-configuration-arn", "ARN of the instance", rds_config("ARN", {"arnResource": {"arn": "arn:aws:rds:eu-west-1:1:db:acme-db"}}, refs_instance=True), None),
    Case("lattice-rds-resource-configuration-arn", "ARN unknown during preview", rds_config("ARN", {"arnResource": {"arn": UNKNOWN_STRING_VALUE}}, refs_instance=True), None),
    Case("lattice-rds-resource-configuration-arn", "DNS name of the instance", rds_config("SINGLE", {"dnsResource": {"domainName": "acme-db.c0.eu-west-1.rds.amazonaws.com", "ipAddressType": "IPV4"}}), "publishes an RDS database as type 'SINGLE'"),
    Case("lattice-rds-resource-configuration-arn", "IP of the instance", rds_config("SINGLE", {"ipResource": {"ipAddress": "10.0.0.5"}}, refs_instance=True), "as type 'SINGLE'"),
    Case("lattice-rds-resource-configuration-arn", "ARN type without an ARN", rds_config("ARN", {"dnsResource": {"domainName": "acme-db.c0.eu-west-1.rds.amazonaws.com"}}), "as type 'ARN' without arnResource.arn"),
    Case("lattice-rds-resource-configuration-arn", "another service by DNS", rds_config("SINGLE", {"dnsResource": {"domainName": "api.internal.example"}}), None),
    Case("lattice-access-logs-both-types", "both", lattice_stack("RESOURCE", "SERVICE"), None),
    Case("lattice-access-logs-both-types", "RESOURCE and the default type", lattice_stack("RESOURCE", None), None),
    Case("lattice-access-logs-both-types", "RESOURCE only", lattice_stack("RESOURCE"), "service network 'sn' has no SERVICE access log"),
    Case("lattice-access-logs-both-types", "SERVICE only", lattice_stack("SERVICE"), "has no RESOURCE access log"),
    Case("lattice-access-logs-both-types", "none", lattice_stack(), "has no RESOURCE or SERVICE"),
    Case("lattice-access-logs-both-types", "logs of another network", lattice_stack("RESOURCE", "SERVICE", other_network=True), "service network 'sn' has no RESOURCE or SERVICE"),
    Case("lattice-consumer-security-groups", "association with groups", one(SNVA, {"serviceNetworkIdentifier": "arn:sn", "vpcIdentifier": "vpc-1", "securityGroupIds": ["sg-1"]}), None),
    Case("lattice-consumer-security-groups", "association without", one(SNVA, {"serviceNetworkIdentifier": "arn:sn", "vpcIdentifier": "vpc-1"}), "securityGroupIds is empty"),
    Case("lattice-consumer-security-groups", "service-network endpoint without", one(ENDPOINT, {"vpcEndpointType": "ServiceNetwork", "vpcId": "vpc-1", "securityGroupIds": []}), "securityGroupIds is empty"),
    Case("lattice-consumer-security-groups", "resource endpoint without", one(ENDPOINT, {"vpcEndpointType": "Resource", "vpcId": "vpc-1"}), "securityGroupIds is empty"),
    Case("lattice-consumer-security-groups", "gateway endpoint", one(ENDPOINT, {"vpcEndpointType": "Gateway", "vpcId": "vpc-1"}), None),
    Case("lattice-canary-rollback", "alarm in metricQueries, rollback to a function", canary_stack(), None),
    Case("lattice-canary-rollback", "alarm on dimensions", canary_stack(alarm="direct"), None),
    Case("lattice-canary-rollback", "weighted listener rule", canary_stack(release="rule"), None),
    Case("lattice-canary-rollback", "IDs unknown during preview, linked by edges", canary_stack(preview=True), None),
    Case("lattice-canary-rollback", "target names the function's ARN", canary_stack(target="arn"), None),
    Case("lattice-canary-rollback", "pattern names the alarm by prefix", canary_stack(pattern=alarm_pattern(alarmName=[{"prefix": "orders-canary-"}])), None),
    Case("lattice-canary-rollback", "pattern for every state of the alarm", canary_stack(pattern=alarm_pattern(state=DROP)), None),
    Case("lattice-canary-rollback", "one target group, no canary", [tg := res(TARGET_GROUP, "stable", {"name": "orders-stable"}), res(LISTENER, "listener", {"defaultAction": {"forwards": [{"targetGroups": [{"targetGroupIdentifier": "tg-stable", "weight": 100.0}]}]}}, refs={"defaultAction": tg})], None),
    Case("lattice-canary-rollback", "no alarm", canary_stack(alarm=None), "listener 'listener' forwards by weight to canary target group 'tg-canary', which no CloudWatch alarm watches"),
    Case("lattice-canary-rollback", "alarm on the stable group only", canary_stack(alarm="stable"), "canary target group 'tg-canary', which no CloudWatch alarm watches"),
    Case("lattice-canary-rollback", "weighted rule without an alarm", canary_stack(alarm=None, release="rule"), "listener rule 'rule-10' forwards by weight to canary target group 'tg-canary', which no"),
    Case("lattice-canary-rollback", "no EventRule", canary_stack(rollback=False), f"alarm(s) '{CANARY_ALARM}' have no rollback path"),
    Case("lattice-canary-rollback", "pattern names another alarm", canary_stack(pattern=alarm_pattern(alarmName=["orders-other"])), "have no rollback path"),
    Case("lattice-canary-rollback", "pattern names no alarm", canary_stack(pattern=alarm_pattern(alarmName=DROP)), "have no rollback path"),
    Case("lattice-canary-rollback", "pattern for OK only", canary_stack(pattern=alarm_pattern(state={"value": ["OK"]})), "have no rollback path"),
    Case("lattice-canary-rollback", "pattern for another source", canary_stack(pattern=compact(with_(ALARM_PATTERN, source=["aws.health"]))), "have no rollback path"),
    Case("lattice-canary-rollback", "pattern not JSON", canary_stack(pattern="{"), "have no rollback path"),
    Case("lattice-canary-rollback", "EventRule disabled", canary_stack(rule={"state": "DISABLED"}), "have no rollback path"),
    Case("lattice-canary-rollback", "EventRule on a custom bus", canary_stack(rule={"eventBusName": "ops"}), "have no rollback path"),
    Case("lattice-canary-rollback", "no EventTarget", canary_stack(target=None), "have no rollback path"),
    Case("lattice-canary-rollback", "target is an SNS topic", canary_stack(target="topic"), "have no rollback path"),
    Case("lattice-canary-rollback", "target is a function not in the stack", canary_stack(target="elsewhere"), "have no rollback path"),
    Case("lattice-canary-rollback", "IDs unknown during preview, no alarm", canary_stack(preview=True, alarm=None), "listener 'listener' forwards by weight to 2 target groups whose IDs are unknown during preview, but only 0"),
    Case("lattice-canary-rollback", "IDs unknown during preview, no rollback", canary_stack(preview=True, rollback=False), "whose IDs are unknown during preview"),
    # Alerting: SNS topics and CloudWatch alarms -----------------------------------------------------------------
    Case("sns-topic-kms-encryption", "customer managed key", one(TOPIC, {"name": "t", "kmsMasterKeyId": ALERTS_KEY_ARN}), None),
    Case("sns-topic-kms-encryption", "AWS managed key", one(TOPIC, {"name": "t", "kmsMasterKeyId": "alias/aws/sns"}), None),
    Case("sns-topic-kms-encryption", "unset", one(TOPIC, {"name": "t"}), "kmsMasterKeyId is not set"),
    Case("sns-topic-kms-encryption", "empty", one(TOPIC, {"name": "t", "kmsMasterKeyId": " "}), "kmsMasterKeyId is not set"),
    Case("sns-service-topic-customer-managed-key", "alarm, key allows the services", alert_stack(), None),
    Case("sns-service-topic-customer-managed-key", "EventBridge, linked by literal ARNs", alert_stack(publisher="event", linked=False), None),
    Case("sns-service-topic-customer-managed-key", "budget", alert_stack(publisher="budget"), None),
    Case("sns-service-topic-customer-managed-key", "key through a declared alias", alert_stack(key="alias"), None),
    Case("sns-service-topic-customer-managed-key", "a separate KeyPolicy allows the services", alert_stack(statements=None, separate=(KEY_ROOT, PUBLISHERS)), None),
    Case("sns-service-topic-customer-managed-key", "IDs unknown during preview", alert_stack(preview=True), None),
    Case("sns-service-topic-customer-managed-key", "a key of another stack", alert_stack(key="arn:aws:kms:eu-west-1:111111111111:key/99999999-2222-3333-4444-555555555555"), None),
    Case("sns-service-topic-customer-managed-key", "AWS managed key, only this account's principals publish", alert_stack(publisher=None, key="alias/aws/sns"), None),
    Case("sns-service-topic-customer-managed-key", "AWS managed key, an alarm publishes", alert_stack(key="alias/aws/sns"), "topic 'alerts-topic' is encrypted with the AWS managed key 'alias/aws/sns'"),
    Case("sns-service-topic-customer-managed-key", "AWS managed key by alias ARN, EventBridge by ARN only", alert_stack(publisher="event", key="arn:aws:kms:eu-west-1:111111111111:alias/aws/sns", linked=False), "every message from EventBridge target 'changes-topic' would be dropped"),
    Case("sns-service-topic-customer-managed-key", "AWS managed key, OK actions only", alert_stack(publisher="ok", key="alias/aws/sns"), "let cloudwatch.amazonaws.com use it"),
    Case("sns-service-topic-customer-managed-key", "key policy without budgets", alert_stack(publisher="budget", statements=(KEY_ROOT, with_(PUBLISHERS, Principal={"Service": ["cloudwatch.amazonaws.com"]}))), "whose policy doesn't allow budgets.amazonaws.com kms:GenerateDataKey, kms:Decrypt"),
    Case("sns-service-topic-customer-managed-key", "key policy without Decrypt", alert_stack(statements=(KEY_ROOT, with_(PUBLISHERS, Action="kms:GenerateDataKey*"))), "doesn't allow cloudwatch.amazonaws.com kms:Decrypt"),
    Case("sns-service-topic-customer-managed-key", "default key policy", alert_stack(publisher="event", statements=None), "doesn't allow events.amazonaws.com kms:GenerateDataKey, kms:Decrypt"),
    Case("sns-service-topic-customer-managed-key", "key through an alias, default key policy", alert_stack(key="alias", statements=None), "encrypted with key 'alerts-key', whose policy doesn't allow cloudwatch.amazonaws.com"),
    Case("sns-service-topic-customer-managed-key", "KeyPolicy replaces the key's own", alert_stack(separate=(KEY_ROOT,)), "doesn't allow cloudwatch.amazonaws.com"),
    Case("cloudwatch-alarm-actions", "alarm notifies a topic", alert_stack(), None),
    Case("cloudwatch-alarm-actions", "alarm actions unknown during preview", alert_stack(preview=True), None),
    Case("cloudwatch-alarm-actions", "canary alarm an EventBridge rule rolls back", canary_stack(), None),
    Case("cloudwatch-alarm-actions", "alarm an EventBridge rule sends to a topic", canary_stack(target="topic"), None),
    Case("cloudwatch-alarm-actions", "no action", alarm(), "alarm 'acme-denied' has no alarmActions, and no enabled EventBridge rule"),
    Case("cloudwatch-alarm-actions", "OK actions only", alert_stack(publisher="ok"), "alarm 'acme-denied' has no alarmActions"),
    Case("cloudwatch-alarm-actions", "empty list", alarm(alarmActions=[]), "has no alarmActions"),
    Case("cloudwatch-alarm-actions", "actions disabled", alarm(alarmActions=[ALERTS_ARN], actionsEnabled=False), "alarm 'acme-denied' has actionsEnabled false"),
    Case("cloudwatch-alarm-actions", "EventBridge rule without a target", canary_stack(target=None), f"alarm '{CANARY_ALARM}' has no alarmActions"),
    Case("cloudwatch-alarm-actions", "EventBridge rule disabled", canary_stack(rule={"state": "DISABLED"}), "has no alarmActions"),
    Case("cloudwatch-alarm-actions", "EventBridge rule for another alarm", canary_stack(pattern=alarm_pattern(alarmName=["orders-other"])), "has no alarmActions"),
    # RAM --------------------------------------------------------------------------------------------------------
    Case("ram-principal-format", "account", one(PRINCIPAL, {"principal": "222222222222", "resourceShareArn": "arn"}), None),
    Case("ram-principal-format", "organization", one(PRINCIPAL, {"principal": "arn:aws:organizations::999999999999:organization/o-exampleorg1", "resourceShareArn": "arn"}), None),
    Case("ram-principal-format", "OU", one(PRINCIPAL, {"principal": "arn:aws:organizations::999999999999:ou/o-exampleorg1/ou-ab12-cdefgh34", "resourceShareArn": "arn"}), None),
    Case("ram-principal-format", "bare organization ID", one(PRINCIPAL, {"principal": "o-exampleorg1", "resourceShareArn": "arn"}), "a bare organization ID"),
    Case("ram-principal-format", "bare OU ID", one(PRINCIPAL, {"principal": "ou-ab12-cdefgh34", "resourceShareArn": "arn"}), "a bare OU ID"),
    Case("ram-principal-format", "role ARN", one(PRINCIPAL, {"principal": "arn:aws:iam::222222222222:role/x", "resourceShareArn": "arn"}), "is not a 12-digit account ID"),
    Case("ram-principal-format", "11 digits", one(PRINCIPAL, {"principal": "22222222222", "resourceShareArn": "arn"}), "is not a 12-digit account ID"),
    Case("ram-external-principals-allow-listed", "organization only", share_stack(False, "arn:aws:organizations::999999999999:organization/o-exampleorg1", "222222222222"), None),
    Case("ram-external-principals-allow-listed", "external, nothing allow-listed", share_stack(True, "444444444444"), "allow-lists no account"),
    Case("ram-external-principals-allow-listed", "external, allow-listed", share_stack(True, "444444444444", "arn:aws:organizations::999999999999:organization/o-exampleorg1"), None, {"allowedExternalAccountIds": ["444444444444"]}),
    Case("ram-external-principals-allow-listed", "external, one not listed", share_stack(True, "444444444444", "555555555555"), "shared with account 555555555555", {"allowedExternalAccountIds": ["444444444444"]}),
    Case("ram-external-principals-allow-listed", "exclusive, allow-listed", exclusive_share_stack(True, "444444444444"), None, {"allowedExternalAccountIds": ["444444444444"]}),
    Case("ram-external-principals-allow-listed", "exclusive, one not listed", exclusive_share_stack(True, "444444444444", "555555555555"), "shared with account 555555555555", {"allowedExternalAccountIds": ["444444444444"]}),
    Case("ram-principal-format", "exclusive, all valid", one(EXCLUSIVE, {"principals": ["222222222222", "arn:aws:organizations::999999999999:ou/o-exampleorg1/ou-ab12-cdefgh34"], "resourceShareArn": "arn"}), None),
    Case("ram-principal-format", "exclusive, a bare OU ID", one(EXCLUSIVE, {"principals": ["222222222222", "ou-ab12-cdefgh34"], "resourceShareArn": "arn"}), "a bare OU ID"),
    # AWS Config -------------------------------------------------------------------------------------------------
    Case("config-recorder-on", "switched on, with a delivery channel", recorder_stack(), None),
    Case("config-recorder-on", "status names the recorder literally", recorder_stack(status="literal"), None),
    Case("config-recorder-on", "isEnabled unknown during preview", recorder_stack(enabled=UNKNOWN_STRING_VALUE), None),
    Case("config-recorder-on", "rules only: the account already records", [res(CONFIG_RULE, "rule-rds", MANAGED_RULE)], None),
    Case("config-recorder-on", "recorder, status and channel in one region", recorder_stack(region="us-east-1", status_region="us-east-1", channel_region="us-east-1"), None),
    Case("config-recorder-on", "no RecorderStatus", recorder_stack(status=None), "recorder 'acme-config' has no RecorderStatus: AWS Config creates a recorder stopped"),
    Case("config-recorder-on", "switched off", recorder_stack(enabled=False), "recorder 'acme-config' is switched off: its RecorderStatus 'recorder-status' has isEnabled false"),
    Case("config-recorder-on", "isEnabled as the string false", recorder_stack(enabled="false"), "is switched off"),
    Case("config-recorder-on", "the status of another recorder", recorder_stack(status="other"), "has no RecorderStatus"),
    Case("config-recorder-on", "the status in another region", recorder_stack(status_region="us-east-1"), "has no RecorderStatus"),
    Case("config-recorder-on", "no delivery channel", recorder_stack(channel=False), "recorder 'acme-config' has no DeliveryChannel in its region"),
    Case("config-recorder-on", "the delivery channel in another region", recorder_stack(channel_region="us-east-1"), "has no DeliveryChannel in its region"),
    Case("config-custom-rule-role-read-only", "reads, PutEvaluations and its own logs", custom_rule_stack(), None),
    Case("config-custom-rule-role-read-only", "linked by literal ARNs and names", custom_rule_stack(linked=False), None),
    Case("config-custom-rule-role-read-only", "IDs unknown during preview", custom_rule_stack(preview=True), None),
    Case("config-custom-rule-role-read-only", "denying writes", custom_rule_stack(*RULE_STATEMENTS, {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:ViaAWSService": "false"}}}), None),
    Case("config-custom-rule-role-read-only", "a managed rule runs no function of the stack", custom_rule_stack(RULE_READS, {"Effect": "Allow", "Action": "vpc-lattice:UpdateService", "Resource": "*"}, owner="AWS"), None),
    Case("config-custom-rule-role-read-only", "a role Lambda can't assume", custom_rule_stack(RULE_READS, {"Effect": "Allow", "Action": "vpc-lattice:UpdateService", "Resource": "*"}, service="ec2.amazonaws.com"), None),
    Case("config-custom-rule-role-read-only", "an attached policy of the stack that reads", custom_rule_stack(extra=(extra_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-config/*"}), role_attachment())), None),
    Case("config-custom-rule-role-read-only", "a write in the RolePolicy", custom_rule_stack(with_(RULE_READS, Action=[*RULE_READS["Action"], "vpc-lattice:UpdateService"]), RULE_REPORTS), "RolePolicy 'rule-policy' statement 'ReadLatticeAndSharing' allows vpc-lattice:UpdateService; role 'rule-role' runs function 'rule-function' (custom AWS Config rule 'lattice-rule')"),
    Case("config-custom-rule-role-read-only", "every action of a service", custom_rule_stack(with_(RULE_REPORTS, Action="config:*")), "statement 'ReportEvaluations' allows config:*"),
    Case("config-custom-rule-role-read-only", "a pattern wider than PutEvaluations", custom_rule_stack(with_(RULE_REPORTS, Action=["config:Put*"])), "allows config:Put*"),
    Case("config-custom-rule-role-read-only", "a pattern wider than reads", custom_rule_stack(with_(RULE_READS, Action=["vpc-lattice:*Service"])), "allows vpc-lattice:*Service"),
    Case("config-custom-rule-role-read-only", "creating log groups", custom_rule_stack(with_(RULE_LOGS, Action=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"])), "'OwnLogs' allows logs:CreateLogGroup;"),
    Case("config-custom-rule-role-read-only", "Action *", custom_rule_stack({"Effect": "Allow", "Action": "*", "Resource": "*"}), "statement #1 allows *;"),
    Case("config-custom-rule-role-read-only", "NotAction", custom_rule_stack({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), "statement #1 allows every action but its NotAction"),
    Case("config-custom-rule-role-read-only", "a write, linked by literal ARNs and names", custom_rule_stack(RULE_READS, {"Effect": "Allow", "Action": "ram:AssociateResourceShare", "Resource": "*"}, linked=False), "statement #2 allows ram:AssociateResourceShare"),
    Case("config-custom-rule-role-read-only", "a write, IDs unknown during preview", custom_rule_stack(RULE_READS, {"Effect": "Allow", "Action": "ram:AssociateResourceShare", "Resource": "*"}, preview=True), "statement #2 allows ram:AssociateResourceShare"),
    Case("config-custom-rule-role-read-only", "a write in an inline policy of the role", custom_rule_stack(role_props={"inlinePolicies": [{"name": "more", "policy": identity({"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*"})}]}), "role 'rule-role' inlinePolicies[0] statement #1 allows ec2:CreateTags"),
    Case("config-custom-rule-role-read-only", "an attached policy of the stack that writes", custom_rule_stack(extra=(extra_policy({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}), role_attachment())), "RolePolicyAttachment 'rule-attach' of policy 'extra-policy' statement #1 allows s3:PutObject"),
    Case("config-custom-rule-role-read-only", "an AWS managed policy attached", custom_rule_stack(extra=(role_attachment("arn:aws:iam::aws:policy/service-role/AWSConfigRulesExecutionRole"),)), "RolePolicyAttachment 'rule-attach' of policy arn:aws:iam::aws:policy/service-role/AWSConfigRulesExecutionRole is not declared in this stack"),
    Case("config-custom-rule-role-read-only", "a policy attached by PolicyAttachment", custom_rule_stack(extra=(res(POLICY_ATTACHMENT, "legacy-attach", {"name": "legacy", "roles": ["acme-config-lattice"], "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}),)), "PolicyAttachment 'legacy-attach' of policy arn:aws:iam::aws:policy/PowerUserAccess is not declared"),
    Case("config-custom-rule-role-read-only", "a managed policy in managedPolicyArns", custom_rule_stack(role_props={"managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}), "role 'rule-role' managedPolicyArns policy arn:aws:iam::aws:policy/ReadOnlyAccess is not declared"),
    # Tags -------------------------------------------------------------------------------------------------------
    Case("required-tags", "tagged", one(INSTANCE, RDS), None),
    Case("required-tags", "not taggable", one(ROLE_POLICY, {"role": "r", "policy": identity(ACCESS)}), None),
    Case("required-tags", "no tags", one(SN, {"name": "sn", "authType": "AWS_IAM"}), "missing tag(s) ManagedBy, LatticeTenancyStack, CostCenter, Environment"),
    Case("required-tags", "empty value", one(LOG_GROUP, {"name": "g", "tags": {**TAGS, "ManagedBy": " "}}), "missing tag(s) ManagedBy"),
    Case("required-tags", "no cost center", one(BUDGET, {"name": "b", "tags": with_(TAGS, CostCenter=DROP)}), "missing tag(s) CostCenter"),
    Case("required-tags", "no environment", one(FLOW_LOG, {"subnetId": "subnet-1", "tags": with_(TAGS, Environment="")}), "missing tag(s) Environment"),
    Case("required-tags", "another stack's tag", one(TRAIL, with_(TRAIL_OK, tags={**TAGS, "LatticeTenancyStack": "owner"})), "names another stack than 'prod'"),
    Case("required-tags", "configured keys", one(INSTANCE, RDS), "missing tag(s) Owner", {"requiredTags": ["Owner"]}),
    Case("required-tags", "tenant role with Tenant and Team", one(ROLE, ROLE_OK), None),
    Case("required-tags", "service role needs no Tenant", one(ROLE, TRAIL_LOGS_ROLE), None),
    Case("required-tags", "tenant role without Tenant", one(ROLE, with_(ROLE_OK, tags=with_(ROLE_OK["tags"], Tenant=DROP))), "tenant role (tagged TenantAccount) missing tag(s) Tenant"),
    Case("required-tags", "tenant role without Team", one(ROLE, with_(ROLE_OK, tags=with_(ROLE_OK["tags"], Team=" "))), "missing tag(s) Team"),
    Case("required-tags", "tenant role, configured keys", one(ROLE, with_(ROLE_OK, tags=with_(ROLE_OK["tags"], Tenant=DROP))), None, {"tenantRoleTags": ["Team"]}),
    # Stack ------------------------------------------------------------------------------------------------------
    Case("production-resources-protected", "both protected", [res(INSTANCE, "db", RDS, protect=True), *audit_stack()], None),
    Case("production-resources-protected", "database unprotected", [res(INSTANCE, "db", RDS), *audit_stack()], "database 'db' is not protected in production stack 'prod'"),
    Case("production-resources-protected", "audit bucket unprotected", [res(INSTANCE, "db", RDS, protect=True), *audit_stack(bucket_protect=False)], "audit bucket 'audit-bucket' is not protected"),
    Case("production-resources-protected", "another bucket unprotected", [res(INSTANCE, "db", RDS, protect=True), *audit_stack(), res(BUCKET, "scratch", {"bucket": "scratch"})], None),
    Case("production-resources-protected", "development stack", [res(INSTANCE, "db", RDS, stack="dev"), *audit_stack(stack="dev", bucket_protect=False)], None, {"developmentStacks": ["dev"]}),
    Case("audit-bucket-retained", "kept", audit_stack(), None),
    Case("audit-bucket-retained", "force-destroyed", audit_stack(force=True), "audit bucket 'audit-bucket' has forceDestroy true"),
    Case("audit-bucket-retained", "force-destroyed in development", audit_stack(force=True, stack="dev"), None, {"developmentStacks": ["d*"]}),
    Case("audit-bucket-retained", "another bucket force-destroyed", [*audit_stack(), res(BUCKET, "scratch", {"bucket": "scratch", "forceDestroy": True})], None),
]  # fmt: skip


def run_case(case: Case) -> list[Violation]:
    config = {case.policy: case.config} if case.config else None
    return evaluate(copy.deepcopy(case.resources), config, policies=[BY_NAME[case.policy]])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_case(case):
    found = run_case(case)
    assert all(v.policy == case.policy for v in found)
    if case.expect is None:
        assert found == [], found
    else:
        assert any(case.expect in v.message for v in found), (case.expect, found)
        expected_level = BY_NAME[case.policy].enforcement_level.value
        assert {v.level for v in found} == {expected_level}
        assert all(v.urn for v in found), "every violation names the resource it is about"


def test_every_policy_has_a_compliant_and_a_violating_fixture():
    covered = {(c.policy, c.expect is None) for c in CASES}
    assert {c.policy for c in CASES} <= set(BY_NAME)
    for policy in BY_NAME:
        assert (policy, True) in covered, f"{policy}: no compliant fixture"
        assert (policy, False) in covered, f"{policy}: no violating fixture"


def test_fixture_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


# --- behaviour the fixtures don't show one by one ------------------------------------------------------------------


def test_an_unknown_value_is_reported_as_the_analyzer_does_advisory_and_not_run():
    network = res(SN, "sn", {"name": "sn", "authType": UNKNOWN_STRING_VALUE})
    (found,) = evaluate([network], policies=[BY_NAME["lattice-service-network-iam-auth"]])
    assert found.level == "advisory" and found.urn == network.urn
    assert found.message == (
        f"can't run policy 'lattice-service-network-iam-auth' from policy pack '{PACK_NAME}@v{PACK_VERSION}' "
        "during preview: string value at .authType can't be known during preview"
    )


def test_resources_fed_one_at_a_time_get_the_verdicts_of_the_whole_list(owner_repo_run):
    """The plan runs the pack on each resource as the program declares it (tooling.policy_evaluation.Evaluation)."""
    broken = copy.deepcopy(owner_repo_run)
    network = next(r for r in broken if r.type == SN)
    network.inputs["authType"] = "NONE"
    verdicts = []
    for resources in (owner_repo_run, broken):
        fed = evaluation.Evaluation()
        for resource in resources:
            fed.add(resource)
        verdicts.append([(v.policy, v.level, v.urn, v.message) for v in fed.finish(resources)])
    # What the whole-list evaluation (before Evaluation existed) reported for the same two lists.
    message = "authType is 'NONE' (the default is NONE): set auth_type='AWS_IAM'"
    assert verdicts == [[], [("lattice-service-network-iam-auth", "mandatory", network.urn, message)]]


def test_a_policy_that_fails_stops_the_evaluation_and_finish_says_where():
    looked_at: list[str] = []

    def rule(name: str, check) -> ResourceRule:
        return ResourceRule(name, name, types=[SN], check=check, level=EnforcementLevel.MANDATORY, severity=LOW)

    def broken(args, config, report) -> None:
        raise KeyError("a bug in the policy")

    spy = rule("spy", lambda args, config, report: looked_at.append(args.urn))
    first, second = res(SN, "first", {"name": "a", "authType": "AWS_IAM"}), res(SN, "second", {"name": "b"})
    fed = evaluation.Evaluation(policies=[spy, rule("broken-rule", broken)])
    fed.add(first)
    fed.add(second)  # after a failure: not analysed, as the analyzer stops at the first
    with pytest.raises(evaluation.PolicyFailure, match=f"policy broken-rule failed on {re.escape(first.urn)}"):
        fed.finish([first, second])
    assert looked_at == [first.urn]


def test_stack_policies_link_by_dependency_when_values_are_unknown():
    """During preview the IDs that link resources are unknown; the dependency edges still link them."""
    network = res(SN, "sn", {"name": "sn", "authType": "AWS_IAM"})
    logs = [
        res(
            ALS,
            t,
            {"resourceIdentifier": UNKNOWN_STRING_VALUE, "serviceNetworkLogType": t},
            refs={"resourceIdentifier": network},
        )
        for t in ("RESOURCE", "SERVICE")
    ]
    policy = res(AUTH, "auth", {"resourceIdentifier": UNKNOWN_STRING_VALUE, "policy": auth(AUTH_STATEMENT)["policy"]},
                 refs={"resourceIdentifier": network})  # fmt: skip
    names = ["lattice-access-logs-both-types", "lattice-auth-policy-attached"]
    assert evaluate([network, *logs, policy], policies=[BY_NAME[n] for n in names]) == []
    assert [v.policy for v in evaluate([network, logs[0]], policies=[BY_NAME[n] for n in names])] == names


def test_the_real_canary_is_guarded_while_its_ids_are_unknown_during_preview(owner_repo_run):
    """During a first preview every target group ID is unknown: the listener, its rules, the alarms and the event
    target are linked to the target groups and the function by dependency edges only."""

    def unknown_ids(value):
        if isinstance(value, dict):
            return {k: unknown_ids(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unknown_ids(v) for v in value]
        return UNKNOWN_STRING_VALUE if isinstance(value, str) and value.startswith("tg-") else value

    resources = copy.deepcopy(owner_repo_run)
    assert {LISTENER, ALARM, EVENT_RULE, EVENT_TARGET, FUNCTION} <= {r.type for r in resources}
    for r in resources:
        r.inputs = unknown_ids(r.inputs)
        if r.type == EVENT_TARGET:
            r.inputs["arn"] = UNKNOWN_STRING_VALUE
    policy = [BY_NAME["lattice-canary-rollback"]]
    assert evaluate(resources, policies=policy) == []
    (found,) = evaluate([r for r in resources if r.type != ALARM], policies=policy)
    assert "whose IDs are unknown during preview, but only 0" in found.message
    (found,) = evaluate([r for r in resources if r.type != EVENT_TARGET], policies=policy)
    assert "whose IDs are unknown during preview" in found.message


def test_the_real_config_recorder_and_custom_rule_are_guarded(owner_repo_run):
    """The owner stack's recorder, its status and the custom rule's role are linked as the program declares them: a
    recorder switched off, or a write granted to the rule's function, is caught in the real resources."""
    resources = copy.deepcopy(owner_repo_run)
    assert {RECORDER, RECORDER_STATUS, DELIVERY_CHANNEL, CONFIG_RULE, FUNCTION, ROLE_POLICY} <= {r.type for r in resources}  # fmt: skip
    policies = [BY_NAME["config-recorder-on"], BY_NAME["config-custom-rule-role-read-only"]]
    assert evaluate(resources, policies=policies) == []
    (rule_policy,) = [r for r in resources if r.type == ROLE_POLICY and r.inputs.get("name") == "config-lattice-rule"]
    document = json.loads(rule_policy.inputs["policy"])
    document["Statement"][0]["Action"].append("vpc-lattice:UpdateService")
    rule_policy.inputs["policy"] = compact(document)
    for r in resources:
        if r.type == RECORDER_STATUS:
            r.inputs["isEnabled"] = False
    found = sorted((v.policy, v.urn.rsplit("::", 1)[-1], v.message) for v in evaluate(resources, policies=policies))
    assert [(policy, urn) for policy, urn, _ in found] == [
        ("config-custom-rule-role-read-only", "compliance-lattice-policy"),
        ("config-recorder-on", "compliance-recorder"),
    ]
    assert "statement 'ReadLatticeAndSharing' allows vpc-lattice:UpdateService;" in found[0][2]
    assert "recorder 'acme-shared-db-config' is switched off" in found[1][2]


def test_a_secret_trust_policy_is_read_and_its_external_id_never_printed():
    role = res(ROLE, "role", with_(ROLE_OK, assumeRolePolicy=trust(with_(TENANT_TRUST, Condition={"StringLike": {"sts:ExternalId": EXTERNAL_ID}}))))  # fmt: skip
    found = evaluate([role])
    assert [v.policy for v in found] == ["iam-cross-account-trust-external-id"]
    assert EXTERNAL_ID not in repr(found)


def test_a_literal_password_is_never_printed():
    db = res(INSTANCE, "db", with_(RDS, manageMasterUserPassword=DROP, password=secret("hunter2hunter2")))
    found = evaluate([db])
    assert "rds-managed-master-password" in {v.policy for v in found}
    assert "hunter2" not in repr(found)


def test_config_levels_and_properties_are_applied_like_policy_pack_config():
    public = res(INSTANCE, "db", with_(RDS, publiclyAccessible=True, backupRetentionPeriod=3.0))
    names = ["rds-not-publicly-accessible", "rds-backup-retention"]
    chosen = [BY_NAME[n] for n in names]
    assert {v.policy: v.level for v in evaluate([public], policies=chosen)} == dict.fromkeys(names, "mandatory")
    config = {"rds-not-publicly-accessible": "advisory", "rds-backup-retention": {"enforcementLevel": "disabled"}}
    assert [(v.policy, v.level) for v in evaluate([public], config, chosen)] == [(names[0], "advisory")]
    assert evaluate([public], {"all": "disabled"}, chosen) == []
    assert {v.level for v in evaluate([public], {"all": "remediate"}, chosen)} == {"mandatory"}  # as the analyzer
    assert evaluate([public], {"rds-backup-retention": {"minimumDays": 3}}, [BY_NAME["rds-backup-retention"]]) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rds-no-such-policy": "advisory"}, "rds-no-such-policy: no such policy in the pack"),
        ({"rds-backup-retention": {"minimumDay": 3}}, "rds-backup-retention.minimumDay: not a setting of this policy"),
        ({"rds-backup-retention": {"minimumDays": "7"}}, "rds-backup-retention.minimumDays: expected integer"),
        ({"rds-backup-retention": {"minimumDays": 36}}, "above the maximum 35"),
        ({"rds-backup-retention": "strict"}, "enforcement level 'strict' is not one of"),
        ({"ram-external-principals-allow-listed": {"allowedExternalAccountIds": ["4444"]}}, "does not match"),
        ({"rds-log-exports": {"requiredLogTypes": {"mysql": "audit"}}}, "requiredLogTypes.mysql: expected array"),
    ],
)
def test_bad_policy_config_is_refused_with_the_key_named(config, message):
    with pytest.raises(PolicyConfigError) as caught:
        normalize_config(config)
    assert message in str(caught.value)


# --- the pack as a whole -------------------------------------------------------------------------------------------


def test_the_pack_has_at_least_35_well_formed_guardrails():
    assert len(POLICIES) >= 35 and len(BY_NAME) == len(POLICIES)
    for p in POLICIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", p.name), p.name
        assert p.description.endswith(".") and ". " not in p.description.split(" (")[0], p.description
        assert p.enforcement_level in (EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY), p.name
        assert p.severity is not None and p.resource_types, p.name
        for key, schema in p.config_properties.items():
            assert "default" in schema and "description" in schema, (p.name, key)
            given = {p.name: {key: schema["default"]}}  # the default passes the policy's own schema
            assert normalize_config(given)[1] == given, (p.name, key)
    assert sum(p.enforcement_level == EnforcementLevel.MANDATORY for p in POLICIES) >= 30


def test_the_pack_loads_the_way_the_cli_runs_it():
    """policies/__main__.py as the CLI runs it: working directory policies/, the repository root not importable.
    PolicyPack is replaced by a recorder (the real one starts a gRPC server and blocks)."""
    script = (
        "import importlib.util, json, runpy, sys, pulumi_policy\n"
        "assert importlib.util.find_spec('tenancy') is None, 'the repository root is importable'\n"
        "def record(name, policies, **kwargs):\n"
        "    print(json.dumps({'name': name, 'policies': [p.name for p in policies], 'tenancy': 'tenancy' in sys.modules}))\n"
        "pulumi_policy.PolicyPack = record\n"
        "runpy.run_path('__main__.py', run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT / "policies", capture_output=True, text=True, check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    built = json.loads(done.stdout)
    assert built == {"name": PACK_NAME, "policies": [p.name for p in POLICIES], "tenancy": False}


def test_the_analyzer_describes_every_policy_and_its_config_schema():
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    info = _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, POLICIES, EnforcementLevel.ADVISORY).GetAnalyzerInfo(
        None, None
    )
    described = {p.name: p for p in info.policies}
    assert list(described) == [p.name for p in POLICIES]
    for p in POLICIES:
        sent = json_format.MessageToDict(described[p.name].configSchema).get("properties", {})
        assert sent == p.config_properties, p.name


def test_pack_files_agree_with_the_code():
    project = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python" and str(project["version"]) == PACK_VERSION
    requirements = (ROOT / "policies" / "requirements.txt").read_text()
    assert re.search(r"^pulumi-policy>=[\d.]+,<\d+$", requirements, re.M), requirements
    assert re.search(r"^pulumi>=[\d.]+,<\d+$", requirements, re.M), requirements
    from importlib.metadata import version

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    for line in requirements.splitlines():
        if line and not line.startswith("#"):
            name, spec = re.match(r"([a-z-]+)(.*)", line).groups()
            assert Version(version(name)) in SpecifierSet(spec), (name, version(name), spec)


# --- parity with pulumi_policy's own analyzer ------------------------------------------------------------------------


def _analyzer_diagnostics(resources: list[Registration]) -> list[tuple[str, str, str, str]]:
    """What pulumi_policy's gRPC servicer reports for these resources (Analyze per resource, then AnalyzeStack)."""
    from pulumi.runtime import proto
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    servicer = _PolicyAnalyzerServicer(PACK_NAME, PACK_VERSION, POLICIES, EnforcementLevel.ADVISORY)
    levels = {proto.MANDATORY: "mandatory", proto.ADVISORY: "advisory"}

    def struct(inputs: Mapping) -> struct_pb2.Struct:
        return json_format.ParseDict(inputs, struct_pb2.Struct())

    def message(r: Registration) -> dict:
        return {
            "type": r.type, "properties": struct(r.inputs), "urn": r.urn, "name": r.name,
            "options": proto.AnalyzerResourceOptions(protect=r.protect, parent=r.parent),
        }  # fmt: skip

    out = []
    for r in resources:
        if not r.is_read:
            response = servicer.Analyze(proto.AnalyzeRequest(**message(r)), None)
            out += [(d.policyName, levels[d.enforcementLevel], d.urn or r.urn, d.message) for d in response.diagnostics]
    stack = proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                **message(r),
                parent=r.parent,
                dependencies=r.dependencies,
                propertyDependencies={
                    k: proto.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()
                },
            )
            for r in resources
        ]
    )
    response = servicer.AnalyzeStack(stack, None)
    out += [(d.policyName, levels[d.enforcementLevel], d.urn, d.message) for d in response.diagnostics]
    return out


def test_the_offline_evaluation_reports_what_pulumi_policys_analyzer_reports(owner_repo_run):
    resources = copy.deepcopy(owner_repo_run)
    for r in resources:  # break a few rules, resource and stack ones, to compare non-empty reports
        if r.type == INSTANCE:
            r.inputs.update(publiclyAccessible=True, backupRetentionPeriod=1.0)
            r.protect = False
        if r.type == SN:
            r.inputs["authType"] = UNKNOWN_STRING_VALUE
        if r.type == EXCLUSIVE:
            r.inputs["principals"] = [*r.inputs["principals"], "o-exampleorg1"]
        if r.type == SERVICE:
            r.inputs["authType"] = "NONE"
        if r.type == ROLE_POLICY and r.inputs.get("name") == "canary-rollback":
            policy = json.loads(r.inputs["policy"])
            policy["Statement"][0]["Resource"] = "*"
            r.inputs["policy"] = compact(policy)
    resources = [r for r in resources if r.type != ALS or r.inputs.get("serviceNetworkLogType") != "SERVICE"]
    resources = [r for r in resources if r.type != ALARM]
    descriptions = {p.name: p.description for p in POLICIES}
    ours = [
        (v.policy, v.level, v.urn, v.message if v.message.startswith("can't run") else f"{descriptions[v.policy]}\n{v.message}")
        for v in evaluate(resources)
    ]  # fmt: skip
    theirs = _analyzer_diagnostics(resources)
    assert len(ours) >= 6 and {v[0] for v in ours} >= {
        "rds-not-publicly-accessible", "rds-backup-retention", "lattice-service-network-iam-auth",
        "ram-principal-format", "production-resources-protected", "lattice-access-logs-both-types",
        "lattice-service-iam-auth", "lattice-canary-rollback", "iam-lattice-routing-scoped",
    }  # fmt: skip
    assert sorted(ours) == sorted(theirs)


# --- every type and property a rule reads exists in pulumi_aws ---------------------------------------------------


def _resource_class(token: str):
    import pulumi_aws  # noqa: F401  (registers the resource modules)
    from pulumi.runtime.rpc import _RESOURCE_MODULES

    package, module, _ = token.split(":")
    for registered in _RESOURCE_MODULES.get(f"{package}:{module}", []):
        class_name = registered.mod_info["classes"].get(token)
        if class_name:
            return getattr(importlib.import_module(registered.mod_info["fqn"]), class_name)
    return None


ALL_TYPES = sorted({t for p in POLICIES for t in p.resource_types} | set(TAGGABLE))


@pytest.mark.parametrize("token", ALL_TYPES)
def test_every_resource_type_a_policy_names_exists_in_pulumi_aws(token):
    assert _resource_class(token) is not None, f"{token} is not a pulumi_aws resource type"


def test_taggable_types_take_tags_and_cover_everything_the_stacks_declare(repo_runs):
    from pulumi import _types

    for token in TAGGABLE:
        assert "tags" in _types.resource_types(_resource_class(token)), token
    declared = {r.type for run in repo_runs for r in run if r.type.startswith("aws:")}
    taggable = {t for t in declared if "tags" in _types.resource_types(_resource_class(t))}
    assert taggable <= set(TAGGABLE), sorted(taggable - set(TAGGABLE))


class _Recorder(Mapping):
    """A props mapping that notes every key path a policy reads (lists as `[]`)."""

    def __init__(self, target, typ: str, path: tuple[str, ...], seen: set):
        self._target, self._typ, self._path, self._seen = target, typ, path, seen

    def _wrap(self, value, path):
        if isinstance(value, Mapping):
            return _Recorder(value, self._typ, path, self._seen)
        if isinstance(value, Sequence) and not isinstance(value, str):
            return _RecorderList(value, self._typ, path, self._seen)
        return value

    def __getitem__(self, key):
        self._seen.add((self._typ, (*self._path, key)))
        return self._wrap(self._target[key], (*self._path, key))

    def __iter__(self):
        return iter(self._target)

    def __len__(self):
        return len(self._target)


class _RecorderList(Sequence):
    def __init__(self, target, typ, path, seen):
        self._target, self._typ, self._path, self._seen = target, typ, path, seen

    def __getitem__(self, index):
        return _Recorder._wrap(self, self._target[index], (*self._path, "[]"))

    def __len__(self):
        return len(self._target)


def _resolves(typ, path: tuple[str, ...]) -> bool:
    from pulumi import _types

    for part in path:
        typ = _types.unwrap_optional_type(typ)
        origin = typing.get_origin(typ)
        if part == "[]":
            if origin is None or not issubclass(origin, Sequence):
                return False
            typ = typing.get_args(typ)[0]
            continue
        if origin is not None and issubclass(origin, Mapping):
            return True  # a map (tags): any key
        if not _types.is_output_type(typ):
            return False
        names = _types.output_type_types(typ)
        if part not in names:
            return False
        typ = names[part]
    return True


def test_every_property_a_policy_reads_is_a_pulumi_aws_property(monkeypatch, repo_runs):
    """Run every fixture and the real stacks with props that record each key read; then look each key path up in
    pulumi_aws's types. A snake_case key, or a nested name that doesn't exist, fails here even where a missing key
    would pass silently."""
    from pulumi import _types

    seen: set = set()
    resource_args, stack_args = evaluation.resource_args, evaluation.stack_args

    def recording_resource_args(resource, config=None, prepared=None):
        args = resource_args(resource, config, prepared)
        args.props = _Recorder(args.props, args.resource_type, (), seen)
        return args

    def recording_stack_args(resources, config=None):
        args = stack_args(resources, config)
        for r in args.resources:
            r.props = _Recorder(r.props, r.resource_type, (), seen)
        return args

    monkeypatch.setattr(evaluation, "resource_args", recording_resource_args)
    monkeypatch.setattr(evaluation, "stack_args", recording_stack_args)
    for case in CASES:
        run_case(case)
    for run in repo_runs:
        evaluate(run)

    assert len(seen) > 100
    unknown = []
    for typ, path in sorted(seen):
        cls = _resource_class(typ)
        if cls is None:
            continue  # a type only a fixture uses; the type test covers the pack's own
        top = _types.resource_types(cls)
        if path[0] == "id":  # the engine's outputs carry the ID, which pulumi_aws models outside the properties
            continue
        if path[0] not in top or not _resolves(top[path[0]], path[1:]):
            unknown.append(f"{typ}: {'.'.join(path)}")
    assert unknown == []
