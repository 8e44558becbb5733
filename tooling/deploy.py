"""Every stack of the repository as one graph, run in dependency order with bounded parallelism.

    owners ──▶ recovery stacks (their `primaryStack`) ──▶ tenants (their `ownerStack`)

`preview`, `up` and `refresh` follow the edges; `destroy` follows them backwards (tenants first, owners last). A stack
starts as soon as every stack it waits for has finished and a slot is free; when more stacks are ready than there are
slots, owners go first, then recovery stacks, then tenants, each group alphabetical. A stack that fails stops the
stacks that wait on it (transitively) and nothing else.

How one stack is run is behind `StackRunner` (tooling.automation runs each in its own process through the Pulumi
Automation API; the tests and the benchmark use fakes). What finished is recorded in a state file, so a rerun resumes.
Nothing here needs the Pulumi CLI or AWS.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from tenancy.config import DeployCredentials
from tooling.stackfiles import DEPLOY_ORDER, REFERENCE_KEY, StackFile, reference_of

OPERATIONS = ("preview", "up", "refresh", "destroy")
# What each kind may name under its REFERENCE_KEY (kinds deploy in the stack files' own order, DEPLOY_ORDER).
REFERENCE_KINDS = {"recovery": ("owner",), "tenant": ("owner", "recovery")}

# Statuses of a stack in one run.
PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"
SKIPPED = "skipped"  # something it waits for failed (or was cancelled)
CANCELLED = "cancelled"  # it was running when the run was cancelled
NOT_STARTED = "not started"  # the run was cancelled before it started
DONE_EARLIER = "done earlier"  # recorded as finished by an earlier run of the same operation (resume)
FINISHED_OK = (SUCCEEDED, DONE_EARLIER)


class InputError(Exception):
    """A stack file, a flag or the state file is wrong: one line naming the key or flag; nothing has run."""


@dataclass(frozen=True)
class Credentials:
    """How to reach a stack's account (`lattice-tenancy:deploy`): an AWS CLI profile or a role to assume."""

    aws_profile: str | None = None
    role_arn: str | None = None

    def describe(self) -> str:
        return f"profile {self.aws_profile}" if self.aws_profile else f"role {self.role_arn}"


@dataclass(frozen=True)
class DeployStack:
    name: str
    kind: str
    region: str
    account: str | None  # lattice-tenancy:expectedAccountId, when set
    reference: str | None  # ownerStack / primaryStack as written
    depends_on: str | None  # the stack of this repository that `reference` names; None for owners and external ones
    credentials: Credentials | None
    fingerprint: str  # of the stack's config: a stack whose file changed since it finished runs again on resume


def _fingerprint(config: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(config), sort_keys=True).encode()).hexdigest()[:16]


def _credentials(stack_file: StackFile, project: str) -> Credentials | None:
    raw = stack_file.config.get(f"{project}:deploy")
    if raw is None:
        return None
    where = f"Pulumi.{stack_file.name}.yaml {project}:deploy"
    try:
        model = DeployCredentials.model_validate(json.loads(raw))
    except json.JSONDecodeError:
        raise InputError(f'{where}: write an object, {{awsProfile: <name>}} or {{roleArn: "arn:aws:iam::…"}}') from None
    except ValidationError as error:
        first = error.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{where}{'.' + path if path else ''}: {first['msg']}") from None
    return Credentials(model.aws_profile, model.role_arn)


@dataclass(frozen=True)
class Graph:
    stacks: dict[str, DeployStack]  # in deployment order

    @cached_property
    def _dependents(self) -> dict[str, tuple[str, ...]]:
        """Stack → the stacks that depend on it, in deployment order (built once: thousands of tenants wait on one
        owner, and destroy asks for them at every step)."""
        found: dict[str, list[str]] = {name: [] for name in self.stacks}
        for stack in self.stacks.values():
            if stack.depends_on is not None:
                found.setdefault(stack.depends_on, []).append(stack.name)
        return {name: tuple(names) for name, names in found.items()}

    def order(self, operation: str) -> list[str]:
        names = list(self.stacks)
        return names[::-1] if operation == "destroy" else names

    def prerequisites(self, name: str, operation: str) -> set[str]:
        """The stacks `name` waits for in this operation."""
        if operation == "destroy":
            return set(self._dependents.get(name, ()))
        dependency = self.stacks[name].depends_on
        return {dependency} if dependency else set()

    def waiting_on(self, name: str, operation: str) -> set[str]:
        """Every stack that waits, directly or not, for `name` in this operation."""
        found: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if operation == "destroy":
                dependency = self.stacks[current].depends_on
                waiting: Iterable[str] = () if dependency is None else (dependency,)
            else:
                waiting = self._dependents.get(current, ())
            for other in waiting:
                if other not in found:
                    found.add(other)
                    todo.append(other)
        return found

    def waves(self, operation: str, selected: Iterable[str] | None = None) -> list[list[str]]:
        """Stacks grouped by depth: each wave needs only earlier waves (what `--dry-run` shows)."""
        chosen = set(self.order(operation) if selected is None else selected)
        depth: dict[str, int] = {}
        for name in self.order(operation):
            before = [depth[p] for p in self.prerequisites(name, operation) if p in chosen and p in depth]
            if name in chosen:
                depth[name] = max(before, default=-1) + 1
        waves: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for name in self.order(operation):
            if name in depth:
                waves[depth[name]].append(name)
        return waves


def build_graph(files: Iterable[StackFile], project: str = "lattice-tenancy", external: Iterable[str] = ()) -> Graph:
    """The graph of the repository's stacks, or an InputError naming the first key that is wrong.

    A reference `<org>/<project>/<stack>` names a stack of this repository when its project is this one and
    `Pulumi.<stack>.yaml` is here. Any other reference must be declared deployed elsewhere (`external`, the flag
    `--external`, by the reference as written or by its stack name); the stack then waits for nothing.
    """
    files = list(files)
    by_name = {f.name: f for f in files}
    external = set(external)
    stacks: dict[str, DeployStack] = {}
    profiles: dict[str, tuple[str, str]] = {}  # profile → (account, stack)
    for stack_file in files:
        name, kind = stack_file.name, stack_file.kind
        where = f"Pulumi.{name}.yaml {project}"
        if kind not in DEPLOY_ORDER:
            shown = "missing" if kind == "?" else f"{kind!r} is not a stack kind"
            raise InputError(f"{where}:kind: {shown}; set it to owner, recovery or tenant")
        reference = depends_on = None
        if kind in REFERENCE_KEY:
            key = f"{where}:{REFERENCE_KEY[kind]}"
            reference = reference_of(stack_file, project)
            if not reference:
                raise InputError(f"{key}: missing; a {kind} stack names the stack it reads, <org>/{project}/<stack>")
            parts = reference.split("/")
            target = parts[-1]
            here = target in by_name and (len(parts) < 3 or parts[-2] == project)
            if target == name and here:
                raise InputError(f"{key}: {reference!r} names this stack itself, a cycle; name the stack it reads")
            if here:
                target_kind = by_name[target].kind
                if target_kind not in REFERENCE_KINDS[kind]:
                    allowed = " or ".join(f"an {k}" if k == "owner" else f"a {k}" for k in REFERENCE_KINDS[kind])
                    raise InputError(f"{key}: {reference!r} names a {target_kind} stack; name {allowed} stack")
                depends_on = target
            elif reference not in external and target not in external:
                raise InputError(
                    f"{key}: {reference!r} is not a stack of this repository (no Pulumi.{target}.yaml here) and not "
                    f"declared deployed elsewhere; fix the name, or pass --external {reference}"
                )
        credentials = _credentials(stack_file, project)
        account = stack_file.config.get(f"{project}:expectedAccountId")
        if credentials and credentials.aws_profile and account:
            seen = profiles.setdefault(credentials.aws_profile, (account, name))
            if seen[0] != account:
                raise InputError(
                    f"{where}:deploy.awsProfile: {credentials.aws_profile!r} is named for account {seen[0]} (stack "
                    f"{seen[1]}) and account {account} (stack {name}); a profile reaches one account, give each its own"
                )
        stacks[name] = DeployStack(
            name=name,
            kind=kind,
            region=stack_file.region,
            account=account,
            reference=reference,
            depends_on=depends_on,
            credentials=credentials,
            fingerprint=_fingerprint(stack_file.config),
        )
    return Graph({name: stacks[name] for name in _topological(stacks)})


def _topological(stacks: dict[str, DeployStack]) -> list[str]:
    """Dependencies first; among stacks ready together, owners, then recovery stacks, then tenants, by name."""
    waiting: dict[str, list[DeployStack]] = {}
    ready: list[tuple[int, str]] = []
    for stack in stacks.values():
        if stack.depends_on is None:
            heapq.heappush(ready, (DEPLOY_ORDER[stack.kind], stack.name))
        else:
            waiting.setdefault(stack.depends_on, []).append(stack)
    ordered: list[str] = []
    while ready:
        name = heapq.heappop(ready)[1]
        ordered.append(name)
        for stack in waiting.pop(name, ()):
            heapq.heappush(ready, (DEPLOY_ORDER[stack.kind], stack.name))
    if len(ordered) < len(stacks):  # unreachable with the kind rules above, kept as the graph's own guarantee
        remaining = sorted(set(stacks) - set(ordered))
        raise InputError("the stacks " + ", ".join(remaining) + " wait for each other (a cycle)")
    return ordered


def select(graph: Graph, operation: str, only: Iterable[str] | None = None, start: str | None = None) -> list[str]:
    """The stacks to run, in order: all; `--only` these; or `--from` this one and every stack after it."""
    order = graph.order(operation)
    for name, flag in [*((n, "--only") for n in only or ()), *([(start, "--from")] if start else [])]:
        if name not in graph.stacks:
            raise InputError(f"{flag} {name}: no stack file Pulumi.{name}.yaml in this repository")
    if only:
        return [n for n in order if n in set(only)]
    if start:
        return order[order.index(start) :]
    return order


class Schedule:
    """Which stacks may start now: the orchestration's rules without threads or clocks (the runner and the benchmark
    both drive it). Prerequisites outside `selected` count as done (deployed earlier, elsewhere, or by hand)."""

    def __init__(self, graph: Graph, operation: str, selected: list[str], parallel: int, done: Iterable[str] = ()):
        if parallel <= 0:
            raise InputError(f"--parallel {parallel}: must be 1 or more")
        self.graph, self.operation, self.parallel = graph, operation, parallel
        self.status: dict[str, str] = {name: PENDING for name in selected}
        self.detail: dict[str, str] = {}
        for name in done:
            if name in self.status:
                self.status[name] = DONE_EARLIER
        # Kept beside `status` so that each step costs what it starts or ends, not a walk over every stack.
        self._pending = {name: None for name, status in self.status.items() if status == PENDING}  # in order
        self._running: set[str] = set()
        self._position = {name: i for i, name in enumerate(self.status)}

    @property
    def running(self) -> list[str]:
        return sorted(self._running, key=self._position.__getitem__)

    def startable(self) -> list[str]:
        """Pending stacks whose prerequisites have all finished well, in order, up to the free slots."""
        free = self.parallel - len(self._running)
        ready: list[str] = []
        for name in self._pending:
            if len(ready) >= free:
                break
            prerequisites = self.graph.prerequisites(name, self.operation)
            if all(self.status.get(p, SUCCEEDED) in FINISHED_OK for p in prerequisites):
                ready.append(name)
        return ready

    def start(self, name: str) -> None:
        assert self.status[name] == PENDING and len(self._running) < self.parallel, name
        self._set(name, RUNNING)

    def finish(self, name: str, status: str, detail: str = "") -> list[str]:
        """Record a running stack's end; a failure or cancellation skips what waits on it. Returns the skipped."""
        self._set(name, status)
        if detail:
            self.detail[name] = detail
        if status == SUCCEEDED:
            return []
        waiting = self.graph.waiting_on(name, self.operation)
        skipped = sorted((n for n in waiting if n in self._pending), key=self._position.__getitem__)
        for n in skipped:
            self._set(n, SKIPPED)
            self.detail[n] = f"{name} {status}"
        return skipped

    def cancel_pending(self) -> list[str]:
        pending = list(self._pending)
        for n in pending:
            self._set(n, NOT_STARTED)
        return pending

    def finished(self) -> bool:
        return not self._pending and not self._running

    def _set(self, name: str, status: str) -> None:
        self.status[name] = status
        self._pending.pop(name, None)
        if status == RUNNING:
            self._running.add(name)
        else:
            self._running.discard(name)


def simulate(graph: Graph, operation: str, seconds: Mapping[str, float], parallel: int) -> float:
    """Modeled wall time of a run in which stack `s` takes `seconds[s]`: the same Schedule, on a virtual clock."""
    schedule = Schedule(graph, operation, graph.order(operation), parallel)
    now = 0.0
    ends: list[tuple[float, str]] = []  # a heap of the running stacks' (end, name): the first to end is first
    while not schedule.finished():
        for name in schedule.startable():
            schedule.start(name)
            heapq.heappush(ends, (now + seconds[name], name))
        now, name = heapq.heappop(ends)
        schedule.finish(name, SUCCEEDED)
    return now


# -- one stack's run ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a runner reports for one stack."""

    ok: bool
    cancelled: bool = False
    detail: str = ""  # the error's last line, or a short change summary
    changes: dict[str, int] = field(default_factory=dict)  # e.g. {"create": 12, "same": 3}


class StackRunner(Protocol):
    """Runs one stack's operation, blocking, in a worker thread; `cancel` is called from the main thread."""

    def run(self, stack: DeployStack, operation: str, log: Path) -> Outcome: ...

    def cancel(self, stack: DeployStack, force: bool = False) -> None: ...


@dataclass(frozen=True)
class Event:
    stack: str
    status: str
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Row:
    stack: str
    kind: str
    status: str
    seconds: float | None
    detail: str
    log: str | None


@dataclass
class Summary:
    operation: str
    rows: list[Row]
    started: str
    seconds: float
    interrupted: bool = False

    @property
    def exit_status(self) -> int:
        if self.interrupted:
            return 130
        return 0 if all(r.status in FINISHED_OK for r in self.rows) else 1

    def as_json(self) -> str:
        return json.dumps(
            {
                "operation": self.operation,
                "started": self.started,
                "seconds": round(self.seconds, 1),
                "exitStatus": self.exit_status,
                "stacks": [asdict(r) for r in self.rows],
            },
            indent=2,
        )

    def table(self) -> str:
        header = ("stack", "kind", "status", "time", "detail")
        lines = [
            (r.stack, r.kind, r.status, "" if r.seconds is None else f"{r.seconds:.0f}s", r.detail) for r in self.rows
        ]
        widths = [max(len(row[i]) for row in [header, *lines]) for i in range(4)]
        out = [
            "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)) + "  " + row[4]
            for row in [header, *lines]
        ]
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        out.append(f"{self.operation}: {len(self.rows)} stack(s) in {self.seconds:.0f}s — {tally}")
        return "\n".join(line.rstrip() for line in out)


# -- the state file (resume) ----------------------------------------------------------------------------------------


class State:
    """What finished, per operation, in `<dir>/state-<operation>.json`: {stack: {fingerprint, at}}.

    An `up` that finishes a stack clears it from the `destroy` record and the other way round (the stack moved on).
    The record of an operation is removed once every stack of the graph is in it: the next run starts afresh.
    """

    def __init__(self, directory: Path, operation: str):
        self.directory, self.operation = directory, operation
        self._lock = threading.Lock()

    def path(self, operation: str | None = None) -> Path:
        return self.directory / f"state-{operation or self.operation}.json"

    def _read(self, operation: str) -> dict[str, dict[str, str]]:
        path = self.path(operation)
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text())
            finished = data["finished"]
            if not isinstance(finished, dict):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(f"{path}: not a state file this tooling wrote; delete it or pass --restart") from None
        return finished

    def _write(self, operation: str, finished: dict[str, dict[str, str]]) -> None:
        path = self.path(operation)
        if not finished:
            path.unlink(missing_ok=True)
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"operation": operation, "finished": finished}, indent=2, sort_keys=True))
        os.replace(temporary, path)

    def finished(self, graph: Graph) -> set[str]:
        """Stacks recorded as finished whose stack file is unchanged since."""
        return {
            name
            for name, record in self._read(self.operation).items()
            if name in graph.stacks and record.get("fingerprint") == graph.stacks[name].fingerprint
        }

    def record(self, stack: DeployStack) -> None:
        with self._lock:
            finished = self._read(self.operation)
            finished[stack.name] = {"fingerprint": stack.fingerprint, "at": _now()}
            self._write(self.operation, finished)
            opposite = {"up": "destroy", "destroy": "up"}.get(self.operation)
            if opposite:
                other = self._read(opposite)
                if other.pop(stack.name, None) is not None:
                    self._write(opposite, other)

    def close(self, graph: Graph) -> bool:
        """Forget the record when every stack is in it; True when it was forgotten."""
        with self._lock:
            if set(graph.stacks) <= self.finished(graph):
                self._write(self.operation, {})
                return True
            return False

    def forget(self) -> None:
        with self._lock:
            self._write(self.operation, {})


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- the run --------------------------------------------------------------------------------------------------------


class _CtrlC:
    """Ctrl-C counted, not raised, while a run listens: Python drops a KeyboardInterrupt raised while it runs a
    finalizer (garbage collection can start one at any moment), and the press would be lost with it."""

    def __init__(self) -> None:
        self.presses = 0
        self._previous: Any = None

    def listen(self) -> None:
        if threading.current_thread() is threading.main_thread():  # only there can a handler be installed
            # None: a handler not set from Python; Python's own is the one to give back.
            self._previous = signal.signal(signal.SIGINT, self._pressed) or signal.default_int_handler

    def _pressed(self, signum: int, frame: Any) -> None:
        self.presses += 1

    def stop(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def run(
    graph: Graph,
    operation: str,
    runner: StackRunner,
    *,
    parallel: int,
    selected: list[str],
    log_dir: Path,
    state: State | None = None,
    resume: bool = True,
    on_event: Callable[[Event], None] = lambda event: None,
    poll_seconds: float = 0.1,
) -> Summary:
    """Run `operation` on the selected stacks; returns the per-stack summary (Ctrl-C included: it cancels)."""
    done = state.finished(graph) if state is not None and resume else set()
    schedule = Schedule(graph, operation, selected, parallel, done)
    log_dir.mkdir(parents=True, exist_ok=True)
    results: queue.Queue[tuple[str, Outcome]] = queue.Queue()
    started_at: dict[str, float] = {}
    seconds: dict[str, float] = {}
    threads: dict[str, threading.Thread] = {}
    began, began_wall = time.monotonic(), _now()
    interrupted = False

    def log_of(name: str) -> Path:
        return log_dir / f"{name}.log"

    def work(stack: DeployStack) -> None:
        try:
            outcome = runner.run(stack, operation, log_of(stack.name))
        except Exception as error:  # a runner bug must not hang the run
            outcome = Outcome(ok=False, detail=f"{type(error).__name__}: {error}")
        results.put((stack.name, outcome))

    def launch() -> None:
        for name in schedule.startable():
            schedule.start(name)
            started_at[name] = time.monotonic()
            on_event(Event(name, RUNNING))
            threads[name] = threading.Thread(target=work, args=(graph.stacks[name],), name=f"stack-{name}", daemon=True)
            threads[name].start()

    def settle(name: str, outcome: Outcome) -> None:
        seconds[name] = time.monotonic() - started_at[name]
        status = SUCCEEDED if outcome.ok else CANCELLED if outcome.cancelled else FAILED
        if status == SUCCEEDED and state is not None:
            state.record(graph.stacks[name])
        skipped = schedule.finish(name, status, outcome.detail)
        on_event(Event(name, status, seconds[name], outcome.detail))
        for other in skipped:
            on_event(Event(other, SKIPPED, 0.0, schedule.detail[other]))

    def next_result() -> tuple[str, Outcome]:
        while True:  # a timed wait, so a Ctrl-C is seen at once
            if ctrl_c.presses:
                raise KeyboardInterrupt
            try:
                return results.get(timeout=poll_seconds)
            except queue.Empty:
                continue

    for name in done & set(selected):
        on_event(Event(name, DONE_EARLIER))
    ctrl_c = _CtrlC()
    try:
        ctrl_c.listen()
        launch()
        while not schedule.finished():
            settle(*next_result())
            launch()
    except KeyboardInterrupt:
        interrupted = True
        for name in schedule.cancel_pending():
            on_event(Event(name, NOT_STARTED))
        for name in schedule.running:
            if name not in threads or threads[name].ident is None:  # interrupted before its thread started
                schedule.finish(name, NOT_STARTED)
                on_event(Event(name, NOT_STARTED))
                continue
            runner.cancel(graph.stacks[name])
            on_event(Event(name, RUNNING, 0.0, "cancelling"))
        forced = False
        ctrl_c.presses = max(ctrl_c.presses, 1)  # this one is being handled
        while schedule.running:
            try:
                settle(*results.get(timeout=poll_seconds))
            except queue.Empty:  # a result taken by the interrupted wait is lost: its thread has ended
                for name in schedule.running:
                    if not threads[name].is_alive() and results.empty():
                        settle(name, Outcome(ok=False, cancelled=True, detail="cancelled"))
            except KeyboardInterrupt:  # a second Ctrl-C where no handler of ours listens
                ctrl_c.presses += 1
            if ctrl_c.presses > 1 and not forced:  # a second Ctrl-C: stop harder
                forced = True
                for name in schedule.running:
                    runner.cancel(graph.stacks[name], force=True)
    finally:
        ctrl_c.stop()
    if state is not None and not interrupted:
        state.close(graph)
    rows = [
        Row(
            stack=name,
            kind=graph.stacks[name].kind,
            status=status,
            seconds=round(seconds[name], 1) if name in seconds else None,
            detail=schedule.detail.get(name, ""),
            log=str(log_of(name)) if name in seconds else None,
        )
        for name, status in schedule.status.items()
    ]
    return Summary(operation, rows, began_wall, time.monotonic() - began, interrupted)
