"""The offline engine's own mechanics: what it changes in how the SDK runs must not change what a program declares."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import threading

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import mocks as pulumi_mocks

from tooling import mock_engine
from tooling.mock_engine import ProgramError, run_program, young_collections_only
from tooling.policy_evaluation import _may_inspect, evaluate


class EchoMocks(pulumi_mocks.Mocks):
    def new_resource(self, args):
        return f"{args.name}-id", dict(args.inputs, arn=f"arn:aws:iam::111111111111:role/{args.name}")

    def call(self, args):
        return {"accountId": "111111111111"} if args.token == "aws:index/getCallerIdentity:getCallerIdentity" else {}


def roles_program(count: int):
    def program() -> None:
        caller = aws.get_caller_identity()  # a synchronous invoke: pumps the loop from inside the program
        for i in range(count):
            role = aws.iam.Role(f"role-{i}", assume_role_policy="{}", tags={"Account": caller.account_id})
            aws.iam.RolePolicy(f"role-{i}-policy", role=role.id, policy=role.arn.apply(lambda arn: f'{{"R":"{arn}"}}'))
        pulumi.export("first", "role-0-id")

    return program


def test_monitor_calls_are_answered_on_the_loops_thread_and_start_no_threads():
    before = {t.ident for t in threading.enumerate()}
    result = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(20))
    started = [t.name for t in threading.enumerate() if t.ident not in before]
    assert started == []  # the SDK's default thread pool would have started its workers here
    assert len(result.registrations) == 40
    policies = result.of_type("aws:iam/rolePolicy:RolePolicy")
    # Outputs still flow from one resource to the next (the mock's ARN, through an apply).
    assert policies[3].inputs["policy"] == '{"R":"arn:aws:iam::111111111111:role/role-3"}'
    assert policies[3].inputs["role"] == "role-3-id"


def test_a_run_declares_the_same_whether_answered_inline_or_on_threads(monkeypatch):
    inline = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(5))
    # The SDK's own way: a thread pool, and the monitor's waits on a private loop per thread.
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    monkeypatch.setattr(mock_engine, "_InlineExecutor", lambda: pool)
    try:
        threaded = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(5))
    finally:
        pool.shutdown()
    assert len(inline.registrations) == 10
    # Compared by URN: with threads, answers may come back in another order.
    assert sorted((r.urn, str(r.inputs), r.dependencies) for r in inline.registrations) == sorted(
        (r.urn, str(r.inputs), r.dependencies) for r in threaded.registrations
    )


class WaitingMocks(EchoMocks):
    def new_resource(self, args):
        return f"{args.name}-id", {"late": asyncio.get_event_loop().create_future()}


def test_a_mock_whose_state_must_wait_is_refused_with_a_message():
    with pytest.raises((ProgramError, RuntimeError), match="must wait for the engine"):
        run_program({}, stack="engine", mocks=WaitingMocks(), program=roles_program(1))


def test_full_collections_are_off_inside_and_restored_after():
    before = gc.get_threshold()
    with young_collections_only():
        inside = gc.get_threshold()
    assert inside[:2] == before[:2] and inside[2] > 10**6
    assert gc.get_threshold() == before


class Typed:
    """A resource policy of the pack's shape: it declares the types it inspects."""

    def __init__(self, *types: str) -> None:
        self.resource_types = types


def test_a_policy_is_skipped_only_for_types_it_declares_it_does_not_inspect():
    assert _may_inspect(Typed("aws:iam/role:Role"), "aws:iam/role:Role")
    assert not _may_inspect(Typed("aws:iam/role:Role"), "aws:s3/bucket:Bucket")
    assert _may_inspect(object(), "aws:s3/bucket:Bucket")  # a plain policy declares nothing: it sees every type


def test_a_plain_policy_without_declared_types_still_sees_every_resource():
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

    seen: list[str] = []
    spy = ResourceValidationPolicy(
        "spy", "sees everything", lambda args, report: seen.append(args.resource_type), EnforcementLevel.ADVISORY
    )
    result = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(2))
    evaluate(result.registrations, None, [spy])
    assert seen == [r.type for r in result.registrations if not r.is_read]
