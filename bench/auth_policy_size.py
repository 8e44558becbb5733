"""How the auth policy and the per-tenant IAM documents grow with the number of tenants.

Runs the real owner program under mocks with N generated tenants and measures the documents it would send.
Usage: .venv/bin/python -m bench.auth_policy_size [N ...]   (default 1 10 100 500)
"""

from __future__ import annotations

import json
import sys

from tenancy import documents
from tenancy.offline import OfflineAws, run_program
from tests.conftest import ACCOUNT, REGION, SECRET_KEYS, SUBNETS, as_pulumi_config, owner_values


def tenants_config(count: int) -> dict:
    values = owner_values()
    values["tenants"] = [
        {"name": f"tenant-{i:04d}", "accountId": f"{200000000000 + i:012d}", "team": f"Team{i:04d}"}
        for i in range(count)
    ]
    values["externalIds"] = {t["name"]: f"external-id-{t['name']}-0000" for t in values["tenants"]}
    return values


def measure(count: int) -> dict:
    run = run_program(
        as_pulumi_config(tenants_config(count)),
        stack="bench",
        secret_keys=SECRET_KEYS,
        mocks=OfflineAws(ACCOUNT, REGION, SUBNETS),
    )
    policy = run.one("aws:vpclattice/authPolicy:AuthPolicy").inputs["policy"]
    trusts = [len(r.plain["assumeRolePolicy"].encode()) for r in run.of_type("aws:iam/role:Role")]
    access = [len(r.inputs["policy"].encode()) for r in run.of_type("aws:iam/rolePolicy:RolePolicy")]
    return {
        "tenants": count,
        "auth_policy_bytes": len(policy.encode()),
        "auth_policy_share_of_quota": round(len(policy.encode()) / documents.AUTH_POLICY_MAX_BYTES, 3),
        "max_trust_policy_bytes": max(trusts),
        "max_access_policy_bytes": max(access),
        "resources": sum(1 for r in run.registrations if r.custom),
    }


def main(counts: list[int]) -> None:
    rows = [measure(n) for n in counts]
    base = rows[0]
    for row in rows:
        extra = row["tenants"] - base["tenants"]
        row["resources_per_extra_tenant"] = round((row["resources"] - base["resources"]) / extra, 2) if extra else None
        print(json.dumps(row, sort_keys=True))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10, 100, 500])
