"""Tenant stacks under mocks, fed with the owner program's resolved exports (owner → tenant in one test run)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tenancy import environment
from tenancy.contract import CONTRACT_VERSION
from tests.conftest import REGION, SECRET_KEYS, as_pulumi_config, owner_values, run_owner
from tooling.aws_standin import OfflineAws, SubnetFact, VpcFact
from tooling.mock_engine import ProgramError, run_program
from tooling.records import RunResult

OWNER_STACK = "acme/lattice-tenancy/owner"
TENANT_ACCOUNT = "222222222222"
TENANT_VPC = "vpc-0b1b2c3d4e5f60002"
TENANT_SUBNETS = {
    "subnet-0b1b2c3d4e5f60021": SubnetFact(TENANT_VPC, "euw1-az1"),
    "subnet-0b1b2c3d4e5f60022": SubnetFact(TENANT_VPC, "euw1-az2"),
}
CLIENTS = ["sg-0b1b2c3d4e5f60031", "sg-0b1b2c3d4e5f60032"]
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SNVA = "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
ACCEPTER = "aws:ram/resourceShareAccepter:ResourceShareAccepter"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def tenant_values() -> dict[str, Any]:
    return {
        "kind": "tenant",
        "ownerStack": OWNER_STACK,
        "tenant": "tenant-a",
        "network": {"vpcId": TENANT_VPC, "subnetIds": list(TENANT_SUBNETS), "clientSecurityGroupIds": CLIENTS},
        "servicePorts": [443],
    }


def run_tenant(values, owner_exports, *, account=TENANT_ACCOUNT, secret_keys=frozenset()) -> RunResult:
    return run_program(
        as_pulumi_config(values),
        stack="tenant-a",
        secret_keys=set(secret_keys),
        mocks=OfflineAws(account, REGION, TENANT_SUBNETS, stacks={OWNER_STACK: owner_exports}),
    )


@pytest.fixture
def values():
    return copy.deepcopy(tenant_values())


@pytest.fixture
def owner(owner_run):
    return owner_run.exports


def program_error(values, owner_exports, **kwargs) -> str:
    with pytest.raises(ProgramError) as caught:
        run_tenant(values, owner_exports, **kwargs)
    declared = [r.urn for r in caught.value.registrations if not r.is_read]
    assert declared == [], f"declared before the error: {declared}"
    return str(caught.value)


# --- connection modes ----------------------------------------------------------------------------------------


def test_endpoint_mode_connects_to_the_owners_network_by_arn(values, owner):
    run = run_tenant(values, owner)
    endpoint = run.one(ENDPOINT)
    i = endpoint.inputs
    assert i["vpcEndpointType"] == "ServiceNetwork", endpoint.urn
    assert i["serviceNetworkArn"] == owner["service_network_arn"]
    assert i["vpcId"] == TENANT_VPC and i["subnetIds"] == list(TENANT_SUBNETS)
    assert i["privateDnsEnabled"] is True
    sg = run.one("aws:ec2/securityGroup:SecurityGroup")
    assert endpoint.property_dependencies["securityGroupIds"] == [sg.urn]
    assert run.of_type(SNVA) == [] and run.of_type(ACCEPTER) == []


def test_association_mode_associates_the_vpc_by_network_arn(values, owner):
    values["connection"] = "association"
    run = run_tenant(values, owner)
    association = run.one(SNVA)
    assert association.inputs["serviceNetworkIdentifier"] == owner["service_network_arn"], association.urn
    assert association.inputs["vpcIdentifier"] == TENANT_VPC
    assert run.of_type(ENDPOINT) == []


def test_resource_mode_needs_the_owner_to_share_the_resource_configuration(values, owner):
    values["connection"] = "resource"
    message = program_error(values, owner)
    assert "lattice-tenancy:connection" in message and "resourceConfiguration" in message

    owner_values_ = owner_values()
    owner_values_["sharing"] = {"resources": ["serviceNetwork", "resourceConfiguration"]}
    sharing_owner = run_owner(owner_values_).exports
    endpoint = run_tenant(values, sharing_owner).one(ENDPOINT)
    assert endpoint.inputs["vpcEndpointType"] == "Resource"
    assert endpoint.inputs["resourceConfigurationArn"] == sharing_owner["resource_configuration_arn"]
    assert "serviceNetworkArn" not in endpoint.inputs


def test_endpoint_security_group_admits_only_the_client_groups_on_the_shared_ports(values, owner):
    run = run_tenant(values, owner)
    sg = run.one("aws:ec2/securityGroup:SecurityGroup")
    assert "ingress" not in sg.inputs and "egress" not in sg.inputs
    rules = {
        (r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in run.of_type(INGRESS)
    }
    assert rules == {(c, p, p) for c in CLIENTS for p in (3306, 443)}
    for rule in run.of_type(INGRESS):
        assert rule.inputs["ipProtocol"] == "tcp" and not {"cidrIpv4", "cidrIpv6"} & set(rule.inputs), rule.urn
        assert rule.property_dependencies["securityGroupId"] == [sg.urn]


# --- acceptance modes ----------------------------------------------------------------------------------------


def test_auto_acceptance_creates_no_accepter(values, owner):
    assert run_tenant(values, owner).of_type(ACCEPTER) == []


@pytest.fixture(scope="module")
def inviting_owner():
    """An owner whose share reaches tenant A by invitation (an account outside its organization)."""
    values = owner_values()
    values["sharing"] = {"externalAccountIds": [TENANT_ACCOUNT]}
    return run_owner(values).exports


@pytest.mark.parametrize("connection", ["endpoint", "association"])
def test_invite_acceptance_accepts_the_owners_share_before_connecting(values, inviting_owner, connection):
    values["acceptance"] = "invite"
    values["connection"] = connection
    run = run_tenant(values, inviting_owner)
    accepter = run.one(ACCEPTER)
    assert accepter.inputs["shareArn"] == inviting_owner["resource_share_arn"]
    connector = run.one(ENDPOINT if connection == "endpoint" else SNVA)
    assert accepter.urn in connector.dependencies, connector.urn


def test_acceptance_must_match_how_the_owner_shares(values, owner, inviting_owner):
    values["acceptance"] = "invite"
    message = program_error(values, owner)
    assert "lattice-tenancy:acceptance: 'invite'" in message and "No RAM Resource Share invitation found" in message
    values["acceptance"] = "auto"
    assert "Set acceptance: invite" in program_error(values, inviting_owner)


# --- exports -------------------------------------------------------------------------------------------------


def test_exports_tell_the_application_how_to_connect(values, owner):
    exports = run_tenant(values, owner).exports
    assert exports["database_host"] == owner["database_address"]
    assert exports["database_port"] == 3306
    assert exports["database_user"] == owner["tenant_db_users"]["tenant-a"] == "tenant_a"
    assert exports["role_arn"] == owner["tenant_role_arns"]["tenant-a"]
    assert exports["region"] == REGION and exports["endpoint_id"].startswith("vpce-")
    assert "external_id" not in exports


@pytest.fixture(scope="module")
def rcfg_sharing_owner() -> dict[str, Any]:
    values = owner_values()
    values["sharing"] = {"resources": ["serviceNetwork", "resourceConfiguration"]}
    return run_owner(values).exports


@pytest.mark.parametrize("connection", ["endpoint", "association", "resource"])
def test_the_exported_lattice_dns_name_is_the_one_that_resolves_in_this_connection_mode(
    values, rcfg_sharing_owner, connection
):
    owner = rcfg_sharing_owner
    values["connection"] = connection
    run = run_tenant(values, owner)
    name = run.exports["database_lattice_dns_name"]
    rcfg_id = owner["resource_configuration_arn"].rsplit("/", 1)[-1]
    if connection == "association":
        # A VPC associated with the network resolves the owner's service-network resource association name.
        assert name == owner["database_dns_name"] and name.startswith("snra-")
    else:
        # An endpoint answers only for its own names (vpce-…-snra-… through a network, vpce-… for a resource),
        # read back from DescribeVpcEndpointAssociations for this endpoint and this resource configuration.
        endpoint_id = run.exports["endpoint_id"]
        assert name.startswith(f"{endpoint_id}-snra-" if connection == "endpoint" else f"{endpoint_id}.")
        assert f".{rcfg_id}." in name and name != owner["database_dns_name"]
    # Private DNS: the RDS host name itself resolves in the tenant VPC in every mode.
    assert run.exports["database_host"] == owner["database_address"]


def test_external_id_is_exported_only_as_a_secret(values, owner):
    values["externalId"] = "ext-id-tenant-a-0123456789"
    run = run_tenant(values, owner, secret_keys={"lattice-tenancy:externalId"})
    assert run.exports["external_id"] == "ext-id-tenant-a-0123456789"
    assert run.secret_exports == {"external_id"}
    assert "externalId" in program_error(values, owner)  # the same value stored in clear is refused


def test_the_same_owner_and_tenant_config_give_the_same_plan(values, owner):
    def canonical(run):
        return json.dumps(
            [r.__dict__ for r in sorted(run.registrations, key=lambda r: r.urn)] + [run.exports], sort_keys=True
        )

    assert canonical(run_tenant(values, owner)) == canonical(run_tenant(copy.deepcopy(values), owner))


# --- contract errors end the run before anything is declared ------------------------------------------------


def test_unknown_tenant_says_to_ask_the_owner(values, owner):
    values["tenant"] = "tenant-z"
    message = program_error(values, owner)
    assert "lattice-tenancy:tenant: 'tenant-z' is not a tenant of acme/lattice-tenancy/owner" in message
    assert "tenant-a, tenant-b" in message


def test_an_owner_on_the_previous_release_is_told_to_upgrade(values, owner):
    release_1 = {k: v for k, v in owner.items() if k != "resource_gateway_az_ids"} | {"contract_version": "1"}
    message = program_error(values, release_1)
    assert "contract version '1'" in message and f"reads version '{CONTRACT_VERSION}'" in message
    assert "the owner runs an older lattice-tenancy release" in message and "upgrade" in message


def test_an_owner_on_a_newer_release_tells_the_tenant_to_update(values, owner):
    message = program_error(values, {**owner, "contract_version": str(int(CONTRACT_VERSION) + 1)})
    assert "this checkout is older than the owner's release" in message


def test_an_owner_stack_that_is_a_tenant_stack_is_named_as_such(values, owner):
    tenant_exports = run_tenant(values, owner).exports
    message = program_error(values, tenant_exports)
    assert "lattice-tenancy:ownerStack (acme/lattice-tenancy/owner)" in message
    assert "names a lattice-tenancy tenant stack" in message and "not an owner stack" in message
    assert "contract version" not in message


# --- what the tenant's account and the owner's contract tell about the tenant's config ---------------------


def run_with(values, owner_exports, *, subnets=None, vpcs=None, quotas=None) -> RunResult:
    return run_program(
        as_pulumi_config(values),
        stack="tenant-a",
        mocks=OfflineAws(
            TENANT_ACCOUNT,
            REGION,
            subnets or TENANT_SUBNETS,
            stacks={OWNER_STACK: owner_exports},
            vpcs=vpcs,
            quotas=quotas,
        ),
    )


def error_with(values, owner_exports, **kwargs) -> str:
    with pytest.raises(ProgramError) as caught:
        run_with(values, owner_exports, **kwargs)
    assert [r.urn for r in caught.value.registrations if not r.is_read] == []
    return str(caught.value)


def test_the_contract_carries_the_gateways_zone_ids(owner):
    assert owner["resource_gateway_az_ids"] == ["euw1-az1", "euw1-az2"]


@pytest.mark.parametrize("connection", ["endpoint", "resource"])
def test_subnets_with_no_zone_in_common_with_the_gateway_are_refused_with_the_ids_that_work(
    values, rcfg_sharing_owner, connection
):
    values["connection"] = connection
    subnets = {s: SubnetFact(TENANT_VPC, f"euw1-az{i + 3}") for i, s in enumerate(TENANT_SUBNETS)}
    message = error_with(values, rcfg_sharing_owner, subnets=subnets)
    assert "lattice-tenancy:network.subnetIds: no subnet shares an Availability Zone with the owner's" in message
    assert "subnet-0b1b2c3d4e5f60021 (euw1-az3)" in message and "uses AZ IDs euw1-az1, euw1-az2" in message


def test_a_subnet_outside_the_gateways_zones_beside_one_inside_is_a_warning_not_an_error(values, owner):
    subnets = {**TENANT_SUBNETS, "subnet-0b1b2c3d4e5f60022": SubnetFact(TENANT_VPC, "euw1-az3")}
    assert run_with(values, owner, subnets=subnets).one(ENDPOINT)
    facts = [environment.SubnetFacts(s, TENANT_VPC, f.availability_zone_id) for s, f in subnets.items()]
    problems, warnings = environment.zone_overlap("k", facts, ["euw1-az1", "euw1-az2"])
    assert problems == [] and warnings[0].startswith("k: subnet-0b1b2c3d4e5f60022 (euw1-az3) is outside")


def test_every_tenant_problem_comes_in_one_run(values, owner):
    values["servicePorts"] = [3306]
    subnets = {s: SubnetFact(TENANT_VPC, "euw1-az1") for s in TENANT_SUBNETS}
    message = error_with(values, owner, subnets=subnets, vpcs={TENANT_VPC: VpcFact(True, False)})
    for key in ("network.subnetIds: all subnets are in one Availability Zone", "network.vpcId", "servicePorts: 3306"):
        assert f"lattice-tenancy:{key}" in message, key
    assert "the endpoint needs two for availability" in message and "DB subnet group" not in message


def test_an_association_has_no_interfaces_so_its_subnets_need_no_common_zone(values, owner):
    values["connection"] = "association"
    subnets = {s: SubnetFact(TENANT_VPC, f"euw1-az{i + 4}") for i, s in enumerate(TENANT_SUBNETS)}
    assert run_with(values, owner, subnets=subnets).one(SNVA)


@pytest.mark.parametrize(
    ("support", "hostnames", "named"),
    [(False, True, "enableDnsSupport off"), (True, False, "enableDnsHostnames off"),
     (False, False, "enableDnsSupport and enableDnsHostnames off")],
)  # fmt: skip
def test_a_vpc_without_dns_support_or_host_names_is_refused_with_the_fix(values, owner, support, hostnames, named):
    message = error_with(values, owner, vpcs={TENANT_VPC: VpcFact(support, hostnames)})
    assert f"lattice-tenancy:network.vpcId: {TENANT_VPC} has {named}" in message
    assert f"aws ec2 modify-vpc-attribute --vpc-id {TENANT_VPC}" in message


CLIENT_GROUPS = [f"sg-0b1b2c3d4e5f600{i:02d}" for i in range(20)]


def test_more_inbound_rules_than_the_security_group_quota_are_refused_with_its_name(values, owner):
    values["network"]["clientSecurityGroupIds"] = CLIENT_GROUPS  # 20 groups × (3306 + 443, 8443) = 60 rules: fits
    values["servicePorts"] = [443, 8443]
    assert len(run_with(values, owner).of_type(INGRESS)) == 60
    values["servicePorts"] = [443, 8443, 9443]  # 80 rules
    message = error_with(values, owner)
    assert "lattice-tenancy:network.clientSecurityGroupIds: 20 client groups × 4 ports need 80 inbound rules" in message
    assert "quota of 60 (this account's value)" in message and "L-0EA8095F" in message and "raise the quota" in message
    # Where the account's quota was raised, the lookup says so and the plan goes ahead.
    assert len(run_with(values, owner, quotas={("vpc", "L-0EA8095F"): 100.0}).of_type(INGRESS)) == 80


def test_duplicate_service_ports_are_refused(values):
    values["servicePorts"] = [443, 443]
    message = error_with(values, {})
    assert "lattice-tenancy: servicePorts must be unique; repeated: 443" in message


def test_a_service_port_equal_to_the_database_port_is_refused_naming_the_tenants_key(values, owner):
    values["servicePorts"] = [443, 3306]
    message = error_with(values, owner)
    assert "lattice-tenancy:servicePorts: 3306 is the owner's database port" in message
    assert "database.port" not in message


def test_owner_without_exports_says_to_deploy_it_first(values):
    assert "exports nothing" in program_error(values, {})


def test_missing_owner_stack_fails_the_read_naming_the_stack(values, owner):
    # The engine itself refuses a StackReference to a stack that doesn't exist, before the program can advise.
    values["ownerStack"] = "acme/lattice-tenancy/no-such-stack"
    with pytest.raises(Exception, match="acme/lattice-tenancy/no-such-stack"):
        run_tenant(values, owner)


def test_incomplete_contract_lists_what_is_missing(values, owner):
    partial = {k: v for k, v in owner.items() if k != "resource_share_arn"}
    assert "lacks resource_share_arn" in program_error(values, partial)


def test_credentials_of_another_account_are_refused(values, owner):
    message = program_error(values, owner, account="333333333333")
    assert "account 222222222222" in message and "333333333333" in message


def test_another_region_is_refused(values, owner):
    message = program_error(values, {**owner, "region": "us-east-1"})
    assert message.startswith("aws:region:") and "us-east-1" in message


def test_bad_tenant_config_names_the_key(values, owner):
    values["ownerStack"] = "owner"
    values["network"]["clientSecurityGroupIds"] = []
    message = program_error(values, owner)
    assert "lattice-tenancy:ownerStack" in message and "lattice-tenancy:network.clientSecurityGroupIds" in message


def test_owner_secret_config_is_not_needed_by_tenants():
    assert "lattice-tenancy:externalIds" in SECRET_KEYS  # the owner's; a tenant stack has no such key
    assert "externalIds" not in tenant_values()
