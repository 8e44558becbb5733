"""CloudTrail: a multi-region trail of every management event, validated, logging, into a bucket only it may write,
and into CloudWatch Logs where alarms can watch it."""

from __future__ import annotations

import re

from .common import (
    ADVISORY,
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
    is_false,
    is_positive,
    is_true,
    items,
    label,
    principals,
    statements,
    text,
)

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
CLOUDTRAIL_SERVICE = "cloudtrail.amazonaws.com"
# CloudTrail delivers to a log group given by ARN with the log-stream wildcard: arn:aws:logs:<region>:<acct>:log-group:<name>:*
LOG_GROUP_DELIVERY_ARN = re.compile(r"arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^:]+:\*")


def _multi_region(args, config, report):
    if not is_true(args.props.get("isMultiRegionTrail")):
        report("isMultiRegionTrail is not true (the default is false): API calls in other regions go unrecorded")


def _global_events(args, config, report):
    if is_false(args.props.get("includeGlobalServiceEvents")):
        report("includeGlobalServiceEvents is false: IAM, STS and other global services go unrecorded")


def _management_events(args, config, report):
    props = args.props
    basic = items(props.get("eventSelectors"))
    advanced = items(props.get("advancedEventSelectors"))
    if basic and not any(
        not is_false(field(s, "includeManagementEvents")) and text(field(s, "readWriteType")) in ("", "All")
        for s in basic
    ):
        report("no event selector records all management events (includeManagementEvents true, readWriteType All)")
    if advanced and not any(_all_management(s) for s in advanced):
        report('no advanced event selector records all management events (eventCategory equals "Management", no '
               "readOnly filter)")  # fmt: skip


def _all_management(selector) -> bool:
    fields = items(field(selector, "fieldSelectors"))
    names = [text(field(f, "field")) for f in fields]
    category = [f for f in fields if text(field(f, "field")) == "eventCategory"]
    return (
        "readOnly" not in names
        and len(category) == 1
        and [text(v) for v in items(field(category[0], "equals"))] == ["Management"]
    )


def _log_file_validation(args, config, report):
    if not is_true(args.props.get("enableLogFileValidation")):
        report("enableLogFileValidation is not true (the default is false): log files can be altered unnoticed")


def _logging(args, config, report):
    if is_false(args.props.get("enableLogging")):
        report("enableLogging is false: the trail exists but records nothing")


def _kms(args, config, report):
    if not text(args.props.get("kmsKeyId")):
        report("kmsKeyId is not set: log files are encrypted with SSE-S3 only (set audit.kmsKeyArn for SSE-KMS)")


def _cloudwatch_logs(args, config, report):
    group = text(args.props.get("cloudWatchLogsGroupArn"))
    role = text(args.props.get("cloudWatchLogsRoleArn"))
    if not group:
        report(
            "cloudWatchLogsGroupArn is not set: events reach only the S3 bucket, where no metric filter or alarm can "
            "watch them; set cloud_watch_logs_group_arn (the log group ARN + ':*') and cloud_watch_logs_role_arn"
        )
        return
    if not LOG_GROUP_DELIVERY_ARN.fullmatch(group):
        report(
            f"cloudWatchLogsGroupArn {group!r} is not a log group ARN ending in ':*' "
            f"(arn:aws:logs:<region>:<account>:log-group:<name>:*, the form CloudTrail requires)"
        )
    if not role:
        report("cloudWatchLogsRoleArn is not set: CloudTrail needs a role it may assume to write to the log group")


def _source_arn_guarded(statement) -> bool:
    return any(
        key == "aws:sourcearn"
        and is_positive(operator)
        and values
        and all(isinstance(v, str) and ":cloudtrail:" in v and v.strip() != "*" for v in values)
        for operator, key, values in conditions(statement)
    )


def _bucket_policy_source_arn(args, config, report):
    try:
        doc = document(args.props.get("policy"))
    except DocumentError as error:
        report(f"the bucket policy {error}")
        return
    unguarded = [
        label(s, i)
        for i, s in enumerate(statements(doc))
        if allows(s) and CLOUDTRAIL_SERVICE in principals(s).get("Service", []) and not _source_arn_guarded(s)
    ]
    if unguarded:
        report(
            f"{format_list(unguarded)} allow {CLOUDTRAIL_SERVICE} without an aws:SourceArn condition naming the "
            f"trail: any trail, in any account, could write to or probe this bucket (confused deputy)"
        )


POLICIES: list[ResourceRule | StackRule] = [
    ResourceRule(
        "cloudtrail-multi-region",
        "CloudTrail trails record every region",
        types=[TRAIL],
        check=_multi_region,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub CloudTrail.1", "CIS 3.1", "checkov CKV_AWS_67"],
    ),
    ResourceRule(
        "cloudtrail-global-service-events",
        "CloudTrail trails record global service events",
        types=[TRAIL],
        check=_global_events,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub CloudTrail.1"],
    ),
    ResourceRule(
        "cloudtrail-management-events",
        "CloudTrail trails record all read and write management events",
        types=[TRAIL],
        check=_management_events,
        level=MANDATORY,
        severity=HIGH,
        controls=["Security Hub CloudTrail.1", "CIS 3.1"],
    ),
    ResourceRule(
        "cloudtrail-log-file-validation",
        "CloudTrail trails validate their log files",
        types=[TRAIL],
        check=_log_file_validation,
        level=MANDATORY,
        severity=LOW,
        controls=["Security Hub CloudTrail.4", "CIS 3.2", "checkov CKV_AWS_36"],
    ),
    ResourceRule(
        "cloudtrail-logging-enabled",
        "CloudTrail trails are logging",
        types=[TRAIL],
        check=_logging,
        level=MANDATORY,
        severity=HIGH,
        controls=["checkov CKV_AWS_251"],
    ),
    ResourceRule(
        "cloudtrail-kms-encryption",
        "CloudTrail trails encrypt their log files with a KMS key",
        types=[TRAIL],
        check=_kms,
        level=ADVISORY,
        severity=MEDIUM,
        controls=["Security Hub CloudTrail.2", "CIS 3.7", "checkov CKV_AWS_35"],
    ),
    ResourceRule(
        "cloudtrail-cloudwatch-logs",
        "CloudTrail trails also deliver to a CloudWatch Logs log group, through a role",
        types=[TRAIL],
        check=_cloudwatch_logs,
        level=MANDATORY,
        severity=LOW,
        controls=["Security Hub CloudTrail.5", "CIS 3.4", "checkov CKV2_AWS_10"],
    ),
    ResourceRule(
        "cloudtrail-bucket-policy-source-arn",
        "Bucket policy statements for CloudTrail are limited to the trail by aws:SourceArn",
        types=[BUCKET_POLICY],
        check=_bucket_policy_source_arn,
        level=MANDATORY,
        severity=HIGH,
    ),
]
