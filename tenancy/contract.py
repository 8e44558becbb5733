"""The owner stack's exports: the typed contract tenant stacks read through a StackReference.

Bump CONTRACT_VERSION when a field is removed or changes meaning; tenants refuse a version they don't know.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

CONTRACT_VERSION = "1"


class OwnerContract(BaseModel):
    """What the owner publishes, flat and named for humans. No secrets: external IDs stay in secret config."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    contract_version: str
    owner_account_id: str
    region: str
    service_network_arn: str
    service_network_id: str
    resource_share_arn: str
    resource_configuration_arn: str
    database_dns_name: str
    database_port: int
    # Per tenant, keyed by tenant name.
    tenant_account_ids: dict[str, str]
    tenant_role_arns: dict[str, str]
    tenant_db_users: dict[str, str]


CONTRACT_KEYS = tuple(OwnerContract.model_fields)
