"""Facts about the AWS account the stack deploys into, read through provider functions before any resource.

The lookups are thin; the checks on what they return are plain functions, tested without Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi_aws as aws


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


def zone_overlap_problems(key: str, subnets: list[SubnetFacts], gateway_zone_ids: list[str]) -> list[str]:
    """Subnets in an AZ the owner's resource gateway does not use: an endpoint gets no network interface there."""
    outside = [s for s in subnets if s.availability_zone_id not in gateway_zone_ids]
    if not outside:
        return []
    listed = ", ".join(f"{s.subnet_id} ({s.availability_zone_id})" for s in outside)
    return [
        f"{key}: {listed} {'is' if len(outside) == 1 else 'are'} in an Availability Zone the owner's resource gateway "
        f"does not use, so the endpoint would get no network interface there; use subnets in AZ IDs "
        f"{', '.join(gateway_zone_ids)} (AZ IDs, not names: names differ between accounts — see "
        "`aws ec2 describe-subnets --query 'Subnets[].[SubnetId,AvailabilityZoneId]'`)"
    ]


def subnet_problems(key: str, vpc_id: str, subnets: list[SubnetFacts]) -> list[str]:
    """Why these subnets can't hold a resource gateway or DB subnet group in `vpc_id` (empty when they can)."""
    problems = [
        f"{key}: {s.subnet_id} is in {s.vpc_id}, not in {vpc_id}; list subnets of the configured VPC"
        for s in subnets
        if s.vpc_id != vpc_id
    ]
    zones = {s.availability_zone_id for s in subnets}
    if len(zones) < 2:
        problems.append(
            f"{key}: all subnets are in one Availability Zone ({', '.join(sorted(zones))}); "
            "add a subnet in a second AZ (the resource gateway and the DB subnet group need two)"
        )
    return problems


def account_problems(key: str, expected: str | None, actual: Account) -> list[str]:
    if expected and expected != actual.account_id:
        return [
            f"{key}: this stack expects account {expected} but the AWS credentials are for {actual.account_id}; "
            "switch credentials (AWS_PROFILE) or correct the key"
        ]
    return []


def stack_problems(config, account: Account, subnets: list[SubnetFacts]) -> list[str]:
    """Everything about a stack's config that only the AWS account can tell (empty when all is well).

    `subnets`: the facts about `network.subnetIds`, looked up once by the caller (the owner exports their AZ IDs).
    """
    ns = "lattice-tenancy"
    problems = account_problems(f"{ns}:expectedAccountId", config.expected_account_id, account)
    network = config.network
    problems += subnet_problems(f"{ns}:network.subnetIds", network.vpc_id, subnets)
    if config.kind == "tenant":
        problems += vpc_dns_problems(f"{ns}:network.vpcId", describe_vpc(network.vpc_id))
    if config.kind == "owner":
        for key, arn in (
            ("database.kmsKeyArn", config.database.kms_key_arn),
            ("audit.kmsKeyArn", config.audit.kms_key_arn),
        ):
            if arn and arn.split(":")[3] != account.region:
                problems.append(
                    f"{ns}:{key}: the key is in {arn.split(':')[3]} but the stack deploys to {account.region}; "
                    "RDS, CloudTrail and CloudWatch Logs need a key in the same region"
                )
    if config.kind == "owner" and config.database.subnet_ids:
        problems += subnet_problems(
            f"{ns}:database.subnetIds", network.vpc_id, describe_subnets(config.database.subnet_ids)
        )
    return problems


def tenant_problems(config, contract, subnets: list[SubnetFacts]) -> list[str]:
    """What a tenant's config gets wrong given the owner's contract (its own keys named; empty when all is well)."""
    ns = "lattice-tenancy"
    problems = []
    if contract.database_port in config.service_ports:
        problems.append(
            f"{ns}:servicePorts: {contract.database_port} is the owner's database port, which the endpoint's "
            "security group opens to the clients already; remove it (servicePorts lists Lattice service ports only)"
        )
    if config.connection in ("endpoint", "resource"):
        problems += zone_overlap_problems(f"{ns}:network.subnetIds", subnets, contract.resource_gateway_az_ids)
    return problems


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
    return dict(_sync_await(reference.outputs.future()) or {})
