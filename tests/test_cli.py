"""The tooling's one command line: subcommands, one --root, and one exit convention (0 / 1 findings / 2 usage)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tooling import cli

ROOT = Path(__file__).resolve().parent.parent


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tooling", *argv], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nonsense"], "invalid choice: 'nonsense'"),
        (["plan", "--stack", "nope"], "--stack nope: no stack file Pulumi.nope.yaml"),
        (["plan", "--json", "--mermaid"], "not allowed with argument"),
        (["plan", "--root", "/nonexistent"], "--root /nonexistent: no Pulumi.yaml there"),
        (["policies", "--policy-config", "/nonexistent/c.json"], "No such file"),
        ([], "the following arguments are required: command"),
    ],
)
def test_usage_and_input_errors_are_one_line_and_exit_2(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_a_policy_config_with_several_problems_is_still_one_line(tmp_path, capsys):
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"rds-backup-retention": {"minimumDays": 0}, "nope": "advisory"}))
    assert cli.main(["plan", "--policy-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "minimumDays: 0 is below the minimum 1" in err


def test_a_finding_exits_1_and_a_clean_run_0_without_tracebacks(tmp_path, capsys):
    assert cli.main(["plan", "--stack", "tenant-a"]) == 0
    assert "Stack tenant-a (tenant)" in capsys.readouterr().out
    # The finding through the installed entry point, as a separate process: its exit status and no traceback.
    root = tmp_path / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".venv", ".git", "*_cache", "__pycache__"))
    owner = root / "Pulumi.owner.yaml"
    owner.write_text(owner.read_text().replace("backupRetentionDays: 7", "backupRetentionDays: 1"))
    done = run("plan", "--root", str(root))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "\nSummary\n" in done.stdout and done.stdout.endswith("\n")  # whole: flushed before the process ended
    # The same finding through the other command, in-process (an escaping exception would fail the test).
    assert cli.main(["policies", "--root", str(root)]) == 1


@pytest.mark.parametrize("command", ["diagram", "policy-table", "schema"])
def test_generated_files_are_checked_without_writing(command):
    assert cli.main([command, "--check"]) == 0


def test_a_stale_generated_file_is_a_finding(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(".venv", ".git", "*_cache", "__pycache__"))
    schema = root / "schemas" / "stack-file.schema.json"
    schema.write_text(schema.read_text().replace('"type": "object"', '"type": "array"', 1))
    assert cli.main(["schema", "--check", "--root", str(root)]) == 1
    assert cli.main(["schema", "--root", str(root)]) == 0
    assert cli.main(["schema", "--check", "--root", str(root)]) == 0


EXITING = """
import atexit, sys, threading, time
from tooling.process_exit import exit_now
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if sys.argv[1] == "thread":  # a thread still working: the interpreter waits for it, so exit_now must too
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread done", file=sys.stderr))).start()
time.sleep(0.1)  # (for the closed-pipe case: the reader goes first)
sys.stdout.write("x" * 1000)  # still in the buffer
exit_now(3) if sys.argv[2] == "exit_now" else sys.exit(3)
"""


def run_exiting(case: str, how: str, **kwargs) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # the buffer is what is tested
    return subprocess.Popen([sys.executable, "-c", EXITING, case, how], cwd=ROOT, env=env, **kwargs)


@pytest.mark.parametrize("case", ["alone", "thread"])
def test_exiting_without_teardown_still_flushes_runs_atexit_and_keeps_the_status(case):
    child = run_exiting(case, "exit_now", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = child.communicate()
    assert child.returncode == 3 and out == "x" * 1000
    assert "atexit ran" in err and ("thread done" in err) == (case == "thread")


@pytest.mark.parametrize("how", ["exit_now", "sys.exit"])
def test_exiting_into_a_closed_pipe_has_cpythons_status_for_a_failed_flush(how):
    child = run_exiting("alone", how, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    child.stdout.close()  # the reader is gone before the flush (as with `| head`)
    assert child.wait() == 120
