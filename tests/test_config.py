"""Config validation: valid stacks load; each malformed config fails with one message naming the key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenancy.config import OwnerConfig, kms_key_region_problems
from tenancy.loading import ConfigError, default_name_prefix, load_stack_config
from tests.conftest import SECRET_KEYS, as_pulumi_config
from tooling.stackfiles import PLACEHOLDER, load_stack_file, stack_names

ROOT = Path(__file__).resolve().parent.parent


def load(values, secret_keys=SECRET_KEYS, stack="owner"):
    return load_stack_config(as_pulumi_config(values), set(secret_keys), stack)


def error_of(values, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        load(values, **kwargs)
    return str(caught.value)


def test_valid_owner_config_loads_with_secure_defaults(values):
    config = load(values)
    assert isinstance(config, OwnerConfig)
    assert config.profile == "production"
    assert config.deletion_protected and config.multi_az
    assert config.database.engine_version == "8.4"
    assert config.database.backup_retention_days >= 7
    assert config.network.associate_owner_vpc is False
    assert config.audit.trail is True
    assert config.allow_external_principals is False
    # No principals configured: share with exactly the tenants' accounts.
    assert config.share_principals == ["222222222222", "333333333333"]
    assert [t.database_user for t in config.tenants] == ["tenant_a", "b_app"]


def test_models_are_frozen(values):
    config = load(values)
    with pytest.raises(Exception, match="frozen"):
        config.profile = "development"


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_stack_file_in_the_repository_validates(stack):
    config, secret = load_stack_file(ROOT, stack)
    loaded = load_stack_config(config, secret, stack)
    assert loaded.kind in ("owner", "recovery", "tenant")


def test_the_stack_files_are_read_with_the_project_file_read_once(monkeypatch):
    from tooling import stackfiles

    read: list[str] = []
    read_yaml = stackfiles._read_yaml
    monkeypatch.setattr(stackfiles, "_read_yaml", lambda path: read.append(path.name) or read_yaml(path))
    files = stackfiles.read_stack_files(ROOT)
    assert read.count("Pulumi.yaml") == 1 and len(read) == 1 + len(stack_names(ROOT))
    for f in files:  # each as the file read alone gives it
        config, secret = load_stack_file(ROOT, f.name)
        assert (f.config, set(f.secret), f.kind) == (config, secret, config["lattice-tenancy:kind"])


def test_stack_file_secrets_become_marked_placeholders():
    config, secret = load_stack_file(ROOT, "owner")
    assert "lattice-tenancy:externalIds" in secret
    assert PLACEHOLDER in config["lattice-tenancy:externalIds"]
    assert config["aws:region"] == "eu-west-1"


def test_default_name_prefix_is_derived_from_the_stack():
    assert default_name_prefix("owner") == "lt-owner"
    assert default_name_prefix("Prod_Owner--EU") == "lt-prod-owner-eu"
    assert len(default_name_prefix("x" * 60)) <= 24


def _set(values, path, value):
    target = values
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


MALFORMED = [
    # (what is wrong, path in values, bad value, key the message must name, words it must contain)
    ("bare organization ID", ("sharing",), {"organizationPrincipals": ["o-abc123defg"]},
     "lattice-tenancy:sharing.organizationPrincipals[0]", "organization ARN"),
    ("account ID as an organization principal", ("sharing",), {"organizationPrincipals": ["444444444444"]},
     "lattice-tenancy:sharing.organizationPrincipals[0]", "no role and no DB user"),
    ("the old principals key", ("sharing",), {"principals": ["222222222222"]},
     "lattice-tenancy:sharing", "organizationPrincipals"),
    ("invited account that is no tenant", ("sharing",), {"externalAccountIds": ["444444444444"]},
     "lattice-tenancy: sharing.externalAccountIds", "444444444444 is no tenant's account"),
    ("DB user a MySQL system schema", ("tenants", 0, "dbUser"), "mysql",
     "lattice-tenancy:tenants[0]", "system account or schema"),
    ("DB user an RDS account", ("tenants", 0, "dbUser"), "rdsadmin",
     "lattice-tenancy:tenants[0]", "system account or schema"),
    ("DB user in an RDS name family", ("tenants", 0, "dbUser"), "rds_tenant",
     "lattice-tenancy:tenants[0]", "starts with 'rds'"),
    ("tenant name whose default DB user is a system name", ("tenants", 0, "name"), "sys",
     "lattice-tenancy:tenants[0]", "default: the name 'sys'"),
    ("DB user longer than MySQL's 32", ("tenants", 0, "dbUser"), "t" * 33,
     "lattice-tenancy:tenants[0].dbUser", "1-32"),
    ("DB user with a dot", ("tenants", 0, "dbUser"), "mysql.sys",
     "lattice-tenancy:tenants[0].dbUser", "1-32 lowercase letters, digits or underscores"),
    ("DB user with a wildcard", ("tenants", 0, "dbUser"), "tenant%",
     "lattice-tenancy:tenants[0].dbUser", "1-32 lowercase letters, digits or underscores"),
    ("DB user with a quote", ("tenants", 0, "dbUser"), "a'b",
     "lattice-tenancy:tenants[0].dbUser", "1-32 lowercase letters, digits or underscores"),
    ("DB user equal to another tenant's", ("tenants", 1, "dbUser"), "tenant_a",
     "lattice-tenancy: tenants[].dbUser", "repeated: tenant_a"),
    ("monitoring off without a reason", ("database",), {"monitoringIntervalSeconds": 0},
     "lattice-tenancy:database", "monitoringOffReason"),
    ("a reason while monitoring is on", ("database",), {"monitoringOffReason": "we have our own agent here"},
     "lattice-tenancy:database", "remove monitoringOffReason"),
    ("monitoring interval RDS rejects", ("database",), {"monitoringIntervalSeconds": 20},
     "lattice-tenancy:database.monitoringIntervalSeconds", "write one of 0, 1, 5, 10, 15, 30 or 60"),
    ("server access logs kept too briefly", ("audit",), {"serverAccessLogRetentionDays": 7},
     "lattice-tenancy:audit.serverAccessLogRetentionDays", "greater than or equal to 90"),
    ("DB user equal to the master user", ("tenants", 1, "dbUser"), "lattice_admin",
     "lattice-tenancy: database.masterUsername", "must differ"),
    ("11-digit account", ("tenants", 0, "accountId"), "22222222222",
     "lattice-tenancy:tenants[0].accountId", "12 digits"),
    ("typo in a key", ("network", "subnetId"), ["subnet-0a1b2c3d4e5f60011"],
     "lattice-tenancy:network.subnetId", "did you mean 'subnetIds'"),
    ("one subnet only", ("network", "subnetIds"), ["subnet-0a1b2c3d4e5f60011"],
     "lattice-tenancy:network.subnetIds", "at least 2"),
    ("window backwards", ("accessWindow", "notAfter"), "2025-01-01T00:00:00Z",
     "lattice-tenancy:accessWindow", "notAfter must be later"),
    ("window without zone", ("accessWindow", "notBefore"), "2026-01-01T00:00:00",
     "lattice-tenancy:accessWindow.notBefore", "UTC"),
    ("retention CloudWatch rejects", ("audit",), {"logRetentionDays": 100},
     "lattice-tenancy:audit", "365"),
    ("MySQL 8.0 without extended support", ("database",), {"engineVersion": "8.0"},
     "lattice-tenancy:database", '"8.4"'),
    ("default master user", ("database",), {"masterUsername": "admin"},
     "lattice-tenancy:database", "reserved"),
    ("backups under 7 days", ("database",), {"backupRetentionDays": 1},
     "lattice-tenancy:database.backupRetentionDays", "greater than or equal to 7"),
    ("unknown profile", ("profile",), "prod",
     "lattice-tenancy:profile", "'production' or 'development'"),
    ("duplicate tenant", ("tenants", 1, "name"), "tenant-a",
     "lattice-tenancy: tenants[].name", "must be unique; repeated: tenant-a"),
    ("upper-case tenant name", ("tenants", 0, "name"), "Tenant_A",
     "lattice-tenancy:tenants[0].name", "lowercase"),
    ("reserved name prefix", ("namePrefix",), "rgw-shared",
     "lattice-tenancy:namePrefix", "AWS-reserved"),
    ("short external ID", ("externalIds", "tenant-a"), "abc",
     "lattice-tenancy:externalIds.tenant-a", "16-1224"),
    ("minor version pinned", ("database",), {"engineVersion": "8.4.3"},
     "lattice-tenancy:database.engineVersion", "major version"),
    ("restore from a snapshot name, not its ARN", ("database",), {"restoreFromSnapshot": "acme-failback"},
     "lattice-tenancy:database.restoreFromSnapshot", "ARN of a DB snapshot"),
    ("unknown top-level key", ("tenant",), [],
     "lattice-tenancy:tenant", "did you mean 'tenants'"),
]  # fmt: skip


@pytest.mark.parametrize(("problem", "path", "bad", "key", "words"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_config_names_the_key_and_the_fix(values, problem, path, bad, key, words):
    _set(values, path, bad)
    message = error_of(values)
    assert message.startswith("invalid stack configuration:"), message
    assert key in message, message
    assert words in message, message
    assert "Traceback" not in message


def test_missing_external_id_says_how_to_set_it(values):
    del values["externalIds"]["tenant-b"]
    message = error_of(values)
    assert "tenant-b" in message and "pulumi config set --secret" in message


def test_external_ids_in_clear_are_refused(values):
    message = error_of(values, secret_keys=set())
    assert "lattice-tenancy:externalIds: is stored in clear" in message
    assert "--secret" in message


@pytest.mark.parametrize("key", ["namePrefix", "profile", "expectedAccountId", "network"])
def test_an_empty_string_is_named_as_empty_not_as_bad_json(values, key):
    values[key] = ""
    message = error_of(values)
    assert f"lattice-tenancy:{key}: is set to an empty string" in message and f"pulumi config rm {key}" in message
    assert "JSON" not in message


def test_missing_kind_says_what_to_write(values):
    del values["kind"]
    message = error_of(values)
    assert "lattice-tenancy:kind" in message and "owner" in message


def test_missing_required_section(values):
    del values["network"]
    assert "lattice-tenancy:network: is required but not set" in error_of(values)


def test_all_problems_come_in_one_message(values):
    values["tenants"][0]["accountId"] = "nope"
    values["database"] = {"port": 80}
    message = error_of(values)
    assert "tenants[0].accountId" in message and "database.port" in message


def test_external_tenant_accounts_turn_on_external_principals(values):
    values["sharing"] = {"externalAccountIds": ["333333333333"]}
    config = load(values)
    assert config.allow_external_principals is True
    assert config.share_principals == ["222222222222", "333333333333"]


def test_organization_sharing_is_an_opt_in_on_top_of_the_tenant_accounts(values):
    org = "arn:aws:organizations::999999999999:organization/o-exampleorg1"
    values["sharing"] = {"organizationPrincipals": [org]}
    config = load(values)
    assert config.share_principals == ["222222222222", "333333333333", org]
    assert config.sharing_scope.startswith(
        "ORGANIZATION-WIDE SHARING (sharing.organizationPrincipals or tenantSources, an opt-in)"
    )
    assert org in config.sharing_scope and "reach the database port" in config.sharing_scope


def test_ou_arn_is_a_valid_principal_and_bare_ou_is_not(values):
    values["sharing"] = {
        "organizationPrincipals": ["arn:aws:organizations::999999999999:ou/o-exampleorg1/ou-ab12-cdef3456"]
    }
    assert load(values).share_principals[-1].endswith("ou-ab12-cdef3456")
    values["sharing"] = {"organizationPrincipals": ["ou-ab12-cdef3456"]}
    assert "OU ARN" in error_of(values)


def test_a_malformed_external_id_is_never_echoed(values):
    values["externalIds"]["tenant-a"] = "has spaces so it is invalid"
    values["externalIds"]["tenant-b"] = 12345678901234567
    message = error_of(values)
    assert "externalIds.tenant-a" in message and "externalIds.tenant-b" in message
    assert "has spaces" not in message and "12345678901234567" not in message


MALFORMED_RECOVERY = [
    # (what is wrong, path in the recovery values, bad value, key the message must name, words it must contain)
    ("primary stack not fully qualified", ("primaryStack",), "owner",
     "lattice-tenancy:primaryStack", "<organization>/lattice-tenancy/<stack>"),
    ("replica backups off", ("database",), {"backupRetentionDays": 0},
     "lattice-tenancy:database.backupRetentionDays", "greater than or equal to 7"),
    ("replica key not a KMS ARN", ("database",), {"kmsKeyArn": "alias/aws/rds"},
     "lattice-tenancy:database.kmsKeyArn", "KMS key ARN"),
    ("engine version on a replica", ("database",), {"engineVersion": "8.4"},
     "lattice-tenancy:database.engineVersion", "is not a known setting"),
    ("replica monitoring off without a reason", ("database",), {"monitoringIntervalSeconds": 0},
     "lattice-tenancy:database", "monitoringOffReason"),
    ("lag threshold under 30 s", ("failover",), {"maxReplicaLagSeconds": 10},
     "lattice-tenancy:failover.maxReplicaLagSeconds", "greater than or equal to 30"),
    ("RTO beyond ARC's week", ("failover",), {"recoveryTimeObjectiveMinutes": 20_000},
     "lattice-tenancy:failover.recoveryTimeObjectiveMinutes", "less than or equal to 10080"),
    ("automatic runs too close together", ("failover",), {"minutesBetweenExecutions": 5},
     "lattice-tenancy:failover.minutesBetweenExecutions", "greater than or equal to 60"),
    ("typo in failover", ("failover",), {"automatc": True},
     "lattice-tenancy:failover.automatc", "did you mean 'automatic'"),
    ("tenants listed on a recovery stack", ("tenants",), [],
     "lattice-tenancy:tenants", "is not a known setting"),
    ("trail off with a Config bucket to log", ("audit",), {"trail": False},
     "lattice-tenancy:", "audit.trail: false, but compliance.recorder: create"),
]  # fmt: skip


@pytest.fixture
def recovery():
    return {
        "kind": "recovery",
        "primaryStack": "acme/lattice-tenancy/owner",
        "namePrefix": "acme-db-dr",
        "network": {
            "vpcId": "vpc-0c1b2c3d4e5f60003",
            "subnetIds": ["subnet-0c1b2c3d4e5f60031", "subnet-0c1b2c3d4e5f60032"],
        },
        "accessWindow": {"notBefore": "2026-01-01T00:00:00Z", "notAfter": "2027-01-01T00:00:00Z"},
        "compliance": {"enabled": True},
    }


def test_a_recovery_config_loads_with_safe_defaults(recovery):
    config = load(recovery)
    assert config.kind == "recovery" and config.multi_az and config.deletion_protected
    assert config.failover.region_switch_plan and not config.failover.automatic
    assert config.database.kms_key_arn is None and not config.database.promoted
    settings = config.replica_settings("8.4", 3307)
    assert (settings.engine_version, settings.port, settings.backup_retention_days) == ("8.4", 3307, 7)


@pytest.mark.parametrize(
    ("problem", "path", "bad", "key", "words"), MALFORMED_RECOVERY, ids=[m[0] for m in MALFORMED_RECOVERY]
)
def test_malformed_recovery_config_names_the_key_and_the_fix(recovery, problem, path, bad, key, words):
    _set(recovery, path, bad)
    message = error_of(recovery)
    assert message.startswith("invalid stack configuration:"), message
    assert key in message and words in message, message
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("deploy", "words"),
    [
        ({}, "set exactly one of awsProfile and roleArn"),
        ({"awsProfile": "owner", "roleArn": "arn:aws:iam::111111111111:role/deployer"}, "set exactly one"),
        ({"awsProfile": "has space"}, "an AWS CLI profile name"),
        ({"roleArn": "arn:aws:iam::111111111111:user/deployer"}, "an IAM role ARN"),
    ],
)
def test_deploy_credentials_name_one_profile_or_one_role(values, deploy, words):
    values["deploy"] = deploy
    message = error_of(values)
    assert "lattice-tenancy:deploy" in message and words in message, message


def test_kms_keys_must_be_in_the_stacks_region(recovery):
    recovery["database"] = {"kmsKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/" + "a" * 36}
    recovery["audit"] = {"kmsKeyArn": "arn:aws:kms:eu-central-1:111111111111:key/" + "b" * 36}
    problems = kms_key_region_problems(load(recovery), "eu-central-1")
    assert len(problems) == 1 and problems[0].startswith("lattice-tenancy:database.kmsKeyArn: the key is in eu-west-1")
