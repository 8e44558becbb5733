"""A stack's program run in a forked child, each registration streamed back as the engine receives it.

A program run keeps its SDK objects (resources, outputs, futures, tasks) until it ends. At 4,982 tenants the owner
run's peak is ~370 MiB above the plan's baseline, and what the plan keeps afterwards (the records) is a quarter of
that. In this process, freed memory stays with it: pymalloc returns an arena only when all of it is free. In a child,
the memory goes back to the system when the child exits. This process only ever holds the records. It rebuilds
each one from its request (`registration_of`) as the child sends it, and hands it to `on_registration` (the
policy pack) on the other core while the program goes on.

The child pickles messages into a pipe: each request the monitor recorded (its wire bytes and URN), then how the run
ended: the exports, the ProgramError's message, or another exception with its traceback. Only protobuf bytes and
plain data cross. The records, exports and errors are the ones `run_program` gives in this process; a test holds
them equal. Where a fork is unsafe or can't help (tooling.second_core.can_fork), `run` is `run_program` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import keyword
import os
import pickle
import pkgutil
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2

from tooling.mock_engine import ROOT, ProgramError, registration_of, run_program
from tooling.records import Registration, RunResult
from tooling.resource_types import TYPES
from tooling.second_core import can_fork

_PROTOCOL = pickle.HIGHEST_PROTOCOL
_BUFFER = 1 << 20  # bytes per write to the pipe: a run sends tens of thousands of small messages
_REQUEST_TYPES: dict[str, Any] = {
    "register": resource_pb2.RegisterResourceRequest,
    "read": resource_pb2.ReadResourceRequest,
}


class ChildLost(RuntimeError):
    """The child ended without saying how the run ended (killed, out of memory)."""


def _in_child(write_end: int, run: Callable[..., RunResult]) -> None:
    """In the child: run the program, forwarding every request, then say how it ended; exit without the
    interpreter's teardown (the parent's objects are this copy's too)."""
    status = 0
    try:
        with os.fdopen(write_end, "wb", buffering=_BUFFER) as pipe:

            def forward(request: Any, urn: str, is_read: bool) -> None:
                pickle.dump(("read" if is_read else "register", urn, request.SerializeToString()), pipe, _PROTOCOL)

            # This process's own loop: the one it inherited shares its selector and self-pipe with the parent's.
            asyncio.set_event_loop(asyncio.new_event_loop())
            ending: tuple[Any, ...]
            try:
                result = run(forward=forward)
                ending = ("done", result.exports, result.secret_exports)
            except ProgramError as error:
                ending = ("program error", str(error))
            except BaseException as error:  # the caller's to see, as if the run had been here
                ending = ("raise", error, traceback.format_exc())
            try:
                pickle.dump(ending, pipe, _PROTOCOL)
            except Exception:  # an exception that won't pickle: its type and message, and the traceback
                pickle.dump(("raise", RuntimeError(f"{type(ending[1]).__name__}: {ending[1]}"), ending[-1]), pipe)
    except BaseException:
        status = 1
    with contextlib.suppress(Exception):  # what the program printed, written once, by the process that printed it
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def _preload() -> None:
    """Import here what every program run imports: the program's packages and the provider's module for each
    resource type it declares (tooling.resource_types), which load on first use (~1 s for the owner's). Imported once
    by this process, they are every child's from the start."""
    for package in ("tenancy", "components"):
        for info in pkgutil.iter_modules([str(ROOT / package)], f"{package}."):
            importlib.import_module(info.name)
    for name in sorted({token.split(":")[1].split("/")[0] for token in TYPES}):
        with contextlib.suppress(ImportError):  # named otherwise: the child loads it on first use, as here
            module = importlib.import_module(f"pulumi_aws.{name}_" if keyword.iskeyword(name) else f"pulumi_aws.{name}")
            getattr(module, "__all__", None)  # the provider's modules are lazy: this executes one


def _read(pipe: Any, stack: str, on_registration: Callable[[Registration], None] | None) -> RunResult | BaseException:
    """Every message up to how the run ended: the result, or the exception to raise (once the child is reaped)."""
    registrations: list[Registration] = []
    while True:
        try:
            message = pickle.load(pipe)
        except EOFError:
            return ChildLost(f"stack {stack}: the program's process ended without saying how the run ended")
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
            _, error, child_traceback = message
            error.add_note("raised in the program's process:\n" + child_traceback.rstrip())
            return error


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
    (after the run, where there is no child)."""

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

    if not (fork and can_fork()):
        result = run_here()
        for registration in result.registrations:
            if on_registration is not None:
                on_registration(registration)
        return result
    _preload()
    read_end, write_end = os.pipe()
    sys.stdout.flush()  # or the child's copy of what is still buffered would be written twice
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child's coverage isn't collected; its effects are tested)
        os.close(read_end)
        _in_child(write_end, run_here)
    os.close(write_end)
    ended = False
    try:
        with os.fdopen(read_end, "rb", buffering=_BUFFER) as pipe:
            outcome = _read(pipe, stack, on_registration)
        ended = True
    finally:
        if not ended:  # interrupted here, or on_registration raised: the rest of the run is no one's
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        os.waitpid(pid, 0)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
