"""CloudWatch Logs: the access and audit logs are kept long enough to investigate, under a customer managed key in
production."""

from __future__ import annotations

from .common import (
    ADVISORY,
    DEVELOPMENT_STACKS,
    MANDATORY,
    MEDIUM,
    ResourceRule,
    StackRule,
    is_production,
    number,
    stack_of,
    text,
)

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _retention(args, config, report):
    days = number(args.props.get("retentionInDays"))
    minimum = config["minimumDays"]
    if days is not None and days != 0 and days < minimum:  # unset or 0: kept forever
        report(f"retentionInDays is {days:g}; keep logs at least {minimum} days (or never expire them)")


def _kms(args, config, report):
    stack = stack_of(args.urn)
    if is_production(stack, config) and not text(args.props.get("kmsKeyId")):
        report(
            f"kmsKeyId is not set in production stack {stack!r}: events are encrypted with a key CloudWatch Logs owns, "
            f"whose use no key policy limits; set kms_key_id to a customer managed key (list the stack in "
            f"developmentStacks to waive this)"
        )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "log-group-retention",
        "CloudWatch log groups keep events for at least the configured number of days",
        types=[LOG_GROUP],
        check=_retention,
        level=MANDATORY,
        severity=MEDIUM,
        controls=["AWS Config cw-loggroup-retention-period-check"],
        config={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "default": 365,
                "description": "Fewest days a log group keeps events (never-expiring groups comply).",
            }
        },
    ),
    ResourceRule(
        "log-group-kms-encryption",
        "CloudWatch log groups in production stacks are encrypted with a customer managed KMS key",
        types=[LOG_GROUP],
        check=_kms,
        level=ADVISORY,
        severity=MEDIUM,
        controls=["AWS Config cloudwatch-log-group-encrypted", "checkov CKV_AWS_158"],
        config=dict(DEVELOPMENT_STACKS),
    ),
]
