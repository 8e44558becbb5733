"""How a standby Region takes over: alarms on the replica, and an ARC Region switch plan that promotes it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.roles import service_role
from tenancy import documents, naming
from tenancy.config import Failover as FailoverSettings
from tenancy.environment import Account

# AWS managed policy for plan evaluation and execution (reads the plan, its executions and its alarms)
# (AWS Managed Policy Reference: AmazonApplicationRecoveryControllerRegionSwitchPlanExecutionPolicy).
PLAN_EXECUTION_POLICY = (
    "arn:{partition}:iam::aws:policy/AmazonApplicationRecoveryControllerRegionSwitchPlanExecutionPolicy"
)
# RDS's ReplicaLag is -1 while replication is not running (RDS User Guide, monitoring MySQL read replication).
REPLICATION_BROKEN = "IF(lag < 0 OR lag > {threshold}, 1, 0)"


@dataclass(frozen=True)
class FailoverArgs:
    name_prefix: str
    """Physical-name prefix of the recovery stack."""
    account: Account
    """Where the recovery stack deploys (its Region is the standby Region)."""
    primary_region: str
    """The primary owner's Region."""
    primary_instance_arn: str
    """The primary's database (from its contract)."""
    replica_instance_arn: pulumi.Input[str]
    """The standby database, a replica of the primary's."""
    replica_identifier: str
    """Its DB instance identifier (the alarms' dimension)."""
    settings: FailoverSettings
    """The `failover` config."""
    topic_arn: pulumi.Input[str]
    """The recovery stack's alerts topic: both alarms notify it."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class Failover(pulumi.ComponentResource):
    """Replica alarms and, unless turned off, the Region switch plan.

    Outputs: plan_arn (None without a plan), alarm_names (replication, health).
    Children: `<name>-replication` MetricAlarm (replication stopped, or lag above the configured seconds),
    `<name>-replica-health` MetricAlarm (the replica stopped reporting metrics); with a plan `<name>-role` Role,
    `<name>-role-managed` RolePolicyAttachment, `<name>-role-promote` RolePolicy (promote these two instances only)
    and `<name>-plan` arcregionswitch Plan (activate the standby: promote the replica; a trigger when automatic).
    """

    # Outputs
    plan_arn: pulumi.Output[str] | None
    """the Region switch plan"""
    alarm_names: list[str]
    """the replication and replica-health alarms"""

    def __init__(self, name: str, args: FailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:failover:Failover", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        prefix, account, settings = args.name_prefix, args.account, args.settings
        dimensions = {"DBInstanceIdentifier": args.replica_identifier}

        replication_name = naming.monitoring_alarm(prefix, "replication")
        replication = aws.cloudwatch.MetricAlarm(
            f"{name}-replication",
            name=replication_name,
            alarm_description=(
                f"The standby database is not replicating, or is more than {settings.max_replica_lag_seconds} s behind "
                "the primary, for 5 minutes: the primary's Region may be failing (README: Disaster recovery)"
            ),
            metric_queries=[
                {
                    "id": "lag",
                    "metric": {
                        "namespace": "AWS/RDS",
                        "metric_name": "ReplicaLag",
                        "dimensions": dimensions,
                        "period": 60,
                        "stat": "Maximum",
                    },
                    "return_data": False,
                },
                {
                    "id": "broken",
                    "expression": REPLICATION_BROKEN.format(threshold=settings.max_replica_lag_seconds),
                    "label": "Replication stopped or behind",
                    "return_data": True,
                },
            ],
            evaluation_periods=5,
            datapoints_to_alarm=5,
            threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No lag reported at all: the replica can't say it is current.
            treat_missing_data="breaching",
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=replace_by_deleting,
        )
        health_name = naming.monitoring_alarm(prefix, "replica-health")
        health = aws.cloudwatch.MetricAlarm(
            f"{name}-replica-health",
            name=health_name,
            alarm_description="The standby database reported no metrics for 3 minutes: it can't take over now",
            namespace="AWS/RDS",
            metric_name="CPUUtilization",
            dimensions=dimensions,
            statistic="SampleCount",
            period=60,
            evaluation_periods=3,
            threshold=1,
            comparison_operator="LessThanThreshold",
            treat_missing_data="breaching",
            alarm_actions=[args.topic_arn],
            ok_actions=[args.topic_arn],
            tags=args.tags,
            opts=replace_by_deleting,
        )
        self.alarm_names = [replication_name, health_name]

        self.plan_arn = None
        if settings.region_switch_plan:
            plan_name = naming.region_switch_plan(prefix)
            role = service_role(
                self,
                f"{name}-role",
                role_name=naming.region_switch_role(prefix),
                description=f"ARC Region switch plan {plan_name}: promotes the standby database",
                trust_policy=documents.service_role_trust_policy(
                    service="arc-region-switch.amazonaws.com",
                    account_id=account.account_id,
                    source_arn=f"arn:{account.partition}:arc-region-switch::{account.account_id}:plan/{plan_name}/*",
                ),
                tags=args.tags,
            )
            managed = aws.iam.RolePolicyAttachment(
                f"{name}-role-managed",
                role=role.name,
                policy_arn=PLAN_EXECUTION_POLICY.format(partition=account.partition),
                opts=child,
            )
            promote = aws.iam.RolePolicy(
                f"{name}-role-promote",
                name="promote-standby-database",
                role=role.id,
                policy=pulumi.Output.from_input(args.replica_instance_arn).apply(
                    lambda replica: documents.compact_json(
                        documents.promote_replica_policy(instance_arns=[args.primary_instance_arn, replica])
                    )
                ),
                opts=replace_by_deleting,
            )
            alarms = {replication_name: ("trigger", replication.arn), health_name: ("applicationHealth", health.arn)}
            plan = aws.arcregionswitch.Plan(
                f"{name}-plan",
                name=plan_name,
                description=f"Fail the shared tenant database over from {args.primary_region} to {account.region}",
                execution_role=role.arn,
                recovery_approach="activePassive",
                primary_region=args.primary_region,
                regions=[args.primary_region, account.region],
                recovery_time_objective_minutes=settings.recovery_time_objective_minutes,
                workflows=[
                    {
                        "workflow_target_action": "activate",
                        "workflow_description": f"Activate {account.region}: promote the standby database",
                        "steps": [
                            {
                                "name": "promote-standby-database",
                                "execution_block_type": "RdsPromoteReadReplica",
                                "rds_promote_read_replica_configs": [
                                    {
                                        "db_instance_arn_map": {
                                            args.primary_region: args.primary_instance_arn,
                                            account.region: args.replica_instance_arn,
                                        },
                                        "timeout_minutes": settings.promotion_timeout_minutes,
                                    }
                                ],
                            }
                        ],
                    }
                ],
                associated_alarms=[
                    {"map_block_key": alarm, "alarm_type": kind, "resource_identifier": arn}
                    for alarm, (kind, arn) in sorted(alarms.items())
                ],
                # Automatic: replication has stopped while the standby itself is healthy.
                triggers=(
                    [
                        {
                            "action": "activate",
                            "target_region": account.region,
                            "description": "Replication from the primary stopped and the standby is healthy",
                            "min_delay_minutes_between_executions": settings.minutes_between_executions,
                            "conditions": [
                                {"associated_alarm_name": replication_name, "condition": "red"},
                                {"associated_alarm_name": health_name, "condition": "green"},
                            ],
                        }
                    ]
                    if settings.automatic
                    else None
                ),
                tags=args.tags,
                # ARC checks at creation that it may assume the role with its permissions.
                # Fixed name (unique in the account): a replacement deletes the old plan first.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[managed, promote], delete_before_replace=True),
            )
            self.plan_arn = plan.arn

        self.register_outputs({"plan_arn": self.plan_arn, "alarm_names": self.alarm_names})
