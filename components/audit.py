"""The audit trail: CloudTrail for API calls, VPC Lattice access logs for every request and connection."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tenancy import documents, naming


@dataclass(frozen=True)
class AuditArgs:
    """Args.

    name_prefix: physical-name prefix of the stack.
    partition, region, account_id: where the stack deploys (the bucket name and trail ARN derive from them).
    service_network_id: the network whose traffic is logged.
    trail: create the CloudTrail trail and its bucket (turn off where an organization trail already records
        this account).
    log_retention_days: CloudWatch Logs retention of the access logs.
    kms_key_arn: customer managed key for the bucket and log group; None uses AWS-owned encryption.
    protect: production profile: Pulumi `protect` on the bucket, which is then never force-emptied.
    tags: tags for every taggable child.
    """

    name_prefix: str
    partition: str
    region: str
    account_id: str
    service_network_id: pulumi.Input[str]
    trail: bool
    log_retention_days: int
    kms_key_arn: str | None
    protect: bool
    tags: dict[str, str]


class Audit(pulumi.ComponentResource):
    """CloudTrail into a locked-down S3 bucket, and both kinds of Lattice access logs into CloudWatch Logs.

    Outputs: access_log_group_name, trail_arn and bucket_name (None when trail is off).
    Children (trail on): `<name>-bucket` Bucket, `<name>-bucket-public-access` BucketPublicAccessBlock,
    `<name>-bucket-encryption` BucketServerSideEncryptionConfiguration, `<name>-bucket-versioning`
    BucketVersioning, `<name>-bucket-ownership` BucketOwnershipControls, `<name>-bucket-policy` BucketPolicy,
    `<name>-trail` Trail (after the bucket policy). Always: `<name>-access-logs` LogGroup,
    `<name>-resource-logs` and `<name>-service-logs` AccessLogSubscription (types RESOURCE and SERVICE).
    """

    def __init__(self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:audit:Audit", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Fixed names (the trail ARN guards the bucket policy; the log group name is in the README and exports):
        # a replacement deletes the old one first, or the new one's name collides.
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)

        self.trail_arn: pulumi.Output[str] | None = None
        self.bucket_name: pulumi.Output[str] | None = None
        if args.trail:
            self._create_trail(name, args, child, replace_by_deleting)

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-access-logs",
            name=naming.access_log_group(args.name_prefix),
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=replace_by_deleting,
        )
        # RESOURCE logs cover the database path (resource configurations); SERVICE logs cover HTTP services.
        for log_type in ("RESOURCE", "SERVICE"):
            aws.vpclattice.AccessLogSubscription(
                f"{name}-{log_type.lower()}-logs",
                resource_identifier=args.service_network_id,
                destination_arn=log_group.arn,
                service_network_log_type=log_type,
                tags=args.tags,
                opts=child,
            )

        self.access_log_group_name = log_group.name
        self.register_outputs(
            {
                "access_log_group_name": self.access_log_group_name,
                "trail_arn": self.trail_arn,
                "bucket_name": self.bucket_name,
            }
        )

    def _create_trail(
        self, name: str, args: AuditArgs, child: pulumi.ResourceOptions, replace_by_deleting: pulumi.ResourceOptions
    ) -> None:
        bucket_name = naming.audit_bucket(args.name_prefix, args.account_id, args.region)
        trail_name = naming.trail(args.name_prefix)
        trail_arn = documents.trail_arn(
            partition=args.partition, region=args.region, account_id=args.account_id, trail_name=trail_name
        )

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            # Production keeps the audit record even through a destroy; development may empty it.
            force_destroy=not args.protect,
            tags=args.tags,
            # The audit record outlives a `pulumi destroy` of a production stack. S3 names are global, so a
            # replacement deletes first (and fails, safely, while the bucket holds logs and force_destroy is off).
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, delete_before_replace=True),
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-bucket-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        encryption_rule = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn}
            if args.kms_key_arn
            else {"sse_algorithm": "AES256"}
        )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-bucket-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": encryption_rule,
                    "bucket_key_enabled": bool(args.kms_key_arn),
                }
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-bucket-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-bucket-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=bucket.id,
            policy=documents.compact_json(
                documents.audit_bucket_policy(
                    partition=args.partition, bucket=bucket_name, account_id=args.account_id, trail_arn=trail_arn
                )
            ),
            # S3 rejects a policy write that races the public access block.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        # CloudTrail checks at creation that it may write to the bucket, so the policy must be in place first.
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=pulumi.ResourceOptions.merge(
                replace_by_deleting, pulumi.ResourceOptions(depends_on=[policy, encryption, versioning, ownership])
            ),
        )
        self.trail_arn = trail.arn
        self.bucket_name = bucket.id
