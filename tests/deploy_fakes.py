"""Stack files and a fake StackRunner for the orchestration tests (no Pulumi CLI, no AWS)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from tooling.deploy import DeployStack, Outcome
from tooling.stackfiles import StackFile

NS = "lattice-tenancy"


def stack_file(name: str, kind: str, reads: str | None = None, **extra: object) -> StackFile:
    """A stack file as tooling.stackfiles reads it; `reads` is the ownerStack (tenant) or primaryStack (recovery)."""
    config = {f"{NS}:kind": kind, "aws:region": "eu-west-1"}
    if reads is not None:
        config[f"{NS}:{'primaryStack' if kind == 'recovery' else 'ownerStack'}"] = reads
    for key, value in extra.items():
        config[f"{NS}:{key}"] = value if isinstance(value, str) else json.dumps(value)
    return StackFile(name, kind, config, frozenset())


def fleet(tenants: int = 3, recovery: bool = True) -> list[StackFile]:
    """An owner, optionally its recovery stack, and tenants of the owner (the last one reads the recovery stack)."""
    files = [stack_file("owner", "owner")]
    if recovery:
        files.append(stack_file("owner-dr", "recovery", "acme/lattice-tenancy/owner"))
    for i in range(tenants):
        reads = "owner-dr" if recovery and i == tenants - 1 else "owner"
        files.append(stack_file(f"tenant-{i}", "tenant", f"acme/lattice-tenancy/{reads}"))
    return files


class FakeRunner:
    """Records what ran, in which order and how many at once; fails or blocks the stacks it is told to."""

    def __init__(self, fail: set[str] = frozenset(), seconds: float = 0.01, block: set[str] = frozenset()):  # type: ignore[assignment]
        self.fail, self.seconds, self.block = set(fail), seconds, set(block)
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[tuple[str, bool]] = []
        self.running = 0
        self.most = 0
        self.operations: set[str] = set()
        self._lock = threading.Lock()
        self._release = {name: threading.Event() for name in self.block}
        self.on_start = None  # called with the stack name in the worker thread

    def run(self, stack: DeployStack, operation: str, log: Path) -> Outcome:
        with self._lock:
            self.started.append(stack.name)
            self.operations.add(operation)
            self.running += 1
            self.most = max(self.most, self.running)
        log.write_text(f"{operation} {stack.name}\n")
        if self.on_start is not None:
            self.on_start(stack.name)
        cancelled = False
        if stack.name in self._release:
            cancelled = self._release[stack.name].wait(timeout=10)
        else:
            time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
            self.finished.append(stack.name)
        if cancelled:
            return Outcome(ok=False, cancelled=True, detail="cancelled")
        if stack.name in self.fail:
            return Outcome(ok=False, detail=f"{stack.name} broke")
        return Outcome(ok=True, detail="1 create", changes={"create": 1})

    def cancel(self, stack: DeployStack, force: bool = False) -> None:
        self.cancelled.append((stack.name, force))
        if stack.name in self._release:
            self._release[stack.name].set()
