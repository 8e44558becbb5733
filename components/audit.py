"""The audit record: CloudTrail for API calls, VPC Lattice access logs for every request and connection, and the
keys, buckets and log groups that hold them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import hardened_bucket
from components.roles import service_role
from tenancy import documents, naming
from tenancy.config import Audit as AuditSettings
from tenancy.environment import Account

# Where the audit bucket's server access logs go inside the log bucket.
SERVER_ACCESS_LOG_PREFIX = "audit-bucket/"


@dataclass(frozen=True)
class AuditArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys (bucket names, ARNs and the key policy derive from it)."""
    service_network_id: pulumi.Input[str]
    """The network whose traffic is logged."""
    settings: AuditSettings
    """The `audit` config: trail on or off, retentions, a customer managed key to use."""
    create_key: bool
    """No key configured, production: create one (rotated, protected). Neither: AWS managed keys."""
    other_log_groups: list[str]
    """Log groups of other components that the key encrypts too (its policy names every one)."""
    other_logged_buckets: dict[str, str]
    """Other buckets whose server access logs go to the log bucket: prefix → bucket name."""
    protect: bool
    """Production profile: Pulumi `protect` on the key and buckets, which are then never force-emptied."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class Audit(pulumi.ComponentResource):
    """CloudTrail into a locked-down S3 bucket and CloudWatch Logs; both kinds of Lattice access logs; the key.

    Outputs: access_log_group_name, key_arn (None with AWS managed keys), and (None when trail is off) trail_arn,
    bucket_name, trail_log_group_name, server_access_log_bucket_name.
    Children: `<name>-key` Key and `<name>-key-alias` Alias (create_key only); `<name>-access-logs` LogGroup and
    `<name>-resource-logs`, `<name>-service-logs` AccessLogSubscription (types RESOURCE and SERVICE). With the
    trail: the audit bucket `<name>-bucket` and the server access log bucket `<name>-s3logs`, each with
    `-public-access` BucketPublicAccessBlock, `-encryption` BucketServerSideEncryptionConfiguration, `-versioning`
    BucketVersioning, `-ownership` BucketOwnershipControls, `-policy` BucketPolicy (the log bucket also
    `-lifecycle` BucketLifecycleConfiguration); `<name>-bucket-logging` BucketLogging; `<name>-trail-logs`
    LogGroup, `<name>-trail-role` Role and `<name>-trail-role-policy` RolePolicy; `<name>-trail` Trail (after the
    bucket policy and the role policy).
    """

    # Outputs
    access_log_group_name: pulumi.Output[str]
    """the Lattice access log group"""
    key_arn: pulumi.Output[str] | None
    """the audit key (None with AWS managed keys or a configured key)"""
    trail_arn: pulumi.Output[str] | None
    """the trail (None when the trail is off)"""
    bucket_name: pulumi.Output[str] | None
    """the audit bucket"""
    trail_log_group_name: pulumi.Output[str] | None
    """the trail's CloudWatch log group"""
    server_access_log_bucket_name: pulumi.Output[str] | None
    """the audit bucket's server access log bucket"""

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:audit:Audit", name, None, opts)
        # Fixed names (the trail ARN guards the bucket and key policies; log group names are in the README and the
        # exports): a replacement deletes the old one first, or the new one's name collides.
        self._replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        trail_name = naming.trail(args.name_prefix)
        trail_arn = documents.trail_arn(
            partition=args.account.partition,
            region=args.account.region,
            account_id=args.account.account_id,
            trail_name=trail_name,
        )
        access_log_group = naming.access_log_group(args.name_prefix)
        trail_log_group = naming.trail_log_group(args.name_prefix)

        self.key_arn: pulumi.Output[str] | None = None
        key: pulumi.Input[str] | None = args.settings.kms_key_arn
        if args.create_key:
            created = aws.kms.Key(
                f"{name}-key",
                description=f"lattice-tenancy {args.name_prefix}: CloudTrail, audit bucket and log groups",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=documents.compact_json(
                    documents.audit_key_policy(
                        partition=args.account.partition,
                        region=args.account.region,
                        account_id=args.account.account_id,
                        trail_arn=trail_arn,
                        log_groups=[access_log_group, *args.other_log_groups]
                        + ([trail_log_group] if args.settings.trail else []),
                    )
                ),
                tags=args.tags,
                # Losing the key loses every log it encrypted: Pulumi refuses to delete it.
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            aws.kms.Alias(
                f"{name}-key-alias",
                name=naming.audit_key_alias(args.name_prefix),
                target_key_id=created.key_id,
                opts=self._replace_by_deleting,
            )
            self.key_arn = created.arn
            key = created.arn

        self.trail_arn: pulumi.Output[str] | None = None
        self.bucket_name: pulumi.Output[str] | None = None
        self.trail_log_group_name: pulumi.Output[str] | None = None
        self.server_access_log_bucket_name: pulumi.Output[str] | None = None
        if args.settings.trail:
            self._create_trail(name, args, key, trail_name, trail_arn, trail_log_group)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=access_log_group,
            retention_in_days=args.settings.log_retention_days,
            kms_key_id=key,
            tags=args.tags,
            opts=self._replace_by_deleting,
        )
        # RESOURCE logs cover the database path (resource configurations); SERVICE logs cover HTTP services.
        for log_type in ("RESOURCE", "SERVICE"):
            aws.vpclattice.AccessLogSubscription(
                f"{name}-{log_type.lower()}-logs",
                resource_identifier=args.service_network_id,
                destination_arn=log_group.arn,
                service_network_log_type=log_type,
                tags=args.tags,
                # One subscription per log type and destination type: a replacement removes the old one first.
                opts=self._replace_by_deleting,
            )

        self.access_log_group_name = log_group.name
        self.register_outputs(
            {
                "access_log_group_name": self.access_log_group_name,
                "key_arn": self.key_arn,
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
                "trail_log_group_name": self.trail_log_group_name,
                "server_access_log_bucket_name": self.server_access_log_bucket_name,
            }
        )

    def _create_trail(
        self,
        name: str,
        args: AuditArgs,
        key: pulumi.Input[str] | None,
        trail_name: str,
        trail_arn: str,
        trail_log_group: str,
    ) -> None:
        bucket_name = naming.audit_bucket(args.name_prefix, args.account.account_id, args.account.region)
        log_bucket_name = naming.access_log_bucket(args.name_prefix, args.account.account_id, args.account.region)

        # Server access logging can deliver only to SSE-S3 encrypted buckets (S3 User Guide, server access logging).
        log_bucket, log_guards = hardened_bucket(
            self,
            f"{name}-s3logs",
            log_bucket_name,
            protect=args.protect,
            tags=args.tags,
            encryption={"sse_algorithm": "AES256"},
            policy=documents.access_log_bucket_policy(
                partition=args.account.partition,
                bucket=log_bucket_name,
                sources={SERVER_ACCESS_LOG_PREFIX: bucket_name, **args.other_logged_buckets},
                account_id=args.account.account_id,
            ),
            expire_after_days=args.settings.server_access_log_retention_days,
        )
        bucket, guards = hardened_bucket(
            self,
            f"{name}-bucket",
            bucket_name,
            protect=args.protect,
            tags=args.tags,
            encryption={"sse_algorithm": "aws:kms", "kms_master_key_id": key} if key else {"sse_algorithm": "AES256"},
            policy=documents.audit_bucket_policy(
                partition=args.account.partition,
                bucket=bucket_name,
                account_id=args.account.account_id,
                trail_arn=trail_arn,
            ),
        )
        aws.s3.BucketLogging(
            f"{name}-bucket-logging",
            bucket=bucket.id,
            target_bucket=log_bucket.id,
            target_prefix=SERVER_ACCESS_LOG_PREFIX,
            # Delivery checks the target's policy and ownership setting.
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_guards),
        )

        # CIS 3.4 / Security Hub CloudTrail.5: the trail also delivers to CloudWatch Logs, through a role only
        # this trail may assume, allowed only to write its own streams.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail-logs",
            name=trail_log_group,
            retention_in_days=args.settings.log_retention_days,
            kms_key_id=key,
            tags=args.tags,
            opts=self._replace_by_deleting,
        )
        role = service_role(
            self,
            f"{name}-trail-role",
            role_name=naming.trail_logs_role(args.name_prefix),
            description=f"CloudTrail {trail_name} delivers to CloudWatch Logs {trail_log_group}",
            trust_policy=documents.service_role_trust_policy(
                service="cloudtrail.amazonaws.com", account_id=args.account.account_id, source_arn=trail_arn
            ),
            tags=args.tags,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-trail-role-policy",
            name="cloudtrail-to-cloudwatch-logs",
            role=role.id,
            policy=documents.compact_json(
                documents.trail_logs_policy(
                    partition=args.account.partition,
                    region=args.account.region,
                    account_id=args.account.account_id,
                    log_group=trail_log_group,
                )
            ),
            opts=self._replace_by_deleting,
        )
        # CloudTrail checks at creation that it may write to the bucket and assume the role: policies first.
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=key,
            # CloudTrail wants the log group ARN with its ":*" suffix.
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=role.arn,
            tags=args.tags,
            opts=pulumi.ResourceOptions.merge(
                self._replace_by_deleting, pulumi.ResourceOptions(depends_on=[*guards, role_policy])
            ),
        )
        self.trail_arn = trail.arn
        self.bucket_name = bucket.id
        self.trail_log_group_name = log_group.name
        self.server_access_log_bucket_name = log_bucket.id
