"""The shared RDS for MySQL database, its network path from the resource gateway, and its Lattice publication."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.roles import service_role
from tenancy import documents, naming
from tenancy.config import Database as DatabaseSettings
from tenancy.environment import Account

# RDS for MySQL log types CloudWatch Logs can receive (botocore rds `EnableCloudwatchLogsExports`). Security Hub
# RDS.9 asks for audit, error, general and slowquery; iam-db-auth-error shows failed tenant token logins.
# `general` stays empty unless general_log is turned on (costly: every statement), which this stack leaves off.
LOG_EXPORTS = ["audit", "error", "general", "iam-db-auth-error", "slowquery"]

# TLS for every connection (IAM tokens already need it; this covers the master user too), and slow queries.
PARAMETERS = {"require_secure_transport": "1", "slow_query_log": "1", "long_query_time": "2", "log_output": "FILE"}
# The audit log records every connection and every grant or schema change: who of the tenants did what.
AUDIT_EVENTS = "CONNECT,QUERY_DCL,QUERY_DDL"
# The AWS managed policy Enhanced Monitoring's role needs (RDS User Guide, "Setting up and enabling Enhanced
# Monitoring"): write to the RDSOSMetrics log group only.
ENHANCED_MONITORING_POLICY = "arn:{partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


@dataclass(frozen=True)
class ReplicaSource:
    """A recovery stack's database: a cross-Region read replica of `source_arn` until `promoted`."""

    source_arn: str
    """The primary's instance ARN (another Region: RDS needs the ARN there)."""
    promoted: bool
    """Promoted to a standalone instance (by the Region switch plan or by hand): manage it as one."""


@dataclass(frozen=True)
class DatabaseArgs:
    name_prefix: str
    """Physical-name prefix of the stack."""
    account: Account
    """Where the stack deploys (the monitoring role's trust names the instance ARN)."""
    vpc_id: str
    """The VPC the instance lives in."""
    subnet_ids: list[str]
    """≥2 subnets in different AZs for the subnet group."""
    settings: DatabaseSettings
    """The `database` config: engine, class, storage, backups, users, port, key, monitoring (tenancy.config)."""
    multi_az: bool
    """Multi-AZ (the config's, or the profile's default)."""
    deletion_protected: bool
    """Production profile: AWS deletion protection and Pulumi `protect`."""
    gateway_security_group_id: pulumi.Input[str]
    """The resource gateway's SG, the only source allowed to reach the database."""
    resource_gateway_id: pulumi.Input[str]
    """The gateway the resource configuration is reached through."""
    service_network_id: pulumi.Input[str]
    """The network the database is published in."""
    tags: dict[str, str]
    """Tags for every taggable child."""
    replica_of: ReplicaSource | None = None
    """Set in a recovery stack: the instance replicates the primary's (engine, users and data come from there)."""


class Database(pulumi.ComponentResource):
    """RDS for MySQL reachable only through the VPC Lattice resource gateway.

    Outputs: instance_arn, instance_resource_id, address, port, master_secret_arn, resource_configuration_id,
    resource_configuration_arn, dns_name (the Lattice DNS name consumers use).
    Children: `<name>-subnets` SubnetGroup, `<name>-params` ParameterGroup (TLS required, slow query log),
    `<name>-options` OptionGroup (MariaDB audit plugin: connections, DCL, DDL), `<name>-sg` SecurityGroup, `<name>-from-gateway` ingress rule (DB SG,
    port from the gateway SG only), `<name>-gateway-to-db` egress rule (gateway SG, port to the DB SG only),
    `<name>-monitoring-role` Role and `<name>-monitoring-policy` RolePolicyAttachment (Enhanced Monitoring on),
    `<name>-instance` Instance, `<name>-rcfg` ResourceConfiguration (type ARN),
    `<name>-sn-association` ServiceNetworkResourceAssociation. A replica without a configured key also gets
    `<name>-key` Key and `<name>-key-alias` Alias in its Region (KMS keys are regional).
    """

    # Outputs
    instance_arn: pulumi.Output[str]
    """the RDS instance"""
    instance_resource_id: pulumi.Output[str]
    """its DbiResourceId, for rds-db:connect ARNs"""
    address: pulumi.Output[str]
    """the RDS host name (TLS and IAM tokens name it)"""
    port: pulumi.Output[int]
    """the database port"""
    master_secret_arn: pulumi.Output[str | None]
    """the Secrets Manager secret of the master password"""
    resource_configuration_id: pulumi.Output[str]
    """the Lattice resource configuration"""
    resource_configuration_arn: pulumi.Output[str]
    """the same, by ARN (what RAM shares)"""
    dns_name: pulumi.Output[str | None]
    """the service-network association's snra-… name"""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("lattice-tenancy:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        identifier = naming.database(args.name_prefix)

        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=identifier,
            description="Private subnets of the shared tenant database",
            subnet_ids=args.subnet_ids,
            tags=args.tags,
            # Only a new name replaces it, and a new name prefix replaces the instance too: both go first. (A name
            # prefix instead would move the instance between subnet groups of one VPC, which RDS does not do.)
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            name_prefix=naming.database_group_prefix(args.name_prefix),
            family=f"mysql{args.settings.engine_version}",
            description="Shared tenant database: TLS required, slow query log",
            parameters=[{"name": k, "value": v} for k, v in sorted(PARAMETERS.items())],
            tags=args.tags,
            opts=child,
        )
        options = aws.rds.OptionGroup(
            f"{name}-options",
            name_prefix=naming.database_group_prefix(args.name_prefix),
            engine_name="mysql",
            major_engine_version=args.settings.engine_version,
            option_group_description="Shared tenant database: audit log of connections, grants and schema changes",
            options=[
                {
                    "option_name": "MARIADB_AUDIT_PLUGIN",
                    "option_settings": [{"name": "SERVER_AUDIT_EVENTS", "value": AUDIT_EVENTS}],
                }
            ],
            tags=args.tags,
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            name_prefix=naming.security_group_prefix(args.name_prefix, "db"),
            description="Shared tenant database: MySQL from the Lattice resource gateway only",
            vpc_id=args.vpc_id,
            tags={**args.tags, "Name": f"{args.name_prefix}-db"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-gateway",
            security_group_id=self.security_group.id,
            referenced_security_group_id=args.gateway_security_group_id,
            ip_protocol="tcp",
            from_port=args.settings.port,
            to_port=args.settings.port,
            description="MySQL from the VPC Lattice resource gateway",
            tags=args.tags,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-gateway-to-db",
            security_group_id=args.gateway_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=args.settings.port,
            to_port=args.settings.port,
            description="Resource gateway to the shared database only",
            tags=args.tags,
            opts=child,
        )

        monitoring_role_arn: pulumi.Output[str] | None = None
        monitoring_ready: list[pulumi.Resource] = []
        if args.settings.monitoring_interval_seconds:
            instance_arn = (
                f"arn:{args.account.partition}:rds:{args.account.region}:{args.account.account_id}:db:{identifier}"
            )
            role = service_role(
                self,
                f"{name}-monitoring-role",
                role_name=naming.monitoring_role(args.name_prefix),
                description=f"RDS Enhanced Monitoring of {identifier}",
                trust_policy=documents.service_role_trust_policy(
                    service="monitoring.rds.amazonaws.com",
                    account_id=args.account.account_id,
                    source_arn=instance_arn,
                ),
                tags=args.tags,
            )
            attachment = aws.iam.RolePolicyAttachment(
                f"{name}-monitoring-policy",
                role=role.name,
                policy_arn=ENHANCED_MONITORING_POLICY.format(partition=args.account.partition),
                opts=child,
            )
            monitoring_role_arn = role.arn
            # RDS checks at creation that it may assume the role and use the policy: the attachment first.
            monitoring_ready.append(attachment)

        kms_key_arn: pulumi.Input[str] | None = args.settings.kms_key_arn
        self.key_arn: pulumi.Output[str] | None = None
        if args.replica_of is not None and kms_key_arn is None:
            # A cross-Region replica of an encrypted source must name a key in its own Region.
            key = aws.kms.Key(
                f"{name}-key",
                description=f"lattice-tenancy {args.name_prefix}: the standby database {identifier}",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=documents.compact_json(
                    documents.account_managed_key_policy(
                        partition=args.account.partition, account_id=args.account.account_id
                    )
                ),
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self, protect=args.deletion_protected),
            )
            aws.kms.Alias(
                f"{name}-key-alias",
                name=naming.database_key_alias(args.name_prefix),
                target_key_id=key.key_id,
                # Fixed name: a replacement deletes the old alias first, or the new one's name collides.
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            )
            self.key_arn = key.arn
            kms_key_arn = key.arn

        self.instance = aws.rds.Instance(
            f"{name}-instance",
            **_creation_args(args, kms_key_arn),
            monitoring_interval=args.settings.monitoring_interval_seconds,
            monitoring_role_arn=monitoring_role_arn,
            identifier=identifier,
            instance_class=args.settings.instance_class,
            max_allocated_storage=args.settings.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=kms_key_arn,
            iam_database_authentication_enabled=True,
            port=args.settings.port,
            db_subnet_group_name=subnet_group.name,
            parameter_group_name=parameters.name,
            option_group_name=options.name,
            vpc_security_group_ids=[self.security_group.id],
            publicly_accessible=False,
            multi_az=args.multi_az,
            backup_retention_period=args.settings.backup_retention_days,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=LOG_EXPORTS,
            ca_cert_identifier="rds-ca-rsa2048-g1",
            deletion_protection=args.deletion_protected,
            # What `pulumi preview` shows is what `pulumi up` does: an option or parameter group swap, for one, is
            # otherwise deferred to the maintenance window and the old group can't be deleted until then.
            apply_immediately=args.settings.apply_immediately,
            tags=args.tags,
            # In production Pulumi also refuses to delete or replace it until `protect` is lifted. Elsewhere a
            # replacement (e.g. a new KMS key) deletes it first, keeping the final snapshot: the identifier is fixed
            # (tenants' tokens and TLS name its host), so the new instance could not be created beside the old one.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.deletion_protected, delete_before_replace=True, depends_on=monitoring_ready
            ),
        )

        # Type ARN: Lattice resolves the instance by its ARN and follows its endpoint across fail-overs,
        # so no port range or protocol is given (the API rejects them for ARN configurations).
        # Fixed names: a replacement must delete the old one first, or the new one's name collides.
        self.resource_configuration = aws.vpclattice.ResourceConfiguration(
            f"{name}-rcfg",
            name=naming.resource_configuration(args.name_prefix),
            type="ARN",
            resource_gateway_identifier=args.resource_gateway_id,
            resource_configuration_definition={"arn_resource": {"arn": self.instance.arn}},
            allow_association_to_shareable_service_network=True,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        # The configuration's ID, not its ARN: the provider reports a perpetual diff for an ARN here
        # (hashicorp/terraform-provider-aws#44546).
        self.association = aws.vpclattice.ServiceNetworkResourceAssociation(
            f"{name}-sn-association",
            resource_configuration_identifier=self.resource_configuration.id,
            service_network_identifier=args.service_network_id,
            # Explicitly true. AWS documents the flag as "true and immutable" for ARN-type configurations (VPC
            # Lattice User Guide, resource configurations), and this flag overrides the endpoint's and the VPC
            # association's. pulumi_aws (terraform-provider-aws PR #45673) sends it only when set, defaults it to
            # false and has no update for it, so only true agrees with what AWS reports. UNVERIFIED against a live
            # account: the provider's docstring says true needs a custom or group domain, which ARN configurations
            # (RDS names their domain) don't take. README: "Private DNS on the resource association".
            private_dns_enabled=True,
            tags=args.tags,
            # One association per configuration and network: a replacement must remove the old one first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )

        self.instance_arn = self.instance.arn
        self.instance_resource_id = self.instance.resource_id
        self.address = self.instance.address
        self.port = self.instance.port
        self.master_secret_arn = self.instance.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn if secrets else None
        )
        self.resource_configuration_id = self.resource_configuration.id
        self.resource_configuration_arn = self.resource_configuration.arn
        self.dns_name = self.association.dns_entries.apply(lambda entries: entries[0].domain_name if entries else None)
        self.register_outputs(
            {
                "instance_arn": self.instance_arn,
                "instance_resource_id": self.instance_resource_id,
                "address": self.address,
                "port": self.port,
                "master_secret_arn": self.master_secret_arn,
                "resource_configuration_id": self.resource_configuration_id,
                "resource_configuration_arn": self.resource_configuration_arn,
                "dns_name": self.dns_name,
            }
        )


def _creation_args(args: DatabaseArgs, kms_key_arn: pulumi.Input[str] | None) -> dict[str, Any]:
    """What differs between a primary instance, a replica and a promoted replica: where data and users come from,
    and what is kept when it is deleted."""
    standalone_snapshot: dict[str, Any] = {
        # A final snapshot in every profile: tearing down a development stack still keeps the data.
        "skip_final_snapshot": False,
        # Named after the settings that force a replacement, so a later replacement's snapshot can't collide.
        "final_snapshot_identifier": naming.final_snapshot(
            args.name_prefix,
            args.settings.kms_key_arn or ("stack-key" if args.replica_of else "aws-managed"),
            args.settings.master_username if args.replica_of is None else "promoted",
        ),
        # RDS generates the master password and keeps it in Secrets Manager; it never passes through here. (A
        # promoted replica gets its own secret in its Region: the primary's may be out of reach.)
        "manage_master_user_password": True,
    }
    if args.replica_of is None:
        # Restored from a snapshot (failback): the master user is the snapshot's.
        restored = args.settings.restore_from_snapshot
        source = {"snapshot_identifier": restored} if restored else {"username": args.settings.master_username}
        return {
            **source,
            "engine": "mysql",
            "engine_version": args.settings.engine_version,
            # Not the provider's default: that enrols the instance in billed Extended Support without asking.
            "engine_lifecycle_support": (
                "open-source-rds-extended-support"
                if args.settings.extended_support
                else "open-source-rds-extended-support-disabled"
            ),
            "allocated_storage": args.settings.allocated_storage_gib,
            **standalone_snapshot,
        }
    # Its Region spelled out: the guardrails check that its key is of the same Region.
    here = {"region": args.account.region}
    if args.replica_of.promoted:
        # No source any more (removing it is what promotes a replica, should the plan not have done so yet).
        return {**here, **standalone_snapshot}
    return {
        **here,
        # Engine, version, storage, master user and data come from the source. RDS takes no final snapshot of a
        # replica (its data is the source's), so none may be named.
        "replicate_source_db": args.replica_of.source_arn,
        "skip_final_snapshot": True,
    }
