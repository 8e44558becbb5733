"""The AWS quotas that bound one owner account as tenants grow, checked before anything is declared.

Each check counts what this design creates (not what else the account holds) and answers with problems (the deploy
would fail: refused) and warnings (it fails unless the account's quota was raised, or comes close). Every message
names the quota, its default, whether and how far it can be raised, and where that is documented.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenancy import documents


@dataclass(frozen=True)
class Quota:
    name: str
    service: str
    default: int
    maximum: int | None  # None: not adjustable; else the highest value it can be raised to (or the default again)
    source: str
    unit: str = ""
    confirmed: bool = True  # False: the default is not stated on the cited page (README says so)

    def describe(self) -> str:
        raise_text = (
            "not adjustable"
            if self.maximum is None
            else f"adjustable up to {self.maximum:,}{self.unit}"
            if self.maximum != self.default
            else "adjustable in Service Quotas"
        )
        unconfirmed = "" if self.confirmed else ", default UNCONFIRMED"
        return (
            f'quota "{self.name}" ({self.service}): default {self.default:,}{self.unit}, {raise_text}{unconfirmed} — '
            f"{self.source}"
        )


IAM_QUOTAS = "IAM User Guide, IAM and AWS STS quotas"
ROLES_PER_ACCOUNT = Quota("Roles per account", "IAM", 1_000, 5_000, IAM_QUOTAS)
INLINE_ROLE_POLICY = Quota(
    "Role inline policy size (all inline policies of a role together)", "IAM", 10_240, None, IAM_QUOTAS, " characters"
)
RESOURCE_CONFIGURATIONS_PER_NETWORK = Quota(
    "Resource configurations per service network", "VPC Lattice", 500, 500, "VPC Lattice User Guide, Quotas"
)
SERVICE_ASSOCIATIONS_PER_NETWORK = Quota(
    "Service associations per service network", "VPC Lattice", 500, 500, "VPC Lattice User Guide, Quotas"
)
SHARED_PRINCIPALS = Quota(
    "Shared principals (each principal a share names; an organization or OU counts once)",
    "AWS RAM",
    5_000,
    5_000,
    "AWS RAM User Guide, Service quotas for AWS RAM",
    confirmed=False,
)
# Service roles a stack may add besides the tenant roles (Enhanced Monitoring, trail to logs, flow logs, canary
# rollback, Config recorder and rule, Region switch plan): an upper bound, so the count errs on the safe side.
SERVICE_ROLES = 8
# Warn from this share of a limit on: other roles and principals of the account count against it too.
NEAR = 0.8

# Lengths of what a role's access policy names but only AWS assigns (VPC Lattice service IDs are svc- and 17 hex
# characters, RDS resource IDs db- and 26): the policy's size is exact before they exist.
SERVICE_ARN_TEMPLATE = "arn:{partition}:vpc-lattice:{region}:{account}:service/svc-" + "0" * 17
NETWORK_ARN_TEMPLATE = "arn:{partition}:vpc-lattice:{region}:{account}:servicenetwork/sn-" + "0" * 17
DB_RESOURCE_ID = "db-" + "0" * 26


def _limit_check(key: str, count: int, what: str, quota: Quota) -> tuple[list[str], list[str]]:
    ceiling = quota.maximum if quota.maximum is not None else quota.default
    if count > ceiling:
        return [f"{key}: {what} ({count:,}) exceed the most AWS allows — {quota.describe()}"], []
    if count > quota.default:
        return [], [f"{key}: {what} ({count:,}) exceed the default; raise it before deploying — {quota.describe()}"]
    if count > NEAR * quota.default:
        return [], [f"{key}: {what} ({count:,}) are near the default — {quota.describe()}"]
    return [], []


def tenant_policy_chars(
    *, partition: str, region: str, account_id: str, tenant_account_id: str, db_user: str, services: int
) -> int:
    """Characters of one tenant role's access policy in one Region (compact JSON, as the stacks write it)."""
    document = documents.tenant_access_policy(
        partition=partition,
        region=region,
        owner_account_id=account_id,
        tenant_account_id=tenant_account_id,
        service_network_arn=NETWORK_ARN_TEMPLATE.format(partition=partition, region=region, account=account_id),
        db_resource_id=DB_RESOURCE_ID,
        db_user=db_user,
        service_arns=[SERVICE_ARN_TEMPLATE.format(partition=partition, region=region, account=account_id)] * services,
    )
    return len(documents.compact_json(document))


@dataclass(frozen=True)
class TenantRole:
    name: str
    account_id: str
    db_user: str


def quota_problems(
    *,
    tenants: list[TenantRole],
    partition: str,
    account_id: str,
    regions: dict[str, dict[str, int]],
    share_principals: int,
    services: int,
    room_for_standby: bool,
    stacks_in_account: int = 1,
    namespace: str = "lattice-tenancy",
) -> tuple[list[str], list[str]]:
    """(problems, warnings) for a stack serving `tenants`. `regions`: per Region whose stack gives each role an inline
    policy, the number of services each tenant may invoke there (an owner: its own; a recovery stack: the primary's
    and its own). `room_for_standby`: warn when one more Region of the same shape would not fit (an owner's roles
    get a second policy from each recovery stack). `stacks_in_account`: how many of this project's stacks add service
    roles to the account (a recovery stack shares the owner's account)."""
    problems: list[str] = []
    warnings: list[str] = []

    def add(result: tuple[list[str], list[str]]) -> None:
        problems.extend(result[0])
        warnings.extend(result[1])

    service_roles = SERVICE_ROLES * stacks_in_account
    add(
        _limit_check(
            f"{namespace}:tenants",
            len(tenants) + service_roles,
            f"{len(tenants):,} tenant roles and up to {service_roles} service roles",
            ROLES_PER_ACCOUNT,
        )
    )
    add(_limit_check(f"{namespace}:sharing", share_principals, "the share's principals", SHARED_PRINCIPALS))
    add(_limit_check(f"{namespace}:services", services, "services in the network", SERVICE_ASSOCIATIONS_PER_NETWORK))
    add(_limit_check(f"{namespace}:database", 1, "resource configurations", RESOURCE_CONFIGURATIONS_PER_NETWORK))

    sizes = {
        tenant.name: [
            tenant_policy_chars(
                partition=partition,
                region=region,
                account_id=account_id,
                tenant_account_id=tenant.account_id,
                db_user=tenant.db_user,
                services=allowed.get(tenant.name, 0),
            )
            for region, allowed in regions.items()
        ]
        for tenant in tenants
    }
    limit = INLINE_ROLE_POLICY.default
    for name, per_region in sorted(sizes.items(), key=lambda item: (-sum(item[1]), item[0]))[:1]:  # the largest
        total = sum(per_region)
        where = f"in {len(per_region)} Region{'s' if len(per_region) > 1 else ''}"
        if total > limit:
            problems.append(
                f"{namespace}:services: tenant {name}'s role would need {total:,} characters of inline policy {where}, "
                f"over the limit; let it invoke fewer services — {INLINE_ROLE_POLICY.describe()}"
            )
        elif total > NEAR * limit or (room_for_standby and total + max(per_region) > limit):
            warnings.append(
                f"{namespace}:services: tenant {name}'s role has {total:,} characters of inline policy {where}"
                + (", and a recovery stack would add a policy of the same shape" if room_for_standby else "")
                + f"; near or over the limit — {INLINE_ROLE_POLICY.describe()}"
            )
    return problems, warnings
