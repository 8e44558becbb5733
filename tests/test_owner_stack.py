"""The owner program under Pulumi mocks: what each component declares, how they connect, what is exported."""

from __future__ import annotations

import json

import pytest

from tenancy import documents
from tenancy.contract import CONTRACT_KEYS, CONTRACT_VERSION, OwnerContract
from tests.conftest import ACCOUNT, EXTERNAL_IDS, VPC, run_owner
from tooling.mock_engine import ProgramError
from tooling.records import is_secret

SN = "aws:vpclattice/serviceNetwork:ServiceNetwork"
EXCLUSIVE = "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive"
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
    "lattice-tenancy:flow_logs:FlowLogs",
    "lattice-tenancy:monitoring:Monitoring",
    "lattice-tenancy:chargeback:Chargeback",
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
    assert db.inputs["skipFinalSnapshot"] is False and db.inputs["finalSnapshotIdentifier"].startswith(
        "acme-db-db-final-"
    )
    assert db.inputs["multiAz"] is True


def test_development_profile_drops_protection_but_keeps_the_final_snapshot(values):
    values["profile"] = "development"
    run = run_owner(values)
    db = run.one(DB)
    assert db.inputs["deletionProtection"] is False and db.protect is False and db.inputs["multiAz"] is False
    assert db.inputs["skipFinalSnapshot"] is False and db.inputs["finalSnapshotIdentifier"]
    bucket = by_name(run, "audit-bucket")
    assert bucket.protect is False and bucket.inputs["forceDestroy"] is True


def test_a_replacement_names_its_final_snapshot_apart_from_the_last_ones(values, owner_run):
    first = owner_run.one(DB).inputs["finalSnapshotIdentifier"]
    values["database"] = {"kmsKeyArn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    second = run_owner(values).one(DB).inputs["finalSnapshotIdentifier"]  # a new key replaces the instance
    assert first.startswith("acme-db-db-final-") and second.startswith("acme-db-db-final-") and first != second
    assert owner_run.one(DB).inputs["applyImmediately"] is True


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


def test_enhanced_monitoring_every_60_s_through_a_role_only_rds_may_assume_for_this_instance(owner_run):
    db, role = owner_run.one(DB), by_name(owner_run, "database-monitoring-role")
    attachment = by_name(owner_run, "database-monitoring-policy")
    assert db.inputs["monitoringInterval"] == 60
    assert db.property_dependencies["monitoringRoleArn"] == [role.urn] and attachment.urn in db.dependencies
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:acme-db-db"},
    }
    assert role.inputs["path"] == "/service-role/"


def test_enhanced_monitoring_off_on_purpose_creates_no_role(values):
    values["database"] = {"monitoringIntervalSeconds": 0, "monitoringOffReason": "the organization's agent covers it"}
    run = run_owner(values)
    assert run.one(DB).inputs["monitoringInterval"] == 0 and "monitoringRoleArn" not in run.one(DB).inputs
    assert [r for r in run.of_type("aws:iam/role:Role") if r.name.startswith("database-monitoring")] == []


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
    # One resource owns every association of the share (anything else added to it is removed on the next up).
    associations = owner_run.one(EXCLUSIVE)
    assert associations.property_dependencies["resourceArns"] == [owner_run.one(SN).urn]
    assert associations.property_dependencies["resourceShareArn"] == [share.urn]
    assert associations.inputs["principals"] == ["222222222222", "333333333333"]
    assert not owner_run.of_type("aws:ram/principalAssociation:PrincipalAssociation")


def test_share_can_carry_the_resource_configuration_external_tenants_and_an_opted_in_organization(values):
    values["tenants"][1]["accountId"] = "444444444444"
    values["sharing"] = {
        "organizationPrincipals": ["arn:aws:organizations::999999999999:organization/o-exampleorg1"],
        "externalAccountIds": ["444444444444"],
        "resources": ["serviceNetwork", "resourceConfiguration"],
    }
    run = run_owner(values)
    assert run.one("aws:ram/resourceShare:ResourceShare").inputs["allowExternalPrincipals"] is True
    associations = run.one(EXCLUSIVE)
    shared = {arn.split(":")[-1].split("/")[0] for arn in associations.inputs["resourceArns"]}
    assert shared == {"servicenetwork", "resourceconfiguration"}
    assert associations.inputs["principals"] == [
        "222222222222",
        "444444444444",
        "arn:aws:organizations::999999999999:organization/o-exampleorg1",
    ]
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


BUCKET_GUARDS = {
    "public-access": "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "encryption": "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "versioning": "aws:s3/bucketVersioning:BucketVersioning",
    "ownership": "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "policy": "aws:s3/bucketPolicy:BucketPolicy",
}
KEY = "aws:kms/key:Key"


def sse_of(run, bucket: str) -> dict:
    rule = by_name(run, f"{bucket}-encryption").inputs["rules"][0]
    return {**rule["applyServerSideEncryptionByDefault"], "bucketKey": rule["bucketKeyEnabled"]}


@pytest.mark.parametrize("bucket", ["audit-bucket", "audit-s3logs"])
def test_audit_and_server_access_log_buckets_are_equally_locked_down(owner_run, bucket):
    resource = by_name(owner_run, bucket)
    assert resource.protect is True and resource.inputs["forceDestroy"] is False and resource.delete_before_replace
    for suffix, typ in BUCKET_GUARDS.items():
        guard = by_name(owner_run, f"{bucket}-{suffix}")
        assert guard.type == typ and guard.property_dependencies["bucket"] == [resource.urn], guard.urn
    block = by_name(owner_run, f"{bucket}-public-access").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert by_name(owner_run, f"{bucket}-versioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    assert by_name(owner_run, f"{bucket}-ownership").inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"
    deny = json.loads(by_name(owner_run, f"{bucket}-policy").inputs["policy"])["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_audit_bucket_logs_its_access_into_the_log_bucket(owner_run):
    audit, logs = by_name(owner_run, "audit-bucket"), by_name(owner_run, "audit-s3logs")
    assert audit.inputs["bucket"] == f"acme-db-audit-{ACCOUNT}-eu-west-1"
    assert logs.inputs["bucket"] == f"acme-db-s3logs-{ACCOUNT}-eu-west-1"
    logging = owner_run.one("aws:s3/bucketLogging:BucketLogging")
    assert logging.property_dependencies["bucket"] == [audit.urn]
    assert logging.property_dependencies["targetBucket"] == [logs.urn]
    assert logging.inputs["targetPrefix"] == "audit-bucket/"
    assert by_name(owner_run, "audit-s3logs-policy").urn in logging.dependencies
    # Log delivery writes only SSE-S3 objects, only under the prefix, only for the audit bucket of this account.
    assert sse_of(owner_run, "audit-s3logs") == {"sseAlgorithm": "AES256", "bucketKey": False}
    allow = json.loads(by_name(owner_run, "audit-s3logs-policy").inputs["policy"])["Statement"][1]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"} and allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"arn:aws:s3:::acme-db-s3logs-{ACCOUNT}-eu-west-1/audit-bucket/*"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::acme-db-audit-{ACCOUNT}-eu-west-1"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    rule = owner_run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"][0]
    assert rule["status"] == "Enabled" and rule["expiration"]["days"] == 365


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


def test_trail_delivers_to_cloudwatch_logs_through_a_role_only_it_may_assume(owner_run):
    trail = owner_run.one("aws:cloudtrail/trail:Trail")
    group, role = by_name(owner_run, "audit-trail-logs"), by_name(owner_run, "audit-trail-role")
    assert group.inputs["name"] == "/aws/cloudtrail/acme-db" and group.inputs["retentionInDays"] == 365
    assert (
        trail.inputs["cloudWatchLogsGroupArn"]
        == f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/cloudtrail/acme-db:*"
    )
    assert trail.property_dependencies["cloudWatchLogsRoleArn"] == [role.urn]
    assert by_name(owner_run, "audit-trail-role-policy").urn in trail.dependencies
    trail_arn = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/acme-db-trail"
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": trail_arn},
    }
    assert role.inputs["path"] == "/service-role/"  # never under the tenant path the auth policy admits
    (allow,) = json.loads(by_name(owner_run, "audit-trail-role-policy").inputs["policy"])["Statement"]
    assert allow["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert allow["Resource"] == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/cloudtrail/acme-db:log-stream:{ACCOUNT}_CloudTrail_eu-west-1*"
    )


def test_production_creates_one_rotated_protected_key_for_the_trail_bucket_and_log_groups(owner_run):
    key = by_name(owner_run, "audit-key")
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] >= 7 and key.protect
    users = {
        "trail": (by_name(owner_run, "audit-trail"), "kmsKeyId"),
        "access logs": (by_name(owner_run, "audit-access-logs"), "kmsKeyId"),
        "trail logs": (by_name(owner_run, "audit-trail-logs"), "kmsKeyId"),
        "audit bucket": (by_name(owner_run, "audit-bucket-encryption"), "rules"),
    }
    for what, (resource, key_input) in users.items():
        assert resource.property_dependencies[key_input] == [key.urn], what
    assert sse_of(owner_run, "audit-bucket")["sseAlgorithm"] == "aws:kms"
    assert sse_of(owner_run, "audit-bucket")["bucketKey"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["AccountAdministratorsThroughIam"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    trail_arn = f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/acme-db-trail"
    for sid in ("CloudTrailEncryptsThisTrailsLogs", "CloudTrailDescribesTheKey"):
        assert statements[sid]["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    logs = statements["CloudWatchLogsForTheseLogGroups"]
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"]["StringEquals"]["kms:EncryptionContext:aws:logs:arn"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/cloudtrail/acme-db",
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/vendedlogs/vpc-lattice/acme-db",
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/vpc-flow-logs/acme-db",
    ]
    assert owner_run.exports["audit_key_arn"].startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    alias = by_name(owner_run, "audit-key-alias")
    assert alias.property_dependencies["targetKeyId"] == [key.urn]


def test_development_keeps_aws_managed_keys(values):
    values["profile"] = "development"
    run = run_owner(values)
    assert [k.name for k in run.of_type(KEY)] == ["monitoring-key"] and run.exports["audit_key_arn"] is None
    assert sse_of(run, "audit-bucket") == {"sseAlgorithm": "AES256", "bucketKey": False}
    for name in ("audit-trail", "audit-access-logs", "audit-trail-logs"):
        assert "kmsKeyId" not in by_name(run, name).inputs, name


def test_a_configured_key_is_used_and_none_is_created(values):
    arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    values["audit"] = {"kmsKeyArn": arn}
    run = run_owner(values)
    assert [k.name for k in run.of_type(KEY)] == ["monitoring-key"]  # the alerts topic's own key only
    assert by_name(run, "audit-trail").inputs["kmsKeyId"] == arn
    assert sse_of(run, "audit-bucket")["kmsMasterKeyId"] == arn


def test_both_access_log_types_go_to_a_retained_log_group(owner_run):
    group = by_name(owner_run, "audit-access-logs")
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
    # The only secret export: the external IDs of tenants discovered from OUs (none in this config).
    assert owner_run.secret_exports <= {"discovered_external_ids"}
    assert owner_run.exports["discovered_external_ids"] == {}


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


@pytest.mark.parametrize(
    ("database", "says"),
    [
        ({"instanceClass": "db.t4g.smal"}, "database.instanceClass: db.t4g.smal can't be ordered in eu-west-1 for MySQL 8.4.7"),
        ({"instanceClass": "db.m6g.micro"}, "describe-orderable-db-instance-options --engine mysql --engine-version 8.4.7"),
    ],
)  # fmt: skip
def test_an_instance_class_rds_cannot_order_is_refused_before_anything_is_created(values, database, says):
    values["database"] = database
    message = _program_error(values)
    assert says in message and "(e.g. db.t3.micro can)" in message


def test_an_orderable_class_passes_the_lookup(values):
    values["database"] = {"instanceClass": "db.r7g.large"}
    assert run_owner(values).one(DB).inputs["instanceClass"] == "db.r7g.large"


def test_credentials_for_the_wrong_account_are_refused(values):
    values["expectedAccountId"] = "999999999999"
    message = _program_error(values)
    assert "lattice-tenancy:expectedAccountId" in message and ACCOUNT in message
