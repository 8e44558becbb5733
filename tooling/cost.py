"""The cost report: what each tenant is charged for, and the fixed monthly cost of what the tenants share.

    python -m tooling cost                  # a table per owner stack (make cost)
    python -m tooling cost --json           # the same for machines: sorted keys, byte-stable
    python -m tooling cost --prices FILE    # another price table (another Region, newer rates)

It reads the offline plan only (nothing from AWS or Cost Explorer). Per owner stack:
- attributed to a tenant, in the owner stack: its role (tag `Tenant` = its name, or tags `TenantAccount` = its
  account and `Team` = its team), that role's inline policies and attachments, the RAM principal association naming
  its account, its budget (filtering on `user:Tenant$<name>`), and any resource tagged `Tenant` = its name; in
  tenant stacks: every resource of a tenant stack that reads this owner, matched to the tenant by the role (or DB
  user) the tenant stack exports;
- shared: every other resource of the owner stack. Their fixed monthly cost is priced with PRICING (per resource
  type, below) and the price table (tooling/prices.json), and split equally between the owner's tenants by default.
Variable cost (GB processed, requests, connections, log ingestion) is not estimated: VARIABLE_SPLIT says how to
split it from the VPC Lattice access logs. A rate the table marks UNCONFIRMED (null) is never guessed: the resource
is listed as unpriced and the totals say they leave it out.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.plan import StackPlan
from tooling.records import Registration, reveal

PRICES = Path(__file__).resolve().parent / "prices.json"
DEFAULT_PRICES_LABEL = "tooling/prices.json"
UNCONFIRMED = "UNCONFIRMED"
NO_RATE = "no rate"  # the price item is not in the price table
NO_RULE = "no rule"  # the resource type is not in PRICING
# A Multi-AZ DB instance bills the primary and the standby, instance-hours and storage (RDS user guide).
MULTI_AZ_COPIES = 2
SPLIT_METHOD = "the default, equal shares between the owner's tenants; replace it with your own key"
WIDTH = 118


class PriceTableError(Exception):
    """The price table can't be used: one line, naming the entry."""


# --- the price table ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """One priced item as the table states it: USD per unit, for one Region, from one source, on one date."""

    item: str
    rate: float | None  # None: not read from a primary source (status UNCONFIRMED)
    unit: str
    region: str
    source: str
    date: str
    kind: str  # "fixed" (charged while the resource exists) or "variable" (charged per use)
    note: str = ""
    status: str = ""

    def as_data(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in ("rate", "unit", "region", "source", "date", "kind", "note")}
        return {**data, "status": self.status} if self.status else data


@dataclass(frozen=True)
class PriceTable:
    label: str  # where it came from, as shown in the report
    currency: str
    hours_per_month: float
    items: dict[str, Rate]


def _required(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise PriceTableError(f"{where}.{key}: a non-empty string is required")
    return value


def _rate(item: str, entry: Any) -> Rate:
    where = f"items.{item}"
    if not isinstance(entry, dict):
        raise PriceTableError(f"{where}: an object with rate, unit, region, source, date and kind is expected")
    unknown = sorted(set(entry) - {"rate", "unit", "region", "source", "date", "kind", "note", "status"})
    if unknown:
        raise PriceTableError(f"{where}: unknown key {unknown[0]!r}")
    rate = entry.get("rate", "missing")
    status = entry.get("status", "")
    if rate is None:
        if status != UNCONFIRMED:
            raise PriceTableError(f'{where}.rate: null needs "status": "{UNCONFIRMED}" (say the rate is not known)')
    elif isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate < 0:
        raise PriceTableError(f"{where}.rate: a number ≥ 0 in USD, or null with status {UNCONFIRMED}, is expected")
    elif status not in ("", UNCONFIRMED):
        raise PriceTableError(f"{where}.status: only {UNCONFIRMED!r} is known")
    source = _required(entry, "source", where)
    if not source.startswith("https://"):
        raise PriceTableError(f"{where}.source: the URL the rate was read from (https://…) is expected")
    kind = _required(entry, "kind", where)
    if kind not in ("fixed", "variable"):
        raise PriceTableError(f"{where}.kind: 'fixed' or 'variable' is expected, not {kind!r}")
    note = entry.get("note", "")
    if not isinstance(note, str):
        raise PriceTableError(f"{where}.note: a string is expected")
    return Rate(
        item,
        None if rate is None else float(rate),
        _required(entry, "unit", where),
        _required(entry, "region", where),
        source,
        _required(entry, "date", where),
        kind,
        note,
        status if rate is None or status else "",
    )


def load_prices(path: Path | None = None) -> PriceTable:
    """The price table at `path` (default tooling/prices.json), checked; PriceTableError names what is wrong."""
    label = DEFAULT_PRICES_LABEL if path is None else str(path)
    try:
        document = json.loads((path or PRICES).read_text())
    except json.JSONDecodeError as error:
        raise PriceTableError(f"--prices {label}: not JSON ({error.msg}, line {error.lineno})") from None
    except OSError as error:
        raise PriceTableError(f"--prices {label}: {error.strerror or error}") from None
    try:
        if not isinstance(document, dict) or not isinstance(document.get("items"), dict):
            raise PriceTableError('an object with "currency", "hoursPerMonth" and "items" is expected')
        if document.get("currency") != "USD":
            raise PriceTableError('currency: "USD" is expected (the rates are list prices in US dollars)')
        hours = document.get("hoursPerMonth")
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 672 <= hours <= 744:
            raise PriceTableError("hoursPerMonth: hours in a month, 672-744, are expected (AWS examples use 730)")
        items = {item: _rate(item, entry) for item, entry in sorted(document["items"].items())}
    except PriceTableError as error:
        raise PriceTableError(f"--prices {label}: {error}") from None
    return PriceTable(label, "USD", float(hours), items)


# --- resource types → price items: the one table ------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """How much of one price item a resource uses in a month, and how that was found."""

    item: str
    quantity: float
    basis: str


@dataclass(frozen=True)
class NoCharge:
    """A type with no fixed monthly charge of its own; `variable` when it is charged per use."""

    why: str
    variable: bool = False


Rule = Callable[[dict[str, Any], float], list[Usage]]  # (plain wire inputs, hours per month) → usages


def _hourly(item: str) -> Rule:
    return lambda inputs, hours: [Usage(item, hours, f"{hours:g} h")]


def _monthly(item: str) -> Rule:
    return lambda inputs, hours: [Usage(item, 1.0, "1 a month")]


def _rds_instance(inputs: dict[str, Any], hours: float) -> list[Usage]:
    copies = MULTI_AZ_COPIES if inputs.get("multiAz") is True else 1
    az = f" × {copies} (Multi-AZ)" if copies > 1 else ""
    storage = float(inputs.get("allocatedStorage") or 0)
    usages = [
        Usage(
            f"rds-{inputs.get('engine', '?')}-{inputs.get('instanceClass', '?')}", hours * copies, f"{hours:g} h{az}"
        ),
        # The RDS API's default storage type is gp2 (io1 when IOPS are given).
        Usage(f"rds-{inputs.get('storageType') or 'gp2'}-storage", storage * copies, f"{storage:g} GB{az}"),
    ]
    if inputs.get("manageMasterUserPassword") is True:
        usages.append(Usage("secretsmanager-secret", 1.0, "1 RDS master secret"))
    return usages


def _alarm(inputs: dict[str, Any], hours: float) -> list[Usage]:
    # Metric-math alarms are charged per metric they read; under 60 s is high resolution.
    metrics = [q["metric"] for q in inputs.get("metricQueries") or [] if q.get("metric")]
    periods = [float(m.get("period", 60)) for m in metrics] or [float(inputs.get("period", 60))]
    item = "cloudwatch-alarm-high-resolution" if min(periods) < 60 else "cloudwatch-alarm-standard"
    count = max(len(metrics), 1)
    return [Usage(item, float(count), f"{count} metric{'s' if count > 1 else ''}")]


def _vpc_endpoint(inputs: dict[str, Any], hours: float) -> list[Usage]:
    kind = inputs.get("vpcEndpointType") or "Gateway"
    if kind in ("ServiceNetwork", "Resource"):
        return [Usage("vpc-lattice-endpoint-hour", hours, f"{hours:g} h")]
    if kind == "Gateway":
        return []
    zones = max(len(inputs.get("subnetIds") or []), 1)
    return [Usage("privatelink-endpoint-az-hour", hours * zones, f"{hours:g} h × {zones} AZ")]


def _ssm_parameter(inputs: dict[str, Any], hours: float) -> list[Usage]:
    if inputs.get("tier") == "Advanced":
        return [Usage("ssm-advanced-parameter", 1.0, "1 a month")]
    return []  # the standard tier has no charge


FREE_IAM = NoCharge("IAM: no charge")
FREE_RAM = NoCharge("AWS RAM: no charge")
FREE_NETWORK = NoCharge("security groups and their rules: no charge")
FREE_CONFIG = NoCharge("configuration of another resource: no charge of its own")
LATTICE_PART = NoCharge("part of a VPC Lattice service or network: charged with the service (hours, GB, requests)")
LOGS = NoCharge("charged per GB ingested and stored", variable=True)
S3 = NoCharge("S3: charged per GB stored and per request", variable=True)

# Every resource type the stacks create, in one place: a rule giving its monthly usage of price items (the rates
# are in the price table), or why it has no fixed monthly charge. A type missing here is reported, never assumed free.
PRICING: dict[str, Rule | NoCharge] = {
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/optionGroup:OptionGroup": FREE_CONFIG,
    "aws:rds/parameterGroup:ParameterGroup": FREE_CONFIG,
    "aws:rds/subnetGroup:SubnetGroup": FREE_CONFIG,
    "aws:secretsmanager/secret:Secret": _monthly("secretsmanager-secret"),
    "aws:secretsmanager/secretVersion:SecretVersion": FREE_CONFIG,
    "aws:kms/key:Key": _monthly("kms-customer-managed-key"),
    "aws:kms/alias:Alias": NoCharge("KMS alias: no charge"),
    "aws:vpclattice/service:Service": _hourly("vpc-lattice-service-hour"),
    "aws:vpclattice/resourceConfiguration:ResourceConfiguration": _hourly("vpc-lattice-resource-hour"),
    "aws:vpclattice/resourceGateway:ResourceGateway": _hourly("vpc-lattice-resource-gateway-hour"),
    "aws:vpclattice/serviceNetwork:ServiceNetwork": NoCharge("a service network has no charge of its own"),
    "aws:vpclattice/serviceNetworkServiceAssociation:ServiceNetworkServiceAssociation": LATTICE_PART,
    "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation": NoCharge(
        "counted in the resource configuration's resource-hours"
    ),
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation": NoCharge(
        "VPC association: no charge of its own"
    ),
    "aws:vpclattice/listener:Listener": LATTICE_PART,
    "aws:vpclattice/listenerRule:ListenerRule": LATTICE_PART,
    "aws:vpclattice/targetGroup:TargetGroup": LATTICE_PART,
    "aws:vpclattice/targetGroupAttachment:TargetGroupAttachment": LATTICE_PART,
    "aws:vpclattice/authPolicy:AuthPolicy": LATTICE_PART,
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription": NoCharge(
        "log delivery: charged as vended-log ingestion", variable=True
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/securityGroup:SecurityGroup": FREE_NETWORK,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": FREE_NETWORK,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": FREE_NETWORK,
    "aws:ec2/flowLog:FlowLog": NoCharge("flow log delivery: charged as vended-log ingestion", variable=True),
    "aws:iam/role:Role": FREE_IAM,
    "aws:iam/rolePolicy:RolePolicy": FREE_IAM,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": FREE_IAM,
    "aws:iam/policy:Policy": FREE_IAM,
    "aws:ram/resourceShare:ResourceShare": FREE_RAM,
    "aws:ram/resourceAssociation:ResourceAssociation": FREE_RAM,
    "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive": FREE_RAM,
    "aws:ram/principalAssociation:PrincipalAssociation": FREE_RAM,
    "aws:cloudtrail/trail:Trail": _monthly("cloudtrail-management-first-copy"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _monthly("cloudwatch-dashboard"),
    "aws:cloudwatch/logGroup:LogGroup": LOGS,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": NoCharge(
        "the metric it publishes is a custom metric, charged once it has data", variable=True
    ),
    "aws:cloudwatch/eventRule:EventRule": _monthly("eventbridge-idle"),
    "aws:cloudwatch/eventTarget:EventTarget": FREE_CONFIG,
    "aws:lambda/function:Function": _monthly("lambda-idle"),
    "aws:lambda/permission:Permission": FREE_CONFIG,
    "aws:sns/topic:Topic": _monthly("sns-idle"),
    "aws:sns/topicPolicy:TopicPolicy": FREE_CONFIG,
    "aws:sns/topicSubscription:TopicSubscription": FREE_CONFIG,
    "aws:s3/bucket:Bucket": S3,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": FREE_CONFIG,
    "aws:s3/bucketLogging:BucketLogging": FREE_CONFIG,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": FREE_CONFIG,
    "aws:s3/bucketPolicy:BucketPolicy": FREE_CONFIG,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": FREE_CONFIG,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": FREE_CONFIG,
    "aws:s3/bucketVersioning:BucketVersioning": FREE_CONFIG,
    "aws:budgets/budget:Budget": _monthly("budgets-budget"),
    "aws:costexplorer/costAllocationTag:CostAllocationTag": NoCharge("cost allocation tags: no charge"),
    "aws:bcmdata/export:Export": NoCharge("Data Exports: the export is free, its files are S3 storage", variable=True),
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "aws:cfg/recorder:Recorder": NoCharge("AWS Config: charged per configuration item recorded", variable=True),
    "aws:cfg/deliveryChannel:DeliveryChannel": FREE_CONFIG,
    "aws:cfg/recorderStatus:RecorderStatus": FREE_CONFIG,
    "aws:cfg/rule:Rule": NoCharge("AWS Config rules: charged per rule evaluation", variable=True),
}

# How variable cost is split per tenant: the same words in the report and in the README.
VARIABLE_SPLIT = (
    "Variable cost is not in these totals: no usage is assumed. VPC Lattice charges each service per GB processed "
    "(request + response) and per HTTP request (HTTPS listeners) or TCP connection (TLS passthrough), and shared "
    "resources such as the database per GB processed; it lands on the owner's bill. Split it per tenant from the "
    "access logs the owner stack delivers to {log_group}: group the VpcLatticeAccessLogs records by sourceVpcArn "
    "(the tenant's VPC; resolvedUser names the tenant role when the call is IAM-signed), sum bytesReceived + "
    "bytesSent and count the requests per tenant, and multiply by the rates: {rates}. Tiers and the free requests "
    "per service-hour make that an estimate: to charge back a real month, split the billed amount (the Lattice lines "
    "of the bill or the CUR export) in the same proportions. The database path logs to "
    "VpcLatticeResourceAccessLogs (its fields are UNCONFIRMED): split its per-GB charge the same way. Log "
    "ingestion, S3 storage, backup storage beyond the allocated size and Enhanced Monitoring stay shared."
)
VARIABLE_ITEMS = (
    "vpc-lattice-service-gb",
    "vpc-lattice-service-requests",
    "vpc-lattice-tcp-connections",
    "vpc-lattice-resource-gb",
    "cloudwatch-logs-ingestion",
)


# --- the report ---------------------------------------------------------------------------------------------


@dataclass
class Charge:
    """One usage of a price item, priced: `monthly` is None when the table has no confirmed rate for it."""

    item: str
    quantity: float
    basis: str
    unit: str
    rate: float | None
    problem: str = ""  # "" | UNCONFIRMED (the table's rate is null) | NO_RATE | NO_RULE

    @property
    def monthly(self) -> float | None:
        return None if self.rate is None else self.quantity * self.rate


@dataclass
class Line:
    """One resource of a plan: why it is where it is, and what it costs a month."""

    stack: str
    type: str
    name: str
    reason: str  # why it is attributed to a tenant, or "" when shared
    charges: list[Charge] = field(default_factory=list)
    no_charge: str = ""  # why it has no fixed monthly charge
    variable: bool = False  # also charged per use

    @property
    def monthly(self) -> float:
        return sum(c.monthly or 0.0 for c in self.charges)

    @property
    def unpriced(self) -> list[Charge]:
        return [c for c in self.charges if c.monthly is None]

    @property
    def short_type(self) -> str:
        return self.type.split(":")[-1] if self.type.count(":") == 2 else self.type


@dataclass
class TenantCost:
    name: str
    account: str
    team: str
    owner_lines: list[Line] = field(default_factory=list)
    tenant_stacks: dict[str, list[Line]] = field(default_factory=dict)


@dataclass
class OwnerCost:
    name: str
    account: str
    region: str
    tenants: list[TenantCost]
    shared: list[Line]
    unmatched_stacks: list[str]  # tenant stacks that read this owner but name none of its tenants
    log_group: str

    @property
    def shared_fixed(self) -> float:
        return sum(line.monthly for line in self.shared)

    @property
    def split(self) -> float | None:
        return self.shared_fixed / len(self.tenants) if self.tenants else None

    def lines(self) -> list[Line]:
        every = list(self.shared)
        for tenant in self.tenants:
            every += tenant.owner_lines + [line for lines in tenant.tenant_stacks.values() for line in lines]
        return every


def price(resource: Registration, stack: str, reason: str, table: PriceTable) -> Line:
    """One resource priced with PRICING and the table."""
    line = Line(stack, resource.type, resource.name, reason)
    rule = PRICING.get(resource.type)
    if rule is None:
        line.charges.append(Charge(f"({line.short_type}: no rule)", 0.0, "not in PRICING", "", None, NO_RULE))
        return line
    if isinstance(rule, NoCharge):
        line.no_charge, line.variable = rule.why, rule.variable
        return line
    for usage in rule(reveal(resource.inputs), table.hours_per_month):
        rate = table.items.get(usage.item)
        if rate is None:
            line.charges.append(Charge(usage.item, usage.quantity, usage.basis, "", None, NO_RATE))
        else:
            problem = UNCONFIRMED if rate.rate is None else ""
            line.charges.append(Charge(usage.item, usage.quantity, usage.basis, rate.unit, rate.rate, problem))
    if not line.charges:
        line.no_charge = "no charge as configured"
    return line


def _tags(resource: Registration) -> dict[str, str]:
    tags = reveal(resource.inputs.get("tags"))
    return tags if isinstance(tags, dict) else {}


def _team_of(owner: StackPlan, name: str) -> str:
    return next((a.team for a in owner.access or [] if a.tenant == name), "")


def _owner_attribution(owner: StackPlan, accounts: dict[str, str]) -> dict[str, tuple[str, str]]:
    """URN → (tenant, why) for the owner resources attributable to one tenant."""
    resources = [r for r in owner.resources if r.custom and not r.is_read]
    found: dict[str, tuple[str, str]] = {}
    tenant_of_account = {account: name for name, account in accounts.items()}
    role_names: dict[str, tuple[str, str]] = {}  # role name → (tenant, role URN)
    for r in resources:
        tags = _tags(r)
        if tags.get("Tenant") in accounts:
            found[r.urn] = (tags["Tenant"], f"tagged Tenant={tags['Tenant']}")
        elif r.type == "aws:iam/role:Role" and tags.get("TenantAccount") in tenant_of_account:
            name = tenant_of_account[tags["TenantAccount"]]
            team = _team_of(owner, name)
            if team and tags.get("Team") != team:
                continue
            found[r.urn] = (name, f"its role (TenantAccount={tags['TenantAccount']}, Team={tags.get('Team', '-')})")
        if r.type == "aws:iam/role:Role" and r.urn in found:
            role_names[str(r.inputs.get("name"))] = (found[r.urn][0], r.urn)
    for r in resources:
        if r.urn in found:
            continue
        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
            by_name = role_names.get(str(r.inputs.get("role")))
            by_dependency = [t for t, urn in role_names.values() if urn in r.property_dependencies.get("role", [])]
            tenant = by_name[0] if by_name else by_dependency[0] if by_dependency else None
            if tenant:
                found[r.urn] = (tenant, "its role's policy")
        elif r.type == "aws:ram/principalAssociation:PrincipalAssociation":
            principal = r.inputs.get("principal")
            if principal in tenant_of_account:
                found[r.urn] = (tenant_of_account[principal], f"the RAM share names its account {principal}")
        elif r.type == "aws:budgets/budget:Budget":
            # A budget that watches one tenant's Tenant tag (`user:Tenant$<name>`) is there for that tenant.
            values = [
                v for f in r.inputs.get("costFilters") or [] if f.get("name") == "TagKeyValue" for v in f["values"]
            ]
            named = {v.removeprefix("user:Tenant$") for v in values if v.startswith("user:Tenant$")}
            if len(named) == 1 and next(iter(named)) in accounts:
                found[r.urn] = (next(iter(named)), "its budget (filters on its Tenant tag)")
    return found


def _tenant_of_stack(stack: StackPlan, owner: StackPlan) -> str | None:
    """The tenant of `owner` a tenant stack that reads it is for: by the role, else the DB user, it exports."""
    if stack.result is None:
        return None
    exports, theirs = stack.result.exports, owner.result.exports if owner.result else {}
    for name, arn in (theirs.get("tenant_role_arns") or {}).items():
        if exports.get("role_arn") == arn:
            return str(name)
    for name, user in (theirs.get("tenant_db_users") or {}).items():
        if exports.get("database_user") == user:
            return str(name)
    return None


def analyse(plans: list[StackPlan], table: PriceTable) -> list[OwnerCost]:
    """Per planned owner stack: its tenants' resources, its shared resources, all priced."""
    reports = []
    for owner in plans:
        if owner.kind != "owner" or owner.result is None:
            continue
        exports = owner.result.exports
        accounts: dict[str, str] = dict(exports.get("tenant_account_ids") or {})
        tenants = {n: TenantCost(n, accounts[n], _team_of(owner, n)) for n in sorted(accounts)}
        attributed = _owner_attribution(owner, accounts)
        shared = []
        for r in owner.resources:
            if not r.custom or r.is_read:
                continue
            if r.urn in attributed:
                tenant, why = attributed[r.urn]
                tenants[tenant].owner_lines.append(price(r, owner.name, why, table))
            else:
                shared.append(price(r, owner.name, "", table))
        unmatched = []
        for stack in plans:
            if stack.kind != "tenant" or owner.name not in stack.inputs_from.values():
                continue
            name = _tenant_of_stack(stack, owner)
            if name is None:
                unmatched.append(stack.name)
                continue
            tenants[name].tenant_stacks[stack.name] = [
                price(r, stack.name, f"tenant stack {stack.name} reads {owner.name}", table)
                for r in stack.resources
                if r.custom and not r.is_read
            ]
        reports.append(
            OwnerCost(
                owner.name,
                owner.account_id,
                owner.region,
                list(tenants.values()),
                shared,
                sorted(unmatched),
                str(exports.get("access_log_group_name") or "the owner's access-log group"),
            )
        )
    return reports


def select(plans: list[StackPlan], only: list[str] | None) -> list[StackPlan]:
    """`--stack`: the owner stacks named, or read by a tenant stack named (a tenant's cost needs its owner), and
    their tenant stacks. Everything is planned regardless."""
    if not only:
        return plans
    owners = {p.name for p in plans if p.kind == "owner" and p.name in only}
    owners |= {o for p in plans if p.name in only for o in p.inputs_from.values()}
    return [p for p in plans if p.name in owners or p.name in only or set(p.inputs_from.values()) & owners]


def failed(plans: list[StackPlan]) -> list[StackPlan]:
    return [p for p in plans if p.error is not None or p.result is None]


# --- for machines -------------------------------------------------------------------------------------------


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _line_data(line: Line) -> dict[str, Any]:
    data: dict[str, Any] = {"stack": line.stack, "type": line.type, "name": line.name}
    if line.reason:
        data["attributedBecause"] = line.reason
    if line.no_charge:
        data["noFixedCharge"] = line.no_charge
    if line.variable:
        data["alsoVariable"] = True
    if line.charges:
        data["charges"] = [
            {
                "item": c.item,
                "quantity": _money(c.quantity),
                "basis": c.basis,
                "unit": c.unit,
                "rateUsd": c.rate,
                "monthlyUsd": _money(c.monthly),
                **({"problem": c.problem} if c.problem else {}),
            }
            for c in line.charges
        ]
        data["monthlyUsd"] = _money(line.monthly)  # at known rates
        if line.unpriced:
            data["complete"] = False
    return data


def _items_used(report: OwnerCost, table: PriceTable) -> list[str]:
    used = {c.item for line in report.lines() for c in line.charges if c.item in table.items}
    return sorted(used | {i for i in VARIABLE_ITEMS if i in table.items})


def region_mismatch(report: OwnerCost, table: PriceTable) -> list[str]:
    """Items used whose rate was read for another Region than the owner stack's."""
    return [
        item
        for item in _items_used(report, table)
        if table.items[item].region not in (report.region, "global") and table.items[item].rate is not None
    ]


def as_data(reports: list[OwnerCost], table: PriceTable, errors: dict[str, str]) -> dict[str, Any]:
    owners: dict[str, Any] = {}
    for report in reports:
        tenants = {}
        for t in report.tenants:
            tenant_lines = [line for lines in t.tenant_stacks.values() for line in lines]
            tenants[t.name] = {
                "account": t.account,
                "team": t.team,
                "ownerResources": [_line_data(line) for line in t.owner_lines],
                "tenantStacks": {s: [_line_data(line) for line in lines] for s, lines in t.tenant_stacks.items()},
                "directFixedMonthlyUsd": {
                    "ownerBill": _money(sum(line.monthly for line in t.owner_lines)),
                    "tenantBill": _money(sum(line.monthly for line in tenant_lines)),
                },
                "sharedSplitMonthlyUsd": _money(report.split),
                "unpriced": sorted(
                    {f"{line.stack}/{line.name}" for line in t.owner_lines + tenant_lines if line.unpriced}
                ),
            }
        owners[report.name] = {
            "account": report.account,
            "region": report.region,
            "tenants": tenants,
            "unmatchedTenantStacks": report.unmatched_stacks,
            "shared": {
                "resources": [_line_data(line) for line in report.shared],
                "fixedMonthlyUsd": _money(report.shared_fixed),
                "fixedMonthlyIsComplete": not any(line.unpriced for line in report.shared),
                "unpriced": sorted(line.name for line in report.shared if line.unpriced),
                "split": {"method": SPLIT_METHOD, "tenants": len(report.tenants), "perTenantUsd": _money(report.split)},
            },
            "ratesUsed": _items_used(report, table),
            "ratesFromAnotherRegion": region_mismatch(report, table),
            "variableCost": VARIABLE_SPLIT.format(log_group=report.log_group, rates=_variable_rates(table)),
        }
    return {
        "priceTable": {
            "path": table.label,
            "currency": table.currency,
            "hoursPerMonth": table.hours_per_month,
            "items": {item: rate.as_data() for item, rate in table.items.items()},
        },
        "owners": owners,
        "errors": errors,
    }


def as_json(reports: list[OwnerCost], table: PriceTable, errors: dict[str, str]) -> str:
    return json.dumps(as_data(reports, table, errors), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


# --- for people ---------------------------------------------------------------------------------------------


def _usd(value: float | None) -> str:
    return "?" if value is None else f"{value:,.2f}"


def _rate_text(rate: Rate) -> str:
    return f"{UNCONFIRMED} per {rate.unit}" if rate.rate is None else f"${rate.rate:g} per {rate.unit}"


def _variable_rates(table: PriceTable) -> str:
    return "; ".join(f"{i} {_rate_text(table.items[i])}" for i in VARIABLE_ITEMS if i in table.items) or "none"


def _wrap(text: str, indent: str = "  ", then: str = "    ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=then, break_on_hyphens=False)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _row(name: str, item: str, quantity: str, usd: str) -> str:
    return f"    {_cut(name, 40):<40} {_cut(item, 34):<34} {_cut(quantity, 24):<24} {usd:>12}"


def _by_type(lines: list[Line]) -> str:
    counts = Counter(line.short_type for line in lines)
    return ", ".join(f"{typ} ×{n}" if n > 1 else typ for typ, n in sorted(counts.items()))


def _names(lines: list[Line]) -> str:
    return ", ".join(f"{line.short_type} {line.name}" for line in lines)


def _unpriced_note(lines: list[Line]) -> str:
    unknown = [line.name for line in lines if line.unpriced]
    return f" + unpriced: {', '.join(unknown)}" if unknown else ""


def _rates_used(report: OwnerCost, table: PriceTable) -> list[str]:
    used = [table.items[i] for i in _items_used(report, table)]
    regions = Counter(r.region for r in used)
    dates = Counter(r.date for r in used)
    region = regions.most_common(1)[0][0] if regions else ""
    date = dates.most_common(1)[0][0] if dates else ""
    out = [f"  Rates used ({table.label}; read for {region} on {date} unless noted):"]
    for source in sorted({r.source for r in used}):
        out.append(f"    {source}")
        for r in (r for r in used if r.source == source):
            other = ", ".join(
                x for x in (r.region if r.region != region else "", r.date if r.date != date else "") if x
            )
            out.append(f"      {r.item:<36} {_rate_text(r)}" + (f" ({other})" if other else ""))
    return out


def render_owner(report: OwnerCost, table: PriceTable) -> str:
    out = [
        f"Cost report — owner stack {report.name} (account {report.account}, {report.region}); "
        f"USD a month of {table.hours_per_month:g} h",
        "",
        "  Shared: the owner's resources that no single tenant is the reason for — fixed monthly cost",
        _row("Resource", "Price item", "Quantity", "USD/month"),
    ]
    for line in report.shared:
        for c in line.charges:
            out.append(_row(line.name, c.item, c.basis, c.problem or _usd(c.monthly)))
    unpriced = [line for line in report.shared if line.unpriced]
    out.append(_row("total" + (", known rates only" if unpriced else ""), "", "", _usd(report.shared_fixed)))
    if unpriced:
        out += _wrap(
            f"Left out of the total, {len(unpriced)} resources without a confirmed rate: "
            + "; ".join(f"{line.name} ({', '.join(c.item for c in line.unpriced)})" for line in unpriced)
            + ". Put the rate in a copy of the price table and pass --prices; a type with no rule needs an entry "
            "in PRICING (tooling/cost.py).",
            "    ",
            "      ",
        )
    free = [line for line in report.shared if not line.charges and not line.variable]
    per_use = [line for line in report.shared if not line.charges and line.variable]
    out += _wrap(f"No charge: {_by_type(free)}.", "    ", "      ") if free else []
    out += _wrap(f"Charged per use only (variable, below): {_by_type(per_use)}.", "    ", "      ") if per_use else []
    if report.split is None:
        out += _wrap("Split: the owner has no tenants.", "    ", "      ")
    else:
        out += _wrap(
            f"Split ({SPLIT_METHOD}): {_usd(report.split)} each for {len(report.tenants)} tenants.", "    ", "      "
        )
    out += ["", "  Per tenant: the resources it is the reason for"]
    for t in report.tenants:
        team = f", team {t.team}" if t.team else ""
        out.append(f"    {t.name} (account {t.account}{team})")
        fixed = sum(line.monthly for line in t.owner_lines)
        out += _wrap(
            f"in owner stack {report.name} (owner's bill, fixed {_usd(fixed)}{_unpriced_note(t.owner_lines)}): "
            f"{_names(t.owner_lines) or 'nothing'}",
            "      ",
            "        ",
        )
        if not t.tenant_stacks:
            out += _wrap(f"no planned tenant stack in this repository reads {report.name}", "      ", "        ")
        for stack, lines in t.tenant_stacks.items():
            fixed = sum(line.monthly for line in lines)
            out += _wrap(
                f"tenant stack {stack} (tenant's bill, fixed {_usd(fixed)}{_unpriced_note(lines)}): {_names(lines)}",
                "      ",
                "        ",
            )
        out += _wrap(
            f"share of the shared fixed cost: {_usd(report.split)} (default equal split)", "      ", "        "
        )
    if report.unmatched_stacks:
        out += _wrap(
            f"Tenant stacks that read {report.name} but export no tenant's role or DB user (not attributed): "
            + ", ".join(report.unmatched_stacks),
            "    ",
            "      ",
        )
    out += ["", *_wrap(VARIABLE_SPLIT.format(log_group=report.log_group, rates=_variable_rates(table)))]
    out += ["", *_rates_used(report, table)]
    mismatch = region_mismatch(report, table)
    if mismatch:
        regions = ", ".join(sorted({table.items[i].region for i in mismatch}))
        warning = (
            f"Warning: {len(mismatch)} of these rates were read for {regions}, not {report.region} where stack "
            f"{report.name} runs, and prices differ by Region. For {report.region} figures, put its rates in a copy "
            "of the price table and pass --prices."
        )
        out += ["", *_wrap(warning)]
    return "\n".join(out)


def render(reports: list[OwnerCost], table: PriceTable, errors: dict[str, str]) -> str:
    out = [render_owner(report, table) for report in reports]
    if not reports and not errors:
        out.append("No owner stack planned: nothing to report.")
    for stack, error in sorted(errors.items()):
        out.append(
            "\n".join(_wrap(f"Stack {stack}: not planned, left out of this report — {error.splitlines()[0]}", ""))
        )
    return "\n\n".join(out) + "\n"
