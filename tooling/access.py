"""Who can reach what: the planned policies and network rules, evaluated offline for every tenant.

For each tenant of an owner plan it checks, with tooling.iam_eval:
- services: the tenant role may invoke services of the shared network from its own account's VPCs inside the access
  window, and not from any other tenant's, the owner's or a stranger's VPC, nor outside the window; roles that are
  not tenant roles, and anonymous callers, are refused;
- database: the RAM share names the tenant (or its organization), the tenant stack connects its VPC, the security
  groups form the one path client SGs → endpoint → resource gateway SG → DB SG on the database port, and the role
  may `rds-db:connect` as the tenant's own DB user and as no other tenant's;
- trust: only the tenant's account, with the tenant's external ID, may assume the tenant's role.
Every check records what was expected and what the evaluation gave; a mismatch is a problem and fails the plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tooling.iam_eval import CheckedPolicy, Request, checked, decide, lattice_decision
from tooling.records import Registration, reveal

NOT_GOVERNED = (
    "The service network's auth policy does not apply to resource configurations: the database path is governed "
    "by the RAM share, the security groups and IAM database authentication, checked separately below."
)
STRANGER_ACCOUNT = "999999999999"
# Every tenant is checked against every other up to this many tenants; beyond, against its RING_NEIGHBOURS next
# tenants in name order (so each pair of neighbours is checked both ways), which keeps the analysis linear. The
# decisions don't depend on which other tenant is tried: the documents are the same shape for all (the property
# tests cover the general case).
PAIRWISE_LIMIT = 50
RING_NEIGHBOURS = 3


def others(names: list[str], name: str, index: int | None = None) -> list[str]:
    """The other tenants `name` is checked against (`names` sorted; `index`: its position, if known)."""
    if len(names) <= PAIRWISE_LIMIT:
        return [n for n in names if n != name]
    i = names.index(name) if index is None else index
    return sorted({names[(i + k) % len(names)] for k in range(1, RING_NEIGHBOURS + 1)})


@dataclass
class Check:
    what: str
    expected: str
    actual: str

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


@dataclass
class TenantAccess:
    tenant: str
    account: str
    team: str
    role_arn: str
    db_user: str
    services: list[Check] = field(default_factory=list)
    database: list[Check] = field(default_factory=list)
    trust: list[Check] = field(default_factory=list)
    path: list[str] = field(default_factory=list)  # the database path, for people
    window: tuple[str, str] = ("", "")

    @property
    def checks(self) -> list[Check]:
        return self.services + self.database + self.trust


def _of_type(resources: list[Registration], typ: str) -> list[Registration]:
    return [r for r in resources if r.type == typ]


def _json(value: Any) -> dict:
    return json.loads(reveal(value))


def _window(auth_policy: dict) -> tuple[str, str]:
    condition = auth_policy["Statement"][0]["Condition"]
    return condition["DateGreaterThanEquals"]["aws:CurrentTime"], condition["DateLessThan"]["aws:CurrentTime"]


def _at(moment: str, seconds: int) -> str:
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _caller(role: Registration, role_arn: str, owner_account: str) -> dict[str, str]:
    tags = role.inputs.get("tags", {})
    context = {"aws:PrincipalArn": role_arn, "aws:PrincipalAccount": owner_account, "aws:PrincipalType": "AssumedRole"}
    context.update({f"aws:PrincipalTag/{k}": v for k, v in tags.items()})
    return context


def _invoke(
    identity: list[CheckedPolicy],
    auth_policies: list[CheckedPolicy],
    service: str,
    network_arn: str,
    source_account: str,
    when: str,
    context: dict[str, str],
    principal: str | None,
) -> str:
    """The VPC Lattice decision for one Invoke request: identity (none when unsigned) AND every auth policy (the
    network's and the service's)."""
    request = Request(
        action="vpc-lattice-svcs:Invoke",
        resource=service,
        principal_arn=principal,
        context={
            **context,
            "vpc-lattice-svcs:SourceVpcOwnerAccount": source_account,
            "vpc-lattice-svcs:ServiceNetworkArn": network_arn,
            "aws:CurrentTime": when,
        },
    )
    return lattice_decision(
        identity_policies=identity if principal else [], auth_policies=auth_policies, request=request
    )


def analyse(owner: Any, tenants: list[Any], primary: Any = None) -> list[TenantAccess]:
    """The access report for one owner plan and the tenant plans that read it. For a recovery stack's plan,
    `primary` is its primary owner's: the tenant roles and their first inline policy live there, and a role's
    identity is every inline policy it has in both."""
    resources = owner.resources
    exports = owner.result.exports
    owner_account, region = exports["owner_account_id"], exports["region"]
    network_arn = exports["service_network_arn"]
    # Each policy is read and checked once, then asked about by every request below.
    auth_documents = {
        r.inputs["resourceIdentifier"]: _json(r.inputs["policy"])
        for r in _of_type(resources, "aws:vpclattice/authPolicy:AuthPolicy")
    }
    auth_policies = {target: checked(doc, resource_based=True) for target, doc in auth_documents.items()}
    auth_policy = auth_policies[exports["service_network_id"]]
    not_before, not_after = _window(auth_documents[exports["service_network_id"]])
    services = exports.get("services") or {}
    holders = [owner] + ([primary] if primary is not None else [])
    roles = {r.inputs["name"]: r for plan in holders for r in _of_type(plan.resources, "aws:iam/role:Role")}
    role_policies: dict[str, list[CheckedPolicy]] = {}
    for plan in holders:
        for r in _of_type(plan.resources, "aws:iam/rolePolicy:RolePolicy"):
            role_policies.setdefault(r.inputs["role"], []).append(
                checked(_json(r.inputs["policy"]), resource_based=False)
            )
    accounts = exports["tenant_account_ids"]
    users = exports["tenant_db_users"]
    role_arns = exports["tenant_role_arns"]
    db_user_arn = "arn:aws:rds-db:{region}:{account}:dbuser:{resource}/{user}".format
    external_ids = {
        name: _json(roles[arn.rsplit("/", 1)[-1]].inputs["assumeRolePolicy"])["Statement"][0]["Condition"][
            "StringEquals"
        ]["sts:ExternalId"]
        for name, arn in role_arns.items()
    }

    names = sorted(accounts)
    position = {n: i for i, n in enumerate(names)}
    path = _SharedPath(owner)  # what every tenant's database path shares, found once
    report = []
    for name in names:
        role_arn = role_arns[name]
        role = roles[role_arn.rsplit("/", 1)[-1]]
        identity = role_policies[role.inputs["name"]]
        access = TenantAccess(name, accounts[name], role.inputs["tags"].get("Team", ""), role_arn, users[name])
        access.window = (not_before, not_after)
        caller = _caller(role, role_arn, owner_account)

        inside = _at(not_before, 3600)
        compared = others(names, name, position[name])
        for service_name, service in sorted(services.items()):
            policies = [auth_policy, auth_policies[service["arn"]]]
            target = f"{service['arn']}/orders"

            def invoke(source: str, when: str, context: dict[str, str], principal: str | None) -> str:
                return _invoke(identity, policies, target, network_arn, source, when, context, principal)  # noqa: B023

            if name not in service["tenants"]:
                actual = invoke(accounts[name], inside, caller, role_arn)
                what = f"invoke {service_name} (not allowed for {name}) from its own VPC"
                access.services.append(Check(what, "implicit-deny", actual))
                continue
            for source in sorted({accounts[n] for n in [name, *compared]} | {owner_account, STRANGER_ACCOUNT}):
                expected = "allow" if source == accounts[name] else "implicit-deny"
                actual = invoke(source, inside, caller, role_arn)
                access.services.append(Check(f"invoke {service_name} from a VPC of account {source}", expected, actual))
            for label, when in (("1 s before the window", _at(not_before, -1)), ("at the window's end", not_after)):
                actual = invoke(accounts[name], when, caller, role_arn)
                access.services.append(
                    Check(f"invoke {service_name} from its own VPC {label}", "implicit-deny", actual)
                )
            impostor = f"arn:aws:iam::{owner_account}:role/admin"
            actual = invoke(accounts[name], inside, {**caller, "aws:PrincipalArn": impostor}, impostor)
            what = f"invoke {service_name} as a non-tenant role with the same tags"
            access.services.append(Check(what, "implicit-deny", actual))
            actual = invoke(accounts[name], inside, {"aws:PrincipalType": "Anonymous"}, None)
            access.services.append(Check(f"invoke {service_name} unsigned (anonymous)", "implicit-deny", actual))

        resource_id = exports.get("database_resource_id", "db-UNKNOWN")
        for other in sorted([name, *compared]):
            arn = db_user_arn(region=region, account=owner_account, resource=resource_id, user=users[other])
            actual = decide(identity_policies=identity, request=Request("rds-db:connect", arn, role_arn, caller))
            expected = "allow" if other == name else "implicit-deny"
            access.database.append(Check(f"rds-db:connect as {users[other]} ({other})", expected, actual))

        trust_policy = checked(_json(role.inputs["assumeRolePolicy"]), resource_based=True)
        for account in sorted({accounts[n] for n in [name, *compared]} | {STRANGER_ACCOUNT}):
            for id_label, external_id in (("its external ID", external_ids[name]), ("another ID", "wrong-external-id")):
                request = Request(
                    "sts:AssumeRole", role_arn, f"arn:aws:iam::{account}:role/app", {"sts:ExternalId": external_id}
                )
                actual = decide(resource_policies=[trust_policy], request=request)
                expected = "allow" if account == accounts[name] and id_label == "its external ID" else "implicit-deny"
                access.trust.append(Check(f"assume from account {account} with {id_label}", expected, actual))

        _database_path(
            access, path, [t for t in tenants if t.result and t.result.exports.get("database_user") == users[name]]
        )
        report.append(access)
    return report


class _SharedPath:
    """The owner side of every tenant's database path: the share's principals, and whether the security groups form
    the one path gateway → database on the port (the same for all tenants, so evaluated once)."""

    def __init__(self, owner: Any) -> None:
        resources = owner.resources
        by_type: dict[str, list[Registration]] = {}
        for r in resources:
            by_type.setdefault(r.type, []).append(r)
        self.port = port = owner.result.exports["database_port"]
        principals = [
            r.inputs["principal"] for r in by_type.get("aws:ram/principalAssociation:PrincipalAssociation", [])
        ]
        exclusive = "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive"
        principals += [p for r in by_type.get(exclusive, []) for p in r.inputs.get("principals", [])]
        self.principals = set(principals)
        self.organizations = [p for p in principals if ":organizations::" in p]

        (db,) = by_type["aws:rds/instance:Instance"]
        (gateway,) = by_type["aws:vpclattice/resourceGateway:ResourceGateway"]
        db_sgs = set(db.property_dependencies.get("vpcSecurityGroupIds", []))
        gateway_sgs = set(gateway.property_dependencies.get("securityGroupIds", []))

        def rules_on(groups: set[str], typ: str) -> list[Registration]:
            return [r for r in by_type.get(typ, []) if set(r.property_dependencies.get("securityGroupId", [])) & groups]

        def only(rules: list[Registration], peers: set[str]) -> bool:
            return bool(rules) and all(
                set(r.property_dependencies.get("referencedSecurityGroupId", [])) <= peers
                and r.property_dependencies.get("referencedSecurityGroupId")
                and not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(r.inputs)
                and r.inputs.get("ipProtocol") == "tcp"
                and r.inputs.get("fromPort") == r.inputs.get("toPort") == port
                for r in rules
            )

        self.ingress_only = only(
            rules_on(db_sgs, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), gateway_sgs
        )
        self.egress_only = only(
            rules_on(gateway_sgs, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"), db_sgs
        )


def _database_path(access: TenantAccess, shared: _SharedPath, tenant_plans: list[Any]) -> None:
    """RAM principal, connection, and the security-group chain on the database port."""
    port = shared.port
    if access.account in shared.principals:
        ram = f"the RAM share names account {access.account}"
    else:
        orgs = shared.organizations
        ram = f"the RAM share names {', '.join(orgs)} (covers {access.account} if it is a member)" if orgs else ""
    access.database.append(Check("RAM share reaches the tenant", "yes", "yes" if ram else "no"))
    access.database.append(
        Check(f"DB SG admits only the gateway SG, TCP {port}", "yes", "yes" if shared.ingress_only else "no")
    )
    access.database.append(
        Check(f"gateway SG sends only to the DB SG, TCP {port}", "yes", "yes" if shared.egress_only else "no")
    )

    connection = "no tenant stack in this repository"
    if tenant_plans:
        tenant = tenant_plans[0]
        tenant_resources = tenant.resources
        endpoint = _of_type(tenant_resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
        association = _of_type(
            tenant_resources, "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
        )
        connection = (
            f"{endpoint[0].inputs['vpcEndpointType']} endpoint in {endpoint[0].inputs['vpcId']}"
            if endpoint
            else f"service-network association of {association[0].inputs['vpcIdentifier']}"
            if association
            else "none"
        )
        clients = sorted(
            r.inputs["referencedSecurityGroupId"]
            for r in _of_type(tenant_resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r.inputs.get("fromPort") == port
        )
        access.path.append(f"clients {', '.join(clients)} → {connection} (tenant stack {tenant.name})")
        access.database.append(
            Check("the tenant stack connects its VPC", "yes", "yes" if endpoint or association else "no")
        )
    else:
        access.path.append(f"clients → (tenant stack not planned here: {connection})")
    access.path += [
        f"→ VPC Lattice → resource gateway SG (egress {port} to the DB SG only)",
        f"→ DB SG (ingress {port} from the gateway SG only) → RDS, IAM auth as {access.db_user};",
        ram or "the RAM share does not reach this tenant",
    ]


def problems(report: list[TenantAccess]) -> list[str]:
    return [
        f"{a.tenant}: {c.what}: expected {c.expected}, got {c.actual}" for a in report for c in a.checks if not c.ok
    ]


def sharing_scope(owner: Any) -> str:
    """The owner's own statement of who the RAM share lets reach the database port (tenancy.config.sharing_scope)."""
    return owner.result.exports.get("sharing_scope", "") if owner.result else ""


def as_data(report: list[TenantAccess], scope: str = "") -> dict[str, Any]:
    return {
        "note": NOT_GOVERNED,
        "sharingScope": scope,
        "tenants": {
            a.tenant: {
                "account": a.account,
                "team": a.team,
                "roleArn": a.role_arn,
                "dbUser": a.db_user,
                "databasePath": a.path,
                **{
                    kind: [c.__dict__ for c in checks]
                    for kind, checks in (("services", a.services), ("database", a.database), ("trust", a.trust))
                },
            }
            for a in report
        },
        "problems": problems(report),
    }


def render(report: list[TenantAccess], scope: str = "", width: int = 118, where: str = "") -> str:
    import textwrap

    out = [f"Access analysis{f' of {where}' if where else ''} (offline evaluation of the planned policies and rules)"]
    out.extend(textwrap.wrap(NOT_GOVERNED, width, initial_indent="  ", subsequent_indent="  "))
    if scope:
        out.extend(textwrap.wrap(f"Sharing scope: {scope}", width, initial_indent="  ", subsequent_indent="  "))
    for a in report:
        allowed = [c.what for c in a.services if c.actual == "allow"]
        out.append(f"  {a.tenant} (account {a.account}, team {a.team}):")
        services = (
            f"services: {'; '.join(allowed) or 'nothing'}, as role {a.role_arn.rsplit('/', 1)[-1]}, "
            f"from {a.window[0]} until {a.window[1]}"
        )
        out.extend(textwrap.wrap(services, width, initial_indent="    ", subsequent_indent="      "))
        out.extend(
            textwrap.wrap("database: " + " ".join(a.path), width, initial_indent="    ", subsequent_indent="      ")
        )
        ok = sum(c.ok for c in a.checks)
        out.append(
            f"    {ok}/{len(a.checks)} checks as expected (services {len(a.services)}, database {len(a.database)}, trust {len(a.trust)})"
        )
    found = problems(report)
    out += ["  PROBLEMS:"] + [f"    {p}" for p in found] if found else ["  No tenant reaches anything it should not."]
    return "\n".join(out)
