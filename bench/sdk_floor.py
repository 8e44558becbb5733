"""The Pulumi SDK's own cost for a tenant's resources, with nothing of this project's around them.

A bare program declares N copies of one per-tenant resource, with the arguments the components give it (the tenant
role with its secret trust policy and tags, its access policy, its budget with two notifications, the standby
Region's policy), and runs under the same offline engine as the plan (tooling.mock_engine with OfflineAws). Each
kind runs in a fresh process; the report is milliseconds and KiB of peak RSS per resource. `tenant` declares all four
per tenant, as the owner and recovery stacks do together.

This is the floor under the plan's cost per tenant (bench/plan_scale.py): no config validation, no policy pack, no
access analysis, no JSON, only the SDK declaring and registering resources.

Usage: .venv/bin/python -m bench.sdk_floor [N]      (default 2000 per kind)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pulumi
import pulumi_aws as aws

from tooling.aws_standin import OfflineAws
from tooling.mock_engine import run_program

ROOT = Path(__file__).resolve().parent.parent
OWNER, TENANT = "111111111111", "222222222222"
TAGS = {"Project": "lattice-tenancy", "Environment": "production", "CostCenter": "platform"}
TOPIC = f"arn:aws:sns:eu-west-1:{OWNER}:acme-alerts"
REPLACE = pulumi.ResourceOptions(delete_before_replace=True)


def _policy(i: int) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "rds-db:connect", "Resource": f"arn:aws:rds-db:eu-west-1:{OWNER}:dbuser:db-X/t{i}"}
            ],
        }
    )  # fmt: skip


def role(i: int) -> aws.iam.Role:
    trust = pulumi.Output.secret(f"external-id-{i:016d}").apply(
        lambda external_id: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{TENANT}:root"},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
                    }
                ],
            }
        )
    )
    return aws.iam.Role(
        f"role-{i}",
        name=f"acme-tenant-{i}",
        path="/lattice-tenancy/acme/",
        description=f"lattice-tenancy tenant t{i} (account {TENANT})",
        assume_role_policy=trust,
        max_session_duration=3600,
        tags={**TAGS, "Tenant": f"t{i}", "Team": f"Team{i}", "TenantAccount": TENANT},
        opts=REPLACE,
    )


def access_policy(i: int, on: aws.iam.Role | None = None) -> aws.iam.RolePolicy:
    return aws.iam.RolePolicy(
        f"access-{i}",
        name="lattice-tenancy-access",
        role=on.id if on is not None else f"acme-tenant-{i}",
        policy=_policy(i),
        opts=REPLACE,
    )


def budget(i: int) -> aws.budgets.Budget:
    return aws.budgets.Budget(
        f"budget-{i}",
        name=f"acme-tenant-{i}",
        budget_type="COST",
        limit_amount="100.00",
        limit_unit="USD",
        time_unit="MONTHLY",
        cost_filters=[{"name": "TagKeyValue", "values": [f"user:Tenant$t{i}"]}],
        notifications=[
            {
                "comparison_operator": "GREATER_THAN",
                "threshold": threshold,
                "threshold_type": "PERCENTAGE",
                "notification_type": kind,
                "subscriber_sns_topic_arns": [TOPIC],
            }
            for threshold, kind in ((80, "ACTUAL"), (100, "FORECASTED"))
        ],
        tags=TAGS,
        opts=REPLACE,
    )


def standby_policy(i: int) -> aws.iam.RolePolicy:
    return aws.iam.RolePolicy(
        f"standby-{i}",
        name="lattice-tenancy-standby-eu-central-1",
        role=f"acme-tenant-{i}",
        policy=_policy(i),
        opts=REPLACE,
    )


def tenant(i: int) -> None:
    access_policy(i, role(i))
    budget(i)
    standby_policy(i)


KINDS: dict[str, tuple[Callable[[int], object], int]] = {  # kind → (declare one, resources it declares)
    "access policy": (access_policy, 1),
    "standby policy": (standby_policy, 1),
    "role": (role, 1),
    "budget": (budget, 1),
    "tenant": (tenant, 4),
}


def run(kind: str, count: int) -> tuple[float, int, int]:
    """Seconds, peak RSS growth (KiB) and registrations for `count` of one kind, after a warm-up run of one."""
    declare = KINDS[kind][0]

    def program(n: int) -> Callable[[], None]:
        def declare_all() -> None:
            for i in range(n):
                declare(i)

        return declare_all

    run_program({}, stack="floor", mocks=OfflineAws(OWNER, "eu-west-1"), program=program(1))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = run_program({}, stack="floor", mocks=OfflineAws(OWNER, "eu-west-1"), program=program(count))
    elapsed = time.perf_counter() - started
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, len(result.registrations)


CHILD = "import sys; from bench.sdk_floor import run; print(*run(sys.argv[1], int(sys.argv[2])))"


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 2000
    print(
        f"{count:,} of each kind, a fresh process per kind, Python {sys.version.split()[0]}, pulumi {version('pulumi')}"
    )
    print(f"{'kind':<16}{'resources':>10}{'ms each':>10}{'KiB each':>10}{'ms/item':>9}{'KiB/item':>10}")
    for kind, (_, per_item) in KINDS.items():
        done = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(count)], cwd=ROOT, capture_output=True, text=True, check=True
        )
        seconds, kib, registrations = done.stdout.split()
        resources = int(registrations)
        assert resources == count * per_item, (kind, resources)
        per_resource_ms, per_resource_kib = 1000 * float(seconds) / resources, int(kib) / resources
        print(
            f"{kind:<16}{resources:>10,}{per_resource_ms:>10.2f}{per_resource_kib:>10.0f}"
            f"{per_resource_ms * per_item:>9.2f}{per_resource_kib * per_item:>10.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
