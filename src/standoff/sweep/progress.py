"""A small progress bar for long work (rich, on stderr): tasks done, rate and ETA.

Silent when disabled (``--json`` without ``--progress``), so machine-readable output stays
clean.
"""

from __future__ import annotations

from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("– tasks/s", style="progress.data.speed")
        unit = task.fields.get("unit", "tasks")
        return Text(
            f"{speed:.2f} {unit}/s" if speed < 10 else f"{speed:.0f} {unit}/s",
            style="progress.data.speed",
        )


class _Null:
    def advance(self, n: int = 1) -> None:
        pass


class _Bar:
    def __init__(self, progress: Progress, task_id) -> None:
        self._p, self._t = progress, task_id

    def advance(self, n: int = 1) -> None:
        self._p.advance(self._t, n)


@contextmanager
def progress_bar(
    total: int, description: str, *, enabled: bool = True, done: int = 0, unit="tasks"
):
    """Yield an object with ``advance(n=1)``; draws a bar on stderr when ``enabled``."""
    if not enabled or total <= 0:
        yield _Null()
        return
    p = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with p:
        tid = p.add_task(description, total=total, completed=done, unit=unit)
        yield _Bar(p, tid)
