"""The automated rollback of canaries: an alarm goes off → EventBridge → a function returns all weight to stable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.roles import service_role
from tenancy import documents, naming
from tenancy.environment import Account

# The function's code: one file, packaged alone (functions/README.md). Relative to the project folder, where
# `pulumi up` runs the program, so the plan names the same path on every machine.
FUNCTION_SOURCE = "functions/canary_rollback/handler.py"


@dataclass(frozen=True)
class GuardedService:
    """One service whose canary the function guards."""

    name: str
    service_arn: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    rule_arns: list[pulumi.Output[str]]
    stable_target_group_id: pulumi.Output[str]
    canary_target_group_id: pulumi.Output[str]
    alarm_names: list[str]


@dataclass(frozen=True)
class RollbackArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys."""
    services: list[GuardedService]
    """The services with a canary."""
    log_retention_days: int
    """Retention of the function's log group."""
    kms_key_arn: pulumi.Input[str] | None
    """The audit key for the function's log group (None: the key CloudWatch Logs owns)."""
    tags: dict[str, str]
    """Tags for every taggable child."""


def _guard(service: GuardedService) -> pulumi.Output[dict[str, Any]]:
    """What the function needs to roll one service back (its entry under `GUARDED.services`)."""

    def entries(v: list[Any]) -> dict[str, Any]:
        return {
            "service": service.name,
            "serviceArn": v[0],
            "listenerArn": v[1],
            "ruleArns": list(v[2]),
            "stableTargetGroup": v[3],
            "canaryTargetGroup": v[4],
        }

    return pulumi.Output.all(
        service.service_arn,
        service.listener_arn,
        pulumi.Output.all(*service.rule_arns),
        service.stable_target_group_id,
        service.canary_target_group_id,
    ).apply(entries)


class CanaryRollback(pulumi.ComponentResource):
    """The rollback path of every canary in the stack.

    Children: `<name>-topic` Topic (notifications, AWS managed key), `<name>-logs` LogGroup, `<name>-role` Role and
    `<name>-policy` RolePolicy (the guarded listeners and rules only), `<name>-function` Function,
    `<name>-alarms` EventRule (the canary alarms entering ALARM), `<name>-target` EventTarget and `<name>-invoke`
    Permission (EventBridge, from that rule only).
    """

    # Outputs
    function_name: str
    """The rollback function."""
    topic_arn: pulumi.Output[str]
    """Where it reports each rollback (subscribe the platform team)."""

    def __init__(self, name: str, args: RollbackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:rollback:CanaryRollback", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        function_name = naming.rollback_function(args.name_prefix)
        log_group_name = naming.rollback_log_group(args.name_prefix)
        record_prefix = naming.rollback_record_prefix(args.name_prefix)
        account = args.account

        topic = aws.sns.Topic(
            f"{name}-topic",
            name=function_name,
            kms_master_key_id="alias/aws/sns",
            tags=args.tags,
            opts=replace_by_deleting,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=replace_by_deleting,
        )
        role = service_role(
            self,
            f"{name}-role",
            role_name=function_name,
            description="lattice-tenancy: returns canary weight to stable when a canary alarm goes off",
            trust_policy=documents.rollback_trust_policy(),
            tags=args.tags,
        )
        listeners = [s.listener_arn for s in args.services]
        rules = [arn for s in args.services for arn in s.rule_arns]
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name="canary-rollback",
            role=role.id,
            policy=pulumi.Output.all(topic.arn, pulumi.Output.all(*listeners), pulumi.Output.all(*rules)).apply(
                lambda values: documents.compact_json(
                    documents.rollback_policy(
                        partition=account.partition,
                        region=account.region,
                        account_id=account.account_id,
                        listener_arns=list(values[1]),
                        rule_arns=list(values[2]),
                        record_prefix=record_prefix,
                        topic_arn=values[0],
                        log_group=log_group_name,
                    )
                )
            ),
            opts=replace_by_deleting,
        )
        # Compact (each service once, alarms by name): Lambda allows 4 KB of environment (the config bounds it).
        alarms = {alarm: s.name for s in args.services for alarm in s.alarm_names}
        guarded = pulumi.Output.all(*[_guard(s) for s in args.services]).apply(
            lambda entries: json.dumps(
                {"alarms": alarms, "services": {e["service"]: e for e in entries}},
                sort_keys=True,
                separators=(",", ":"),
            )
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Returns a canary's weight to stable when its alarm goes off (lattice-tenancy)",
            runtime="python3.12",
            architectures=["arm64"],
            handler="handler.handle",
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(FUNCTION_SOURCE)}),
            role=role.arn,
            timeout=60,
            memory_size=128,
            environment={"variables": {"GUARDED": guarded, "TOPIC_ARN": topic.arn, "RECORD_PREFIX": record_prefix}},
            logging_config={"log_format": "Text", "log_group": log_group.name},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=[policy, log_group]),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-alarms",
            name=function_name,
            description="A canary alarm of lattice-tenancy entered ALARM",
            event_pattern=json.dumps(
                {
                    "source": ["aws.cloudwatch"],
                    "detail-type": ["CloudWatch Alarm State Change"],
                    "detail": {
                        "alarmName": sorted(a for s in args.services for a in s.alarm_names),
                        "state": {"value": ["ALARM"]},
                    },
                },
                sort_keys=True,
                separators=(",", ":"),
            ),
            tags=args.tags,
            opts=replace_by_deleting,
        )
        permission = aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=function.arn,
            retry_policy={"maximum_retry_attempts": 8, "maximum_event_age_in_seconds": 3600},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

        self.function_name = function_name
        self.topic_arn = topic.arn
        self.register_outputs({"function_name": self.function_name, "topic_arn": self.topic_arn})
