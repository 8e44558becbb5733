"""Shared fixtures: a valid owner config as the Pulumi CLI would hand it over, and a runner under mocks."""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import importlib.util
import json
import os
import pickle
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from tooling import second_core

# The modules that bring the Pulumi SDK, pydantic and the pack are imported where they are used: xdist's controller
# loads this file too, before it starts the workers, and runs no test (0.5 s sooner).
if TYPE_CHECKING:
    from tooling import plan
    from tooling.aws_standin import SubnetFact
    from tooling.records import Registration, RunResult
    from tooling.stackfiles import StackFile

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111111111111"
REGION = "eu-west-1"
VPC = "vpc-0a1b2c3d4e5f60001"
_SUBNETS = {  # subnet -> its VPC and zone ID
    "subnet-0a1b2c3d4e5f60011": (VPC, "euw1-az1"),
    "subnet-0a1b2c3d4e5f60012": (VPC, "euw1-az2"),
    "subnet-0a1b2c3d4e5f60013": (VPC, "euw1-az1"),
    "subnet-0fffffffffffff999": ("vpc-0fffffffffffff999", "euw1-az3"),
}
EXTERNAL_IDS = {"tenant-a": "ext-id-tenant-a-0123456789", "tenant-b": "ext-id-tenant-b-0123456789"}


def subnets() -> dict[str, SubnetFact]:
    """The owner account's subnets, as the offline AWS stand-in describes them."""
    from tooling.aws_standin import SubnetFact

    return {subnet: SubnetFact(vpc, zone) for subnet, (vpc, zone) in _SUBNETS.items()}


def load_function_handler(function: str) -> ModuleType:
    """functions/<function>/handler.py as a module: functions/ is not a package (each function is packaged alone)."""
    spec = importlib.util.spec_from_file_location(f"{function}_handler", ROOT / "functions" / function / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def owner_values() -> dict[str, Any]:
    """A valid owner config as Python values (keys without the namespace)."""
    return {
        "kind": "owner",
        "namePrefix": "acme-db",
        "network": {"vpcId": VPC, "subnetIds": ["subnet-0a1b2c3d4e5f60011", "subnet-0a1b2c3d4e5f60012"]},
        "tenants": [
            {"name": "tenant-a", "accountId": "222222222222", "team": "TeamA"},
            {"name": "tenant-b", "accountId": "333333333333", "team": "TeamB", "dbUser": "b_app"},
        ],
        "accessWindow": {"notBefore": "2026-01-01T00:00:00Z", "notAfter": "2027-01-01T00:00:00Z"},
        "tags": {"CostCenter": "platform"},
        "externalIds": dict(EXTERNAL_IDS),
    }


def as_pulumi_config(values: dict[str, Any], namespace: str = "lattice-tenancy") -> dict[str, str]:
    """What the CLI passes: `namespace:key` → string, structured values JSON-encoded."""
    return {f"{namespace}:{k}": v if isinstance(v, str) else json.dumps(v, sort_keys=True) for k, v in values.items()}


SECRET_KEYS = {"lattice-tenancy:externalIds", "lattice-tenancy:discoverySecret"}


def run_owner(
    values: dict[str, Any] | None = None,
    *,
    account: str = ACCOUNT,
    stack: str = "owner",
    parameters: dict[str, str] | None = None,
    organizations: dict[str, list[dict[str, Any]]] | None = None,
) -> RunResult:
    from tooling.aws_standin import OfflineAws
    from tooling.mock_engine import run_program

    values = owner_values() if values is None else values
    return run_program(
        as_pulumi_config(values),
        stack=stack,
        secret_keys=SECRET_KEYS,
        mocks=OfflineAws(account, REGION, subnets(), parameters=parameters, organizations=organizations),
    )


def pytest_configure(config: pytest.Config) -> None:
    """The cycle collector's young passes every 20,000 allocations, not 700, and no automatic full passes. A test's
    garbage is mostly short-lived cycles (the SDK's outputs, futures and tasks), which young passes free; a program
    run collects its own cycles when it ends (tooling.mock_engine.run_program). The suite's time in the collector went
    from 3.4–3.6 s to 2.2–2.8 s (timed with gc.callbacks, four runs each); a worker's peak from 250–290 to ~300 MiB."""
    gc.set_threshold(20_000, 50, 1_000_000_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Hypothesis properties run first, each in its collected place among them; every other test after them, as
    collected. They are the longest tests (0.2–2 s, thousands of examples each), and xdist's worksteal hands an idle
    worker the end of another's queue: collected mid-list, a property ran last on one worker while the other sat idle
    for 1.1–1.8 s. What runs last is now short."""
    from hypothesis import is_hypothesis_test

    items.sort(key=lambda item: not is_hypothesis_test(getattr(item, "obj", None)))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is alive once the tests are collected (modules, test items, the pack) lives to the end: frozen out of the
    cycle collector's full passes, which walked it again and again (3–4 s of each worker's 20 s). Each program run
    adds what it leaves to the frozen set after collecting its own cycles (tooling.mock_engine.run_program)."""
    from tooling.mock_engine import keep_frozen

    keep_frozen()


@pytest.fixture
def values() -> dict[str, Any]:
    return copy.deepcopy(owner_values())


@functools.cache
def default_owner_run() -> RunResult:
    """The default owner config, run once per process under mocks: for tests that only read it, and for the modules
    that collect a test per resource or document of it."""
    return run_owner()


@pytest.fixture(scope="session")
def owner_run() -> RunResult:
    """The default owner config, run once under mocks (tests only read it)."""
    return default_owner_run()


_plan_stack: Callable[..., plan.StackPlan]  # plan.plan_stack itself (plans_run_once puts _plan_stack_once there)
_PLANNED: dict[str, bytes] = {}
_fresh_plans = False


def _plan_stack_once(
    stack_file: StackFile,
    owners: dict[str, plan.StackPlan],
    on_registration: Callable[[Registration], None] | None = None,
    in_child: bool = False,
) -> plan.StackPlan:
    """plan.plan_stack, run once per worker for each stack file and the exports of the stacks it may read (all its
    result depends on); each caller gets its own copy, as a run would give it, and its registrations handed to
    `on_registration`. Tests marked `fresh_plans` run it (in a child where asked), and so must a test of what the
    program logs (its warnings are logged by the first run only)."""
    if _fresh_plans:
        return _plan_stack(stack_file, owners, on_registration, in_child)
    read = {name: [owner.error, owner.result.exports if owner.result else None] for name, owner in owners.items()}
    key = json.dumps(
        [stack_file.name, stack_file.kind, stack_file.config, sorted(stack_file.secret), read],
        sort_keys=True,
        default=repr,
    )
    if key not in _PLANNED:  # kept pickled: a plan crosses a pipe that way, and unpickling copies it 4-5x faster
        _PLANNED[key] = pickle.dumps(_plan_stack(stack_file, owners), pickle.HIGHEST_PROTOCOL)
    planned: plan.StackPlan = pickle.loads(_PLANNED[key])
    for registration in planned.result.registrations if planned.result and on_registration else ():
        on_registration(registration)
    return planned


def instances_made(monkeypatch: pytest.MonkeyPatch, cls: type) -> list[weakref.ref]:
    """A weak reference to every instance of `cls` made in this process from now on (its __init__ spied on)."""
    made: list[weakref.ref] = []
    init = cls.__init__

    def recorded(self, *args, **kwargs):
        made.append(weakref.ref(self))
        init(self, *args, **kwargs)

    monkeypatch.setattr(cls, "__init__", recorded)
    return made


@pytest.fixture
def stacks_planned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every stack plan.plan_stack runs from now on, in order."""
    from tooling import plan

    ran: list[str] = []
    plan_stack = plan.plan_stack

    def recorded(stack_file: StackFile, *args: Any, **kwargs: Any) -> plan.StackPlan:
        ran.append(stack_file.name)
        return plan_stack(stack_file, *args, **kwargs)

    monkeypatch.setattr(plan, "plan_stack", recorded)
    return ran


@pytest.fixture
def stopped(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The wait status of every child stopped (killed and reaped), by a lane or a program's run."""
    statuses: list[int] = []
    stop_child = second_core.stop_child

    def recorded(pid: int) -> int:
        statuses.append(stop_child(pid))
        return statuses[-1]

    monkeypatch.setattr(second_core, "stop_child", recorded)
    return statuses


def children() -> set[int]:
    """The process IDs of this process's children (of any of its threads), alive or not yet reaped."""
    found: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(FileNotFoundError):
            found.update(int(pid) for pid in Path(f"/proc/self/task/{task}/children").read_text().split())
    return found


def _waiting_threads() -> int:
    """Threads of this test worker that wait and hold no lock a child could need: execnet's receiver, blocked
    reading the worker's input, and idle thread-pool workers (left by the SDK's own runs under
    `@pulumi.runtime.test`), blocked getting their next task."""
    waiting = 0
    for frame in sys._current_frames().values():
        callee = None
        while frame is not None:
            code = frame.f_code
            if code.co_name == "_thread_receiver" and "execnet" in code.co_filename:
                waiting += 1
                break
            if code.co_name == "_worker" and code.co_filename.endswith("concurrent/futures/thread.py"):
                waiting += callee is None  # blocked in work_queue.get() (C code), not running a task
                break
            callee, frame = code.co_name, frame.f_back
    return waiting


@pytest.fixture(scope="session", autouse=True)
def forks_beside_the_workers_waiting_threads() -> Iterator[None]:
    """The plan forks only when its thread is the process's only one: a lock another thread holds would never be
    released in a child. A test worker has others that only wait (see _waiting_threads); not counting those lets the
    tests fork as the command line does."""
    threads_alive = second_core.threads_alive
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(second_core, "threads_alive", lambda: threads_alive() - _waiting_threads())
        yield


@pytest.fixture
def forking() -> None:
    """Skips a test of the forked path where the plan can't fork (asked when the test runs, as the code asks)."""
    if not second_core.can_fork():
        pytest.skip("no fork here: the plan runs in one process")


@pytest.fixture(scope="session", autouse=True)
def plans_run_once() -> Iterator[None]:
    """The CLI and report tests plan the shipped stacks (or a copy with one edit) dozens of times: each distinct
    stack is run once. The plan is deterministic; the tests that hold it to that are marked `fresh_plans`."""
    from tooling import plan

    global _plan_stack
    _plan_stack = plan.plan_stack
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan, "plan_stack", _plan_stack_once)
        yield


@pytest.fixture(autouse=True)
def _fresh_plans_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    global _fresh_plans
    _fresh_plans = request.node.get_closest_marker("fresh_plans") is not None
    try:
        yield
    finally:
        _fresh_plans = False


@pytest.fixture(scope="session")
def repo_plans() -> list[plan.StackPlan]:
    """Every stack file of the repository planned once per session (once per xdist worker) for the modules that
    read the shipped plan; a test that changes a plan deep-copies it first."""
    from tooling import plan

    return plan.plan_all(ROOT)


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Iterator[None]:
    """Hypothesis' pytest plugin imports hypothesis for its end-of-session summary: in xdist's controller, which imports
    no test module, that took 0.15–0.3 s after the last test. Imported here, after every pytest_sessionstart (xdist
    starts its workers in its own), it overlaps their collection instead."""
    yield
    import hypothesis.internal.observability  # noqa: F401
