"""RDS DB instances: encryption, network exposure, backups, deletion protection, authentication, logging, monitoring."""

from __future__ import annotations

from .common import (
    ADVISORY,
    CRITICAL,
    DEVELOPMENT_STACKS,
    HIGH,
    LOW,
    MANDATORY,
    MEDIUM,
    ResourceRule,
    StackRule,
    format_list,
    is_false,
    is_production,
    is_true,
    items,
    number,
    stack_of,
    text,
)

INSTANCE = "aws:rds/instance:Instance"

# Log types Security Hub RDS.9 asks each engine to export to CloudWatch Logs.
REQUIRED_LOG_TYPES = {
    "mysql": ["audit", "error", "general", "slowquery"],
    "mariadb": ["audit", "error", "general", "slowquery"],
    "postgres": ["postgresql"],
}
# The engines' default master user names (Security Hub RDS.25).
DEFAULT_MASTER_USERNAMES = ["admin", "postgres"]
# Enhanced Monitoring granularities RDS accepts, in seconds (0 turns it off).
MONITORING_INTERVALS = (1, 5, 10, 15, 30, 60)


def _is_replica(props) -> bool:
    return bool(props.get("replicateSourceDb"))


def _storage_encrypted(args, config, report):
    if not is_true(args.props.get("storageEncrypted")):
        report("storageEncrypted is not true (the provider's default is false): set storage_encrypted=True")


def _not_public(args, config, report):
    if is_true(args.props.get("publiclyAccessible")):
        report("publiclyAccessible is true: the instance gets a public DNS name; set publicly_accessible=False")


def _backups(args, config, report):
    minimum = config["minimumDays"]
    days = number(args.props.get("backupRetentionPeriod"))
    if days is None:
        report(
            f"backupRetentionPeriod is not set (the provider's default is 0: no automated backups); set "
            f"backup_retention_period to at least {minimum}"
        )
    elif days < minimum:
        report(f"backupRetentionPeriod is {days:g} days; set at least {minimum}")


def _deletion_protection(args, config, report):
    stack = stack_of(args.urn)
    if is_production(stack, config) and not is_true(args.props.get("deletionProtection")):
        report(
            f"deletionProtection is not true in stack {stack!r}, which is production for this pack (list it in "
            f"developmentStacks to waive this); set deletion_protection=True"
        )


def _iam_auth(args, config, report):
    if not is_true(args.props.get("iamDatabaseAuthenticationEnabled")):
        report("iamDatabaseAuthenticationEnabled is not true: set iam_database_authentication_enabled=True")


def _managed_password(args, config, report):
    props = args.props
    if _is_replica(props):
        return  # a replica has no master user of its own
    for key in ("password", "passwordWo"):
        if props.get(key):
            report(
                f"{key} is set: the master password passes through the program (and `password` into the state); "
                f"remove it and set manage_master_user_password=True"
            )
    if not is_true(props.get("manageMasterUserPassword")):
        report("manageMasterUserPassword is not true: let RDS keep the master password in Secrets Manager")


def _minor_upgrades(args, config, report):
    if is_false(args.props.get("autoMinorVersionUpgrade")):
        report("autoMinorVersionUpgrade is false: minor versions carry security fixes; remove it or set it true")


def _log_exports(args, config, report):
    engine = text(args.props.get("engine")).lower()
    required = (config["requiredLogTypes"] or {}).get(engine)
    if not required:
        return  # an engine the pack has no list for (or a replica, which inherits the engine)
    exported = {t for t in items(args.props.get("enabledCloudwatchLogsExports")) if isinstance(t, str)}
    missing = [t for t in required if t not in exported]
    if missing:
        report(
            f"enabledCloudwatchLogsExports lacks {format_list(missing)} (required for {engine}: {format_list(required)})"
        )


def _subnet_group(args, config, report):
    if not text(args.props.get("dbSubnetGroupName")):
        report("dbSubnetGroupName is not set: the instance would land in the default subnet group (default VPC)")


def _multi_az(args, config, report):
    stack = stack_of(args.urn)
    if is_production(stack, config) and not is_true(args.props.get("multiAz")):
        report(f"multiAz is not true in production stack {stack!r}: one AZ outage takes the shared database down")


def _copy_tags(args, config, report):
    if not is_true(args.props.get("copyTagsToSnapshot")):
        report("copyTagsToSnapshot is not true (the default is false): snapshots lose the ownership tags")


def _final_snapshot(args, config, report):
    if _is_replica(args.props):
        return  # RDS takes no final snapshot of a replica (its data is the source's) and refuses a name for one
    if is_true(args.props.get("skipFinalSnapshot")):
        report("skipFinalSnapshot is true: destroying the instance discards its data")
    elif not text(args.props.get("finalSnapshotIdentifier")):
        report("finalSnapshotIdentifier is not set while a final snapshot is taken: a destroy fails without it")


def _region_of_arn(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def _instance_region(args) -> str | None:
    """The instance's Region: its own `region` input, else its provider's (None offline without either)."""
    provider = getattr(args, "provider", None)
    provider_props = getattr(provider, "props", None) or {}
    return text(args.props.get("region")) or text(provider_props.get("region")) or None


def _replica_key(args, config, report):
    props = args.props
    if not _is_replica(props):
        return
    source_region = _region_of_arn(text(props.get("replicateSourceDb")))
    region = _instance_region(args)
    key = text(props.get("kmsKeyId"))
    if not key:
        if source_region and source_region != region:
            report(
                "a cross-Region replica without kmsKeyId: RDS needs a KMS key in the replica's own Region to encrypt "
                "it (its source's key is in another Region); set kms_key_id to a key in "
                + (region or "the replica's Region")
            )
        return
    key_region = _region_of_arn(key)
    if region is None:
        report(
            "the replica's Region is unknown to this check (no region input, no provider): set region= on the "
            "instance so its key's Region can be checked"
        )
    elif key_region and key_region != region:
        report(f"kmsKeyId is a key in {key_region}, but the replica is in {region}: KMS keys are regional")


def _enhanced_monitoring(args, config, report):
    props = args.props
    interval = number(props.get("monitoringInterval"))
    if not interval:  # unset (the default) or 0: off
        stack = stack_of(args.urn)
        if is_production(stack, config):
            shown = "not set (the default, 0)" if interval is None else "0"
            report(
                f"monitoringInterval is {shown}: Enhanced Monitoring is off in stack {stack!r}, which is production "
                f"for this pack; set monitoring_interval (60) and monitoring_role_arn (list the stack in "
                f"developmentStacks to turn it off on purpose)"
            )
        return
    if interval not in MONITORING_INTERVALS:
        report(
            f"monitoringInterval is {interval:g}; RDS accepts {format_list(MONITORING_INTERVALS)} seconds (or 0: off)"
        )
    if not text(props.get("monitoringRoleArn")):
        report(
            f"monitoringRoleArn is not set while monitoringInterval is {interval:g}: RDS needs a role trusting "
            f"monitoring.rds.amazonaws.com, with AmazonRDSEnhancedMonitoringRole attached, to publish the metrics"
        )


def _custom_username(args, config, report):
    username = text(args.props.get("username"))
    if username and not _is_replica(args.props) and username.lower() in {u.lower() for u in config["defaultUsernames"]}:
        report(f"username is the engine default {username!r}: choose a custom master user name")


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "rds-storage-encrypted",
        "RDS instances encrypt their storage at rest",
        types=[INSTANCE],
        check=_storage_encrypted,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub RDS.3", "CIS 2.3.1", "checkov CKV_AWS_16"],
    ),
    ResourceRule(
        "rds-not-publicly-accessible",
        "RDS instances are not publicly accessible",
        types=[INSTANCE],
        check=_not_public,
        level=MANDATORY,
        severity=CRITICAL,
        controls=["Security Hub RDS.2", "checkov CKV_AWS_17"],
    ),
    ResourceRule(
        "rds-backup-retention",
        "RDS instances keep automated backups for at least the configured number of days",
        types=[INSTANCE],
        check=_backups,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub RDS.11", "checkov CKV_AWS_133"],
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "maximum": 35,
                "default": 7,
                "description": "Fewest days of automated backups.",
            }
        },
    ),
    ResourceRule(
        "rds-deletion-protection",
        "RDS instances in production stacks have deletion protection",
        types=[INSTANCE],
        check=_deletion_protection,
        level=MANDATORY,
        severity=LOW,
        controls=["Security Hub RDS.8", "checkov CKV_AWS_293"],
        config=dict(DEVELOPMENT_STACKS),
    ),
    ResourceRule(
        "rds-iam-authentication",
        "RDS instances accept IAM database authentication",
        types=[INSTANCE],
        check=_iam_auth,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub RDS.10", "checkov CKV_AWS_161"],
    ),
    ResourceRule(
        "rds-managed-master-password",
        "RDS master passwords are managed by RDS in Secrets Manager, never given to the program",
        types=[INSTANCE],
        check=_managed_password,
        level=MANDATORY,
        severity=HIGH,
    ),
    ResourceRule(
        "rds-auto-minor-version-upgrade",
        "RDS instances take minor engine upgrades automatically",
        types=[INSTANCE],
        check=_minor_upgrades,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub RDS.13", "checkov CKV_AWS_226"],
    ),
    ResourceRule(
        "rds-log-exports",
        "RDS instances export their engine's audit, error and query logs to CloudWatch Logs",
        types=[INSTANCE],
        check=_log_exports,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub RDS.9", "checkov CKV_AWS_129"],
        config={
            "requiredLogTypes": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "default": REQUIRED_LOG_TYPES,
                "description": "Engine (as in `engine`) → log types it must export; engines not listed are skipped.",
            }
        },
    ),
    ResourceRule(
        "rds-in-subnet-group",
        "RDS instances are placed in a DB subnet group of the intended VPC",
        types=[INSTANCE],
        check=_subnet_group,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub RDS.18"],
    ),
    ResourceRule(
        "rds-multi-az",
        "RDS instances in production stacks are Multi-AZ",
        types=[INSTANCE],
        check=_multi_az,
        level=ADVISORY,
        severity=MEDIUM,
        controls=["Security Hub RDS.5", "checkov CKV_AWS_157"],
        config=dict(DEVELOPMENT_STACKS),
    ),
    ResourceRule(
        "rds-enhanced-monitoring",
        "RDS instances in production stacks have Enhanced Monitoring on, with a monitoring role",
        types=[INSTANCE],
        check=_enhanced_monitoring,
        level=ADVISORY,
        severity=LOW,
        controls=["Security Hub RDS.6", "checkov CKV_AWS_118"],
        config=dict(DEVELOPMENT_STACKS),
    ),
    ResourceRule(
        "rds-copy-tags-to-snapshot",
        "RDS instances copy their tags to snapshots",
        types=[INSTANCE],
        check=_copy_tags,
        level=ADVISORY,
        severity=LOW,
        controls=["Security Hub RDS.17", "checkov CKV2_AWS_60"],
    ),
    ResourceRule(
        "rds-replica-key-in-its-region",
        "RDS read replicas in another Region than their source are encrypted with a KMS key of their own Region",
        types=[INSTANCE],
        check=_replica_key,
        level=MANDATORY,
        severity=HIGH,
        controls=["RDS User Guide: cross-Region read replicas"],
    ),
    ResourceRule(
        "rds-final-snapshot",
        "RDS instances take a named final snapshot when destroyed",
        types=[INSTANCE],
        check=_final_snapshot,
        level=ADVISORY,
        severity=MEDIUM,
    ),
    ResourceRule(
        "rds-custom-master-username",
        "RDS master user names are not the engine default",
        types=[INSTANCE],
        check=_custom_username,
        level=ADVISORY,
        severity=MEDIUM,
        controls=["Security Hub RDS.25"],
        config={
            "defaultUsernames": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_MASTER_USERNAMES,
                "description": "Master user names refused (compared case-insensitively).",
            }
        },
    ),
]
