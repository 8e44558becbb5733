"""Physical AWS names, derived from the stack's name prefix so two stacks never collide and plans are stable.

Each function returns a name that fits the tightest AWS rule for that resource (checked by tests against the
patterns in botocore's API models), given a prefix that `tenancy.config.NamePrefix` accepted (3-24 chars).
"""

from __future__ import annotations

import hashlib

# IAM path for tenant roles: the auth policy admits only roles under it, so it doubles as the tenant allow-list.
ROLE_PATH_ROOT = "/lattice-tenancy/"


def service_network(prefix: str) -> str:
    return f"{prefix}-sn"  # ≤63


def resource_gateway(prefix: str) -> str:
    return f"{prefix}-rgw"  # ≤40


def resource_configuration(prefix: str) -> str:
    return f"{prefix}-db"  # ≤40


def database(prefix: str) -> str:
    return f"{prefix}-db"  # RDS identifier ≤63


def security_group_prefix(prefix: str, role: str) -> str:
    # A prefix, not a name: the provider appends a unique suffix, so a replacement can be created before the old
    # group is deleted (EC2 rejects a second group with the same name in a VPC).
    return f"{prefix}-{role}-"


def database_group_prefix(prefix: str) -> str:
    # Parameter and option groups: a new engine family or major version replaces them, and the old group can't be
    # deleted first while the instance still uses it; with a prefix the new one is created beside it.
    return f"{prefix}-db-"


def final_snapshot(prefix: str, *replacement_settings: str) -> str:
    """`<prefix>-db-final-<8 hex>`: the hash of the settings that force the instance's replacement, so the snapshot
    of one replacement never collides with an earlier one's (RDS refuses a duplicate snapshot identifier). A
    destroy and re-create with unchanged settings does reuse the name: delete or rename the old snapshot first."""
    digest = hashlib.sha256("\n".join(replacement_settings).encode()).hexdigest()[:8]
    return f"{prefix}-db-final-{digest}"  # 24 + 18 ≤ 255, letters, digits, single hyphens


def resource_share(prefix: str) -> str:
    return f"{prefix}-share"


def role_path(prefix: str) -> str:
    return f"{ROLE_PATH_ROOT}{prefix}/"


def tenant_role(prefix: str, tenant: str) -> str:
    return f"{prefix}-{tenant}"  # 24 + 1 + 32 ≤ 64 (IAM role name limit)


def trail(prefix: str) -> str:
    return f"{prefix}-trail"


def audit_bucket(prefix: str, account_id: str, region: str) -> str:
    # S3 names are global: the account and region make it unique. 24 + 7 + 12 + 1 + 16 ≤ 63.
    return f"{prefix}-audit-{account_id}-{region}"


def trail_log_group(prefix: str) -> str:
    return f"/aws/cloudtrail/{prefix}"


def trail_logs_role(prefix: str) -> str:
    return f"{prefix}-trail-to-logs"  # ≤ 24 + 14 (IAM role names ≤ 64)


def monitoring_role(prefix: str) -> str:
    return f"{prefix}-rds-monitoring"  # ≤ 24 + 15


# Service roles live under AWS's conventional path, never under the tenant path that the auth policy admits.
SERVICE_ROLE_PATH = "/service-role/"


def region_switch_plan(prefix: str) -> str:
    """ARC plan names are at most 32 characters: a 24-character prefix is cut by one to fit."""
    return f"{prefix[:23].rstrip('-')}-failover"


def region_switch_role(prefix: str) -> str:
    return f"{prefix}-region-switch"  # ≤ 24 + 14


def audit_key_alias(prefix: str) -> str:
    return f"alias/{prefix}-audit"


def database_key_alias(prefix: str) -> str:
    return f"alias/{prefix}-database"


def access_log_bucket(prefix: str, account_id: str, region: str) -> str:
    # The audit bucket's server access logs. 24 + 8 + 12 + 1 + 16 ≤ 63.
    return f"{prefix}-s3logs-{account_id}-{region}"


def access_log_group(prefix: str) -> str:
    # /aws/vendedlogs/ keeps the CloudWatch Logs resource policy that log delivery needs from growing per group.
    return f"/aws/vendedlogs/vpc-lattice/{prefix}"


def connectable_dns_name(
    mode: str,
    *,
    resource_configuration_arn: str,
    association_dns_name: str | None,
    endpoint_associations: list[tuple[str, str | None]],
) -> str | None:
    """The VPC Lattice DNS name a client in the tenant VPC can use for the database, per connection mode.

    association: the owner's service-network resource association name (`snra-…`), which resolves in every VPC
        associated with the network.
    endpoint, resource: the endpoint's own name for the resource (`vpce-…-snra-…`, `vpce-…`): a service-network
        endpoint does not answer for the association's `snra-…` name (terraform-provider-aws#41261). The
        endpoint's associations come from `aws.vpc.get_endpoint_associations` as (associated resource ARN, DNS
        name) pairs; a service-network endpoint has one per resource in the network, so pick by ARN.
    None while AWS has not yet reported a name (the association is still pending).
    """
    if mode == "association":
        return association_dns_name
    for resource_arn, dns_name in endpoint_associations:
        if resource_arn == resource_configuration_arn and dns_name:
            return dns_name
    return None


def service(prefix: str, name: str) -> str:
    return f"{prefix}-{name}"  # 24 + 1 + 15 ≤ 40 (VPC Lattice service names)


def target_group(prefix: str, service_name: str, which: str) -> str:
    return f"{prefix}-{service_name}-{which}"  # ≤ 128, unique in the account


def listener(service_name: str, protocol: str) -> str:
    return f"{service_name}-{protocol.lower()}"  # 3-63, not "listener-…"


def listener_rule(service_name: str, priority: int) -> str:
    return f"{service_name}-p{priority}"  # 3-63, not "rule-…"


def canary_alarm(prefix: str, service_name: str, what: str) -> str:
    return f"{prefix}-{service_name}-canary-{what}"


def rollback_function(prefix: str) -> str:
    return f"{prefix}-canary-rollback"  # ≤ 64 (Lambda), also the role's and log group's name


def rollback_log_group(prefix: str) -> str:
    return f"/aws/lambda/{rollback_function(prefix)}"


def rollback_record_prefix(prefix: str) -> str:
    """The SSM parameter path the rollback function records rollbacks under (one parameter per service)."""
    return f"/lattice-tenancy/{prefix}/rollback/"


def service_tag(service_name: str) -> str:
    """The tag key on a tenant role that a service's auth policy requires (value "invoke")."""
    return f"lattice-service-{service_name}"


def flow_log_group(prefix: str) -> str:
    return f"/aws/vpc-flow-logs/{prefix}"


def flow_log_role(prefix: str) -> str:
    return f"{prefix}-flow-logs"  # ≤ 24 + 10


def alerts_topic(prefix: str) -> str:
    return f"{prefix}-alerts"


def alerts_key_alias(prefix: str) -> str:
    return f"alias/{prefix}-alerts"


def access_log_metric_namespace(prefix: str) -> str:
    return f"LatticeTenancy/{prefix}"


def monitoring_alarm(prefix: str, what: str) -> str:
    return f"{prefix}-{what}"


def change_event_rule(prefix: str, what: str) -> str:
    return f"{prefix}-changes-{what}"  # EventBridge rule names ≤ 64


def dashboard(prefix: str) -> str:
    return f"{prefix}-lattice"


def cost_export(prefix: str) -> str:
    return f"{prefix}-cur2"


def cost_export_bucket(prefix: str, account_id: str, region: str) -> str:
    return f"{prefix}-cur-{account_id}-{region}"  # 24 + 5 + 12 + 1 + 16 ≤ 63


def config_bucket(prefix: str, account_id: str, region: str) -> str:
    return f"{prefix}-config-{account_id}-{region}"  # 24 + 8 + 12 + 1 + 16 ≤ 63


def config_rule_log_group(prefix: str) -> str:
    return f"/aws/lambda/{prefix}-config-lattice"


def tenant_budget(prefix: str, tenant: str) -> str:
    return f"{prefix}-{tenant}"
