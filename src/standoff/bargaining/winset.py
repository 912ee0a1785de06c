"""Win-sets: the packages every veto player prefers to the status quo.

A veto player is an actor whose agreement a change of the status quo needs (Tsebelis 2002,
*Veto Players: How Political Institutions Work*, Princeton UP, ch. 1: the *winset of the
status quo* is the set of outcomes that defeat it, here under unanimity of the veto
players). On the Korean Peninsula these are the United States and the DPRK, who must sign,
and China and Russia, whose vetoes in the Security Council decide any UN sanctions relief.

Each actor ``i`` prefers a package ``y`` to the status quo ``q`` when ``y`` is strictly nearer
to its position ``x_i`` in its own salience-weighted metric (KTAB's, :func:`~standoff.
bargaining.smp.weighted_distance`, on the unit cube of the dimensions' scales):
``d_i(y) < d_i(q)`` with ``d_i(y)^2 = sum_k s_ik^2 (y_k - x_ik)^2 / sum_k s_ik^2``. Its
*preferred-to set* is an axis-aligned ellipse centred on ``x_i`` through ``q``; the win-set
is the intersection of the veto players' ellipses. An actor's **gain** from a package is
``d_i(q) - d_i(y)`` (positive: better off; the same units for everyone, [-1, 1]).

**Project choices**: preference is strict with a tolerance of 1e-12; an actor with no
salience on any dimension is indifferent to every package and blocks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from standoff.bargaining.smp import weighted_distance
from standoff.bargaining.spatial import SpatialProblem
from standoff.errors import UsageError

__all__ = ["WinSet", "gains", "package_grid", "win_set"]

#: Grid points per dimension of the chart's feasible region (2-D deal spaces).
CHART_GRID = 81
#: Most packages a deal space may list (product of its steps; **project choice**).
MAX_PACKAGES = 200_000
_TOL = 1e-12


def gains(problem: SpatialProblem, points, status_quo) -> np.ndarray:
    """``(n, m)``: each actor's gain ``d_i(q) - d_i(y)`` from each point ``y`` (own scales)."""
    x = problem.unit_position()
    s = np.asarray(problem.salience, dtype=float)
    y = problem.to_unit(np.atleast_2d(np.asarray(points, dtype=float)))
    q = problem.to_unit(np.asarray(status_quo, dtype=float))[None, :]
    ok = s.sum(axis=1) > 0
    s_safe = np.where(ok[:, None], s, 1.0)
    d_y = weighted_distance(x, y, s_safe)
    d_q = weighted_distance(x, q, s_safe)
    return np.where(ok[:, None], d_q - d_y, 0.0)


def package_grid(problem: SpatialProblem, *, points_per_dim: int = 11) -> np.ndarray:
    """Every package: the product of each dimension's steps (or an even grid without steps)."""
    axes = [
        np.array(st) if st else np.linspace(lo, hi, points_per_dim)
        for st, (lo, hi) in zip(problem.steps or [()] * problem.d, problem.scales, strict=True)
    ]
    total = int(np.prod([a.size for a in axes], dtype=float))
    if total > MAX_PACKAGES:
        raise UsageError(
            f"{problem.source}: {total} packages (the product of the dimensions' steps); "
            f"expected at most {MAX_PACKAGES}"
        )
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([m.reshape(-1) for m in mesh])


@dataclass
class WinSet:
    """The veto players' win-set of the status quo.

    Attributes:
        veto: the veto players.
        status_quo: the status quo point (own scales).
        packages: one row per package: its value on every dimension, ``feasible`` (every
            veto player strictly prefers it), each veto player's gain, ``min_gain`` and
            ``blocked_by`` (the veto players who prefer the status quo).
        region: for 2-D deal spaces, ``(xs, ys, mask)``: a grid over the scales and whether
            each point is in the win-set (``mask[j, i]`` for ``ys[j], xs[i]``); else None.
        curves: for 2-D deal spaces, each veto player's indifference curve through the
            status quo (the boundary of its preferred-to set) as ``(xs, ys)``.
    """

    problem: SpatialProblem
    veto: tuple[str, ...]
    status_quo: np.ndarray
    packages: pd.DataFrame
    region: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    curves: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def feasible(self) -> pd.DataFrame:
        return self.packages[self.packages["feasible"]].reset_index(drop=True)

    def contains(self, point) -> bool:
        """Is ``point`` (own scales) in the win-set?"""
        idx = [self.problem.actors.index(a) for a in self.veto]
        g = gains(self.problem, point, self.status_quo)[idx, 0]
        return bool((g > _TOL).all())


def win_set(problem: SpatialProblem, veto: list[str] | tuple[str, ...], status_quo=None) -> WinSet:
    """Packages every actor in ``veto`` prefers to the status quo (see the module docstring).

    Args:
        veto: actor ids; they must be actors of ``problem``.
        status_quo: the status quo point; defaults to the problem's own (every dimension must
            then state one).
    """
    unknown = [a for a in veto if a not in problem.actors]
    if unknown:
        raise UsageError(f"veto players: unknown actor {unknown[0]!r}")
    if not veto:
        raise UsageError("veto players: expected at least one")
    sq = problem.status_quo_point() if status_quo is None else np.asarray(status_quo, float)
    if sq is None:
        missing = [
            d for d, v in zip(problem.dimensions, problem.status_quo, strict=True) if v is None
        ]
        raise UsageError(
            f"{problem.source}: the win-set needs a status quo on every dimension; "
            f"{missing[0]!r} has none"
        )
    idx = [problem.actors.index(a) for a in veto]
    pts = package_grid(problem)
    g = gains(problem, pts, sq)[idx]  # (veto, m)
    ok = g > _TOL
    df = pd.DataFrame(pts, columns=list(problem.dimensions))
    df["feasible"] = ok.all(axis=0)
    for k, a in enumerate(veto):
        df[f"gain {a}"] = g[k]
    df["min_gain"] = g.min(axis=0)
    df["blocked_by"] = [
        ", ".join(a for a, yes in zip(veto, col, strict=True) if not yes) for col in ok.T
    ]
    region, curves = None, {}
    if problem.d == 2:
        (lo0, hi0), (lo1, hi1) = problem.scales
        xs = np.linspace(lo0, hi0, CHART_GRID)
        ys = np.linspace(lo1, hi1, CHART_GRID)
        gx, gy = np.meshgrid(xs, ys)
        grid = np.column_stack([gx.reshape(-1), gy.reshape(-1)])
        gg = gains(problem, grid, sq)[idx]
        region = (xs, ys, (gg > _TOL).all(axis=0).reshape(gy.shape))
        curves = {a: _ellipse(problem, problem.actors.index(a), sq) for a in veto}
    return WinSet(problem, tuple(veto), sq, df, region, curves)


def _ellipse(problem: SpatialProblem, i: int, sq, points: int = 121):
    """Actor ``i``'s indifference curve through ``sq`` (2-D): its weighted circle of radius
    ``d_i(sq)`` around its position, clipped to the scales; NaN breaks where it leaves them."""
    s = np.asarray(problem.salience[i], dtype=float)
    x = problem.unit_position()[i]
    q = problem.to_unit(sq)
    if (s <= 0).any():  # a degenerate ellipse (a band): drawn from the grid region instead
        return np.array([]), np.array([])
    ss = float(np.sqrt((s * s).sum()))
    r = float(np.sqrt(((s * (q - x)) ** 2).sum())) / ss  # d_i(sq), as weighted_distance
    t = np.linspace(0.0, 2.0 * np.pi, points)
    u0 = x[0] + r * ss / s[0] * np.cos(t)
    u1 = x[1] + r * ss / s[1] * np.sin(t)
    inside = (u0 >= 0) & (u0 <= 1) & (u1 >= 0) & (u1 <= 1)
    pts = problem.from_unit(np.column_stack([u0, u1]))
    pts[~inside] = np.nan
    return pts[:, 0], pts[:, 1]
