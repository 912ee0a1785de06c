"""Baseline forecasts: the bar every dynamic bargaining model has to beat.

* :func:`compromise`: the **compromise model** of Van den Bos (1991) and Achen (2006, in
  Thomson et al. (eds), *The European Union Decides*, ch. 10): the capability x salience
  weighted mean of the initial positions, ``sum(c s x) / sum(c s)``. It is also BDM's
  "weighted mean" first cut (*The Predictioneer's Game*, 2009, ch. 4). On real decisions with
  known outcomes it is as accurate as the elaborate models, which is why it is ``standoff``'s
  default point forecast and is printed next to every dynamic forecast.
* :func:`weighted_median`: BDM's "power majority" first cut: sort positions, accumulate
  ``c s`` and take the first position where the cumulative share reaches one half.
* :func:`mean`, :func:`median`: unweighted references.
* :func:`status_quo`: the reference point, when the input gives one.

All functions are pure, take a :class:`~standoff.bargaining.inputs.Problem` (or arrays via
the ``*_of`` helpers) and return a forecast on the input's own scale.
"""

from __future__ import annotations

import numpy as np

from standoff.bargaining.inputs import Problem

__all__ = [
    "BASELINES",
    "compromise",
    "compromise_of",
    "mean",
    "median",
    "status_quo",
    "weighted_median",
    "weighted_median_of",
]


def compromise_of(position, weight) -> float:
    """Weighted mean ``sum(w x) / sum(w)`` (the compromise model with ``w = c s``)."""
    x = np.asarray(position, dtype=float)
    w = np.asarray(weight, dtype=float)
    return float(np.dot(w, x) / w.sum())


def weighted_median_of(position, weight) -> float:
    """First position (in ascending order) where the cumulative weight share reaches 1/2."""
    x = np.asarray(position, dtype=float)
    w = np.asarray(weight, dtype=float)
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    k = int(np.searchsorted(cum, 0.5 * cum[-1] * (1 - 1e-12), side="left"))
    return float(x[order][min(k, len(x) - 1)])


def compromise(p: Problem) -> float:
    """Compromise model (Van den Bos 1991; Achen 2006): ``sum(c s x) / sum(c s)``."""
    return compromise_of(p.position, p.weight)


def weighted_median(p: Problem) -> float:
    """Power-weighted median of the positions, weights ``c s`` (BDM's "power majority")."""
    return weighted_median_of(p.position, p.weight)


def mean(p: Problem) -> float:
    """Unweighted mean of the positions."""
    return float(np.mean(p.position))


def median(p: Problem) -> float:
    """Unweighted median of the positions."""
    return float(np.median(p.position))


def status_quo(p: Problem) -> float | None:
    """The reference point given by the input, or ``None``."""
    return p.status_quo


BASELINES = {
    "compromise": compromise,
    "median": weighted_median,
    "mean": mean,
    "unweighted-median": median,
    "status-quo": status_quo,
}
