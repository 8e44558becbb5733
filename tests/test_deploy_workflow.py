"""The CI workflow generated from the deploy graph (issue #16, part 4): in sync with the repository, well-formed for
actionlint, owners → recovery → tenants (reversed for destroy), OIDC credentials per stack, a concurrency limit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy_fakes import fleet, stack_file
from tests.test_cli import ROOT
from tooling import cli, workflow
from tooling.deploy import InputError, build_graph

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"  # requirements-dev installs it into the venv
    return str(beside) if beside.exists() else shutil.which("actionlint")


def test_the_committed_workflow_is_generated_from_the_stack_files(capsys):
    assert cli.main(["workflow", "--check"]) == 0, "run `make workflow` and commit .github/workflows/deploy.yml"
    assert cli.main(["workflow", "--print"]) == 0
    assert capsys.readouterr().out == (ROOT / workflow.WORKFLOW_PATH).read_text()


def test_check_fails_when_the_workflow_is_out_of_date(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    for path in ROOT.glob("Pulumi*.yaml"):
        shutil.copy(path, root / path.name)
    assert cli.main(["workflow", "--root", str(root), "--check"]) == 1
    assert cli.main(["workflow", "--root", str(root)]) == 0
    assert cli.main(["workflow", "--root", str(root), "--check"]) == 0


@pytest.mark.skipif(actionlint() is None, reason="actionlint is not installed (requirements-dev.txt installs it)")
def test_actionlint_accepts_the_committed_and_a_large_generated_workflow(tmp_path):
    large = tmp_path / "large.yml"
    large.write_text(workflow.render(build_graph(fleet(300)), 20))
    for path in (ROOT / workflow.WORKFLOW_PATH, large):
        done = subprocess.run([actionlint(), str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(actionlint() is None, reason="actionlint is not installed (requirements-dev.txt installs it)")
def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.render(build_graph(fleet(2))).replace("${{ matrix.role }}", "${{ matrix.rol }}"))
    done = subprocess.run([actionlint(), str(broken)], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and 'property "rol" is not defined' in done.stdout


def test_jobs_follow_the_graph_forward_and_backward():
    files = [*fleet(2), stack_file("o", "owner", deploy={"roleArn": "arn:aws:iam::111111111111:role/deployer"})]
    document = yaml.safe_load(workflow.render(build_graph(files), 4))
    jobs = document["jobs"]
    assert list(jobs) == [
        "plan",
        "owners",
        "recovery",
        "tenants",
        "destroy-tenants",
        "destroy-recovery",
        "destroy-owners",
    ]
    assert jobs["owners"]["needs"] == ["plan"] and jobs["recovery"]["needs"] == ["owners"]
    assert jobs["tenants"]["needs"] == ["recovery"]
    assert jobs["destroy-recovery"]["needs"] == ["destroy-tenants"]
    assert jobs["destroy-owners"]["needs"] == ["destroy-recovery"]
    assert {jobs[j]["if"] for j in ("owners", "recovery", "tenants")} == {"inputs.operation != 'destroy'"}
    assert jobs["destroy-owners"]["if"] == "inputs.operation == 'destroy'"
    matrix = jobs["owners"]["strategy"]["matrix"]["include"]
    assert matrix == [
        {"stack": "o", "region": "eu-west-1", "role": "arn:aws:iam::111111111111:role/deployer"},
        {"stack": "owner", "region": "eu-west-1", "role": "${{ vars.LATTICE_DEPLOY_ROLE_OWNER }}"},
    ]
    assert jobs["tenants"]["strategy"] == {
        "fail-fast": False,
        "max-parallel": 4,
        "matrix": {"include": [workflow._entry(build_graph(files), n) for n in ("tenant-0", "tenant-1")]},
    }
    assert document["permissions"] == {"contents": "read", "id-token": "write"}
    steps = jobs["tenants"]["steps"]
    oidc = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert oidc["with"]["role-to-assume"] == "${{ matrix.role }}"
    command = next(s for s in steps if s.get("name") == "Run the operation on the stack")
    assert '--only "$STACK" --ambient-credentials' in command["run"]
    assert command["env"]["OPERATION"] == "${{ inputs.operation }}"


def test_more_tenants_than_a_matrix_holds_become_several_jobs_within_the_limit():
    # libyaml's loader where there is one: the pure-Python one took most of this test's second on 600 tenants
    document = yaml.load(workflow.render(build_graph(fleet(600, recovery=False)), 30), Loader=SAFE_LOADER)
    tenant_jobs = [name for name in document["jobs"] if name.startswith("tenants")]
    assert tenant_jobs == ["tenants-1", "tenants-2", "tenants-3"]
    sizes = [len(document["jobs"][j]["strategy"]["matrix"]["include"]) for j in tenant_jobs]
    assert sizes == [200, 200, 200] and max(sizes) <= workflow.MATRIX_LIMIT
    assert sum(document["jobs"][j]["strategy"]["max-parallel"] for j in tenant_jobs) <= 30
    assert document["jobs"]["destroy-owners"]["needs"] == [
        "destroy-tenants-1",
        "destroy-tenants-2",
        "destroy-tenants-3",
    ]


def test_the_workflow_emitted_in_c_is_the_pure_python_emitters_text():
    for graph in (build_graph(fleet(600)), build_graph(fleet(3, recovery=False))):
        assert workflow.render(graph) == workflow.render(graph, dumper=workflow._Dumper)
    assert workflow._FastDumper.__mro__[1] is getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def test_no_recovery_stacks_no_recovery_job():
    jobs = yaml.safe_load(workflow.render(build_graph(fleet(2, recovery=False))))["jobs"]
    assert "recovery" not in jobs and jobs["tenants"]["needs"] == ["owners"]


def test_max_parallel_below_one_is_refused(capsys):
    with pytest.raises(InputError, match="--max-parallel 0: must be 1 or more"):
        workflow.render(build_graph(fleet(1)), 0)
    assert cli.main(["workflow", "--print", "--max-parallel", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
