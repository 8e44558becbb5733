"""`python -m tooling deploy …` end to end with a fake runner (issue #16, parts 1-3): bad input exits 2 before anything
runs, the dry run shows the waves and the offline plan, the summary is a table and a JSON file, a rerun resumes, and
progress is plain lines off a terminal and a live table on one."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from tests.deploy_fakes import FakeRunner
from tests.test_cli import ROOT
from tooling import automation, cli, deploy
from tooling.progress import LiveProgress, PlainProgress, last_line


def project(tmp_path: Path, *stacks: str, extra: dict[str, str] | None = None) -> Path:
    """A project folder with copies of the committed stack files `stacks` and extra ones (name → YAML text)."""
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    for name in stacks:
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", root / f"Pulumi.{name}.yaml")
    for name, text in (extra or {}).items():
        (root / f"Pulumi.{name}.yaml").write_text(text)
    return root


@pytest.fixture
def fake(monkeypatch):
    """The deploy command with a fake runner and a Pulumi CLI that 'is installed'."""
    runner = FakeRunner()
    monkeypatch.setattr(automation, "check_cli", lambda: "v3.272.0")
    monkeypatch.setattr(automation, "ProcessRunner", lambda root, **options: runner)
    return runner


@pytest.mark.parametrize(
    ("argv", "extra", "message"),
    [
        (["--parallel", "0"], {}, "--parallel 0: must be 1 or more"),
        (["--only", "nope"], {}, "--only nope: no stack file Pulumi.nope.yaml"),
        (["--from", "nope"], {}, "--from nope: no stack file Pulumi.nope.yaml"),
        (["--only", "owner", "--from", "owner"], {}, "not allowed with argument"),
        (["--parallel", "many"], {}, "invalid int value: 'many'"),
        (
            [],
            {"odd": "config:\n  lattice-tenancy:kind: shared\n"},
            "lattice-tenancy:kind: 'shared' is not a stack kind",
        ),
        (
            [],
            {"t2": "config:\n  lattice-tenancy:kind: tenant\n  lattice-tenancy:ownerStack: acme/lattice-tenancy/t2\n"},
            "Pulumi.t2.yaml lattice-tenancy:ownerStack: 'acme/lattice-tenancy/t2' names this stack itself, a cycle",
        ),
        (
            [],
            {
                "t2": "config:\n  lattice-tenancy:kind: tenant\n  lattice-tenancy:ownerStack: acme/lattice-tenancy/gone\n"
            },
            "pass --external acme/lattice-tenancy/gone",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_runs(tmp_path, fake, capsys, argv, extra, message):
    root = project(tmp_path, "owner", "tenant-a", extra=extra)
    assert cli.main(["deploy", "up", "--root", str(root), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert fake.started == [] and not (root / ".deploy").exists()


def test_an_external_owner_is_accepted_when_declared(tmp_path, fake, capsys):
    text = "config:\n  lattice-tenancy:kind: tenant\n  lattice-tenancy:ownerStack: acme/lattice-tenancy/gone\n"
    root = project(tmp_path, extra={"t2": text})
    assert cli.main(["deploy", "preview", "--root", str(root), "--external", "acme/lattice-tenancy/gone"]) == 0
    assert fake.started == ["t2"] and fake.operations == {"preview"}


def test_a_missing_pulumi_cli_stops_before_anything_runs(tmp_path, monkeypatch, capsys):
    root = project(tmp_path, "owner", "tenant-a")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cli.main(["deploy", "up", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "the Pulumi CLI is not installed" in err and "https://get.pulumi.com" in err and err.count("\n") == 1
    assert not (root / ".deploy").exists()


def test_the_dry_run_shows_the_waves_and_runs_the_offline_plan(tmp_path, fake, capsys):
    root = project(tmp_path, "owner", "tenant-a")
    assert cli.main(["deploy", "destroy", "--root", str(root), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("destroy: 2 of 2 stack(s), in waves")
    assert out.index("wave 1:\n    tenant-a") < out.index("wave 2:\n    owner  (owner; eu-west-1; ambient creds; after")
    assert "Stack owner (owner) — offline plan" in out and "Stack tenant-a (tenant)" in out
    assert fake.started == [] and not (root / ".deploy").exists()


def test_a_run_prints_the_table_writes_the_json_and_a_rerun_resumes(tmp_path, fake, capsys):
    root = project(tmp_path, "owner", "tenant-a")
    fake.fail = {"tenant-a"}
    assert cli.main(["deploy", "up", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "owner: up started" in out and "tenant-a: failed" in out and "tenant-a broke" in out
    assert "tenant-a  tenant  failed" in out and f"summary: {root / '.deploy' / 'summary-up.json'}" in out
    summary = json.loads((root / ".deploy" / "summary-up.json").read_text())
    assert [(s["stack"], s["status"]) for s in summary["stacks"]] == [("owner", "succeeded"), ("tenant-a", "failed")]
    assert (root / ".deploy" / ".gitignore").read_text() == "*\n"

    fake.fail = set()
    fake.started.clear()
    assert cli.main(["deploy", "up", "--root", str(root), "--json"]) == 0
    captured = capsys.readouterr()
    assert fake.started == ["tenant-a"]
    document = json.loads(captured.out)
    assert [(s["stack"], s["status"]) for s in document["stacks"]] == [
        ("owner", "done earlier"),
        ("tenant-a", "succeeded"),
    ]
    assert "tenant-a: succeeded" in captured.err  # progress goes to stderr when stdout is the JSON


def test_restart_runs_everything_again(tmp_path, fake):
    root = project(tmp_path, "owner", "tenant-a")
    fake.fail = {"tenant-a"}
    cli.main(["deploy", "up", "--root", str(root)])
    fake.fail, fake.started[:] = set(), []
    assert cli.main(["deploy", "up", "--root", str(root), "--restart"]) == 0
    assert fake.started == ["owner", "tenant-a"]


# -- progress -----------------------------------------------------------------------------------------------------


def test_plain_progress_is_one_line_per_change(tmp_path):
    stream = io.StringIO()
    progress = PlainProgress(stream, "up", tmp_path)
    progress(deploy.Event("owner", "running"))
    progress(deploy.Event("owner", "failed", 12.4, "409 ConflictException"))
    progress(deploy.Event("tenant-a", "skipped", 0.0, "owner failed"))
    lines = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        f"owner: up started (log {tmp_path / 'owner.log'})",
        "owner: failed in 12s: 409 ConflictException",
        "tenant-a: skipped: owner failed",
    ]


def test_the_live_view_shows_every_stack_and_the_latest_log_line(tmp_path):
    from rich.console import Console

    from tests.deploy_fakes import fleet

    graph = deploy.build_graph(fleet(2))
    (tmp_path / "owner.log").write_text("Updating (owner)\n\n  + aws:rds/instance:Instance db creating (120s)\n\n")
    console = Console(file=io.StringIO(), width=160, force_terminal=False)
    progress = LiveProgress(graph, graph.order("up"), "up", tmp_path, console=console)
    progress(deploy.Event("owner", "running"))
    progress(deploy.Event("owner-dr", "failed", 3.0, "boom"))
    console.print(progress.render())
    text = console.file.getvalue()
    assert "aws:rds/instance:Instance db creating (120s)" in text
    assert "owner-dr" in text and "failed" in text and "boom" in text and "pending" in text
    assert last_line(tmp_path / "missing.log") == ""


def test_the_live_view_of_more_stacks_than_the_screen_holds_shows_the_counts_and_what_needs_a_look(tmp_path):
    from rich.console import Console

    from tests.deploy_fakes import fleet

    graph = deploy.build_graph(fleet(3000))
    console = Console(file=io.StringIO(), width=120, height=20, force_terminal=False)
    progress = LiveProgress(graph, graph.order("up"), "up", tmp_path, console=console)
    for name in ("owner", "owner-dr", *(f"tenant-{i}" for i in range(100))):
        progress(deploy.Event(name, "succeeded", 1.0))
    progress(deploy.Event("tenant-2998", "failed", 3.0, "boom"))
    for i in range(2500, 2505):
        progress(deploy.Event(f"tenant-{i}", "running"))
    console.print(progress.render(), crop=True)
    lines = console.file.getvalue().splitlines()
    assert len(lines) <= 20, lines
    assert lines[0] == "2,894 pending, 5 running, 102 succeeded, 1 failed"
    shown = [line.split()[1] for line in lines if line.startswith("│ tenant-")]
    assert shown[:6] == [*(f"tenant-{i}" for i in range(2500, 2505)), "tenant-2998"]  # what needs a look first
    assert "boom" in "".join(lines) and any("… 2,989 more" in line for line in lines)
    # the stacks that fit are all shown, in order, as before
    small = deploy.build_graph(fleet(3))
    console = Console(file=io.StringIO(), width=120, height=20, force_terminal=False)
    console.print(LiveProgress(small, small.order("up"), "up", tmp_path, console=console).render(), crop=True)
    assert [line.split()[1] for line in console.file.getvalue().splitlines() if line.startswith("│ ")] == small.order(
        "up"
    )
