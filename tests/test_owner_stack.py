"""The owner program under Pulumi mocks: what each component declares, how they connect, what is exported."""

from __future__ import annotations

import json

import pytest

from tenancy import documents
from tenancy.contract import CONTRACT_KEYS, CONTRACT_VERSION, OwnerContract
from tenancy.offline import ProgramError, is_secret
from tests.conftest import ACCOUNT, EXTERNAL_IDS, VPC, run_owner

SN = "aws:vpclattice/serviceNetwork:ServiceNetwork"
RGW = "aws:vpclattice/resourceGateway:ResourceGateway"
RCFG = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"
SNRA = "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation"
SNVA = "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation"
DB = "aws:rds/instance:Instance"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
COMPONENTS = {
    "lattice-tenancy:network:Network",
    "lattice-tenancy:database:Database",
    "lattice-tenancy:sharing:Sharing",
    "lattice-tenancy:auth:Auth",
    "lattice-tenancy:audit:Audit",
}


def by_name(run, name):
    (found,) = [r for r in run.registrations if r.name == name]
    return found


# --- network -------------------------------------------------------------------------------------------------


def test_service_network_uses_iam_auth(owner_run):
    sn = owner_run.one(SN)
    assert sn.inputs["authType"] == "AWS_IAM", sn.urn
    assert sn.inputs["name"] == "acme-db-sn"


def test_resource_gateway_sits_in_the_configured_subnets_with_its_own_security_group(owner_run):
    rgw = owner_run.one(RGW)
    gateway_sg = by_name(owner_run, "network-gateway-sg")
    assert rgw.inputs["vpcId"] == VPC
    assert rgw.inputs["subnetIds"] == ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]
    assert rgw.inputs["ipAddressType"] == "IPV4"
    assert "resourceConfigDnsResolution" not in rgw.inputs  # IN_VPC can't serve ARN configurations
    assert rgw.property_dependencies["securityGroupIds"] == [gateway_sg.urn], rgw.urn


def test_owner_vpc_is_associated_only_when_asked(owner_run, values):
    assert owner_run.of_type(SNVA) == []
    values["network"]["associateOwnerVpc"] = True
    association = run_owner(values).one(SNVA)
    assert association.inputs["vpcIdentifier"] == VPC


# --- database ------------------------------------------------------------------------------------------------


def test_database_is_private_encrypted_backed_up_and_has_no_password_in_code(owner_run):
    db = owner_run.one(DB)
    i = db.inputs
    assert (i["engine"], i["engineVersion"], i["storageType"]) == ("mysql", "8.4", "gp3"), db.urn
    assert i["storageEncrypted"] is True and i["publiclyAccessible"] is False
    assert i["manageMasterUserPassword"] is True and "password" not in i
    assert i["iamDatabaseAuthenticationEnabled"] is True
    assert i["backupRetentionPeriod"] >= 7
    assert i["copyTagsToSnapshot"] is True and i["autoMinorVersionUpgrade"] is True
    assert i["engineLifecycleSupport"] == "open-source-rds-extended-support-disabled"
    assert {"audit", "error", "general", "slowquery"} <= set(i["enabledCloudwatchLogsExports"])
    assert i["username"] == "lattice_admin"


def test_production_profile_protects_the_database(owner_run):
    db = owner_run.one(DB)
    assert db.inputs["deletionProtection"] is True and db.protect is True, db.urn
    assert db.inputs["skipFinalSnapshot"] is False and db.inputs["finalSnapshotIdentifier"] == "acme-db-db-final"
    assert db.inputs["multiAz"] is True


def test_development_profile_drops_protection_but_keeps_the_final_snapshot(values):
    values["profile"] = "development"
    run = run_owner(values)
    db = run.one(DB)
    assert db.inputs["deletionProtection"] is False and db.protect is False and db.inputs["multiAz"] is False
    assert db.inputs["skipFinalSnapshot"] is False and db.inputs["finalSnapshotIdentifier"]
    bucket = by_name(run, "audit-bucket")
    assert bucket.protect is False and bucket.inputs["forceDestroy"] is True


def test_database_requires_tls_and_audits_connections(owner_run):
    db = owner_run.one(DB)
    params = owner_run.one("aws:rds/parameterGroup:ParameterGroup")
    options = owner_run.one("aws:rds/optionGroup:OptionGroup")
    assert params.inputs["family"] == "mysql8.4"
    assert {p["name"]: p["value"] for p in params.inputs["parameters"]}["require_secure_transport"] == "1"
    (plugin,) = options.inputs["options"]
    assert plugin["optionName"] == "MARIADB_AUDIT_PLUGIN"
    assert "CONNECT" in plugin["optionSettings"][0]["value"]
    assert (options.inputs["engineName"], options.inputs["majorEngineVersion"]) == ("mysql", "8.4")
    assert db.property_dependencies["parameterGroupName"] == [params.urn]
    assert db.property_dependencies["optionGroupName"] == [options.urn]


def test_fixed_name_resources_are_replaced_by_deleting_first(owner_run):
    for typ in (SN, RGW, RCFG):
        resource = owner_run.one(typ)
        assert resource.delete_before_replace is True, f"{resource.urn}: its fixed name would collide"


def test_resource_configuration_is_type_arn_pointing_at_the_instance(owner_run):
    rcfg = owner_run.one(RCFG)
    db = owner_run.one(DB)
    rgw = owner_run.one(RGW)
    assert rcfg.inputs["type"] == "ARN", rcfg.urn
    arn = rcfg.inputs["resourceConfigurationDefinition"]["arnResource"]["arn"]
    assert arn == f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:acme-db-db"
    assert "portRanges" not in rcfg.inputs and "protocol" not in rcfg.inputs
    assert rcfg.inputs["allowAssociationToShareableServiceNetwork"] is True
    assert rcfg.property_dependencies["resourceConfigurationDefinition"] == [db.urn]
    assert rcfg.property_dependencies["resourceGatewayIdentifier"] == [rgw.urn]
    assert rcfg.inputs["resourceGatewayIdentifier"].startswith("rgw-")


def test_resource_configuration_is_associated_by_id_with_the_network(owner_run):
    snra = owner_run.one(SNRA)
    assert snra.inputs["resourceConfigurationIdentifier"].startswith("rcfg-"), snra.urn  # ID, not ARN
    assert snra.inputs["serviceNetworkIdentifier"].startswith("sn-")
    # Set, and true: AWS fixes it at true for ARN configurations, and the provider would otherwise assume false.
    assert snra.inputs.get("privateDnsEnabled") is True, snra.urn


# --- security groups -----------------------------------------------------------------------------------------


def test_only_the_gateway_path_reaches_the_database(owner_run):
    db_sg, gateway_sg = by_name(owner_run, "database-sg"), by_name(owner_run, "network-gateway-sg")
    for sg in owner_run.of_type(SG):
        assert "ingress" not in sg.inputs and "egress" not in sg.inputs, f"{sg.urn} has inline rules"
    (ingress,) = owner_run.of_type(INGRESS)
    (egress,) = owner_run.of_type(EGRESS)
    assert ingress.property_dependencies["securityGroupId"] == [db_sg.urn]
    assert ingress.property_dependencies["referencedSecurityGroupId"] == [gateway_sg.urn]
    assert egress.property_dependencies["securityGroupId"] == [gateway_sg.urn]
    assert egress.property_dependencies["referencedSecurityGroupId"] == [db_sg.urn]
    for rule in (ingress, egress):
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 3306, 3306)
        assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.inputs), rule.urn
    assert owner_run.one(DB).property_dependencies["vpcSecurityGroupIds"] == [db_sg.urn]


def test_a_custom_port_moves_both_rules(values):
    values["database"] = {"port": 3307}
    run = run_owner(values)
    for rule in run.of_type(INGRESS) + run.of_type(EGRESS):
        assert rule.inputs["fromPort"] == rule.inputs["toPort"] == 3307


# --- sharing -------------------------------------------------------------------------------------------------


def test_share_names_the_tenant_accounts_and_the_network_only(owner_run):
    share = owner_run.one("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False, share.urn
    (association,) = owner_run.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    assert association.property_dependencies["resourceArn"] == [owner_run.one(SN).urn]
    principals = sorted(
        p.inputs["principal"] for p in owner_run.of_type("aws:ram/principalAssociation:PrincipalAssociation")
    )
    assert principals == ["222222222222", "333333333333"]


def test_share_can_carry_the_resource_configuration_external_tenants_and_an_opted_in_organization(values):
    values["tenants"][1]["accountId"] = "444444444444"
    values["sharing"] = {
        "organizationPrincipals": ["arn:aws:organizations::999999999999:organization/o-exampleorg1"],
        "externalAccountIds": ["444444444444"],
        "resources": ["serviceNetwork", "resourceConfiguration"],
    }
    run = run_owner(values)
    assert run.one("aws:ram/resourceShare:ResourceShare").inputs["allowExternalPrincipals"] is True
    shared = {
        a.inputs["resourceArn"].split(":")[-1].split("/")[0]
        for a in run.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    }
    assert shared == {"servicenetwork", "resourceconfiguration"}
    principals = {
        p.name: p.inputs["principal"] for p in run.of_type("aws:ram/principalAssociation:PrincipalAssociation")
    }
    assert principals == {
        "sharing-principal-222222222222": "222222222222",
        "sharing-principal-444444444444": "444444444444",
        "sharing-principal-o-exampleorg1": "arn:aws:organizations::999999999999:organization/o-exampleorg1",
    }
    assert run.exports["sharing_scope"].startswith("ORGANIZATION-WIDE SHARING")
    assert "only IAM database authentication" in run.exports["sharing_scope"]


def test_default_sharing_scope_says_only_the_tenants_can_connect(owner_run):
    assert owner_run.exports["sharing_scope"] == (
        "The RAM share names exactly the 2 tenant account(s); no other account can create an endpoint to the "
        "service network."
    )


# --- auth ----------------------------------------------------------------------------------------------------


def test_auth_policy_guards_the_network_with_compact_json(owner_run):
    policy = owner_run.one("aws:vpclattice/authPolicy:AuthPolicy")
    assert policy.property_dependencies["resourceIdentifier"] == [owner_run.one(SN).urn]
    text = policy.inputs["policy"]
    assert "\n" not in text and len(text.encode()) <= documents.AUTH_POLICY_MAX_BYTES
    document = json.loads(text)
    assert documents.unconditioned_allows(document) == []
    condition = document["Statement"][0]["Condition"]
    assert condition["ArnLike"]["aws:PrincipalArn"] == f"arn:aws:iam::{ACCOUNT}:role/lattice-tenancy/acme-db/*"
    assert condition["DateLessThan"]["aws:CurrentTime"] == "2027-01-01T00:00:00Z"


def test_each_tenant_role_trusts_its_own_account_with_its_secret_external_id(owner_run):
    for tenant, account, team in (("tenant-a", "222222222222", "TeamA"), ("tenant-b", "333333333333", "TeamB")):
        role = by_name(owner_run, f"auth-{tenant}")
        assert role.inputs["path"] == "/lattice-tenancy/acme-db/" and role.inputs["name"] == f"acme-db-{tenant}"
        assert role.inputs["tags"]["Team"] == team and role.inputs["tags"]["TenantAccount"] == account
        assert is_secret(role.inputs["assumeRolePolicy"]), f"{role.urn}: trust policy holds the external ID"
        trust = json.loads(role.plain["assumeRolePolicy"])
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}, role.urn
        assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == EXTERNAL_IDS[tenant]


def test_each_tenant_role_connects_only_as_its_own_db_user(owner_run):
    db_resource_id = None
    for tenant, user in (("tenant-a", "tenant_a"), ("tenant-b", "b_app")):
        access = by_name(owner_run, f"auth-{tenant}-access")
        document = json.loads(access.inputs["policy"])
        connect = next(s for s in document["Statement"] if s["Action"] == "rds-db:connect")
        prefix = f"arn:aws:rds-db:eu-west-1:{ACCOUNT}:dbuser:db-"
        assert connect["Resource"].startswith(prefix) and connect["Resource"].endswith(f"/{user}"), access.urn
        db_resource_id = db_resource_id or connect["Resource"].split(":dbuser:")[1].split("/")[0]
        assert db_resource_id in connect["Resource"]
        assert owner_run.one(DB).urn in access.property_dependencies["policy"]


# --- audit ---------------------------------------------------------------------------------------------------


def test_audit_bucket_is_locked_down(owner_run):
    block = owner_run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    sse = owner_run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert (
        owner_run.one("aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"]
        == "Enabled"
    )
    ownership = owner_run.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    bucket = by_name(owner_run, "audit-bucket")
    assert bucket.inputs["bucket"] == f"acme-db-audit-{ACCOUNT}-eu-west-1" and bucket.inputs["forceDestroy"] is False
    assert bucket.protect is True


def test_trail_records_everything_after_its_bucket_policy_is_in_place(owner_run):
    trail = owner_run.one("aws:cloudtrail/trail:Trail")
    i = trail.inputs
    assert (
        i["isMultiRegionTrail"]
        and i["includeGlobalServiceEvents"]
        and i["enableLogFileValidation"]
        and i["enableLogging"]
    )
    policy = by_name(owner_run, "audit-bucket-policy")
    assert policy.urn in trail.dependencies, trail.urn
    statements = json.loads(policy.inputs["policy"])["Statement"]
    arn = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/{i['name']}"
    assert [s["Condition"]["StringEquals"]["aws:SourceArn"] for s in statements[1:]] == [arn, arn]


def test_both_access_log_types_go_to_a_retained_log_group(owner_run):
    group = owner_run.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == 365
    subscriptions = owner_run.of_type("aws:vpclattice/accessLogSubscription:AccessLogSubscription")
    assert sorted(s.inputs["serviceNetworkLogType"] for s in subscriptions) == ["RESOURCE", "SERVICE"]
    for s in subscriptions:
        assert s.property_dependencies["destinationArn"] == [group.urn]
        assert s.property_dependencies["resourceIdentifier"] == [owner_run.one(SN).urn]


def test_trail_can_be_left_to_an_organization_trail(values):
    values["audit"] = {"trail": False}
    run = run_owner(values)
    assert run.of_type("aws:cloudtrail/trail:Trail") == [] and run.of_type("aws:s3/bucket:Bucket") == []
    assert len(run.of_type("aws:vpclattice/accessLogSubscription:AccessLogSubscription")) == 2
    assert run.exports["trail_arn"] is None


# --- structure -----------------------------------------------------------------------------------------------


def test_every_resource_sits_under_one_of_the_five_components(owner_run):
    components = {r.urn: r for r in owner_run.registrations if not r.custom}
    assert {c.type for c in components.values()} == COMPONENTS
    for component in components.values():
        assert component.parent.endswith("pulumi:pulumi:Stack::lattice-tenancy-owner"), component.urn
    for resource in owner_run.registrations:
        if resource.custom:
            assert resource.parent in components, f"{resource.urn} is not a child of a component"
            parent = components[resource.parent]
            assert resource.name.startswith(f"{parent.name}-"), f"{resource.urn}: name not derived from {parent.name}"


def test_urns_are_unique(owner_run):
    urns = [r.urn for r in owner_run.registrations]
    assert len(urns) == len(set(urns))


def test_taggable_resources_carry_the_stack_tags(owner_run):
    tagged = [r for r in owner_run.registrations if r.custom and "tags" in r.inputs]
    assert len(tagged) >= 15
    for r in tagged:
        assert (
            r.inputs["tags"]["ManagedBy"] == "pulumi/lattice-tenancy" and r.inputs["tags"]["CostCenter"] == "platform"
        ), r.urn


def _canonical(run) -> str:
    return json.dumps(
        [r.__dict__ for r in sorted(run.registrations, key=lambda r: r.urn)] + [run.exports], sort_keys=True
    )


def test_the_same_config_gives_the_same_plan_byte_for_byte(owner_run):
    assert _canonical(run_owner()) == _canonical(owner_run)


def test_a_different_config_gives_a_different_plan(owner_run, values):
    values["database"] = {"backupRetentionDays": 8}
    assert _canonical(run_owner(values)) != _canonical(owner_run)


# --- contract ------------------------------------------------------------------------------------------------


def test_exports_are_the_typed_contract(owner_run):
    assert set(CONTRACT_KEYS) <= set(owner_run.exports)
    contract = OwnerContract.model_validate(owner_run.exports)
    assert contract.contract_version == CONTRACT_VERSION
    assert contract.owner_account_id == ACCOUNT and contract.region == "eu-west-1"
    assert contract.service_network_arn.startswith(f"arn:aws:vpc-lattice:eu-west-1:{ACCOUNT}:servicenetwork/sn-")
    assert contract.resource_configuration_arn.startswith("arn:aws:vpc-lattice:")
    assert contract.resource_share_arn.startswith("arn:aws:ram:")
    assert contract.database_dns_name.endswith(".on.aws") and contract.database_port == 3306
    assert contract.tenant_db_users == {"tenant-a": "tenant_a", "tenant-b": "b_app"}
    assert contract.tenant_account_ids == {"tenant-a": "222222222222", "tenant-b": "333333333333"}
    assert (
        contract.tenant_role_arns["tenant-a"] == f"arn:aws:iam::{ACCOUNT}:role/lattice-tenancy/acme-db/acme-db-tenant-a"
    )


def test_auth_policy_does_not_grow_with_tenants(values):
    def policy_for(count):
        values["tenants"] = [
            {"name": f"t-{i:03d}", "accountId": f"{200000000000 + i:012d}", "team": f"Team{i:03d}"}
            for i in range(count)
        ]
        values["externalIds"] = {t["name"]: f"external-id-{t['name']}-000" for t in values["tenants"]}
        return run_owner(values).one("aws:vpclattice/authPolicy:AuthPolicy").inputs["policy"]

    assert policy_for(1) == policy_for(40)


def test_no_secret_reaches_an_export(owner_run):
    text = json.dumps(owner_run.exports)
    for external_id in EXTERNAL_IDS.values():
        assert external_id not in text
    assert owner_run.secret_exports == set()


# --- user errors end the run before anything is declared ----------------------------------------------------


def _program_error(values, **kwargs) -> str:
    with pytest.raises(ProgramError) as caught:
        run_owner(values, **kwargs)
    assert caught.value.registrations == [], "resources were declared before the config was rejected"
    return str(caught.value)


def test_bad_config_ends_the_run_with_one_message_and_no_resources(values):
    values["tenants"][0]["accountId"] = "12345"
    message = _program_error(values)
    assert "lattice-tenancy:tenants[0].accountId" in message and "12 digits" in message


def test_subnets_outside_the_vpc_or_in_one_zone_are_refused(values):
    values["network"]["subnetIds"] = ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60013"]
    assert "all subnets are in one Availability Zone" in _program_error(values)
    values["network"]["subnetIds"] = ["subnet-0a1b2c3d4e5f60011", "subnet-0fffffffffffff999"]
    message = _program_error(values)
    assert "lattice-tenancy:network.subnetIds: subnet-0fffffffffffff999 is in vpc-0fffffffffffff999" in message


def test_a_kms_key_in_another_region_is_refused(values):
    values["audit"] = {"kmsKeyArn": "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    message = _program_error(values)
    assert "lattice-tenancy:audit.kmsKeyArn: the key is in us-east-1" in message


def test_credentials_for_the_wrong_account_are_refused(values):
    values["expectedAccountId"] = "999999999999"
    message = _program_error(values)
    assert "lattice-tenancy:expectedAccountId" in message and ACCOUNT in message
