"""Ensembles: a distribution of forecasts from perturbed inputs (and seeded conflicts).

Reference: Masad (2016), Experiment 2 (perturbation ``eps ~ N(0, 0.05)`` on position,
capability and salience; the spread widens while the mean stays put), and BDM (2011) /
Masad for stochastic conflict resolution.

Run ``k`` of an ensemble of ``n`` gets its own generator from
``SeedSequence(seed).spawn(n)[k]``, so the same seed gives identical output, another seed a
different one, and a run's draws do not depend on how many runs there are. Each run perturbs
the input and then applies the model; for ``eum`` the generator also resolves conflicts
stochastically (``P(j, i)``, loser adopts the winner's position).

**Project parameterisation choices:** with noise ``sd``, positions get
``x + sd (hi - lo) eps`` clipped to the issue's scale, saliences ``s + sd eps`` clipped to
[0, 1], capabilities ``c exp(sd eps)`` (multiplicative, so they stay >= 0); a draw that
leaves every position equal or every weight zero keeps that part of the input unperturbed.
Quantiles use numpy's default (linear) interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from standoff.bargaining.inputs import Problem
from standoff.bargaining.models import DEFAULT_MODEL, forecast
from standoff.errors import UsageError
from standoff.progress import track

__all__ = ["QUANTILES", "EnsembleResult", "perturb", "run_ensemble"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class EnsembleResult:
    """Forecasts of every run, their quantiles and the seed entropy that reproduces them."""

    model: str
    forecasts: np.ndarray
    quantiles: dict[str, float]
    mean: float
    sd: float
    noise: float
    seed_entropy: int


def perturb(problem: Problem, sd: float, rng: np.random.Generator) -> Problem:
    """One perturbed copy of ``problem`` (see the module docstring)."""
    if sd == 0:
        return problem
    n = problem.n
    lo, hi = problem.scale
    eps = rng.standard_normal((3, n))
    x = np.clip(problem.position + sd * (hi - lo) * eps[0], lo, hi)
    s = np.clip(problem.salience + sd * eps[1], 0.0, 1.0)
    c = problem.capability * np.exp(sd * eps[2])
    if np.ptp(x) == 0:
        x = problem.position
    if not (c * s > 0).any():
        s = problem.salience
    return problem.with_values(capability=c, position=x, salience=s)


def run_ensemble(
    problem: Problem,
    model: str = DEFAULT_MODEL,
    *,
    n: int = 100,
    noise: float = 0.05,
    seed=None,
    rounds: int | None = None,
    quantiles=QUANTILES,
) -> EnsembleResult:
    """``n`` runs of ``model`` on perturbed inputs; quantiles of the point forecasts."""
    if not 1 <= int(n) <= 1_000_000:
        raise UsageError(f"--ensemble: expected a number of runs in [1, 1000000], got {n}")
    if not 0.0 <= float(noise) <= 1.0:
        raise UsageError(f"--noise: expected a standard deviation in [0, 1], got {noise:g}")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    out = np.empty(int(n))
    for k, child in enumerate(track(ss.spawn(int(n)), f"ensemble: {model} runs")):
        rng = np.random.default_rng(child)
        pk = perturb(problem, float(noise), rng)
        f = forecast(pk, model, rounds=rounds, seed=rng, conflict="stochastic", log=False)
        out[k] = np.nan if f.value is None else f.value
    ok = out[np.isfinite(out)]
    qs = {f"{q:g}": float(np.quantile(ok, q)) if ok.size else float("nan") for q in quantiles}
    return EnsembleResult(
        model=model,
        forecasts=out,
        quantiles=qs,
        mean=float(ok.mean()) if ok.size else float("nan"),
        sd=float(ok.std(ddof=1)) if ok.size > 1 else 0.0,
        noise=float(noise),
        seed_entropy=int(ss.entropy),
    )
