"""VPC Lattice: IAM auth with a conditioned auth policy, RDS published by ARN, both kinds of access logs."""

from __future__ import annotations

from typing import Any

from pulumi_policy.proxy import UnknownValueError

from .common import (
    ADVISORY,
    HIGH,
    MANDATORY,
    MEDIUM,
    DocumentError,
    ResourceRule,
    StackRule,
    allows,
    document,
    field,
    format_list,
    items,
    label,
    of_type,
    refers_to,
    statements,
    text,
    value,
)

SERVICE_NETWORK = "aws:vpclattice/serviceNetwork:ServiceNetwork"
SERVICE = "aws:vpclattice/service:Service"
AUTH_POLICY = "aws:vpclattice/authPolicy:AuthPolicy"
RESOURCE_CONFIGURATION = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"
ACCESS_LOG_SUBSCRIPTION = "aws:vpclattice/accessLogSubscription:AccessLogSubscription"
VPC_ASSOCIATION = "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
RDS_TYPES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")

AUTH_POLICY_MAX_BYTES = 10 * 1024  # VPC Lattice quota, not adjustable
LOG_TYPES = ("RESOURCE", "SERVICE")
UNKNOWN = object()
LATTICE_ENDPOINT_TYPES = ("ServiceNetwork", "Resource")


def _iam_auth(args, config, report):
    auth_type = text(args.props.get("authType"))
    if auth_type != "AWS_IAM":
        report(f"authType is {auth_type or 'not set'!r} (the default is NONE): set auth_type='AWS_IAM'")


def _auth_policy(args, report):
    try:
        return document(args.props.get("policy"))
    except DocumentError as error:
        report(f"the auth policy {error}")
        return None


def _no_unconditioned_allow(args, config, report):
    doc = _auth_policy(args, report)
    found = [label(s, i) for i, s in enumerate(statements(doc) if doc else []) if allows(s) and not s.get("Condition")]
    if found:
        report(f"{format_list(found)} allow without any condition: one such statement admits everyone it names, "
               "whatever the other statements require")  # fmt: skip


def _format(args, config, report):
    raw = args.props.get("policy")
    if not isinstance(raw, str):
        report(f"the policy is a {type(raw).__name__}, not a JSON string")
        return
    try:
        document(raw)
    except DocumentError as error:
        report(f"the policy {error}")
    if "\n" in raw or "\r" in raw:
        report("the policy contains line breaks, which VPC Lattice rejects: serialize it compactly")
    size = len(raw.encode("utf-8"))
    if size > AUTH_POLICY_MAX_BYTES:
        report(f"the policy is {size:,} bytes; VPC Lattice accepts at most {AUTH_POLICY_MAX_BYTES:,}")


def _actions(args, config, report):
    doc = _auth_policy(args, report)
    for i, s in enumerate(statements(doc) if doc else []):
        if "NotAction" in s:
            report(f"{label(s, i)} uses NotAction: name the vpc-lattice-svcs actions instead")
        other = [
            a for a in items(s.get("Action")) if not (isinstance(a, str) and a.lower().startswith("vpc-lattice-svcs:"))
        ]
        if other:
            report(f"{label(s, i)} names {format_list(other)}: an auth policy governs only vpc-lattice-svcs actions")


def _auth_policy_attached(args, config, report):
    policies = of_type(args, AUTH_POLICY)
    for target in of_type(args, SERVICE_NETWORK, SERVICE):
        if text(value(target, "authType")) != "AWS_IAM":
            continue
        if not any(refers_to(p, "resourceIdentifier", target) for p in policies):
            kind = "service network" if target.resource_type == SERVICE_NETWORK else "service"
            report(
                f"{kind} {target.name!r} uses AWS_IAM but has no AuthPolicy in this stack: VPC Lattice then denies "
                f"every request",
                target.urn,
            )


def _definition(configuration, kind: str, key: str) -> Any:
    """resourceConfigurationDefinition.<kind>.<key>; UNKNOWN when only known after deployment (an ARN or DNS name
    from another resource, during preview)."""
    try:
        return field(field(value(configuration, "resourceConfigurationDefinition"), kind), key)
    except UnknownValueError:
        return UNKNOWN


def _points_at_rds(configuration) -> bool:
    linked = configuration.property_dependencies.get("resourceConfigurationDefinition", [])
    if any(r.resource_type in RDS_TYPES for r in linked):
        return True
    domain = _definition(configuration, "dnsResource", "domainName")
    return isinstance(domain, str) and ".rds.amazonaws.com" in domain.lower()


def _rds_by_arn(args, config, report):
    for configuration in of_type(args, RESOURCE_CONFIGURATION):
        if not _points_at_rds(configuration):
            continue
        kind = text(value(configuration, "type"))
        arn = _definition(configuration, "arnResource", "arn")
        if kind == "ARN" and (arn is UNKNOWN or text(arn)):
            continue
        how = f"as type {kind or 'unset'!r}" if kind != "ARN" else "as type 'ARN' without arnResource.arn"
        report(
            f"resource configuration {configuration.name!r} publishes an RDS database {how}: use type ARN with "
            f"arnResource set to the instance ARN, so Lattice follows fail-overs and clients keep the RDS host name",
            configuration.urn,
        )


def _access_logs(args, config, report):
    subscriptions = of_type(args, ACCESS_LOG_SUBSCRIPTION)
    for network in of_type(args, SERVICE_NETWORK):
        logged = {
            text(value(s, "serviceNetworkLogType")) or "SERVICE"  # the provider's default
            for s in subscriptions
            if refers_to(s, "resourceIdentifier", network)
        }
        missing = [t for t in LOG_TYPES if t not in logged]
        if missing:
            report(
                f"service network {network.name!r} has no {' or '.join(missing)} access log subscription: "
                f"RESOURCE logs record database connections, SERVICE logs service requests",
                network.urn,
            )


def _consumer_security_groups(args, config, report):
    props = args.props
    if args.resource_type == VPC_ENDPOINT and text(props.get("vpcEndpointType")) not in LATTICE_ENDPOINT_TYPES:
        return
    if not items(props.get("securityGroupIds")):
        report("securityGroupIds is empty: name the security groups that admit clients (else the VPC's default "
               "group, or no filter at all, applies)")  # fmt: skip


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "lattice-service-network-iam-auth",
        "VPC Lattice service networks use auth type AWS_IAM",
        types=[SERVICE_NETWORK],
        check=_iam_auth,
        level=MANDATORY,
        severity=HIGH,
    ),
    StackRule(
        "lattice-auth-policy-attached",
        "Every VPC Lattice service network or service with auth type AWS_IAM has an auth policy",
        types=[SERVICE_NETWORK, SERVICE, AUTH_POLICY],
        check=_auth_policy_attached,
        level=MANDATORY,
        severity=HIGH,
    ),
    ResourceRule(
        "lattice-auth-policy-conditioned",
        "VPC Lattice auth policies have no Allow statement without a condition",
        types=[AUTH_POLICY],
        check=_no_unconditioned_allow,
        level=MANDATORY,
        severity=HIGH,
    ),
    ResourceRule(
        "lattice-auth-policy-format",
        "VPC Lattice auth policies are compact JSON of at most 10 KB",
        types=[AUTH_POLICY],
        check=_format,
        level=MANDATORY,
        severity=MEDIUM,
    ),
    ResourceRule(
        "lattice-auth-policy-actions",
        "VPC Lattice auth policies name only vpc-lattice-svcs actions",
        types=[AUTH_POLICY],
        check=_actions,
        level=ADVISORY,
        severity=MEDIUM,
    ),
    StackRule(
        "lattice-rds-resource-configuration-arn",
        "VPC Lattice resource configurations publish RDS databases by ARN",
        types=[RESOURCE_CONFIGURATION, *RDS_TYPES],
        check=_rds_by_arn,
        level=ADVISORY,
        severity=MEDIUM,
    ),
    StackRule(
        "lattice-access-logs-both-types",
        "Every VPC Lattice service network has access log subscriptions of both types, RESOURCE and SERVICE",
        types=[SERVICE_NETWORK, ACCESS_LOG_SUBSCRIPTION],
        check=_access_logs,
        level=MANDATORY,
        severity=MEDIUM,
    ),
    ResourceRule(
        "lattice-consumer-security-groups",
        "VPC Lattice VPC associations and endpoints name the security groups that admit clients",
        types=[VPC_ASSOCIATION, VPC_ENDPOINT],
        check=_consumer_security_groups,
        level=ADVISORY,
        severity=MEDIUM,
    ),
]
