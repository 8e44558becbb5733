"""The offline policy runner: the repository's stacks pass, a misconfigured program fails, output reads like a preview."""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from tests.policy_fixtures import repo_checks
from tooling import access, cli
from tooling.aws_standin import OfflineAws
from tooling.mock_engine import run_program
from tooling.policy_check import OFFLINE_NOTE, check_stacks, counts, evaluate, render_stack, summary
from tooling.policy_evaluation import mandatory

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "aws:rds/instance:Instance"


def _copy_repo(tmp_path: Path, edit=None) -> Path:
    """The stack files in a fresh folder (the program itself still runs from this checkout)."""
    for name in ("Pulumi.yaml", *(p.name for p in ROOT.glob("Pulumi.*.yaml"))):
        shutil.copy(ROOT / name, tmp_path / name)
    if edit:
        owner = tmp_path / "Pulumi.owner.yaml"
        owner.write_text(edit(owner.read_text()))
    return tmp_path


def _names(violations, level="mandatory"):
    return sorted({v.policy for v in violations if v.level == level})


# --- the repository's own stacks -------------------------------------------------------------------------------------


def test_every_stack_in_the_repository_passes_every_mandatory_policy():
    checks = repo_checks()
    assert next(c.name for c in checks) == "owner" and {c.kind for c in checks} == {"owner", "recovery", "tenant"}
    for check in checks:
        assert check.error is None, check.error
        assert check.resources, check.name
        assert mandatory(check.violations) == [], render_stack(check)
    tenant = next(c for c in checks if c.kind == "tenant")
    owner = next(c for c in checks if c.kind == "owner")
    reference = next(r for r in tenant.resources if r.type == "pulumi:pulumi:StackReference")
    assert reference.inputs["name"].endswith("/owner") and owner.exports["service_network_arn"]


def test_the_repository_passes_on_the_command_line(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for check in repo_checks():
        assert f"Stack {check.name} ({check.kind}), offline" in out
        assert f"  {check.name}: {counts(check)}; 0 mandatory" in out
    assert "declared inputs" in OFFLINE_NOTE and OFFLINE_NOTE.split(":")[0] in out.replace("\n", " ")
    assert max(len(line) for line in out.splitlines() if not line.lstrip().startswith("urn:")) <= 120


# --- misconfigured programs fail -----------------------------------------------------------------------------------


def test_a_public_database_in_the_captured_owner_plan_is_a_mandatory_violation():
    owner = next(c for c in repo_checks() if c.kind == "owner")
    resources = copy.deepcopy(owner.resources)
    (db,) = [r for r in resources if r.type == INSTANCE]
    db.inputs["publiclyAccessible"] = True
    found = evaluate(resources)
    hits = [v for v in mandatory(found) if v.policy == "rds-not-publicly-accessible"]
    assert [v.urn for v in hits] == [db.urn]
    assert _names(found) == ["rds-not-publicly-accessible"]


def _bad_program() -> None:
    """A small program the way someone might write it by hand: public, unencrypted, literal password, open SG."""
    group = aws.ec2.SecurityGroup(
        "db-sg", description="db", ingress=[{"protocol": "tcp", "from_port": 3306, "to_port": 3306, "cidr_blocks": ["0.0.0.0/0"]}]
    )  # fmt: skip
    aws.rds.Instance(
        "db",
        engine="mysql",
        instance_class="db.t4g.micro",
        allocated_storage=20,
        username="admin",
        password=pulumi.Output.secret("hunter2hunter2"),
        publicly_accessible=True,
        vpc_security_group_ids=[group.id],
        skip_final_snapshot=True,
    )


def test_a_misconfigured_program_fails_with_each_broken_guardrail_named():
    run = run_program({}, stack="scratch", mocks=OfflineAws(), program=_bad_program)
    found = evaluate(run.registrations)
    assert _names(found) == [
        "production-resources-protected",
        "rds-backup-retention",
        "rds-deletion-protection",
        "rds-iam-authentication",
        "rds-in-subnet-group",
        "rds-log-exports",
        "rds-managed-master-password",
        "rds-not-publicly-accessible",
        "rds-storage-encrypted",
        "sg-db-ingress-from-gateway-only",
        "sg-no-public-ingress",
    ]
    assert "hunter2" not in repr(found)


def test_the_command_fails_on_a_stack_the_pack_holds_to_production(tmp_path, capsys):
    root = _copy_repo(tmp_path, lambda text: text.replace("profile: production", "profile: development"))
    assert main(["--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "- [mandatory]  rds-deletion-protection  (aws:rds/instance:Instance: database-instance)" in out
    (db,) = [r for r in check_stacks(root, ["owner"])[0].resources if r.type == INSTANCE]
    assert f"\n          {db.urn}\n" in out
    assert "RDS instances in production stacks have deletion protection (Security Hub RDS.8" in out
    checks = check_stacks(root)
    assert _names(checks[0].violations) == [
        "audit-bucket-retained",
        "production-resources-protected",
        "rds-deletion-protection",
    ]
    assert "rds-multi-az" in _names(checks[0].violations, "advisory")


def test_policy_config_can_name_the_development_stacks(tmp_path, capsys):
    root = _copy_repo(tmp_path, lambda text: text.replace("profile: production", "profile: development"))
    names = ["rds-deletion-protection", "rds-multi-az", "production-resources-protected", "audit-bucket-retained"]
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({n: {"developmentStacks": ["owner"]} for n in names}))
    assert main(["--root", str(root), "--policy-config", str(config)]) == 0
    assert re.search(
        r"^  owner: \d+ resources in \d+ components; 0 mandatory, \d+ advisory violations$",
        capsys.readouterr().out,
        re.M,
    )


def test_sharing_outside_the_organization_needs_the_pack_to_allow_list_the_account(tmp_path, capsys):
    root = _copy_repo(
        tmp_path, lambda text: text.replace("externalAccountIds: []", 'externalAccountIds: ["333333333333"]')
    )
    assert main(["--root", str(root), "--stack", "owner"]) == 1
    assert "ram-external-principals-allow-listed" in capsys.readouterr().out
    config = tmp_path / "policy-config.json"
    config.write_text(
        json.dumps({"ram-external-principals-allow-listed": {"allowedExternalAccountIds": ["333333333333"]}})
    )
    # The share names every tenant's account, and with external principals allowed RAM can't tell the
    # organization's accounts from others: the pack needs each named account allow-listed.
    assert main(["--root", str(root), "--stack", "owner", "--policy-config", str(config)]) == 1
    config.write_text(
        json.dumps(
            {
                "ram-external-principals-allow-listed": {
                    "allowedExternalAccountIds": ["222222222222", "333333333333", "444444444444", "555555555555"]
                }
            }
        )
    )
    assert main(["--root", str(root), "--stack", "owner", "--policy-config", str(config)]) == 0


def test_a_stack_that_cannot_be_planned_fails_the_check(tmp_path, capsys):
    root = _copy_repo(tmp_path, lambda text: text.replace("backupRetentionDays: 7", "backupRetentionDays: 1"))
    assert main(["--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "the stack could not be checked" in out and "owner: NOT CHECKED" in out
    assert "lattice-tenancy:database.backupRetentionDays" in out
    assert "Traceback" not in out


# --- arguments and output ----------------------------------------------------------------------------------------


def test_only_the_named_stacks_are_reported_but_owners_still_feed_tenants(capsys):
    assert main(["--stack", "tenant-a"]) == 0
    out = capsys.readouterr().out
    assert "Stack tenant-a (tenant)" in out and "Stack owner" not in out


def test_an_owners_check_runs_neither_its_tenant_stacks_nor_the_access_analysis(monkeypatch, stacks_planned):
    """The access analysis reads every tenant stack of an owner; the pack's report has no use for it, so with
    thousands of tenant stacks `policies --stack owner` runs one stack, not all of them."""
    ran = stacks_planned
    monkeypatch.setattr(access, "analyse", lambda *args: pytest.fail("the access analysis ran"))
    (owner,) = check_stacks(only=["owner"])
    assert ran == ["owner"] and owner.name == "owner" and owner.error is None and owner.resources
    assert [c.name for c in check_stacks(only=["owner-dr"])] == ["owner-dr"] and ran[1:] == ["owner", "owner-dr"]
    ran.clear()
    assert [c.name for c in check_stacks()] == ["owner", "owner-dr", "tenant-a", "tenant-a-dr"]
    assert sorted(ran) == ["owner", "owner-dr", "tenant-a", "tenant-a-dr"]


def main(argv: list[str]) -> int:
    return cli.main(["policies", *argv])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stack", "nope"], "no stack file Pulumi.nope.yaml"),
        (["--policy-config", "/nonexistent/config.json"], "No such file"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_policy_config_exits_2_before_any_stack_runs(tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"rds-backup-retention": {"minimumDays": 0}}))
    assert main(["--policy-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "rds-backup-retention.minimumDays: 0 is below the minimum 1" in err


def test_json_output_lists_every_violation(tmp_path, capsys):
    root = _copy_repo(tmp_path, lambda text: text.replace("profile: production", "profile: development"))
    assert main(["--root", str(root), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    owner = document["stacks"][0]
    assert owner["name"] == "owner" and owner["error"] is None
    assert {"policy": "rds-deletion-protection", "level": "mandatory"} in [
        {"policy": v["policy"], "level": v["level"]} for v in owner["violations"]
    ]
    assert all(set(v) == {"policy", "level", "urn", "message"} for v in owner["violations"])
    assert document["pack"]["policies"] >= 35


def test_the_summary_counts_mandatory_and_advisory_apart(tmp_path):
    root = _copy_repo(tmp_path, lambda text: text.replace("profile: production", "profile: development"))
    checks = check_stacks(root, ["owner"])
    text = summary(checks)
    hard = len(mandatory(checks[0].violations))
    advisory = len(checks[0].violations) - hard
    assert re.search(rf"^  owner: \d+ resources in \d+ components; {hard} mandatory, {advisory} advisory", text, re.M)
    assert hard == 4 and len(checks[0].violations) > hard  # the database and the audit bucket unprotected: two
