"""The policy pack against every stack in this repository, offline, reported the way `pulumi preview` does.

    python -m tooling policies                          # every Pulumi.<stack>.yaml: owners first, then the rest
    python -m tooling policies --stack tenant-a         # only these (repeatable), and the stacks they read
    python -m tooling policies --policy-config cfg.json # policy config, as `--policy-pack-config` takes it

Each stack's program runs under Pulumi's mock engine (tooling.mock_engine) with its real stack file; a tenant's
StackReference gets the resolved exports of the owner stack its `ownerStack` names. The recorded registrations go
through the pack exactly as the CrossGuard analyzer would pass them (tooling.policy_evaluation). Offline the policies
see each resource's declared inputs: not the provider's defaults or auto-names, and stack policies see inputs
where the engine would pass outputs. Secret config can't be decrypted, so secrets are marked placeholders.

Exit status: 0 when no mandatory policy is violated; 1 on a mandatory violation or a stack that can't be planned
(a guardrail that can't run is not a pass); 2 for bad arguments or policy config.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies.rules import PACK_NAME, POLICIES
from tooling import plan
from tooling.policy_evaluation import (
    PACK_VERSION,
    Violation,
    evaluate,
    mandatory,
    normalize_config,
)
from tooling.records import Registration

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 120
OFFLINE_NOTE = (
    "Offline the policies see each resource's declared inputs: not the provider's defaults or auto-names, and stack "
    "policies see inputs where the engine passes outputs. `pulumi preview --policy-pack policies` checks the values "
    "the engine really sends."
)

__all__ = ["StackCheck", "Violation", "check_stacks", "counts", "evaluate", "render", "render_stack", "summary"]


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
    """Plan every stack (owners first) with the pack's verdicts; `only`: those stacks and what they read (see
    plan.needed_for), without the access analysis or the tenant stacks it would read."""
    normalize_config(config)  # bad policy config fails before any stack runs
    return [
        StackCheck(
            planned.name,
            planned.kind,
            resources=planned.result.registrations if planned.result else [],
            violations=list(planned.violations),
            error=planned.error,
            exports=planned.result.exports if planned.result else {},
        )
        for planned in plan.plan_all(
            root, list(only) if only is not None else None, dict(config or {}) or None, analyse=False
        )
    ]


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


def render(checks: Sequence[StackCheck]) -> str:
    """Every stack's verdict, then the summary."""
    return "\n".join([*(render_stack(check) + "\n" for check in checks), summary(checks)])


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
