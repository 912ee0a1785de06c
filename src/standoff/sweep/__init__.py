"""Sweeps: one function mapped over many tasks, with per-task seeds, on a local process
pool or Ray, committed task by task to the results store so that a run can resume.

See :mod:`standoff.sweep.engine` (the engine), :mod:`standoff.sweep.store` (the tables) and
:mod:`standoff.sweep.testing` (analytic test functions).
"""

from standoff.sweep.engine import BACKENDS, SweepResult, SweepTaskError, run_sweep, task_seed
from standoff.sweep.store import SweepStore

__all__ = ["BACKENDS", "SweepResult", "SweepStore", "SweepTaskError", "run_sweep", "task_seed"]
