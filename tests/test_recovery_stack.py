"""The recovery stack under mocks: a standby Region fed with the primary owner's resolved exports, its replica, its
Lattice stack, the tenant roles' access there, the failover plan, and the bad input it refuses."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tenancy.contract import STANDBY, check_contract
from tests.conftest import as_pulumi_config, owner_values, run_owner
from tests.test_tenant_stack import tenant_values
from tooling.aws_standin import OfflineAws, SubnetFact
from tooling.mock_engine import ProgramError, run_program
from tooling.records import RunResult, reveal

PRIMARY_STACK = "acme/lattice-tenancy/owner"
STANDBY_REGION = "eu-central-1"
DR_VPC = "vpc-0c1b2c3d4e5f60003"
DR_SUBNETS = {
    "subnet-0c1b2c3d4e5f60031": SubnetFact(DR_VPC, "euc1-az1"),
    "subnet-0c1b2c3d4e5f60032": SubnetFact(DR_VPC, "euc1-az2"),
}
INSTANCE = "aws:rds/instance:Instance"
PLAN = "aws:arcregionswitch/plan:Plan"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def recovery_values() -> dict[str, Any]:
    return {
        "kind": "recovery",
        "primaryStack": PRIMARY_STACK,
        "namePrefix": "acme-db-dr",
        "network": {"vpcId": DR_VPC, "subnetIds": list(DR_SUBNETS)},
        "accessWindow": {"notBefore": "2026-01-01T00:00:00Z", "notAfter": "2027-01-01T00:00:00Z"},
    }


def run_recovery(values, primary_exports, *, region=STANDBY_REGION, account="111111111111") -> RunResult:
    return run_program(
        as_pulumi_config(values),
        stack="owner-dr",
        secret_keys=set(),
        mocks=OfflineAws(account, region, DR_SUBNETS, stacks={PRIMARY_STACK: primary_exports}),
    )


def refused(values, primary_exports, **kwargs) -> str:
    with pytest.raises(ProgramError) as caught:
        run_recovery(values, primary_exports, **kwargs)
    declared = [r.urn for r in caught.value.registrations if not r.is_read]
    assert declared == [], f"declared before the error: {declared}"
    return str(caught.value)


@pytest.fixture
def values():
    return copy.deepcopy(recovery_values())


@pytest.fixture
def primary(owner_run):
    return owner_run.exports


@pytest.fixture(scope="module")
def standby(owner_run) -> RunResult:
    return run_recovery(recovery_values(), owner_run.exports)


def _policy(value: Any) -> dict:
    return json.loads(reveal(value))


# --- the replica --------------------------------------------------------------------------------------------------


def test_the_database_is_an_encrypted_cross_region_replica_of_the_primarys(standby, primary):
    db = standby.one(INSTANCE)
    i = db.inputs
    assert i["replicateSourceDb"] == primary["database_instance_arn"]
    assert i["region"] == STANDBY_REGION and i["storageEncrypted"] is True
    # A key in this Region, created by the stack (rotated) and named on the replica.
    keys = [r for r in standby.of_type("aws:kms/key:Key") if r.name == "database-key"]
    assert len(keys) == 1 and keys[0].inputs["enableKeyRotation"] is True
    assert db.property_dependencies["kmsKeyId"] == [keys[0].urn]
    assert i["kmsKeyId"].startswith(f"arn:aws:kms:{STANDBY_REGION}:")
    # Its own subnet group, parameter and option groups, monitoring and backups; nothing a replica can't take.
    for key in ("dbSubnetGroupName", "parameterGroupName", "optionGroupName", "monitoringRoleArn"):
        assert db.property_dependencies.get(key), key
    assert i["backupRetentionPeriod"] == 7 and i["monitoringInterval"] == 60 and i["publiclyAccessible"] is False
    assert i["skipFinalSnapshot"] is True
    for absent in ("finalSnapshotIdentifier", "username", "engine", "manageMasterUserPassword", "allocatedStorage"):
        assert absent not in i, absent
    params = standby.one("aws:rds/parameterGroup:ParameterGroup").inputs
    assert params["family"] == f"mysql{primary['database_engine_version']}"


def test_a_promoted_replica_is_managed_as_a_standalone_database(values, primary):
    values["database"] = {"promoted": True}
    i = run_recovery(values, primary).one(INSTANCE).inputs
    assert "replicateSourceDb" not in i
    assert i["skipFinalSnapshot"] is False and i["finalSnapshotIdentifier"].startswith("acme-db-dr")
    assert i["manageMasterUserPassword"] is True  # its own secret, in its own Region


def test_a_configured_key_is_used_and_no_key_is_created(values, primary):
    key = f"arn:aws:kms:{STANDBY_REGION}:111111111111:key/" + "c" * 36
    values["database"] = {"kmsKeyArn": key}
    run = run_recovery(values, primary)
    assert run.one(INSTANCE).inputs["kmsKeyId"] == key
    assert not [r for r in run.of_type("aws:kms/key:Key") if r.name == "database-key"]


# --- the Lattice stack, the share and the tenants' access ---------------------------------------------------------


def test_a_complete_lattice_stack_publishes_the_replica_and_shares_it_like_the_primary(standby, primary):
    rcfg = standby.one("aws:vpclattice/resourceConfiguration:ResourceConfiguration")
    assert rcfg.property_dependencies["resourceConfigurationDefinition"] == [standby.one(INSTANCE).urn]
    assert standby.one("aws:vpclattice/resourceGateway:ResourceGateway").inputs["vpcId"] == DR_VPC
    standby.one("aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation")
    principals = sorted(
        standby.one("aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive").inputs[
            "principals"
        ]
    )
    assert principals == sorted(primary["share_principals"])
    logs = {
        r.inputs["serviceNetworkLogType"]
        for r in standby.of_type("aws:vpclattice/accessLogSubscription:AccessLogSubscription")
    }
    assert logs == {"RESOURCE", "SERVICE"}
    (network_policy,) = [_policy(r.inputs["policy"]) for r in standby.of_type("aws:vpclattice/authPolicy:AuthPolicy")]
    # The primary's tenant roles are the callers: their path, not this stack's.
    arn_like = network_policy["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert arn_like == f"arn:aws:iam::111111111111:role{primary['tenant_role_path']}*"
    # No roles of its own for tenants (IAM is global: the primary's roles reach here).
    assert not [r for r in standby.of_type("aws:iam/role:Role") if r.name.startswith("auth-")]


def test_each_tenant_role_gets_a_standby_policy_for_this_regions_database_and_network(standby, primary):
    policies = {r.inputs["role"]: r for r in standby.of_type(ROLE_POLICY) if r.name.endswith("-standby")}
    roles = {arn.rsplit("/", 1)[-1]: name for name, arn in primary["tenant_role_arns"].items()}
    assert set(policies) == set(roles)
    resource_id = standby.exports["database_resource_id"]
    for role_name, tenant in roles.items():
        policy = policies[role_name]
        assert policy.inputs["name"] == f"lattice-tenancy-standby-{STANDBY_REGION}"
        statements = {s["Sid"]: s for s in _policy(policy.inputs["policy"])["Statement"]}
        user = primary["tenant_db_users"][tenant]
        connect = statements["ConnectAsOwnDatabaseUser"]["Resource"]
        assert connect == f"arn:aws:rds-db:{STANDBY_REGION}:111111111111:dbuser:{resource_id}/{user}"
        assert resource_id != primary["database_resource_id"]  # the replica has its own DbiResourceId


def test_the_contract_says_which_region_it_serves_and_tenants_there_can_use_it(standby, primary):
    exports = standby.exports
    assert exports["stack_role"] == STANDBY and exports["region"] == STANDBY_REGION
    assert exports["primary_region"] == primary["region"] == "eu-west-1"
    assert exports["tenant_role_arns"] == primary["tenant_role_arns"]
    assert exports["database_address"].endswith(f".{STANDBY_REGION}.rds.amazonaws.com")
    contract = check_contract(
        exports,
        owner_stack="acme/lattice-tenancy/owner-dr",
        tenant="tenant-a",
        account_id="222222222222",
        region=STANDBY_REGION,
        acceptance="auto",
    )
    assert contract.service_network_arn.startswith(f"arn:aws:vpc-lattice:{STANDBY_REGION}:")


# --- failover -------------------------------------------------------------------------------------------------------


def test_the_region_switch_plan_promotes_the_replica_and_people_start_it(standby, primary):
    plan = standby.one(PLAN).inputs
    assert plan["recoveryApproach"] == "activePassive" and plan["primaryRegion"] == "eu-west-1"
    assert plan["regions"] == ["eu-west-1", STANDBY_REGION]
    (workflow,) = plan["workflows"]
    (step,) = workflow["steps"]
    assert workflow["workflowTargetAction"] == "activate" and step["executionBlockType"] == "RdsPromoteReadReplica"
    arn_map = step["rdsPromoteReadReplicaConfigs"][0]["dbInstanceArnMap"]
    assert arn_map == {
        "eu-west-1": primary["database_instance_arn"],
        STANDBY_REGION: standby.exports["database_instance_arn"],
    }
    assert {a["alarmType"] for a in plan["associatedAlarms"]} == {"trigger", "applicationHealth"}
    assert "triggers" not in plan  # automatic: false, the default
    role = next(r for r in standby.of_type("aws:iam/role:Role") if r.name == "failover-role")
    trust = _policy(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "arc-region-switch.amazonaws.com"}
    promote = next(r for r in standby.of_type(ROLE_POLICY) if r.name == "failover-role-promote")
    (statement,) = _policy(promote.inputs["policy"])["Statement"]
    assert statement["Resource"] == sorted([primary["database_instance_arn"], standby.exports["database_instance_arn"]])


def test_automatic_failover_triggers_on_stopped_replication_while_the_standby_is_healthy(values, primary):
    values["failover"] = {"automatic": True, "maxReplicaLagSeconds": 120}
    run = run_recovery(values, primary)
    (trigger,) = run.one(PLAN).inputs["triggers"]
    assert trigger["action"] == "activate" and trigger["targetRegion"] == STANDBY_REGION
    assert {(c["associatedAlarmName"], c["condition"]) for c in trigger["conditions"]} == {
        ("acme-db-dr-replication", "red"),
        ("acme-db-dr-replica-health", "green"),
    }
    alarm = next(r for r in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r.name == "failover-replication")
    expression = next(q["expression"] for q in alarm.inputs["metricQueries"] if "expression" in q)
    assert expression == "IF(lag < 0 OR lag > 120, 1, 0)"  # -1: replication not running
    assert alarm.inputs["treatMissingData"] == "breaching"
    topic = run.exports["alerts_topic_arn"]
    assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic]


def test_without_a_plan_the_alarms_still_watch_the_replica(values, primary):
    values["failover"] = {"regionSwitchPlan": False}
    run = run_recovery(values, primary)
    assert not run.of_type(PLAN) and run.exports["region_switch_plan_arn"] is None
    names = {r.inputs["name"] for r in run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {"acme-db-dr-replication", "acme-db-dr-replica-health"} <= names


# --- bad input: one message naming the key, nothing declared -------------------------------------------------------


def test_the_primarys_region_is_refused(values, primary):
    message = refused(values, primary, region="eu-west-1")
    assert "aws:region: eu-west-1 is the primary's Region" in message


def test_a_key_in_another_region_is_refused(values, primary):
    values["database"] = {"kmsKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/" + "d" * 36}
    message = refused(values, primary)
    assert (
        "lattice-tenancy:database.kmsKeyArn: the key is in eu-west-1, but this stack deploys to eu-central-1" in message
    )


def test_a_primary_without_backups_is_refused(values, primary):
    message = refused(values, {**primary, "database_backup_retention_days": 0})
    assert "lattice-tenancy:primaryStack" in message and "keeps no automated backups" in message


def test_another_account_and_the_primarys_name_prefix_are_refused_together(values, primary):
    values["namePrefix"] = primary["name_prefix"]
    message = refused(values, primary, account="999999999999")
    assert "a cross-Region replica stays in its source's account" in message
    assert "lattice-tenancy:namePrefix: 'acme-db' is the primary's too" in message


def test_a_standby_stack_is_not_a_primary(values, standby):
    message = refused(values, standby.exports)
    assert "names a standby stack; name the primary owner stack" in message


def test_services_the_primary_does_not_have_or_with_their_own_tenants_are_refused(values, primary):
    service = {
        "name": "orders",
        "stable": {
            "type": "LAMBDA",
            "targets": [{"id": "arn:aws:lambda:eu-central-1:111111111111:function:orders:live"}],
        },
    }
    values["services"] = [service]
    assert "orders is no service of the primary" in refused(values, primary)
    values["services"] = [{**service, "tenants": ["tenant-a"]}]
    assert "services[0].tenants: a recovery stack's service admits the tenants" in refused(values, primary)


def test_a_tenant_stack_for_a_region_its_owner_does_not_serve_is_refused(primary):
    with pytest.raises(ProgramError) as caught:
        run_tenant_in(tenant_values(), primary, STANDBY_REGION)
    message = str(caught.value)
    assert "aws:region: acme/lattice-tenancy/owner serves eu-west-1 (its primary Region)" in message
    assert "set lattice-tenancy:ownerStack to the recovery stack that serves eu-central-1" in message
    assert [r for r in caught.value.registrations if not r.is_read] == []


def run_tenant_in(values, owner_exports, region):
    subnets = {"subnet-0b1b2c3d4e5f60021": SubnetFact(values["network"]["vpcId"], "euc1-az1"),
               "subnet-0b1b2c3d4e5f60022": SubnetFact(values["network"]["vpcId"], "euc1-az2")}  # fmt: skip
    return run_program(
        as_pulumi_config(values),
        stack="tenant-a-dr",
        secret_keys=set(),
        mocks=OfflineAws("222222222222", region, subnets, stacks={"acme/lattice-tenancy/owner": owner_exports}),
    )


def test_a_tenant_connects_in_the_standby_region_through_the_recovery_stack(standby):
    values = tenant_values() | {"ownerStack": "acme/lattice-tenancy/owner-dr"}
    run = run_program(
        as_pulumi_config(values),
        stack="tenant-a-dr",
        secret_keys=set(),
        mocks=OfflineAws(
            "222222222222",
            STANDBY_REGION,
            {
                s: SubnetFact(values["network"]["vpcId"], f"euc1-az{i}")
                for i, s in enumerate(values["network"]["subnetIds"], 1)
            },
            stacks={"acme/lattice-tenancy/owner-dr": standby.exports},
        ),
    )
    endpoint = run.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.inputs["serviceNetworkArn"] == standby.exports["service_network_arn"]
    assert run.exports["database_host"] == standby.exports["database_address"]
    assert run.exports["role_arn"] == standby.exports["tenant_role_arns"]["tenant-a"]


def test_failback_restores_the_primary_from_the_standbys_snapshot(owner_run):
    snapshot = "arn:aws:rds:eu-west-1:111111111111:snapshot:acme-db-failback"
    values = owner_values() | {"database": {"restoreFromSnapshot": snapshot}}
    i = run_owner(values).one(INSTANCE).inputs
    assert i["snapshotIdentifier"] == snapshot and "username" not in i
    assert i["identifier"] == owner_run.one(INSTANCE).inputs["identifier"]  # same host name for clients
    assert i["skipFinalSnapshot"] is False  # the diverged old primary keeps a final snapshot
