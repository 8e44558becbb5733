"""The deploy graph and its orchestration, driven with a fake runner: order, parallelism bound, failure propagation,
resume, --only/--from, destroy order, Ctrl-C (issue #16, parts 1, 2 and 5)."""

from __future__ import annotations

import _thread
import json
import os
import signal
import time

import pytest

from tests.deploy_fakes import FakeRunner, fleet, stack_file
from tooling import deploy
from tooling.deploy import InputError, Schedule, State, build_graph, select, simulate


def run(graph, operation, runner, tmp_path, parallel=8, selected=None, state=None, resume=True, events=None):
    return deploy.run(
        graph,
        operation,
        runner,
        parallel=parallel,
        selected=selected if selected is not None else graph.order(operation),
        log_dir=tmp_path / "logs",
        state=state,
        resume=resume,
        on_event=(events.append if events is not None else lambda e: None),
        poll_seconds=0.01,
    )


def statuses(summary):
    return {row.stack: row.status for row in summary.rows}


# -- the graph --------------------------------------------------------------------------------------------------------


def test_order_is_owners_then_recovery_then_tenants_and_destroy_reverses_it():
    graph = build_graph(reversed(fleet(3)))
    assert graph.order("up") == ["owner", "owner-dr", "tenant-0", "tenant-1", "tenant-2"]
    assert graph.order("destroy") == ["tenant-2", "tenant-1", "tenant-0", "owner-dr", "owner"]
    assert graph.stacks["owner-dr"].depends_on == "owner"
    assert graph.stacks["tenant-2"].depends_on == "owner-dr"
    assert graph.waves("up") == [["owner"], ["owner-dr", "tenant-0", "tenant-1"], ["tenant-2"]]
    assert graph.waves("destroy") == [["tenant-2", "tenant-1", "tenant-0"], ["owner-dr"], ["owner"]]
    assert graph.prerequisites("owner", "destroy") == {"owner-dr", "tenant-0", "tenant-1"}


def test_the_real_stack_files_make_a_graph():
    from tests.test_cli import ROOT
    from tooling.stackfiles import project_name, read_stack_files

    graph = build_graph(read_stack_files(ROOT), project_name(ROOT))
    assert graph.order("up")[0] == "owner" and graph.stacks["tenant-a"].depends_on == "owner"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([stack_file("x", "shared")], "Pulumi.x.yaml lattice-tenancy:kind: 'shared' is not a stack kind"),
        ([stack_file("x", "?")], "lattice-tenancy:kind: missing"),
        (
            [stack_file("t", "tenant", "acme/lattice-tenancy/t")],
            "Pulumi.t.yaml lattice-tenancy:ownerStack: 'acme/lattice-tenancy/t' names this stack itself, a cycle",
        ),
        ([stack_file("t", "tenant")], "Pulumi.t.yaml lattice-tenancy:ownerStack: missing"),
        ([stack_file("r", "recovery")], "Pulumi.r.yaml lattice-tenancy:primaryStack: missing"),
        (
            [stack_file("t", "tenant", "acme/lattice-tenancy/elsewhere")],
            "lattice-tenancy:ownerStack: 'acme/lattice-tenancy/elsewhere' is not a stack of this repository "
            "(no Pulumi.elsewhere.yaml here) and not declared deployed elsewhere; fix the name, or pass --external",
        ),
        (
            [stack_file("o", "owner"), stack_file("t", "tenant", "acme/other-project/o")],
            "'acme/other-project/o' is not a stack of this repository",
        ),
        (
            [stack_file("a", "tenant", "acme/lattice-tenancy/b"), stack_file("b", "tenant", "acme/lattice-tenancy/a")],
            "Pulumi.a.yaml lattice-tenancy:ownerStack: 'acme/lattice-tenancy/b' names a tenant stack; name an owner "
            "or a recovery stack",
        ),
        (
            [stack_file("o", "owner"), stack_file("r", "recovery", "o"), stack_file("r2", "recovery", "r")],
            "Pulumi.r2.yaml lattice-tenancy:primaryStack: 'r' names a recovery stack; name an owner stack",
        ),
        (
            [
                stack_file("o", "owner", expectedAccountId="111111111111", deploy={"awsProfile": "ops"}),
                stack_file("t", "tenant", "o", expectedAccountId="222222222222", deploy={"awsProfile": "ops"}),
            ],
            "Pulumi.t.yaml lattice-tenancy:deploy.awsProfile: 'ops' is named for account 111111111111 (stack o) "
            "and account 222222222222 (stack t)",
        ),
        (
            [stack_file("o", "owner", deploy={"awsProfile": "ops", "roleArn": "arn:aws:iam::111111111111:role/d"})],
            "Pulumi.o.yaml lattice-tenancy:deploy: Value error, set exactly one of awsProfile and roleArn",
        ),
        (
            [stack_file("o", "owner", deploy={"awsProfile": "has space"})],
            "Pulumi.o.yaml lattice-tenancy:deploy.awsProfile: Value error, 'has space' is not valid",
        ),
        ([stack_file("o", "owner", deploy="not json {")], "Pulumi.o.yaml lattice-tenancy:deploy: write an object"),
    ],
)
def test_bad_input_is_one_message_naming_the_key(files, message):
    with pytest.raises(InputError) as caught:
        build_graph(files)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_reference_declared_deployed_elsewhere_waits_for_nothing():
    files = [stack_file("t", "tenant", "acme/lattice-tenancy/central"), stack_file("u", "tenant", "acme/x/owner")]
    graph = build_graph(files, external=["acme/lattice-tenancy/central", "owner"])
    assert graph.stacks["t"].depends_on is None and graph.stacks["u"].depends_on is None
    assert graph.waves("up") == [["t", "u"]]


def test_one_profile_for_one_account_across_stacks_and_credentials_are_read():
    files = [
        stack_file("o", "owner", expectedAccountId="111111111111", deploy={"awsProfile": "ops"}),
        stack_file("o2", "owner", expectedAccountId="111111111111", deploy={"awsProfile": "ops"}),
        stack_file("t", "tenant", "o", deploy={"roleArn": "arn:aws:iam::222222222222:role/deployer"}),
    ]
    graph = build_graph(files)
    assert graph.stacks["o"].credentials == deploy.Credentials(aws_profile="ops")
    assert graph.stacks["t"].credentials == deploy.Credentials(role_arn="arn:aws:iam::222222222222:role/deployer")


def test_selection_only_and_from():
    graph = build_graph(fleet(3))
    assert select(graph, "up", only=["tenant-1", "owner"]) == ["owner", "tenant-1"]
    assert select(graph, "up", start="tenant-0") == ["tenant-0", "tenant-1", "tenant-2"]
    assert select(graph, "destroy", start="owner-dr") == ["owner-dr", "owner"]
    with pytest.raises(InputError, match=r"--only nope: no stack file Pulumi\.nope\.yaml"):
        select(graph, "up", only=["nope"])
    with pytest.raises(InputError, match="--from nope"):
        select(graph, "up", start="nope")


@pytest.mark.parametrize("parallel", [0, -3])
def test_parallelism_below_one_is_refused(parallel):
    graph = build_graph(fleet(1))
    with pytest.raises(InputError, match=f"--parallel {parallel}: must be 1 or more"):
        Schedule(graph, "up", graph.order("up"), parallel)


# -- the run ----------------------------------------------------------------------------------------------------------


def test_every_stack_starts_after_what_it_waits_for(tmp_path):
    graph = build_graph(fleet(4))
    runner = FakeRunner()
    summary = run(graph, "up", runner, tmp_path)
    assert summary.exit_status == 0 and set(statuses(summary).values()) == {"succeeded"}
    for name, stack in graph.stacks.items():
        if stack.depends_on:
            assert runner.finished.index(stack.depends_on) < runner.started.index(name)
    assert (tmp_path / "logs" / "tenant-0.log").read_text() == "up tenant-0\n"


def test_destroy_runs_tenants_first_and_owners_last(tmp_path):
    graph = build_graph(fleet(3))
    runner = FakeRunner()
    run(graph, "destroy", runner, tmp_path)
    assert runner.started[-1] == "owner"
    assert runner.finished.index("tenant-2") < runner.started.index("owner-dr")
    assert all(runner.finished.index(f"tenant-{i}") < runner.started.index("owner") for i in range(3))


@pytest.mark.parametrize("parallel", [1, 3])
def test_no_more_than_parallel_stacks_run_at_once(tmp_path, parallel):
    graph = build_graph(fleet(12, recovery=False))
    runner = FakeRunner(seconds=0.03)
    run(graph, "up", runner, tmp_path, parallel=parallel)
    assert runner.most == parallel and len(runner.finished) == 13


def test_a_failure_stops_what_depends_on_it_and_nothing_else(tmp_path):
    graph = build_graph(fleet(3))  # tenant-2 reads owner-dr
    runner = FakeRunner(fail={"owner-dr"})
    summary = run(graph, "up", runner, tmp_path)
    assert statuses(summary) == {
        "owner": "succeeded",
        "owner-dr": "failed",
        "tenant-0": "succeeded",
        "tenant-1": "succeeded",
        "tenant-2": "skipped",
    }
    assert "tenant-2" not in runner.started
    rows = {r.stack: r for r in summary.rows}
    assert rows["owner-dr"].detail == "owner-dr broke" and rows["tenant-2"].detail == "owner-dr failed"
    assert summary.exit_status == 1


def test_a_failed_owner_skips_everything_after_it_transitively(tmp_path):
    graph = build_graph(fleet(3))
    summary = run(graph, "up", FakeRunner(fail={"owner"}), tmp_path)
    assert statuses(summary)["owner"] == "failed"
    assert {s for n, s in statuses(summary).items() if n != "owner"} == {"skipped"}


def test_a_runner_that_raises_is_a_failed_stack_not_a_hang(tmp_path):
    class Broken(FakeRunner):
        def run(self, stack, operation, log):
            raise RuntimeError("boom")

    graph = build_graph(fleet(1, recovery=False))
    summary = run(graph, "up", Broken(), tmp_path)
    assert statuses(summary) == {"owner": "failed", "tenant-0": "skipped"}
    assert summary.rows[0].detail == "RuntimeError: boom"


def test_only_runs_the_named_stacks_and_counts_their_prerequisites_as_done(tmp_path):
    graph = build_graph(fleet(3))
    runner = FakeRunner()
    summary = run(graph, "up", runner, tmp_path, selected=select(graph, "up", only=["tenant-2"]))
    assert runner.started == ["tenant-2"] and statuses(summary) == {"tenant-2": "succeeded"}


def test_a_rerun_resumes_where_it_stopped(tmp_path):
    graph = build_graph(fleet(3))
    state = State(tmp_path / "state", "up")
    first = run(graph, "up", FakeRunner(fail={"owner-dr"}), tmp_path, state=state)
    assert first.exit_status == 1
    recorded = json.loads(state.path().read_text())["finished"]
    assert set(recorded) == {"owner", "tenant-0", "tenant-1"}

    runner = FakeRunner()
    second = run(graph, "up", runner, tmp_path, state=state)
    assert runner.started == ["owner-dr", "tenant-2"]
    assert statuses(second)["owner"] == "done earlier" and second.exit_status == 0
    assert not state.path().exists()  # everything finished: the next `up` starts afresh

    runner = FakeRunner()
    run(graph, "up", runner, tmp_path, state=state)
    assert len(runner.started) == 5


def test_resume_reruns_a_stack_whose_file_changed_and_restart_forgets(tmp_path):
    state = State(tmp_path / "state", "up")
    files = fleet(2, recovery=False)
    graph = build_graph(files)
    run(graph, "up", FakeRunner(fail={"tenant-1"}), tmp_path, state=state)
    files[1] = stack_file("tenant-0", "tenant", "acme/lattice-tenancy/owner", tags={"changed": "yes"})
    changed = build_graph(files)
    runner = FakeRunner()
    run(changed, "up", runner, tmp_path, state=state)
    assert runner.started == ["tenant-0", "tenant-1"]

    run(graph, "up", FakeRunner(fail={"tenant-1"}), tmp_path, state=state)
    state.forget()
    runner = FakeRunner()
    run(graph, "up", runner, tmp_path, state=state)
    assert len(runner.started) == 3


def test_explicit_selection_runs_even_what_is_recorded(tmp_path):
    graph = build_graph(fleet(2, recovery=False))
    state = State(tmp_path / "state", "up")
    run(graph, "up", FakeRunner(fail={"tenant-1"}), tmp_path, state=state)
    runner = FakeRunner()
    run(graph, "up", runner, tmp_path, state=state, selected=select(graph, "up", start="tenant-0"), resume=False)
    assert runner.started == ["tenant-0", "tenant-1"]


def test_destroying_a_stack_clears_it_from_the_up_record(tmp_path):
    graph = build_graph(fleet(2, recovery=False))
    up = State(tmp_path / "state", "up")
    run(graph, "up", FakeRunner(fail={"tenant-1"}), tmp_path, state=up)
    assert up.finished(graph) == {"owner", "tenant-0"}
    run(graph, "destroy", FakeRunner(), tmp_path, state=State(tmp_path / "state", "destroy"), selected=["tenant-0"])
    assert up.finished(graph) == {"owner"}


def test_a_state_file_that_is_not_ours_is_bad_input(tmp_path):
    state = State(tmp_path, "up")
    state.path().write_text("[1, 2]")
    with pytest.raises(InputError, match="not a state file this tooling wrote; delete it or pass --restart"):
        state.finished(build_graph(fleet(1)))


def test_ctrl_c_cancels_the_running_stacks_and_starts_nothing_more(tmp_path):
    graph = build_graph(fleet(3))
    runner = FakeRunner(block={"owner-dr", "tenant-0"})
    started: set[str] = set()

    def interrupt_when_both_run(name):
        started.add(name)
        if {"owner-dr", "tenant-0"} <= started:
            _thread.interrupt_main()  # what SIGINT does: KeyboardInterrupt in the main thread

    runner.on_start = interrupt_when_both_run
    events = []
    before = signal.getsignal(signal.SIGINT)
    summary = run(graph, "up", runner, tmp_path, parallel=2, events=events)
    assert signal.getsignal(signal.SIGINT) is before  # the run's own Ctrl-C handler is gone again
    assert summary.interrupted and summary.exit_status == 130
    assert sorted(n for n, force in runner.cancelled) == ["owner-dr", "tenant-0"]
    assert statuses(summary) == {
        "owner": "succeeded",
        "owner-dr": "cancelled",
        "tenant-0": "cancelled",
        "tenant-1": "not started",
        "tenant-2": "not started",
    }
    assert "tenant-1" not in runner.started
    assert any(e.stack == "owner-dr" and e.detail == "cancelling" for e in events)


def test_the_summary_table_and_json(tmp_path):
    graph = build_graph(fleet(2))
    summary = run(graph, "up", FakeRunner(fail={"owner-dr"}), tmp_path)
    table = summary.table()
    assert table.splitlines()[0].split() == ["stack", "kind", "status", "time", "detail"]
    assert "owner-dr  recovery  failed" in table and "tenant-1  tenant    skipped" in table
    assert "up: 4 stack(s)" in table and "1 failed, 1 skipped, 2 succeeded" in table
    data = json.loads(summary.as_json())
    assert data["exitStatus"] == 1 and [s["status"] for s in data["stacks"]][:2] == ["succeeded", "failed"]
    assert data["stacks"][1]["log"].endswith("owner-dr.log") and data["stacks"][3]["log"] is None


def test_the_model_clock_agrees_with_the_schedule():
    graph = build_graph(fleet(10, recovery=False))
    seconds = {name: (600.0 if name == "owner" else 120.0) for name in graph.stacks}
    assert simulate(graph, "up", seconds, 1) == 600 + 10 * 120
    assert simulate(graph, "up", seconds, 4) == 600 + 3 * 120
    assert simulate(graph, "up", seconds, 32) == 600 + 120
    assert simulate(graph, "destroy", seconds, 32) == 120 + 600


def test_the_schedulers_work_per_stack_does_not_grow_with_the_number_of_stacks(monkeypatch):
    """Thousands of tenants wait on one owner: each step reads what it starts, not every stack again (it read them
    all at every step, and a failed owner walked them once per stack: 78 minutes of CPU at 5,000 tenants)."""
    read = {"prerequisites": 0, "waiting_on": 0}
    prerequisites, waiting_on = deploy.Graph.prerequisites, deploy.Graph.waiting_on

    def counted_prerequisites(self, name, operation):
        found = prerequisites(self, name, operation)
        read["prerequisites"] += 1 + len(found)
        return found

    def counted_waiting_on(self, name, operation):
        read["waiting_on"] += 1
        return waiting_on(self, name, operation)

    monkeypatch.setattr(deploy.Graph, "prerequisites", counted_prerequisites)
    monkeypatch.setattr(deploy.Graph, "waiting_on", counted_waiting_on)
    per_stack = {}
    for tenants in (100, 2000):
        graph = build_graph(fleet(tenants))
        for operation in ("up", "destroy"):
            read["prerequisites"] = 0
            simulate(graph, operation, dict.fromkeys(graph.stacks, 1.0), 8)
            per_stack[tenants, operation] = read["prerequisites"] / len(graph.stacks)
        schedule = Schedule(graph, "up", graph.order("up"), 8)
        schedule.start("owner")
        read["waiting_on"] = 0
        assert len(schedule.finish("owner", "failed")) == tenants + 1  # the recovery stack and every tenant
        assert read["waiting_on"] == 1
    # Each stack read once, with at most a slot's worth of the stacks it waits for, at any size.
    assert all(cost <= 1 + 8 + 1 for cost in per_stack.values()), per_stack


class PressesCtrlCWhenCollected:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))  # Python runs signal handlers between bytecodes: here, inside the finalizer


def test_a_ctrl_c_while_a_finalizer_runs_is_counted_not_lost():
    # Raised as KeyboardInterrupt inside a finalizer, Python would print "Exception ignored" and drop it.
    ctrl_c = deploy._CtrlC()
    ctrl_c.listen()
    try:
        PressesCtrlCWhenCollected()  # collected at once: the finalizer runs here
        time.sleep(0.01)
    finally:
        ctrl_c.stop()
    assert ctrl_c.presses == 1
