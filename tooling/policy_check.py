"""The policy pack against every stack in this repository, offline, reported the way `pulumi preview` does.

    python -m tooling.policy_check                          # every Pulumi.<stack>.yaml: owners first, then the rest
    python -m tooling.policy_check --stack tenant-a         # only these (repeatable); owner stacks still run first
    python -m tooling.policy_check --policy-config cfg.json # policy config, as `--policy-pack-config` takes it

Each stack's program runs under Pulumi's mock engine (tooling.mock_engine) with its real stack file; a tenant's
StackReference gets the resolved exports of the owner stack its `ownerStack` names. The recorded registrations go
through the pack exactly as the CrossGuard analyzer would pass them (tooling.policy_evaluation). Offline the policies
see each resource's declared inputs: not the provider's defaults or auto-names, and stack policies see inputs
where the engine would pass outputs. Secret config can't be decrypted, so secrets are marked placeholders.

Exit status: 0 when no mandatory policy is violated; 1 on a mandatory violation or a stack that can't be planned
(a guardrail that can't run is not a pass); 2 for bad arguments or policy config.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies.rules import PACK_NAME, POLICIES
from tooling.policy_evaluation import (
    PACK_VERSION,
    PolicyConfigError,
    PolicyFailure,
    Violation,
    evaluate,
    mandatory,
    normalize_config,
)
from tooling.records import Registration
from tooling.stackfiles import stack_names

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 120
OFFLINE_NOTE = (
    "Offline the policies see each resource's declared inputs: not the provider's defaults or auto-names, and stack "
    "policies see inputs where the engine passes outputs. `pulumi preview --policy-pack policies` checks the values "
    "the engine really sends."
)

__all__ = ["StackCheck", "Violation", "check_stacks", "counts", "evaluate", "main", "render_stack", "summary"]


@dataclass
class StackCheck:
    """One stack's verdict: its violations, or the error that kept it from being planned."""

    name: str
    kind: str
    resources: list[Registration] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None
    exports: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(mandatory(self.violations))


def check_stacks(
    root: Path = ROOT, only: Sequence[str] | None = None, config: Mapping[str, Any] | None = None
) -> list[StackCheck]:
    """Plan every stack (owners first) and evaluate the pack on each; `only` limits what is returned."""
    from tooling import plan  # the offline plan runs the stacks; this module only adds the pack's verdicts

    normalize_config(config)  # bad policy config fails before any stack runs
    checks: list[StackCheck] = []
    owners: dict[str, plan.StackPlan] = {}
    for stack in plan.deployment_order(root):
        planned = plan.plan_stack(root, stack, owners)
        if planned.kind == "owner":
            owners[stack] = planned
        check = StackCheck(stack, planned.kind, error=planned.error)
        if planned.result is not None:
            check.resources = planned.result.registrations
            check.exports = planned.result.exports
            try:
                check.violations = evaluate(planned.result.registrations, config)
            except PolicyFailure as error:
                check.error = str(error)
        if only is None or stack in only:
            checks.append(check)
    return checks


# --- output -------------------------------------------------------------------------------------------------------


def _subject(urn: str) -> str:
    """`type: name` of a URN, as the CLI labels a violation; the stack itself for a stack-wide one."""
    if not urn:
        return "stack"
    head, name = urn.rsplit("::", 1)
    return f"{head.rsplit('::', 1)[-1].rsplit('$', 1)[-1]}: {name}"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent.rstrip()]


def render_stack(check: StackCheck) -> str:
    pack = f"{PACK_NAME}@v{PACK_VERSION} (local: policies)"
    descriptions = {p.name: p.description for p in POLICIES}
    out = [f"Stack {check.name} ({check.kind}), offline"]
    if check.error:
        out.append(f"    ❌ {pack}: the stack could not be checked")
        for line in check.error.splitlines():
            out.extend(_wrap(line.strip(), "        "))
        return "\n".join(out)
    symbol = "❌" if mandatory(check.violations) else ("⚠️ " if check.violations else "✅")
    out.append(f"    {symbol} {pack}")
    for v in check.violations:
        out.extend(_wrap(f"- [{v.level}]  {v.policy}  ({_subject(v.urn)})", "        "))
        out.extend(_wrap(descriptions.get(v.policy, ""), "          "))
        out.extend(_wrap(v.message, "          "))
        if v.urn:
            out.append(f"          {v.urn}")  # whole, even past the width: it is copied, not read
    return "\n".join(out)


def counts(check: StackCheck) -> str:
    """What was checked, counted as the offline plan counts it: resources to create, and the components."""
    resources = sum(1 for r in check.resources if r.custom and not r.is_read)
    components = sum(1 for r in check.resources if not r.custom)
    return f"{resources} resources in {components} components"


def summary(checks: Sequence[StackCheck]) -> str:
    out = [f"Summary: policy pack {PACK_NAME}@v{PACK_VERSION}, {len(POLICIES)} policies, offline"]
    for check in checks:
        if check.error:
            out.extend(_wrap(f"{check.name}: NOT CHECKED — {check.error.splitlines()[0]}", "  "))
            continue
        hard = len(mandatory(check.violations))
        out.append(
            f"  {check.name}: {counts(check)}; {hard} mandatory, {len(check.violations) - hard} advisory violations"
        )
    out.extend(_wrap(OFFLINE_NOTE, ""))
    return "\n".join(out)


def as_json(checks: Sequence[StackCheck]) -> str:
    return json.dumps(
        {
            "pack": {"name": PACK_NAME, "version": PACK_VERSION, "policies": len(POLICIES)},
            "stacks": [
                {"name": c.name, "kind": c.kind, "error": c.error, "violations": [v.__dict__ for v in c.violations]}
                for c in checks
            ],
        },
        indent=1,
        sort_keys=True,
        ensure_ascii=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tooling.policy_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", action="append", help="only this stack (repeatable); owner stacks still run first")
    parser.add_argument("--root", type=Path, default=ROOT, help="the project folder (default: this checkout)")
    parser.add_argument("--policy-config", type=Path, help="JSON policy config, as `--policy-pack-config` takes it")
    parser.add_argument("--json", action="store_true", help="violations as JSON")
    args = parser.parse_args(argv)

    config = None
    try:
        if args.policy_config:
            config = json.loads(args.policy_config.read_text())
        unknown = sorted(set(args.stack or ()) - set(stack_names(args.root)))
        if unknown:
            raise PolicyConfigError(f"no stack file Pulumi.{unknown[0]}.yaml in {args.root}")
        checks = check_stacks(args.root, args.stack, config)
    except (OSError, json.JSONDecodeError, PolicyConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    if args.json:
        print(as_json(checks))
    else:
        for check in checks:
            print(render_stack(check))
            print()
        print(summary(checks))
    return 1 if any(c.failed for c in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
