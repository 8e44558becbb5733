"""One shared HTTP service: a VPC Lattice service with its own auth policy, a listener forwarding by weight to a
stable and an optional canary target group, rules, and the canary's alarms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tenancy import documents, naming
from tenancy.config import SharedService, TargetGroupSettings
from tenancy.environment import Account


@dataclass(frozen=True)
class ServiceArgs:
    name_prefix: str
    """Physical-name prefix of the stack (also the tenant roles' IAM path)."""
    account: Account
    """Where the stack deploys."""
    settings: SharedService
    """The service's config: protocol, port, domain, target groups, weights, rules, alarms (tenancy.config)."""
    canary_held: bool
    """An automated rollback is unacknowledged: the canary gets no traffic (weight 0, its rules go to stable)."""
    service_network_id: pulumi.Input[str]
    """The owner's service network, which the service joins."""
    tags: dict[str, str]
    """Tags for every taggable child."""
    role_path: str | None = None
    """The tenant roles' IAM path (default: this stack's); a recovery stack admits the primary's roles."""


def _target_group_config(settings: TargetGroupSettings) -> aws.vpclattice.TargetGroupConfigArgsDict | None:
    if settings.type == "LAMBDA":
        return {"lambda_event_structure_version": "V2"}
    config: aws.vpclattice.TargetGroupConfigArgsDict = {
        "port": settings.port,
        "protocol": settings.protocol or "HTTP",
        "vpc_identifier": settings.vpc_id,
    }
    if settings.type != "ALB":
        check = settings.health_check
        config["health_check"] = (
            {
                "enabled": True,
                "path": check.path,
                "matcher": {"value": check.matcher},
                "health_check_interval_seconds": check.interval_seconds,
                "health_check_timeout_seconds": check.timeout_seconds,
                "healthy_threshold_count": check.healthy_threshold,
                "unhealthy_threshold_count": check.unhealthy_threshold,
            }
            if check
            else {"enabled": True}
        )
    return config


def _target(target_id: str, port: int | None) -> aws.vpclattice.TargetGroupAttachmentTargetArgsDict:
    target: aws.vpclattice.TargetGroupAttachmentTargetArgsDict = {"id": target_id}
    if port:
        target["port"] = port
    return target


class Service(pulumi.ComponentResource):
    """A shared HTTP service, released to tenants by weight.

    Children: `<name>-service` Service (auth type AWS_IAM), `<name>-auth` AuthPolicy (tenant roles tagged for this
    service), `<name>-stable` and `<name>-canary` TargetGroup with `-target-<n>` TargetGroupAttachment per target
    and, for Lambda targets, `-invoke` Permission (scoped to the target group), `<name>-listener` Listener (default
    action: forward by weight), `<name>-rule-<priority>` ListenerRule per rule, `<name>-association`
    ServiceNetworkServiceAssociation, and with a canary `<name>-canary-errors` and `<name>-canary-latency`
    MetricAlarm.
    """

    # Outputs
    service_arn: pulumi.Output[str]
    """The Lattice service."""
    dns_name: pulumi.Output[str]
    """The service's Lattice DNS name (clients use it, or the custom domain name)."""
    port: int
    """The listener's port."""
    listener_arn: pulumi.Output[str]
    """The listener (its default action carries the weights)."""
    rule_arns: list[pulumi.Output[str]]
    """The listener rules that can forward to the canary (what the rollback function guards besides the listener)."""
    stable_target_group_id: pulumi.Output[str]
    """The stable target group."""
    canary_target_group_id: pulumi.Output[str] | None
    """The canary target group (None without a canary)."""
    alarm_names: list[str]
    """The canary's alarms (empty without a canary)."""

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:service:Service", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Names unique in the account (service, target groups) or per parent (listener, rules, the association):
        # a replacement deletes the old one first.
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        svc = args.settings

        service = aws.vpclattice.Service(
            f"{name}-service",
            name=naming.service(args.name_prefix, svc.name),
            auth_type="AWS_IAM",
            custom_domain_name=svc.custom_domain_name,
            certificate_arn=svc.certificate_arn,
            tags=args.tags,
            opts=replace_by_deleting,
        )
        aws.vpclattice.AuthPolicy(
            f"{name}-auth",
            resource_identifier=service.arn,
            policy=documents.compact_json(
                documents.service_auth_policy(
                    partition=args.account.partition,
                    owner_account_id=args.account.account_id,
                    role_path=args.role_path or naming.role_path(args.name_prefix),
                    service_name=svc.name,
                )
            ),
            opts=child,
        )

        groups: dict[str, aws.vpclattice.TargetGroup] = {}
        for which, settings in (("stable", svc.stable), ("canary", svc.canary)):
            if settings is not None:
                groups[which] = self._target_group(f"{name}-{which}", args, which, settings)

        def forward(to: str) -> list[Any]:  # target groups for a listener's or a rule's forward action
            weights = {"stable": svc.weights.stable or 100 if args.canary_held else svc.weights.stable}
            weights["canary"] = 0 if args.canary_held else svc.weights.canary
            if to == "canary" and args.canary_held:
                to = "stable"
            chosen = [w for w in groups if to == "weighted" or w == to]
            return [
                {"target_group_identifier": groups[w].id, "weight": weights[w] if to == "weighted" else 100}
                for w in chosen
            ]

        listener = aws.vpclattice.Listener(
            f"{name}-listener",
            name=naming.listener(svc.name, svc.protocol),
            service_identifier=service.id,
            protocol=svc.protocol,
            port=svc.listener_port,
            default_action={"forwards": [{"target_groups": forward("weighted")}]},
            tags=args.tags,
            opts=replace_by_deleting,
        )
        canary_rules = []  # the rules that can send traffic to the canary: the rollback function guards them
        for rule in svc.rules:
            http_match: aws.vpclattice.ListenerRuleMatchHttpMatchArgsDict = {}
            if rule.path_prefix or rule.path_exact:
                http_match["path_match"] = {
                    "case_sensitive": True,
                    "match": {"prefix": rule.path_prefix} if rule.path_prefix else {"exact": rule.path_exact},
                }
            if rule.method:
                http_match["method"] = rule.method
            if rule.headers:
                http_match["header_matches"] = [
                    {"name": header, "case_sensitive": True, "match": {"exact": value}}
                    for header, value in sorted(rule.headers.items())
                ]
            created = aws.vpclattice.ListenerRule(
                f"{name}-rule-{rule.priority}",
                name=naming.listener_rule(svc.name, rule.priority),
                service_identifier=service.id,
                listener_identifier=listener.listener_id,
                priority=rule.priority,
                match={"http_match": http_match},
                action={"forward": {"target_groups": forward(rule.to)}},
                tags=args.tags,
                opts=replace_by_deleting,
            )
            if rule.to != "stable" and "canary" in groups:
                canary_rules.append(created)
        aws.vpclattice.ServiceNetworkServiceAssociation(
            f"{name}-association",
            service_identifier=service.id,
            service_network_identifier=args.service_network_id,
            tags=args.tags,
            opts=replace_by_deleting,
        )

        self.alarm_names = []
        if "canary" in groups:
            self.alarm_names = self._canary_alarms(name, args, groups["canary"])

        self.service_arn = service.arn
        self.dns_name = service.dns_entries.apply(lambda entries: (entries[0].domain_name or "") if entries else "")
        self.port = svc.listener_port
        self.listener_arn = listener.arn
        self.rule_arns = [r.arn for r in canary_rules]
        self.stable_target_group_id = groups["stable"].id
        self.canary_target_group_id = groups["canary"].id if "canary" in groups else None
        self.register_outputs(
            {
                "service_arn": self.service_arn,
                "dns_name": self.dns_name,
                "listener_arn": self.listener_arn,
                "stable_target_group_id": self.stable_target_group_id,
                "canary_target_group_id": self.canary_target_group_id,
            }
        )

    def _target_group(
        self, name: str, args: ServiceArgs, which: str, settings: TargetGroupSettings
    ) -> aws.vpclattice.TargetGroup:
        child = pulumi.ResourceOptions(parent=self)
        group = aws.vpclattice.TargetGroup(
            name,
            name=naming.target_group(args.name_prefix, args.settings.name, which),
            type=settings.type,
            config=_target_group_config(settings),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        for i, target in enumerate(settings.targets):
            depends: list[pulumi.Resource] = []
            if settings.type == "LAMBDA":
                # Lattice invokes the function only with this permission, and only for this target group.
                depends.append(
                    aws.lambda_.Permission(
                        f"{name}-invoke",
                        action="lambda:InvokeFunction",
                        function=target.id,
                        principal="vpc-lattice.amazonaws.com",
                        source_arn=group.arn,
                        opts=child,
                    )
                )
            aws.vpclattice.TargetGroupAttachment(
                f"{name}-target-{i}",
                target_group_identifier=group.id,
                target=_target(target.id, target.port),
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
            )
        return group

    def _canary_alarms(self, name: str, args: ServiceArgs, canary: aws.vpclattice.TargetGroup) -> list[str]:
        """Error rate (5xx share, only once there is enough traffic to judge) and latency of the canary group."""
        child = pulumi.ResourceOptions(parent=self)
        alarms = args.settings.alarms
        metrics = alarms.metrics
        dimensions = canary.id.apply(lambda group_id: {metrics.target_group_dimension: group_id})

        def metric(query_id: str, metric_name: str, stat: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgsDict:
            return {
                "id": query_id,
                "return_data": False,
                "metric": {
                    "namespace": metrics.namespace,
                    "metric_name": metric_name,
                    "dimensions": dimensions,
                    "period": alarms.period_seconds,
                    "stat": stat,
                },
            }

        errors_name = naming.canary_alarm(args.name_prefix, args.settings.name, "errors")
        aws.cloudwatch.MetricAlarm(
            f"{name}-canary-errors",
            name=errors_name,
            alarm_description=(
                f"{args.settings.name}: the canary's 5xx share is above {alarms.error_rate_percent}% with at least "
                f"{alarms.minimum_requests} requests per period; the rollback function returns all weight to stable"
            ),
            metric_queries=[
                metric("requests", metrics.requests, "Sum"),
                metric("errors", metrics.errors, "Sum"),
                {
                    "id": "error_rate",
                    "label": "canary 5xx %, when traffic suffices",
                    "expression": f"IF(requests >= {alarms.minimum_requests}, 100 * errors / requests, 0)",
                    "return_data": True,
                },
            ],
            comparison_operator="GreaterThanThreshold",
            threshold=alarms.error_rate_percent,
            evaluation_periods=alarms.evaluation_periods,
            datapoints_to_alarm=alarms.evaluation_periods,
            # No traffic is no evidence against the canary (UNCONFIRMED whether Lattice publishes zeros when idle).
            treat_missing_data="notBreaching",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        latency_name = naming.canary_alarm(args.name_prefix, args.settings.name, "latency")
        aws.cloudwatch.MetricAlarm(
            f"{name}-canary-latency",
            name=latency_name,
            alarm_description=(
                f"{args.settings.name}: the canary's p99 {metrics.latency} is above {alarms.latency_ms} ms; the "
                "rollback function returns all weight to stable"
            ),
            namespace=metrics.namespace,
            metric_name=metrics.latency,
            dimensions=dimensions,
            extended_statistic="p99",
            period=alarms.period_seconds,
            comparison_operator="GreaterThanThreshold",
            threshold=alarms.latency_ms,
            evaluation_periods=alarms.evaluation_periods,
            datapoints_to_alarm=alarms.evaluation_periods,
            treat_missing_data="notBreaching",
            tags=args.tags,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(delete_before_replace=True)),
        )
        return [errors_name, latency_name]
