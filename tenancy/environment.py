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


def describe_subnets(subnet_ids: list[str]) -> list[SubnetFacts]:
    facts = []
    for subnet_id in subnet_ids:
        subnet = aws.ec2.get_subnet(id=subnet_id)
        facts.append(SubnetFacts(subnet_id, subnet.vpc_id, subnet.availability_zone_id))
    return facts


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


def stack_problems(config, account: Account) -> list[str]:
    """Everything about a stack's config that only the AWS account can tell (empty when all is well)."""
    ns = "lattice-tenancy"
    problems = account_problems(f"{ns}:expectedAccountId", config.expected_account_id, account)
    network = config.network
    problems += subnet_problems(f"{ns}:network.subnetIds", network.vpc_id, describe_subnets(network.subnet_ids))
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
