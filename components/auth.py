"""Who may use what: the service network's auth policy and one IAM role per tenant in the owner account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tenancy import documents, naming
from tenancy.config import AccessWindow, Tenant
from tenancy.environment import Account


@dataclass(frozen=True)
class AuthArgs:
    name_prefix: str
    """Physical-name prefix of the stack (also the tenant roles' IAM path)."""
    account: Account
    """Where the stack deploys: partition, region, owner account."""
    service_network_id: pulumi.Input[str]
    """The network the auth policy guards."""
    service_network_arn: pulumi.Input[str]
    """The network the tenant roles may invoke services in."""
    db_resource_id: pulumi.Input[str]
    """The RDS instance's resource ID (`db-…`), for the roles' rds-db:connect ARNs."""
    tenants: list[Tenant]
    """The configured tenants."""
    external_ids: dict[str, pulumi.Output[str]]
    """Tenant name → external ID, as secret Outputs (they end up in the trust policies)."""
    access_window: AccessWindow
    """When tenants may invoke services (UTC)."""
    service_arns: dict[str, pulumi.Output[str]]
    """Shared service name → its ARN."""
    allowed_services: dict[str, list[str]]
    """Tenant name → the services it may invoke (its role is tagged for each, and may invoke only those)."""
    tags: dict[str, str]
    """Tags for every taggable child."""
    standby_for: dict[str, str] | None = None
    """Set in a recovery stack: tenant name → the primary's role ARN. The roles exist (IAM is global); this stack
    gives each a second inline policy for its own network and database, and creates no roles."""
    role_path: str | None = None
    """The tenant roles' IAM path (default: this stack's); a recovery stack admits the primary's roles."""


class Auth(pulumi.ComponentResource):
    """The auth policy (one statement, any number of tenants) and per-tenant roles bound to their own VPCs.

    Outputs: auth_policy (the JSON document), role_arns (tenant name → role ARN).
    Children: `<name>-policy` AuthPolicy; per tenant `<name>-<tenant>` Role (trusts the tenant's account with its
    external ID, tagged Team and TenantAccount) and `<name>-<tenant>-access` RolePolicy (Invoke in this network from
    VPCs of the tenant's own account, rds-db:connect as the tenant's own DB user); the role carries Tenant and
    Team for chargeback. In a recovery stack only the policy and a `<name>-<tenant>-standby`
    RolePolicy on the primary's role (the same rights here).
    """

    # Outputs
    auth_policy: str
    """the network's auth policy (compact JSON, the same for any number of tenants)"""
    role_arns: dict[str, pulumi.Output[str]]
    """tenant name → role ARN"""

    def __init__(self, name: str, args: AuthArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:auth:Auth", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Fixed names (role ARNs are in the contract; an inline policy is named per role): a replacement must
        # delete the old one first, or the new role's name collides and the old policy's deletion removes the new.
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        role_path = args.role_path or naming.role_path(args.name_prefix)

        self.auth_policy = documents.compact_json(
            documents.service_network_auth_policy(
                partition=args.account.partition,
                owner_account_id=args.account.account_id,
                role_path=role_path,
                not_before=args.access_window.not_before,
                not_after=args.access_window.not_after,
            )
        )
        aws.vpclattice.AuthPolicy(
            f"{name}-policy", resource_identifier=args.service_network_id, policy=self.auth_policy, opts=child
        )

        self.role_arns: dict[str, pulumi.Output[str]] = {}
        # What a tenant's access policy is built from, gathered once per set of allowed services (tenants share a
        # few), not once per tenant: each gathering is a handful of Outputs and tasks in the engine.
        gathered: dict[tuple[str, ...], pulumi.Output[list[Any]]] = {}
        for tenant in args.tenants:

            def trust_policy(external_id: str, account: str = tenant.account_id) -> str:
                return documents.compact_json(
                    documents.tenant_trust_policy(
                        partition=args.account.partition, tenant_account_id=account, external_id=external_id
                    )
                )

            def access_policy(
                values: list[Any], account: str = tenant.account_id, user: str = tenant.database_user
            ) -> str:
                return documents.compact_json(
                    documents.tenant_access_policy(
                        partition=args.account.partition,
                        region=args.account.region,
                        owner_account_id=args.account.account_id,
                        tenant_account_id=account,
                        service_network_arn=values[0],
                        db_resource_id=values[1],
                        db_user=user,
                        service_arns=list(values[2]),
                    )
                )

            services = tuple(args.allowed_services[tenant.name])
            if services not in gathered:
                allowed = pulumi.Output.all(*[args.service_arns[svc] for svc in services])
                gathered[services] = pulumi.Output.all(args.service_network_arn, args.db_resource_id, allowed)
            access = gathered[services].apply(access_policy)
            if args.standby_for is not None:
                role_arn = args.standby_for[tenant.name]
                aws.iam.RolePolicy(
                    f"{name}-{tenant.name}-standby",
                    # One inline policy per Region the role reaches (named after this stack: it is this stack's).
                    name=f"lattice-tenancy-standby-{args.account.region}",
                    role=role_arn.rsplit("/", 1)[-1],
                    policy=access,
                    opts=replace_by_deleting,
                )
                self.role_arns[tenant.name] = pulumi.Output.from_input(role_arn)
                continue
            # The external IDs arrive as secret Outputs: the trust policy stays secret in state.
            trust = args.external_ids[tenant.name].apply(trust_policy)
            role = aws.iam.Role(
                f"{name}-{tenant.name}",
                name=naming.tenant_role(args.name_prefix, tenant.name),
                path=role_path,
                description=f"lattice-tenancy tenant {tenant.name} (account {tenant.account_id})",
                assume_role_policy=trust,
                max_session_duration=3600,
                tags={
                    **args.tags,
                    "Tenant": tenant.name,
                    documents.TEAM_TAG: tenant.team,
                    documents.TENANT_ACCOUNT_TAG: tenant.account_id,
                    # What each service's auth policy requires of a caller.
                    **{
                        naming.service_tag(svc): documents.SERVICE_TAG_VALUE
                        for svc in args.allowed_services[tenant.name]
                    },
                },
                opts=replace_by_deleting,
            )
            aws.iam.RolePolicy(
                f"{name}-{tenant.name}-access",
                name="lattice-tenancy-access",
                role=role.id,
                policy=access,
                opts=replace_by_deleting,
            )
            self.role_arns[tenant.name] = role.arn

        self.register_outputs({"auth_policy": self.auth_policy, "role_arns": self.role_arns})
