"""A program run in a forked child gives what the same run gives here: the records, exports and errors, in order."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pickle
import signal

import pulumi
import pulumi_aws as aws
import pytest

from tests.conftest import (
    ACCOUNT,
    REGION,
    SECRET_KEYS,
    as_pulumi_config,
    children,
    instances_made,
    owner_values,
    subnets,
)
from tests.test_mock_engine import EchoMocks, roles_program
from tooling import mock_engine, program_child, second_core
from tooling.aws_standin import OfflineAws
from tooling.mock_engine import ProgramError, run_program

pytestmark = pytest.mark.usefixtures("forking")
PARENT = os.getpid()


@pytest.fixture(autouse=True)
def no_child_left_behind(forking):
    before = children()
    yield
    assert children() == before


def owner_arguments() -> dict:
    return {
        "stack": "owner",
        "secret_keys": SECRET_KEYS,
        "mocks": OfflineAws(ACCOUNT, REGION, subnets()),
    }


def test_the_owner_run_in_a_child_is_the_run_here_record_for_record(monkeypatch):
    config = as_pulumi_config(owner_values())
    here = run_program(config, **owner_arguments())
    monitors_here = instances_made(monkeypatch, mock_engine.RecordingMonitor)
    handed: list[str] = []
    there = program_child.run(config, **owner_arguments(), on_registration=lambda r: handed.append(r.urn))
    assert monitors_here == []  # the program ran elsewhere
    assert [dataclasses.asdict(r) for r in there.registrations] == [dataclasses.asdict(r) for r in here.registrations]
    assert there.exports == here.exports and there.secret_exports == here.secret_exports
    assert there.stack == "owner" and len(there.registrations) > 50
    assert handed == [r.urn for r in here.registrations]  # each one as it came, in order


def test_a_program_error_is_the_same_message_with_what_was_declared_before_it():
    def failing() -> None:
        aws.iam.Role("declared-first", assume_role_policy="{}")
        raise pulumi.RunError("lattice-tenancy:tenants: the fix is named here")

    with pytest.raises(ProgramError) as here:
        run_program({}, stack="engine", mocks=EchoMocks(), program=failing)
    for fork in (True, False):
        handed: list = []
        with pytest.raises(ProgramError) as there:
            program_child.run(
                {}, stack="engine", mocks=EchoMocks(), program=failing, on_registration=handed.append, fork=fork
            )
        assert str(there.value) == str(here.value) and "the fix is named here" in str(there.value)
        assert [r.urn for r in there.value.registrations] == [r.urn for r in here.value.registrations]
        assert [r.name for r in handed] == ["declared-first"]  # handed over either way, before the error


def test_another_exception_is_raised_here_with_the_childs_traceback():
    def broken() -> None:
        raise KeyError("no such stack output")

    with pytest.raises(KeyError, match="no such stack output") as raised:
        program_child.run({}, stack="engine", mocks=EchoMocks(), program=broken)
    (note,) = raised.value.__notes__
    assert note.startswith("raised in the program's process:") and "in broken" in note


def test_exports_that_cannot_be_sent_are_an_error_that_says_so(monkeypatch):
    dumps = program_child.pickle.dumps

    def refusing_exports(message, protocol):
        if message[0] == "done":
            raise pickle.PicklingError("cannot pickle '_thread.lock' object")
        return dumps(message, protocol)

    monkeypatch.setattr(program_child.pickle, "dumps", refusing_exports)
    with pytest.raises(RuntimeError, match="the program's exports could not be sent from its process: cannot pickle"):
        program_child.run({}, stack="engine", mocks=EchoMocks(), program=roles_program(1))


class NeedsTwo(Exception):
    def __init__(self, stack: str, reason: str) -> None:  # a pickle can't rebuild it (as ProgramError's can't)
        super().__init__(f"{stack}: {reason}")


def test_an_exception_that_cannot_be_rebuilt_here_is_said_in_words():
    def raises_needs_two() -> None:
        raise NeedsTwo("engine", "a reason")

    with pytest.raises(RuntimeError, match="NeedsTwo: engine: a reason") as raised:
        program_child.run({}, stack="engine", mocks=EchoMocks(), program=raises_needs_two)
    assert "in raises_needs_two" in raised.value.__notes__[0]


def test_a_child_that_dies_is_an_error_naming_the_stack_and_its_status_not_a_hang():
    def killed() -> None:
        aws.iam.Role("declared", assume_role_policy="{}")
        if os.getpid() != PARENT:
            os._exit(3)  # as the OOM killer would end it: no word of how the run ended

    with pytest.raises(program_child.ChildLost, match=r"stack engine: the program's process ended .* status 3\)"):
        program_child.run({}, stack="engine", mocks=EchoMocks(), program=killed)


def test_a_message_cut_short_is_the_same_error(monkeypatch):
    ending = program_child._ending
    monkeypatch.setattr(program_child, "_ending", lambda outcome, text: ending(outcome, text)[:-8])  # in the child
    with pytest.raises(program_child.ChildLost, match="stack engine: the program's process ended"):
        program_child.run({}, stack="engine", mocks=EchoMocks(), program=roles_program(1))


def test_when_the_reader_fails_the_child_is_stopped_at_once_and_reaped(monkeypatch, stopped):
    monkeypatch.setattr(program_child, "_BUFFER", 0)  # the first record reaches the reader at once

    def declares_then_waits() -> None:
        aws.iam.Role("declared", assume_role_policy="{}")
        later = asyncio.ensure_future(asyncio.sleep(60, "{}"))  # the loop goes on, and sends the first
        aws.iam.Role("waits", assume_role_policy=pulumi.Output.from_input(later))

    def refuse(registration) -> None:
        raise RuntimeError("the pack failed")

    with pytest.raises(RuntimeError, match="the pack failed"):
        program_child.run({}, stack="engine", mocks=EchoMocks(), program=declares_then_waits, on_registration=refuse)
    assert [os.WTERMSIG(status) for status in stopped] == [signal.SIGKILL]


def test_without_a_fork_it_is_the_run_here(monkeypatch):
    monkeypatch.setattr(second_core, "threads_alive", lambda: 2)  # as with another thread alive
    handed: list[str] = []
    result = program_child.run(
        {}, stack="engine", mocks=EchoMocks(), program=roles_program(3), on_registration=lambda r: handed.append(r.name)
    )
    assert handed == [r.name for r in result.registrations] and len(handed) == 6
