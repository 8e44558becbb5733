"""One command line for the tooling: `python -m tooling <command>` (the Makefile targets call these).

    plan          the offline plan of every stack (tree, exports, policy verdicts, estimate, access analysis)
    policies      the CrossGuard pack against every stack, offline, reported as `pulumi preview` does
    diagram       rewrite the README's Mermaid diagram from the plan
    policy-table  rewrite the README's guardrail table from the pack
    schema        rewrite the stack files' JSON Schema from the config models
    cost          per tenant, the resources it is charged for; the shared fixed monthly cost, from a price table
    deploy        preview, up, refresh or destroy every stack in dependency order (tooling.deploy_command)
    workflow      rewrite the CI workflow (.github/workflows/deploy.yml) from the same graph

Every command takes `--root` (the project folder). Exit status, the same for all: 0 done, nothing found; 1 a
finding (a stack that can't be planned, a mandatory policy violation, an access problem, a generated file out of
date with --check); 2 a usage or input error, reported in one line. A user error never prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from tooling import cost, deploy_command, diagram, plan, policy_check, readme, schema
from tooling.mock_engine import young_collections_only
from tooling.policy_evaluation import PolicyConfigError
from tooling.stackfiles import stack_names

ROOT = Path(__file__).resolve().parent.parent


class UsageError(Exception):
    """The command line or one of its input files is wrong: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--root", type=Path, default=ROOT, help="the project folder (default: this checkout)")
    stacks = _Parser(add_help=False)
    stacks.add_argument(
        "--stack",
        action="append",
        help="only this stack (repeatable); runs it and the stacks it reads (and, for the plan's access analysis, an "
        "owner or recovery stack's tenants)",
    )
    stacks.add_argument("--policy-config", type=Path, help="policy pack config, as `--policy-pack-config` takes it")

    parser = _Parser(prog="python -m tooling", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    plan_cmd = commands.add_parser("plan", parents=[common, stacks], help="the offline plan of every stack")
    output = plan_cmd.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable plan on stdout")
    output.add_argument("--mermaid", action="store_true", help="the diagram (Mermaid) on stdout")
    policies_cmd = commands.add_parser("policies", parents=[common, stacks], help="the policy pack, offline")
    policies_cmd.add_argument("--json", action="store_true", help="violations as JSON")
    for name, what in (
        ("diagram", "the README's diagram"),
        ("policy-table", "the README's guardrail table"),
        ("schema", "the stack files' JSON Schema"),
    ):
        generated = commands.add_parser(name, parents=[common], help=f"rewrite {what}")
        generated.add_argument("--check", action="store_true", help="don't write; exit 1 when it is out of date")
        generated.add_argument("--print", action="store_true", help="print it instead of writing it")
    cost_cmd = commands.add_parser("cost", parents=[common], help="per-tenant attribution and shared fixed cost")
    cost_cmd.add_argument("--stack", action="append", help="only this owner stack, or the owner a tenant stack reads")
    cost_cmd.add_argument("--prices", type=Path, help="a price table like tooling/prices.json (default: that file)")
    cost_cmd.add_argument("--json", action="store_true", help="the report as JSON")
    deploy_command.add_parsers(commands, common)
    return parser


def _policy_config(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise UsageError(f"--policy-config {path}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(config, dict):
        raise UsageError(f"--policy-config {path}: a JSON object of policy names is expected")
    return config


def _known_stacks(root: Path, only: Sequence[str] | None) -> None:
    if not (root / "Pulumi.yaml").is_file():
        raise UsageError(f"--root {root}: no Pulumi.yaml there; point --root at the project folder")
    unknown = sorted(set(only or ()) - set(stack_names(root)))
    if unknown:
        raise UsageError(f"--stack {unknown[0]}: no stack file Pulumi.{unknown[0]}.yaml in {root}")


def _generated(args: argparse.Namespace, text: str, write: Any, label: str) -> int:
    """Print, check or write one generated file; `write()` returns True when it changed something."""
    if args.print:
        sys.stdout.write(text)
        return 0
    if args.check:
        return 0 if text in (args.root / label.split()[0]).read_text() else 1
    print(f"{label} " + ("updated" if write() else "already up to date"))
    return 0


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root: Path = args.root
    if args.command in ("deploy", "deploy-one", "workflow"):
        return deploy_command.run(args)  # long-running: Python's collector as usual
    with young_collections_only():  # a batch of work: see there
        return _analyse(args, root)


def _analyse(args: argparse.Namespace, root: Path) -> int:
    if args.command == "plan":
        _known_stacks(root, args.stack)
        plans = plan.plan_all(root, args.stack, _policy_config(args.policy_config))
        if args.json:
            plan.write_json(plans, sys.stdout)
        elif args.mermaid:
            sys.stdout.write(diagram.mermaid(plans))
        else:
            sys.stdout.write(plan.render(plans))
        return 1 if plan.failed(plans) else 0
    if args.command == "policies":
        _known_stacks(root, args.stack)
        checks = policy_check.check_stacks(root, args.stack, _policy_config(args.policy_config))
        print(policy_check.as_json(checks) if args.json else policy_check.render(checks))
        return 1 if any(c.failed for c in checks) else 0
    if args.command == "cost":
        _known_stacks(root, args.stack)
        try:
            table = cost.load_prices(args.prices)
        except cost.PriceTableError as error:
            raise UsageError(str(error)) from None
        plans = cost.select(plan.plan_all(root), args.stack)
        errors = {p.name: p.error or "not planned" for p in cost.failed(plans)}
        reports = cost.analyse(plans, table)
        sys.stdout.write(cost.as_json(reports, table, errors) if args.json else cost.render(reports, table, errors))
        return 1 if errors else 0
    if args.command == "diagram":
        _known_stacks(root, None)
        plans = plan.plan_all(root)
        block = diagram.readme_block(plans)
        return _generated(args, block, lambda: diagram.update_readme(root / "README.md", plans), "README.md diagram")
    if args.command == "policy-table":
        block = readme.readme_block()
        return _generated(args, block, lambda: readme.update_policy_table(root / "README.md"), "README.md policy table")
    text = schema.render()
    return _generated(args, text, lambda: schema.write(root / schema.SCHEMA_PATH), f"{schema.SCHEMA_PATH} schema")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(argv)
    except (UsageError, PolicyConfigError, OSError) as error:
        # One line, whatever the error: a config error's several problems are joined.
        print("error: " + ("; ".join(line.strip() for line in str(error).splitlines()) or repr(error)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
