"""CloudWatch Logs: the access logs are kept long enough to investigate."""

from __future__ import annotations

from .common import MANDATORY, MEDIUM, ResourceRule, number

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _retention(args, config, report):
    days = number(args.props.get("retentionInDays"))
    minimum = config["minimumDays"]
    if days is not None and days != 0 and days < minimum:  # unset or 0: kept forever
        report(f"retentionInDays is {days:g}; keep logs at least {minimum} days (or never expire them)")


POLICIES = [
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
]
