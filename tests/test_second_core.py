"""Work on the second core: the result (or the exception) is the one the call gives here, whatever the child does."""

from __future__ import annotations

import _thread
import os
import signal
import time

import pytest

from tests.conftest import children
from tooling import second_core
from tooling.second_core import Lane, can_fork

forking = pytest.mark.usefixtures("forking")
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


def sleeps_in_a_child() -> str:
    if os.getpid() != PARENT:
        time.sleep(60)
    return "computed here"


@forking
def test_the_result_comes_from_a_child_and_is_the_calls():
    before = children()
    with Lane() as lane:
        pending = lane.start(where_and_sum, list(range(1000)))
        assert pending.in_child and children() - before
        assert pending.result() == (True, sum(range(1000)))
    assert children() == before


def test_not_worth_a_fork_or_a_lane_without_forks_runs_here_at_once():
    assert Lane(fork=False).start(where_and_sum, [1, 2]).result() == (False, 3)
    assert Lane().start(where_and_sum, [1, 2], worth_a_fork=False).result() == (False, 3)


@forking
def test_an_exception_is_raised_by_result_with_the_childs_traceback_once():
    pending = Lane().start(fails, "a policy failed")
    assert pending.in_child
    for _ in range(2):
        with pytest.raises(ValueError, match="a policy failed") as raised:
            pending.result()
        (note,) = raised.value.__notes__
        assert note.startswith("raised in the plan's second process:") and "in fails" in note


@forking
@pytest.mark.parametrize("function", [dies_in_a_child, unpicklable_result])
def test_a_child_without_a_result_costs_only_time(function):
    before = children()
    pending = Lane().start(function)
    assert pending.in_child
    result = pending.result()
    assert result == "computed here" if function is dies_in_a_child else result() == "a lambda can't be pickled"
    assert children() == before


@forking
def test_one_child_at_a_time_the_previous_one_read_first():
    lane = Lane()
    first = lane.start(where_and_sum, [1])
    second = lane.start(where_and_sum, [2])
    assert not first.in_child and second.in_child  # the first was read (and reaped) before the second fork
    assert (first.result(), second.result()) == ((True, 1), (True, 2))


@forking
def test_leaving_on_an_exception_stops_the_child(stopped):
    before = children()
    with pytest.raises(RuntimeError), Lane() as lane:
        assert lane.start(sleeps_in_a_child).in_child
        raise RuntimeError("the plan stopped")
    assert [os.WTERMSIG(status) for status in stopped] == [signal.SIGKILL]  # not waited for: killed
    assert children() == before


@forking
def test_an_interrupted_read_stops_the_child_and_raises_at_once(monkeypatch, stopped):
    before = children()
    pending = Lane().start(sleeps_in_a_child)

    def interrupted(fd, mode):  # Ctrl-C while this process waits for the child's result
        raise KeyboardInterrupt

    monkeypatch.setattr(second_core.os, "fdopen", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pending.result()
    assert [os.WTERMSIG(status) for status in stopped] == [signal.SIGKILL]
    assert children() == before


def test_ctrl_c_in_work_done_here_is_raised_at_once():
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Lane(fork=False).start(interrupted)


@forking
def test_a_fork_the_system_refuses_is_work_done_here(monkeypatch):
    def refused() -> int:
        raise BlockingIOError("fork: Resource temporarily unavailable")

    monkeypatch.setattr(second_core.os, "fork", refused)
    pending = Lane().start(where_and_sum, [4])
    assert not pending.in_child and pending.result() == (False, 4)


def test_no_fork_with_another_thread_alive_on_one_core_or_when_turned_off(monkeypatch):
    monkeypatch.setattr(second_core, "threads_alive", lambda: 2)
    assert not can_fork()
    monkeypatch.undo()
    monkeypatch.setattr(second_core.os, "sched_getaffinity", lambda pid: {0})
    assert not can_fork()
    monkeypatch.undo()
    monkeypatch.setenv("LATTICE_TENANCY_FORK", "0")
    assert not can_fork() and not Lane().forks


def test_a_thread_the_threading_module_does_not_know_stops_forks_too():
    tasks = len(os.listdir("/proc/self/task"))
    started, release = _thread.allocate_lock(), _thread.allocate_lock()
    started.acquire()
    release.acquire()

    def run() -> None:
        started.release()
        release.acquire()

    _thread.start_new_thread(run, ())  # as native code or execnet starts one: threading.active_count() misses it
    started.acquire()
    try:
        assert second_core.threads_alive() >= 2 and not can_fork()
    finally:
        release.release()
        deadline = time.monotonic() + 10
        while len(os.listdir("/proc/self/task")) > tasks and time.monotonic() < deadline:  # gone before the next fork
            time.sleep(0.01)
