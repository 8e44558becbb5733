"""IAM: no administrator statements, role trust limited to named accounts with an external ID or, for AWS services,
to this owner's resources; ABAC tags unforgeable; changes to VPC Lattice routing only on named listeners and rules."""

from __future__ import annotations

import re

from .common import (
    ADVISORY,
    HIGH,
    LOW,
    MANDATORY,
    DocumentError,
    ResourceRule,
    StackRule,
    account_of,
    actions,
    allows,
    conditions,
    document,
    field,
    format_list,
    grants_action,
    is_public_principal,
    items,
    label,
    principals,
    source_limited,
    statements,
)

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
IDENTITY_POLICY_TYPES = [ROLE_POLICY, POLICY, USER_POLICY, GROUP_POLICY, ROLE]
# Services that assume the stacks' roles on behalf of one resource and send its aws:SourceArn and aws:SourceAccount.
SOURCE_AWARE_SERVICES = ["cloudtrail.amazonaws.com", "monitoring.rds.amazonaws.com"]
# What moves traffic between target groups (the canary rollback's job), and the ARNs that confine it: one named
# listener of one named service in a named region and account, or rules under it (`/rule/*` is that listener's rules).
LATTICE_ROUTING_ACTIONS = ["vpc-lattice:UpdateListener", "vpc-lattice:UpdateRule", "vpc-lattice:BatchUpdateRule"]
_NAMED_LISTENER = re.compile(
    r"arn:aws[a-z-]*:vpc-lattice:[a-z0-9-]+:\d{12}:service/[^/*?$]+/listener/[^/*?$]+(/rule/[^/]+)?"
)


def _identity_documents(args, report):
    """(where, document) for every identity policy on the resource: its `policy`, or a role's inline policies."""
    props = args.props
    if args.resource_type == ROLE:
        sources = [
            (f"inlinePolicies[{i}]", field(p, "policy")) for i, p in enumerate(items(props.get("inlinePolicies")))
        ]
    else:
        sources = [("policy", props.get("policy"))]
    for where, raw in sources:
        if raw is None and args.resource_type == ROLE:
            continue
        try:
            yield where, document(raw)
        except DocumentError as error:
            report(f"{where} {error}")


def _no_admin(args, config, report):
    for where, doc in _identity_documents(args, report):
        for i, s in enumerate(statements(doc)):
            resources = [r for r in items(s.get("Resource")) if isinstance(r, str)]
            if allows(s) and any(a in ("*", "*:*") for a in actions(s)) and "*" in resources:
                report(f'{where} {label(s, i)} allows Action "*" on Resource "*": full administrator access')


def _no_service_wildcards(args, config, report):
    for where, doc in _identity_documents(args, report):
        for i, s in enumerate(statements(doc)):
            wild = [a for a in actions(s) if a.endswith(":*") and a != "*:*"]
            if allows(s) and wild:
                report(
                    f"{where} {label(s, i)} allows every action of a service ({format_list(wild)}): list the actions"
                )


def _trust(args, report):
    try:
        return document(args.props.get("assumeRolePolicy"))
    except DocumentError as error:
        report(f"assumeRolePolicy {error}")
        return None


def _no_public_principal(args, config, report):
    doc = _trust(args, report)
    for i, s in enumerate(statements(doc) if doc else []):
        if allows(s) and is_public_principal(s) and not s.get("Condition"):
            report(f'assumeRolePolicy {label(s, i)} lets Principal "*" assume the role without any condition')


def _has_external_id(statement) -> bool:
    return any(
        operator == "StringEquals"
        and key == "sts:externalid"
        and values
        and all(isinstance(v, str) and v for v in values)
        for operator, key, values in conditions(statement)
    )


def _cross_account_external_id(args, config, report):
    own = set(config["ownAccountIds"])
    doc = _trust(args, report)
    for i, s in enumerate(statements(doc) if doc else []):
        if not allows(s) or not grants_action(s, "sts:AssumeRole"):
            continue
        aws = principals(s).get("AWS", []) + (["*"] if "*" in principals(s) else [])
        outside = sorted({account_of(p) or p for p in aws if account_of(p) not in own})
        if outside and not _has_external_id(s):
            report(
                f"assumeRolePolicy {label(s, i)} lets {format_list(outside)} assume the role without a StringEquals "
                f"sts:ExternalId condition (confused deputy)"
            )


def _no_session_tags(args, config, report):
    tags = args.props.get("tags") or {}
    abac = [key for key in config["abacTagKeys"] if key in tags]
    if not abac:
        return
    doc = _trust(args, report)
    for i, s in enumerate(statements(doc) if doc else []):
        callers = principals(s)
        if allows(s) and ("AWS" in callers or "*" in callers) and grants_action(s, "sts:TagSession"):
            report(
                f"assumeRolePolicy {label(s, i)} allows sts:TagSession: session tags would override the role's "
                f"{format_list(abac)} tags, which access decisions rely on"
            )


def _service_source(args, config, report):
    watched = {s.lower() for s in config["servicePrincipals"]}
    doc = _trust(args, report)
    for i, s in enumerate(statements(doc) if doc else []):
        services = [p for p in principals(s).get("Service", []) if p.lower() in watched]
        if allows(s) and services and not source_limited(s):
            report(
                f"assumeRolePolicy {label(s, i)} lets {format_list(services)} assume the role without an "
                f"aws:SourceArn or aws:SourceAccount condition naming this owner's resource or account: the service "
                f"could be made to use the role for another account's resource (confused deputy)"
            )


def _lattice_routing_scoped(args, config, report):
    for where, doc in _identity_documents(args, report):
        for i, s in enumerate(statements(doc)):
            granted = [a for a in LATTICE_ROUTING_ACTIONS if grants_action(s, a)]
            if not allows(s) or not granted:
                continue
            what = f"{where} {label(s, i)} allows {format_list(granted)}"
            if "NotResource" in s:
                report(
                    f"{what} with NotResource, so on every listener and rule but the excluded ones: name them in Resource"
                )
                continue
            resources = [r for r in items(s.get("Resource")) if isinstance(r, str)]
            if "*" in resources:
                report(f'{what} on Resource "*": any listener or rule in the account could be re-weighted; name '
                       f"the listener and rule ARNs")  # fmt: skip
            wide = [r for r in resources if r != "*" and any(c in r for c in "*?") and not _NAMED_LISTENER.fullmatch(r)]
            if wide:
                report(f"{what} on {format_list(wide)}, which reach(es) listeners or rules beyond named ones: name the "
                       f"listener and rule ARNs")  # fmt: skip


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "iam-no-admin-statements",
        'IAM identity policies never allow Action "*" on Resource "*"',
        types=IDENTITY_POLICY_TYPES,
        check=_no_admin,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub IAM.1", "CIS 1.16", "checkov CKV_AWS_62"],
    ),
    ResourceRule(
        "iam-no-service-wildcard-actions",
        'IAM identity policies list actions rather than allow a whole service ("service:*")',
        types=IDENTITY_POLICY_TYPES,
        check=_no_service_wildcards,
        level=ADVISORY,
        severity=LOW,
        controls=["Security Hub IAM.21", "checkov CKV_AWS_63"],
    ),
    ResourceRule(
        "iam-trust-no-public-principal",
        'IAM role trust policies never let Principal "*" assume the role without a condition',
        types=[ROLE],
        check=_no_public_principal,
        level=MANDATORY,
        severity=HIGH,
        controls=["checkov CKV_AWS_60", "checkov CKV_AWS_61"],
    ),
    ResourceRule(
        "iam-cross-account-trust-external-id",
        "IAM roles that other accounts may assume require an sts:ExternalId",
        types=[ROLE],
        check=_cross_account_external_id,
        level=MANDATORY,
        severity=HIGH,
        config={
            "ownAccountIds": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]{12}$"},
                "default": [],
                "description": "Accounts whose principals may assume roles without an external ID (the stacks' own "
                "accounts); every other account is cross-account.",
            }
        },
    ),
    ResourceRule(
        "iam-trust-no-session-tags",
        "IAM roles carrying attribute-based access tags don't let callers set session tags",
        types=[ROLE],
        check=_no_session_tags,
        level=MANDATORY,
        severity=HIGH,
        config={
            "abacTagKeys": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["Team", "TenantAccount"],
                "description": "Role tags that auth policies read as aws:PrincipalTag/<key>.",
            }
        },
    ),
    ResourceRule(
        "iam-service-trust-source-conditions",
        "IAM roles that AWS services assume are limited to this owner's resources by aws:SourceArn or "
        "aws:SourceAccount",
        types=[ROLE],
        check=_service_source,
        level=MANDATORY,
        severity=HIGH,
        config={
            "servicePrincipals": {
                "type": "array",
                "items": {"type": "string"},
                "default": SOURCE_AWARE_SERVICES,
                "description": "Service principals whose trust statements need the condition (services that send "
                "aws:SourceArn/aws:SourceAccount when they assume a role).",
            }
        },
    ),
    ResourceRule(
        "iam-lattice-routing-scoped",
        "IAM identity policies allow re-weighting VPC Lattice listeners and rules (vpc-lattice:UpdateListener, "
        'UpdateRule, BatchUpdateRule) only on named listener and rule ARNs, never on Resource "*"',
        types=IDENTITY_POLICY_TYPES,
        check=_lattice_routing_scoped,
        level=MANDATORY,
        severity=HIGH,
    ),
]
