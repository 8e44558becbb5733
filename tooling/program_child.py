"""A stack's program run in a forked child, each registration streamed back as the engine receives it.

A program run keeps its SDK objects (resources, outputs, futures, tasks) until it ends. At 4,982 tenants the owner
run's peak is ~370 MiB above the plan's baseline, and what the plan keeps afterwards (the records) is a quarter of
that. In this process, freed memory stays with it: pymalloc returns an arena only when all of it is free. In a child,
the memory goes back to the system when the child exits. This process only ever holds the records. It rebuilds
each one from its request (`registration_of`) as the child sends it, and hands it to `on_registration` (the
policy pack) on the other core while the program goes on.

The child pickles messages into a pipe: each request the monitor recorded (its wire bytes and URN), then how the run
ended: the exports, the ProgramError's message, or another exception with its traceback. It writes them 1 MiB at a
time, so the records of a small run (a few thousand) arrive together at its end. The records, exports and errors are
the ones `run_program` gives in this process; a test holds them equal. A child that dies (killed, out of memory), or
whose stream breaks, is a ChildLost naming the stack and the exit status. Where a fork is unsafe or can't help
(tooling.second_core.can_fork), or the system refuses one, `run` is `run_program` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import keyword
import os
import pickle
import pkgutil
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2

from tooling import second_core
from tooling.mock_engine import ROOT, ProgramError, registration_of, run_program
from tooling.records import Registration, RunResult
from tooling.resource_types import TYPES
from tooling.second_core import add_note, can_fork

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_BUFFER = 1 << 20  # bytes per write to the pipe: a run sends tens of thousands of small messages
_REQUEST_TYPES: dict[str, Any] = {
    "register": resource_pb2.RegisterResourceRequest,
    "read": resource_pb2.ReadResourceRequest,
}


class ChildLost(RuntimeError):
    """The child ended without saying how the run ended (killed, out of memory), or said it unreadably."""


def _ending(outcome: RunResult | BaseException, child_traceback: str) -> bytes:
    """How the run ended, pickled whole (so a failure can't leave half a message in the pipe); what can't be
    pickled is said in words."""
    if isinstance(outcome, RunResult):
        ending: tuple[Any, ...] = ("done", outcome.exports, outcome.secret_exports)
    elif isinstance(outcome, ProgramError):
        ending = ("program error", str(outcome))
    else:
        ending = ("raise", outcome, child_traceback)
    try:
        payload = pickle.dumps(ending, _PROTOCOL)
        if ending[0] == "raise":
            pickle.loads(payload)  # an exception whose class can't be rebuilt from its pickle (a custom __init__)
        return payload
    except Exception as error:
        if isinstance(outcome, RunResult):
            said = RuntimeError(f"the program's exports could not be sent from its process: {error}")
        else:
            said = RuntimeError(f"{type(outcome).__name__}: {outcome}")
        return pickle.dumps(("raise", said, child_traceback), _PROTOCOL)


def _in_child(write_end: int, run: Callable[..., RunResult]) -> None:
    """In the child: run the program, forwarding every request, then say how it ended."""
    with os.fdopen(write_end, "wb", buffering=_BUFFER) as pipe:
        sending = threading.Lock()  # a monitor call that must wait on the engine is answered on a worker thread

        def forward(request: Any, urn: str, is_read: bool) -> None:
            message = pickle.dumps(("read" if is_read else "register", urn, request.SerializeToString()), _PROTOCOL)
            with sending:
                pipe.write(message)

        # This process's own loop: the one it inherited shares its selector and self-pipe with the parent's (kept
        # referenced, so collecting it never closes what the parent still uses).
        _inherited = None
        with contextlib.suppress(RuntimeError):  # none yet (Python 3.14 raises where earlier ones made one)
            _inherited = asyncio.get_event_loop_policy().get_event_loop()
        asyncio.set_event_loop(asyncio.new_event_loop())
        outcome: RunResult | BaseException
        child_traceback = ""
        try:
            outcome = run(forward=forward)
        except BaseException as error:  # the caller's to see, as if the run had been here
            outcome, child_traceback = error, traceback.format_exc()
        payload = _ending(outcome, child_traceback)
        with sending:
            pipe.write(payload)


def _preload() -> None:
    """Import here what every program run imports: the program's packages and the provider's module for each
    resource type it declares (tooling.resource_types), which load on first use (~1 s for the owner's). Imported once
    by this process, they are every child's from the start."""
    # Only to save time: a module that fails to import here fails (or not) in the child as it would in one process.
    for package in ("tenancy", "components"):
        for info in pkgutil.iter_modules([str(ROOT / package)], f"{package}."):
            with contextlib.suppress(Exception):
                importlib.import_module(info.name)
    for name in sorted({token.split(":")[1].split("/")[0] for token in TYPES}):
        with contextlib.suppress(Exception):  # one named otherwise loads in the child on first use, as here
            module = importlib.import_module(f"pulumi_aws.{name}_" if keyword.iskeyword(name) else f"pulumi_aws.{name}")
            getattr(module, "__all__", None)  # the provider's modules are lazy: this executes one


def _read(pipe: Any, stack: str, on_registration: Callable[[Registration], None] | None) -> RunResult | BaseException:
    """Every message up to how the run ended: the result, or the exception to raise once the child is reaped (a
    ChildLost for a stream that ended or broke first; the caller adds the child's status)."""
    registrations: list[Registration] = []
    while True:
        try:
            message = pickle.load(pipe)
        except Exception as error:  # the end of the stream, or a message cut short
            return ChildLost(f"stack {stack}: the program's process ended without saying how the run ended ({error!r})")
        kind = message[0]
        if kind in _REQUEST_TYPES:
            registration = registration_of(_REQUEST_TYPES[kind].FromString(message[2]), message[1], kind == "read")
            registrations.append(registration)
            if on_registration is not None:
                on_registration(registration)
        elif kind == "done":
            return RunResult(stack, registrations, message[1], message[2])
        elif kind == "program error":
            return ProgramError(message[1], registrations)
        else:
            _, raised, child_traceback = message
            if child_traceback:
                add_note(raised, "raised in the program's process:\n" + child_traceback.rstrip())
            return raised


def _hand_over(registrations: list[Registration], on_registration: Callable[[Registration], None] | None) -> None:
    if on_registration is not None:
        for registration in registrations:
            on_registration(registration)


def run(
    config: Mapping[str, str],
    *,
    stack: str,
    mocks: pulumi_mocks.Mocks,
    secret_keys: set[str] | frozenset[str] = frozenset(),
    program: Path | Callable[[], None] = ROOT / "__main__.py",
    on_registration: Callable[[Registration], None] | None = None,
    fork: bool = True,
) -> RunResult:
    """What `run_program` returns (or raises) for these arguments, the program run in a child (unless `fork` is
    False or a fork can't be had: then here); each registration goes to `on_registration` as it arrives, in order
    (after the run, where there is no child; those declared before a ProgramError too)."""

    def run_here(forward: Any = None) -> RunResult:
        # In the child (forward given), its objects are left for the exit to take back at once.
        return run_program(
            config,
            stack=stack,
            mocks=mocks,
            secret_keys=secret_keys,
            program=program,
            forward=forward,
            collect=forward is None,
        )

    child = None
    if fork and can_fork():
        _preload()
        child = second_core.fork_child(lambda write_end: _in_child(write_end, run_here))
    if child is None:
        try:
            result = run_here()
        except ProgramError as error:
            _hand_over(error.registrations, on_registration)
            raise
        _hand_over(result.registrations, on_registration)
        return result
    pid, read_end = child
    ended = False
    try:
        with os.fdopen(read_end, "rb", buffering=_BUFFER) as pipe:
            outcome = _read(pipe, stack, on_registration)
        ended = True
    finally:  # not ended: interrupted, or on_registration raised
        status = os.waitpid(pid, 0)[1] if ended else second_core.stop_child(pid)
    if isinstance(outcome, ChildLost) and status:
        code = os.waitstatus_to_exitcode(status)
        outcome = ChildLost(f"{outcome} ({f'killed by signal {-code}' if code < 0 else f'exit status {code}'})")
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
