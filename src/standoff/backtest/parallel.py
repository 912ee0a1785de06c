"""The backtest's origins as a sweep: in parallel on the sweep engine (``--workers``,
``--backend``), with a progress bar.

Origins are grouped by the year end their components are fitted at (``refit="yearly"``: one
fit per group) or run one by one (``refit="origin"``). Every origin draws from its own seed
(:func:`standoff.backtest.core.forecast_origin`), so the records are bit-identical on any
backend and number of workers.
"""

from __future__ import annotations

from itertools import groupby

import numpy as np
import pandas as pd

from standoff.errors import UsageError


def _origins_task(context: dict, task: list[str], seed) -> list[dict]:
    from standoff.backtest.core import forecast_origin

    cache: dict = {}
    out = []
    for o in task:
        try:
            out.append(
                forecast_origin(
                    context["history"],
                    pd.Period(o, freq="M"),
                    context["horizons"],
                    context["paths"],
                    context["seed"],
                    context["refit"],
                    cache,
                )
            )
        except (ValueError, np.linalg.LinAlgError, UsageError) as exc:
            out.append({"skipped": f"{type(exc).__name__}: {exc}"})
    return out


def run_origins(
    history,
    origins: list[pd.Period],
    horizons: list[int],
    paths: int,
    seed: int,
    refit: str,
    *,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
) -> list[dict]:
    """One record per origin, in order (``{"skipped": reason}`` where it could not be made)."""
    from standoff.backtest.core import _cut, _year_end
    from standoff.sweep import run_sweep

    if refit == "yearly":
        tasks = [[str(o) for o in g] for _, g in groupby(origins, key=lambda o: _year_end(_cut(o)))]
    else:
        tasks = [[str(o)] for o in origins]
    res = run_sweep(
        _origins_task,
        tasks,
        seed=int(seed),
        context={
            "history": history,
            "horizons": horizons,
            "paths": paths,
            "seed": seed,
            "refit": refit,
        },
        backend=backend,
        workers=workers,
        address=address,
        description=f"backtest: {len(origins)} origins",
    )
    return [rec for chunk in res.outputs for rec in chunk]
