"""Security groups: nothing open to the internet, the database reachable from the resource gateway only. Flow logs on
every subnet the stack puts network interfaces in."""

from __future__ import annotations

from pulumi_policy import PolicyResource

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
    known_texts,
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
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"
# Security Hub EC2.6 (trafficType parameter REJECT): a flow log of accepted traffic only shows no probing.
LOGGED_TRAFFIC = ("ALL", "REJECT")

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


def _subnets(holder, declared: list) -> list[tuple[str, str | None, PolicyResource | None]]:
    """(label, literal ID, declared Subnet) for each subnet the gateway or endpoint names in subnetIds: by a known ID
    (matched to a declared Subnet when one has it), or by the dependency edge of a Subnet declared in this stack."""
    found: list[tuple[str, str | None, PolicyResource | None]] = []
    for literal in known_texts(value(holder, "subnetIds")):
        subnet = next((s for s in declared if literal == text(value(s, "id"))), None)
        found.append((literal, literal, subnet))
    for dependency in holder.property_dependencies.get("subnetIds", []):
        known = any(s is not None and s.urn == dependency.urn for _, _, s in found)
        if dependency.resource_type == SUBNET and not known:
            found.append((dependency.name, None, dependency))
    return found


def _logs_subnet(flow_log, literal: str | None, subnet) -> bool:
    if subnet is not None and refers_to(flow_log, "subnetId", subnet):
        return True
    return literal is not None and text(value(flow_log, "subnetId")) == literal


def _logs_vpc_of(flow_log, holder) -> bool:
    """Whether the flow log is on the holder's VPC: the same literal ID, or both linked to one declared VPC."""
    vpc = text(value(holder, "vpcId"))
    if vpc and text(value(flow_log, "vpcId")) == vpc:
        return True
    linked = {d.urn for d in holder.property_dependencies.get("vpcId", [])}
    return any(d.urn in linked for d in flow_log.property_dependencies.get("vpcId", []))


def _interface_flow_logs(args, config, report):
    flow_logs, declared = of_type(args, FLOW_LOG), of_type(args, SUBNET)
    for holder in of_type(args, RESOURCE_GATEWAY, VPC_ENDPOINT):
        kind = "resource gateway" if holder.resource_type == RESOURCE_GATEWAY else "VPC endpoint"
        vpc_logs = [f for f in flow_logs if _logs_vpc_of(f, holder)]
        for label, literal, subnet in _subnets(holder, declared):
            covering = vpc_logs + [f for f in flow_logs if _logs_subnet(f, literal, subnet)]
            if any(text(value(f, "trafficType")) in LOGGED_TRAFFIC for f in covering):
                continue
            if covering:
                types = format_list(sorted({text(value(f, "trafficType")) or "not set" for f in covering}))
                problem = f"is covered only by flow logs of trafficType {types}"
            else:
                problem = "has no flow log, nor has its VPC"
            report(
                f"{kind} {holder.name!r} puts network interfaces in subnet {label!r}, which {problem}: add an "
                f"ec2.FlowLog on the subnet (or its VPC) with traffic_type ALL or REJECT, so traffic to and from "
                f"those interfaces can be investigated",
                holder.urn,
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
    StackRule(
        "vpc-flow-logs-on-interface-subnets",
        "Every subnet a VPC Lattice resource gateway or a VPC endpoint puts network interfaces in has a flow log of all "
        "or rejected traffic, on the subnet or on its VPC",
        types=[RESOURCE_GATEWAY, VPC_ENDPOINT, FLOW_LOG, SUBNET],
        check=_interface_flow_logs,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub EC2.6", "CIS 3.9", "AWS Config vpc-flow-logs-enabled"],
    ),
]
