"""The tooling's one command line: subcommands, one --root, and one exit convention (0 / 1 findings / 2 usage)."""

from __future__ import annotations

import json
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
