"""One entry point for every bargaining model: :func:`forecast` and the :data:`MODELS` registry.

========================  ==================================================================
name                      model
========================  ==================================================================
``compromise`` (default)  capability x salience weighted mean (Van den Bos 1991; Achen 2006)
``median``                power-weighted median (BDM's "power majority" first cut)
``mean``                  unweighted mean of the positions
``unweighted-median``     unweighted median of the positions
``status-quo``            the reference point, when given
``nbs``                   generalised Nash bargaining solution (:mod:`.nbs`)
``eum``                   expected utility model, clean E1-E11 (:mod:`.eum`)
``eum-scholz``            expected utility model, Scholz compatibility mode (:mod:`.eum`)
========================  ==================================================================

**Why the compromise model is the default.** On real decisions with known outcomes the
compromise model is as accurate as the dynamic bargaining models and better than procedural
ones (Achen 2006 and the model comparisons in Thomson et al. (eds) 2006, *The European Union
Decides*); Schneider, Finke & Bailer (2010) find a salience-weighted Nash bargaining model,
which the compromise model approximates, best on 66 EU proposals; and no public EUM
reconstruction reproduces the historical outcome of BDM's own car-emissions example (8.83
years; the clean and Scholz dynamics settle near 7 and oscillate between 7.2 and 7.6). The
dynamic models are kept for *explanation* (who pressures whom; conflict, compromise and
capitulation events) and for *distributions* (ensembles), and every report prints the
compromise forecast next to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from standoff.bargaining import baselines
from standoff.bargaining.eum import EUMResult, run_eum
from standoff.bargaining.inputs import Problem
from standoff.bargaining.nbs import nash_bargaining
from standoff.errors import UsageError

__all__ = ["DEFAULT_MODEL", "DYNAMIC", "MODELS", "Forecast", "forecast"]

DEFAULT_MODEL = "compromise"
DYNAMIC = ("eum", "eum-scholz")


@dataclass
class Forecast:
    """A model's point forecast on the input's scale, with its trajectory (round 0 = input)."""

    model: str
    problem: Problem
    value: float | None
    positions: np.ndarray
    details: dict = field(default_factory=dict)
    eum: EUMResult | None = field(default=None, repr=False)


def _static(name: str, fn: Callable[[Problem], float | None]):
    def run(problem: Problem, **_: object) -> Forecast:
        return Forecast(name, problem, fn(problem), problem.position[None, :].copy())

    return run


def _nbs(problem: Problem, **_: object) -> Forecast:
    r = nash_bargaining(problem)
    return Forecast(
        "nbs",
        problem,
        r.forecast,
        problem.position[None, :].copy(),
        {"disagreement": r.disagreement, "dropped": list(r.dropped)},
    )


def _eum(mode: str, name: str):
    def run(
        problem: Problem,
        *,
        rounds: int | None = None,
        seed=None,
        conflict: str = "deterministic",
        log: bool | str = True,
        sink=None,
        **_: object,
    ) -> Forecast:
        r = run_eum(
            problem,
            mode=mode,
            rounds=rounds,
            seed=seed,
            conflict="deterministic" if mode == "scholz" else conflict,
            log=log,
            sink=sink,
        )
        details = {
            "status": r.status,
            "oscillating": r.oscillating,
            "period": r.period,
            "final_weighted_mean": r.weighted_mean,
            "conflict": r.params["conflict"],
        }
        return Forecast(name, problem, r.forecast, r.positions, details, r)

    return run


MODELS: dict[str, Callable[..., Forecast]] = {
    "compromise": _static("compromise", baselines.compromise),
    "median": _static("median", baselines.weighted_median),
    "mean": _static("mean", baselines.mean),
    "unweighted-median": _static("unweighted-median", baselines.median),
    "status-quo": _static("status-quo", baselines.status_quo),
    "nbs": _nbs,
    "eum": _eum("clean", "eum"),
    "eum-scholz": _eum("scholz", "eum-scholz"),
}


def forecast(problem: Problem, model: str = DEFAULT_MODEL, **options) -> Forecast:
    """Run ``model`` (a key of :data:`MODELS`) on ``problem``.

    Options for the EUM models: ``rounds``, ``seed``, ``conflict``, ``log`` (``True``,
    ``"accepted"`` or ``False``), ``sink`` (streams every challenge; see
    :func:`~standoff.bargaining.eum.run_eum`).
    """
    try:
        fn = MODELS[model]
    except KeyError:
        raise UsageError(f"model: expected one of {', '.join(MODELS)}, got {model!r}") from None
    return fn(problem, **options)
