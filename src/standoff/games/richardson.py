"""Richardson arms race (Richardson 1960, *Arms and Insecurity*): background escalation dynamics.

Continuous form (``x`` = DPRK test/arms activity, ``y`` = US-ROK-Japan military activity)::

    dx/dt = a y - m x + g
    dy/dt = b x - n y + h

``a, b`` = reactivity, ``m, n`` = fatigue/economic restraint, ``g, h`` = grievances. Equilibrium
``x* = (a h + n g)/(m n - a b)``, ``y* = (b g + m h)/(m n - a b)``; stable iff ``m n > a b``
(with ``m, n > 0``: fatigue beats reactivity), otherwise a runaway race.

Monthly discrete form and its least-squares fit (**[project formalisation]**, crisis-games.md
1.7)::

    x[t+1] = x[t] + a y[t] - m x[t] + g
    y[t+1] = y[t] + b x[t] - n y[t] + h

:func:`fit_monthly` estimates ``(a, m, g)`` and ``(b, n, h)`` by ordinary least squares on the
monthly changes (``numpy.linalg.lstsq``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from standoff.errors import UsageError
from standoff.games._validate import check_int, check_range


@dataclass(frozen=True)
class RichardsonParams:
    """Reactivity ``a, b``; fatigue ``m, n``; grievances ``g, h``."""

    a: float
    b: float
    m: float
    n: float
    g: float
    h: float

    def __post_init__(self) -> None:
        for name in ("a", "b", "m", "n", "g", "h"):
            check_range(name, getattr(self, name))


@dataclass(frozen=True)
class Equilibrium:
    x: float
    y: float
    stable: bool  # continuous-time stability (m, n > 0 and m n > a b)
    stable_monthly: bool  # discrete monthly map: spectral radius < 1
    eigenvalues: tuple[complex, complex]  # of the continuous-time system


def equilibrium(params: RichardsonParams) -> Equilibrium:
    """Equilibrium and stability of the Richardson system (Richardson 1960)."""
    a, b, m, n, g, h = params.a, params.b, params.m, params.n, params.g, params.h
    det = m * n - a * b
    if det == 0:
        raise UsageError("'m*n - a*b' must be non-zero for a unique equilibrium; got 0")
    jac = np.array([[-m, a], [b, -n]])
    ev = np.linalg.eigvals(jac)
    step = np.eye(2) + jac
    radius = float(np.max(np.abs(np.linalg.eigvals(step))))
    return Equilibrium(
        x=(a * h + n * g) / det,
        y=(b * g + m * h) / det,
        stable=bool(m > 0 and n > 0 and det > 0),
        stable_monthly=radius < 1.0,
        eigenvalues=(complex(ev[0]), complex(ev[1])),
    )


def simulate_monthly(params: RichardsonParams, x0: float, y0: float, months: int) -> np.ndarray:
    """Iterate the monthly map; returns an array of shape ``(months + 1, 2)`` of ``(x, y)``."""
    months = check_int("months", months, 0, 12_000)
    out = np.empty((months + 1, 2))
    out[0] = check_range("x0", x0), check_range("y0", y0)
    a, b, m, n, g, h = params.a, params.b, params.m, params.n, params.g, params.h
    for t in range(months):
        x, y = out[t]
        out[t + 1] = x + a * y - m * x + g, y + b * x - n * y + h
    return out


@dataclass(frozen=True)
class Fit:
    """Least-squares fit of the monthly Richardson map to two series."""

    params: RichardsonParams
    r2_x: float
    r2_y: float
    n_obs: int


def fit_monthly(x: Sequence[float], y: Sequence[float]) -> Fit:
    """Fit ``dx[t] = a y[t] - m x[t] + g`` and ``dy[t] = b x[t] - n y[t] + h`` by least squares.

    ``x`` and ``y`` are equally long monthly series (at least 5 months, finite values). ``r2_*``
    is the share of the variance of the monthly changes that the fit explains.
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.ndim != 1 or xs.shape != ys.shape:
        raise UsageError(
            f"'x' and 'y' must be 1-D series of equal length; got {xs.shape} and {ys.shape}"
        )
    if len(xs) < 5:
        raise UsageError(f"'x' and 'y' must have at least 5 months; got {len(xs)}")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise UsageError("'x' and 'y' must be finite numbers (no NaN or inf)")
    dx, dy = np.diff(xs), np.diff(ys)
    ones = np.ones(len(dx))
    cx, *_ = np.linalg.lstsq(np.column_stack([ys[:-1], -xs[:-1], ones]), dx, rcond=None)
    cy, *_ = np.linalg.lstsq(np.column_stack([xs[:-1], -ys[:-1], ones]), dy, rcond=None)

    def r2(obs: np.ndarray, fit: np.ndarray) -> float:
        ss = float(((obs - obs.mean()) ** 2).sum())
        return 1.0 - float(((obs - fit) ** 2).sum()) / ss if ss > 0 else 1.0

    fx = cx[0] * ys[:-1] - cx[1] * xs[:-1] + cx[2]
    fy = cy[0] * xs[:-1] - cy[1] * ys[:-1] + cy[2]
    params = RichardsonParams(
        a=float(cx[0]),
        b=float(cy[0]),
        m=float(cx[1]),
        n=float(cy[1]),
        g=float(cx[2]),
        h=float(cy[2]),
    )
    return Fit(params=params, r2_x=r2(dx, fx), r2_y=r2(dy, fy), n_obs=len(dx))


__all__ = [
    "Equilibrium",
    "Fit",
    "RichardsonParams",
    "equilibrium",
    "fit_monthly",
    "simulate_monthly",
]
