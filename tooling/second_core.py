"""Work for the machine's second core: a function run in a forked child while this process goes on.

The offline plan's analyses of a stack (the policy pack, the access analysis) only read that stack's records, and
the next stack's program doesn't need their results. `Lane.start(fn, *args)` forks; the child runs `fn` on this
process's memory as it was at that moment (copy-on-write: nothing is sent to it), pickles the result into a pipe and
exits; `Pending.result()` reads it. The result is the one `fn(*args)` returns here, so the plan is the same bytes
either way (a test holds both equal).

`fn` runs here at once instead, where a fork is unsafe or can't help: not Linux (macOS doesn't support fork without
exec once system frameworks are loaded; Windows has no fork), one usable core, another thread alive (a fork copies
only the calling thread, so a lock another thread holds would never be released in the child; native threads
count), `LATTICE_TENANCY_FORK=0`, or a fork the system refuses. An exception the child raises is raised by
`result()`, with the child's traceback as a note. A child that exits without a result (killed, out of memory, a
result that won't pickle) costs only time: `fn` then runs here. Ctrl-C stops the child and is raised here at once.

A lane has one child at a time: `start` first reads the previous one's result. (The plan also runs a stack's program
in a child of its own, tooling.program_child, so it may have two children at once.)
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Set to 0 to keep all the work in one process (a debugger in the program, a profile of one process).
FORK_SETTING = "LATTICE_TENANCY_FORK"


def threads_alive() -> int:
    """Every thread of this process, native ones too (Linux lists them all under /proc/self/task)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def can_fork() -> bool:
    """A fork is safe here, there is a second core for it, and it isn't turned off (FORK_SETTING=0)."""
    if os.environ.get(FORK_SETTING, "1").strip() == "0" or sys.platform != "linux":
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores > 1 and threads_alive() == 1


def add_note(error: BaseException, note: str) -> None:
    """`error.add_note(note)` where Python has it (3.11 on); on 3.10 the note is left out."""
    if hasattr(error, "add_note"):
        error.add_note(note)


def fork_child(body: Callable[[int], None]) -> tuple[int, int] | None:
    """Fork a child that runs `body(write_end)` and exits without the interpreter's teardown, whatever happens in
    it (so it can never carry on as a copy of this process); (its pid, the read end of its pipe) here, or None when
    the system refuses the pipe or the fork (the caller then does the work itself)."""
    sys.stdout.flush()  # or the child's copy of what is still buffered would be written twice
    sys.stderr.flush()
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    # Ctrl-C held back across the fork: neither process may see it before it knows which one it is.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # pragma: no cover (the child's coverage isn't collected; its effects are tested)
        status = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            os.close(read_end)
            body(write_end)
            status = 0
        finally:
            with contextlib.suppress(BaseException):  # what it printed, written once, by the process that printed it
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(status)
    try:
        os.close(write_end)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return pid, read_end


def stop_child(pid: int) -> int:
    """Kill a child (if it still runs) and reap it; its wait status (0 if it was reaped already)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # reaped just before an interruption
        return 0


def _send_result(fn: Callable[..., Any], args: tuple[Any, ...], write_end: int) -> None:
    """In the child: ("value", result) or ("raise", exception, traceback text), pickled whole before it is written;
    nothing at all when that fails (the parent then runs fn itself)."""
    try:
        message: tuple[Any, ...] = ("value", fn(*args))
    except BaseException as error:  # everything the call raises is the caller's to see
        message = ("raise", error, traceback.format_exc())
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    with os.fdopen(write_end, "wb") as pipe:
        pipe.write(payload)


class Pending(Generic[T]):
    """What `fn(*args)` returns, once `result()` has read it (from the child, or computed here)."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...], fork: bool) -> None:
        self._fn, self._args = fn, args
        self._pid: int | None = None
        self._read_end = -1
        self._message: tuple[Any, ...] | None = None
        child = fork_child(lambda write_end: _send_result(fn, args, write_end)) if fork else None
        if child is None:
            self._message = self._here()
        else:
            self._pid, self._read_end = child

    @property
    def in_child(self) -> bool:
        """Its result is still in a child, not read yet."""
        return self._pid is not None

    def _here(self) -> tuple[Any, ...]:
        try:
            return ("value", self._fn(*self._args))
        except Exception as error:  # Ctrl-C and exits go up at once
            return ("raise", error, None)

    def _collect(self) -> None:
        """Read the child's message (before waiting for it: a large result fills the pipe), then reap it; stopped
        and reaped if this is interrupted."""
        if self._pid is None:
            return
        pid, read_end, status, payload = self._pid, self._read_end, None, b""
        self._pid, self._read_end = None, -1  # this reader owns them now
        try:
            try:
                pipe = os.fdopen(read_end, "rb")
            except BaseException:
                os.close(read_end)
                raise
            with pipe:
                payload = pipe.read()
            status = os.waitpid(pid, 0)[1]
        finally:
            if status is None:  # interrupted: the child's result is no one's
                stop_child(pid)
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
            add_note(error, "raised in the plan's second process:\n" + child_traceback.rstrip())
            self._message = ("raise", error, None)  # noted once, however often it is asked
        raise error

    def cancel(self) -> None:
        """Stop the child, if it is still running (the caller won't read its result)."""
        if self._pid is not None:
            pid, self._pid = self._pid, None
            read_end, self._read_end = self._read_end, -1
            stop_child(pid)
            with contextlib.suppress(OSError):
                os.close(read_end)


class Lane:
    """A second core's worth of work, one child at a time. As a context manager it leaves no child behind: on an
    exception (Ctrl-C too), an unread child is stopped."""

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
        fork = self._fork and worth_a_fork and threads_alive() == 1
        if fork and self._running is not None:
            self._running._collect()
        pending = Pending(fn, args, fork)
        if pending.in_child:
            self._running = pending
        return pending

    def __enter__(self) -> Lane:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        running, self._running = self._running, None
        if running is not None:
            if kind is None:
                running._collect()
            else:
                running.cancel()
