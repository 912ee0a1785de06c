"""Combination of the simulator with its own track record, from resolved forecasts only.

**Binary targets: a policy-invariant recalibration of the simulator** (Platt 1999; the
"recalibrated probability" of Cox 1958, Biometrika 45, eq. 1; Gneiting & Ranjan 2013,
Electron. J. Stat. 7, on recalibrating a single forecast). Per target and horizon

``logit p = a + b * logit(clip(p_sim))``,   ``b = exp(beta) > 0``,

fitted on the simulator's resolved past forecasts of that target and horizon. The map is
strictly increasing in ``p_sim`` and does not depend on the policy, so the combined forecast
of any policy is the same monotone function of that policy's simulated probability: a policy
that lowers the simulator's probability lowers the combined one, and no weight on the simulator
can be zero or negative. The baselines are *scored* against, never mixed in (mixing them in
erased policy effects: the earlier stacking put 0.03 on the simulator for ICBM launches).

``(a, beta)`` is the posterior mode under the priors ``a ~ N(0, SD_A^2)``, ``beta ~ N(0,
SD_BETA^2)`` (the identity map when nothing has resolved), with each resolved forecast weighted
by ``min(1, step / h)``: forecasts whose h-month windows start ``step`` months apart share
outcomes, so h / step of them carry about one outcome's information (a pseudo-likelihood
correction for overlapping windows; without it a 24-month horizon would count each episode
24 times).

**The simulator alone where the record cannot teach** (the rule, fixed in advance): when the
resolved forecasts hold fewer than MIN_EPISODES independent episodes of the event, or fewer
than MIN_EPISODES episodes without it (runs of consecutive origins,
:func:`standoff.backtest.scores.episodes`), the map is the identity.

**Counts**: a mixture of the simulated ensemble and the rolling negative binomial with weight
``w`` on the ensemble, ``w = (n w_data + N0 / 2) / (n + N0)`` where ``w_data`` is proportional to
the inverse mean CRPS of each over the ``n`` resolved forecasts (inverse-score weighting) and
``N0`` pseudo-forecasts pull it toward 1/2; ``w`` never reaches 0, and each policy's mixture is
built from its own simulated draws.

**Resolved only.** At origin D the maps read the forecasts of origins o with o + h <= D (all
months o .. o+h-1 ended before D), scored against outcomes as recorded in the history as of D.
So the combination at D is a function of information available at D: a test alters every later
outcome and checks it is bit-identical.

Every setting here (SD_A, SD_BETA, MIN_EPISODES, the overlap weight, RCLIP, N0) was fixed a
priori, before any score of this rule was seen [analyst assumptions, documented in
docs/backtest.md]: SD_A = 1 lets a resolved record move the log odds by up to about +-2;
SD_BETA = 0.5 keeps the slope within x0.37 .. x2.7 at 95% prior mass.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special, stats

from standoff.backtest import scores

#: the rule's name, reported with every combined forecast
RULE = "recalibration"
SD_A = 1.0
SD_BETA = 0.5
MIN_EPISODES = 2
#: probabilities are clipped to [RCLIP, 1 - RCLIP] before the logit (a near-zero simulated
#: probability stays distinguishable from a smaller one)
RCLIP = 1e-4
N0 = 24.0
NB_LEVELS = 200  # quantile levels representing the rolling NB in the count mixture


def _z(p) -> np.ndarray:
    return special.logit(np.clip(np.asarray(p, float), RCLIP, 1 - RCLIP))


def overlap_weight(h: int, step: int = 1) -> float:
    """Weight of one resolved forecast of horizon ``h`` among forecasts ``step`` months apart."""
    return min(1.0, max(int(step), 1) / max(int(h), 1))


def recal_fit(p, y, weight: float = 1.0) -> np.ndarray | None:
    """MAP ``(a, beta)`` of the recalibration from past simulated probabilities ``p`` and
    outcomes ``y`` (in origin order), or None (the identity: the simulator alone) when the
    record holds fewer than MIN_EPISODES episodes with or without the event."""
    p = np.asarray(p, float).ravel()
    y = (np.asarray(y, float).ravel() > 0).astype(float)
    if len(y) == 0 or scores.episodes(y) < MIN_EPISODES or scores.episodes(1 - y) < MIN_EPISODES:
        return None
    z = _z(p)
    prec = np.array([1.0 / SD_A**2, 1.0 / SD_BETA**2])
    w = float(weight)

    def f(t):
        a, beta = t
        b = np.exp(beta)
        eta = a + b * z
        q = special.expit(eta)
        val = -w * (y @ eta - np.logaddexp(0.0, eta).sum()) + 0.5 * (prec * t * t).sum()
        r = w * (q - y)
        return val, np.array([r.sum(), (r * z).sum() * b]) + prec * t

    res = optimize.minimize(f, np.zeros(2), jac=True, method="L-BFGS-B")
    return np.asarray(res.x, float)


def recal_predict(coef: np.ndarray | None, p) -> np.ndarray:
    """Recalibrated probabilities for simulated ``p`` (scalar or array; None: ``p`` itself)."""
    p = np.asarray(p, float)
    if coef is None:
        return p
    return special.expit(coef[0] + np.exp(coef[1]) * _z(p))


def recal_slope(coef: np.ndarray | None, p: float) -> float:
    """d(recalibrated p) / d(simulated p) at ``p`` (0 where the clip binds)."""
    if coef is None:
        return 1.0
    if not RCLIP < p < 1 - RCLIP:
        return 0.0
    q = float(recal_predict(coef, p))
    return float(np.exp(coef[1]) * q * (1 - q) / (p * (1 - p)))


def count_weight(crps_sim: np.ndarray, crps_nb: np.ndarray) -> float:
    """Weight of the simulated ensemble in the count mixture (inverse mean CRPS, shrunk)."""
    n = len(crps_sim)
    if n == 0:
        return 0.5
    a, b = float(np.mean(crps_sim)), float(np.mean(crps_nb))
    w = (1 / max(a, 1e-9)) / (1 / max(a, 1e-9) + 1 / max(b, 1e-9))
    return (n * w + N0 * 0.5) / (n + N0)


def nb_quantiles(mean: float, var: float, levels: int = NB_LEVELS) -> np.ndarray:
    """Quantiles of NB(mean, var) (Poisson when not overdispersed) at (i + 0.5) / levels."""
    q = (np.arange(levels) + 0.5) / levels
    mean = max(float(mean), 1e-9)
    if var > mean * (1 + 1e-9):
        prob = mean / var
        return stats.nbinom.ppf(q, mean * prob / (1 - prob), prob)
    return stats.poisson.ppf(q, mean)


def count_mixture(draws: np.ndarray, mean: float, var: float, w: float):
    """Values and weights of the mixture ``w x ensemble + (1 - w) x NB``."""
    nbq = nb_quantiles(mean, var)
    vals = np.r_[np.asarray(draws, float), nbq]
    wts = np.r_[np.full(len(draws), w / len(draws)), np.full(len(nbq), (1 - w) / len(nbq))]
    return vals, wts


def crps_mixture(vals: np.ndarray, wts: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of weighted ensembles (n, m) for outcomes y (n,)."""
    return np.asarray(scores.crps_ensemble(vals, y, weights=wts), float)


def weighted_quantile(vals: np.ndarray, wts: np.ndarray, q: float) -> float:
    o = np.argsort(vals, kind="stable")
    c = np.cumsum(wts[o])
    return float(vals[o][min(np.searchsorted(c, q * c[-1]), len(c) - 1)])
