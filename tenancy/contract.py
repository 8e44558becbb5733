"""The owner stack's exports: the typed contract tenant stacks read through a StackReference.

Bump CONTRACT_VERSION when a field is added that tenants need, or one is removed or changes meaning; tenants
refuse a version they don't know, saying which side runs the older release.

Versions: 1 — the first release. 2 — adds `resource_gateway_az_ids` (tenants check their subnets against it).
3 — adds `services` (the shared HTTP services and who may call them).
4 — adds which Region and role each stack serves (`stack_role`, `primary_region`), and what a recovery stack in a
standby Region needs of its primary (database ARN, engine version, backups, share principals, role path, teams).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

CONTRACT_VERSION = "4"
PRIMARY, STANDBY = "primary", "standby"


class SharedServiceContract(BaseModel):
    """One shared HTTP service as tenants see it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    dns_name: str
    port: int
    arn: str
    tenants: list[str]


class OwnerContract(BaseModel):
    """What the owner publishes, flat and named for humans. No secrets: external IDs stay in secret config."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    contract_version: str
    owner_account_id: str
    region: str
    service_network_arn: str
    service_network_id: str
    resource_share_arn: str
    # What the RAM share carries: "serviceNetwork" and/or "resourceConfiguration".
    shared_resources: list[str]
    # Accounts the share reaches by invitation (outside the organization, or org sharing off); the rest of the
    # principals receive it without one.
    invited_account_ids: list[str]
    resource_configuration_arn: str
    # The Lattice DNS name of the database in the service network, and its port.
    database_dns_name: str
    database_port: int
    # The RDS endpoint's own host name: IAM auth tokens and TLS certificates are issued for it.
    database_address: str
    # Availability Zone IDs (e.g. euw1-az1) of the resource gateway's subnets: a tenant endpoint gets network
    # interfaces only in these. IDs, not names: AZ names map differently in each account.
    resource_gateway_az_ids: list[str]
    # Shared HTTP services by name: {"dns_name", "port", "arn", "tenants"} (tenants: who may invoke it).
    services: dict[str, SharedServiceContract]
    # Per tenant, keyed by tenant name.
    tenant_account_ids: dict[str, str]
    tenant_role_arns: dict[str, str]
    tenant_db_users: dict[str, str]
    tenant_teams: dict[str, str]
    # "primary" (an owner stack) or "standby" (a recovery stack, serving `region` with a replica of the primary's
    # database in `primary_region`). Each stack serves one Region; a tenant connects there with a stack per Region.
    stack_role: str
    primary_region: str
    # What a recovery stack needs of its primary (and reports of itself).
    name_prefix: str
    database_instance_arn: str
    database_engine_version: str
    database_backup_retention_days: int
    share_principals: list[str]
    allow_external_principals: bool
    # IAM path of the tenant roles (the auth policies admit roles under it).
    tenant_role_path: str


CONTRACT_KEYS = tuple(OwnerContract.model_fields)


def _version_number(version: object) -> int:
    try:
        return int(str(version))
    except ValueError:
        return -1


class ContractError(Exception):
    """The owner's exports don't serve this tenant; the message says what to do."""


def check_contract(
    outputs: Mapping[str, Any],
    *,
    owner_stack: str,
    tenant: str,
    account_id: str,
    region: str,
    acceptance: str,
    namespace: str = "lattice-tenancy",
) -> OwnerContract:
    """The owner's exports as a contract this tenant can use, or a ContractError saying what to do."""
    where = f"{namespace}:ownerStack ({owner_stack})"
    if not outputs:
        raise ContractError(
            f"{where}: the owner stack exports nothing. Deploy it first (pulumi up -s owner in the owner account), "
            "or correct ownerStack to its <organization>/lattice-tenancy/<stack> name."
        )
    version = outputs.get("contract_version")
    if version is None:
        kind = "a lattice-tenancy tenant stack" if "database_user" in outputs or "connection" in outputs else "a stack"
        raise ContractError(
            f"{where}: names {kind} that publishes no owner contract (no contract_version export), not an owner "
            "stack. Set ownerStack to the platform team's owner stack, <organization>/lattice-tenancy/<owner stack>."
        )
    if version != CONTRACT_VERSION:
        older = _version_number(version) < _version_number(CONTRACT_VERSION)
        side = (
            "the owner runs an older lattice-tenancy release: ask the platform team to upgrade it and run "
            "`pulumi up -s <owner stack>`, then rerun this stack"
            if older
            else "this checkout is older than the owner's release: update it (git pull) and rerun"
        )
        raise ContractError(
            f"{where}: the owner publishes contract version {version!r}, this program reads version "
            f"{CONTRACT_VERSION!r}; {side}. Both sides must run the same lattice-tenancy release."
        )
    contract = _validated(outputs, where, "Ask the platform team to finish `pulumi up -s owner`.")
    if tenant not in contract.tenant_account_ids:
        known = ", ".join(sorted(contract.tenant_account_ids)) or "none"
        raise ContractError(
            f"{namespace}:tenant: {tenant!r} is not a tenant of {owner_stack} (it knows: {known}). Ask the platform "
            "team to add it to the owner's tenants and run `pulumi up -s owner`, or correct the tenant name."
        )
    expected = contract.tenant_account_ids[tenant]
    if expected != account_id:
        raise ContractError(
            f"{namespace}:tenant: the owner lists {tenant!r} as account {expected}, but these AWS credentials are "
            f"for account {account_id}. Switch credentials (AWS_PROFILE) or correct the tenant name."
        )
    invited = account_id in contract.invited_account_ids
    if acceptance == "invite" and not invited:
        raise ContractError(
            f"{namespace}:acceptance: 'invite', but the owner shares with this account without an invitation "
            '(inside its organization), and accepting a share that needs no acceptance fails with "No RAM Resource '
            'Share invitation found". Set acceptance: auto, or ask the platform team to list this account in '
            "sharing.externalAccountIds."
        )
    if acceptance == "auto" and invited:
        raise ContractError(
            f"{namespace}:acceptance: 'auto', but the owner shares with this account by invitation "
            "(sharing.externalAccountIds), which must be accepted before anything can connect. Set acceptance: invite."
        )
    if contract.region != region:
        raise ContractError(
            f"aws:region: {owner_stack} serves {contract.region} (its {contract.stack_role} Region) and VPC Lattice "
            f"and RAM are regional; this stack deploys to {region}. Set aws:region to {contract.region}, or, to "
            f"connect in {region}, set {namespace}:ownerStack to the recovery stack that serves {region}."
        )
    return contract


def _read(outputs: Mapping[str, Any], where: str) -> OwnerContract:
    """The version, completeness and shape checks every reader of a contract makes."""
    if not outputs:
        raise ContractError(f"{where}: the stack exports nothing. Deploy it first, or correct the name.")
    version = outputs.get("contract_version")
    if version != CONTRACT_VERSION:
        raise ContractError(
            f"{where}: publishes contract version {version!r}, this program reads version {CONTRACT_VERSION!r}; "
            "both stacks must run the same lattice-tenancy release (upgrade the older one and rerun it)."
        )
    return _validated(outputs, where, "Finish `pulumi up` of that stack.")


def _validated(outputs: Mapping[str, Any], where: str, finish: str) -> OwnerContract:
    """A contract of this version: complete (else `finish` says what to do) and well-formed."""
    missing = [k for k in CONTRACT_KEYS if outputs.get(k) is None]
    if missing:
        raise ContractError(f"{where}: the owner's contract lacks {', '.join(missing)}. {finish}")
    try:
        return OwnerContract.model_validate(dict(outputs))
    except ValidationError as error:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors())
        raise ContractError(f"{where}: the owner's contract is malformed ({fields}).") from None


def check_primary_contract(
    outputs: Mapping[str, Any],
    *,
    primary_stack: str,
    account_id: str,
    region: str,
    name_prefix: str,
    namespace: str = "lattice-tenancy",
) -> OwnerContract:
    """The primary owner's contract, checked for a recovery stack in a standby Region; or a ContractError."""
    where = f"{namespace}:primaryStack ({primary_stack})"
    contract = _read(outputs, where)
    problems = []
    if contract.stack_role != PRIMARY:
        problems.append(
            f"{where}: names a {contract.stack_role} stack; name the primary owner stack (a recovery stack replicates "
            "the primary's database, not another replica)"
        )
    if contract.owner_account_id != account_id:
        problems.append(
            f"{where}: the primary is in account {contract.owner_account_id}, these credentials are for {account_id}; "
            "a cross-Region replica stays in its source's account: deploy with the primary's account"
        )
    if contract.region == region:
        problems.append(
            f"aws:region: {region} is the primary's Region; a recovery stack needs another Region (a standby Region "
            "survives what takes the primary's down)"
        )
    if contract.database_backup_retention_days < 1:
        problems.append(
            f"{where}: the primary's database keeps no automated backups, and RDS makes a replica only of a source "
            "that does: set the owner's database.backupRetentionDays (7 or more) and run `pulumi up` there first"
        )
    if contract.name_prefix == name_prefix:
        problems.append(
            f"{namespace}:namePrefix: {name_prefix!r} is the primary's too; IAM names are global and would collide: "
            f'choose another, e.g. "{name_prefix[:21]}-dr"'
        )
    if problems:
        raise ContractError("\n".join(problems))
    return contract
