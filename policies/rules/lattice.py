"""VPC Lattice: IAM auth with a conditioned auth policy, RDS published by ARN, both kinds of access logs, and every
weighted release (canary) watched by an alarm that an EventBridge rule turns into an automated rollback."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
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
    is_false,
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
LISTENER = "aws:vpclattice/listener:Listener"
LISTENER_RULE = "aws:vpclattice/listenerRule:ListenerRule"
TARGET_GROUP = "aws:vpclattice/targetGroup:TargetGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
FUNCTION = "aws:lambda/function:Function"

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


# --- weighted releases: an alarm on the canary, and an automated way back ------------------------------------------

_LAMBDA_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:([^:]+)(?::[^:]+)?")
_ALARM_EVENT = {"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change"}


def _known_text(container: Any, key: str) -> str | None:
    """A string in a nested block; None when missing or unknown during preview."""
    try:
        found = field(container, key)
    except UnknownValueError:
        return None
    return found if isinstance(found, str) and found else None


def _weighted_forwards(resource) -> list[list[str | None]]:
    """Per forward action of a listener (defaultAction.forwards) or a rule (action.forward) with more than one target
    group: their targetGroupIdentifier in order (None where unknown during preview). When the whole action is unknown,
    its dependency edges tell how many target groups it names, not their order."""
    key = _action_key(resource)
    try:
        action = resource.props.get(key)  # not value(): an action unknown as a whole falls back to the edges
        forwards = items(field(action, "forwards" if resource.resource_type == LISTENER else "forward"))
        groups = [items(field(forward, "targetGroups")) for forward in forwards]
    except UnknownValueError:
        linked = _linked_groups(resource)
        return [[None] * len(linked)] if len(linked) > 1 else []
    return [[_known_text(g, "targetGroupIdentifier") for g in gs] for gs in groups if len(gs) > 1]


def _action_key(resource) -> str:
    return "defaultAction" if resource.resource_type == LISTENER else "action"


def _linked_groups(resource) -> list:
    """The target groups whose Outputs flowed into the resource's action (dependency edges)."""
    return [d for d in resource.property_dependencies.get(_action_key(resource), []) if d.resource_type == TARGET_GROUP]


def _same_group(a: str | None, b: str | None) -> bool:
    """Two references to one target group: equal, or an ARN and the ID it ends with (`.../targetgroup/tg-...`)."""
    if not a or not b:
        return False
    return a == b or a.endswith(f"/{b}") or b.endswith(f"/{a}")


def _group_named(identifier: str | None, groups: list) -> Any:
    """The declared target group an identifier names, by its ID or ARN (outputs, under the engine); None otherwise."""
    return next((g for g in groups if any(_same_group(identifier, text(value(g, key))) for key in ("id", "arn"))), None)


def _dimension_values(alarm) -> list[str]:
    """The known values of the alarm's dimensions, its own or those of its metricQueries' metrics."""
    found: list[str] = []

    def add(dimensions: Any) -> None:
        for key in dimensions if isinstance(dimensions, Mapping) else []:
            known = _known_text(dimensions, key)
            if known:
                found.append(known)

    try:
        add(value(alarm, "dimensions"))
        for query in items(value(alarm, "metricQueries")):
            add(field(field(query, "metric"), "dimensions"))
    except UnknownValueError:
        pass  # an unknown list of queries or dimensions: its dependency edges still link it
    return found


def _watches(alarm, identifier: str | None, group: Any) -> bool:
    """Whether the alarm's dimensions (directly or in metricQueries) refer to the target group: by the dependency edge
    of the group's Outputs, or by a known ID or ARN."""
    if group is not None and any(
        d.urn == group.urn for key in ("dimensions", "metricQueries") for d in alarm.property_dependencies.get(key, [])
    ):
        return True
    return any(_same_group(identifier, v) for v in _dimension_values(alarm))


def _admits(matcher: Any, wanted: str) -> bool:
    """Whether an event-pattern field (a list of values or content filters) matches the string `wanted`."""
    for entry in items(matcher):
        if entry == wanted:
            return True
        if isinstance(entry, dict):
            if "prefix" in entry and isinstance(entry["prefix"], str) and wanted.startswith(entry["prefix"]):
                return True
            if "suffix" in entry and isinstance(entry["suffix"], str) and wanted.endswith(entry["suffix"]):
                return True
            if (
                "wildcard" in entry
                and isinstance(entry["wildcard"], str)
                and fnmatch.fnmatchcase(wanted, entry["wildcard"])
            ):
                return True
            if (
                isinstance(entry.get("equals-ignore-case"), str)
                and entry["equals-ignore-case"].lower() == wanted.lower()
            ):
                return True
    return False


def on_default_bus(rule) -> bool:
    """Whether the EventBridge rule is on the default bus, where AWS services (CloudWatch alarms) send their events."""
    bus = text(value(rule, "eventBusName"))
    return bus in ("", "default") or bus.endswith(":event-bus/default")


def rule_enabled(rule) -> bool:
    """Whether the EventBridge rule is enabled (state, or the deprecated isEnabled)."""
    return text(value(rule, "state")) != "DISABLED" and not is_false(value(rule, "isEnabled"))


def names_alarm(rule, alarm) -> bool:
    """Whether the EventBridge rule matches the alarm entering ALARM: the alarm's Outputs flowed into its eventPattern,
    or the pattern names the alarm (detail.alarmName, or its ARN in resources) and admits CloudWatch alarm state
    changes to ALARM."""
    if any(d.urn == alarm.urn for d in rule.property_dependencies.get("eventPattern", [])):
        return True
    raw = value(rule, "eventPattern")
    try:
        pattern = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return False
    if not isinstance(pattern, dict):
        return False
    if any(key in pattern and not _admits(pattern[key], wanted) for key, wanted in _ALARM_EVENT.items()):
        return False
    detail = pattern.get("detail")
    if not isinstance(detail, dict):
        detail = {}
    state = field(detail.get("state"), "value")
    if state is not None and not _admits(state, "ALARM"):
        return False
    name, arn = text(value(alarm, "name")), text(value(alarm, "arn"))
    return bool(name and _admits(detail.get("alarmName"), name)) or bool(arn and _admits(pattern.get("resources"), arn))


def _invokes_function(target, functions: list) -> bool:
    """Whether the EventBridge target invokes a Lambda function declared in this stack: its Outputs flowed into the
    target's arn, or the arn is that function's ARN (`...:function:<name>`, optionally with a qualifier)."""
    if any(refers_to(target, "arn", f) for f in functions):
        return True
    match = _LAMBDA_FUNCTION_ARN.fullmatch(text(value(target, "arn")))
    return match is not None and any(match.group(1) == text(value(f, "name")) for f in functions)


def _canary_rollback(args, config, report):
    alarms = of_type(args, METRIC_ALARM)
    rules = [r for r in of_type(args, EVENT_RULE) if rule_enabled(r) and on_default_bus(r)]
    targets = of_type(args, EVENT_TARGET)
    functions = of_type(args, FUNCTION)
    groups = of_type(args, TARGET_GROUP)

    def rolls_back(alarm) -> bool:
        return any(
            names_alarm(r, alarm)
            and any(refers_to(t, "rule", r, ("name",)) and _invokes_function(t, functions) for t in targets)
            for r in rules
        )

    for release in of_type(args, LISTENER, LISTENER_RULE):
        kind = "listener" if release.resource_type == LISTENER else "listener rule"
        linked = _linked_groups(release)
        for identifiers in _weighted_forwards(release):
            named = [_group_named(i, groups) for i in identifiers]
            for identifier, group in list(zip(identifiers, named, strict=True))[1:]:
                if identifier is None:
                    continue  # unknown during preview: counted below
                watching = [a for a in alarms if _watches(a, identifier, group)]
                if not watching:
                    report(
                        f"{kind} {release.name!r} forwards by weight to canary target group {identifier!r}, which no "
                        f"CloudWatch alarm watches (a MetricAlarm whose dimensions or metricQueries name it): a bad "
                        f"release would keep its share of traffic",
                        release.urn,
                    )
                elif not any(rolls_back(a) for a in watching):
                    names = format_list(repr(text(value(a, "name")) or a.name) for a in watching)
                    report(
                        f"{kind} {release.name!r} forwards by weight to canary target group {identifier!r}, but its "
                        f"alarm(s) {names} have no rollback path: add an EventBridge rule whose eventPattern names "
                        f"them, with an EventTarget invoking a Lambda function of this stack that returns the weight to stable",
                        release.urn,
                    )
            unknown = sum(i is None for i in identifiers[1:])
            if unknown:
                # Which linked group is the canary can't be told yet: all but one of those not known to be named
                # otherwise must be watched by an alarm with a rollback path.
                candidates = [g for g in linked if not any(n is not None and n.urn == g.urn for n in named)]
                guarded = [g for g in candidates if any(_watches(a, None, g) and rolls_back(a) for a in alarms)]
                if len(guarded) < unknown:
                    report(
                        f"{kind} {release.name!r} forwards by weight to {len(identifiers)} target groups whose IDs are "
                        f"unknown during preview, but only {len(guarded)} of the target groups linked to it, not the "
                        f"{unknown} canaries, has a CloudWatch alarm with a rollback path (EventBridge rule → Lambda "
                        f"function)",
                        release.urn,
                    )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "lattice-service-network-iam-auth",
        "VPC Lattice service networks use auth type AWS_IAM",
        types=[SERVICE_NETWORK],
        check=_iam_auth,
        level=MANDATORY,
        severity=HIGH,
    ),
    ResourceRule(
        "lattice-service-iam-auth",
        "VPC Lattice services use auth type AWS_IAM",
        types=[SERVICE],
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
    StackRule(
        "lattice-canary-rollback",
        "Every VPC Lattice listener or rule that forwards by weight to more than one target group has a CloudWatch "
        "alarm on each target group after the first (the canaries), and an EventBridge rule on that alarm invoking a "
        "Lambda function of the stack (the automated rollback)",
        types=[LISTENER, LISTENER_RULE, TARGET_GROUP, METRIC_ALARM, EVENT_RULE, EVENT_TARGET, FUNCTION],
        check=_canary_rollback,
        level=MANDATORY,
        severity=HIGH,
    ),
]
