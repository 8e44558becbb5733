"""The thin layer to Pulumi (issue #16, parts 1 and 5): the CLI start-up check, one process per stack (logs, result,
cancellation by signal), credentials per stack, and the Automation API calls — with fakes, since no CLI is here."""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from pulumi import automation as auto

from tests.deploy_fakes import stack_file
from tooling import automation
from tooling.deploy import Credentials, build_graph


def fake_pulumi(folder: Path, version_output: str, code: int = 0) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pulumi"
    script.write_text(f"#!/bin/sh\necho '{version_output}'\nexit {code}\n")
    script.chmod(0o755)
    return {**os.environ, "PATH": str(folder)}


def test_the_cli_check_says_how_to_install_when_pulumi_is_missing(tmp_path):
    with pytest.raises(automation.CliProblem) as caught:
        automation.check_cli(env={"PATH": str(tmp_path)})
    message = str(caught.value)
    assert "the Pulumi CLI is not installed (no `pulumi` on PATH)" in message
    assert "curl -fsSL https://get.pulumi.com | sh" in message and "\n" not in message


def test_the_cli_check_refuses_an_old_or_broken_cli_and_accepts_a_recent_one(tmp_path):
    with pytest.raises(automation.CliProblem, match=r"is v3\.100\.2, older than 3\.150\.0 .* update: install it"):
        automation.check_cli(env=fake_pulumi(tmp_path / "old", "v3.100.2"))
    with pytest.raises(automation.CliProblem, match="not a version"):
        automation.check_cli(env=fake_pulumi(tmp_path / "odd", "hello"))
    with pytest.raises(automation.CliProblem, match="not a version"):
        automation.check_cli(env=fake_pulumi(tmp_path / "fails", "v3.200.0", code=1))
    assert automation.check_cli(env=fake_pulumi(tmp_path / "new", "v3.272.0")) == "v3.272.0"


def test_up_refreshes_owner_and_recovery_stacks_only_unless_told():
    graph = build_graph([stack_file("o", "owner"), stack_file("r", "recovery", "o"), stack_file("t", "tenant", "o")])
    auto_choice = {name: automation.refresh_on_up(s, "auto") for name, s in graph.stacks.items()}
    assert auto_choice == {"o": True, "r": True, "t": False}
    assert automation.refresh_on_up(graph.stacks["t"], "always") is True
    assert automation.refresh_on_up(graph.stacks["o"], "never") is False


# -- one process per stack ------------------------------------------------------------------------------------------

FAKE_CHILD = textwrap.dedent(
    """\
    import json, signal, sys, time
    args = sys.argv[1:]
    stack = args[args.index("--stack") + 1]
    result = args[args.index("--result") + 1]
    print("argv", " ".join(args), flush=True)
    if stack == "slow":
        def stop(signum, frame):
            print("got SIGINT", flush=True)
            json.dump({"ok": False, "cancelled": True, "detail": "cancelled"}, open(result, "w"))
            sys.exit(130)
        signal.signal(signal.SIGINT, stop)
        open(result + ".ready", "w").close()
        time.sleep(30)
    if stack == "crash":
        sys.exit(3)
    json.dump({"ok": stack != "bad", "detail": "2 create" if stack != "bad" else "boom", "changes": {"create": 2}},
              open(result, "w"))
    """
)


@pytest.fixture
def runner(tmp_path):
    child = tmp_path / "fake_python"
    child.write_text(f"#!{sys.executable}\n" + FAKE_CHILD)
    child.chmod(0o755)
    return automation.ProcessRunner(tmp_path, refresh="auto", org="acme", python=str(child))


def stacks(*names):
    return build_graph([stack_file(n, "owner") for n in names]).stacks


def test_each_stack_runs_in_its_own_process_with_its_log_and_result(tmp_path, runner):
    by_name = stacks("good", "bad", "crash")
    outcome = runner.run(by_name["good"], "up", tmp_path / "good.log")
    assert outcome == automation.Outcome(ok=True, detail="2 create", changes={"create": 2})
    log = (tmp_path / "good.log").read_text()
    assert "deploy-one --root" in log and "--stack good --operation up" in log
    assert "--refresh" in log and "--org acme" in log and "--ambient-credentials" not in log
    assert runner.run(by_name["bad"], "destroy", tmp_path / "bad.log") == automation.Outcome(
        ok=False, detail="boom", changes={"create": 2}
    )
    assert "--refresh" not in (tmp_path / "bad.log").read_text()  # destroy never refreshes first
    crashed = runner.run(by_name["crash"], "up", tmp_path / "crash.log")
    assert not crashed.ok and crashed.detail == f"exit 3; see {tmp_path / 'crash.log'}"


def test_cancelling_sends_sigint_to_the_stack_process_group(tmp_path, runner):
    slow = stacks("slow")["slow"]
    outcomes = []
    worker = threading.Thread(target=lambda: outcomes.append(runner.run(slow, "up", tmp_path / "slow.log")))
    worker.start()
    ready = tmp_path / "slow.result.json.ready"
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.cancel(slow)
    worker.join(20)
    assert outcomes == [automation.Outcome(ok=False, cancelled=True, detail="cancelled")]
    assert "got SIGINT" in (tmp_path / "slow.log").read_text()
    runner.cancel(slow)  # nothing running any more: a no-op


# -- inside the stack's process: credentials and the Automation API ---------------------------------------------------


def test_a_profile_replaces_static_keys_and_ambient_credentials_change_nothing(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert automation.stack_environment(Credentials(aws_profile="ops"), "o", 3600, ambient=True) == {}
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAEXAMPLE"
    assert automation.stack_environment(None, "o", 3600, ambient=False) == {}
    assert automation.stack_environment(Credentials(aws_profile="ops"), "o", 3600, ambient=False) == {
        "AWS_PROFILE": "ops"
    }
    assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_SECRET_ACCESS_KEY" not in os.environ


def test_a_role_is_assumed_for_the_stack(monkeypatch):
    import boto3
    from botocore.stub import Stubber

    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    stub = Stubber(sts)
    role = "arn:aws:iam::222222222222:role/deployer"
    stub.add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
                "SecretAccessKey": "s" * 40,
                "SessionToken": "token",
                "Expiration": "2030-01-01T00:00:00Z",
            }
        },
        {"RoleArn": role, "RoleSessionName": "lattice-tenancy-tenant-a", "DurationSeconds": 7200},
    )
    monkeypatch.setattr(boto3, "client", lambda service: sts)
    monkeypatch.setenv("AWS_PROFILE", "base")
    with stub:
        env = automation.stack_environment(Credentials(role_arn=role), "tenant-a", 7200, ambient=False)
    assert env == {
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE01",
        "AWS_SECRET_ACCESS_KEY": "s" * 40,
        "AWS_SESSION_TOKEN": "token",
    }
    assert "AWS_PROFILE" not in os.environ


class FakeStack:
    def __init__(self, fail: bool = False):
        self.calls: list[tuple[str, dict]] = []
        self.fail = fail

    def _result(self, name, kwargs, changes):
        self.calls.append((name, kwargs))
        kwargs["on_output"](f"{name} output line")
        if self.fail:
            raise auto.CommandError(auto.CommandResult("", "error: 409 ConflictException\n", 255))
        summary = SimpleNamespace(resource_changes=changes)
        return SimpleNamespace(summary=summary, change_summary=changes)

    def preview(self, **kwargs):
        return self._result("preview", kwargs, {"create": 3})

    def up(self, **kwargs):
        return self._result("up", kwargs, {"create": 3, "same": 9})

    def refresh(self, **kwargs):
        return self._result("refresh", kwargs, {"same": 12})

    def destroy(self, **kwargs):
        return self._result("destroy", kwargs, {"delete": 12})

    def cancel(self):
        self.calls.append(("cancel", {}))


@pytest.fixture
def fake_workspace(monkeypatch):
    selected: list[dict] = []
    stack = FakeStack()

    def create_or_select_stack(**kwargs):
        selected.append(kwargs)
        return stack

    monkeypatch.setattr(auto, "create_or_select_stack", create_or_select_stack)
    monkeypatch.setattr(automation, "check_cli", lambda: "v3.272.0")
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    yield selected, stack
    signal.signal(signal.SIGINT, handlers[0])
    signal.signal(signal.SIGTERM, handlers[1])


@pytest.mark.parametrize(
    ("operation", "detail"),
    [("preview", "3 create"), ("up", "3 create"), ("refresh", "no changes"), ("destroy", "12 delete")],
)
def test_one_stack_through_the_automation_api(tmp_path, fake_workspace, operation, detail, capsys):
    selected, stack = fake_workspace
    owner = build_graph([stack_file("owner", "owner", deploy={"awsProfile": "ops"})]).stacks["owner"]
    result = automation.deploy_one(
        tmp_path, owner, operation, refresh=True, org="acme", ambient=False, role_seconds=3600
    )
    assert result["ok"] is True and result["detail"] == detail
    assert selected[0]["stack_name"] == "acme/owner" and selected[0]["work_dir"] == str(tmp_path)
    assert selected[0]["opts"].env_vars == {"AWS_PROFILE": "ops"}
    name, kwargs = stack.calls[0]
    assert name == operation
    assert kwargs.get("refresh", None) is (True if operation in ("preview", "up") else None)
    assert f"{operation} output line" in capsys.readouterr().out
    assert (tmp_path / ".deploy" / "select.lock").exists()


def test_a_failing_operation_reports_the_clis_last_line(tmp_path, fake_workspace):
    selected, stack = fake_workspace
    stack.fail = True
    tenant = build_graph([stack_file("t", "tenant", "x")], external=["x"]).stacks["t"]
    result = automation.deploy_one(tmp_path, tenant, "destroy", refresh=False, org=None, ambient=True, role_seconds=1)
    assert result == {"ok": False, "cancelled": False, "detail": "stderr: error: 409 ConflictException"}
    assert selected[0]["stack_name"] == "t" and selected[0]["opts"].env_vars == {}


def test_sigterm_in_the_stack_process_calls_the_automation_apis_cancel(tmp_path, fake_workspace):
    _selected, stack = fake_workspace
    owner = build_graph([stack_file("owner", "owner")]).stacks["owner"]

    def up(**kwargs):  # the signal arrives while the update runs
        os.kill(os.getpid(), signal.SIGTERM)
        stack.calls.append(("up", kwargs))
        raise auto.CommandError(auto.CommandResult("", "error: update canceled\n", 255))

    stack.up = up  # type: ignore[method-assign]
    result = automation.deploy_one(tmp_path, owner, "up", refresh=False, org=None, ambient=True, role_seconds=1)
    assert ("cancel", {}) in stack.calls
    assert result == {"ok": False, "cancelled": True, "detail": "cancelled"}


def test_deploy_one_writes_its_result_for_the_parent(tmp_path, monkeypatch):
    from tooling import cli

    monkeypatch.setattr(
        automation, "deploy_one", lambda *a, **k: {"ok": False, "cancelled": False, "detail": "no credentials"}
    )
    root = Path(__file__).resolve().parent.parent
    result = tmp_path / "r.json"
    argv = ["deploy-one", "--root", str(root), "--stack", "owner", "--operation", "up", "--result", str(result)]
    assert cli.main(argv) == 1
    assert json.loads(result.read_text()) == {"cancelled": False, "detail": "no credentials", "ok": False}
