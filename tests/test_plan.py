"""The offline plan: every stack in deployment order, JSON stable byte for byte, diagram in sync, estimate, errors."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.plan_scale import write_project
from tenancy.contract import CONTRACT_VERSION
from tests.conftest import instances_made
from tests.deploy_fakes import stack_file
from tooling import (
    access,
    cli,
    diagram,
    estimate,
    mock_engine,
    plan,
    policy_evaluation,
    second_core,
    stackfiles,
)
from tooling.second_core import Lane

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def plans(repo_plans):
    return repo_plans  # tests/conftest.py: planned once per session


def test_every_stack_is_planned_owner_first_and_tenants_get_the_owners_exports(plans):
    names = [p.name for p in plans]
    assert names[0] == "owner" and set(names) == set(stackfiles.stack_names(ROOT))
    assert all(p.error is None for p in plans), [p.error for p in plans]
    # Owners, then recovery stacks (each reads its primary), then tenants (each reads the stack serving its Region).
    assert [p.kind for p in plans] == sorted((p.kind for p in plans), key=stackfiles.DEPLOY_ORDER.__getitem__)
    by_name = {p.name: p for p in plans}
    for reader in plans[1:]:
        (source,) = set(reader.inputs_from.values())
        served = by_name[source]
        assert (served.kind in ("owner", "recovery") and served.region == reader.region) or reader.kind == "recovery"
        if reader.kind == "tenant":
            endpoint = next(r for r in reader.resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint")
            assert endpoint.inputs["serviceNetworkArn"] == served.result.exports["service_network_arn"]
    assert not plan.failed(plans)


@pytest.mark.fresh_plans
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
    recovery = data["stacks"]["owner-dr"]
    assert "database-instance" in recovery["criticalPath"]  # the cross-Region replica, 30 min
    tenants = [s for name, s in data["stacks"].items() if name.startswith("tenant-")]
    assert data["totalSeconds"] == (
        owner["criticalPathSeconds"] + recovery["criticalPathSeconds"] + max(t["criticalPathSeconds"] for t in tenants)
    )


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


def test_the_command_exits_non_zero_without_a_traceback_on_errors(tmp_path, capsys):
    root = _repo_copy(tmp_path)
    (root / "Pulumi.tenant-a.yaml").write_text(
        (root / "Pulumi.tenant-a.yaml").read_text().replace("tenant: tenant-a", "tenant: tenant-x")
    )
    # In-process (an exception escaping main would fail the test); tests/test_cli.py runs the entry point itself.
    assert cli.main(["plan", "--root", str(root)]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert "tenant-a: FAILED" in out.out


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


def test_the_recovery_stack_is_planned_in_its_region_with_the_region_on_every_regional_resource(plans):
    document = json.loads(plan.as_json(plans))
    stacks = {s["name"]: s for s in document["stacks"]}
    recovery = stacks["owner-dr"]
    assert recovery["kind"] == "recovery" and recovery["region"] == "eu-central-1"
    assert set(recovery["inputsFrom"].values()) == {"owner"}
    for stack in stacks.values():
        for r in stack["resources"]:
            if r["custom"] and not r["read"]:
                expected = (
                    "global" if r["type"].startswith(("aws:iam/", "aws:budgets/", "aws:bcmdata/", "aws:arc")) else None
                )
                assert r["region"] == (expected or r["inputs"].get("region") or stack["region"]), r["urn"]
    replica = next(r for r in recovery["resources"] if r["type"] == "aws:rds/instance:Instance")
    assert replica["region"] == "eu-central-1" and replica["inputs"]["replicateSourceDb"].startswith(
        "arn:aws:rds:eu-west-1:"
    )
    forwarded = [r for r in stacks["owner"]["resources"] if r.get("region") == "us-east-1"]
    assert forwarded, "the IAM-event forwarding rule lives in us-east-1"


def test_the_access_analysis_covers_both_regions(plans):
    reports = plan.access_reports(plans)
    assert set(reports) == {"owner", "owner-dr"}
    for owner, report in reports.items():
        assert report and all(check.ok for access in report for check in access.checks), owner
    standby = next(a for a in reports["owner-dr"] if a.tenant == "tenant-a")
    connects = [c for c in standby.database if c.what.startswith("rds-db:connect")]
    assert {c.actual for c in connects} == {"allow", "implicit-deny"}
    assert "tenant stack tenant-a-dr" in " ".join(standby.path)


def test_the_diagram_shows_both_regions_and_the_replication(plans):
    text = diagram.mermaid(plans)
    assert '["eu-west-1"]' in text and '["eu-central-1"]' in text
    assert "owner_dr_database_RDS_instance -.->|replicates| owner_database_RDS_instance" in text


@pytest.mark.fresh_plans
@pytest.mark.usefixtures("forking")
def test_the_plan_on_two_cores_is_the_plan_on_one_byte_for_byte(tmp_path, monkeypatch):
    write_project(tmp_path, 60)  # past PAIRWISE_LIMIT: tenants checked against their neighbours
    monitors = instances_made(monkeypatch, mock_engine.RecordingMonitor)
    forks: list[str] = []
    fork_child = second_core.fork_child
    monkeypatch.setattr(second_core, "fork_child", lambda body: forks.append("fork") or fork_child(body))
    on_two = plan.as_json(plan.plan_all(tmp_path))  # every shipped stack, the owner's with 60 tenants
    assert len(monitors) == 2  # the owner and recovery programs ran in children, the two tenant stacks here
    # Those two, the stack policies of the owner (and of the recovery stack if large) and the owner's access analysis.
    assert len(forks) >= 4, forks
    assert on_two == plan.as_json(plan.plan_all(tmp_path, lane=Lane(fork=False)))
    assert len(monitors) == 2 + 4
    assert '"tenant-0059"' in on_two and '"owner-dr"' in on_two


@pytest.mark.parametrize("fork", [True, False], ids=["stack-policies-in-a-child", "in-one-process"])
def test_the_stacks_that_read_a_stack_whose_pack_failed_are_not_planned(monkeypatch, fork):
    finish = policy_evaluation.Evaluation.finish

    def failing_on_the_owner(self, resources):
        if resources and resources[0].urn.startswith("urn:pulumi:owner::"):
            raise policy_evaluation.PolicyFailure("stack policy lattice-auth-policy-attached failed: KeyError('x')")
        return finish(self, resources)

    monkeypatch.setattr(policy_evaluation.Evaluation, "finish", failing_on_the_owner)
    monkeypatch.setattr(plan, "FORK_FROM", 0)  # every stack's stack policies in a child, where the lane forks
    lane = Lane(fork=fork)
    assert lane.forks == (fork and second_core.can_fork())
    by_name = {p.name: p for p in plan.plan_all(ROOT, lane=lane)}
    assert by_name["owner"].error == "stack policy lattice-auth-policy-attached failed: KeyError('x')"
    for name, reads in (("owner-dr", "owner"), ("tenant-a", "owner"), ("tenant-a-dr", "owner-dr")):
        assert by_name[name].result is None, name
        assert by_name[name].error.startswith("not planned: lattice-tenancy:"), by_name[name].error
        assert f"names stack {reads}, which could not be planned" in by_name[name].error
    assert plan.failed(list(by_name.values()))


def test_a_stack_that_names_itself_keeps_its_own_error(tmp_path):
    for name in ["Pulumi.yaml", "Pulumi.owner.yaml", "Pulumi.owner-dr.yaml"]:
        shutil.copy(ROOT / name, tmp_path / name)
    recovery = tmp_path / "Pulumi.owner-dr.yaml"
    itself = "lattice-tenancy:primaryStack: acme/lattice-tenancy/owner-dr\n"
    recovery.write_text(
        recovery.read_text().replace("lattice-tenancy:primaryStack: acme/lattice-tenancy/owner\n", itself)
    )
    by_name = {p.name: p for p in plan.plan_all(tmp_path)}
    assert by_name["owner"].error is None
    assert "acme/lattice-tenancy/owner-dr" in by_name["owner-dr"].error  # its own error, not "not planned"
    assert not by_name["owner-dr"].error.startswith("not planned"), by_name["owner-dr"].error


def test_a_plan_of_some_stacks_runs_what_they_read_and_a_named_owners_tenants_only():
    files = [
        stack_file("owner", "owner"),
        stack_file("owner-dr", "recovery", "acme/lattice-tenancy/owner"),
        stack_file("tenant-a", "tenant", "acme/lattice-tenancy/owner"),
        stack_file("tenant-b", "tenant", "acme/lattice-tenancy/owner"),
        stack_file("tenant-a-dr", "tenant", "acme/lattice-tenancy/owner-dr"),
        stack_file("elsewhere", "tenant", "acme/other-project/platform"),
    ]
    assert plan.needed_for(files, ["tenant-a"]) == {"tenant-a", "owner"}
    assert plan.needed_for(files, ["tenant-a-dr"]) == {"tenant-a-dr", "owner-dr", "owner"}
    assert plan.needed_for(files, ["owner"]) == {"owner", "tenant-a", "tenant-b"}  # its access analysis reads them
    assert plan.needed_for(files, ["owner-dr"]) == {"owner-dr", "owner", "tenant-a-dr"}
    assert plan.needed_for(files, ["elsewhere", "nope"]) == {"elsewhere"}
    # Without the access analysis (the policies command), a named owner's tenants aren't read.
    assert plan.needed_for(files, ["owner"], readers=False) == {"owner"}
    assert plan.needed_for(files, ["owner-dr"], readers=False) == {"owner-dr", "owner"}
    assert plan.needed_for(files, ["tenant-a"], readers=False) == {"tenant-a", "owner"}


@pytest.mark.fresh_plans
def test_a_tenants_plan_runs_two_stacks_and_is_the_one_a_whole_plan_gives(plans, stacks_planned):
    ran = stacks_planned
    alone = plan.plan_all(ROOT, ["tenant-a"])
    assert ran == ["owner", "tenant-a"] and [p.name for p in alone] == ["tenant-a"]
    assert plan.as_json(alone) == plan.as_json([p for p in plans if p.name == "tenant-a"])
