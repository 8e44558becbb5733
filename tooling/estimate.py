"""How long a real `pulumi up` would take: the critical path through the planned dependency graph.

The engine creates a resource as soon as everything it depends on exists, so the time of a stack is its longest
dependency chain, not the sum of its resources (the sum is what a serial script such as the original bash recipe
takes). Tenants deploy after their owner, in parallel with each other.

TYPICAL_SECONDS (tooling.resource_types) are ESTIMATES of creation time by resource type, from its SOURCES; real times vary with
region, load and size. They are for comparing plans, not promises.
"""

from __future__ import annotations

import textwrap
from typing import Any

from tooling.resource_types import CROSS_REGION_REPLICA_SECONDS, DEFAULT_SECONDS, TYPICAL_SECONDS
from tooling.stackfiles import DEPLOY_ORDER

MULTI_AZ_RDS_SECONDS = 900


def seconds(resource: Any) -> float:
    if not resource.custom or resource.is_read:
        return 0.0
    if resource.type == "aws:rds/instance:Instance" and resource.inputs.get("replicateSourceDb"):
        return CROSS_REGION_REPLICA_SECONDS[0]
    if resource.type == "aws:rds/instance:Instance" and resource.inputs.get("multiAz") is True:
        return MULTI_AZ_RDS_SECONDS
    return TYPICAL_SECONDS.get(resource.type, DEFAULT_SECONDS)[0]


def critical_path(resources: list[Any]) -> tuple[float, list[str]]:
    """(seconds, URNs of the longest chain) over explicit and property dependencies.

    A dependency on a component means a dependency on everything inside it, as in the engine.
    """
    by_urn = {r.urn: r for r in resources}
    children: dict[str, list[str]] = {}
    for r in resources:
        children.setdefault(r.parent, []).append(r.urn)

    def expand(urn: str) -> list[str]:
        if urn not in by_urn:
            return []
        if by_urn[urn].custom:
            return [urn]
        return [leaf for child in children.get(urn, []) for leaf in expand(child)]

    finish: dict[str, tuple[float, list[str]]] = {}

    def done(urn: str, stack: tuple[str, ...] = ()) -> tuple[float, list[str]]:
        if urn in finish:
            return finish[urn]
        if urn in stack:
            raise ValueError(f"dependency cycle through {urn}")
        r = by_urn[urn]
        deps = set(r.dependencies) | {d for ds in r.property_dependencies.values() for d in ds}
        best: tuple[float, list[str]] = (0.0, [])
        for dep in sorted(deps):
            for leaf in expand(dep):
                candidate = done(leaf, (*stack, urn))
                if candidate[0] > best[0]:
                    best = candidate
        finish[urn] = (best[0] + seconds(r), [*best[1], urn])
        return finish[urn]

    longest: tuple[float, list[str]] = (0.0, [])
    for urn in sorted(by_urn):
        if by_urn[urn].custom:
            candidate = done(urn)
            if candidate[0] > longest[0]:
                longest = candidate
    return longest


def wave(kind: str) -> int:
    return DEPLOY_ORDER.get(kind, len(DEPLOY_ORDER) - 1)


def for_plans(plans: list[Any]) -> dict[str, Any]:
    """Per stack: critical path and serial sum; overall: owners, then tenants in parallel."""
    stacks: dict[str, dict[str, Any]] = {}
    for plan in plans:
        if plan.result is None:
            continue
        path_seconds, path = critical_path(plan.resources)
        stacks[plan.name] = {
            "criticalPathSeconds": path_seconds,
            "criticalPath": [urn.rsplit("::", 1)[-1] for urn in path],
            "serialSeconds": sum(seconds(r) for r in plan.resources),
        }
    # Owners first, then recovery stacks (each reads its primary), then tenants; each wave in parallel.
    waves = [[p.name for p in plans if p.name in stacks and wave(p.kind) == n] for n in range(3)]
    total = sum(max((stacks[s]["criticalPathSeconds"] for s in names), default=0) for names in waves)
    serial = sum(s["serialSeconds"] for s in stacks.values())
    return {
        "stacks": stacks,
        "totalSeconds": total,
        "serialSeconds": serial,
        "typicalSeconds": {t: s for t, (s, _) in sorted(TYPICAL_SECONDS.items())},
        "crossRegionReplicaSeconds": CROSS_REGION_REPLICA_SECONDS[0],
        "note": "estimates; see tooling/resource_types.py SOURCES",
    }


def _minutes(value: float) -> str:
    return f"{value / 60:.1f} min"


def render(plans: list[Any]) -> str:
    data = for_plans(plans)
    out = ["Deploy-time estimate (typical creation times; ESTIMATES, sources in tooling/resource_types.py)"]
    for name, s in data["stacks"].items():
        out.append(
            f"  {name}: critical path {_minutes(s['criticalPathSeconds'])}"
            f" (a serial script: {_minutes(s['serialSeconds'])})"
        )
        out.extend(
            textwrap.wrap(" → ".join(s["criticalPath"]), 118, initial_indent="      ", subsequent_indent="        ")
        )
    out.append(
        f"  all stacks (owners, then recovery stacks, then tenants in parallel): {_minutes(data['totalSeconds'])}"
        f" vs {_minutes(data['serialSeconds'])} one resource at a time"
    )
    typical = ", ".join(f"{t.split(':')[-1]} {s:g}" for t, s in data["typicalSeconds"].items())
    out.extend(
        textwrap.wrap(
            f"typical seconds: {typical}; a cross-Region replica {CROSS_REGION_REPLICA_SECONDS[0]:g}; anything else "
            f"{DEFAULT_SECONDS[0]:g}",
            118,
            initial_indent="  ",
            subsequent_indent="    ",
        )
    )
    return "\n".join(out)
