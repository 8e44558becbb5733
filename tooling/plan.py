"""The offline plan: every stack in the repository, in deployment order, as `pulumi preview` would show it.

    python -m tooling plan                 # a tree per stack, exports, policy verdicts, estimate, summary
    python -m tooling plan --json          # every resource with its wire inputs, dependencies and options
    python -m tooling plan --mermaid       # the diagram, generated from the plan

Stacks are the real stack files. Owner stacks run first; each tenant's StackReference is fed the resolved exports
of the owner stack its `ownerStack` names. Secret values that can't be decrypted offline are marked placeholders.
Exit status: 0 when every stack planned and no mandatory policy is violated; 1 otherwise. No tracebacks for
user errors: a bad config or a failed contract check prints the same message a real run would.
"""

from __future__ import annotations

import io
import json
import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tenancy.config import PROJECT, RecoveryConfig, StackConfig, TenantStackConfig
from tenancy.contract import CONTRACT_KEYS
from tenancy.loading import ConfigError, load_stack_config
from tooling import access, estimate, json_text, program_child
from tooling.aws_standin import OfflineAws, assumed_subnets
from tooling.mock_engine import ProgramError
from tooling.policy_evaluation import Evaluation, PolicyFailure
from tooling.records import Registration, RunResult, is_secret
from tooling.resource_types import KEY_PROPERTIES, region_of
from tooling.second_core import Lane, Pending
from tooling.stackfiles import StackFile, read_stack_files, reference_of

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ACCOUNTS = {"owner": "111111111111", "recovery": "111111111111", "tenant": "222222222222"}
# Stacks that run a service network tenants connect to (and that the access analysis covers).
SERVING_KINDS = ("owner", "recovery")
# Resources from which a stack's stack policies or access analysis go to the second core: a fork and the child's exit
# take ~10 ms (the page tables of the whole process), each of those ~0.03-0.1 ms per resource of the stack.
FORK_FROM = 200


@dataclass
class StackPlan:
    """One stack's planned resources, or the error that stopped it."""

    name: str
    kind: str
    account_id: str
    region: str
    result: RunResult | None = None
    error: str | None = None
    inputs_from: dict[str, str] = field(default_factory=dict)  # export fed in → the owner stack it came from
    violations: list[Any] = field(default_factory=list)
    access: list[access.TenantAccess] | None = None  # owner stacks: what each of their tenants can reach
    reads: tuple[str, str] | None = None  # (config key, stack reference) of the stack whose exports it reads

    @property
    def resources(self) -> list[Registration]:
        return sorted(self.result.registrations, key=lambda r: r.urn) if self.result else []


def _stack_named(reference: str) -> str:
    """The stack a `<org>/lattice-tenancy/<stack>` reference names here: its stack part."""
    return reference.rsplit("/", 1)[-1]


def _owner_for(reference: str, owners: dict[str, StackPlan]) -> StackPlan | None:
    """The planned owner stack a tenant's reference names."""
    return owners.get(_stack_named(reference))


def _reference_of(model: StackConfig) -> tuple[str, str] | None:
    """(config key, stack name) of the stack whose exports this one reads, if any."""
    if isinstance(model, TenantStackConfig):
        return "ownerStack", model.owner_stack
    if isinstance(model, RecoveryConfig):
        return "primaryStack", model.primary_stack
    return None


def _not_planned(plan: StackPlan, owner: StackPlan) -> StackPlan:
    """The stack, not planned: the one it reads could not be (its own message is shown there)."""
    assert plan.reads is not None
    key, referenced = plan.reads
    error = (
        f"not planned: lattice-tenancy:{key} ({referenced}) names stack {owner.name}, which could "
        f"not be planned (its error is shown under stack {owner.name}); fix that stack first"
    )
    return StackPlan(plan.name, plan.kind, plan.account_id, plan.region, error=error, reads=plan.reads)


def plan_stack(
    stack_file: StackFile,
    owners: dict[str, StackPlan],
    on_registration: Callable[[Registration], None] | None = None,
    in_child: bool = False,
) -> StackPlan:
    """One stack under the mock engine; a tenant is fed the exports of the planned owner its ownerStack names. Each
    registration goes to `on_registration` as it is made; `in_child`: the program runs in a child process
    (tooling.program_child), so the memory of its run goes back to the system when it ends."""
    stack, kind, config, secret, region = (
        stack_file.name,
        stack_file.kind,
        stack_file.config,
        set(stack_file.secret),
        stack_file.region,
    )
    try:
        model = load_stack_config(config, secret, stack)
    except ConfigError as error:
        return StackPlan(stack, kind, "?", region, error=str(error))

    account = model.expected_account_id or DEFAULT_ACCOUNTS.get(kind, DEFAULT_ACCOUNTS["owner"])
    subnets = dict(assumed_subnets(model.network.vpc_id, list(model.network.subnet_ids), region))
    if not isinstance(model, TenantStackConfig) and model.database.subnet_ids:
        subnets.update(assumed_subnets(model.network.vpc_id, list(model.database.subnet_ids), region))
    stacks: dict[str, dict] = {}
    reference = _reference_of(model)
    plan = StackPlan(stack, kind, account, region, reads=reference)
    if reference is not None:
        referenced = reference[1]
        owner = _owner_for(referenced, owners)
        if owner is not None and owner.error is not None:
            return _not_planned(plan, owner)
        if owner is not None and owner.result is not None:
            stacks[referenced] = owner.result.exports
            plan.inputs_from = {k: owner.name for k in sorted(owner.result.exports)}
    mocks = OfflineAws(account, region, subnets, stacks=stacks)
    try:
        plan.result = program_child.run(
            config, stack=stack, secret_keys=secret, mocks=mocks, on_registration=on_registration, fork=in_child
        )
    except ProgramError as error:
        plan.error = str(error)
    except Exception as error:  # e.g. the engine refusing a StackReference to a stack that isn't in the repo
        plan.error = f"{type(error).__name__}: {error}"
    return plan


def needed_for(stack_files: list[StackFile], only: list[str], *, readers: bool = True) -> set[str]:
    """The stacks a plan of `only` runs: those, the stacks they read (a tenant its owner, a recovery stack its
    primary, transitively), and with `readers` the tenants of a named owner or recovery stack (its access analysis
    reads them). The rest can't change what is returned: with thousands of tenant stacks, one tenant's plan runs two
    stacks."""
    by_name = {f.name: f for f in stack_files}

    def read_by(stack_file: StackFile) -> str | None:
        reference = reference_of(stack_file, PROJECT)
        return _stack_named(reference) if reference else None

    wanted = set(only)
    if readers:
        wanted |= {f.name for f in stack_files if f.kind == "tenant" and read_by(f) in wanted}
    needed: set[str] = set()
    todo = sorted(wanted)
    while todo:
        name = todo.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        if (reads := read_by(by_name[name])) is not None:
            todo.append(reads)
    return needed


def plan_all(
    root: Path = ROOT,
    only: list[str] | None = None,
    policy_config: dict | None = None,
    lane: Lane | None = None,
    *,
    analyse: bool = True,
) -> list[StackPlan]:
    """Every stack file (owners first), each with the pack's verdicts, and the owners' access analyses (not with
    `analyse=False`: the policy pack's report has no use for them); `only` limits what is returned, and runs only
    what that needs (see needed_for).

    On two cores (`lane`: by default, where a fork is safe: tooling.second_core), an owner or recovery stack's program
    runs in a child process while this one reads its resources and runs the pack on each; the stack policies of a
    large stack run in a child while the next stack's program runs; every access analysis but the last runs in a
    child while this process does the last. Tenant stacks, a dozen resources each, run here."""
    planned: list[StackPlan] = []
    owners: dict[str, StackPlan] = {}
    verdicts: list[tuple[StackPlan, Pending[list[Any]]]] = []
    stack_files = read_stack_files(root)
    if only is not None:
        needed = needed_for(stack_files, only, readers=analyse)
        stack_files = [f for f in stack_files if f.name in needed]
    with lane or Lane() as lane:
        for stack_file in stack_files:
            evaluation = Evaluation(policy_config)
            serving = stack_file.kind in SERVING_KINDS
            plan = plan_stack(stack_file, owners, evaluation.add, in_child=serving and lane.forks)
            if serving:
                owners[plan.name] = plan
            if plan.result is not None:
                # The stack policies: in a child while the next stack's program runs, for a large stack.
                records = plan.result.registrations
                pending = lane.start(evaluation.finish, records, worth_a_fork=len(records) >= FORK_FROM)
                verdicts.append((plan, pending))
            planned.append(plan)
        for plan, pending in verdicts:
            try:
                plan.violations = pending.result()
            except PolicyFailure as error:
                plan.error = str(error)
        # A stack whose pack failed can't be read: the stacks planned after it from its exports are not planned.
        done: set[str] = set()
        for i, plan in enumerate(planned):
            owner = _owner_for(plan.reads[1], owners) if plan.reads else None
            if owner is not None and owner.name in done and owner.error is not None and plan.error is None:
                planned[i] = _not_planned(plan, owner)
                if plan.name in owners:
                    owners[plan.name] = planned[i]
            done.add(plan.name)
        analysed = [owner for owner in owners.values() if owner.result is not None and analyse]
        analyses = []
        for owner in analysed:
            tenants = [p for p in planned if p.kind == "tenant" and owner.name in p.inputs_from.values()]
            primary = owners.get(next(iter(owner.inputs_from.values()), ""))  # a recovery stack's primary
            worth_a_fork = owner is not analysed[-1] and len(owner.resources) >= FORK_FROM
            analyses.append((owner, lane.start(access.analyse, owner, tenants, primary, worth_a_fork=worth_a_fork)))
        for owner, analysis in analyses:
            owner.access = analysis.result()
    return [p for p in planned if only is None or p.name in only]


# --- rendering for people -----------------------------------------------------------------------------------


def _short(value: Any, width: int = 36) -> str:
    if is_secret(value):
        return "[secret]"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.startswith("{") and '"Statement"' in value:
        return f"<policy {len(value.encode())} B>"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True, separators=(",", ":"))
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_of(resource: Registration) -> str:
    keys = KEY_PROPERTIES.get(resource.type, ())
    parts = [f"{k}={_short(resource.inputs[k])}" for k in keys if k in resource.inputs]
    if resource.protect:
        parts.append("protect")
    return " ".join(parts)


def _tree_lines(plan: StackPlan) -> list[tuple[str, str, str, str]]:
    """(operation, indented type, name, key properties) per resource, nested under its parent."""
    children: dict[str, list[Registration]] = {}
    for r in plan.resources:
        children.setdefault(r.parent, []).append(r)
    stack_urn = next(
        (
            r.parent
            for r in plan.resources
            if r.parent.endswith("pulumi:pulumi:Stack::" + f"lattice-tenancy-{plan.name}")
        ),
        "",
    )
    rows = [("+", "pulumi:pulumi:Stack", f"lattice-tenancy-{plan.name}", "")]

    def walk(parent: str, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name))
        for i, r in enumerate(kids):
            last = i == len(kids) - 1
            op = ">" if r.is_read else "+"
            rows.append((op, f"{prefix}{'└─ ' if last else '├─ '}{r.type}", r.name, _summary_of(r)))
            walk(r.urn, prefix + ("   " if last else "│  "))

    walk(stack_urn, "")
    return rows


def render_stack(plan: StackPlan, width: int = 120) -> str:
    out = [f"Stack {plan.name} ({plan.kind}) — offline plan, account {plan.account_id}, {plan.region}"]
    if plan.error or plan.result is None:
        out.append("  error:")
        for line in (plan.error or "not planned").splitlines():
            out.extend(textwrap.wrap(line.strip(), width, initial_indent="    ", subsequent_indent="      "))
        return "\n".join(out)
    rows = _tree_lines(plan)
    name_width = min(max(len(r[2]) for r in rows), 40)
    type_width = min(max(len(r[1]) for r in rows), width - name_width - 16)
    out.append(f"     {'Type':<{type_width}}  {'Name':<{name_width}}  Plan")
    for op, typ, name, props in rows:
        verb = "read" if op == ">" else "create"
        typ = typ if len(typ) <= type_width else typ[: type_width - 1] + "…"
        out.append(f" {op}   {typ:<{type_width}}  {name[:name_width]:<{name_width}}  {verb}")
        if props:
            out.extend(textwrap.wrap(props, width, initial_indent=" " * 9, subsequent_indent=" " * 11))
    if plan.inputs_from:
        owner = next(iter(plan.inputs_from.values()))
        handed = ", ".join(k for k in plan.inputs_from if k in CONTRACT_KEYS)
        out.append("")
        out.extend(
            textwrap.wrap(
                f"Contract read from stack {owner}: {handed}", width, initial_indent="  ", subsequent_indent="    "
            )
        )
    scope = plan.result.exports.get("sharing_scope")
    if scope:
        out.append("")
        out.extend(textwrap.wrap(f"Sharing scope: {scope}", width, initial_indent="  ", subsequent_indent="    "))
    for hold in (plan.result.exports.get("service_rollbacks") or {}).values():
        out.append("")
        out.extend(textwrap.wrap(f"Canary held: {hold}", width, initial_indent="  ", subsequent_indent="    "))
    out.append("\n  Outputs:")
    for key, value in sorted(plan.result.exports.items()):
        if value is None or key in ("sharing_scope", "service_rollbacks"):
            continue
        shown = "[secret]" if key in plan.result.secret_exports else _short(value, width - 38)
        out.append(f"    {key:<32} {shown}")
    if plan.violations:
        out.append("\n  Policy violations:")
        for v in plan.violations:
            text = f"{v.level:<9} {v.policy}  {v.urn.rsplit('::', 1)[-1]}: {v.message}"
            out.extend(textwrap.wrap(text, width, initial_indent="    ", subsequent_indent="      "))
    return "\n".join(out)


def summary(plans: list[StackPlan]) -> str:
    out = ["Summary"]
    for plan in plans:
        if plan.error:
            out.extend(
                textwrap.wrap(
                    f"{plan.name}: FAILED — {plan.error.splitlines()[0]}",
                    118,
                    initial_indent="  ",
                    subsequent_indent="    ",
                )
            )
            continue
        counts = Counter(r.type for r in plan.resources if r.custom and not r.is_read)
        components = sum(1 for r in plan.resources if not r.custom)
        mandatory = sum(1 for v in plan.violations if v.level == "mandatory")
        advisory = len(plan.violations) - mandatory
        verdict = f"policy pack: {mandatory} mandatory, {advisory} advisory violations"
        out.append(f"  {plan.name}: {sum(counts.values())} resources to create in {components} components; {verdict}")
        for typ, n in sorted(counts.items()):
            out.append(f"      {n:>4}  {typ}")
    return "\n".join(out)


def access_reports(plans: list[StackPlan]) -> dict[str, list[access.TenantAccess]]:
    """Per planned owner stack: the access analysis of its tenants (with the tenant stacks that read it)."""
    return {p.name: p.access for p in plans if p.access is not None}


def sharing_scopes(plans: list[StackPlan]) -> dict[str, str]:
    """Per planned owner stack: who its RAM share lets reach the database port, in plain words."""
    return {p.name: access.sharing_scope(p) for p in plans if p.access is not None}


def failed(plans: list[StackPlan]) -> bool:
    violated = any(p.error or any(v.level == "mandatory" for v in p.violations) for p in plans)
    return violated or any(access.problems(r) for r in access_reports(plans).values())


# --- for machines -------------------------------------------------------------------------------------------


def _document(plans: list[StackPlan]) -> dict[str, Any]:
    stacks = []
    for plan in plans:
        entry: dict[str, Any] = {
            "name": plan.name,
            "kind": plan.kind,
            "account": plan.account_id,
            "region": plan.region,
            "error": plan.error,
            "inputsFrom": plan.inputs_from,
        }
        if plan.result is not None:
            entry["resources"] = [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "custom": r.custom,
                    "region": region_of(r.type, r.inputs, plan.region) if r.custom and not r.is_read else None,
                    "read": r.is_read,
                    "inputs": r.inputs,
                    "dependencies": r.dependencies,
                    "propertyDependencies": r.property_dependencies,
                    "options": {"protect": r.protect},
                }
                for r in plan.resources
            ]
            entry["exports"] = plan.result.exports
            entry["secretExports"] = sorted(plan.result.secret_exports)
            entry["policyViolations"] = [v.__dict__ for v in plan.violations]
        stacks.append(entry)
    document = {
        "stacks": stacks,
        "estimate": estimate.for_plans(plans),
        "access": {
            owner: access.as_data(report, sharing_scopes(plans)[owner])
            for owner, report in access_reports(plans).items()
        },
    }
    return document


def write_json(plans: list[StackPlan], out: TextIO) -> None:
    """The plan for machines: json.dumps(…, sort_keys=True, indent=1, ensure_ascii=False)'s bytes, written as they
    are encoded (tooling.json_text: a third less time than the standard encoder, and the encoder's millions of small
    pieces never pile up in one list, which at 1,000 tenants cost more memory than the whole text)."""
    json_text.write(_document(plans), out.write)
    out.write("\n")


def as_json(plans: list[StackPlan]) -> str:
    text = io.StringIO()
    write_json(plans, text)
    return text.getvalue()


def render(plans: list[StackPlan]) -> str:
    """The whole plan for people: each stack, the estimate, the access reports, the summary."""
    out = [render_stack(plan) + "\n" for plan in plans]
    out.append(estimate.render(plans) + "\n")
    scopes = sharing_scopes(plans)
    regions = {p.name: p.region for p in plans}
    out += [
        access.render(report, scopes[owner], where=f"stack {owner}, {regions[owner]}") + "\n"
        for owner, report in access_reports(plans).items()
    ]
    out.append(summary(plans))
    return "\n".join(out) + "\n"
