"""The offline plan: every stack in deployment order, JSON stable byte for byte, diagram in sync, estimate, errors."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tenancy.contract import CONTRACT_VERSION
from tooling import access, diagram, estimate, plan, stackfiles

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plans():
    return plan.plan_all(ROOT)


def test_every_stack_is_planned_owner_first_and_tenants_get_the_owners_exports(plans):
    names = [p.name for p in plans]
    assert names[0] == "owner" and set(names) == set(stackfiles.stack_names(ROOT))
    assert all(p.error is None for p in plans), [p.error for p in plans]
    owner = plans[0]
    for tenant in plans[1:]:
        assert set(tenant.inputs_from.values()) == {"owner"}
        endpoint = next(r for r in tenant.resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint")
        assert endpoint.inputs["serviceNetworkArn"] == owner.result.exports["service_network_arn"]
    assert not plan.failed(plans)


def test_json_is_complete_and_stable_byte_for_byte(plans):
    first = plan.as_json(plans)
    assert first == plan.as_json(plan.plan_all(ROOT))
    document = json.loads(first)
    owner = document["stacks"][0]
    resource = next(r for r in owner["resources"] if r["type"] == "aws:rds/instance:Instance")
    assert {"urn", "type", "name", "parent", "inputs", "dependencies", "propertyDependencies", "options"} <= set(
        resource
    )
    assert resource["inputs"]["storageEncrypted"] is True and resource["options"]["protect"] is True
    assert owner["exports"]["contract_version"] == CONTRACT_VERSION
    assert document["estimate"]["totalSeconds"] > 0


def test_tree_reads_like_a_preview_within_120_columns(plans):
    text = "\n".join([*(plan.render_stack(p) for p in plans), estimate.render(plans), plan.summary(plans)])
    assert max(len(line) for line in text.splitlines()) <= 120
    assert " +   ├─ lattice-tenancy:database:Database" in text
    assert "authType=AWS_IAM" in text and "assumeRolePolicy=[secret]" in text
    assert " >   └─ pulumi:pulumi:StackReference" in text  # the tenant's read of the owner
    for p in plans:
        assert f"{p.name}:" in plan.summary(plans)


def test_readme_embeds_the_generated_diagram(plans):
    assert diagram.readme_block(plans) in (ROOT / "README.md").read_text(), "run `make diagram`"


def test_diagram_links_the_tenant_to_the_owner_by_arn(plans):
    text = diagram.mermaid(plans)
    assert "tenant_a_connection_VPC_endpoint -.->|by ARN| owner_network_service_network" in text
    assert "owner_network_security_group -->|traffic tcp 3306| owner_database_security_group" in text


def _r(urn, seconds_type, deps=(), parent="stack", custom=True):
    return SimpleNamespace(
        urn=urn, type=seconds_type, parent=parent, custom=custom, is_read=False, inputs={},
        dependencies=list(deps), property_dependencies={},
    )  # fmt: skip


def test_critical_path_is_the_longest_dependency_chain():
    db, rgw = "aws:rds/instance:Instance", "aws:vpclattice/resourceGateway:ResourceGateway"
    rcfg = "aws:vpclattice/resourceConfiguration:ResourceConfiguration"
    resources = [
        _r("db", db),
        _r("rgw", rgw),
        _r("rcfg", rcfg, ["db", "rgw"]),
        _r("component", "x:y:Z", custom=False),
        _r("inside", "aws:iam/role:Role", parent="component"),
        _r("late", "aws:iam/role:Role", ["component", "rcfg"]),
    ]
    seconds, path = estimate.critical_path(resources)
    assert path == ["db", "rcfg", "late"]
    assert seconds == 600 + 20 + 3
    serial = sum(estimate.seconds(r) for r in resources)
    assert serial == 600 + 180 + 20 + 3 + 3


def test_estimate_puts_tenants_after_their_owner(plans):
    data = estimate.for_plans(plans)
    owner = data["stacks"]["owner"]
    assert "database-instance" in owner["criticalPath"]
    assert owner["criticalPathSeconds"] < owner["serialSeconds"]
    tenants = [s for name, s in data["stacks"].items() if name != "owner"]
    assert data["totalSeconds"] == owner["criticalPathSeconds"] + max(t["criticalPathSeconds"] for t in tenants)


def _repo_copy(tmp_path: Path) -> Path:
    for name in ["Pulumi.yaml", "Pulumi.owner.yaml", "Pulumi.tenant-a.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_invalid_config_fails_the_plan_with_the_runs_message(tmp_path):
    root = _repo_copy(tmp_path)
    owner = (root / "Pulumi.owner.yaml").read_text()
    (root / "Pulumi.owner.yaml").write_text(
        owner.replace("organizationPrincipals: []", "organizationPrincipals: [not-an-arn]")
    )
    plans = plan.plan_all(root)
    assert "lattice-tenancy:sharing.organizationPrincipals[0]" in plans[0].error, plans[0].error
    assert "organization or OU ARN" in plans[0].error
    assert plan.failed(plans)
    # The tenant can't be planned without its owner, and says so in its own words (not the owner's message).
    assert plans[1].error.startswith("not planned: lattice-tenancy:ownerStack (acme/lattice-tenancy/owner)")
    assert "could not be planned (its error is shown under stack owner)" in plans[1].error
    assert "organizationPrincipals" not in plans[1].error


def test_organization_sharing_is_stated_as_an_over_share_in_the_plan_and_the_access_report(tmp_path):
    root = _repo_copy(tmp_path)
    org = "arn:aws:organizations::999999999999:organization/o-exampleorg1"
    owner = (root / "Pulumi.owner.yaml").read_text()
    (root / "Pulumi.owner.yaml").write_text(
        owner.replace("organizationPrincipals: []", f"organizationPrincipals: [{org}]")
    )
    plans = plan.plan_all(root)
    text = " ".join(plan.render_stack(plans[0]).split())
    assert (
        f"Sharing scope: ORGANIZATION-WIDE SHARING (sharing.organizationPrincipals or tenantSources, an opt-in): every account in {org}"
        in text
    )
    assert "only IAM database authentication" in text
    report = plan.access_reports(plans)["owner"]
    assert "ORGANIZATION-WIDE SHARING" in access.render(report, plan.sharing_scopes(plans)["owner"])
    assert not plan.failed(plans)


def test_a_tenant_the_owner_does_not_know_fails_with_the_contract_message(tmp_path):
    root = _repo_copy(tmp_path)
    tenant = (
        (root / "Pulumi.tenant-a.yaml")
        .read_text()
        .replace("lattice-tenancy:tenant: tenant-a", "lattice-tenancy:tenant: tenant-x")
    )
    (root / "Pulumi.tenant-a.yaml").write_text(tenant)
    plans = plan.plan_all(root)
    assert plans[0].error is None
    assert "'tenant-x' is not a tenant of acme/lattice-tenancy/owner" in plans[1].error


def test_the_command_exits_non_zero_without_a_traceback_on_errors(tmp_path):
    root = _repo_copy(tmp_path)
    (root / "Pulumi.tenant-a.yaml").write_text(
        (root / "Pulumi.tenant-a.yaml").read_text().replace("tenant: tenant-a", "tenant: tenant-x")
    )
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "plan", "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "tenant-a: FAILED" in done.stdout


# --- replacements that can't collide ---------------------------------------------------------------------------

# Inputs that hold a resource's own physical name (wire names), and what each type's name is unique within.
PHYSICAL_NAME_INPUTS = ("name", "identifier", "bucket", "functionName", "topicName", "alarmName", "dashboardName")
# Types whose name input is not their own unique physical name: the `bucket` of an S3 attachment names its
# bucket; RAM share names need not be unique (CreateResourceShare accepts duplicates).
NAME_IS_NOT_UNIQUE = {
    "aws:ram/resourceShare:ResourceShare",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    # Names the recorder it switches on; the delivery channel is one per account (replaced delete-first).
    "aws:cfg/recorderStatus:RecorderStatus",
}


# Types AWS allows once per parent or pair (a VPC's one service-network association; one association of a resource
# configuration with a network; one access log subscription per log type): replaced by deleting first, like names.
UNIQUE_PER_PARENT = {
    "aws:vpclattice/serviceNetworkVpcAssociation:ServiceNetworkVpcAssociation",
    "aws:vpclattice/serviceNetworkResourceAssociation:ServiceNetworkResourceAssociation",
    "aws:vpclattice/accessLogSubscription:AccessLogSubscription",
}


def fixed_name_resources_without_a_replacement_strategy(planned) -> list[str]:
    found = []
    for stack in planned:
        for r in stack.resources:
            if not r.custom or r.is_read or r.type in NAME_IS_NOT_UNIQUE:
                continue
            fixed = [k for k in PHYSICAL_NAME_INPUTS if k in r.inputs] or (
                ["one per parent"] if r.type in UNIQUE_PER_PARENT else []
            )
            if fixed and not r.delete_before_replace:
                found.append(f"{stack.name}: {r.type} {r.name} ({', '.join(fixed)})")
    return found


def test_every_fixed_name_resource_in_the_plan_can_be_replaced(plans, tmp_path):
    # Every stack file, plus the modes and options the shipped files don't use.
    root = _repo_copy(tmp_path)
    owner = (root / "Pulumi.owner.yaml").read_text()
    (root / "Pulumi.owner.yaml").write_text(
        owner.replace("associateOwnerVpc: false", "associateOwnerVpc: true").replace(
            "resources: [serviceNetwork]", "resources: [serviceNetwork, resourceConfiguration]"
        )
    )
    tenant = (root / "Pulumi.tenant-a.yaml").read_text()
    for mode in ("association", "resource"):
        (root / f"Pulumi.tenant-{mode}.yaml").write_text(tenant.replace("connection: endpoint", f"connection: {mode}"))
    variants = plan.plan_all(root)
    assert all(p.error is None for p in variants), [p.error for p in variants]
    assert fixed_name_resources_without_a_replacement_strategy([*plans, *variants]) == []


def test_the_replacement_check_finds_a_fixed_name_without_a_strategy(plans):
    broken = copy.deepcopy(plans[:1])
    trail = next(r for r in broken[0].result.registrations if r.type == "aws:cloudtrail/trail:Trail")
    trail.delete_before_replace = False
    sg = next(r for r in broken[0].result.registrations if r.type == "aws:ec2/securityGroup:SecurityGroup")
    sg.inputs["name"] = sg.inputs.pop("namePrefix") + "fixed"
    assert fixed_name_resources_without_a_replacement_strategy(broken) == [
        "owner: aws:cloudtrail/trail:Trail audit-trail (name)",
        f"owner: aws:ec2/securityGroup:SecurityGroup {sg.name} (name)",
    ]
