"""Facts about the AWS account the stack deploys into, read through provider functions before any resource.

The lookups are thin; the checks on what they return are plain functions, tested without Pulumi.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi_aws as aws

from tenancy.config import kms_key_region_problems


@dataclass(frozen=True)
class Account:
    account_id: str
    region: str
    partition: str


@dataclass(frozen=True)
class SubnetFacts:
    subnet_id: str
    vpc_id: str
    availability_zone_id: str


def current_account() -> Account:
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    return Account(account_id=identity.account_id, region=region.region, partition=partition.partition)


@dataclass(frozen=True)
class VpcFacts:
    vpc_id: str
    dns_support: bool
    dns_hostnames: bool


def describe_subnets(subnet_ids: list[str]) -> list[SubnetFacts]:
    facts = []
    for subnet_id in subnet_ids:
        subnet = aws.ec2.get_subnet(id=subnet_id)
        facts.append(SubnetFacts(subnet_id, subnet.vpc_id, subnet.availability_zone_id))
    return facts


def describe_vpc(vpc_id: str) -> VpcFacts:
    vpc = aws.ec2.get_vpc(id=vpc_id)
    return VpcFacts(vpc_id, bool(vpc.enable_dns_support), bool(vpc.enable_dns_hostnames))


def zone_ids(subnets: list[SubnetFacts]) -> list[str]:
    """The Availability Zone IDs (not names: names map differently in each account) the subnets span, sorted."""
    return sorted({s.availability_zone_id for s in subnets})


def vpc_dns_problems(key: str, vpc: VpcFacts) -> list[str]:
    """Why VPC Lattice's private DNS (the RDS host name inside the tenant VPC) would not resolve there."""
    off = [
        name
        for name, on in (("enableDnsSupport", vpc.dns_support), ("enableDnsHostnames", vpc.dns_hostnames))
        if not on
    ]
    if not off:
        return []
    fixes = "; ".join(
        f"aws ec2 modify-vpc-attribute --vpc-id {vpc.vpc_id} --{'enable-dns-support' if a == 'enableDnsSupport' else 'enable-dns-hostnames'} "
        "'{\"Value\":true}'"
        for a in off
    )
    return [
        f"{key}: {vpc.vpc_id} has {' and '.join(off)} off, so VPC Lattice's private DNS for the database can't resolve "
        f"in it; turn {'them' if len(off) > 1 else 'it'} on ({fixes}) or in the VPC's settings, then rerun"
    ]


def zone_overlap(key: str, subnets: list[SubnetFacts], gateway_zone_ids: list[str]) -> tuple[list[str], list[str]]:
    """(problems, warnings) for an endpoint's subnets against the owner's resource gateway AZs.

    An endpoint gets network interfaces for the shared resources only in AZs the resource gateway also uses, and needs
    at least one in common (EC2 CreateVpcEndpoint; VPC Lattice "Resource gateways"): none in common is refused;
    subnets outside those AZs are a warning (no interface for the database there; clients cross AZs).
    """
    outside = [s for s in subnets if s.availability_zone_id not in gateway_zone_ids]
    if not outside:
        return [], []
    listed = ", ".join(f"{s.subnet_id} ({s.availability_zone_id})" for s in outside)
    advice = (
        f"the owner's resource gateway uses AZ IDs {', '.join(gateway_zone_ids)} (IDs, not names: names differ "
        "between accounts — `aws ec2 describe-subnets --query 'Subnets[].[SubnetId,AvailabilityZoneId]'`)"
    )
    if len(outside) == len(subnets):
        return [
            f"{key}: no subnet shares an Availability Zone with the owner's resource gateway ({listed}); {advice}"
        ], []
    return [], [
        f"{key}: {listed} {'is' if len(outside) == 1 else 'are'} outside the resource gateway's Availability Zones, so "
        f"the endpoint gets no network interface for the database there; {advice}"
    ]


def subnet_problems(key: str, vpc_id: str, subnets: list[SubnetFacts], needs_two: str) -> list[str]:
    """Why these subnets can't serve in `vpc_id` (empty when they can); `needs_two` says what needs two AZs."""
    problems = [
        f"{key}: {s.subnet_id} is in {s.vpc_id}, not in {vpc_id}; list subnets of the configured VPC"
        for s in subnets
        if s.vpc_id != vpc_id
    ]
    zones = {s.availability_zone_id for s in subnets}
    if len(zones) < 2:
        problems.append(
            f"{key}: all subnets are in one Availability Zone ({', '.join(sorted(zones))}); "
            f"add a subnet in a second AZ ({needs_two})"
        )
    return problems


def account_problems(key: str, expected: str | None, actual: Account) -> list[str]:
    if expected and expected != actual.account_id:
        return [
            f"{key}: this stack expects account {expected} but the AWS credentials are for {actual.account_id}; "
            "switch credentials (AWS_PROFILE) or correct the key"
        ]
    return []


# VPC quota "Inbound or outbound rules per security group" (Service Quotas code L-0EA8095F): default 60, adjustable;
# its product with "Security groups per network interface" may not exceed 1,000 (Amazon VPC User Guide, quotas).
SG_RULES_QUOTA_CODE = "L-0EA8095F"
SG_RULES_QUOTA_DEFAULT = 60


# Classes RDS for MySQL offers nearly everywhere: the orderable lookup prefers the configured class and falls back to
# these, so a class RDS can't order shows up as a different answer rather than as a failed lookup (a failed provider
# call fails the whole run with the provider's raw error, however the program handles it).
FALLBACK_INSTANCE_CLASSES = ["db.t3.micro", "db.t3.small", "db.t4g.micro", "db.m5.large", "db.r5.large"]


def database_problems(key: str, database, multi_az: bool, region: str) -> list[str]:
    """What RDS would reject minutes into a deploy: an instance class it can't order for the configured MySQL major
    version with this stack's settings (gp3, encryption, IAM auth, Multi-AZ, Enhanced Monitoring)."""
    version = aws.rds.get_engine_version(engine="mysql", version=database.engine_version, latest=True).version
    offer = aws.rds.get_orderable_db_instance(
        engine="mysql",
        engine_version=version,
        preferred_instance_classes=[database.instance_class, *FALLBACK_INSTANCE_CLASSES],
        storage_type="gp3",
        supports_storage_encryption=True,
        supports_iam_database_authentication=True,
        supports_enhanced_monitoring=True if database.monitoring_interval_seconds else None,
        supports_multi_az=True if multi_az else None,
    )
    if offer.instance_class == database.instance_class:
        return []
    settings = ", ".join(
        ["gp3 storage", "encryption", "IAM authentication"]
        + (["Multi-AZ"] if multi_az else [])
        + (["Enhanced Monitoring"] if database.monitoring_interval_seconds else [])
    )
    return [
        f"{key}.instanceClass: {database.instance_class} can't be ordered in {region} for MySQL {version} with "
        f"{settings} (e.g. {offer.instance_class} can); list the classes that can: aws rds "
        f"describe-orderable-db-instance-options --engine mysql --engine-version {version} --region {region} "
        "--query 'OrderableDBInstanceOptions[].DBInstanceClass'"
    ]


def security_group_rule_problems(key: str, clients: int, ports: int) -> list[str]:
    """The endpoint's security group gets one inbound rule per client group and port: within the account's quota?"""
    rules = clients * ports
    if rules <= SG_RULES_QUOTA_DEFAULT:
        return []  # within the default, so within any raised value too
    # Read-only (servicequotas:GetServiceQuota), and only past the default; a raised quota is honoured.
    limit = int(aws.servicequotas.get_service_quota(service_code="vpc", quota_code=SG_RULES_QUOTA_CODE).value)
    source = "this account's value"
    if rules <= limit:
        return []
    return [
        f"{key}: {clients} client groups × {ports} ports need {rules} inbound rules on the endpoint's security group, "
        f'over the quota of {limit} ({source}) — "Inbound or outbound rules per security group", VPC quota '
        f"{SG_RULES_QUOTA_CODE}, default {SG_RULES_QUOTA_DEFAULT}, adjustable in Service Quotas (its product with "
        '"Security groups per network interface" may not exceed 1,000). Use fewer client groups (e.g. one shared '
        "client group) or service ports, or raise the quota"
    ]


def stack_problems(config, account: Account, subnets: list[SubnetFacts]) -> list[str]:
    """Everything about a stack's config that only the AWS account can tell (empty when all is well).

    `subnets`: the facts about `network.subnetIds`, looked up once by the caller (the owner exports their AZ IDs).
    """
    ns = "lattice-tenancy"
    problems = account_problems(f"{ns}:expectedAccountId", config.expected_account_id, account)
    network = config.network
    problems += subnet_problems(
        f"{ns}:network.subnetIds",
        network.vpc_id,
        subnets,
        "the resource gateway and the DB subnet group need two"
        if config.kind != "tenant"
        else "the endpoint needs two for availability",
    )
    if config.kind == "tenant":
        problems += vpc_dns_problems(f"{ns}:network.vpcId", describe_vpc(network.vpc_id))
        problems += security_group_rule_problems(
            f"{ns}:network.clientSecurityGroupIds",
            len(network.client_security_group_ids),
            1 + len(config.service_ports),
        )
    elif config.kind == "owner":
        problems += database_problems(f"{ns}:database", config.database, config.multi_az, account.region)
    # (A recovery stack's database is checked once the primary's contract gives its engine version.)
    problems += kms_key_region_problems(config, account.region)
    if config.kind != "tenant" and config.database.subnet_ids:
        problems += subnet_problems(
            f"{ns}:database.subnetIds",
            network.vpc_id,
            describe_subnets(config.database.subnet_ids),
            "the DB subnet group needs two",
        )
    return problems


def tenant_problems(config, contract, subnets: list[SubnetFacts]) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a tenant's config given the owner's contract, naming the tenant's own keys."""
    ns = "lattice-tenancy"
    problems: list[str] = []
    warnings: list[str] = []
    if contract.database_port in config.service_ports:
        problems.append(
            f"{ns}:servicePorts: {contract.database_port} is the owner's database port, which the endpoint's "
            "security group opens to the clients already; remove it (servicePorts lists Lattice service ports only)"
        )
    if config.connection in ("endpoint", "resource"):
        zone_problems, warnings = zone_overlap(f"{ns}:network.subnetIds", subnets, contract.resource_gateway_az_ids)
        problems += zone_problems
    return problems, warnings


def rollback_records(prefix: str) -> dict[str, dict[str, Any]]:
    """The automated rollbacks the canary rollback function recorded, by service (read-only: ssm:GetParametersByPath).

    A lookup that lists, so an account with no record (or no rollback yet) answers with nothing, never an error.
    """
    found = aws.ssm.get_parameters_by_path(path=prefix.rstrip("/"), recursive=False)
    records: dict[str, dict[str, Any]] = {}
    for name, value in zip(found.names, found.values, strict=False):
        try:
            record = json.loads(value)
        except json.JSONDecodeError:
            record = {"rollbackId": value}
        records[name.rsplit("/", 1)[-1]] = record if isinstance(record, dict) else {"rollbackId": str(record)}
    return records


def canary_holds(services, records: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Service name → why its canary is held at weight 0: a recorded rollback the config has not acknowledged.

    After a rollback the live weights differ from the config; without this the next `pulumi up` would quietly send
    traffic back to the canary. Acknowledging the rollback's ID in `services[].acknowledgedRollback` lifts the hold.
    """
    holds = {}
    for i, service in enumerate(services):
        record = records.get(service.name)
        if service.canary is None or not record or record.get("rollbackId") == service.acknowledged_rollback:
            continue
        rollback_id = record.get("rollbackId", "?")
        holds[service.name] = (
            f"service {service.name}: the canary was rolled back automatically ({record.get('alarm', 'an alarm')} at "
            f"{record.get('at', '?')}), so it is held at weight 0 and its rules go to stable. After fixing the canary, "
            f'try again with lattice-tenancy:services[{i}].acknowledgedRollback: "{rollback_id}" and '
            "`pulumi up --refresh`"
        )
    return holds


def tenant_slug(account_name: str) -> str:
    """A tenant name from an account name: lowercase letters, digits and single hyphens, starting with a letter."""
    slug = re.sub(r"[^a-z0-9]+", "-", account_name.lower()).strip("-")
    if not slug[:1].isalpha():
        slug = f"t-{slug}"
    return slug[:32].rstrip("-")


def discovered_external_id(secret: str, account_id: str) -> str:
    """A discovered tenant's external ID: HMAC-SHA256 of its account ID under the stack's secret — stable across
    deployments, different per account, and derivable only by whoever holds the secret (the platform team)."""
    return "lt-" + hmac.new(secret.encode(), account_id.encode(), hashlib.sha256).hexdigest()[:40]


def discover_tenants(config) -> tuple[list, dict[str, str], list[str]]:
    """The tenants the config's OUs hold now: (tenants, their external IDs, problems). Read-only lookups
    (organizations:ListChildren/ListAccountsForParent via the descendant-accounts data source, organizations:
    ListTagsForResource), in the management account or a delegated administrator for Organizations."""
    from pydantic import ValidationError

    from tenancy.config import TENANT_NAME_TAG, TENANT_TEAM_TAG, Tenant

    ns = "lattice-tenancy"
    listed_accounts = {t.account_id for t in config.tenants}
    taken = {t.name: f"tenants (account {t.account_id})" for t in config.tenants}
    taken_users = {t.database_user: f"tenants (account {t.account_id})" for t in config.tenants}
    tenants, external_ids, problems = [], {}, []
    for i, source in enumerate(config.tenant_sources):
        key = f"{ns}:tenantSources[{i}]"
        found = aws.organizations.get_organizational_unit_descendant_accounts(parent_id=source.ou_id)
        for account in sorted(found.accounts, key=lambda a: a.id):
            if (account.state or "ACTIVE") != "ACTIVE" or account.id in listed_accounts:
                continue  # a tenant listed explicitly wins over a discovered one
            tags = aws.organizations.get_resource_tags(resource_id=account.id).tags or {}
            override = source.overrides.get(account.id)
            name = (override and override.name) or tags.get(TENANT_NAME_TAG) or tenant_slug(account.name)
            team = (override and override.team) or tags.get(TENANT_TEAM_TAG) or name
            fix = f'tag the account {TENANT_NAME_TAG}=<name>, or set {key}.overrides."{account.id}"'
            try:
                tenant = Tenant.model_validate(
                    {"name": name, "accountId": account.id, "team": team}
                    | ({"dbUser": override.db_user} if override and override.db_user else {})
                )
            except ValidationError as error:
                reason = error.errors()[0]["msg"].removeprefix("Value error, ")
                problems.append(f"{key}: account {account.id} ({account.name}) as tenant {name!r}: {reason}; {fix}")
                continue
            clash = taken.get(tenant.name) or taken_users.get(tenant.database_user)
            if clash:
                problems.append(
                    f"{key}: account {account.id} ({account.name}) would be tenant {tenant.name!r} with DB user "
                    f"{tenant.database_user!r}, which {clash} already has; {fix}"
                )
                continue
            taken[tenant.name] = taken_users[tenant.database_user] = f"{key} (account {account.id})"
            tenants.append(tenant)
            external_ids[tenant.name] = discovered_external_id(config.discovery_secret, account.id)
    return tenants, external_ids, problems


def read_stack_outputs(stack_name: str) -> dict:
    """Another stack's outputs, read now (through a StackReference) so they can be checked before any resource.

    Reading synchronously is what pulumi_aws's own provider functions do (pulumi.runtime's _sync_await); the
    alternative, checking inside an apply, would let resources that don't depend on the outputs be created
    before a bad contract stops the run. A stack that doesn't exist fails the read in the engine itself
    ("unknown stack"), before this function can add advice; the README's troubleshooting covers it.
    """
    import pulumi
    from pulumi.runtime.sync_await import _sync_await

    reference = pulumi.StackReference(stack_name)
    outputs: dict[str, Any] | None = _sync_await(reference.outputs.future())
    return dict(outputs or {})
