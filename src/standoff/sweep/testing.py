"""Analytic and toy task functions for testing the sweep engine (importable by workers).

``ishigami`` is the Ishigami-Homma function (Ishigami & Homma 1990, "An importance
quantification technique in uncertainty analysis for computer models", ISUMA'90, eq. 12;
analytic Sobol indices in Sobol' & Levitan 1999 and SALib's ``test_functions``):

    f(x) = sin(x1) + a sin(x2)^2 + b x3^4 sin(x1),  x_i ~ U(-pi, pi)

with variance ``V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2`` and partial variances
``V1 = 1/2 (1 + b pi^4/5)^2``, ``V2 = a^2/8``, ``V13 = b^2 pi^8 (1/18 - 1/50)``.
"""

from __future__ import annotations

import math
import time

import numpy as np


def ishigami(context: dict, task: list[list[float]], seed: np.random.SeedSequence) -> list[float]:
    """Evaluate the Ishigami function on the rows of ``task`` (``context``: ``a``, ``b``)."""
    x = np.asarray(task, dtype=float)
    a, b = context.get("a", 7.0), context.get("b", 0.1)
    return (
        np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    ).tolist()


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, list[float]]:
    """Analytic first-order (S1) and total (ST) Sobol indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}


def noisy(context: dict, task: dict, seed: np.random.SeedSequence) -> dict:
    """A seeded toy task: draws from the task's own stream (checks seeds by task index)."""
    context = context or {}
    rng = np.random.default_rng(seed)
    if context.get("sleep"):
        time.sleep(float(context["sleep"]))
    x = rng.normal(task["mu"], 1.0, size=int(context.get("size", 5)))
    return {"mean": float(x.mean()), "draws": x.tolist()}


def main(argv: list[str] | None = None) -> int:
    """``python -m standoff.sweep.testing DB RUN_ID N SLEEP`` (the kill -9 test's child)."""
    import sys

    from standoff.sweep.engine import run_sweep
    from standoff.sweep.store import SweepStore

    db, run_id, n, sleep = (argv or sys.argv[1:])[:4]
    tasks = [{"mu": float(i)} for i in range(int(n))]
    with SweepStore(db) as store:
        try:
            store.run(run_id)
        except ValueError:
            store.create_run("toy", {"n": int(n)}, 7, len(tasks), "test", "test", run_id=run_id)
        run_sweep(
            noisy,
            tasks,
            seed=7,
            context={"sleep": float(sleep)},
            workers=1,
            store=store,
            run_id=run_id,
            versions=("test", "test"),
            on_commit=lambda i: print(f"committed {i}", flush=True),
        )
    print("finished", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
