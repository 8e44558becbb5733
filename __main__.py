"""lattice-tenancy: load and check the stack's config, build its components, export its contract."""

import pulumi

from components.audit import Audit, AuditArgs
from components.auth import Auth, AuthArgs
from components.chargeback import SERVER_ACCESS_LOG_PREFIX as CHARGEBACK_ACCESS_LOG_PREFIX
from components.chargeback import Chargeback, ChargebackArgs
from components.compliance import SERVER_ACCESS_LOG_PREFIX as COMPLIANCE_ACCESS_LOG_PREFIX
from components.compliance import Compliance, ComplianceArgs
from components.connection import Connection, ConnectionArgs
from components.database import Database, DatabaseArgs
from components.flow_logs import FlowLogs, FlowLogsArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.rollback import CanaryRollback, GuardedService, RollbackArgs
from components.service import Service, ServiceArgs
from components.sharing import Sharing, SharingArgs
from tenancy import documents, environment, naming
from tenancy.config import OwnerConfig, TenantStackConfig
from tenancy.contract import CONTRACT_VERSION, ContractError, OwnerContract, check_contract
from tenancy.loading import ConfigError, load_stack_config, runtime_config


def load() -> tuple[OwnerConfig | TenantStackConfig, environment.Account, list[environment.SubnetFacts], list[str]]:
    """The validated config, the account it deploys to and its subnets; a user error ends the run with one message.

    A tenant's account problems are returned instead, to be reported with what the owner's contract reveals: one
    run, one message with everything to fix.
    """
    try:
        config = load_stack_config(*runtime_config(), stack=pulumi.get_stack())
        account = environment.current_account()
        subnets = environment.describe_subnets(list(config.network.subnet_ids))
        problems = environment.stack_problems(config, account, subnets)
        if isinstance(config, OwnerConfig):
            fail_on(problems)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    return config, account, subnets, problems


def fail_on(problems: list[str]) -> None:
    if problems:
        raise ConfigError("invalid stack configuration:\n" + "\n".join(f"  {p}" for p in problems))


def owner_contract(config: TenantStackConfig, account: environment.Account, problems: list[str]) -> OwnerContract:
    """The owner's exports, checked for this tenant before anything is declared."""
    try:
        outputs = environment.read_stack_outputs(config.owner_stack)
        return check_contract(
            outputs,
            owner_stack=config.owner_stack,
            tenant=config.tenant,
            account_id=account.account_id,
            region=account.region,
            acceptance=config.acceptance,
        )
    except ContractError as error:
        also = "".join(f"\n  {p}" for p in problems)
        raise pulumi.RunError(str(error) + (f"\nAlso in this stack's configuration:{also}" if also else "")) from None


def with_discovered_tenants(config: OwnerConfig) -> tuple[OwnerConfig, list[str]]:
    """The config with the tenants its OUs hold now (listed tenants win); a problem ends the run before anything."""
    if not config.tenant_sources:
        return config, []
    discovered, external_ids, problems = environment.discover_tenants(config)
    try:
        fail_on(problems)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    merged = config.model_copy(
        update={"tenants": [*config.tenants, *discovered], "external_ids": {**config.external_ids, **external_ids}}
    )
    return merged, [t.name for t in discovered]


def audit_log_groups(config: OwnerConfig) -> list[str]:
    """The other components' log groups the audit key encrypts (its policy names each)."""
    prefix = config.name_prefix
    flow_logs = config.monitoring.flow_logs
    return (
        [naming.rollback_log_group(prefix)] * any(s.canary for s in config.services)
        + [naming.flow_log_group(prefix)] * (flow_logs.enabled and flow_logs.destination == "cloudwatch")
        + [naming.config_rule_log_group(prefix)] * (config.compliance.enabled and config.compliance.lattice_rule)
    )


def logged_buckets(config: OwnerConfig, account: environment.Account) -> dict[str, str]:
    """The other components' buckets whose server access logs go to the audit log bucket: prefix → bucket."""
    prefix, logged = config.name_prefix, {}
    if config.chargeback.data_export:
        logged[CHARGEBACK_ACCESS_LOG_PREFIX] = naming.cost_export_bucket(prefix, account.account_id, account.region)
    if config.compliance.enabled and config.compliance.recorder == "create":
        logged[COMPLIANCE_ACCESS_LOG_PREFIX] = naming.config_bucket(prefix, account.account_id, account.region)
    return logged


def owner(config: OwnerConfig, account: environment.Account, subnets: list[environment.SubnetFacts]) -> None:
    config, discovered = with_discovered_tenants(config)
    prefix = config.name_prefix
    tags = config.stack_tags(pulumi.get_stack())

    network = Network(
        "network",
        NetworkArgs(
            name_prefix=prefix,
            vpc_id=config.network.vpc_id,
            subnet_ids=list(config.network.subnet_ids),
            associate_owner_vpc=config.network.associate_owner_vpc,
            tags=tags,
        ),
    )
    database = Database(
        "database",
        DatabaseArgs(
            name_prefix=prefix,
            account=account,
            vpc_id=config.network.vpc_id,
            subnet_ids=list(config.database.subnet_ids or config.network.subnet_ids),
            settings=config.database,
            multi_az=config.multi_az,
            deletion_protected=config.deletion_protected,
            gateway_security_group_id=network.gateway_security_group_id,
            resource_gateway_id=network.resource_gateway_id,
            service_network_id=network.service_network_id,
            tags=tags,
        ),
    )
    # A canary rolled back by its alarm stays at weight 0 until the config acknowledges the rollback.
    holds = environment.canary_holds(
        config.services, environment.rollback_records(naming.rollback_record_prefix(prefix))
    )
    for hold in holds.values():
        pulumi.log.warn(hold)
    services = {
        svc.name: Service(
            f"service-{svc.name}",
            ServiceArgs(
                name_prefix=prefix,
                account=account,
                settings=svc,
                canary_held=svc.name in holds,
                service_network_id=network.service_network_id,
                tags=tags,
            ),
        )
        for svc in config.services
    }
    shared = {
        "serviceNetwork": network.service_network_arn,
        "resourceConfiguration": database.resource_configuration_arn,
    }
    sharing = Sharing(
        "sharing",
        SharingArgs(
            name_prefix=prefix,
            resources={label: shared[label] for label in config.sharing.resources},
            principals=config.share_principals,
            allow_external_principals=config.allow_external_principals,
            tags=tags,
        ),
    )
    auth = Auth(
        "auth",
        AuthArgs(
            name_prefix=prefix,
            account=account,
            service_network_id=network.service_network_id,
            service_network_arn=network.service_network_arn,
            db_resource_id=database.instance_resource_id,
            tenants=list(config.tenants),
            external_ids={n: pulumi.Output.secret(v) for n, v in config.external_ids.items()},
            access_window=config.access_window,
            service_arns={name: service.service_arn for name, service in services.items()},
            allowed_services={t.name: config.services_of(t.name) for t in config.tenants},
            tags=tags,
        ),
    )
    audit = Audit(
        "audit",
        AuditArgs(
            name_prefix=prefix,
            account=account,
            service_network_id=network.service_network_id,
            settings=config.audit,
            create_key=config.creates_audit_key,
            other_log_groups=audit_log_groups(config),
            other_logged_buckets=logged_buckets(config, account),
            protect=config.deletion_protected,
            tags=tags,
        ),
    )

    guarded = [
        GuardedService(
            name=name,
            service_arn=service.service_arn,
            listener_arn=service.listener_arn,
            rule_arns=service.rule_arns,
            stable_target_group_id=service.stable_target_group_id,
            canary_target_group_id=service.canary_target_group_id,
            alarm_names=service.alarm_names,
        )
        for name, service in services.items()
        if service.canary_target_group_id is not None
    ]
    rollback = (
        CanaryRollback(
            "rollback",
            RollbackArgs(
                name_prefix=prefix,
                account=account,
                services=guarded,
                log_retention_days=config.audit.log_retention_days,
                kms_key_arn=audit.key_arn or config.audit.kms_key_arn,
                tags=tags,
            ),
        )
        if guarded
        else None
    )

    if config.monitoring.flow_logs.enabled:
        FlowLogs(
            "flow-logs",
            FlowLogsArgs(
                name_prefix=prefix,
                account=account,
                subnet_ids=list(config.network.subnet_ids),
                settings=config.monitoring.flow_logs,
                kms_key_arn=config.monitoring.flow_logs.kms_key_arn or audit.key_arn or config.audit.kms_key_arn,
                tags=tags,
            ),
        )
    monitoring = Monitoring(
        "monitoring",
        MonitoringArgs(
            name_prefix=prefix,
            account=account,
            settings=config.monitoring,
            access_log_group_name=audit.access_log_group_name,
            services={name: service.service_arn for name, service in services.items()},
            service_metrics={svc.name: svc.alarms.metrics for svc in config.services},
            database_identifier=naming.database(prefix),
            organization_events=bool(config.tenant_sources),
            protect=config.deletion_protected,
            tags=tags,
        ),
    )
    chargeback = Chargeback(
        "chargeback",
        ChargebackArgs(
            name_prefix=prefix,
            account=account,
            settings=config.chargeback,
            tenants=[t.name for t in config.tenants],
            topic_arn=monitoring.topic_arn,
            protect=config.deletion_protected,
            server_access_log_bucket=audit.server_access_log_bucket_name,
            tags=tags,
        ),
    )

    if config.compliance.enabled:
        Compliance(
            "compliance",
            ComplianceArgs(
                name_prefix=prefix,
                account=account,
                settings=config.compliance,
                share_arn=sharing.resource_share_arn,
                topic_arn=monitoring.topic_arn,
                topic_key_arn=monitoring.key_arn,
                protect=config.deletion_protected,
                kms_key_arn=audit.key_arn or config.audit.kms_key_arn,
                server_access_log_bucket=audit.server_access_log_bucket_name,
                tags=tags,
            ),
        )

    # The tenant contract (tenancy.contract.OwnerContract): every key a tenant stack reads.
    pulumi.export("contract_version", CONTRACT_VERSION)
    pulumi.export("owner_account_id", account.account_id)
    pulumi.export("region", account.region)
    pulumi.export("service_network_arn", network.service_network_arn)
    pulumi.export("service_network_id", network.service_network_id)
    pulumi.export("resource_share_arn", sharing.resource_share_arn)
    pulumi.export("shared_resources", list(config.sharing.resources))
    pulumi.export("invited_account_ids", list(config.sharing.external_account_ids))
    pulumi.export("resource_configuration_arn", database.resource_configuration_arn)
    pulumi.export("database_dns_name", database.dns_name)
    pulumi.export("database_port", database.port)
    pulumi.export("database_address", database.address)
    pulumi.export("resource_gateway_az_ids", environment.zone_ids(subnets))
    pulumi.export("tenant_account_ids", {t.name: t.account_id for t in config.tenants})
    pulumi.export("tenant_role_arns", auth.role_arns)
    pulumi.export("tenant_db_users", {t.name: t.database_user for t in config.tenants})
    pulumi.export(
        "services",
        {
            svc.name: {
                "dns_name": svc.custom_domain_name or services[svc.name].dns_name,
                "port": services[svc.name].port,
                "arn": services[svc.name].service_arn,
                "tenants": config.services_of_tenants(svc.name),
            }
            for svc in config.services
        },
    )
    # For the owner's operators, not part of the contract.
    pulumi.export("database_master_secret_arn", database.master_secret_arn)
    pulumi.export("database_resource_id", database.instance_resource_id)
    pulumi.export("sharing_scope", config.sharing_scope)
    pulumi.export("database_user_sql", documents.database_user_sql([t.database_user for t in config.tenants]))
    pulumi.export("access_log_group_name", audit.access_log_group_name)
    pulumi.export("audit_bucket_name", audit.bucket_name)
    pulumi.export("trail_arn", audit.trail_arn)
    pulumi.export("trail_log_group_name", audit.trail_log_group_name)
    pulumi.export("server_access_log_bucket_name", audit.server_access_log_bucket_name)
    pulumi.export("audit_key_arn", audit.key_arn)
    pulumi.export("service_rollbacks", holds)
    # Tenants found in tenantSources' OUs on this deployment, and (secret) the external IDs to give each team.
    pulumi.export("discovered_tenants", {t.name: t.account_id for t in config.tenants if t.name in discovered})
    pulumi.export("discovered_external_ids", pulumi.Output.secret({n: config.external_ids[n] for n in discovered}))
    pulumi.export("alerts_topic_arn", monitoring.topic_arn)
    pulumi.export("dashboard_name", monitoring.dashboard_name)
    pulumi.export("cost_export_bucket_name", chargeback.export_bucket_name)
    pulumi.export("rollback_topic_arn", rollback.topic_arn if rollback else None)


def tenant(
    config: TenantStackConfig, account: environment.Account, subnets: list[environment.SubnetFacts], problems: list[str]
) -> None:
    contract = owner_contract(config, account, problems)
    needs = "resourceConfiguration" if config.connection == "resource" else "serviceNetwork"
    if needs not in contract.shared_resources:
        problems = [
            f"lattice-tenancy:connection: {config.connection!r} needs the owner to share its {needs}, but it shares "
            f"{', '.join(contract.shared_resources)}. Choose another connection, or ask the platform team to add "
            f"{needs} to the owner's sharing.resources.",
            *problems,
        ]
    more, warnings = environment.tenant_problems(config, contract, subnets)
    try:
        fail_on(problems + more)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    for warning in warnings:
        pulumi.log.warn(warning)
    allowed = {name: s for name, s in sorted(contract.services.items()) if config.tenant in s.tenants}
    tags = config.stack_tags(pulumi.get_stack())
    connection = Connection(
        "connection",
        ConnectionArgs(
            name_prefix=config.name_prefix,
            vpc_id=config.network.vpc_id,
            subnet_ids=list(config.network.subnet_ids),
            client_security_group_ids=list(config.network.client_security_group_ids),
            ports=[contract.database_port, *sorted({s.port for s in allowed.values()} | set(config.service_ports))],
            mode=config.connection,
            service_network_arn=contract.service_network_arn,
            resource_configuration_arn=contract.resource_configuration_arn,
            association_dns_name=contract.database_dns_name,
            share_arn=contract.resource_share_arn if config.acceptance == "invite" else None,
            tags=tags,
        ),
    )

    if config.flow_logs.enabled and config.connection != "association":
        FlowLogs(
            "flow-logs",
            FlowLogsArgs(
                name_prefix=config.name_prefix,
                account=account,
                subnet_ids=list(config.network.subnet_ids),
                settings=config.flow_logs,
                kms_key_arn=config.flow_logs.kms_key_arn,
                tags=tags,
            ),
        )

    # How the tenant's applications connect (README: "Connecting from a tenant application").
    pulumi.export("owner_account_id", contract.owner_account_id)
    pulumi.export("region", contract.region)
    pulumi.export("service_network_arn", contract.service_network_arn)
    # Lattice's private DNS answers for the RDS host name in this VPC: connect to it, sign IAM tokens for it.
    pulumi.export("database_host", contract.database_address)
    pulumi.export("database_port", contract.database_port)
    # The Lattice name that resolves in this VPC in this connection mode (the endpoint's own, or the association's).
    pulumi.export("database_lattice_dns_name", connection.database_dns_name)
    pulumi.export("database_user", contract.tenant_db_users[config.tenant])
    pulumi.export("role_arn", contract.tenant_role_arns[config.tenant])
    pulumi.export("connection", config.connection)
    pulumi.export("endpoint_id", connection.endpoint_id)
    pulumi.export("association_id", connection.association_id)
    pulumi.export("security_group_id", connection.security_group_id)
    # The shared HTTP services this tenant may call: sign requests with SigV4 (service vpc-lattice-svcs), as role_arn.
    pulumi.export("services", {name: {"dns_name": s.dns_name, "port": s.port} for name, s in allowed.items()})
    if config.external_id:
        pulumi.export("external_id", pulumi.Output.secret(config.external_id))


config, account, subnets, problems = load()
if isinstance(config, OwnerConfig):
    owner(config, account, subnets)
else:
    tenant(config, account, subnets, problems)
