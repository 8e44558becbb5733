"""AWS Config in the owner account: the recorder and its delivery (unless the account already records), the managed
rules behind this design's guardrails, and a periodic custom rule for what Config can't see (VPC Lattice)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.buckets import hardened_bucket
from components.roles import service_role
from tenancy import documents, naming
from tenancy.config import Compliance as ComplianceSettings
from tenancy.environment import Account

# The custom rule's code: one file, packaged alone (functions/README.md), relative to the project folder.
FUNCTION_SOURCE = "functions/config_lattice_rule/handler.py"
# The managed policy AWS Config's recorder role needs (AWS Config Developer Guide, "Permissions for the IAM role").
CONFIG_ROLE_POLICY = "arn:{partition}:iam::aws:policy/service-role/AWS_ConfigRole"
# Where the delivery bucket's server access logs go in the audit's log bucket.
SERVER_ACCESS_LOG_PREFIX = "config-bucket/"
# Parameters some managed rules take to match this design.
RULE_PARAMETERS = {
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK": {"MinRetentionTime": "365"},
    "VPC_FLOW_LOGS_ENABLED": {"trafficType": "ALL"},
    "RDS_LOGGING_ENABLED": {"additionalLogs": "mysql: audit, error, general, slowquery"},
    "CLOUDWATCH_ALARM_ACTION_CHECK": {
        "alarmActionRequired": "true",
        "insufficientDataActionRequired": "false",
        "okActionRequired": "false",
    },
}
# Periodic managed rules need a frequency (the others run on configuration changes).
PERIODIC_RULES = {
    "CLOUD_TRAIL_ENABLED", "MULTI_REGION_CLOUD_TRAIL_ENABLED", "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
    "VPC_FLOW_LOGS_ENABLED", "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC",
}  # fmt: skip


@dataclass(frozen=True)
class ComplianceArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys."""
    settings: ComplianceSettings
    """The `compliance` config."""
    share_arn: pulumi.Input[str]
    """The RAM share whose principals resource configurations may be shared with (the custom rule reads them)."""
    topic_arn: pulumi.Input[str]
    """The alerts topic, for Config's delivery channel."""
    topic_key_arn: pulumi.Input[str]
    """The alerts topic's key (Config publishes with its recorder role, which needs to use it)."""
    protect: bool
    """Production: Pulumi `protect` on the delivery bucket."""
    kms_key_arn: pulumi.Input[str] | None
    """The audit key for the custom rule's log group (None: the key CloudWatch Logs owns)."""
    server_access_log_bucket: pulumi.Input[str] | None
    """Where the delivery bucket's server access logs go (the audit's log bucket), under SERVER_ACCESS_LOG_PREFIX."""
    tags: dict[str, str]
    """Tags for every taggable child."""


class Compliance(pulumi.ComponentResource):
    """Continuous proof that the guardrails hold in the account, not only in the plan.

    Children (recorder "create"): `<name>-recorder-role` Role with `<name>-recorder-policy` RolePolicyAttachment,
    a hardened `<name>-bucket`, `<name>-recorder` Recorder, `<name>-delivery` DeliveryChannel,
    `<name>-recorder-status` RecorderStatus (on). Always: `<name>-rule-<id>` Rule per managed rule; with the custom
    rule, `<name>-lattice-role` Role and `-policy` RolePolicy (read-only Lattice and RAM, PutEvaluations),
    `<name>-lattice-logs` LogGroup, `<name>-lattice-function` Function, `<name>-lattice-invoke` Permission (Config,
    this account) and `<name>-lattice-rule` Rule (periodic).
    """

    # Outputs
    rule_names: list[str]
    """The Config rules this stack declares."""

    def __init__(self, name: str, args: ComplianceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:compliance:Compliance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        account, prefix, settings = args.account, args.name_prefix, args.settings

        ready: list[pulumi.Resource] = []
        if settings.recorder == "create":
            role = service_role(
                self,
                f"{name}-recorder-role",
                role_name=f"{prefix}-config-recorder",
                description="AWS Config records this account's resources",
                trust_policy=documents.service_role_trust_policy(
                    service="config.amazonaws.com",
                    account_id=account.account_id,
                    source_arn=f"arn:{account.partition}:config:{account.region}:{account.account_id}:*",
                ),
                tags=args.tags,
            )
            attachment = aws.iam.RolePolicyAttachment(
                f"{name}-recorder-policy",
                role=role.name,
                policy_arn=CONFIG_ROLE_POLICY.format(partition=account.partition),
                opts=child,
            )
            bucket_name = naming.config_bucket(prefix, account.account_id, account.region)
            bucket, guards = hardened_bucket(
                self,
                f"{name}-bucket",
                bucket_name,
                protect=args.protect,
                tags=args.tags,
                encryption={"sse_algorithm": "AES256"},
                policy=documents.config_bucket_policy(
                    partition=account.partition, bucket=bucket_name, account_id=account.account_id
                ),
            )
            if args.server_access_log_bucket is not None:
                aws.s3.BucketLogging(
                    f"{name}-bucket-logging",
                    bucket=bucket.id,
                    target_bucket=args.server_access_log_bucket,
                    target_prefix=SERVER_ACCESS_LOG_PREFIX,
                    opts=child,
                )
            # In its own account Config delivers with the recorder's role (AWS Config Developer Guide, "Permissions
            # for the IAM role"): the bucket, the topic, and the topic's key.
            delivery = aws.iam.RolePolicy(
                f"{name}-recorder-delivery",
                name="config-delivery",
                role=role.id,
                policy=pulumi.Output.all(args.topic_arn, args.topic_key_arn).apply(
                    lambda v: documents.compact_json(
                        documents.config_delivery_policy(
                            partition=account.partition,
                            bucket=bucket_name,
                            account_id=account.account_id,
                            topic_arn=v[0],
                            key_arn=v[1],
                        )
                    )
                ),
                opts=replace_by_deleting,
            )
            recorder = aws.cfg.Recorder(
                f"{name}-recorder",
                name=f"{prefix}-config",
                role_arn=role.arn,
                recording_group={"all_supported": True, "include_global_resource_types": False},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment], delete_before_replace=True),
            )
            channel = aws.cfg.DeliveryChannel(
                f"{name}-delivery",
                name=f"{prefix}-config",
                s3_bucket_name=bucket.id,
                sns_topic_arn=args.topic_arn,
                snapshot_delivery_properties={"delivery_frequency": "TwentyFour_Hours"},
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[recorder, delivery, *guards], delete_before_replace=True
                ),
            )
            status = aws.cfg.RecorderStatus(
                f"{name}-recorder-status",
                name=recorder.name,
                is_enabled=True,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[channel]),
            )
            ready = [status]

        self.rule_names = []
        for rule_id in settings.rules:
            rule_name = f"{prefix}-{rule_id.lower().replace('_', '-')}"
            parameters = RULE_PARAMETERS.get(rule_id)
            aws.cfg.Rule(
                f"{name}-rule-{rule_id.lower()}",
                name=rule_name,
                source={"owner": "AWS", "source_identifier": rule_id},
                input_parameters=json.dumps(parameters, sort_keys=True) if parameters else None,
                maximum_execution_frequency=settings.frequency if rule_id in PERIODIC_RULES else None,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=ready, delete_before_replace=True),
            )
            self.rule_names.append(rule_name)
        if settings.lattice_rule:
            self.rule_names.append(self._lattice_rule(name, args, ready))
        self.register_outputs({"rule_names": self.rule_names})

    def _lattice_rule(self, name: str, args: ComplianceArgs, ready: list[pulumi.Resource]) -> str:
        """The custom periodic rule: Lattice networks and services use AWS_IAM with an auth policy; resource
        configurations are shared only with the allowed principals (Config may not record Lattice types, so it
        asks the APIs itself)."""
        child = pulumi.ResourceOptions(parent=self)
        replace_by_deleting = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        account, prefix = args.account, args.name_prefix
        function_name = f"{prefix}-config-lattice"
        log_group_name = naming.config_rule_log_group(prefix)
        rule_name = f"{prefix}-lattice-auth-and-sharing"
        role = service_role(
            self,
            f"{name}-lattice-role",
            role_name=function_name,
            description="lattice-tenancy: the Config rule that checks VPC Lattice auth and sharing",
            trust_policy=documents.rollback_trust_policy(),
            tags=args.tags,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-lattice-policy",
            name="config-lattice-rule",
            role=role.id,
            policy=documents.compact_json(
                documents.config_lattice_rule_policy(
                    partition=account.partition,
                    region=account.region,
                    account_id=account.account_id,
                    log_group=log_group_name,
                )
            ),
            opts=replace_by_deleting,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-lattice-logs",
            name=log_group_name,
            retention_in_days=365,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=replace_by_deleting,
        )
        function = aws.lambda_.Function(
            f"{name}-lattice-function",
            name=function_name,
            description="AWS Config rule: VPC Lattice networks and services use AWS_IAM with an auth policy; "
            "resource configurations are shared only with the configured principals",
            runtime="python3.12",
            architectures=["arm64"],
            handler="handler.handle",
            code=pulumi.AssetArchive({"handler.py": pulumi.FileAsset(FUNCTION_SOURCE)}),
            role=role.arn,
            timeout=300,
            memory_size=128,
            logging_config={"log_format": "Text", "log_group": log_group.name},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_group], delete_before_replace=True),
        )
        permission = aws.lambda_.Permission(
            f"{name}-lattice-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="config.amazonaws.com",
            source_account=account.account_id,
            opts=child,
        )
        aws.cfg.Rule(
            f"{name}-lattice-rule",
            name=rule_name,
            description="VPC Lattice: AWS_IAM with an auth policy everywhere; resource configurations shared only "
            "with the configured principals",
            source={
                "owner": "CUSTOM_LAMBDA",
                "source_identifier": function.arn,
                "source_details": [
                    {"message_type": "ScheduledNotification", "maximum_execution_frequency": args.settings.frequency}
                ],
            },
            # The share, not its principals: Config allows 1,024 characters of parameters, and tenants grow.
            input_parameters=pulumi.Output.from_input(args.share_arn).apply(
                lambda arn: json.dumps({"allowedPrincipalsShareArn": arn}, sort_keys=True)
            ),
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission, *ready], delete_before_replace=True),
        )
        return rule_name
