"""Issue linkage: the exchange model of Stokman and Van Oosten (1994).

Stokman, F. N. & Van Oosten, R. (1994). The exchange of voting positions: an object-oriented
model of policy networks. In B. Bueno de Mesquita & F. N. Stokman (eds), *European Community
Decision Making: Models, Applications, and Comparisons*, Yale UP, 105-127.

Actors trade positions across issues: ``i`` gives ground on an issue ``p`` it cares about
less, in exchange for ``j`` giving ground on an issue ``q`` that ``i`` cares about more. On
every issue the expected outcome is the capability x salience weighted mean of the positions
(the compromise model), ``O_p = sum_k c_k s_kp x_kp / sum_k c_k s_kp``, and an actor's loss is
linear in the distance of the outcome from its position, weighted by its salience.

**An exchange** ``(i supplies p, j supplies q)`` is possible when ``i`` and ``j`` are on
opposite sides of the expected outcome on both issues and ``s_jp / s_jq > s_ip / s_iq``. ``i``
moves its position on ``p`` toward ``j`` by ``dx``, which shifts the outcome by
``dO_p = dx c_i s_ip / sum_k c_k s_kp`` toward ``j``; ``j`` moves on ``q`` toward ``i``
(``dO_q``). Gains: ``G_i = s_iq dO_q - s_ip dO_p`` and ``G_j = s_jp dO_p - s_jq dO_q``. The
**equal-gain exchange rate** sets ``G_i = G_j``: ``dO_q = dO_p (s_ip + s_jp) / (s_iq + s_jq)``,
so that both gain ``dO_p (s_iq s_jp - s_ip s_jq) / (s_iq + s_jq)``. Its size: the supplier
moves at most to the demander's position, and no move may push an outcome past the
demander's position; the larger move allowed by both limits is taken.

**Sequence** (**project choices**, after Stokman & Van Oosten's procedure): the feasible
exchange with the largest gain is made first, outcomes are updated, and an actor's position on
an issue moves at most once; the round ends when no feasible exchange is left. The model's
forecast is the expected outcome after the exchanges. By default there is **one round** (the
1994 model); ``rounds > 1`` repeats the round from the new voting positions, which can make
positions swing back and forth, since each round treats the last voting positions as the
actors' own. Ties go to the first in (issue pair, i, j) order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from standoff.bargaining.spatial import SpatialProblem
from standoff.errors import UsageError

__all__ = ["ExchangeResult", "exchange_model", "outcomes"]

_MIN_GAIN = 1e-10


def outcomes(problem: SpatialProblem, position=None) -> np.ndarray:
    """Expected outcome per dimension: ``sum c s x / sum c s`` (the compromise model)."""
    x = problem.position if position is None else np.asarray(position, dtype=float)
    w = problem.capability[:, None] * problem.salience
    tot = w.sum(axis=0)
    safe = np.where(tot > 0, tot, 1.0)
    return np.where(tot > 0, (w * x).sum(axis=0) / safe, x.mean(axis=0))


@dataclass
class ExchangeResult:
    """The exchanges made, round by round, and the outcomes before and after.

    ``exchanges``: one row per exchange: round, the two actors, the issue each gives ground
    on, each one's position before and after, the outcome shifts and the (equal) gain.
    """

    problem: SpatialProblem
    positions: np.ndarray  # final positions, own scales
    before: np.ndarray  # expected outcomes before any exchange
    after: np.ndarray  # expected outcomes after the exchanges
    exchanges: pd.DataFrame
    rounds: int


def _best(x, c, s, used, denom):
    """The feasible exchange with the largest equal gain, or None."""
    n, d = x.shape
    o = (c[:, None] * s * x).sum(axis=0) / denom
    side = np.sign(x - o)  # (n, d)
    best = None
    for p in range(d):
        for q in range(d):
            if p == q:
                continue
            # i supplies p (moves toward j on p), j supplies q (moves toward i on q)
            opp_p = side[:, None, p] * side[None, :, p] < 0
            opp_q = side[:, None, q] * side[None, :, q] < 0
            want = s[None, :, p] * s[:, None, q] > s[:, None, p] * s[None, :, q]
            free = ~used[:, None, p] & ~used[None, :, q]
            cand = opp_p & opp_q & want & free
            np.fill_diagonal(cand, False)
            if not cand.any():
                continue
            ii, jj = np.nonzero(cand)
            a_ip = c[ii] * s[ii, p] / denom[p]
            a_jq = c[jj] * s[jj, q] / denom[q]
            # limits on the outcome shifts: supplier moves at most to the demander's position;
            # the outcome may not pass the demander's position
            cap_p = np.minimum(a_ip * np.abs(x[jj, p] - x[ii, p]), np.abs(x[jj, p] - o[p]))
            cap_q = np.minimum(a_jq * np.abs(x[ii, q] - x[jj, q]), np.abs(x[ii, q] - o[q]))
            rho = (s[ii, p] + s[jj, p]) / (s[ii, q] + s[jj, q])
            do_p = np.minimum(cap_p, cap_q / rho)
            do_q = rho * do_p
            g = s[ii, q] * do_q - s[ii, p] * do_p
            k = int(np.argmax(g))
            if g[k] > _MIN_GAIN and (best is None or g[k] > best[0]):
                best = (float(g[k]), int(ii[k]), int(jj[k]), p, q, float(do_p[k]), float(do_q[k]))
    return best


def exchange_model(problem: SpatialProblem, *, rounds: int = 1) -> ExchangeResult:
    """Run the Stokman-Van Oosten exchange model (see the module docstring).

    Needs at least two dimensions (one issue cannot be traded against another).
    """
    if problem.d < 2:
        raise UsageError(f"{problem.source}: the exchange model needs at least two issues; got one")
    if not 1 <= int(rounds) <= 1000:
        raise UsageError(f"exchange rounds: expected an integer in [1, 1000], got {rounds}")
    lo, hi = problem.lo, problem.hi
    x = problem.unit_position().copy()
    c = np.asarray(problem.capability, dtype=float)
    s = np.asarray(problem.salience, dtype=float)
    denom = (c[:, None] * s).sum(axis=0)
    if (denom <= 0).any():
        k = int(np.flatnonzero(denom <= 0)[0])
        raise UsageError(
            f"{problem.source}: no actor has capability and salience on {problem.dimensions[k]!r}"
        )
    before = outcomes(problem)
    names, dims = problem.actors, problem.dimensions
    rows = []
    done = 0
    for r in range(1, int(rounds) + 1):
        used = np.zeros_like(x, dtype=bool)
        made = 0
        while True:
            best = _best(x, c, s, used, denom)
            if best is None:
                break
            g, i, j, p, q, do_p, do_q = best
            old_ip, old_jq = x[i, p], x[j, q]
            x[i, p] += np.sign(x[j, p] - x[i, p]) * do_p * denom[p] / (c[i] * s[i, p])
            x[j, q] += np.sign(x[i, q] - x[j, q]) * do_q * denom[q] / (c[j] * s[j, q])
            used[i, p] = used[j, q] = True
            made += 1
            span_p, span_q = hi[p] - lo[p], hi[q] - lo[q]
            rows.append(
                {
                    "round": r,
                    "actor": names[i],
                    "gives_on": dims[p],
                    "from": lo[p] + old_ip * span_p,
                    "to": lo[p] + x[i, p] * span_p,
                    "partner": names[j],
                    "partner_gives_on": dims[q],
                    "partner_from": lo[q] + old_jq * span_q,
                    "partner_to": lo[q] + x[j, q] * span_q,
                    "outcome_shift": do_p * span_p,
                    "partner_outcome_shift": do_q * span_q,
                    "gain": g,
                }
            )
        if made == 0:
            break
        done = r
    pos = lo + x * (hi - lo)
    cols = [
        "round", "actor", "gives_on", "from", "to", "partner", "partner_gives_on",
        "partner_from", "partner_to", "outcome_shift", "partner_outcome_shift", "gain",
    ]  # fmt: skip
    return ExchangeResult(
        problem=problem,
        positions=pos,
        before=before,
        after=outcomes(problem, pos),
        exchanges=pd.DataFrame(rows, columns=cols),
        rounds=done,
    )
