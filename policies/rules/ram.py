"""AWS RAM: share only with account IDs, organizations and OUs; outside accounts only when the pack allow-lists them."""

from __future__ import annotations

import re

from .common import HIGH, MANDATORY, ResourceRule, StackRule, is_true, of_type, refers_to, text, value

RESOURCE_SHARE = "aws:ram/resourceShare:ResourceShare"
PRINCIPAL_ASSOCIATION = "aws:ram/principalAssociation:PrincipalAssociation"
# One resource for all of a share's principals and resources (the stacks here use it).
EXCLUSIVE_ASSOCIATIONS = "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive"

ACCOUNT = re.compile(r"\d{12}")
PRINCIPAL_PATTERNS = (
    ACCOUNT,
    re.compile(r"arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}"),
    re.compile(r"arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}"),
)


def _principals_of(resource) -> list[str]:
    """The principals an association resource (one, or an exclusive set) names; `resource` is the resource's
    validation args or, in a stack policy, the resource itself (both carry `props` and `resource_type`)."""
    props = resource.props
    if resource.resource_type == EXCLUSIVE_ASSOCIATIONS:
        return [text(p) for p in props.get("principals") or []]
    return [text(props.get("principal"))]


def _principal_format(args, config, report):
    for principal in _principals_of(args):
        if not any(p.fullmatch(principal) for p in PRINCIPAL_PATTERNS):
            hint = ""
            if re.fullmatch(r"o-[a-z0-9]{10,32}", principal):
                hint = ": a bare organization ID; RAM needs the organization ARN"
            elif re.fullmatch(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}", principal):
                hint = ": a bare OU ID; RAM needs the OU ARN"
            report(
                f"principal {principal or '(not set)'!r} is not a 12-digit account ID, an organization ARN or an OU "
                f"ARN{hint}"
            )


def _external_allow_listed(args, config, report):
    allowed = set(config["allowedExternalAccountIds"])
    associations = of_type(args, PRINCIPAL_ASSOCIATION) + of_type(args, EXCLUSIVE_ASSOCIATIONS)
    for share in of_type(args, RESOURCE_SHARE):
        if not is_true(value(share, "allowExternalPrincipals")):
            continue
        if not allowed:
            report(
                f"resource share {share.name!r} allows external principals, and this pack's config allow-lists no "
                f"account (allowedExternalAccountIds)",
                share.urn,
            )
            continue
        for association in associations:
            if not refers_to(association, "resourceShareArn", share):
                continue
            for principal in _principals_of(association):
                if ACCOUNT.fullmatch(principal) and principal not in allowed:
                    report(
                        f"resource share {share.name!r} allows external principals and is shared with account "
                        f"{principal}, which allowedExternalAccountIds does not list",
                        association.urn,
                    )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "ram-principal-format",
        "RAM principals are 12-digit account IDs, organization ARNs or OU ARNs",
        types=[PRINCIPAL_ASSOCIATION, EXCLUSIVE_ASSOCIATIONS],
        check=_principal_format,
        level=MANDATORY,
        severity=HIGH,
    ),
    StackRule(
        "ram-external-principals-allow-listed",
        "RAM shares allow external principals only for accounts the pack's config allow-lists",
        types=[RESOURCE_SHARE, PRINCIPAL_ASSOCIATION, EXCLUSIVE_ASSOCIATIONS],
        check=_external_allow_listed,
        level=MANDATORY,
        severity=HIGH,
        config={
            "allowedExternalAccountIds": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[0-9]{12}$"},
                "default": [],
                "description": "Accounts a share with allowExternalPrincipals may name (every account principal of "
                "such a share must be listed: the pack can't tell which accounts are outside the organization).",
            }
        },
    ),
]
