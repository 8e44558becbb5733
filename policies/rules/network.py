"""Security groups: nothing open to the internet, the database reachable from the resource gateway only."""

from __future__ import annotations

from .common import (
    ADVISORY,
    CRITICAL,
    LOW,
    MANDATORY,
    MEDIUM,
    ResourceRule,
    StackRule,
    field,
    format_list,
    is_wide_network,
    items,
    number,
    of_type,
    refers_to,
    text,
    value,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INSTANCE = "aws:rds/instance:Instance"
RESOURCE_GATEWAY = "aws:vpclattice/resourceGateway:ResourceGateway"

DEFAULT_PORTS = {"mysql": 3306, "mariadb": 3306, "postgres": 5432}
PROVIDER_DEFAULT_DESCRIPTION = "Managed by Pulumi"


def _open_ranges(*values) -> list[str]:
    return [str(v) for value_ in values for v in items(value_) if is_wide_network(v)]


def _no_public_ingress(args, config, report):
    props = args.props
    if args.resource_type == INGRESS_RULE:
        wide = _open_ranges(props.get("cidrIpv4"), props.get("cidrIpv6"))
        if wide:
            report(f"admits {format_list(wide)}: reference a security group or a narrow CIDR instead")
    elif args.resource_type == SECURITY_GROUP_RULE:
        if text(props.get("type")) == "ingress":
            wide = _open_ranges(props.get("cidrBlocks"), props.get("ipv6CidrBlocks"))
            if wide:
                report(f"admits {format_list(wide)}: reference a security group or a narrow CIDR instead")
    else:
        for i, rule in enumerate(items(props.get("ingress"))):
            wide = _open_ranges(field(rule, "cidrBlocks"), field(rule, "ipv6CidrBlocks"))
            if wide:
                report(f"ingress[{i}] admits {format_list(wide)}: reference a security group or a narrow CIDR instead")


def _descriptions(args, config, report):
    props = args.props
    if args.resource_type == SECURITY_GROUP:
        description = text(props.get("description")).strip()
        if not description or description == PROVIDER_DEFAULT_DESCRIPTION:
            report(
                f"the security group has no description of its own ({PROVIDER_DEFAULT_DESCRIPTION!r} is the default)"
            )
        for kind in ("ingress", "egress"):
            for i, rule in enumerate(items(props.get(kind))):
                if not text(field(rule, "description")).strip():
                    report(f"{kind}[{i}] has no description")
    elif not text(props.get("description")).strip():
        report("the rule has no description: say whom it admits and why")


def _port(instance) -> int | None:
    port = number(value(instance, "port"))
    if port is not None:
        return int(port)
    return DEFAULT_PORTS.get(text(value(instance, "engine")).lower())


def _db_ingress_from_gateway_only(args, config, report):
    groups = of_type(args, SECURITY_GROUP)
    gateway_groups = [
        g for g in groups if any(refers_to(gw, "securityGroupIds", g) for gw in of_type(args, RESOURCE_GATEWAY))
    ]
    for instance in of_type(args, INSTANCE):
        db_groups = [g for g in groups if refers_to(instance, "vpcSecurityGroupIds", g)]
        declared = value(instance, "vpcSecurityGroupIds")
        listed = len(declared) if declared is not None and not isinstance(declared, str) else 0
        if not db_groups:
            report(
                f"database {instance.name!r} uses no security group declared in this stack, so what may reach it "
                f"can't be checked (without vpcSecurityGroupIds RDS uses the VPC's default group)",
                instance.urn,
            )
            continue
        if listed > len(db_groups):
            report(
                f"database {instance.name!r} lists {listed - len(db_groups)} security group(s) not declared in this "
                f"stack: their rules can't be checked",
                instance.urn,
            )
        port = _port(instance)
        for group in db_groups:
            _check_db_group(args, group, gateway_groups, port, report)


def _check_db_group(args, group, gateway_groups, port, report) -> None:
    def problem(rule_urn: str, what: str) -> None:
        report(f"ingress to database security group {group.name!r} {what}", rule_urn)

    expected = f"tcp {port}" if port is not None else "the database port"
    for i, _rule in enumerate(items(value(group, "ingress"))):
        problem(
            group.urn, f"is declared inline (ingress[{i}]): use one SecurityGroupIngressRule from the gateway's group"
        )
    for rule in of_type(args, INGRESS_RULE, SECURITY_GROUP_RULE):
        if not refers_to(rule, "securityGroupId", group):
            continue
        if rule.resource_type == SECURITY_GROUP_RULE:
            if text(value(rule, "type")) != "ingress":
                continue
            source_key, protocol_key = "sourceSecurityGroupId", "protocol"
            cidrs = [
                *items(value(rule, "cidrBlocks")),
                *items(value(rule, "ipv6CidrBlocks")),
                *items(value(rule, "prefixListIds")),
            ]
        else:
            source_key, protocol_key = "referencedSecurityGroupId", "ipProtocol"
            cidrs = [c for c in (value(rule, "cidrIpv4"), value(rule, "cidrIpv6"), value(rule, "prefixListId")) if c]
        if cidrs:
            problem(
                rule.urn, f"{rule.name!r} admits {format_list(cidrs)}: only the resource gateway's group may connect"
            )
        if not any(refers_to(rule, source_key, g) for g in gateway_groups):
            problem(rule.urn, f"{rule.name!r} does not come from the resource gateway's security group")
        protocol = text(value(rule, protocol_key)).lower()
        low, high = number(value(rule, "fromPort")), number(value(rule, "toPort"))
        if protocol not in ("tcp", "6") or port is None or low != port or high != port:
            shown = f"{protocol or '?'} {low if low is None else int(low)}-{high if high is None else int(high)}"
            problem(rule.urn, f"{rule.name!r} opens {shown}; open {expected} only")


def _rule_management_conflicts(args, config, report):
    rules = of_type(args, INGRESS_RULE, EGRESS_RULE, SECURITY_GROUP_RULE)
    for group in of_type(args, SECURITY_GROUP):
        inline = [kind for kind in ("ingress", "egress") if items(value(group, kind))]
        separate = [r.name for r in rules if refers_to(r, "securityGroupId", group)]
        if inline and separate:
            report(
                f"security group {group.name!r} has inline {' and '.join(inline)} rules and separate rule resources "
                f"({format_list(separate)}): the two overwrite each other on every update",
                group.urn,
            )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "sg-no-public-ingress",
        "Security groups admit no traffic from 0.0.0.0/0 or ::/0",
        types=[SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE],
        check=_no_public_ingress,
        level=MANDATORY,
        severity=CRITICAL,
        controls=["Security Hub EC2.18", "Security Hub EC2.19"],
    ),
    StackRule(
        "sg-db-ingress-from-gateway-only",
        "A database's security groups admit only its port, and only from the VPC Lattice resource gateway's security "
        "group",
        types=[INSTANCE, SECURITY_GROUP, INGRESS_RULE, SECURITY_GROUP_RULE, RESOURCE_GATEWAY],
        check=_db_ingress_from_gateway_only,
        level=MANDATORY,
        severity=CRITICAL,
    ),
    ResourceRule(
        "sg-descriptions",
        "Security groups and their rules carry descriptions",
        types=[SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE, SECURITY_GROUP_RULE],
        check=_descriptions,
        level=ADVISORY,
        severity=LOW,
        controls=["checkov CKV_AWS_23"],
    ),
    StackRule(
        "sg-no-rule-management-conflicts",
        "Security groups don't mix inline rules with separate rule resources",
        types=[SECURITY_GROUP, INGRESS_RULE, EGRESS_RULE, SECURITY_GROUP_RULE],
        check=_rule_management_conflicts,
        level=ADVISORY,
        severity=MEDIUM,
        controls=["AWSGuard security-group-no-rule-management-conflicts"],
    ),
]
