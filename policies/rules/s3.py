"""S3 buckets (the audit bucket and its access-log bucket): public access blocked, encrypted, versioned,
owner-enforced, TLS-only, not public, access-logged; log delivery only for this owner's buckets."""

from __future__ import annotations

import ipaddress

from pulumi_policy.proxy import UnknownValueError

from .common import (
    CRITICAL,
    HIGH,
    LOW,
    MANDATORY,
    MEDIUM,
    DocumentError,
    ResourceRule,
    StackRule,
    allows,
    conditions,
    document,
    field,
    format_list,
    grants_action,
    is_positive,
    is_public_principal,
    is_true,
    items,
    label,
    of_type,
    principals,
    refers_to,
    source_limited,
    statements,
    text,
    value,
)

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING_TYPES = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
PUBLIC_CANNED_ACLS = ("public-read", "public-read-write", "authenticated-read")
PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)

# Condition keys that, with fixed values under a positive operator, make a policy non-public in S3's own sense
# (Block Public Access, "The meaning of public" in the S3 user guide).
RESTRICTING_KEYS = {
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:userid",
    "aws:sourceip",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
}


def _public_access_block(args, config, report):
    off = [flag for flag in PUBLIC_ACCESS_FLAGS if not is_true(args.props.get(flag))]
    if off:
        report(f"{format_list(off)} not true (each defaults to false): set all four flags to True")


def _encryption(args, config, report):
    rules = items(args.props.get("rules"))
    if not rules:
        report("no encryption rule")
    for i, rule in enumerate(rules):
        algorithm = text(field(field(rule, "applyServerSideEncryptionByDefault"), "sseAlgorithm"))
        if algorithm not in SSE_ALGORITHMS:
            shown = repr(algorithm) if algorithm else "not set"
            report(f"rules[{i}] sseAlgorithm is {shown}: use AES256 or aws:kms")


def _versioning(args, config, report):
    status = text(field(args.props.get("versioningConfiguration"), "status"))
    if status != "Enabled":
        report(f"versioningConfiguration.status is {status or 'not set'!r}, not 'Enabled'")


def _ownership(args, config, report):
    ownership = text(field(args.props.get("rule"), "objectOwnership"))
    if ownership != "BucketOwnerEnforced":
        report(f"objectOwnership is {ownership or 'not set'!r}: use 'BucketOwnerEnforced' (ACLs disabled)")


def _covers_bucket_and_objects(resources: list) -> bool:
    names = [r for r in resources if isinstance(r, str)]
    bucket = any(r == "*" or (":s3:::" in r and "/" not in r.split(":::", 1)[1]) for r in names)
    objects = any(r == "*" or r.endswith("/*") for r in names)
    return bucket and objects


def denies_insecure_transport(statement) -> bool:
    """A Deny of every S3 action, to everyone, on the bucket and its objects, when aws:SecureTransport is false."""
    if statement.get("Effect") != "Deny" or not is_public_principal(statement):
        return False
    if not grants_action(statement, "s3:*"):
        return False
    if not _covers_bucket_and_objects(items(statement.get("Resource"))):
        return False
    return any(
        operator in ("Bool", "BoolIfExists")
        and key == "aws:securetransport"
        and [str(v).lower() for v in values] == ["false"]
        for operator, key, values in conditions(statement)
    )


def _tls_only(args, config, report):
    try:
        doc = document(args.props.get("policy"))
    except DocumentError as error:
        report(f"the bucket policy {error}")
        return
    if not any(denies_insecure_transport(s) for s in statements(doc)):
        report(
            'no statement denies "s3:*" to Principal "*" on the bucket and its objects when aws:SecureTransport is '
            '"false"'
        )


def _restricted(statement) -> bool:
    """Whether a condition pins the caller to fixed accounts, sources or networks (S3's test for non-public)."""
    for operator, key, values in conditions(statement):
        if not is_positive(operator) or key not in RESTRICTING_KEYS or not values:
            continue
        strings = [str(v) for v in values]
        if any("*" in v or "?" in v for v in strings) and key != "aws:sourceip":
            continue
        if key == "aws:sourceip" and any(_too_wide(v) for v in strings):
            continue
        return True
    return False


def _too_wide(cidr: str) -> bool:
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return True
    return network.prefixlen < (8 if network.version == 4 else 32)


def public_allows(doc) -> list[str]:
    """Labels of Allow statements open to everyone without a restricting condition."""
    return [
        label(s, i)
        for i, s in enumerate(statements(doc))
        if allows(s) and is_public_principal(s) and not _restricted(s)
    ]


def _no_public_grants(args, config, report):
    props = args.props
    if args.resource_type == BUCKET:
        acl = text(props.get("acl"))
        if acl in PUBLIC_CANNED_ACLS:
            report(f"acl is {acl!r}: a public canned ACL")
        for i, grant in enumerate(items(props.get("grants"))):
            if text(field(grant, "uri")) in PUBLIC_GRANTEES:
                report(f"grants[{i}] names the group {field(grant, 'uri')}")
    if props.get("policy") is None:
        return
    try:
        doc = document(props.get("policy"))
    except DocumentError as error:
        report(f"the bucket policy {error}")
        return
    found = public_allows(doc)
    if found:
        report(
            f'{format_list(found)} allow Principal "*" without a condition on a fixed account, organization, '
            f"source ARN, VPC or network"
        )


COMPANIONS = (
    (PUBLIC_ACCESS_BLOCK, "a BucketPublicAccessBlock"),
    (ENCRYPTION, "a BucketServerSideEncryptionConfiguration"),
    (VERSIONING, "a BucketVersioning"),
    (OWNERSHIP, "a BucketOwnershipControls"),
    (BUCKET_POLICY, "a BucketPolicy (for the TLS-only statement)"),
)


def _controls_attached(args, config, report):
    for bucket in of_type(args, BUCKET):
        for typ, what in COMPANIONS:
            if not any(refers_to(c, "bucket", bucket, ("bucket",)) for c in of_type(args, typ)):
                report(f"bucket {bucket.name!r} has no {what.removeprefix('a ')} in this stack; add {what}", bucket.urn)


def _inline_target(bucket) -> str:
    """The target bucket of a Bucket's own (deprecated) inline `logging` block; "" when it has none, "?" when the
    target is not known yet (during preview: logged, to a bucket no name can match)."""
    try:
        return text(field(value(bucket, "logging"), "targetBucket"))
    except UnknownValueError:
        return "?"


def _names(bucket) -> set[str]:
    return {v for v in (value(bucket, "bucket"), value(bucket, "id")) if isinstance(v, str) and v}


def _access_logging(args, config, report):
    buckets = of_type(args, BUCKET)
    loggings = of_type(args, *LOGGING_TYPES)
    for bucket in buckets:
        targeted_by = [c for c in loggings if refers_to(c, "targetBucket", bucket, ("bucket",))]
        logged_by = [c for c in loggings if refers_to(c, "bucket", bucket, ("bucket",))]
        if any(c in targeted_by for c in logged_by):
            report(
                f"bucket {bucket.name!r} delivers its server access logs to itself: every delivery is logged again; "
                f"log to a separate bucket",
                bucket.urn,
            )
            continue
        inline_target = any(
            other is not bucket
            and (_inline_target(other) in _names(bucket) or refers_to(other, "logging", bucket, ("bucket",)))
            for other in buckets
        )
        if targeted_by or inline_target:
            continue  # a log destination: logging its own access elsewhere would only chain log buckets
        if not logged_by and not _inline_target(bucket):
            report(
                f"bucket {bucket.name!r} has no server access logging: add a BucketLogging with bucket set to it and "
                f"targetBucket a separate log bucket",
                bucket.urn,
            )


def _log_delivery_source(args, config, report):
    try:
        doc = document(args.props.get("policy"))
    except DocumentError as error:
        report(f"the bucket policy {error}")
        return
    unguarded = [
        label(s, i)
        for i, s in enumerate(statements(doc))
        if allows(s) and LOG_DELIVERY_SERVICE in principals(s).get("Service", []) and not source_limited(s)
    ]
    if unguarded:
        report(
            f"{format_list(unguarded)} allow {LOG_DELIVERY_SERVICE} without an aws:SourceArn or aws:SourceAccount "
            f"condition naming this owner's source bucket or account: any account's buckets could deliver logs here"
        )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "s3-public-access-block",
        "S3 bucket public access blocks turn on all four settings",
        types=[PUBLIC_ACCESS_BLOCK],
        check=_public_access_block,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub S3.8", "checkov CKV_AWS_53/54/55/56"],
    ),
    ResourceRule(
        "s3-default-encryption",
        "S3 buckets encrypt objects by default with SSE-S3 or SSE-KMS",
        types=[ENCRYPTION],
        check=_encryption,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub S3.4", "CIS 2.1.1", "checkov CKV_AWS_19"],
    ),
    ResourceRule(
        "s3-versioning-enabled",
        "S3 buckets keep object versions",
        types=[VERSIONING],
        check=_versioning,
        level=MANDATORY,
        severity=LOW,
        controls=["Security Hub S3.14", "checkov CKV_AWS_21"],
    ),
    ResourceRule(
        "s3-ownership-enforced",
        "S3 buckets enforce bucket-owner object ownership, which disables ACLs",
        types=[OWNERSHIP],
        check=_ownership,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub S3.12", "checkov CKV2_AWS_65"],
    ),
    ResourceRule(
        "s3-tls-only",
        "S3 bucket policies deny every request that does not use TLS",
        types=[BUCKET_POLICY],
        check=_tls_only,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub S3.5", "CIS 2.1.2", "checkov CKV_AWS_379"],
    ),
    ResourceRule(
        "s3-no-public-grants",
        "S3 buckets grant nothing to everyone, neither by ACL nor by an unrestricted policy statement",
        types=[BUCKET, BUCKET_POLICY],
        check=_no_public_grants,
        level=MANDATORY,
        severity=CRITICAL,
        controls=["Security Hub S3.2", "Security Hub S3.3", "checkov CKV_AWS_70"],
    ),
    StackRule(
        "s3-bucket-controls-attached",
        "Every S3 bucket has a public access block, default encryption, versioning, ownership controls and a bucket "
        "policy",
        types=[BUCKET, *(typ for typ, _ in COMPANIONS)],
        check=_controls_attached,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub S3.8", "Security Hub CloudTrail.6", "CIS 3.3"],
    ),
    StackRule(
        "s3-server-access-logging",
        "Every S3 bucket has server access logging to a separate bucket, except buckets that receive access logs",
        types=[BUCKET, *LOGGING_TYPES],
        check=_access_logging,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["Security Hub S3.9", "Security Hub CloudTrail.7", "CIS 3.6", "checkov CKV_AWS_18"],
    ),
    ResourceRule(
        "s3-log-delivery-source-conditions",
        "Bucket policy statements for S3 log delivery are limited by aws:SourceArn or aws:SourceAccount",
        types=[BUCKET_POLICY],
        check=_log_delivery_source,
        level=MANDATORY,
        severity=HIGH,
    ),
]
