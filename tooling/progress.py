"""Progress of a many-stack run: a live per-stack table on a terminal (rich), plain lines elsewhere (CI, pipes).

Both take the orchestrator's events (tooling.deploy.Event) on the main thread. The live view also shows the last
line of each running stack's log, so minutes-long updates visibly move.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
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
        """Every stack, in the run's order, when they fit on the screen; otherwise the counts by status, then the
        stacks worth a look (running, failed, cancelled, skipped, not started, the next pending) as far as it goes.
        A table of thousands of rows took seconds to draw, twice a second, and the screen showed its top anyway."""
        from rich.console import Group
        from rich.table import Table

        with self._lock:
            status, detail = dict(self.status), dict(self.detail)
            began, took = dict(self.began), dict(self.took)
        fits = len(self.selected) <= self.console.height - 5  # the title, the header, the bottom border
        shown = self.selected if fits else self._worth_a_look(status, max(self.console.height - 7, 1))
        table = Table(title=f"{self.operation}: {len(self.selected):,} stack(s)", expand=False)
        for column in ("stack", "kind", "status", "time", "latest"):
            table.add_column(column, overflow="ellipsis", no_wrap=True, max_width=80 if column == "latest" else None)
        for name in shown:
            state, started, finished = status[name], began.get(name), took.get(name)
            seconds = (
                finished if finished is not None else (time.monotonic() - started if started is not None else None)
            )
            latest = last_line(self.log_dir / f"{name}.log") if state == RUNNING else detail.get(name, "")
            table.add_row(
                name,
                self.graph.stacks[name].kind,
                f"[{STYLE.get(state, '')}]{state}[/]",
                "" if seconds is None else f"{seconds:.0f}s",
                latest,
            )
        if fits:
            return table
        table.add_row(f"… {len(self.selected) - len(shown):,} more", "", "", "", "")
        counts = Counter(status.values())
        return Group(", ".join(f"{counts[s]:,} {s}" for s in STYLE if s in counts), table)  # and two lines more

    def _worth_a_look(self, status: dict[str, str], room: int) -> list[str]:
        by_status: dict[str, list[str]] = {}
        for name in self.selected:
            by_status.setdefault(status[name], []).append(name)
        order = ["running", "failed", "cancelled", "skipped", "not started", "pending"]
        return [name for state in order for name in by_status.get(state, ())][:room]  # each kind in the run's order

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
