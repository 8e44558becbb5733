"""Modeled wall time of `make deploy` for the owner and N tenant stacks, at several parallelism limits.

Each stack's time is its critical path through the offline plan under the per-type creation-time ESTIMATES
(tooling/resource_types.py, tooling/estimate.py): the owner's from Pulumi.owner.yaml, every tenant's from
Pulumi.tenant-a.yaml. The run is the deploy command's own scheduler (tooling.deploy.Schedule) on a virtual clock —
the fake runner of the benchmark takes exactly those seconds — so the figures show what the orchestration adds, not
what AWS does. The ideal is the owner's critical path plus one tenant's (every tenant at once after the owner).
Not modeled: the refresh before the owner's `up`, Pulumi CLI and plugin start-up per stack (`--overhead` adds a
fixed number of seconds per stack), API throttling, quotas.

It also measures the scheduler's own cost, in CPU microseconds per stack: a whole `up` and `destroy` at parallel 32,
and a failed owner (every stack that waits on it is skipped at once). Flat across sizes means linear in stacks.

Usage: .venv/bin/python -m bench.deploy_scale [--overhead SECONDS] [N ...]      (default 1 10 100 500 1000 5000)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tooling import estimate, plan
from tooling.deploy import FAILED, Schedule, build_graph, simulate
from tooling.stackfiles import StackFile

ROOT = Path(__file__).resolve().parent.parent
PARALLELISM = (1, 8, 32)


def stack_seconds(root: Path = ROOT) -> tuple[float, float]:
    """(owner, tenant) critical paths of the repository's owner and tenant-a plans, in seconds."""
    plans = {p.name: p for p in plan.plan_all(root, ["owner", "tenant-a"])}
    for name in ("owner", "tenant-a"):
        if plans[name].result is None:
            raise SystemExit(f"the offline plan of {name} failed: {plans[name].error}")
    return (
        estimate.critical_path(plans["owner"].resources)[0],
        estimate.critical_path(plans["tenant-a"].resources)[0],
    )


def fleet(tenants: int) -> list[StackFile]:
    owner = StackFile("owner", "owner", {"lattice-tenancy:kind": "owner"}, frozenset())
    return [owner] + [
        StackFile(
            f"tenant-{i:04d}",
            "tenant",
            {"lattice-tenancy:kind": "tenant", "lattice-tenancy:ownerStack": "acme/lattice-tenancy/owner"},
            frozenset(),
        )
        for i in range(tenants)
    ]


def measure(tenants: int, owner: float, tenant: float, overhead: float = 0.0) -> dict:
    graph = build_graph(fleet(tenants))
    seconds = {name: (owner if name == "owner" else tenant) + overhead for name in graph.stacks}
    row: dict = {"tenants": tenants, "ideal_s": owner + tenant + 2 * overhead}
    for parallel in PARALLELISM:
        row[f"parallel_{parallel}_s"] = simulate(graph, "up", seconds, parallel)
    return row


def scheduler_cost(tenants: int, parallel: int = 32) -> dict:
    """CPU microseconds per stack that the scheduler itself takes: a whole up, a whole destroy, a failed owner."""
    graph = build_graph(fleet(tenants))
    seconds = dict.fromkeys(graph.stacks, 1.0)
    row: dict = {"tenants": tenants}
    for operation in ("up", "destroy"):
        began = time.process_time()
        simulate(graph, operation, seconds, parallel)
        row[f"{operation}_us_per_stack"] = round((time.process_time() - began) / len(graph.stacks) * 1e6, 1)
    schedule = Schedule(graph, "up", graph.order("up"), parallel)
    schedule.start("owner")
    began = time.process_time()
    schedule.finish("owner", FAILED)
    row["owner_failure_us_per_stack"] = round((time.process_time() - began) / len(graph.stacks) * 1e6, 1)
    return row


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min"


def table(rows: list[dict]) -> str:
    out = [
        "| tenant stacks | ideal (owner + one tenant) | " + " | ".join(f"parallel {p}" for p in PARALLELISM) + " |",
        "|---:|---:|" + "---:|" * len(PARALLELISM),
    ]
    for row in rows:
        cells = [_minutes(row[f"parallel_{p}_s"]) for p in PARALLELISM]
        out.append(f"| {row['tenants']} | {_minutes(row['ideal_s'])} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10, 100, 500, 1000, 5000])
    parser.add_argument("--overhead", type=float, default=0.0, help="fixed seconds per stack (CLI, plugins)")
    args = parser.parse_args(argv)
    owner, tenant = stack_seconds()
    print(json.dumps({"owner_critical_path_s": owner, "tenant_critical_path_s": tenant, "overhead_s": args.overhead}))
    rows = [measure(n, owner, tenant, args.overhead) for n in sorted(args.sizes)]
    for row in rows:
        print(json.dumps(row, sort_keys=True))
    print(table(rows))
    for size in sorted(args.sizes):
        print(json.dumps(scheduler_cost(size), sort_keys=True))


if __name__ == "__main__":
    main()
