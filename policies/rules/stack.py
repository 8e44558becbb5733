"""Stack-wide: in production the database and the audit record can't be deleted by a stray `pulumi destroy`."""

from __future__ import annotations

from .common import (
    DEVELOPMENT_STACKS,
    HIGH,
    MANDATORY,
    ResourceRule,
    StackRule,
    is_production,
    is_true,
    of_type,
    refers_to,
    stack_of,
)

INSTANCE = "aws:rds/instance:Instance"
BUCKET = "aws:s3/bucket:Bucket"
TRAIL = "aws:cloudtrail/trail:Trail"


def _production(args, config) -> str | None:
    """The stack's name when the pack holds it to the production profile; None otherwise (or with no resources)."""
    stack = next((stack_of(r.urn) for r in args.resources if r.urn), "")
    return stack if stack and is_production(stack, config) else None


def audit_buckets(args):
    """Buckets a CloudTrail trail in this stack writes to."""
    trails = of_type(args, TRAIL)
    return [b for b in of_type(args, BUCKET) if any(refers_to(t, "s3BucketName", b, ("bucket",)) for t in trails)]


def _protected(args, config, report):
    stack = _production(args, config)
    if stack is None:
        return
    for resource, what in [
        *((r, "database") for r in of_type(args, INSTANCE)),
        *((b, "audit bucket") for b in audit_buckets(args)),
    ]:
        if not resource.opts.protect:
            report(
                f"{what} {resource.name!r} is not protected in production stack {stack!r}: declare it with "
                f"ResourceOptions(protect=True) (list the stack in developmentStacks to waive this)",
                resource.urn,
            )


def _audit_bucket_retained(args, config, report):
    if _production(args, config) is None:
        return
    for bucket in audit_buckets(args):
        if is_true(bucket.props.get("forceDestroy")):
            report(
                f"audit bucket {bucket.name!r} has forceDestroy true: a destroy would delete the audit record",
                bucket.urn,
            )


POLICIES: list[ResourceRule | StackRule] = [
    StackRule(
        "production-resources-protected",
        "In production stacks the RDS database and the CloudTrail bucket are declared with Pulumi protect",
        types=[INSTANCE, BUCKET, TRAIL],
        check=_protected,
        level=MANDATORY,
        severity=HIGH,
        config=dict(DEVELOPMENT_STACKS),
    ),
    StackRule(
        "audit-bucket-retained",
        "In production stacks the CloudTrail bucket is never force-emptied on destroy",
        types=[BUCKET, TRAIL],
        check=_audit_bucket_retained,
        level=MANDATORY,
        severity=HIGH,
        config=dict(DEVELOPMENT_STACKS),
    ),
]
