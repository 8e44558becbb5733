"""The offline engine's own mechanics: what it changes in how the SDK runs must not change what a program declares."""

from __future__ import annotations

import array
import asyncio
import concurrent.futures
import copy
import functools
import gc
import threading

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc as pulumi_rpc
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy

from policies.rules.common import LOW, ResourceRule
from tooling import mock_engine
from tooling.mock_engine import run_program, young_collections_only
from tooling.policy_evaluation import _may_inspect, evaluate
from tooling.records import RunResult
from tooling.second_core import Lane


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


def run_on_threads(monkeypatch, program) -> RunResult:
    """The SDK's own way: a thread pool, and the monitor's waits on a private loop per thread."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    monkeypatch.setattr(mock_engine, "_InlineExecutor", lambda: pool)
    try:
        return run_program({}, stack="engine", mocks=EchoMocks(), program=program)
    finally:
        pool.shutdown()


def test_a_run_declares_the_same_whether_answered_inline_or_on_threads(monkeypatch):
    inline = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(5))
    threaded = run_on_threads(monkeypatch, roles_program(5))
    assert len(inline.registrations) == 10
    # Compared by URN: with threads, answers may come back in another order.
    assert sorted((r.urn, str(r.inputs), r.dependencies) for r in inline.registrations) == sorted(
        (r.urn, str(r.inputs), r.dependencies) for r in threaded.registrations
    )


def resource_as_input_program() -> None:
    # A resource passed as an input: the monitor reads it back as a reference whose URN and ID resolve on the
    # program's loop, so that call can't be answered inline and goes to a worker thread.
    role = aws.iam.Role("role", assume_role_policy="{}")
    aws.iam.RolePolicyAttachment("attachment", role=role, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")


def test_a_call_that_must_wait_on_the_engine_is_answered_on_a_thread_with_the_same_result(monkeypatch):
    inline = run_program({}, stack="engine", mocks=EchoMocks(), program=resource_as_input_program)
    threaded = run_on_threads(monkeypatch, resource_as_input_program)
    attachment = inline.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs == threaded.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs
    assert attachment.dependencies == [inline.one("aws:iam/role:Role").urn]


def test_full_collections_are_off_inside_and_restored_after():
    before = gc.get_threshold()
    with young_collections_only():
        inside = gc.get_threshold()
    assert inside[:2] == before[:2] and inside[2] > 10**6
    assert gc.get_threshold() == before


def role_rule(seen: list[str]) -> ResourceRule:
    return ResourceRule(
        "spy-rule",
        "records what it inspects",
        types=["aws:iam/role:Role"],
        check=lambda args, config, report: seen.append(args.resource_type),
        level=EnforcementLevel.ADVISORY,
        severity=LOW,
    )


def test_a_rule_of_the_pack_is_called_only_for_the_types_it_declares():
    seen: list[str] = []
    result = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(2))
    evaluate(result.registrations, None, [role_rule(seen)])
    assert seen == ["aws:iam/role:Role"] * 2
    assert _may_inspect(role_rule([]), "aws:iam/role:Role")
    assert not _may_inspect(role_rule([]), "aws:iam/rolePolicy:RolePolicy")


def test_any_other_policy_sees_every_resource_whatever_its_attributes():
    seen: list[str] = []
    spy = ResourceValidationPolicy(
        "spy", "sees everything", lambda args, report: seen.append(args.resource_type), EnforcementLevel.ADVISORY
    )
    spy.resource_types = ("aws:iam/role:Role",)  # type: ignore[attr-defined]  # not a rule of the pack: ignored
    result = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(2))
    evaluate(result.registrations, None, [spy])
    assert seen == [r.type for r in result.registrations if not r.is_read]


def test_remembered_type_unwrapping_answers_as_the_sdk_for_unions_in_either_order():
    from collections.abc import Mapping
    from typing import Any, Union

    first = Union[aws.iam.RoleInlinePolicyArgs, Mapping[str, Any]]  # noqa: UP007 - typing's Union is what the SDK sees
    second = Union[Mapping[str, Any], aws.iam.RoleInlinePolicyArgs]  # noqa: UP007
    assert first == second  # typing ignores the order, but unwrap_type reads the first argument
    for hint in (first, second, first):
        assert mock_engine._unwrap_type(hint) == mock_engine._sdk_unwrap_type(hint)


LEAN_TRANSFER = mock_engine._transfer_properties  # taken before a test swaps it


class FailingRoleMocks(EchoMocks):
    def new_resource(self, args):
        if args.typ == "aws:iam/role:Role":
            raise RuntimeError("the provider refused the role")
        return super().new_resource(args)


def output_states(monkeypatch, transfer, mocks: pulumi_mocks.Mocks) -> dict:
    """Every output property of a role and its policy, as each Output's one state resolved: value, known, secret and
    the resources it depends on (by name), or the failure's message."""
    monkeypatch.setattr(mock_engine, "_transfer_properties", transfer)
    declared: list[pulumi.CustomResource] = []

    def program() -> None:
        tags = {"Team": "a", "Zone": "z", "App": "b", "Cost": "c", "Env": "e"}  # not in sorted order
        role = aws.iam.Role("role", assume_role_policy=pulumi.Output.secret("{}"), tags=tags)
        policy = aws.iam.RolePolicy("policy", role=role.id, policy=role.arn.apply(lambda arn: f'{{"R":"{arn}"}}'))
        declared.extend([role, policy])

    try:
        run_program({}, stack="engine", mocks=mocks, program=program)
    except RuntimeError as error:  # a failed registration ends the run, as it ends `pulumi up`
        assert "the provider refused the role" in str(error)
    states = {}
    for resource in declared:
        for name, held in sorted(vars(resource).items()):
            if not isinstance(held, pulumi.Output | mock_engine._UnreadOutput) or name in ("urn", "id"):
                continue
            output = pulumi.get(resource, name)  # how the generated getters read an output: made on this first read
            if output._data.exception() is not None:
                states[resource._name, name] = str(output._data.exception())
            else:
                data = output._data.result()
                depends_on = sorted(r._name for r in data.resources)
                states[resource._name, name] = (
                    repr(data.value),
                    data.is_known,
                    data.is_secret,
                    depends_on,
                )  # order too
    return states


def test_outputs_on_one_future_resolve_as_the_sdks_own(monkeypatch):
    assert mock_engine._ONE_FUTURE_OUTPUTS  # the SDK these tests run on has them: the comparison below is real
    sdk = output_states(monkeypatch, mock_engine._sdk_transfer_properties, EchoMocks())
    lean = output_states(monkeypatch, LEAN_TRANSFER, EchoMocks())
    assert lean == sdk
    assert lean["role", "assume_role_policy"] == ("'{}'", True, True, ["role"])  # the secret stays secret
    assert lean["policy", "policy"][0] == repr('{"R":"arn:aws:iam::111111111111:role/role"}')


def test_outputs_on_one_future_fail_as_the_sdks_own(monkeypatch):
    sdk = output_states(monkeypatch, mock_engine._sdk_transfer_properties, FailingRoleMocks())
    lean = output_states(monkeypatch, LEAN_TRANSFER, FailingRoleMocks())
    assert lean == sdk
    assert "the provider refused the role" in lean["role", "arn"]


def test_a_failed_registrations_outputs_log_nothing_when_collected():
    # The SDK's futures are awaited by its tracked task; these aren't, so a failure left unretrieved would be logged
    # by asyncio when the future is collected, at any later point of the process (in CI once: inside another test's
    # ast.parse, which broke). asyncio logs exactly the futures whose _log_traceback is still set.
    declared: list[aws.iam.Role] = []
    read_early: list[pulumi.Output] = []

    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy="{}")
        declared.append(role)
        read_early.append(role.arn)  # read before the answer: its state fails with the registration

    try:
        run_program({}, stack="engine", mocks=FailingRoleMocks(), program=program)
    except RuntimeError as error:
        assert "the provider refused the role" in str(error)
    read_late = declared[0].description  # read after the answer: made failed
    for output in (read_early[0], read_late):
        assert output._data.done() and not output._data._log_traceback
        assert "the provider refused the role" in str(output._data.exception())


def test_a_plain_value_holds_no_unknown_and_anything_else_is_asked_of_the_sdk(monkeypatch):
    unknown = pulumi.output.UNKNOWN
    cycle: list = []
    cycle.append(cycle)
    values = [
        *("text", "", 0, 3, 1.5, True, None, [], {}, (unknown,), [b"x"], {"a": {1, 2}}, cycle, [[[[["deep"]]]]]),
        *(type("Subclass", (dict,), {})(a=unknown), {"o": pulumi.Output.from_input("x")}),
        *([unknown], {"a": [1, {"b": unknown}]}, unknown, ["x"], {"a": [1, {"b": "c"}]}),
    ]
    assert [mock_engine._contains_unknowns(v) for v in values] == [
        mock_engine._sdk_contains_unknowns(v) for v in values
    ]
    assert [mock_engine._contains_unknowns(v) for v in values[-5:]] == [True, True, True, False, False]
    # Plain data is answered without the SDK's walk; anything else is walked by it.
    walked: list = []
    monkeypatch.setattr(mock_engine, "_sdk_contains_unknowns", lambda v: walked.append(v) or False)
    mock_engine._contains_unknowns({"a": [1, {"b": "c"}], "d": (2.5, None)})
    assert walked == []
    mock_engine._contains_unknowns([unknown])
    assert walked == [[unknown]]


OWNER_STACK, OTHER_STACK = "acme/lattice-tenancy/owner", "acme/lattice-tenancy/owner-dr"
SECRET = {pulumi_rpc._special_sig_key: pulumi_rpc._special_secret_sig, "value": "s3cret"}  # as the engine sends one
OWNER_OUTPUTS = {
    "count": 3,
    "ratio": 0.25,
    "on": True,
    "name": "owner ✓",
    "nested": {"z": [1, {"b": "c"}, []], "a": {}, "empty": "", "n": None},
    "tenants": [{"name": f"tenant-{i}", "user": f"tenant_{i}"} for i in range(3)],
    "password": SECRET,
}
OTHER_OUTPUTS = {"count": 4, "nested": {"z": []}, "tenants": [{"user": "other"}], "password": "plain"}


def reference_program() -> None:
    for stack in (OWNER_STACK, OTHER_STACK):  # two stacks read in one program
        reference, at = pulumi.StackReference(stack), stack.rsplit("/", 1)[-1]
        pulumi.export(f"{at}-outputs", reference.outputs)
        pulumi.export(f"{at}-names", reference.secret_output_names)
        pulumi.export(f"{at}-nested", reference.get_output("nested"))
        pulumi.export(f"{at}-count", reference.require_output("count"))
        pulumi.export(f"{at}-password", reference.get_output("password"))
        pulumi.export(f"{at}-first", reference.outputs.apply(lambda o: o["tenants"][0]["user"]))


def run_reference(
    outputs: dict, other: dict = OTHER_OUTPUTS, *, sdk_only: bool = False, preview: bool = False
) -> tuple:
    """What a program reading two stack references declared and exported, with types, key order and secrecy; with
    `sdk_only`, the SDK's own read on both sides (the mock monitor's answer and the program's reading of it)."""
    from tooling.aws_standin import OfflineAws

    with pytest.MonkeyPatch.context() as patch:
        if sdk_only:
            patch.setattr(mock_engine, "_STACK_REFERENCE", "none")
            patch.setattr(mock_engine, "_RESOLVES_MISSING", False)
        set_mocks = pulumi.runtime.set_mocks
        patch.setattr(pulumi.runtime, "set_mocks", lambda *args, **kw: set_mocks(*args, **{**kw, "preview": preview}))
        mocks = OfflineAws(stacks={OWNER_STACK: outputs, OTHER_STACK: other})
        try:
            result = run_program({}, stack="tenant", mocks=mocks, program=reference_program)
        except Exception as error:  # the SDK's own failure, compared as such
            return (f"{type(error).__name__}: {error}",)
    registrations = [(r.urn, r.type, r.inputs, r.is_read) for r in result.registrations]
    return repr(result.exports), sorted(result.secret_exports), repr(registrations)


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Fresh memories of stack reads, and the names of the stacks the SDK's own resolve_outputs read."""
    monkeypatch.setattr(mock_engine, "_READ_ANSWERS", mock_engine._Remembered(4))
    monkeypatch.setattr(mock_engine, "_READ_PROPERTIES", mock_engine._Remembered(4))
    sdk_reads: list[str] = []
    sdk_resolve_outputs = mock_engine._sdk_resolve_outputs

    @functools.wraps(sdk_resolve_outputs)
    def counted(res, *args, **kwargs):
        if isinstance(res, pulumi.StackReference):
            sdk_reads.append(res._name)
        return sdk_resolve_outputs(res, *args, **kwargs)

    monkeypatch.setattr(mock_engine, "_sdk_resolve_outputs", counted)
    return sdk_reads


def test_a_stack_reference_read_again_resolves_what_the_sdks_own_read_gave(reads):
    """Every tenant stack reads its owner's outputs: the answer and the properties the SDK made of it are kept by
    content, and a later read of the same outputs gets a copy of them, the same as the SDK's own read."""
    first = run_reference(copy.deepcopy(OWNER_OUTPUTS))
    assert sorted(reads) == [OWNER_STACK, OTHER_STACK]
    again = run_reference(copy.deepcopy(OWNER_OUTPUTS))
    assert len(reads) == 2  # the second run's reads were answered from what the first one kept
    assert again == first == run_reference(copy.deepcopy(OWNER_OUTPUTS), sdk_only=True)
    exports = eval(first[0])
    assert set(exports["owner-outputs"]) == set(OWNER_OUTPUTS)
    assert (exports["owner-count"], exports["owner-first"], exports["owner-names"]) == (3, "tenant_0", [])
    assert (exports["owner-password"], exports["owner-dr-first"]) == ("s3cret", "other")
    # A secret among the outputs makes them secret, and what is read from them by an apply; get_output's secrecy
    # comes from secretOutputNames (the SDK's StackReference), which this stand-in leaves empty.
    assert first[1] == ["owner-first", "owner-outputs"]


def test_a_stack_reference_read_in_a_preview_is_not_answered_from_an_update(reads):
    results = [run_reference(copy.deepcopy(OWNER_OUTPUTS), preview=preview) for preview in (False, True, False, True)]
    assert len(reads) == 4  # each stack once in each mode
    assert results[0] == results[2] == run_reference(copy.deepcopy(OWNER_OUTPUTS), sdk_only=True)
    assert results[1] == results[3] == run_reference(copy.deepcopy(OWNER_OUTPUTS), sdk_only=True, preview=True)


def test_a_stack_reference_read_of_changed_outputs_is_read_anew(reads):
    outputs = copy.deepcopy(OWNER_OUTPUTS)
    run_reference(outputs)
    outputs["nested"]["z"][1]["b"] = "changed"  # the same objects, edited in place
    changed = run_reference(outputs)
    assert reads.count(OWNER_STACK) == 2  # not answered from the first read
    assert eval(changed[0])["owner-nested"]["z"][1]["b"] == "changed"
    assert changed == run_reference(outputs, sdk_only=True)
    reordered = dict(reversed(list(OWNER_OUTPUTS.items())))
    assert run_reference(reordered) == run_reference(reordered, sdk_only=True)


def test_outputs_that_are_not_plain_data_are_never_answered_from_another_read(reads):
    """Marshal writes an array as its bytes: two arrays of the same bytes must not share an answer."""
    for outputs in ({"count": array.array("h", [120])}, {"count": array.array("b", [120, 0])}):
        assert run_reference(outputs) == run_reference(outputs, sdk_only=True), outputs
    assert len(mock_engine._READ_ANSWERS) == 1  # the other stack's outputs only


def test_urns_made_at_once_are_the_sdks_own():
    from pulumi.runtime import resource as pulumi_resource

    def program() -> None:
        parent = "urn:pulumi:engine::lattice-tenancy::my:component:Thing::parent"
        for key, make in (("lean", pulumi_resource.create_urn), ("sdk", mock_engine._sdk_create_urn)):
            pulumi.export(f"{key}-top", make("role", "aws:iam/role:Role"))
            pulumi.export(f"{key}-child", make("role", "aws:iam/role:Role", parent))
            pulumi.export(f"{key}-elsewhere", make("role", "aws:iam/role:Role", None, "other", "prod"))
            pulumi.export(f"{key}-from-output", make(pulumi.Output.from_input("role"), "aws:iam/role:Role"))

    assert pulumi_resource.create_urn is not mock_engine._sdk_create_urn  # before the run: still the SDK's
    exports = run_program({}, stack="engine", mocks=EchoMocks(), program=program).exports
    assert pulumi_resource.create_urn is mock_engine._create_urn
    for case in ("top", "child", "elsewhere", "from-output"):
        assert exports[f"lean-{case}"] == exports[f"sdk-{case}"], case
    assert exports["lean-child"] == "urn:pulumi:engine::lattice-tenancy::my:component:Thing$aws:iam/role:Role::role"
    assert exports["lean-elsewhere"] == "urn:pulumi:prod::other::aws:iam/role:Role::role"


def test_an_output_nobody_reads_is_never_made_and_one_read_late_is_already_resolved():
    declared: list[aws.iam.Role] = []

    def program() -> None:
        declared.append(aws.iam.Role("role", assume_role_policy="{}"))

    run_program({}, stack="engine", mocks=EchoMocks(), program=program)
    (role,) = declared
    unread = [name for name, held in vars(role).items() if isinstance(held, mock_engine._UnreadOutput)]
    assert "arn" in unread and "assume_role_policy" in unread and "id" not in unread
    arn = role.arn  # the first read makes it, from the answer kept
    assert isinstance(arn, pulumi.Output) and arn._data.done()
    assert arn._data.result().value == "arn:aws:iam::111111111111:role/role"
    assert role.arn is arn  # and keeps it


def test_a_runs_own_cycles_are_freed_when_it_ends_though_full_collections_are_off():
    import weakref

    held: list[weakref.ref] = []

    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy="{}")
        assert isinstance(role.arn, pulumi.Output)  # read: the resource and its Output now refer to each other
        held.append(weakref.ref(role))
        component = pulumi.ComponentResource("test:index:Component", "component")
        child = aws.iam.Role("child", assume_role_policy="{}", opts=pulumi.ResourceOptions(parent=component))
        held.extend([weakref.ref(component), weakref.ref(child)])  # held by the run's settings until it ends

    with young_collections_only():  # as the plan command runs
        run_program({}, stack="engine", mocks=EchoMocks(), program=program)
        assert [ref() for ref in held] == [None, None, None]


def test_every_resource_of_the_owner_run_is_freed_when_it_ends(monkeypatch):
    from tests.conftest import instances_made, run_owner

    made = instances_made(monkeypatch, pulumi.Resource)
    with young_collections_only():  # as the plan command runs
        run_owner()
    assert len(made) > 50
    assert [type(ref()).__name__ for ref in made if ref() is not None] == []


def test_the_event_loop_made_for_a_run_keeps_nothing_of_it(monkeypatch):
    """The loop's self-pipe reader keeps the context the loop was made in: made inside a run, it kept that run's
    monitor, and with it every resource's mock state, for the life of the process."""
    from tests.conftest import instances_made

    monitors = instances_made(monkeypatch, mock_engine.RecordingMonitor)
    policy = asyncio.get_event_loop_policy()
    previous = policy.get_event_loop()
    asyncio.set_event_loop_policy(None)  # a fresh process's: the first use of the loop makes it
    try:
        with young_collections_only():  # as the plan command runs: one run, then the next
            run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(3))
            run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(1))
        assert asyncio.get_event_loop() is not previous
        # The first run's monitor is gone (the SDK's settings keep the latest run's until the next one).
        assert len(monitors) == 2 and monitors[0]() is None
    finally:
        asyncio.get_event_loop().close()
        asyncio.set_event_loop_policy(policy)


@pytest.mark.fresh_plans  # the shipped stacks run under the spy, not from the worker's cached plan
def test_an_answer_copied_in_part_from_the_request_is_the_sdks_whole_serialization(monkeypatch):
    from pulumi.runtime import rpc as pulumi_rpc

    from tooling import plan

    lean_answer = mock_engine._answer
    compared: list[tuple[str, bool]] = []

    def both(sent, inputs, state):
        whole = pulumi_mocks._sync_await(pulumi_rpc.serialize_properties(state, {}))
        lean = lean_answer(sent, inputs, state)
        same = lean == whole and list(lean.fields) == list(whole.fields)  # the same keys in the same order too
        compared.append((str(state.get("name") or sorted(state)), same))
        return whole

    def edge_cases() -> None:
        aws.iam.Role(
            "edges",
            assume_role_policy=pulumi.Output.secret('{"Version": "2012-10-17"}'),  # a secret input
            max_session_duration=3600,  # a number, sent as a float
            tags={"Team": "a", "Empty": ""},
            inline_policies=[{"name": "p", "policy": None}],  # a null inside a list of maps
        )

    monkeypatch.setattr(mock_engine, "_answer", both)
    run_program({}, stack="engine", mocks=EchoMocks(), program=edge_cases)
    plans = plan.plan_all(plan.ROOT, lane=Lane(fork=False))  # every resource of the shipped stacks, run here
    assert all(p.error is None for p in plans)
    assert len(compared) > 300
    assert [what for what, same in compared if not same] == []


def serialization_edge_cases() -> None:
    role = aws.iam.Role(
        "edges",
        assume_role_policy=pulumi.Output.secret('{"Version": "2012-10-17"}'),  # a secret
        max_session_duration=3600,
        tags={"Team": "a", "Empty": "", "Arn": aws.get_caller_identity_output().arn},  # an Output inside a map
        inline_policies=[  # a list of input types, one of them given as a dict keyed by Python names
            aws.iam.RoleInlinePolicyArgs(name="p", policy="{}"),
            {"name": "q", "policy": None},
        ],
        managed_policy_arns=("arn:aws:iam::aws:policy/ReadOnlyAccess",),  # a tuple
    )
    unknown = pulumi.Output.from_input(pulumi.output.UNKNOWN)  # not known, as in a preview
    aws.iam.RolePolicy("unknown", role=role.id, policy=pulumi.Output.secret(unknown))  # a secret not known
    aws.budgets.Budget(  # nested input types as dicts: their keys are translated by the type
        "budget",
        budget_type="COST",
        time_unit="MONTHLY",
        limit_amount="10",
        limit_unit="USD",
        cost_filters=[{"name": "TagKeyValue", "values": ["user:Tenant$a"]}],
        notifications=[
            {
                "comparison_operator": "GREATER_THAN",
                "threshold": 80,
                "threshold_type": "PERCENTAGE",
                "notification_type": "ACTUAL",
                "subscriber_sns_topic_arns": [role.arn],  # an Output not resolved yet, maybe
            }
        ],
    )
    aws.iam.RolePolicyAttachment("attachment", role=role, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    def once_the_role_is_known(arn: str) -> None:  # so its outputs are resolved when this is serialized
        arns = pulumi.Output.from_input(arn).apply(lambda _: [role.arn])  # an Output holding an Output
        aws.budgets.Budget(
            "nested",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount="10",
            limit_unit="USD",
            cost_filters=[{"name": "TagKeyValue", "values": arns}],
        )

    role.arn.apply(once_the_role_is_known)


@pytest.mark.fresh_plans  # the shipped stacks run under the spy, not from the worker's cached plan
def test_inputs_serialized_at_once_are_the_sdks_own_serialization(monkeypatch):
    from tooling import plan

    lean_serialization = mock_engine._serialize_properties
    serialize_now = mock_engine._serialize_now
    compared: list[tuple[str, bool]] = []
    counts = {"properties": 0, "left_to_the_sdk": 0, "depth": 0}

    def counted(value, deps, typ, transformer):  # synchronous: the depth is exact
        top = counts["depth"] == 0
        counts["properties"] += top
        counts["depth"] += 1
        try:
            return serialize_now(value, deps, typ, transformer)
        except Exception:
            counts["left_to_the_sdk"] += top
            raise
        finally:
            counts["depth"] -= 1

    async def both(inputs, property_deps, *args, **kwargs):
        lean_deps: dict = {}
        # The lean one first, while some Outputs may still be pending.
        lean = await lean_serialization(inputs, lean_deps, *args, **kwargs)
        whole = await mock_engine._sdk_serialize_properties(inputs, property_deps, *args, **kwargs)
        same = (
            lean == whole
            and list(lean.fields) == list(whole.fields)  # the same keys in the same order
            # The same resources per property. (The SDK gives one twice where an Output holds an Output of it: the
            # outer one learns of it while the first serialization runs. The engine's request takes them as a set.)
            and {k: {id(r) for r in v} for k, v in lean_deps.items()}
            == {k: {id(r) for r in v} for k, v in property_deps.items()}
            and list(lean_deps) == list(property_deps)
        )
        compared.append((str(inputs.get("name") or sorted(inputs)), same))
        return whole

    monkeypatch.setattr(mock_engine, "_serialize_now", counted)
    monkeypatch.setattr(mock_engine, "_serialize_properties", both)
    edges = run_program({}, stack="engine", mocks=EchoMocks(), program=serialization_edge_cases)
    assert len(edges.registrations) == 5
    plans = plan.plan_all(plan.ROOT, lane=Lane(fork=False))  # every resource of the shipped stacks, run here
    assert all(p.error is None for p in plans)
    assert len(compared) > 300
    assert [what for what, same in compared if not same] == []
    # The point of it: nearly every property is serialized at once (the rest wait on an Output, or are assets).
    assert counts["left_to_the_sdk"] < counts["properties"] / 50


def comparable(value: object) -> object:
    """A value as these tests compare it: containers by type, key order and content; a resource by identity; any other
    object (an unknown, an asset, an input type: none has an equality of its own) by type and attributes."""
    if isinstance(value, dict | list | tuple):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return (type(value).__name__, [(k, comparable(v)) for k, v in items])
    if isinstance(value, pulumi.Resource):
        return ("resource", id(value))
    if hasattr(value, "__dict__"):
        return (type(value).__name__, comparable(vars(value)))
    return (type(value).__name__, repr(value))


def wire_edge_cases() -> list:
    from google.protobuf import struct_pb2
    from pulumi.runtime import rpc as pulumi_rpc

    secret = {pulumi_rpc._special_sig_key: pulumi_rpc._special_secret_sig, "value": "s"}
    asset = {pulumi_rpc._special_sig_key: pulumi_rpc._special_asset_sig, "text": "print(1)"}
    plain = {
        "text": "a",
        "number": 3600.0,
        "flag": False,
        "none": None,
        "unknown": pulumi_rpc.UNKNOWN,
        "map": {"secret": secret, "none": None, "nested": {"list": [1, None, secret]}},
        "list": [None, "x", {"a": None}, [secret]],
        "empty": {},
        "nothing": [],
        "asset": asset,
        "__internal": "kept unless asked",
    }
    cases = []
    for document in (plain, secret, asset, {}):
        struct = struct_pb2.Struct()
        struct.update(document)
        cases.append(struct)
    unset = struct_pb2.Struct()
    unset.fields["unset"].Clear()  # a Value with no kind
    return [*cases, unset]


def test_outputs_read_straight_from_the_wire_are_the_sdks_own_deserialization(monkeypatch):
    from tests.conftest import run_owner

    def outcome(deserialize, struct, *flags):
        try:
            return comparable(deserialize(struct, *flags))
        except Exception as error:
            return f"raises {type(error).__name__}: {error}"

    lean, sdk = mock_engine._deserialize_properties, mock_engine._sdk_deserialize_properties
    for struct in wire_edge_cases():
        for flags in [(), (True, True), (False, False)]:  # keep_unknowns, keep_internal
            assert outcome(lean, struct, *flags) == outcome(sdk, struct, *flags)
    assert "raises ValueError: Value not set" in outcome(lean, wire_edge_cases()[-1])

    compared: list[bool] = []

    def both(struct, *flags):
        compared.append(outcome(lean, struct, *flags) == outcome(sdk, struct, *flags))
        return lean(struct, *flags)

    monkeypatch.setattr(mock_engine, "_deserialize_properties", both)
    run_owner()  # every answer for the default owner config
    assert len(compared) > 50 and all(compared)


def output_data(output: pulumi.Output) -> tuple:
    """An Output's resolved state, comparable (its containers' identity to the input apart)."""
    data = output._data.result()
    return comparable(data.value), data.is_known, data.is_secret, sorted(id(r) for r in data.resources)


def test_outputs_made_at_once_from_inputs_are_the_sdks_own(monkeypatch):
    from tests.conftest import run_owner

    pairs: list[tuple[object, pulumi.Output, pulumi.Output]] = []
    lean, sdk = mock_engine._from_input, mock_engine._sdk_from_input

    def both(val):
        made = lean(val)
        pairs.append((val, made, sdk(val)))
        return made

    def edge_cases() -> None:
        role = aws.iam.Role("role", assume_role_policy="{}")
        empty: dict = {}
        not_known = asyncio.Future()
        not_known.set_result(mock_engine._OutputData(resources=set(), value="x", is_known=False, is_secret=False))
        for value in [
            "text",
            3,
            1.5,
            True,
            None,
            empty,
            [],
            (),
            {"a": [1, ("x", None)], "b": {"c": empty}},  # a plain tree, with a tuple
            pulumi.Output.secret({"k": ["v"]}),  # resolved, known, secret
            role.arn,  # a resource's output: its resources
            pulumi.Output.all(arn=role.arn, list=pulumi.Output.all(role.arn)),  # an Output of a map and a list
            pulumi.Output.from_input(pulumi.output.UNKNOWN),  # not known
            mock_engine._output_on(not_known),  # not known, with a value (as in a preview)
            {"nested": role.arn},  # an Output inside: the SDK's
            aws.iam.RoleInlinePolicyArgs(name="p", policy="{}"),  # an input type: the SDK's
            [role],  # an object of another kind: the SDK's
        ]:
            pulumi.Output.from_input(value)
            pulumi.Output.all(value, "x")  # as Output.all calls it for each argument

    monkeypatch.setattr(mock_engine, "_from_input", both)
    run_program({}, stack="engine", mocks=EchoMocks(), program=edge_cases)
    run_owner()  # every call of the default owner config
    assert len(pairs) > 300
    different = [repr(val)[:80] for val, made, expected in pairs if output_data(made) != output_data(expected)]
    assert different == []
    # Containers are new, as the SDK's are (empty ones are the same object in both).
    for val, made, expected in pairs:
        if isinstance(val, dict | list | tuple):
            assert (made._data.result().value is val) == (expected._data.result().value is val)


def test_an_input_the_sdk_refuses_fails_with_the_sdks_own_message(monkeypatch):
    def refused() -> None:
        aws.iam.Role("bad", assume_role_policy="{}", tags={"x": {1, 2}})  # a set: no wire form

    def message() -> str:
        with pytest.raises(ValueError) as error:
            run_program({}, stack="engine", mocks=EchoMocks(), program=refused)
        return str(error.value)

    lean = message()
    monkeypatch.setattr(mock_engine, "_serialize_properties", mock_engine._sdk_serialize_properties)
    assert lean == message()
    assert "While processing input: 'tags'" in lean and "unexpected input of type set for x in Role" in lean


def test_a_freeze_the_caller_keeps_stays_and_what_the_run_leaves_joins_it():
    assert mock_engine._FREEZE_KEPT  # the test session froze what collection left (conftest: keep_frozen)
    left = run_program({}, stack="engine", mocks=EchoMocks(), program=roles_program(3)).registrations[0]
    assert gc.get_freeze_count() > 0
    assert not any(o is left for o in gc.get_objects())  # frozen: in none of the collector's generations


def test_a_program_file_is_compiled_once_and_again_when_it_changes(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text('import pulumi\n\npulumi.export("n", __name__)\n')

    def run() -> dict:
        return run_program({}, stack="engine", mocks=EchoMocks(), program=program).exports

    assert run() == {"n": "__main__"}  # run as a script, as `pulumi up` runs it
    compiled = mock_engine._COMPILED[str(program)][1]
    assert run() == {"n": "__main__"} and mock_engine._COMPILED[str(program)][1] is compiled
    program.write_text('import pulumi\n\npulumi.export("n", "edited")\n')
    assert run() == {"n": "edited"}


def test_inputs_are_recorded_as_json_format_reads_them(monkeypatch):
    from google.protobuf import json_format, struct_pb2

    from tests.conftest import run_owner

    lean_struct = mock_engine._wire_struct
    compared: list[bool] = []

    def both(struct):
        lean, reference = lean_struct(struct), json_format.MessageToDict(struct)
        compared.append(lean == reference and repr(lean) == repr(reference))  # same types, same key order
        return reference

    edge = struct_pb2.Struct()
    edge.update({"n": 3600, "f": 0.5, "t": True, "none": None, "list": [1, "a", None, {"x": []}], "map": {}, "s": ""})
    edge.fields["unset"].Clear()  # a Value with no kind: read as null
    both(edge)
    monkeypatch.setattr(mock_engine, "_wire_struct", both)
    run_owner()  # every resource of the default owner config
    assert len(compared) > 50 and all(compared)
    infinite = struct_pb2.Struct()
    infinite["x"] = float("inf")
    with pytest.raises(ValueError, match="Infinity"):
        lean_struct(infinite)
