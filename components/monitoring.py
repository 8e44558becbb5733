"""Monitoring and alerting of the owner stack: the alerts topic (its own key), access-log metrics and their alarms,
change events on the sharing and access surface, and one dashboard built from the same metric definitions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.roles import service_role
from tenancy import documents, metrics, naming
from tenancy.config import CanaryMetrics
from tenancy.config import Monitoring as MonitoringSettings
from tenancy.environment import Account

# API calls that change who can reach what (EventBridge "AWS API Call via CloudTrail"), by service.
CHANGE_EVENTS: dict[str, tuple[str, str, list[str]]] = {
    "lattice": (
        "aws.vpc-lattice",
        "vpc-lattice.amazonaws.com",
        [
            "PutAuthPolicy", "DeleteAuthPolicy", "CreateServiceNetwork", "UpdateServiceNetwork", "DeleteServiceNetwork",
            "CreateServiceNetworkVpcAssociation", "DeleteServiceNetworkVpcAssociation",
            "CreateServiceNetworkServiceAssociation", "DeleteServiceNetworkServiceAssociation",
            "CreateServiceNetworkResourceAssociation", "DeleteServiceNetworkResourceAssociation",
            "CreateListener", "UpdateListener", "DeleteListener", "CreateRule", "UpdateRule", "BatchUpdateRule",
            "DeleteRule", "PutResourcePolicy", "DeleteResourcePolicy",
        ],
    ),
    "ram": (
        "aws.ram",
        "ram.amazonaws.com",
        [
            "CreateResourceShare", "UpdateResourceShare", "DeleteResourceShare", "AssociateResourceShare",
            "DisassociateResourceShare", "AcceptResourceShareInvitation",
        ],
    ),
    "iam": (
        "aws.iam",
        "iam.amazonaws.com",
        [
            "PutRolePolicy", "DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "UpdateAssumeRolePolicy",
            "TagRole", "UntagRole", "CreateRole", "DeleteRole",
        ],
    ),
    # Accounts joining, leaving or moving between OUs: the next owner deployment grants or revokes tenants.
    "organizations": (
        "aws.organizations",
        "organizations.amazonaws.com",
        [
            "MoveAccount", "CreateAccount", "CreateAccountResult", "InviteAccountToOrganization", "AcceptHandshake",
            "RemoveAccountFromOrganization", "LeaveOrganization", "CloseAccount",
        ],
    ),
}  # fmt: skip
# IAM and Organizations are global services: their CloudTrail events reach EventBridge in us-east-1 only.
IAM_EVENTS_REGION = "us-east-1"
GLOBAL_KINDS = ("iam", "organizations")


def change_event_pattern(kind: str, role_prefix: str | None = None) -> str:
    source, event_source, names = CHANGE_EVENTS[kind]
    detail: dict[str, Any] = {"eventSource": [event_source], "eventName": sorted(names)}
    if role_prefix:  # only this stack's roles (tenant roles and service roles are all named <prefix>-…)
        detail["requestParameters"] = {"roleName": [{"prefix": role_prefix}]}
    # CreateAccountResult arrives as a service event (UNCONFIRMED): match both kinds for Organizations.
    kinds = ["AWS API Call via CloudTrail"] + (["AWS Service Event via CloudTrail"] if kind == "organizations" else [])
    return json.dumps(
        {"source": [source], "detail-type": kinds, "detail": detail},
        sort_keys=True,
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class MonitoringArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys."""
    settings: MonitoringSettings
    """The `monitoring` config (flow logs are a separate component)."""
    access_log_group_name: pulumi.Input[str]
    """The Lattice access log group the metric filters read."""
    services: dict[str, pulumi.Output[str]]
    """Shared service name → ARN (per-service alarms and dashboard rows)."""
    service_metrics: dict[str, CanaryMetrics]
    """Shared service name → the Lattice metric names to draw for it."""
    database_identifier: str
    """The RDS instance, for the dashboard's database row."""
    organization_events: bool
    """Tenants come from OUs: alert on Organizations account events (they call for the next owner deployment)."""
    protect: bool
    """Production: Pulumi `protect` on the alerts key."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class Monitoring(pulumi.ComponentResource):
    """Alerts for the owner.

    Children: `<name>-key` Key and `<name>-key-alias` Alias, `<name>-topic` Topic (encrypted with that key) and
    `<name>-topic-policy` TopicPolicy; per access-log metric a `<name>-<metric>` LogMetricFilter and alarms
    (per service for per-service metrics); change events: `<name>-changes-lattice` and `-ram` EventRule with an
    EventTarget to the topic, and for IAM a rule in us-east-1 forwarding to this region's default bus (or straight
    to the topic in us-east-1); `<name>-dashboard` Dashboard.
    """

    # Outputs
    topic_arn: pulumi.Output[str]
    """The alerts topic (subscribe the platform team)."""
    key_arn: pulumi.Output[str]
    """The alerts topic's key."""
    dashboard_name: str
    """The CloudWatch dashboard."""
    alarm_names: list[str]
    """Every alarm this component declares."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        account, prefix = args.account, args.name_prefix

        key = aws.kms.Key(
            f"{name}-key",
            description=f"lattice-tenancy {prefix}: the alerts topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=documents.compact_json(
                documents.alerts_key_policy(
                    partition=account.partition,
                    account_id=account.account_id,
                    topic_arn=f"arn:{account.partition}:sns:{account.region}:{account.account_id}:{naming.alerts_topic(prefix)}",
                )
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=naming.alerts_key_alias(prefix),
            target_key_id=key.key_id,
            opts=replace_by_deleting,
        )
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=naming.alerts_topic(prefix),
            kms_master_key_id=key.arn,
            tags=args.tags,
            opts=replace_by_deleting,
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=topic.arn.apply(
                lambda arn: documents.compact_json(
                    documents.alerts_topic_policy(
                        partition=account.partition,
                        region=account.region,
                        account_id=account.account_id,
                        topic_arn=arn,
                        prefix=prefix,
                    )
                )
            ),
            opts=child,
        )

        namespace = naming.access_log_metric_namespace(prefix)
        definitions = metrics.access_log_metrics(args.settings.patterns, args.settings.alarms)
        self.alarm_names = []
        for metric in definitions:
            transformation: aws.cloudwatch.LogMetricFilterMetricTransformationArgsDict = {
                "name": metric.metric_name,
                "namespace": namespace,
                "value": "1",
                "unit": "Count",
            }
            if metric.dimension:
                transformation["dimensions"] = {metric.dimension[0]: metric.dimension[1]}
            aws.cloudwatch.LogMetricFilter(
                f"{name}-{metric.key}",
                name=f"{prefix}-{metric.key}",
                log_group_name=args.access_log_group_name,
                pattern=metric.pattern,
                metric_transformation=transformation,
                opts=replace_by_deleting,
            )
            series: list[tuple[str, dict[str, pulumi.Input[str]]]] = (
                [(f"{metric.key}-{svc}", {metric.dimension[0]: arn}) for svc, arn in sorted(args.services.items())]
                if metric.dimension
                else [(metric.key, {})]
            )
            for suffix, dimensions in series:
                alarm_name = naming.monitoring_alarm(prefix, suffix)
                aws.cloudwatch.MetricAlarm(
                    f"{name}-alarm-{suffix}",
                    name=alarm_name,
                    alarm_description=f"{metric.title}: more than {metric.threshold} in {args.settings.alarms.period_seconds} s",
                    namespace=namespace,
                    metric_name=metric.metric_name,
                    dimensions=dimensions or None,
                    statistic="Sum",
                    period=args.settings.alarms.period_seconds,
                    evaluation_periods=1,
                    threshold=metric.threshold,
                    comparison_operator="GreaterThanThreshold",
                    treat_missing_data="notBreaching",
                    alarm_actions=[topic.arn],
                    ok_actions=[topic.arn],
                    tags=args.tags,
                    opts=replace_by_deleting,
                )
                self.alarm_names.append(alarm_name)

        rule_names: list[str] = []
        if args.settings.change_events:
            rule_names = self._change_events(name, args, topic)

        self.dashboard_name = naming.dashboard(prefix)
        body = pulumi.Output.all(*[pulumi.Output.all(svc, arn) for svc, arn in sorted(args.services.items())]).apply(
            lambda pairs: self._dashboard(args, namespace, definitions, dict(pairs), rule_names)
        )
        aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=self.dashboard_name, dashboard_body=body, opts=replace_by_deleting
        )

        self.topic_arn = topic.arn
        self.key_arn = key.arn
        self.register_outputs({"topic_arn": self.topic_arn, "dashboard_name": self.dashboard_name})

    def _change_events(self, name: str, args: MonitoringArgs, topic: aws.sns.Topic) -> list[str]:
        """Rules on API calls that change the sharing or access surface; IAM's arrive in us-east-1 only."""
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        account, prefix = args.account, args.name_prefix
        names = []
        kinds = ["lattice", "ram"] + (["iam"] if args.settings.iam_events != "off" else [])
        kinds += ["organizations"] if args.organization_events else []
        forwarded = []
        for kind in kinds:
            rule_name = naming.change_event_rule(prefix, kind)
            elsewhere = kind in GLOBAL_KINDS and account.region != IAM_EVENTS_REGION
            # IAM events forwarded from us-east-1 arrive on this region's default bus with their source: a second
            # rule here sends them to the topic like the others.
            rule = aws.cloudwatch.EventRule(
                f"{name}-changes-{kind}",
                name=rule_name,
                description=f"lattice-tenancy {prefix}: API calls that change the sharing or access surface ({kind})",
                event_pattern=change_event_pattern(kind, f"{prefix}-" if kind == "iam" else None),
                tags=args.tags,
                opts=replace_by_deleting,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-changes-{kind}-topic", rule=rule.name, arn=topic.arn, opts=pulumi.ResourceOptions(parent=self)
            )
            names.append(rule_name)
            if elsewhere:
                forwarded.append(kind)
        if forwarded:
            self._forward_from_us_east_1(name, args, forwarded)
        return names

    def _forward_from_us_east_1(self, name: str, args: MonitoringArgs, kinds: list[str]) -> None:
        account, prefix = args.account, args.name_prefix
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        bus = f"arn:{account.partition}:events:{account.region}:{account.account_id}:event-bus/default"
        role = service_role(
            self,
            f"{name}-iam-forwarder",
            role_name=f"{prefix}-iam-events",
            description=f"Forwards {' and '.join(kinds)} events from {IAM_EVENTS_REGION} to {account.region}",
            trust_policy=documents.service_role_trust_policy(
                service="events.amazonaws.com",
                account_id=account.account_id,
                source_arn=f"arn:{account.partition}:events:{IAM_EVENTS_REGION}:{account.account_id}:rule/{prefix}-*",
            ),
            tags=args.tags,
        )
        aws.iam.RolePolicy(
            f"{name}-iam-forwarder-policy",
            name="forward-iam-events",
            role=role.id,
            policy=documents.compact_json(documents.event_forwarding_policy(bus_arn=bus)),
            opts=replace_by_deleting,
        )
        for kind in kinds:
            suffix = "iam-fwd" if kind == "iam" else f"{kind}-fwd"
            rule = aws.cloudwatch.EventRule(
                f"{name}-changes-{kind}-us-east-1",
                region=IAM_EVENTS_REGION,
                name=naming.change_event_rule(prefix, suffix),
                description=f"lattice-tenancy {prefix}: {kind} events, forwarded to {account.region}",
                event_pattern=change_event_pattern(kind, f"{prefix}-" if kind == "iam" else None),
                tags=args.tags,
                opts=replace_by_deleting,
            )
            aws.cloudwatch.EventTarget(
                f"{name}-changes-{kind}-us-east-1-bus",
                region=IAM_EVENTS_REGION,
                rule=rule.name,
                arn=bus,
                role_arn=role.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )

    @staticmethod
    def _dashboard(
        args: MonitoringArgs,
        namespace: str,
        definitions: list[metrics.AccessLogMetric],
        services: dict[str, str],
        rule_names: list[str],
    ) -> str:
        """The dashboard body: the database path, each service, denied requests per service, change events."""
        region = args.account.region
        by_key = {m.key: m for m in definitions}
        widgets: list[dict[str, Any]] = []

        def widget(title: str, rows: list[list[Any]], stat: str = "Sum") -> None:
            i = len(widgets)
            widgets.append(
                {
                    "type": "metric",
                    "x": (i % 2) * 12,
                    "y": (i // 2) * 6,
                    "width": 12,
                    "height": 6,
                    "properties": {"title": title, "region": region, "stat": stat, "period": 300, "metrics": rows},
                }
            )

        database = by_key["db-connection-failures"]
        widget(
            "Database path",
            [
                [namespace, database.metric_name],
                ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", args.database_identifier],
            ],
        )
        for svc, arn in sorted(services.items()):
            names = args.service_metrics[svc]
            rows = [
                [names.namespace, metric, "Service", arn]
                for metric, stat, _ in metrics.service_metrics(names)
                if stat == "Sum"
            ]
            widget(f"Service {svc}", rows)
        if services:
            denied = by_key["denied"]
            widget(
                "Denied requests per service",
                [[namespace, denied.metric_name, "Service", arn] for arn in sorted(services.values())],
            )
        if rule_names:
            widget("Change events", [["AWS/Events", "MatchedEvents", "RuleName", rule] for rule in rule_names])
        return json.dumps({"widgets": widgets}, sort_keys=True, separators=(",", ":"))
