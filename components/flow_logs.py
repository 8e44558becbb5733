"""VPC flow logs on the subnets a stack puts network interfaces in: the owner's gateway subnets, a tenant's endpoint
subnets."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.roles import service_role
from tenancy import documents, naming
from tenancy.config import FLOW_LOG_FORMAT
from tenancy.config import FlowLogs as FlowLogSettings
from tenancy.environment import Account


@dataclass(frozen=True)
class FlowLogsArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys (the delivery role's trust names this account's flow logs)."""
    subnet_ids: list[str]
    """The subnets to log."""
    settings: FlowLogSettings
    """Destination, traffic type, aggregation, retention (tenancy.config.FlowLogs)."""
    kms_key_arn: pulumi.Input[str] | None
    """A customer managed key for the log group (None: the key CloudWatch Logs owns)."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class FlowLogs(pulumi.ComponentResource):
    """Flow logs with the fields an investigation needs (tenancy.config.FLOW_LOG_FORMAT).

    Children: to CloudWatch Logs, `<name>-group` LogGroup, `<name>-role` Role (trusted by vpc-flow-logs.amazonaws.com
    for this account's flow logs only) and `<name>-delivery` RolePolicy (its streams only); `<name>-<subnet>` FlowLog
    per subnet (to the log group, or to the configured S3 bucket).
    """

    # Outputs
    log_group_name: pulumi.Output[str] | None
    """The flow log group (None when the destination is S3)."""

    def __init__(self, name: str, args: FlowLogsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:flow_logs:FlowLogs", name, None, opts)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        settings = args.settings
        group_name = naming.flow_log_group(args.name_prefix)
        self.log_group_name = None
        destination_type, destination_arn = "s3", pulumi.Output.from_input(settings.s3_bucket_arn or "")
        ready: list[pulumi.Resource] = []
        if settings.destination == "cloudwatch":
            group = aws.cloudwatch.LogGroup(
                f"{name}-group",
                name=group_name,
                retention_in_days=settings.retention_days,
                kms_key_id=args.kms_key_arn,
                tags=args.tags,
                opts=replace_by_deleting,
            )
            role = service_role(
                self,
                f"{name}-role",
                role_name=naming.flow_log_role(args.name_prefix),
                description=f"VPC flow logs of {args.name_prefix} deliver to {group_name}",
                trust_policy=documents.service_role_trust_policy(
                    service="vpc-flow-logs.amazonaws.com",
                    account_id=args.account.account_id,
                    source_arn=f"arn:{args.account.partition}:ec2:{args.account.region}:{args.account.account_id}:vpc-flow-log/*",
                ),
                tags=args.tags,
            )
            ready.append(
                aws.iam.RolePolicy(
                    f"{name}-delivery",
                    name="flow-log-delivery",
                    role=role.id,
                    policy=documents.compact_json(
                        documents.flow_log_delivery_policy(
                            partition=args.account.partition,
                            region=args.account.region,
                            account_id=args.account.account_id,
                            log_group=group_name,
                        )
                    ),
                    opts=replace_by_deleting,
                )
            )
            destination_type, destination_arn = "cloud-watch-logs", group.arn
            self.log_group_name = group.name
            deliver_as: pulumi.Input[str] | None = role.arn
        else:
            deliver_as = None
        for subnet in args.subnet_ids:
            aws.ec2.FlowLog(
                f"{name}-{subnet}",
                subnet_id=subnet,
                traffic_type=settings.traffic_type,
                max_aggregation_interval=settings.aggregation_seconds,
                log_format=FLOW_LOG_FORMAT,
                iam_role_arn=deliver_as,
                tags=args.tags,
                log_destination_type=destination_type,
                log_destination=destination_arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=ready),
            )
        self.register_outputs({"log_group_name": self.log_group_name})
