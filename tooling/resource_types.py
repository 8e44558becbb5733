"""What the tooling knows per AWS resource type, in one table: a feature that adds a resource type adds one entry.

For each type (the engine's type token):
- `summary`: the wire inputs a reviewer wants next to it in the plan's tree;
- `node`: its label when the diagram draws it (several of one type in a component become one "×N" node);
- `seconds`: a typical creation time (an ESTIMATE, from `SOURCES`) for the deploy estimate;
- `outputs`: what AWS computes on creation (IDs, ARNs, names), as the offline stand-in answers it.

Nothing here needs the Pulumi runtime.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

State = dict[str, Any]


def fake_id(prefix: str, seed: str, length: int = 17) -> str:
    """A deterministic AWS-looking ID (`sn-0123…`), derived from the resource, so plans are byte-stable."""
    return f"{prefix}-{hashlib.sha256(seed.encode()).hexdigest()[:length]}"


@dataclass(frozen=True)
class Where:
    """The account and region the stand-in plays."""

    account_id: str
    region: str

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id if account else ''}:{resource}"


# (where, seed "<type>/<name>", logical name, inputs) → computed outputs (with "id").
Outputs = Callable[[Where, str, str, State], State]


def _lattice(prefix: str, kind: str) -> Outputs:
    def outputs(where: Where, seed: str, name: str, s: State) -> State:
        resource_id = fake_id(prefix, seed)
        return {"id": resource_id, "arn": where.arn("vpc-lattice", f"{kind}/{resource_id}")}

    return outputs


def _snra(where: Where, seed: str, name: str, s: State) -> State:
    snra = fake_id("snra", seed)
    domain = f"{snra}.{s.get('resourceConfigurationIdentifier')}.vpc-lattice-rsc.{where.region}.on.aws"
    return {
        "id": snra,
        "arn": where.arn("vpc-lattice", f"servicenetworkresourceassociation/{snra}"),
        "dnsEntries": [{"domainName": domain, "hostedZoneId": "Z0OFFLINE"}],
    }


def _rds_instance(where: Where, seed: str, name: str, s: State) -> State:
    identifier = s.get("identifier", name)
    # Seeded with the Region too: a replica (same resource name, another Region) has its own DbiResourceId.
    resource_id = "db-" + hashlib.sha256(f"{where.region}:{seed}".encode()).hexdigest()[:26].upper()
    address = f"{identifier}.c0offline000.{where.region}.rds.amazonaws.com"
    port = int(s.get("port", 3306))
    secret = where.arn("secretsmanager", f"secret:rds!{resource_id.lower()}-AbCdEf")
    # A replica's master user is its source's: RDS keeps no secret for it.
    secrets = [] if s.get("replicateSourceDb") else [{"secretArn": secret, "secretStatus": "active", "kmsKeyId": ""}]
    return {
        "id": resource_id,
        "arn": where.arn("rds", f"db:{identifier}"),
        "resourceId": resource_id,
        "address": address,
        "port": port,
        "endpoint": f"{address}:{port}",
        "masterUserSecrets": secrets,
    }


def _role(where: Where, seed: str, name: str, s: State) -> State:
    return {
        "id": s["name"],
        "arn": f"arn:aws:iam::{where.account_id}:role{s.get('path', '/')}{s['name']}",
        "uniqueId": fake_id("AROA", seed, 17).upper(),
    }


def _share(where: Where, seed: str, name: str, s: State) -> State:
    arn = where.arn("ram", "resource-share/" + fake_id("share", seed, 32).removeprefix("share-"))
    return {"id": arn, "arn": arn}


def _ram_exclusive(where: Where, seed: str, name: str, s: State) -> State:
    return {"id": s.get("resourceShareArn", name)}


def _ram_association(where: Where, seed: str, name: str, s: State) -> State:
    return {"id": f"{s.get('resourceShareArn')},{s.get('resourceArn') or s.get('principal')}"}


def _kms_key(where: Where, seed: str, name: str, s: State) -> State:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    key_id = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return {"id": key_id, "keyId": key_id, "arn": where.arn("kms", f"key/{key_id}")}


def _named(service: str, resource: str) -> Outputs:
    """ID = the physical name; ARN from it (`resource` is formatted with the name)."""

    def outputs(where: Where, seed: str, name: str, s: State) -> State:
        return {"id": s["name"], "arn": where.arn(service, resource.format(s["name"]))}

    return outputs


def _by_id(prefix: str) -> Outputs:
    def outputs(where: Where, seed: str, name: str, s: State) -> State:
        return {"id": fake_id(prefix, seed)}

    return outputs


def _lattice_service(where: Where, seed: str, name: str, s: State) -> State:
    svc = fake_id("svc", seed)
    domain = f"{s.get('name', name)}-{svc.removeprefix('svc-')[:7]}.7d67968.vpc-lattice-svcs.{where.region}.on.aws"
    return {
        "id": svc,
        "arn": where.arn("vpc-lattice", f"service/{svc}"),
        "dnsEntries": [{"domainName": domain, "hostedZoneId": "Z0OFFLINESVC"}],
    }


def _listener(where: Where, seed: str, name: str, s: State) -> State:
    listener = fake_id("listener", seed)
    service = s.get("serviceIdentifier", "svc-unknown")
    return {
        "id": f"{service}/{listener}",
        "listenerId": listener,
        "arn": where.arn("vpc-lattice", f"service/{service}/listener/{listener}"),
    }


def _listener_rule(where: Where, seed: str, name: str, s: State) -> State:
    rule = fake_id("rule", seed)
    service, listener = s.get("serviceIdentifier", "svc-unknown"), s.get("listenerIdentifier", "listener-unknown")
    return {
        "id": f"{service}/{listener}/{rule}",
        "ruleId": rule,
        "arn": where.arn("vpc-lattice", f"service/{service}/listener/{listener}/rule/{rule}"),
    }


def _named_arn(service: str, resource: str) -> Outputs:
    """ID and ARN from the physical name (`resource` formatted with it)."""

    def outputs(where: Where, seed: str, name: str, s: State) -> State:
        physical = s.get("name", name)
        arn = where.arn(service, resource.format(physical))
        return {"id": arn if service in ("sns",) else physical, "arn": arn}

    return outputs


def _security_group(where: Where, seed: str, name: str, s: State) -> State:
    sg = fake_id("sg", seed)
    return {"id": sg, "arn": where.arn("ec2", f"security-group/{sg}")}


def _s3_attachment(where: Where, seed: str, name: str, s: State) -> State:
    return {"id": s.get("bucket", name)}


def _region_switch_plan(where: Where, seed: str, name: str, s: State) -> State:
    plan = f"{s.get('name', name)}/{hashlib.sha256(seed.encode()).hexdigest()[:12]}"
    return {"id": plan, "arn": where.arn("arc-region-switch", f"plan/{plan}", region=False)}


def default_outputs(where: Where, seed: str, name: str, s: State) -> State:
    typ = seed.rsplit("/", 1)[0]
    return {"id": f"{name}-id", "arn": where.arn("offline", f"{typ}/{name}")}


SOURCES = {
    "rds": "AWS RDS user guide and common experience: a single-AZ MySQL micro instance takes 5-15 min, Multi-AZ longer",
    "rds-replica": "RDS User Guide, cross-Region read replicas: RDS snapshots the source, copies the snapshot to the "
    "other Region, restores it and replays the binary log; the time grows with the data and its write rate "
    "(estimate for a small database: 30 min)",
    "lattice": "VPC Lattice resource gateway 1-5 min, associations seconds to ~1 min (lattice-tenancy aws-facts §7, estimates)",
    "vpce": "PrivateLink endpoint creation 1-3 min (AWS PrivateLink guide; estimate)",
    "fast": "IAM, RAM, security groups, S3, CloudTrail, CloudWatch Logs: API calls that return in seconds (estimate)",
}
DEFAULT_SECONDS = (2.0, "fast")
CROSS_REGION_REPLICA_SECONDS = (1800.0, "rds-replica")
# Types that live in no one Region: IAM and budgets are global; the Data Exports (CUR 2.0) control plane is
# us-east-1's; an ARC Region switch plan's ARN has no Region (it spans the two it switches between).
GLOBAL_TYPE_PREFIXES = ("aws:iam/", "aws:budgets/", "aws:bcmdata/", "aws:arcregionswitch/")


def region_of(typ: str, inputs: dict, stack_region: str) -> str:
    """Where a planned resource lives: its own `region` input, "global", or the stack's Region."""
    if isinstance(inputs.get("region"), str):
        return inputs["region"]
    return "global" if typ.startswith(GLOBAL_TYPE_PREFIXES) else stack_region


@dataclass(frozen=True)
class ResourceType:
    summary: tuple[str, ...] = ()
    node: str | None = None
    seconds: tuple[float, str] | None = None
    outputs: Outputs | None = None


_RDS_SUMMARY = ("identifier", "engineVersion", "instanceClass", "multiAz", "storageEncrypted", "publiclyAccessible",
                "deletionProtection", "backupRetentionPeriod")  # fmt: skip
_SG_RULE = ("ipProtocol", "fromPort", "referencedSecurityGroupId", "cidrIpv4")

TYPES: dict[str, ResourceType] = {
    "aws:vpclattice/serviceNetwork:ServiceNetwork": ResourceType(
        ("name", "authType"), "service network", (5, "lattice"), _lattice("sn", "servicenetwork")
    ),
    "aws:vpclattice/resourceGateway:ResourceGateway": ResourceType(
        ("name", "ipAddressType", "subnetIds"), "resource gateway", (180, "lattice"), _lattice("rgw", "resourcegateway")
    ),
    "aws:vpclattice/resourceConfiguration:ResourceConfiguration": ResourceType(
        ("name", "type"), "resource configuration", (20, "lattice"), _lattice("rcfg", "resourceconfiguration")
    ),
    "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation": ResourceType(
        seconds=(45, "lattice"), outputs=_snra
    ),
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation": ResourceType(
        ("serviceNetworkIdentifier",),
        "VPC association",
        (45, "lattice"),
        _lattice("snva", "servicenetworkvpcassociation"),
    ),
    "aws:vpclattice/authPolicy:AuthPolicy": ResourceType(
        ("policy",),
        "auth policy",
        (3, "lattice"),
        lambda where, seed, name, s: {"id": s.get("resourceIdentifier"), "state": "Active"},
    ),
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription": ResourceType(
        ("serviceNetworkLogType",),
        "access log subscription",
        (5, "lattice"),
        _lattice("als", "accesslogsubscription"),
    ),
    "aws:rds/instance:Instance": ResourceType(_RDS_SUMMARY, "RDS instance", (600, "rds"), _rds_instance),
    "aws:rds/subnetGroup:SubnetGroup": ResourceType(("name",), outputs=_named("rds", "subgrp:{}")),
    "aws:ec2/securityGroup:SecurityGroup": ResourceType(("name",), "security group", outputs=_security_group),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ResourceType(_SG_RULE, outputs=_by_id("sgr")),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ResourceType(_SG_RULE, outputs=_by_id("sgr")),
    "aws:ram/resourceShare:ResourceShare": ResourceType(
        ("name", "allowExternalPrincipals"), "RAM share", outputs=_share
    ),
    "aws:ram/principalAssociation:PrincipalAssociation": ResourceType(("principal",), outputs=_ram_association),
    "aws:ram/resourceAssociation:ResourceAssociation": ResourceType(("resourceArn",), outputs=_ram_association),
    "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive": ResourceType(
        ("resourceArns", "principals"), outputs=_ram_exclusive
    ),
    "aws:ram/resourceShareAccepter:ResourceShareAccepter": ResourceType(("shareArn",), "share accepter", (15, "fast")),
    "aws:iam/role:Role": ResourceType(("name", "assumeRolePolicy"), "IAM role", (3, "fast"), _role),
    "aws:iam/rolePolicy:RolePolicy": ResourceType(
        ("policy",), outputs=lambda where, seed, name, s: {"id": f"{s.get('role')}:{s.get('name')}"}
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ResourceType(("policyArn",)),
    "aws:s3/bucket:Bucket": ResourceType(
        ("bucket", "forceDestroy"),
        "S3 bucket",
        outputs=lambda where, seed, name, s: {"id": s["bucket"], "arn": f"arn:aws:s3:::{s['bucket']}"},
    ),
    "aws:s3/bucketPolicy:BucketPolicy": ResourceType(("policy",), outputs=_s3_attachment),
    "aws:s3/bucketVersioning:BucketVersioning": ResourceType(("versioningConfiguration",), outputs=_s3_attachment),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ResourceType(("rule",), outputs=_s3_attachment),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ResourceType(outputs=_s3_attachment),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ResourceType(
        outputs=_s3_attachment
    ),
    "aws:s3/bucketLogging:BucketLogging": ResourceType(("targetPrefix",), outputs=_s3_attachment),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ResourceType(
        ("rules",), outputs=_s3_attachment
    ),
    "aws:cloudtrail/trail:Trail": ResourceType(
        ("name", "isMultiRegionTrail", "enableLogFileValidation", "cloudWatchLogsGroupArn"),
        "CloudTrail trail",
        (5, "fast"),
        _named("cloudtrail", "trail/{}"),
    ),
    "aws:kms/key:Key": ResourceType(
        ("enableKeyRotation", "deletionWindowInDays", "policy"), "KMS key", outputs=_kms_key
    ),
    "aws:kms/alias:Alias": ResourceType(("name",)),
    "aws:cloudwatch/logGroup:LogGroup": ResourceType(
        ("name", "retentionInDays"), "log group", outputs=_named("logs", "log-group:{}")
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ResourceType(
        ("vpcEndpointType", "privateDnsEnabled", "serviceNetworkArn", "resourceConfigurationArn"),
        "VPC endpoint",
        (120, "vpce"),
        _by_id("vpce"),
    ),
    "aws:vpclattice/service:Service": ResourceType(
        ("name", "authType", "customDomainName"), "Lattice service", (10, "lattice"), _lattice_service
    ),
    "aws:vpclattice/targetGroup:TargetGroup": ResourceType(
        ("name", "type"), "target group", (10, "lattice"), _lattice("tg", "targetgroup")
    ),
    "aws:vpclattice/targetGroupAttachment:TargetGroupAttachment": ResourceType(("target",), seconds=(30, "lattice")),
    "aws:vpclattice/listener:Listener": ResourceType(
        ("name", "protocol", "port", "defaultAction"), "listener", (5, "lattice"), _listener
    ),
    "aws:vpclattice/listenerRule:ListenerRule": ResourceType(
        ("priority", "match", "action"), "listener rule", (3, "lattice"), _listener_rule
    ),
    "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation": ResourceType(
        ("serviceIdentifier",), seconds=(45, "lattice"), outputs=_lattice("snsa", "servicenetworkserviceassociation")
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ResourceType(
        ("name", "threshold", "evaluationPeriods"), "alarm", outputs=_named_arn("cloudwatch", "alarm:{}")
    ),
    "aws:cloudwatch/eventRule:EventRule": ResourceType(
        ("name", "eventPattern"), "EventBridge rule", outputs=_named_arn("events", "rule/{}")
    ),
    "aws:cloudwatch/eventTarget:EventTarget": ResourceType(("arn",)),
    "aws:lambda/function:Function": ResourceType(
        ("name", "runtime", "handler", "reservedConcurrentExecutions"),
        "Lambda function",
        (15, "fast"),
        _named_arn("lambda", "function:{}"),
    ),
    "aws:lambda/permission:Permission": ResourceType(("principal", "sourceArn")),
    "aws:sns/topic:Topic": ResourceType(("name", "kmsMasterKeyId"), "SNS topic", outputs=_named_arn("sns", "{}")),
    "aws:ec2/flowLog:FlowLog": ResourceType(
        ("subnetId", "trafficType", "logDestinationType"), "flow log", outputs=_by_id("fl")
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ResourceType(("name", "pattern"), "metric filter"),
    "aws:cloudwatch/dashboard:Dashboard": ResourceType(
        ("dashboardName",),
        "dashboard",
        outputs=lambda where, seed, name, s: {
            "id": s["dashboardName"],
            "dashboardArn": where.arn("cloudwatch", f"dashboard/{s['dashboardName']}", region=False),
        },
    ),
    "aws:sns/topicPolicy:TopicPolicy": ResourceType(("policy",)),
    "aws:costexplorer/costAllocationTag:CostAllocationTag": ResourceType(("tagKey", "status")),
    "aws:bcmdata/export:Export": ResourceType(
        (),
        "CUR 2.0 export",
        outputs=lambda where, seed, name, s: {
            "id": where.arn("bcm-data-exports", f"export/{fake_id('export', seed)}", region=False).replace(
                "::", ":us-east-1:", 1
            )
        },
    ),
    "aws:budgets/budget:Budget": ResourceType(("name", "limitAmount", "timeUnit"), "budget"),
    "aws:ssm/parameter:Parameter": ResourceType(
        ("name", "type"),
        outputs=lambda where, seed, name, s: {"id": s["name"], "arn": where.arn("ssm", f"parameter{s['name']}")},
    ),
    "aws:cfg/recorder:Recorder": ResourceType(("name", "recordingGroup"), "Config recorder", (10, "fast")),
    "aws:cfg/deliveryChannel:DeliveryChannel": ResourceType(("name",), seconds=(5, "fast")),
    "aws:cfg/recorderStatus:RecorderStatus": ResourceType(("isEnabled",), seconds=(5, "fast")),
    "aws:arcregionswitch/plan:Plan": ResourceType(
        ("name", "primaryRegion", "regions"), "Region switch plan", (10, "fast"), _region_switch_plan
    ),
    "aws:cfg/rule:Rule": ResourceType(("name", "source"), "Config rule", (10, "fast")),
    "pulumi:pulumi:StackReference": ResourceType(("name",)),
}

# Views the plan, diagram and estimate read.
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {t: r.summary for t, r in TYPES.items() if r.summary}
NODES: dict[str, str] = {t: r.node for t, r in TYPES.items() if r.node}
TYPICAL_SECONDS: dict[str, tuple[float, str]] = {t: r.seconds for t, r in TYPES.items() if r.seconds}


def outputs_of(typ: str) -> Outputs:
    found = TYPES.get(typ)
    return found.outputs if found and found.outputs else default_outputs
