"""Progress bars for long work, in one place (backtests, comparisons, ensembles, sweeps).

::

    from standoff.progress import progress

    with progress(len(origins), "backtest origins") as bar:
        for o in origins:
            ...
            bar.advance()

The bar is drawn with rich on **stderr**, and only when stderr is a terminal, so pipes, files,
tests and ``--json`` output stay clean. Library code calls :func:`progress` unconditionally;
whether a bar appears is decided by the caller's setting (:func:`configure`, done by the CLI
for ``--json``/``--progress``) and the ``STANDOFF_PROGRESS`` environment variable
(``0`` never, ``1`` always, unset: when stderr is a terminal). Nested bars are shown as one
(the outermost): a comparison's simulations inside a sweep do not draw a second bar.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_setting: bool | None = None  # None: decide from the terminal; True/False: forced
_depth = 0


class _Bar:
    """The handle a ``with progress(...)`` block gets: ``advance(n=1)``, ``total``."""

    def __init__(self, total: int | None, bar=None, task=None) -> None:
        self.total = total
        self.done = 0
        self._bar, self._task = bar, task

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.advance(self._task, n)

    def describe(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)


def configure(show: bool | None) -> None:
    """``True``: always draw; ``False``: never; ``None``: when stderr is a terminal."""
    global _setting
    _setting = show


def enabled() -> bool:
    env = os.environ.get("STANDOFF_PROGRESS")
    if env in ("0", "1"):
        return env == "1"
    if _setting is not None:
        return _setting
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _forced() -> bool:
    return os.environ.get("STANDOFF_PROGRESS") == "1" or (
        _setting is True and os.environ.get("STANDOFF_PROGRESS") != "0"
    )


@contextmanager
def progress(total: int | None, description: str) -> Iterator[_Bar]:
    """A progress bar over ``total`` steps (None: unknown) labelled ``description``."""
    global _depth
    if _depth > 0 or not enabled():
        _depth += 1
        try:
            yield _Bar(total)
        finally:
            _depth -= 1
        return
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

    class _Rate(ProgressColumn):  # steps per second (sweeps: tasks/s)
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("– /s" if not speed else f"{speed:.3g}/s", style="progress.data.speed")

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True, force_terminal=_forced() or None),
        transient=True,
    )
    _depth += 1
    try:
        with bar:
            task = bar.add_task(description, total=total)
            yield _Bar(total, bar, task)
    finally:
        _depth -= 1


def track(items, description: str, total: int | None = None):
    """Iterate over ``items`` with a progress bar (one step per item)."""
    if total is None:
        try:
            total = len(items)
        except TypeError:
            total = None
    with progress(total, description) as bar:
        for item in items:
            yield item
            bar.advance()
