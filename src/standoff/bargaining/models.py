"""One entry point for every bargaining model: :func:`forecast` and the :data:`MODELS` registry.

========================  ==================================================================
name                      model
========================  ==================================================================
``default`` (default)     the principled default point forecast (below)
``compromise``            capability x salience weighted mean (Van den Bos 1991; Achen 2006)
``median``                power-weighted median (BDM's "power majority" first cut)
``mean``                  unweighted mean of the positions
``unweighted-median``     unweighted median of the positions
``status-quo``            the reference point, when given
``nbs``                   generalised Nash bargaining solution (:mod:`.nbs`)
``eum``                   expected utility model, clean E1-E11 (:mod:`.eum`)
``eum-scholz``            expected utility model, Scholz compatibility mode (:mod:`.eum`)
``smp``                   KTAB's Spatial Model of Politics (:mod:`.smp`; not in :data:`MODELS`,
                          whose members are cheap enough to run side by side on any input)
========================  ==================================================================

**The default point forecast** (``default``), fixed in advance and not fitted to any data:

1. for an issue declared **two-outcome** (only the two ends of its scale can be the outcome),
   the side with the weighted majority, weights capability x salience: under absolute error
   the best point forecast is a median of the outcome's distribution, not a mean (Gneiting
   2011, "Making and evaluating point forecasts", *JASA* 106: 746-762), and on a yes/no
   issue the weighted median is the majority side; a tie goes to the status quo if given,
   else to the lower end (**project choice**);
2. otherwise the **equal-weight average of the compromise model and the generalised Nash
   bargaining solution**, the latter with the **status quo as the disagreement point** where
   the input gives one: the two models with the best record on real decisions (Achen 2006;
   Schneider, Finke & Bailer 2010), averaged with equal weights fixed in advance because
   simple averages of forecasts are hard to beat and cannot be over-fitted (Bates & Granger
   1969; Clemen 1989; Smith & Wallis 2009); and the reference point as the outcome of
   disagreement is Nash's (1950) own formulation of the bargaining problem.

Its error on BDM's EU car-emissions issue is reported in ``docs/bargaining.md``; nothing was
tuned on it, nor on any EU data set.

**Why compromise and Nash bargaining.** On real decisions with known outcomes the
compromise model is as accurate as the dynamic bargaining models and better than procedural
ones (Achen 2006 and the model comparisons in Thomson et al. (eds) 2006, *The European Union
Decides*); Schneider, Finke & Bailer (2010) find a salience-weighted Nash bargaining model,
which the compromise model approximates, best on 66 EU proposals; and no public EUM
reconstruction reproduces the historical outcome of BDM's own car-emissions example (8.83
years; the clean and Scholz dynamics settle near 7 and oscillate between 7.2 and 7.6). The
dynamic models are kept for *explanation* (who pressures whom; conflict, compromise and
capitulation events) and for *distributions* (ensembles), and every report prints the
default and compromise forecasts next to them.
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

__all__ = [
    "DEFAULT_MODEL",
    "DYNAMIC",
    "MODELS",
    "SPATIAL",
    "Forecast",
    "default_forecast",
    "forecast",
    "majority_side",
]

DEFAULT_MODEL = "default"
DYNAMIC = ("eum", "eum-scholz")
#: models that run on every dimension at once (:mod:`.smp`); ``forecast`` accepts them too
SPATIAL = ("smp",)


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


def majority_side(problem: Problem) -> float:
    """Two-outcome issue: the end of the scale backed by the larger capability x salience
    (actors at the midpoint abstain); a tie goes to the status quo's side, else the lower end."""
    lo, hi = problem.scale
    mid = 0.5 * (lo + hi)
    w = problem.weight
    w_hi = float(w[problem.position > mid].sum())
    w_lo = float(w[problem.position < mid].sum())
    if w_hi != w_lo:
        return hi if w_hi > w_lo else lo
    if problem.status_quo is not None:
        return hi if problem.status_quo > mid else lo
    return lo


def default_forecast(problem: Problem) -> tuple[float, dict]:
    """The default point forecast and how it was formed (see the module docstring)."""
    if problem.meta.get("two_outcome"):
        return majority_side(problem), {"rule": "weighted majority (two-outcome issue)"}
    comp = baselines.compromise(problem)
    nb = nash_bargaining(problem)
    return 0.5 * (comp + nb.forecast), {
        "rule": "mean of compromise and Nash bargaining",
        "compromise": comp,
        "nbs": nb.forecast,
        "disagreement": nb.disagreement,
    }


def _default(problem: Problem, **_: object) -> Forecast:
    value, details = default_forecast(problem)
    return Forecast("default", problem, value, problem.position[None, :].copy(), details)


def _smp(problem: Problem, *, rounds: int | None = None, seed=None, **_: object) -> Forecast:
    from standoff.bargaining.smp import run_smp
    from standoff.bargaining.spatial import make_spatial

    sp = make_spatial(
        problem.actors,
        problem.capability,
        problem.position[:, None],
        problem.salience[:, None],
        dimensions=[problem.name],
        scales=[problem.scale],
        status_quo=[problem.status_quo],
        name=problem.name,
        where=problem.source,
        title=problem.title,
    )
    r = run_smp(sp, seed=seed, **({"max_turns": rounds} if rounds else {}))
    details = {
        "status": r.status,
        "turns": r.turns,
        "expected": float(r.expected[0]),
        "win_prob": dict(zip(problem.actors, r.win_prob[-1].tolist(), strict=True)),
    }
    return Forecast("smp", problem, float(r.forecast[0]), r.positions[:, :, 0], details)


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
    "default": _default,
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
    if model == "smp":
        return _smp(problem, **options)
    try:
        fn = MODELS[model]
    except KeyError:
        raise UsageError(
            f"model: expected one of {', '.join([*MODELS, *SPATIAL])}, got {model!r}"
        ) from None
    return fn(problem, **options)
