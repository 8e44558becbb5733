"""How the offline plan scales with the number of tenants in the owner config.

For each size it writes a project folder with every shipped stack file, the owner's listing N generated tenants,
runs the real plan command on it in a fresh process (`plan --json --root …`), and reports wall time, peak memory,
resources planned, the auth policy's size and a hash of the JSON plan (identical across runs: the plan is
byte-stable). The marginal cost per tenant is the slope between the smallest and the largest size.

Peak memory is the larger of the process's own high-water mark (`peak_rss_mib`, exact) and the largest memory of its
process tree sampled every 50 ms (`peak_tree_pss_mib`: proportional set sizes, so the children the plan forks count,
and the pages they share with it count once): `peak_mib`.

It also reports the resources of the owner and recovery stacks and an estimate of their Pulumi state (checkpoint)
size: per resource its URN, type, parent, dependencies, inputs, and outputs counted as large as the inputs (a
checkpoint stores both); the plan can't know the provider's computed outputs exactly.

Usage: .venv/bin/python -m bench.plan_scale [--repeat R] [N ...]      (default: R 3, N 1 100 1000 4982)

Each size runs R times (in rounds over all sizes) and is reported by its median time and peak memory, with the
range of times; the JSON hash must be the same in every run, or the bench fails.

4,982 is the most one owner account holds with the shipped stacks: IAM's maximum of 5,000 roles less the service
roles of the owner and recovery stacks (8 each) and the two tenants the owner's OU discovers. More is refused at plan
time (tenancy/quotas.py), and the bench says so.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

from tenancy.quotas import ROLES_PER_ACCOUNT, SERVICE_ROLES

ROOT = Path(__file__).resolve().parent.parent
DISCOVERED_TENANTS = 2  # by the shipped owner config's OU source, besides the listed tenants
assert ROLES_PER_ACCOUNT.maximum is not None
MOST_TENANTS = ROLES_PER_ACCOUNT.maximum - 2 * SERVICE_ROLES - DISCOVERED_TENANTS

# The measured process: the plan command itself, as `python -m tooling plan --json --root <folder>` runs it (its exit
# included: tooling/__main__.py), then its own peak RSS (KiB) as the last stderr line, printed at exit. Linux's VmHWM,
# not getrusage's ru_maxrss: that one survives exec, so a child forked from this process once it held a large plan
# reported this process's size instead of its own.
CHILD = """
import atexit, runpy, sys

def peak():
    with open("/proc/self/status") as status_file:
        print(next(line.split()[1] for line in status_file if line.startswith("VmHWM:")), file=sys.stderr)

atexit.register(peak)
sys.argv = ["tooling", "plan", "--json", "--root", sys.argv[1]]
runpy.run_module("tooling", run_name="__main__", alter_sys=True)
"""


def write_project(folder: Path, tenants: int) -> None:
    # Every shipped stack (owner, recovery, tenants in both Regions): the whole plan, every feature.
    for stack_file in [ROOT / "Pulumi.yaml", *sorted(ROOT.glob("Pulumi.*.yaml"))]:
        (folder / stack_file.name).write_text(stack_file.read_text())
    owner = yaml.safe_load((ROOT / "Pulumi.owner.yaml").read_text())
    config = owner["config"]
    generated = [{"name": "tenant-a", "accountId": "222222222222", "team": "TeamA"}] + [
        {"name": f"tenant-{i:04d}", "accountId": f"{300000000000 + i:012d}", "team": f"Team{i:04d}"}
        for i in range(1, tenants)
    ]
    config["lattice-tenancy:tenants"] = generated
    config["lattice-tenancy:externalIds"] = {t["name"]: {"secure": "v1:bench"} for t in generated}
    (folder / "Pulumi.owner.yaml").write_text(yaml.safe_dump(owner, sort_keys=True))


def _pss_kib(pid: int) -> int:
    """The memory a process and its descendants hold together: proportional set sizes, so a page the plan process
    shares with a child it forked (tooling.second_core) counts once in all. 0 for a process that is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            own = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):  # it exited between the reads
        return 0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return own + sum(_pss_kib(int(child)) for child in children.read().split())
    except (FileNotFoundError, ProcessLookupError):  # exited meanwhile (a kernel without the list fails its test)
        return own


def _sample_peak(process: subprocess.Popen, peak: list[int]) -> None:
    """Every 50 ms until the process exits: the largest memory of its process tree seen."""
    while process.poll() is None:
        peak[0] = max(peak[0], _pss_kib(process.pid))
        time.sleep(0.05)


def measure(tenants: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_project(folder, tenants)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(folder)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        tree_peak = [0]
        sampler = threading.Thread(target=_sample_peak, args=(process, tree_peak))
        sampler.start()
        stdout, stderr = process.communicate()
        elapsed = time.perf_counter() - started
        sampler.join()
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if done.returncode != 0:
        beyond = f" (more than {MOST_TENANTS:,}, the most one owner account holds: see the module docstring)"
        raise SystemExit(
            f"plan failed for {tenants} tenants{beyond if tenants > MOST_TENANTS else ''}:\n{done.stderr[-2000:]}"
        )
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    document = json.loads(done.stdout)
    stacks = {s["name"]: s for s in document["stacks"]}
    owner = stacks["owner"]
    policy = next(r for r in owner["resources"] if r["type"] == "aws:vpclattice/authPolicy:AuthPolicy")
    serving = [s for s in document["stacks"] if s["kind"] in ("owner", "recovery")]
    return {
        "tenants": tenants,
        "seconds": round(elapsed, 2),
        # Its own high-water mark (exact), its process tree's largest sample (with the children it forked), and
        # the larger of the two: the plan's peak.
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "peak_tree_pss_mib": round(tree_peak[0] / 1024, 1),
        "peak_mib": round(max(peak_kib, tree_peak[0]) / 1024, 1),
        "owner_resources": sum(1 for r in owner["resources"] if r["custom"]),
        "recovery_resources": sum(
            1 for s in serving if s["kind"] == "recovery" for r in s["resources"] if r["custom"] and not r["read"]
        ),
        "state_estimate_kib": round(sum(state_bytes(s) for s in serving) / 1024, 1),
        "auth_policy_bytes": len(policy["inputs"]["policy"].encode()),
        # Same config, same bytes: compare this across runs (and before and after a change that must not alter it).
        "json_sha256": hashlib.sha256(done.stdout.encode()).hexdigest()[:16],
    }


def state_bytes(stack: dict) -> int:
    """A checkpoint's size, estimated from the plan: per resource what the state keeps (outputs ≈ inputs)."""
    return sum(
        len(
            json.dumps(
                {
                    "urn": r["urn"],
                    "type": r["type"],
                    "parent": r["parent"],
                    "dependencies": r["dependencies"],
                    "propertyDependencies": r["propertyDependencies"],
                    "inputs": r["inputs"],
                    "outputs": r["inputs"],
                },
                separators=(",", ":"),
            )
        )
        for r in stack["resources"]
        if not r["read"]
    )


def median_of(runs: list[dict]) -> dict:
    """One size's runs as one row: the median time and peak (this machine's speed drifts by up to a third from hour
    to hour, and a single run caught it in either state), with the range; the plan itself must not vary at all."""
    hashes = {run["json_sha256"] for run in runs}
    if len(hashes) != 1:
        raise SystemExit(f"{runs[0]['tenants']} tenants: the plan differed between runs ({sorted(hashes)})")
    seconds = sorted(run["seconds"] for run in runs)
    peaks = {
        key: statistics.median(run[key] for run in runs) for key in ("peak_rss_mib", "peak_tree_pss_mib", "peak_mib")
    }
    return {
        **runs[0],
        "runs": len(runs),
        "seconds": round(statistics.median(seconds), 2),
        "seconds_range": [seconds[0], seconds[-1]],
        **{key: round(value, 1) for key, value in peaks.items()},
    }


def main(sizes: list[int], repeat: int) -> None:
    # Rounds of every size in turn: a slow spell of the machine then touches every size alike.
    runs: dict[int, list[dict]] = {n: [] for n in sorted(sizes)}
    for _ in range(repeat):
        for n in runs:
            runs[n].append(measure(n))
    rows = [median_of(runs[n]) for n in runs]
    first, last = rows[0], rows[-1]
    extra = last["tenants"] - first["tenants"]
    for row in rows:
        print(json.dumps(row, sort_keys=True))
    if extra:
        print(
            json.dumps(
                {
                    "marginal_ms_per_tenant": round(1000 * (last["seconds"] - first["seconds"]) / extra, 2),
                    "marginal_kib_per_tenant": round(1024 * (last["peak_mib"] - first["peak_mib"]) / extra, 1),
                    "resources_per_tenant": round(
                        (
                            last["owner_resources"]
                            + last["recovery_resources"]
                            - first["owner_resources"]
                            - first["recovery_resources"]
                        )
                        / extra,
                        2,
                    ),
                    "state_kib_per_tenant": round(
                        (last["state_estimate_kib"] - first["state_estimate_kib"]) / extra, 2
                    ),
                    "time_ratio_largest_to_smallest": round(last["seconds"] / first["seconds"], 2),
                },
                sort_keys=True,
            )
        )


if __name__ == "__main__":
    arguments = sys.argv[1:]
    repeat = 3
    if arguments[:1] == ["--repeat"]:
        repeat, arguments = int(arguments[1]), arguments[2:]
    main([int(a) for a in arguments] or [1, 100, 1000, MOST_TENANTS], repeat)
