"""A hardened S3 bucket, as every bucket of this project holds records (audit logs, access logs, cost data)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from tenancy import documents


def hardened_bucket(
    parent: pulumi.Resource,
    name: str,
    bucket_name: str,
    *,
    protect: bool,
    tags: dict[str, str],
    encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgsDict,
    policy: documents.Document,
    expire_after_days: int | None = None,
) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
    """A bucket with every guard the audit record needs: public access blocked, default encryption, versioning,
    no ACLs (bucket owner enforced), its policy (after the public access block), optional expiry. Returns the
    bucket and the children a writer must wait for."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name,
        bucket=bucket_name,
        # Production keeps the record even through a destroy; development may empty it.
        force_destroy=not protect,
        tags=tags,
        # S3 names are global, so a replacement deletes first (and fails, safely, while the bucket holds
        # objects and force_destroy is off).
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, delete_before_replace=True),
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    guards: list[pulumi.Resource] = [
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": encryption,
                    "bucket_key_enabled": encryption.get("sse_algorithm") == "aws:kms",
                }
            ],
            opts=child,
        ),
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        ),
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        ),
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=documents.compact_json(policy),
            # S3 rejects a policy write that races the public access block.
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
        ),
    ]
    if expire_after_days:
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-logs",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": expire_after_days},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[guards[1]]),
        )
    return bucket, guards
