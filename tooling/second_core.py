"""Work for the machine's second core: a function run in a forked child while this process goes on.

The offline plan's analyses of a stack (the policy pack, the access analysis) only read that stack's records, and
the next stack's program doesn't need their results. `Lane.start(fn, *args)` forks; the child runs `fn` on this
process's memory as it was at that moment (copy-on-write: nothing is sent to it), pickles the result into a pipe and
exits; `Pending.result()` reads it. The result is the one `fn(*args)` returns here, so the plan is the same bytes
either way (a test holds both equal).

`fn` runs here at once instead, where a fork is unsafe or can't help: not Linux (macOS doesn't support fork without
exec once system frameworks are loaded; Windows has no fork), one usable core, or another thread alive (a fork copies
only the calling thread, so a lock another thread holds would never be released in the child); or where
`LATTICE_TENANCY_FORK=0` is set. An exception the
child raises is raised by `result()`, with the child's traceback as a note. A child that exits without a result
(killed, out of memory, a result that won't pickle) costs only time: `fn` then runs here.

At most one child at a time: `start` first reads the previous child's result. So the memory a plan needs is this
process's and one child's: what the child writes to (refcounts of what it reads, its own results), not what it shares.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


# Set to 0 to keep all the work in one process (a debugger in the program, a profile of one process).
FORK_SETTING = "LATTICE_TENANCY_FORK"


def can_fork() -> bool:
    """A fork is safe here, there is a second core for it, and it isn't turned off (FORK_SETTING=0)."""
    if os.environ.get(FORK_SETTING, "1").strip() == "0":
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return sys.platform == "linux" and cores > 1 and threading.active_count() == 1


def _run_child(write_end: int, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """In the child: run, send ("value", result) or ("raise", exception, traceback text), and exit without the
    interpreter's teardown or a flush (the parent's unwritten output is in this copy too, and is the parent's)."""
    status = 0
    try:
        try:
            message: tuple[Any, ...] = ("value", fn(*args))
        except BaseException as error:  # everything the call raises is the caller's to see
            message = ("raise", error, traceback.format_exc())
        payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # nothing sent: the parent runs fn itself
        status = 1
    os._exit(status)


class Pending(Generic[T]):
    """What `fn(*args)` returns, once `result()` has read it (from the child, or computed here)."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], fork: bool) -> None:
        self._fn, self._args = fn, args
        self._pid: int | None = None
        self._read_end = -1
        self._message: tuple[Any, ...] | None = None
        if not fork:
            self._message = self._here()
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _run_child(write_end, fn, args)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    @property
    def forked(self) -> bool:
        return self._pid is not None

    def _here(self) -> tuple[Any, ...]:
        try:
            return ("value", self._fn(*self._args))
        except BaseException as error:
            return ("raise", error, None)

    def _collect(self) -> None:
        """Read the child's message (before waiting for it: a large result fills the pipe), then reap it."""
        if self._pid is None:
            return
        with os.fdopen(self._read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        try:
            self._message = pickle.loads(payload) if status == 0 and payload else None
        except Exception:  # a result that pickles but doesn't unpickle (a class changed under it)
            self._message = None
        if self._message is None:
            self._message = self._here()

    def result(self) -> T:
        self._collect()
        assert self._message is not None
        if self._message[0] == "value":
            return self._message[1]
        _, error, child_traceback = self._message
        if child_traceback:
            error.add_note("raised in the plan's second process:\n" + child_traceback.rstrip())
            self._message = ("raise", error, None)  # noted once, however often it is asked
        raise error

    def cancel(self) -> None:
        """Stop the child, if it is still running (the caller won't read its result)."""
        if self._pid is not None:
            os.kill(self._pid, 9)
            os.waitpid(self._pid, 0)
            os.close(self._read_end)
            self._pid = None


class Lane:
    """A second core's worth of work, one child at a time. As a context manager it leaves no child behind: on an
    exception, an unread child is stopped."""

    def __init__(self, fork: bool = True) -> None:
        """`fork=False`: everything here (as where a fork can't be had: can_fork)."""
        self._fork = fork and can_fork()
        self._running: Pending[Any] | None = None

    @property
    def forks(self) -> bool:
        """Whether this lane's work goes to a second process (else it all runs here)."""
        return self._fork

    def start(self, fn: Callable[..., T], *args: Any, worth_a_fork: bool = True) -> Pending[T]:
        """`fn(*args)` in a child when `worth_a_fork` and forking is possible (the previous child read first),
        else here and now."""
        fork = self._fork and worth_a_fork and threading.active_count() == 1
        if fork and self._running is not None:
            self._running._collect()
        pending = Pending(fn, args, fork)
        if pending.forked:
            self._running = pending
        return pending

    def __enter__(self) -> Lane:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if self._running is not None:
            if kind is None:
                self._running._collect()
            else:
                self._running.cancel()
            self._running = None
