"""Stack configuration: strict pydantic models, validated before any resource is declared.

Every key of a stack file maps to a field here (camelCase in YAML, snake_case in Python). Unknown keys, wrong
types and values AWS would reject fail at once; `tenancy.errors.describe` turns the failures into one message
that names each config key and says what to write instead.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

PROJECT = "lattice-tenancy"


class Strict(BaseModel):
    """Base of every config model: unknown keys rejected, values immutable, camelCase keys in YAML."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        strict=False,
    )


def _matching(pattern: str, hint: str, *, secret: bool = False):
    """A validator that accepts strings matching `pattern` and otherwise explains with `hint`.

    A secret value is never repeated in the message (it would reach terminals and CI logs).
    """
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            shown = "the value" if secret else repr(value)
            raise ValueError(f"{shown} is not valid: {hint}")
        return value

    return AfterValidator(check)


def _organization_principal(value: str) -> str:
    if re.fullmatch(r"\d{12}", value):
        raise ValueError(
            f"{value!r} is an account ID: the share names every tenant's account already, and an account that is no "
            "tenant has no role and no DB user; add it to tenants, or remove it"
        )
    if re.fullmatch(r"o-[a-z0-9]{10,32}", value):
        raise ValueError(
            f"{value!r} is a bare organization ID; RAM needs the organization ARN: "
            f'"arn:aws:organizations::<management-account-id>:organization/{value}"'
        )
    if re.fullmatch(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}", value):
        raise ValueError(
            f"{value!r} is a bare OU ID; RAM needs the OU ARN: "
            f'"arn:aws:organizations::<management-account-id>:ou/o-<org-id>/{value}"'
        )
    if not any(re.fullmatch(p, value) for p in ORGANIZATION_PRINCIPAL_PATTERNS):
        raise ValueError(
            f"{value!r} is not an organization or OU ARN: write "
            '"arn:aws:organizations::111122223333:organization/o-exampleorgid" or '
            '"arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456"'
        )
    return value


ORGANIZATION_PRINCIPAL_PATTERNS = (
    r"arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}",
    r"arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}",
)


def sharing_scope(principals: list[str], tenant_accounts: list[str]) -> str:
    """In plain words, who the RAM share lets reach the database port (for the plan and the access report)."""
    groups = [p for p in principals if ":organizations::" in p]
    if not groups:
        return (
            f"The RAM share names exactly the {len(set(tenant_accounts))} tenant account(s); no other account can "
            "create an endpoint to the service network."
        )
    return (
        "ORGANIZATION-WIDE SHARING (sharing.organizationPrincipals or tenantSources, an opt-in): every account in "
        + ", ".join(groups)
        + f" — not only the {len(set(tenant_accounts))} tenant account(s) — can create an endpoint to the service "
        "network and reach the database port. The auth policy does not govern the database: only IAM database "
        "authentication (a tenant role's rds-db:connect to its own DB user) stands between those accounts and the data. "
        "An account that joins one of them reaches the network at once; its tenant role, DB user and services come "
        "only with the next owner deployment."
    )


# Names go into AWS resource names, so they follow the strictest rule among them: lowercase letters, digits and
# single hyphens (Lattice and RDS reject `--` and a trailing hyphen; S3 rejects upper case).
_NAME = r"[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]"

AccountId = Annotated[str, _matching(r"\d{12}", 'an AWS account ID is 12 digits, quoted: "111122223333"')]
VpcId = Annotated[str, _matching(r"vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?", 'write a VPC ID such as "vpc-0a1b2c3d4e5f67890"')]
SubnetId = Annotated[
    str, _matching(r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?", 'write a subnet ID such as "subnet-0a1b2c3d4e5f67890"')
]
KmsKeyArn = Annotated[
    str,
    _matching(
        r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/mrk-[0-9a-f]{32}",
        'write a KMS key ARN such as "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"',
    ),
]
TenantName = Annotated[
    str,
    _matching(
        rf"(?=.{{2,32}}$){_NAME}",
        'use 2-32 lowercase letters, digits and single hyphens, starting with a letter: "tenant-a"',
    ),
]
TeamTag = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9][A-Za-z0-9_.:+=@-]{0,63}",
        'a team tag value is 1-64 letters, digits or _.:+=@-, starting with a letter or digit: "TeamA"',
    ),
]
DbUser = Annotated[
    str,
    _matching(
        r"[a-z][a-z0-9_]{0,31}",
        'a MySQL user name here is 1-32 lowercase letters, digits or underscores, starting with a letter: "tenant_a"',
    ),
]
ExternalId = Annotated[
    str,
    _matching(
        r"[A-Za-z0-9+=,.@:/-]{16,1224}",
        "an external ID is 16-1224 characters of letters, digits and +=,.@:/- (AWS allows 2; "
        "this project asks for 16 so it cannot be guessed); generate one with `openssl rand -hex 20`",
        secret=True,
    ),
]
OrganizationPrincipal = Annotated[str, AfterValidator(_organization_principal)]
NamePrefix = Annotated[
    str,
    _matching(
        rf"(?=.{{3,24}}$)(?!rgw-|rcfg-|servicenetwork-|sg-|xn-|sthree-|amzn-){_NAME}",
        "use 3-24 lowercase letters, digits and single hyphens, starting with a letter and not with an AWS-reserved "
        'prefix (rgw-, rcfg-, servicenetwork-, sg-, xn-, sthree-, amzn-): "acme-shared-db"',
    ),
]

# CloudWatch Logs accepts only these retention periods (botocore logs `Days`).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)  # fmt: skip

# RDS for MySQL reserves these as master user names, and Security Hub RDS.25 flags the usual defaults.
_RESERVED_MASTER_USERS = {"admin", "root", "rdsadmin", "mysql", "administrator", "master", "sa", "postgres"}


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{value.isoformat()!r} has no time zone: write it in UTC with a Z, e.g. 2026-01-01T00:00:00Z")
    return value.astimezone(timezone.utc)


UtcTime = Annotated[datetime, AfterValidator(_utc)]


def _unique(values: list, what: str) -> None:
    seen, dup = set(), []
    for v in values:
        if v in seen:
            dup.append(v)
        seen.add(v)
    if dup:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(map(str, sorted(set(dup))))}")


class Network(Strict):
    """Where the resource gateway lives: the owner VPC and ≥2 private subnets in different AZs."""

    vpc_id: VpcId
    subnet_ids: list[SubnetId] = Field(min_length=2, max_length=20)
    associate_owner_vpc: bool = False

    @model_validator(mode="after")
    def _distinct_subnets(self) -> Network:
        _unique(self.subnet_ids, "subnetIds")
        return self


class Database(Strict):
    engine_version: Annotated[
        # Major version only: RDS applies minor upgrades itself (autoMinorVersionUpgrade), and a pinned minor
        # version would then show a perpetual diff.
        str, _matching(r"8\.(?:0|4)", 'write the major version, "8.4" (default) or "8.0"; RDS applies minor upgrades')
    ] = "8.4"
    instance_class: Annotated[
        str, _matching(r"db\.[a-z0-9-]+\.[a-z0-9]+", 'write an RDS instance class such as "db.t4g.small"')
    ] = "db.t4g.small"
    allocated_storage_gib: int = Field(default=20, ge=20, le=65536)
    max_allocated_storage_gib: int = Field(default=100, ge=0, le=65536)
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    master_username: Annotated[
        str,
        _matching(r"[A-Za-z][A-Za-z0-9_]{0,15}", "1-16 letters, digits or underscores, starting with a letter"),
    ] = "lattice_admin"
    port: int = Field(default=3306, ge=1150, le=65535)
    multi_az: bool | None = None
    kms_key_arn: KmsKeyArn | None = None
    subnet_ids: list[SubnetId] | None = Field(default=None, min_length=2, max_length=20)
    # RDS Extended Support (billed per vCPU-hour) keeps a major version running past its end of standard support.
    extended_support: bool = False
    # Enhanced Monitoring (OS metrics into CloudWatch Logs, Security Hub RDS.6): seconds between samples; 0 turns it
    # off, which needs a reason on record.
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = 60
    monitoring_off_reason: str | None = Field(default=None, min_length=10, max_length=500)
    # Apply instance changes during `pulumi up` (true), or in the next maintenance window (false). With false, a
    # change that replaces the option group (a new major version) fails to delete the old group until the window.
    apply_immediately: bool = True
    # Failback (README, "Disaster recovery"): a snapshot of the promoted standby, copied to this Region. Setting or
    # changing it replaces the instance (the old one's final snapshot keeps its data); users come from the snapshot.
    restore_from_snapshot: Annotated[
        str | None,
        _matching(
            r"arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:[A-Za-z][A-Za-z0-9-]{0,254}",
            'write the ARN of a DB snapshot in this Region: "arn:aws:rds:eu-west-1:111122223333:snapshot:acme-failback"',
        ),
    ] = None

    @model_validator(mode="after")
    def _checks(self) -> Database:
        if self.engine_version.startswith("8.0") and not self.extended_support:
            raise ValueError(
                "engineVersion 8.0 is past RDS standard support, so creating it fails unless RDS Extended Support "
                'is paid for: use "8.4", or set extendedSupport: true'
            )
        if self.master_username.lower() in _RESERVED_MASTER_USERS:
            raise ValueError(
                f"masterUsername {self.master_username!r} is a default or reserved name; "
                'choose another, e.g. "lattice_admin"'
            )
        if self.max_allocated_storage_gib and self.max_allocated_storage_gib <= self.allocated_storage_gib:
            raise ValueError(
                "maxAllocatedStorageGib must be larger than allocatedStorageGib (storage autoscaling), or 0 to turn "
                "autoscaling off"
            )
        if self.subnet_ids:
            _unique(self.subnet_ids, "subnetIds")
        _check_enhanced_monitoring(self.monitoring_interval_seconds, self.monitoring_off_reason)
        return self


def _check_enhanced_monitoring(interval: int, off_reason: str | None) -> None:
    if interval == 0 and not off_reason:
        raise ValueError(
            "monitoringIntervalSeconds 0 turns Enhanced Monitoring off (Security Hub RDS.6): say why in "
            'monitoringOffReason (e.g. "covered by the organization\'s agent-based monitoring"), or use 60'
        )
    if interval and off_reason:
        raise ValueError(
            f"monitoringOffReason is set but Enhanced Monitoring is on (every {interval} s):"
            " remove monitoringOffReason, or set monitoringIntervalSeconds to 0"
        )


ShareableResource = Literal["serviceNetwork", "resourceConfiguration"]


def _shared_by_default() -> list[ShareableResource]:
    return ["serviceNetwork"]


class Sharing(Strict):
    """Who the RAM share names: every tenant's account, always; more only by explicit opt-in.

    organization_principals: organizations or OUs (by ARN) whose every account receives the share. An opt-in with
        a consequence the plan states: each of those accounts can reach the database port (only IAM database
        authentication guards the data), not only the tenants.
    external_account_ids: tenant accounts outside the organization (or with RAM organization sharing off), which
        receive the share as an invitation to accept; listing any turns on allowExternalPrincipals.
    """

    organization_principals: list[OrganizationPrincipal] = Field(default_factory=list)
    external_account_ids: list[AccountId] = Field(default_factory=list)
    resources: list[ShareableResource] = Field(default_factory=lambda: _shared_by_default(), min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data):
        if isinstance(data, dict) and "principals" in data:
            raise ValueError(
                "principals is no longer a setting: the share names every tenant's account by default. To share "
                "with a whole organization or OU (every account in it can then reach the database port), list its "
                "ARN under organizationPrincipals; remove principals"
            )
        return data

    @model_validator(mode="after")
    def _checks(self) -> Sharing:
        _unique(self.organization_principals, "organizationPrincipals")
        _unique(self.external_account_ids, "externalAccountIds")
        _unique(self.resources, "resources")
        return self


# Accounts and schemas that MySQL or RDS own (MySQL 8.4 manual "Reserved Accounts", "The mysql System Schema";
# RDS for MySQL's rdsadmin, rdsrepladmin and rds_superuser_role). A tenant named like one would be granted a system
# schema, or collide with an account the service manages.
MYSQL_SYSTEM_NAMES = frozenset(
    {"mysql", "sys", "performance_schema", "information_schema", "ndbinfo", "innodb", "tmp", "root", "rdsadmin",
     "rdsrepladmin", "rds_superuser_role"}
)  # fmt: skip
# Name families the server or RDS create accounts in (mysql.sys, mysql_innodb_cluster_*, rds_*): keep clear of them.
MYSQL_SYSTEM_PREFIXES = ("mysql", "rds")


def system_name_problem(name: str) -> str | None:
    """Why `name` can't be a tenant's MySQL user and schema, or None when it can."""
    if name in MYSQL_SYSTEM_NAMES:
        return f"{name!r} is a MySQL or RDS system account or schema"
    prefix = next((p for p in MYSQL_SYSTEM_PREFIXES if name.startswith(p)), None)
    if prefix:
        return f"{name!r} starts with {prefix!r}, which MySQL and RDS use for their own accounts"
    return None


class Tenant(Strict):
    name: TenantName
    account_id: AccountId
    team: TeamTag
    # The tenant's MySQL user and schema (default: the name with - as _).
    db_user: DbUser | None = None

    @property
    def database_user(self) -> str:
        return self.db_user or self.name.replace("-", "_")

    @model_validator(mode="after")
    def _safe_database_user(self) -> Tenant:
        problem = system_name_problem(self.database_user)
        if problem:
            source = "dbUser" if self.db_user else f"dbUser (default: the name {self.name!r} with - as _)"
            example = f"app_{self.database_user}"[:32]
            raise ValueError(f'{source}: {problem}; set dbUser to a name of your own, e.g. "{example}"')
        return self


class AccessWindow(Strict):
    """When tenants may invoke services: not_before <= now < not_after (UTC)."""

    not_before: UtcTime
    not_after: UtcTime

    @model_validator(mode="after")
    def _ordered(self) -> AccessWindow:
        if self.not_after <= self.not_before:
            raise ValueError("notAfter must be later than notBefore")
        return self


class Audit(Strict):
    """The audit record: CloudTrail (to S3 and CloudWatch Logs), Lattice access logs, S3 server access logs.

    kms_key_arn: a customer managed key to use. Unset, a production stack creates one (rotated, protected) for the
        trail, the audit bucket and the log groups; a development stack keeps AWS managed keys.
    """

    trail: bool = True
    log_retention_days: int = 365
    kms_key_arn: KmsKeyArn | None = None
    # Days the audit bucket's server access logs are kept in their own bucket (then expire).
    server_access_log_retention_days: int = Field(default=365, ge=90, le=3653)

    @model_validator(mode="after")
    def _retention(self) -> Audit:
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"logRetentionDays {self.log_retention_days} is not a CloudWatch Logs retention period; use one of "
                + ", ".join(map(str, LOG_RETENTION_DAYS))
            )
        return self


TagKey = Annotated[
    str, _matching(r"(?!aws:)[\w .:/=+@-]{1,128}", "tag keys are 1-128 characters and must not start with aws:")
]
TagValue = Annotated[str, _matching(r"[\w .:/=+@-]{0,256}", "tag values are 0-256 letters, digits, spaces or _.:/=+@-")]

Profile = Literal["production", "development"]


# --- shared HTTP services (VPC Lattice services), with an optional weighted canary --------------------------------

ServiceName = Annotated[
    str,
    _matching(
        rf"(?=.{{3,15}}$)(?!svc-){_NAME}",
        'use 3-15 lowercase letters, digits and single hyphens, starting with a letter, not "svc-…": "orders" (the '
        "Lattice service is named <namePrefix>-<name>, at most 40 characters)",
    ),
]
LambdaArn = r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?"
TARGET_ID_PATTERNS = {
    "LAMBDA": (
        LambdaArn,
        'a Lambda function ARN, best an alias: "arn:aws:lambda:eu-west-1:111122223333:function:orders:live"',
    ),
    "IP": (r"(?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*", 'an IP address: "10.0.1.20"'),
    "INSTANCE": (r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?", 'an EC2 instance ID: "i-0a1b2c3d4e5f67890"'),
    "ALB": (
        r"arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/app/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}",
        'an Application Load Balancer ARN: "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/orders/0123456789abcdef"',
    ),
}
# VPC Lattice quotas (VPC Lattice User Guide, Quotas): rules per listener — 10 on some pages, 5 on others: this
# project refuses more than 10 and the README says to check the account's value; targets per RegisterTargets call 100.
MAX_RULES_PER_LISTENER = 10
# The rollback function's GUARDED variable: about this much per guarded service and per rule ARN (ARNs of a
# service, its listener and target groups), within Lambda's 4 KB for all environment variables.
GUARD_BYTES, RULE_ARN_BYTES, ROLLBACK_ENVIRONMENT_BYTES = 420, 130, 3800
MAX_TARGETS = 100


class HealthCheck(Strict):
    """How Lattice checks IP and INSTANCE targets (not LAMBDA or ALB targets: Lattice doesn't check those)."""

    path: Annotated[str, _matching(r"/[\x21-\x7e]{0,199}", 'a path starting with /: "/health"')] = "/health"
    matcher: Annotated[str, _matching(r"\d{3}(?:-\d{3})?(?:,\d{3}(?:-\d{3})?)*", 'HTTP codes: "200-299"')] = "200-299"
    interval_seconds: int = Field(default=30, ge=5, le=300)
    timeout_seconds: int = Field(default=5, ge=1, le=120)
    healthy_threshold: int = Field(default=5, ge=2, le=10)
    unhealthy_threshold: int = Field(default=2, ge=2, le=10)


class Target(Strict):
    id: str = Field(min_length=1, max_length=2048)
    port: int | None = Field(default=None, ge=1, le=65535)


class TargetGroupSettings(Strict):
    """One target group of a service: its type, targets and (for IP, INSTANCE, ALB) where and how to reach them."""

    type: Literal["LAMBDA", "IP", "INSTANCE", "ALB"]
    targets: list[Target] = Field(min_length=1, max_length=MAX_TARGETS)
    port: int | None = Field(default=None, ge=1, le=65535)
    protocol: Literal["HTTP", "HTTPS"] | None = None
    vpc_id: VpcId | None = None
    health_check: HealthCheck | None = None

    @model_validator(mode="after")
    def _fits_the_type(self) -> TargetGroupSettings:
        pattern, example = TARGET_ID_PATTERNS[self.type]
        bad = [t.id for t in self.targets if not re.fullmatch(pattern, t.id)]
        if bad:
            raise ValueError(f"targets: {bad[0]!r} is not a {self.type} target; write {example}")
        _unique([t.id for t in self.targets], "targets[].id")
        if self.type == "LAMBDA":
            extra = [k for k, v in (("port", self.port), ("protocol", self.protocol), ("vpcId", self.vpc_id),
                                    ("healthCheck", self.health_check)) if v is not None]  # fmt: skip
            if extra:
                raise ValueError(
                    f"a LAMBDA target group takes no {', '.join(extra)}; remove {'them' if len(extra) > 1 else 'it'}"
                )
            if len(self.targets) > 1:
                raise ValueError("a LAMBDA target group has one function (VPC Lattice: one function per target group)")
        else:
            missing = [k for k, v in (("port", self.port), ("vpcId", self.vpc_id)) if v is None]
            if missing:
                raise ValueError(f"an {self.type} target group needs {' and '.join(missing)}")
            if self.type == "ALB" and self.health_check is not None:
                raise ValueError("an ALB target group takes no healthCheck (Lattice doesn't check ALB targets)")
        return self


class ServiceRule(Strict):
    """A listener rule: requests matching all its conditions go to `to` (the weighted pair, or one group)."""

    priority: int = Field(ge=1, le=2000)
    path_prefix: Annotated[str, _matching(r"/.{0,199}", 'a path starting with /: "/v2"')] | None = None
    path_exact: Annotated[str, _matching(r"/.{0,199}", 'a path starting with /: "/v2/orders"')] | None = None
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] | None = None
    headers: dict[
        Annotated[str, Field(min_length=1, max_length=100)], Annotated[str, Field(min_length=1, max_length=200)]
    ] = Field(default_factory=dict, max_length=5)
    to: Literal["weighted", "stable", "canary"] = "weighted"

    @model_validator(mode="after")
    def _one_match(self) -> ServiceRule:
        if self.path_prefix and self.path_exact:
            raise ValueError("pathPrefix and pathExact: set one")
        if not (self.path_prefix or self.path_exact or self.method or self.headers):
            raise ValueError("a rule needs a condition (pathPrefix, pathExact, method or headers); the listener's "
                             "default action already takes everything else")  # fmt: skip
        return self


class CanaryMetrics(Strict):
    """CloudWatch names the canary alarms read. AWS's published names are UNCONFIRMED here: check them with
    `aws cloudwatch list-metrics --namespace AWS/VpcLattice` and override."""

    namespace: str = "AWS/VpcLattice"
    requests: str = "TotalRequestCount"
    errors: str = "HTTPCode_5XX_Count"
    latency: str = "RequestTime"
    target_group_dimension: str = "TargetGroup"


class CanaryAlarms(Strict):
    error_rate_percent: float = Field(default=5.0, gt=0, le=100)
    minimum_requests: int = Field(default=50, ge=1)
    latency_ms: int = Field(default=1000, ge=1)
    period_seconds: Literal[60, 300] = 60  # Lattice metrics are per minute (sub-minute periods see no data)
    evaluation_periods: int = Field(default=3, ge=1, le=10)
    metrics: CanaryMetrics = CanaryMetrics()


class Weights(Strict):
    """Relative weights (VPC Lattice: 0-999 each): stable 90, canary 10 sends a tenth of the traffic to the canary."""

    stable: int = Field(default=100, ge=0, le=999)
    canary: int = Field(default=0, ge=0, le=999)

    @model_validator(mode="after")
    def _some_traffic(self) -> Weights:
        if self.stable == 0 and self.canary == 0:
            raise ValueError("stable and canary are both 0: nothing would receive traffic; give stable a weight")
        return self


class SharedService(Strict):
    """An HTTP service the owner publishes to its tenants, with an optional canary released by weight."""

    name: ServiceName
    protocol: Literal["HTTPS", "HTTP"] = "HTTPS"
    port: int | None = Field(default=None, ge=1, le=65535)
    custom_domain_name: (
        Annotated[
            str,
            _matching(
                r"(?=.{3,255}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+",
                'a DNS name: "orders.example.com"',
            ),
        ]
        | None
    ) = None
    certificate_arn: (
        Annotated[
            str,
            _matching(
                r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}",
                "an ACM certificate ARN in the service's region",
            ),
        ]
        | None
    ) = None
    # Tenants that may invoke it (default: every tenant).
    tenants: list[TenantName] | None = None
    stable: TargetGroupSettings
    canary: TargetGroupSettings | None = None
    weights: Weights = Weights()
    rules: list[ServiceRule] = Field(default_factory=list, max_length=MAX_RULES_PER_LISTENER)
    alarms: CanaryAlarms = CanaryAlarms()
    # After an automated rollback, the rollbackId (from the plan) that the operator accepts, to try the canary again.
    acknowledged_rollback: Annotated[str, Field(min_length=1, max_length=128)] | None = None

    @property
    def listener_port(self) -> int:
        return self.port or (443 if self.protocol == "HTTPS" else 80)

    @model_validator(mode="after")
    def _checks(self) -> SharedService:
        if self.certificate_arn and not self.custom_domain_name:
            raise ValueError("certificateArn needs customDomainName (the certificate is for that name)")
        if self.custom_domain_name and self.protocol == "HTTPS" and not self.certificate_arn:
            raise ValueError(
                "customDomainName over HTTPS needs certificateArn: an ACM certificate for that name in the service's "
                "region (VPC Lattice has no fallback certificate for custom names)"
            )
        if self.protocol == "HTTP" and self.certificate_arn:
            raise ValueError("certificateArn is for HTTPS; remove it or set protocol: HTTPS")
        if self.weights.canary and self.canary is None:
            raise ValueError("weights.canary is above 0 but there is no canary target group; add canary or set it to 0")
        if self.canary is None and any(r.to == "canary" for r in self.rules):
            raise ValueError("a rule sends traffic to the canary, but there is no canary target group")
        _unique([r.priority for r in self.rules], "rules[].priority")
        if self.tenants is not None:
            _unique(list(self.tenants), "tenants")
        return self


# --- monitoring and chargeback -------------------------------------------------------------------------------------


def _retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"{value} is not a CloudWatch Logs retention period; use one of " + ", ".join(map(str, LOG_RETENTION_DAYS))
        )
    return value


RetentionDays = Annotated[int, AfterValidator(_retention)]
S3BucketArn = Annotated[
    str,
    _matching(r"arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", 'an S3 bucket ARN: "arn:aws:s3:::my-flow-logs"'),
]
# The fields an investigation needs (VPC User Guide, flow log records): who talked to whom, where, how much, when,
# accepted or not, and the path (Lattice traffic shows as its managed prefix list's link-local addresses).
FLOW_LOG_FORMAT = (
    "${version} ${account-id} ${vpc-id} ${subnet-id} ${interface-id} ${az-id} ${srcaddr} ${dstaddr} ${srcport} "
    "${dstport} ${protocol} ${pkt-srcaddr} ${pkt-dstaddr} ${packets} ${bytes} ${start} ${end} ${action} "
    "${tcp-flags} ${flow-direction} ${traffic-path} ${log-status}"
)


class FlowLogs(Strict):
    """VPC flow logs on the subnets this stack puts network interfaces in (gateway or endpoint subnets)."""

    enabled: bool = True
    destination: Literal["cloudwatch", "s3"] = "cloudwatch"
    s3_bucket_arn: S3BucketArn | None = None
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    aggregation_seconds: Literal[60, 600] = 60
    retention_days: RetentionDays = 365
    # A customer managed key for the log group (the owner stack uses its audit key when this is unset).
    kms_key_arn: KmsKeyArn | None = None

    @model_validator(mode="after")
    def _destination(self) -> FlowLogs:
        if self.destination == "s3" and not self.s3_bucket_arn:
            raise ValueError("destination s3 needs s3BucketArn (a bucket whose policy lets log delivery write)")
        if self.destination == "cloudwatch" and self.s3_bucket_arn:
            raise ValueError("s3BucketArn is for destination: s3; remove it or set destination: s3")
        return self


class AccessLogPatterns(Strict):
    """CloudWatch Logs filter patterns over the Lattice access logs (JSON). The SERVICE log fields come from a real
    record (authDeniedReason, responseCode, serviceArn); the RESOURCE log's fields are UNCONFIRMED: check a record in
    your account and override databaseConnectionFailures if they differ."""

    denied: str = Field(default='{ $.authDeniedReason != "-" }', min_length=3, max_length=1024)
    server_errors: str = Field(default="{ $.responseCode >= 500 }", min_length=3, max_length=1024)
    database_connection_failures: str = Field(
        default='{ ($.resourceConfigurationArn = "*") && ($.failureReason != "-") }', min_length=3, max_length=1024
    )


class MonitoringAlarms(Strict):
    """Alarm when a period holds more than this many of each (access-log metrics)."""

    period_seconds: Literal[60, 300, 900, 3600] = 300
    denied_requests: int = Field(default=10, ge=1)
    server_errors: int = Field(default=10, ge=1)
    database_connection_failures: int = Field(default=5, ge=1)


class Monitoring(Strict):
    flow_logs: FlowLogs = FlowLogs()
    alarms: MonitoringAlarms = MonitoringAlarms()
    patterns: AccessLogPatterns = AccessLogPatterns()
    # EventBridge rules on API calls that change the sharing or access surface, to the alerts topic.
    change_events: bool = True
    # IAM publishes its CloudTrail events to EventBridge in us-east-1 only: a rule there forwards them to this region.
    iam_events: Literal["forward-from-us-east-1", "off"] = "forward-from-us-east-1"


def _positive_budget(value: float) -> float:
    if value <= 0:
        raise ValueError(f"{value} is not a budget: give a positive USD amount per month")
    return value


BudgetUsd = Annotated[float, AfterValidator(_positive_budget)]


class TenantChargeback(Strict):
    """The chargeback tags of a stack: CostCenter and Environment on every taggable resource."""

    cost_center: TagValue | None = None
    environment: TagValue | None = None


class Chargeback(TenantChargeback):
    """Owner-side chargeback: tags, cost allocation tag activation (opt-in), the CUR 2.0 export, tenant budgets."""

    # Activating cost allocation tags works only in the management (payer) account: opt in there.
    activate_cost_allocation_tags: bool = False
    # A CUR 2.0 data export with resource IDs into a hardened bucket of this account.
    data_export: bool = False
    # A monthly cost budget per tenant (by its Tenant tag), notifying the alerts topic; per-tenant overrides.
    monthly_budget_usd: BudgetUsd | None = None
    tenant_budgets_usd: dict[TenantName, BudgetUsd] = Field(default_factory=dict)


CHARGEBACK_TAGS = ("Tenant", "Team", "CostCenter", "Environment")


# --- AWS Organizations: tenants discovered from OUs; AWS Config ------------------------------------------------------


def _ou_arn(value: str) -> str:
    if re.fullmatch(r"ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}", value):
        raise ValueError(
            f"{value!r} is a bare OU ID; write the OU ARN: "
            f'"arn:aws:organizations::<management-account-id>:ou/o-<org-id>/{value}"'
        )
    if not re.fullmatch(ORGANIZATION_PRINCIPAL_PATTERNS[1], value):
        raise ValueError(
            f'{value!r} is not an OU ARN: "arn:aws:organizations::111122223333:ou/o-exampleorgid/ou-ab12-cdef3456"'
        )
    return value


OuArn = Annotated[str, AfterValidator(_ou_arn)]
# Account tags that name a discovered tenant (and its team); without them the account's name is used.
TENANT_NAME_TAG = "lattice-tenancy:tenant"
TENANT_TEAM_TAG = "lattice-tenancy:team"


class TenantOverride(Strict):
    """What to call a discovered account, instead of what its tags or name say."""

    name: TenantName | None = None
    team: TeamTag | None = None
    db_user: DbUser | None = None


class TenantSource(Strict):
    """Every ACTIVE account in this OU (and the OUs below it) is a tenant, on each deployment."""

    ou_arn: OuArn
    overrides: dict[AccountId, TenantOverride] = Field(default_factory=dict)

    @property
    def ou_id(self) -> str:
        return self.ou_arn.rsplit("/", 1)[-1]


def organization_id(arn: str) -> str | None:
    found = re.search(r"(o-[a-z0-9]{10,32})", arn)
    return found.group(1) if found else None


# AWS Config managed rules that back this design's guardrails (AWS Config Developer Guide, managed rules list).
CONFIG_RULES = (
    "RDS_STORAGE_ENCRYPTED", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "RDS_SNAPSHOTS_PUBLIC_PROHIBITED",
    "RDS_INSTANCE_IAM_AUTHENTICATION_ENABLED", "RDS_INSTANCE_DELETION_PROTECTION_ENABLED", "RDS_MULTI_AZ_SUPPORT",
    "RDS_LOGGING_ENABLED", "RDS_ENHANCED_MONITORING_ENABLED", "DB_INSTANCE_BACKUP_ENABLED", "CLOUD_TRAIL_ENABLED",
    "MULTI_REGION_CLOUD_TRAIL_ENABLED", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", "CLOUD_TRAIL_ENCRYPTION_ENABLED",
    "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED", "S3_BUCKET_SSL_REQUESTS_ONLY", "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
    "S3_BUCKET_PUBLIC_READ_PROHIBITED", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "S3_BUCKET_VERSIONING_ENABLED",
    "CW_LOGGROUP_RETENTION_PERIOD_CHECK", "CLOUDWATCH_ALARM_ACTION_CHECK", "SNS_ENCRYPTED_KMS",
)  # fmt: skip
# Rules AWS has but this project doesn't default to (valid to list).
OTHER_CONFIG_RULES = (
    "RDS_SNAPSHOT_ENCRYPTED", "RDS_AUTOMATIC_MINOR_VERSION_UPGRADE_ENABLED", "RDS_INSTANCE_DEFAULT_ADMIN_CHECK",
    "S3_ACCOUNT_LEVEL_PUBLIC_ACCESS_BLOCKS_PERIODIC", "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    "IAM_NO_INLINE_POLICY_CHECK", "IAM_ROLE_MANAGED_POLICY_CHECK", "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS",
    "INCOMING_SSH_DISABLED", "REQUIRED_TAGS",
    # Valid, but not defaults: VPC_FLOW_LOGS_ENABLED checks VPC-level logs (these are per subnet, which the pack
    # checks); CLOUDWATCH_LOG_GROUP_ENCRYPTED would flag the log groups RDS creates for its exports.
    "VPC_FLOW_LOGS_ENABLED", "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
)  # fmt: skip


def _config_rule(value: str) -> str:
    if value not in CONFIG_RULES + OTHER_CONFIG_RULES:
        import difflib

        close = difflib.get_close_matches(value, CONFIG_RULES + OTHER_CONFIG_RULES, n=1)
        raise ValueError(
            f"{value!r} is not an AWS Config managed rule identifier this project knows"
            + (f"; did you mean {close[0]!r}?" if close else "")
        )
    return value


class Compliance(Strict):
    """AWS Config in the owner account: a recorder (or an existing one), delivery, managed rules and a custom rule."""

    enabled: bool = False
    # create: this stack creates the recorder and delivery channel (one per account and region); existing: the
    # account already records (e.g. through an organization's setup), and only rules are added.
    recorder: Literal["create", "existing"] = "create"
    rules: list[Annotated[str, AfterValidator(_config_rule)]] = Field(default_factory=lambda: list(CONFIG_RULES))
    # A periodic custom rule: every Lattice network and service uses AWS_IAM with an auth policy; no resource
    # configuration is shared outside the configured principals.
    lattice_rule: bool = True
    frequency: Literal["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"] = "TwentyFour_Hours"

    @model_validator(mode="after")
    def _unique_rules(self) -> Compliance:
        _unique(self.rules, "rules")
        return self


class DeployCredentials(Strict):
    """How the deploy orchestrator (`make deploy`) reaches this stack's account: an AWS CLI profile or a role to
    assume (not both). Never secrets: a profile name or a role ARN only. README: "Deploying many stacks"."""

    aws_profile: Annotated[
        str | None,
        _matching(r"[A-Za-z0-9_.+=,@-]{1,64}", "an AWS CLI profile name: letters, digits and _.+=,@- (1-64)"),
    ] = None
    role_arn: Annotated[
        str | None,
        _matching(
            r"arn:aws[a-z-]*:iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]{1,512}",
            'an IAM role ARN: "arn:aws:iam::111122223333:role/deployer"',
        ),
    ] = None

    @model_validator(mode="after")
    def _one_way(self) -> DeployCredentials:
        if (self.aws_profile is None) == (self.role_arn is None):
            raise ValueError("set exactly one of awsProfile and roleArn")
        return self


class StackConfigBase(Strict):
    """What every stack kind has: a name prefix (the loader fills its default in), the expected account, tags."""

    name_prefix: NamePrefix
    expected_account_id: AccountId | None = None
    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=40)
    # Read by the deploy orchestrator only; the program ignores it.
    deploy: DeployCredentials | None = None

    def stack_tags(self, stack: str) -> dict[str, str]:
        """The tags on every taggable resource of the stack: the configured ones, the chargeback scheme (CostCenter,
        Environment, and a tenant stack's Tenant), and who manages it."""
        chargeback: TenantChargeback = getattr(self, "chargeback", TenantChargeback())
        return {
            **self.tags,
            "CostCenter": chargeback.cost_center or self.tags.get("CostCenter") or "unassigned",
            "Environment": chargeback.environment or self.tags.get("Environment") or self.default_environment,
            **self.own_tags,
            "ManagedBy": f"pulumi/{PROJECT}",
            "LatticeTenancyStack": stack,
        }

    @property
    def default_environment(self) -> str:
        return "shared"

    @property
    def own_tags(self) -> dict[str, str]:
        return {}


class NetworkStackConfig(StackConfigBase):
    """What every stack that runs a service network has (the owner, and a recovery stack in its standby region)."""

    profile: Profile = "production"
    network: Network
    access_window: AccessWindow
    audit: Audit = Audit()
    services: list[SharedService] = Field(default_factory=list, max_length=50)
    monitoring: Monitoring = Monitoring()
    compliance: Compliance = Compliance()

    @property
    def deletion_protected(self) -> bool:
        return self.profile == "production"

    @property
    def default_environment(self) -> str:
        return self.profile

    @property
    def creates_audit_key(self) -> bool:
        """Production without a configured key: the stack creates the audit key (CloudTrail.2 / CIS 3.7)."""
        return self.profile == "production" and self.audit.kms_key_arn is None

    @property
    def multi_az(self) -> bool:
        """The database's Multi-AZ setting, or the profile's default (each kind has its own database settings)."""
        raise NotImplementedError

    def buckets_logged_by_audit(self) -> list[str]:
        """The settings that create buckets whose server access logs go to the audit log bucket."""
        return (
            ["compliance.recorder: create"] if self.compliance.enabled and self.compliance.recorder == "create" else []
        )

    def _check_common(self) -> None:
        logged = self.buckets_logged_by_audit()
        if logged and not self.audit.trail:
            raise ValueError(
                f"audit.trail: false, but {' and '.join(logged)} creates a bucket whose server access logs go to the "
                "log bucket the trail's audit setup creates (Security Hub S3.9); keep trail: true, or turn "
                f"{'those' if len(logged) > 1 else 'it'} off"
            )
        _unique([s.name for s in self.services], "services[].name")
        guarded = sum(GUARD_BYTES + RULE_ARN_BYTES * len(s.rules) for s in self.services if s.canary)
        if guarded > ROLLBACK_ENVIRONMENT_BYTES:
            raise ValueError(
                f"services: the canaries' listeners and rules (~{guarded} bytes) exceed what the rollback function's "
                f"environment holds (Lambda: 4 KB in all); release canaries in fewer services at once, or use fewer rules"
            )


class OwnerConfig(NetworkStackConfig):
    """The `owner` stack: everything under the `lattice-tenancy:` namespace of Pulumi.owner.yaml."""

    kind: Literal["owner"]
    database: Database = Database()
    sharing: Sharing = Sharing()
    tenants: list[Tenant] = Field(default_factory=list)
    # OUs whose accounts are tenants too, found at deploy time (README, "Organizations").
    tenant_sources: list[TenantSource] = Field(default_factory=list, max_length=20)
    # Secret: the key the external IDs of discovered tenants derive from (HMAC-SHA256 of the account ID).
    discovery_secret: ExternalId | None = None
    chargeback: Chargeback = Chargeback()
    external_ids: dict[str, ExternalId]

    @model_validator(mode="after")
    def _cross_checks(self) -> OwnerConfig:
        if not self.tenants and not self.tenant_sources:
            raise ValueError("tenants: list at least one tenant, or name an OU under tenantSources")
        if self.tenant_sources and not self.discovery_secret:
            raise ValueError(
                "discoverySecret: tenantSources needs a secret the discovered tenants' external IDs derive from; set "
                'it with: pulumi config set --secret discoverySecret "$(openssl rand -hex 32)"'
            )
        _unique([s.ou_arn for s in self.tenant_sources], "tenantSources[].ouArn")
        organizations = {
            organization_id(p)
            for p in [*self.sharing.organization_principals, *(s.ou_arn for s in self.tenant_sources)]
        }
        if len(organizations) > 1:
            raise ValueError(
                "tenantSources and sharing.organizationPrincipals name different organizations ("
                + ", ".join(sorted(o or "?" for o in organizations))
                + "); a RAM share reaches one organization: name OUs of the share's organization"
            )
        _unique([t.name for t in self.tenants], "tenants[].name")
        _unique([t.team for t in self.tenants], "tenants[].team")
        _unique([t.database_user for t in self.tenants], "tenants[].dbUser (default: the name with - as _)")
        if self.database.master_username.lower() in {t.database_user for t in self.tenants}:
            raise ValueError("database.masterUsername must differ from every tenant's DB user (tenants[].dbUser)")
        names = {t.name for t in self.tenants}
        missing = sorted(names - set(self.external_ids))
        if missing:
            raise ValueError(
                "externalIds has no entry for tenant(s) "
                + ", ".join(missing)
                + '; set each with: pulumi config set --secret --path \'externalIds["<tenant>"]\' "$(openssl rand -hex 20)"'
            )
        strangers = sorted(set(self.sharing.external_account_ids) - {t.account_id for t in self.tenants})
        if strangers:
            raise ValueError(
                f"sharing.externalAccountIds: {', '.join(strangers)} is no tenant's account; an invitation to an "
                "account with no role and no DB user is a typo or an over-share. Correct the ID, or add the account "
                "to tenants first"
            )
        self._check_common()
        for i, service in enumerate(self.services):
            strangers = sorted(set(service.tenants or ()) - names)
            if strangers:
                raise ValueError(
                    f"services[{i}].tenants names {', '.join(strangers)}, which {'is' if len(strangers) == 1 else 'are'} "
                    "not in tenants; correct the name or add the tenant"
                )
        strangers = sorted(set(self.chargeback.tenant_budgets_usd) - names)
        if strangers:
            raise ValueError(
                f"chargeback.tenantBudgetsUsd names {', '.join(strangers)}, not in tenants; remove or correct"
            )
        most = max((len(self.services_of(t.name)) for t in self.tenants), default=0)
        if len(self.stack_tags("s")) + 3 + most > 50:
            raise ValueError(
                f"tags: {len(self.stack_tags('s'))} stack tags, Team, TenantAccount, Tenant and one per allowed service ({most}) exceed "
                "IAM's 50 tags per role (not adjustable); use fewer tags"
            )
        unknown = sorted(set(self.external_ids) - names)
        if unknown:
            raise ValueError(f"externalIds names tenant(s) not in tenants: {', '.join(unknown)}; remove them")
        return self

    def buckets_logged_by_audit(self) -> list[str]:
        return super().buckets_logged_by_audit() + ["chargeback.dataExport"] * self.chargeback.data_export

    @property
    def multi_az(self) -> bool:
        return self.database.multi_az if self.database.multi_az is not None else self.profile == "production"

    def services_of_tenants(self, service: str) -> list[str]:
        """The tenants that may invoke `service`."""
        return [t.name for t in self.tenants if service in self.services_of(t.name)]

    def services_of(self, tenant: str) -> list[str]:
        """The services `tenant` may invoke."""
        return [s.name for s in self.services if s.tenants is None or tenant in s.tenants]

    @property
    def share_principals(self) -> list[str]:
        """The RAM principals: every tenant's account (sorted), then any organization or OU opted into, then the OUs
        tenants are discovered in (their new accounts reach the network before the next deployment grants more)."""
        principals = sorted({t.account_id for t in self.tenants}) + list(self.sharing.organization_principals)
        return principals + [s.ou_arn for s in self.tenant_sources if s.ou_arn not in principals]

    @property
    def allow_external_principals(self) -> bool:
        return bool(self.sharing.external_account_ids)

    @property
    def sharing_scope(self) -> str:
        return sharing_scope(self.share_principals, [t.account_id for t in self.tenants])


SecurityGroupId = Annotated[
    str, _matching(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?", 'write a security group ID such as "sg-0a1b2c3d4e5f67890"')
]
OwnerStackName = Annotated[
    str,
    _matching(
        rf"[A-Za-z0-9][A-Za-z0-9_.-]*/{PROJECT}/[A-Za-z0-9_.-]+",
        f'write the owner stack\'s fully qualified name, "<organization>/{PROJECT}/<stack>", e.g. "acme/{PROJECT}/owner"',
    ),
]


class TenantNetwork(Strict):
    """The tenant VPC, where the endpoint (or association) goes, and who in it may reach the shared resources."""

    vpc_id: VpcId
    subnet_ids: list[SubnetId] = Field(min_length=2, max_length=20)
    client_security_group_ids: list[SecurityGroupId] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> TenantNetwork:
        _unique(self.subnet_ids, "subnetIds")
        _unique(self.client_security_group_ids, "clientSecurityGroupIds")
        return self


class TenantStackConfig(StackConfigBase):
    """A `tenant-*` stack: everything under the `lattice-tenancy:` namespace of Pulumi.tenant-<x>.yaml."""

    kind: Literal["tenant"]
    owner_stack: OwnerStackName
    tenant: TenantName
    network: TenantNetwork
    # endpoint: a service-network VPC endpoint (any number per VPC). association: the VPC's one service-network
    # association. resource: a resource endpoint to the database alone (the owner must share the configuration).
    connection: Literal["endpoint", "association", "resource"] = "endpoint"
    # auto: inside an organization with RAM sharing enabled, where there is no invitation to accept.
    # invite: the share arrives as an invitation (external account, or org sharing off); accept it here.
    acceptance: Literal["auto", "invite"] = "auto"
    # Ports of Lattice services (HTTP/HTTPS) the clients may reach besides the database, e.g. [443].
    service_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(default_factory=list, max_length=10)
    # This tenant's external ID (secret), re-exported as a secret output for the tenant's applications.
    external_id: ExternalId | None = None
    flow_logs: FlowLogs = FlowLogs()
    chargeback: TenantChargeback = TenantChargeback()

    @property
    def own_tags(self) -> dict[str, str]:
        return {"Tenant": self.tenant}

    @model_validator(mode="after")
    def _ports(self) -> TenantStackConfig:
        _unique(self.service_ports, "servicePorts")
        return self


class ReplicaDatabase(Strict):
    """The recovery stack's database: a cross-Region read replica of the primary's, in this stack's Region.

    Engine, version, port, users and schemas come from the primary (replication copies them). `promoted`: set it
    once the replica has been promoted (README, "Disaster recovery"): the stack then manages a standalone instance
    with a final snapshot and its own master password secret.
    """

    instance_class: Annotated[
        str, _matching(r"db\.[a-z0-9-]+\.[a-z0-9]+", 'write an RDS instance class such as "db.t4g.small"')
    ] = "db.t4g.small"
    multi_az: bool | None = None
    # A key in this stack's Region (KMS keys are regional). Unset, the stack creates one (rotated, protected).
    kms_key_arn: KmsKeyArn | None = None
    subnet_ids: list[SubnetId] | None = Field(default=None, min_length=2, max_length=20)
    # The replica's own automated backups: RDS promotes a replica only when it has completed one.
    backup_retention_days: int = Field(default=7, ge=7, le=35)
    max_allocated_storage_gib: int = Field(default=100, ge=0, le=65536)
    monitoring_interval_seconds: Literal[0, 1, 5, 10, 15, 30, 60] = 60
    monitoring_off_reason: str | None = Field(default=None, min_length=10, max_length=500)
    apply_immediately: bool = True
    promoted: bool = False

    @model_validator(mode="after")
    def _checks(self) -> ReplicaDatabase:
        if self.subnet_ids:
            _unique(self.subnet_ids, "subnetIds")
        _check_enhanced_monitoring(self.monitoring_interval_seconds, self.monitoring_off_reason)
        return self


class Failover(Strict):
    """How the standby Region takes over: an ARC Region switch plan whose workflow promotes the replica.

    automatic: false (default) — people start the plan (README runbook); the alarms only notify. true — the plan's
    trigger starts it when replication has stopped (the lag alarm red) while the replica itself is healthy.
    """

    region_switch_plan: bool = True
    automatic: bool = False
    # Replica lag (seconds) above which the standby is behind enough to alarm (and, if automatic, to fail over).
    max_replica_lag_seconds: int = Field(default=300, ge=30, le=86_400)
    recovery_time_objective_minutes: int = Field(default=60, ge=1, le=10_080)
    promotion_timeout_minutes: int = Field(default=60, ge=10, le=1_440)
    # After an automatic run, wait this long before the trigger may start another (ARC minDelayMinutesBetweenExecutions).
    minutes_between_executions: int = Field(default=1_440, ge=60, le=43_200)


class RecoveryConfig(NetworkStackConfig):
    """A `recovery` stack: the standby Region's copy of the owner's sharing stack, with a replica of its database.

    Tenants, their roles and DB users come from the primary owner's contract (IAM is global: the roles are the
    primary's; this stack gives them access here). Must run in the primary's account and in another Region.
    """

    kind: Literal["recovery"]
    primary_stack: OwnerStackName
    database: ReplicaDatabase = ReplicaDatabase()
    failover: Failover = Failover()
    chargeback: TenantChargeback = TenantChargeback()

    @model_validator(mode="after")
    def _cross_checks(self) -> RecoveryConfig:
        self._check_common()
        for i, service in enumerate(self.services):
            if service.tenants is not None:
                raise ValueError(
                    f"services[{i}].tenants: a recovery stack's service admits the tenants of the primary's service "
                    "of the same name (their roles carry its tag); remove tenants here"
                )
        return self

    @property
    def multi_az(self) -> bool:
        return self.database.multi_az if self.database.multi_az is not None else self.profile == "production"

    def replica_settings(self, engine_version: str, port: int) -> Database:
        """The database settings of the replica: the primary's engine version and port, this stack's class,
        storage ceiling, key, backups and monitoring."""
        replica = self.database
        return Database.model_validate(
            {
                "engineVersion": engine_version,
                "extendedSupport": engine_version == "8.0",  # a replica keeps its source's support model
                "instanceClass": replica.instance_class,
                "maxAllocatedStorageGib": replica.max_allocated_storage_gib,
                "backupRetentionDays": replica.backup_retention_days,
                "port": port,
                "multiAz": self.multi_az,
                "kmsKeyArn": replica.kms_key_arn,
                "subnetIds": replica.subnet_ids,
                "monitoringIntervalSeconds": replica.monitoring_interval_seconds,
                "monitoringOffReason": replica.monitoring_off_reason,
                "applyImmediately": replica.apply_immediately,
            }
        )


StackConfig = OwnerConfig | TenantStackConfig | RecoveryConfig


def kms_key_region_problems(config: StackConfig, region: str) -> list[str]:
    """KMS keys are regional: every configured key must be in the stack's Region (`key`: the camelCase path)."""
    found = []
    creates_key = isinstance(config, RecoveryConfig)

    def walk(model: BaseModel, path: str) -> None:
        for name, field in type(model).model_fields.items():
            value = getattr(model, name)
            key = f"{path}.{field.alias or name}" if path else (field.alias or name)
            if isinstance(value, BaseModel):
                walk(value, key)
            elif name.endswith("kms_key_arn") and isinstance(value, str):
                key_region = value.split(":")[3]
                if key_region != region:
                    found.append(
                        f"{PROJECT}:{key}: the key is in {key_region}, but this stack deploys to {region} and KMS "
                        f"keys are regional; give a key in {region}"
                        + (
                            " (or remove it: this stack then creates one)"
                            if creates_key and key == "database.kmsKeyArn"
                            else ""
                        )
                    )

    walk(config, "")
    return found
