"""Generalised (asymmetric) Nash bargaining solution with a disagreement point.

References:
    Nash, J. (1950). The bargaining problem. *Econometrica* 18(2): 155-162.
    Achen, C. H. (2006). Evaluating political decision-making models. In Thomson, Stokman,
    Achen & Koenig (eds), *The European Union Decides*, ch. 10 (the compromise model as an
    approximation to a generalised NBS).
    Schneider, G., Finke, D. & Bailer, S. (2010). Bargaining power in the European Union.
    *Political Studies* 58: 85-103 (salience-weighted NBS on EU legislative proposals).

The solution (reference note, Section 8)::

    x* = argmax_x  sum_i w_i log(u_i(x) - u_i(d))   over the individually rational x,
    u_i(x) = -s_i |x - x_i|^p,   w_i = c_i s_i.

Actors with ``w_i = 0`` carry no weight and are left out. The objective is concave on the
individually rational interval, so a one-dimensional search
finds the unique maximum: ``scipy.optimize.brentq`` on the derivative, which decreases
monotonically (bounded ``minimize_scalar`` as a fallback).

**Project parameterisation choices:** ``p = 2`` by default (quadratic loss, Achen's case);
the disagreement point ``d`` is the status quo when the input gives one. Actors whose ideal
equals ``d`` cannot gain and are dropped (the reference note's rule). When no status quo is
given, or the individually rational set is empty (the status quo lies strictly between
actors' ideals, so no point makes everyone better off), each actor's disagreement utility is
its utility of the *worst* end of the issue scale, ``u_i(d) = -s_i max(|lo - x_i|,
|hi - x_i|)^p`` (breakdown is as bad as the worst outcome on the table); the result reports
which disagreement rule was used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from standoff.bargaining.baselines import compromise
from standoff.bargaining.inputs import Problem
from standoff.errors import UsageError

__all__ = ["NBSResult", "nash_bargaining"]


@dataclass(frozen=True)
class NBSResult:
    """``forecast`` on the input's scale; ``disagreement``: ``"status_quo"`` or ``"worst"``."""

    forecast: float
    disagreement: str
    feasible_interval: tuple[float, float]
    dropped: tuple[str, ...]


def _solve(x, w, reach, p):
    """Maximise sum w log(reach^p - |y - x|^p) on the interval where every term is > 0."""
    from scipy.optimize import brentq, minimize_scalar  # imported when used: start-up time

    lo = float(np.max(x - reach))
    hi = float(np.min(x + reach))
    if not hi > lo:
        return None, (lo, hi)
    rp = reach**p

    def grad(y: float) -> float:
        dev = y - x
        gap = rp - np.abs(dev) ** p
        return float(np.dot(w, -p * np.sign(dev) * np.abs(dev) ** (p - 1) / gap))

    eps = 1e-9 * (hi - lo)
    a, b = lo + eps, hi - eps
    ga, gb = grad(a), grad(b)
    if ga > 0 > gb:  # the derivative decreases (concave objective): its root is the maximum
        return float(brentq(grad, a, b, xtol=1e-13 * max(1.0, abs(hi)), maxiter=500)), (lo, hi)

    def neg(y: float) -> float:
        gap = rp - np.abs(y - x) ** p
        return np.inf if (gap <= 0).any() else -float(np.dot(w, np.log(gap)))

    res = minimize_scalar(neg, bounds=(a, b), method="bounded")
    return float(res.x), (lo, hi)


def nash_bargaining(
    problem: Problem, *, p: float = 2.0, weights: str = "cs", disagreement: float | None = None
) -> NBSResult:
    """Generalised Nash bargaining solution of one issue (see the module docstring).

    Args:
        p: exponent of the loss, 1 (linear) or 2 (quadratic, default).
        weights: ``"cs"`` (capability x salience, default) or ``"c"`` (capability).
        disagreement: disagreement point; defaults to the problem's status quo.
    """
    if p < 1:
        raise UsageError(f"p: expected an exponent >= 1, got {p:g}")
    if weights not in ("cs", "c"):
        raise UsageError(f"weights: expected 'cs' or 'c', got {weights!r}")
    x = problem.position
    w = problem.weight if weights == "cs" else problem.capability.copy()
    keep = w > 0
    d = problem.status_quo if disagreement is None else float(disagreement)
    if d is not None:
        reach = np.abs(x - d)
        use = keep & (reach > 0)
        dropped = tuple(a for a, k, u in zip(problem.actors, keep, use, strict=True) if k and not u)
        if use.any():
            y, interval = _solve(x[use], w[use], reach[use], p)
            if y is not None:
                return NBSResult(y, "status_quo", interval, dropped)
    lo, hi = problem.scale
    reach = np.maximum(np.abs(x - lo), np.abs(x - hi))
    y, interval = _solve(x[keep], w[keep], reach[keep], p)
    if y is None:  # all weight sits at both ends of the scale at once: degenerate
        y, interval = compromise(problem), (lo, hi)
    return NBSResult(float(np.clip(y, lo, hi)), "worst", interval, ())
