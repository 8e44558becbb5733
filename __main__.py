"""lattice-tenancy: load and check the stack's config, build its components, export its contract."""

from dataclasses import dataclass

import pulumi

from components.audit import Audit, AuditArgs
from components.auth import Auth, AuthArgs
from components.chargeback import SERVER_ACCESS_LOG_PREFIX as CHARGEBACK_ACCESS_LOG_PREFIX
from components.chargeback import Chargeback, ChargebackArgs
from components.compliance import SERVER_ACCESS_LOG_PREFIX as COMPLIANCE_ACCESS_LOG_PREFIX
from components.compliance import Compliance, ComplianceArgs
from components.connection import Connection, ConnectionArgs
from components.database import Database, DatabaseArgs, ReplicaSource
from components.failover import Failover, FailoverArgs
from components.flow_logs import FlowLogs, FlowLogsArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.rollback import CanaryRollback, GuardedService, RollbackArgs
from components.service import Service, ServiceArgs
from components.sharing import Sharing, SharingArgs
from tenancy import documents, environment, naming, quotas
from tenancy.config import Database as DatabaseSettings
from tenancy.config import NetworkStackConfig, OwnerConfig, RecoveryConfig, Tenant, TenantStackConfig, sharing_scope
from tenancy.contract import (
    CONTRACT_VERSION,
    PRIMARY,
    STANDBY,
    ContractError,
    OwnerContract,
    check_contract,
    check_primary_contract,
)
from tenancy.loading import ConfigError, load_stack_config, runtime_config


def load() -> tuple[
    OwnerConfig | TenantStackConfig | RecoveryConfig, environment.Account, list[environment.SubnetFacts], list[str]
]:
    """The validated config, the account it deploys to and its subnets; a user error ends the run with one message.

    A tenant's account problems are returned instead, to be reported with what the owner's contract reveals: one
    run, one message with everything to fix.
    """
    try:
        config = load_stack_config(*runtime_config(), stack=pulumi.get_stack())
        account = environment.current_account()
        subnets = environment.describe_subnets(list(config.network.subnet_ids))
        problems = environment.stack_problems(config, account, subnets)
        if not isinstance(config, TenantStackConfig):
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


def audit_log_groups(config: NetworkStackConfig) -> list[str]:
    """The other components' log groups the audit key encrypts (its policy names each)."""
    prefix = config.name_prefix
    flow_logs = config.monitoring.flow_logs
    return (
        [naming.rollback_log_group(prefix)] * any(s.canary for s in config.services)
        + [naming.flow_log_group(prefix)] * (flow_logs.enabled and flow_logs.destination == "cloudwatch")
        + [naming.config_rule_log_group(prefix)] * (config.compliance.enabled and config.compliance.lattice_rule)
    )


def logged_buckets(config: NetworkStackConfig, account: environment.Account) -> dict[str, str]:
    """The other components' buckets whose server access logs go to the audit log bucket: prefix → bucket."""
    prefix, logged = config.name_prefix, {}
    if isinstance(config, OwnerConfig) and config.chargeback.data_export:
        logged[CHARGEBACK_ACCESS_LOG_PREFIX] = naming.cost_export_bucket(prefix, account.account_id, account.region)
    if config.compliance.enabled and config.compliance.recorder == "create":
        logged[COMPLIANCE_ACCESS_LOG_PREFIX] = naming.config_bucket(prefix, account.account_id, account.region)
    return logged


@dataclass(frozen=True)
class Tenancy:
    """Whom a service network serves: from the owner's config, or (recovery stack) from its primary's contract."""

    tenants: list[Tenant]
    allowed_services: dict[str, list[str]]  # tenant → the services it may invoke
    service_tenants: dict[str, list[str]]  # service → the tenants that may invoke it
    share_principals: list[str]
    allow_external_principals: bool
    invited_account_ids: list[str]
    shared_resources: list[str]
    external_ids: dict[str, str]  # secret; for the roles' trust policies (a recovery stack creates no roles)
    standby_for: dict[str, str] | None = None  # recovery: tenant → the primary's role ARN
    role_path: str | None = None  # recovery: the primary's role path


@dataclass(frozen=True)
class SharedNetwork:
    """What `shared_network` built, for the stack's own additions and its exports."""

    network: Network
    database: Database
    services: dict[str, Service]
    sharing: Sharing
    auth: Auth
    audit: Audit
    monitoring: Monitoring
    rollback: CanaryRollback | None
    holds: dict[str, str]


def check_quotas(
    tenancy: Tenancy, account: environment.Account, services: int, regions: dict[str, dict[str, int]], *, owner: bool
) -> None:
    """The quotas this stack's tenants and services count against: a problem ends the run, a warning is shown. (A
    recovery stack's service roles join the owner's in the same account.)"""
    problems, warnings = quotas.quota_problems(
        tenants=[quotas.TenantRole(t.name, t.account_id, t.database_user) for t in tenancy.tenants],
        partition=account.partition,
        account_id=account.account_id,
        regions=regions,
        share_principals=len(tenancy.share_principals),
        services=services,
        room_for_standby=owner,
        stacks_in_account=1 if owner else 2,
    )
    for warning in warnings:
        pulumi.log.warn(warning)
    try:
        fail_on(problems)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None


def shared_network(
    config: NetworkStackConfig,
    account: environment.Account,
    tenancy: Tenancy,
    database: tuple[DatabaseSettings, ReplicaSource | None],
    organization_events: bool,
) -> SharedNetwork:
    """The service network, the database and its publication, services, share, auth, audit, monitoring and
    compliance: the same components for the primary owner and for a recovery stack in its standby Region."""
    prefix = config.name_prefix
    tags = config.stack_tags(pulumi.get_stack())
    settings, replica_of = database

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
    db = Database(
        "database",
        DatabaseArgs(
            name_prefix=prefix,
            account=account,
            vpc_id=config.network.vpc_id,
            subnet_ids=list(settings.subnet_ids or config.network.subnet_ids),
            settings=settings,
            multi_az=config.multi_az,
            deletion_protected=config.deletion_protected,
            gateway_security_group_id=network.gateway_security_group_id,
            resource_gateway_id=network.resource_gateway_id,
            service_network_id=network.service_network_id,
            tags=tags,
            replica_of=replica_of,
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
                role_path=tenancy.role_path,
            ),
        )
        for svc in config.services
    }
    shared = {
        "serviceNetwork": network.service_network_arn,
        "resourceConfiguration": db.resource_configuration_arn,
    }
    sharing = Sharing(
        "sharing",
        SharingArgs(
            name_prefix=prefix,
            resources={label: shared[label] for label in tenancy.shared_resources},
            principals=tenancy.share_principals,
            allow_external_principals=tenancy.allow_external_principals,
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
            db_resource_id=db.instance_resource_id,
            tenants=tenancy.tenants,
            external_ids={n: pulumi.Output.secret(v) for n, v in tenancy.external_ids.items()},
            access_window=config.access_window,
            service_arns={name: service.service_arn for name, service in services.items()},
            allowed_services=tenancy.allowed_services,
            tags=tags,
            standby_for=tenancy.standby_for,
            role_path=tenancy.role_path,
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
            organization_events=organization_events,
            protect=config.deletion_protected,
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
    return SharedNetwork(network, db, services, sharing, auth, audit, monitoring, rollback, holds)


def export_network(
    config: NetworkStackConfig,
    account: environment.Account,
    tenancy: Tenancy,
    built: SharedNetwork,
    *,
    stack_role: str,
    primary_region: str,
    engine_version: str,
    backup_retention_days: int,
    zone_ids: list[str],
) -> None:
    """The contract (tenancy.contract.OwnerContract) every tenant stack, and a recovery stack, reads; and what the
    platform team's operators need of the shared network."""
    tenants = tenancy.tenants
    pulumi.export("contract_version", CONTRACT_VERSION)
    pulumi.export("stack_role", stack_role)
    pulumi.export("owner_account_id", account.account_id)
    pulumi.export("region", account.region)
    pulumi.export("primary_region", primary_region)
    pulumi.export("name_prefix", config.name_prefix)
    pulumi.export("service_network_arn", built.network.service_network_arn)
    pulumi.export("service_network_id", built.network.service_network_id)
    pulumi.export("resource_share_arn", built.sharing.resource_share_arn)
    pulumi.export("shared_resources", list(tenancy.shared_resources))
    pulumi.export("share_principals", list(tenancy.share_principals))
    pulumi.export("allow_external_principals", tenancy.allow_external_principals)
    pulumi.export("invited_account_ids", list(tenancy.invited_account_ids))
    pulumi.export("resource_configuration_arn", built.database.resource_configuration_arn)
    pulumi.export("database_dns_name", built.database.dns_name)
    pulumi.export("database_port", built.database.port)
    pulumi.export("database_address", built.database.address)
    pulumi.export("database_instance_arn", built.database.instance_arn)
    pulumi.export("database_engine_version", engine_version)
    pulumi.export("database_backup_retention_days", backup_retention_days)
    pulumi.export("resource_gateway_az_ids", zone_ids)
    pulumi.export("tenant_account_ids", {t.name: t.account_id for t in tenants})
    pulumi.export("tenant_role_arns", built.auth.role_arns)
    pulumi.export("tenant_role_path", tenancy.role_path or naming.role_path(config.name_prefix))
    pulumi.export("tenant_db_users", {t.name: t.database_user for t in tenants})
    pulumi.export("tenant_teams", {t.name: t.team for t in tenants})
    pulumi.export(
        "services",
        {
            svc.name: {
                "dns_name": svc.custom_domain_name or built.services[svc.name].dns_name,
                "port": built.services[svc.name].port,
                "arn": built.services[svc.name].service_arn,
                "tenants": tenancy.service_tenants.get(svc.name, []),
            }
            for svc in config.services
        },
    )
    # For the platform team's operators, not part of the contract.
    pulumi.export("database_master_secret_arn", built.database.master_secret_arn)
    pulumi.export("database_resource_id", built.database.instance_resource_id)
    pulumi.export("sharing_scope", sharing_scope(tenancy.share_principals, [t.account_id for t in tenants]))
    pulumi.export("access_log_group_name", built.audit.access_log_group_name)
    pulumi.export("audit_bucket_name", built.audit.bucket_name)
    pulumi.export("trail_arn", built.audit.trail_arn)
    pulumi.export("trail_log_group_name", built.audit.trail_log_group_name)
    pulumi.export("server_access_log_bucket_name", built.audit.server_access_log_bucket_name)
    pulumi.export("audit_key_arn", built.audit.key_arn)
    pulumi.export("service_rollbacks", built.holds)
    pulumi.export("alerts_topic_arn", built.monitoring.topic_arn)
    pulumi.export("dashboard_name", built.monitoring.dashboard_name)
    pulumi.export("rollback_topic_arn", built.rollback.topic_arn if built.rollback else None)


def owner(config: OwnerConfig, account: environment.Account, subnets: list[environment.SubnetFacts]) -> None:
    config, discovered = with_discovered_tenants(config)
    tenancy = Tenancy(
        tenants=list(config.tenants),
        allowed_services={t.name: config.services_of(t.name) for t in config.tenants},
        service_tenants={s.name: config.services_of_tenants(s.name) for s in config.services},
        share_principals=config.share_principals,
        allow_external_principals=config.allow_external_principals,
        invited_account_ids=list(config.sharing.external_account_ids),
        shared_resources=list(config.sharing.resources),
        external_ids=dict(config.external_ids),
    )
    allowed = {t: len(s) for t, s in tenancy.allowed_services.items()}
    check_quotas(tenancy, account, len(config.services), {account.region: allowed}, owner=True)
    built = shared_network(
        config, account, tenancy, (config.database, None), organization_events=bool(config.tenant_sources)
    )
    chargeback = Chargeback(
        "chargeback",
        ChargebackArgs(
            name_prefix=config.name_prefix,
            account=account,
            settings=config.chargeback,
            tenants=[t.name for t in config.tenants],
            topic_arn=built.monitoring.topic_arn,
            protect=config.deletion_protected,
            server_access_log_bucket=built.audit.server_access_log_bucket_name,
            tags=config.stack_tags(pulumi.get_stack()),
        ),
    )
    export_network(
        config,
        account,
        tenancy,
        built,
        stack_role=PRIMARY,
        primary_region=account.region,
        engine_version=config.database.engine_version,
        backup_retention_days=config.database.backup_retention_days,
        zone_ids=environment.zone_ids(subnets),
    )
    pulumi.export("database_user_sql", documents.database_user_sql([t.database_user for t in config.tenants]))
    # Tenants found in tenantSources' OUs on this deployment, and (secret) the external IDs to give each team.
    pulumi.export("discovered_tenants", {t.name: t.account_id for t in config.tenants if t.name in discovered})
    pulumi.export("discovered_external_ids", pulumi.Output.secret({n: config.external_ids[n] for n in discovered}))
    pulumi.export("cost_export_bucket_name", chargeback.export_bucket_name)


def primary_contract(config: RecoveryConfig, account: environment.Account) -> OwnerContract:
    """The primary owner's exports, checked for this recovery stack before anything is declared."""
    try:
        outputs = environment.read_stack_outputs(config.primary_stack)
        return check_primary_contract(
            outputs,
            primary_stack=config.primary_stack,
            account_id=account.account_id,
            region=account.region,
            name_prefix=config.name_prefix,
        )
    except ContractError as error:
        raise pulumi.RunError(str(error)) from None


def recovery(config: RecoveryConfig, account: environment.Account, subnets: list[environment.SubnetFacts]) -> None:
    primary = primary_contract(config, account)
    settings = config.replica_settings(primary.database_engine_version, primary.database_port)
    try:
        fail_on(environment.database_problems("lattice-tenancy:database", settings, config.multi_az, account.region))
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    unknown = sorted({s.name for s in config.services} - set(primary.services))
    if unknown:
        raise pulumi.RunError(
            f"invalid stack configuration:\n  lattice-tenancy:services: {', '.join(unknown)} is no service of the "
            f"primary ({config.primary_stack}); a recovery stack serves the primary's services (their tenants' roles "
            "carry each one's tag): use a name the primary has, or add the service there first"
        )
    served = [s.name for s in config.services]
    tenancy = Tenancy(
        tenants=[
            Tenant.model_validate(
                {"name": name, "accountId": account_id, "team": primary.tenant_teams[name]}
                | {"dbUser": primary.tenant_db_users[name]}
            )
            for name, account_id in sorted(primary.tenant_account_ids.items())
        ],
        allowed_services={
            tenant: [s for s in served if tenant in primary.services[s].tenants]
            for tenant in primary.tenant_account_ids
        },
        service_tenants={s: primary.services[s].tenants for s in served},
        share_principals=list(primary.share_principals),
        allow_external_principals=primary.allow_external_principals,
        invited_account_ids=list(primary.invited_account_ids),
        shared_resources=list(primary.shared_resources),
        external_ids={},
        standby_for=dict(primary.tenant_role_arns),
        role_path=primary.tenant_role_path,
    )
    primary_allowed = {t: sum(t in s.tenants for s in primary.services.values()) for t in primary.tenant_account_ids}
    standby_allowed = {t: len(s) for t, s in tenancy.allowed_services.items()}
    check_quotas(
        tenancy,
        account,
        len(config.services),
        {primary.region: primary_allowed, account.region: standby_allowed},
        owner=False,
    )
    replica = ReplicaSource(source_arn=primary.database_instance_arn, promoted=config.database.promoted)
    built = shared_network(config, account, tenancy, (settings, replica), organization_events=False)
    failover = Failover(
        "failover",
        FailoverArgs(
            name_prefix=config.name_prefix,
            account=account,
            primary_region=primary.region,
            primary_instance_arn=primary.database_instance_arn,
            replica_instance_arn=built.database.instance_arn,
            replica_identifier=naming.database(config.name_prefix),
            settings=config.failover,
            topic_arn=built.monitoring.topic_arn,
            tags=config.stack_tags(pulumi.get_stack()),
        ),
    )
    export_network(
        config,
        account,
        tenancy,
        built,
        stack_role=STANDBY,
        primary_region=primary.region,
        engine_version=primary.database_engine_version,
        backup_retention_days=config.database.backup_retention_days,
        zone_ids=environment.zone_ids(subnets),
    )
    pulumi.export("primary_stack", config.primary_stack)
    pulumi.export("database_key_arn", built.database.key_arn or config.database.kms_key_arn)
    pulumi.export("database_promoted", config.database.promoted)
    pulumi.export("region_switch_plan_arn", failover.plan_arn)
    pulumi.export("failover_alarm_names", failover.alarm_names)


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
elif isinstance(config, RecoveryConfig):
    recovery(config, account, subnets)
else:
    tenant(config, account, subnets, problems)
