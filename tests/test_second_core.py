"""Work on the second core: the result (or the exception) is the one the call gives here, whatever the child does."""

from __future__ import annotations

import os

import pytest

from tests.test_program_child import no_child_left
from tooling import second_core
from tooling.second_core import Lane, can_fork

forking = pytest.mark.skipif(not can_fork(), reason="no fork here: the lane runs everything in this process")
PARENT = os.getpid()


def where_and_sum(values: list[int]) -> tuple[bool, int]:
    return os.getpid() != PARENT, sum(values)


def fails(message: str) -> None:
    raise ValueError(message)


def dies_in_a_child() -> str:
    if os.getpid() != PARENT:
        os._exit(1)  # killed, out of memory: no result sent
    return "computed here"


def unpicklable_result() -> object:
    return lambda: "a lambda can't be pickled"


@forking
def test_the_result_comes_from_a_child_and_is_the_calls():
    with Lane() as lane:
        pending = lane.start(where_and_sum, list(range(1000)))
        assert pending.forked
        assert pending.result() == (True, sum(range(1000)))
    assert no_child_left()


def test_not_worth_a_fork_or_a_lane_without_forks_runs_here_at_once():
    assert Lane(fork=False).start(where_and_sum, [1, 2]).result() == (False, 3)
    assert Lane().start(where_and_sum, [1, 2], worth_a_fork=False).result() == (False, 3)


@forking
def test_an_exception_is_raised_by_result_with_the_childs_traceback_once():
    pending = Lane().start(fails, "a policy failed")
    for _ in range(2):
        with pytest.raises(ValueError, match="a policy failed") as raised:
            pending.result()
        (note,) = raised.value.__notes__
        assert note.startswith("raised in the plan's second process:") and "in fails" in note


@forking
@pytest.mark.parametrize("function", [dies_in_a_child, unpicklable_result])
def test_a_child_without_a_result_costs_only_time(function):
    pending = Lane().start(function)
    assert pending.forked
    result = pending.result()
    assert result == "computed here" if function is dies_in_a_child else result() == "a lambda can't be pickled"
    assert no_child_left()


@forking
def test_one_child_at_a_time_the_previous_one_read_first():
    lane = Lane()
    first = lane.start(where_and_sum, [1])
    second = lane.start(where_and_sum, [2])
    assert not first.forked and second.forked  # the first was read (and reaped) before the second fork
    assert (first.result(), second.result()) == ((True, 1), (True, 2))
    assert no_child_left()


@forking
def test_leaving_on_an_exception_stops_the_child():
    with pytest.raises(RuntimeError), Lane() as lane:
        lane.start(where_and_sum, list(range(10)))
        raise RuntimeError("the plan stopped")
    assert no_child_left()


def test_no_fork_with_another_thread_alive_on_one_core_or_when_turned_off(monkeypatch):
    monkeypatch.setattr(second_core.threading, "active_count", lambda: 2)
    assert not can_fork()
    monkeypatch.undo()
    monkeypatch.setattr(second_core.os, "sched_getaffinity", lambda pid: {0})
    assert not can_fork()
    monkeypatch.undo()
    monkeypatch.setenv("LATTICE_TENANCY_FORK", "0")
    assert not can_fork() and not Lane().forks
