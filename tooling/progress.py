"""Progress of a many-stack run: a live per-stack table on a terminal (rich), plain lines elsewhere (CI, pipes).

Both take the orchestrator's events (tooling.deploy.Event) on the main thread. The live view also shows the last
line of each running stack's log, so minutes-long updates visibly move.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import IO, Any

from tooling.deploy import RUNNING, Event, Graph

STYLE = {
    "pending": "dim",
    "running": "bold cyan",
    "succeeded": "green",
    "done earlier": "green",
    "failed": "bold red",
    "skipped": "yellow",
    "cancelled": "magenta",
    "not started": "dim",
}


def last_line(log: Path, limit: int = 4096) -> str:
    """The last non-empty line of a log that is still being written (cheap: reads its tail)."""
    try:
        with open(log, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            tail = handle.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else ""


class PlainProgress:
    """One line per change, with a timestamp: what CI logs and pipes get."""

    def __init__(self, stream: IO[str], operation: str, log_dir: Path):
        self.stream, self.operation, self.log_dir = stream, operation, log_dir

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        clock = time.strftime("%H:%M:%S")
        if event.status == RUNNING:
            text = "cancelling" if event.detail == "cancelling" else f"{self.operation} started"
            text += f" (log {self.log_dir / (event.stack + '.log')})" if event.detail != "cancelling" else ""
        else:
            text = event.status + (f" in {event.seconds:.0f}s" if event.seconds else "")
            text += f": {event.detail}" if event.detail else ""
        print(f"{clock} {event.stack}: {text}", file=self.stream, flush=True)


class LiveProgress:
    """A table that redraws itself: stack, kind, status, time, and the running stacks' latest log line."""

    def __init__(self, graph: Graph, selected: list[str], operation: str, log_dir: Path, console: Any = None):
        from rich.console import Console

        self.graph, self.selected, self.operation, self.log_dir = graph, selected, operation, log_dir
        self.console = console or Console()
        self.status = dict.fromkeys(selected, "pending")
        self.detail: dict[str, str] = {}
        self.began: dict[str, float] = {}
        self.took: dict[str, float] = {}
        self._lock = threading.Lock()
        self._live: Any = None

    def render(self) -> Any:
        from rich.table import Table

        table = Table(title=f"{self.operation}: {len(self.selected)} stack(s)", expand=False)
        for column in ("stack", "kind", "status", "time", "latest"):
            table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=80 if column == "latest" else None)
        with self._lock:
            rows = [
                (n, self.status[n], self.detail.get(n, ""), self.began.get(n), self.took.get(n)) for n in self.selected
            ]
        for name, status, detail, began, took in rows:
            seconds = took if took is not None else (time.monotonic() - began if began is not None else None)
            latest = last_line(self.log_dir / f"{name}.log") if status == RUNNING else detail
            table.add_row(
                name,
                self.graph.stacks[name].kind,
                f"[{STYLE.get(status, '')}]{status}[/]",
                "" if seconds is None else f"{seconds:.0f}s",
                latest,
            )
        return table

    def __enter__(self) -> LiveProgress:
        from rich.live import Live

        self._live = Live(get_renderable=self.render, console=self.console, refresh_per_second=2, transient=False)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.status[event.stack] = event.status
            if event.status == RUNNING and event.detail != "cancelling":
                self.began[event.stack] = time.monotonic()
            elif event.status != RUNNING and event.stack in self.began:
                self.took[event.stack] = event.seconds
            if event.detail:
                self.detail[event.stack] = event.detail
