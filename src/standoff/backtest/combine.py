"""Combination of the simulator with fair baselines, from resolved forecasts only.

**Binary targets** (per target and horizon): logistic stacking (Wolpert 1992; the linear
log-odds pool of Genest & Zidek 1986 with a recalibrating intercept, Ranjan & Gneiting 2010,
J. R. Stat. Soc. B 72(1), eq. 2): ``logit p = c + sum_k w_k logit(p_k)`` over the inputs
:data:`STACK_INPUTS` (the raw simulator, the rolling climatology, the two-state Markov chain),
each probability clipped to [CLIP, 1 - CLIP]. ``(c, w)`` is the posterior mode under the prior
``c ~ N(0, sd_c^2)``, ``w_k ~ N(1/K, sd_w^2)``: with no resolved history the combination is the
equal-weight log-odds pool, and the data pull the weights away from it as resolved forecasts
accumulate (shrinkage toward equal weights while history is short).

Which method each target uses (the simulator alone, the fixed equal-weight pool, or stacking
with one of three prior settings: :data:`CANDIDATES`) was chosen once, on the origins
2000-2012 only, and frozen in :data:`METHOD`; 2013 onward is the period no choice has seen.
On 2000-2012 learned stacking lost to the simulator alone on the rare diplomatic and test
targets (regime shifts make past weights stale), so those targets keep the simulator.

**Counts**: a mixture of the simulated ensemble and the rolling negative binomial with weight
``w`` on the ensemble, ``w = (n w_data + N0 / 2) / (n + N0)`` where ``w_data`` is proportional to
the inverse mean CRPS of each over the ``n`` resolved forecasts (inverse-score weighting) and
``N0`` pseudo-forecasts pull it toward 1/2.

**Resolved only.** At origin D the weights read the forecasts of origins o with o + h <= D (all
months o .. o+h-1 ended before D), scored against outcomes as recorded in the history as of D.
So the weights at D are a function of information available at D: a test alters every later
outcome and checks they are bit-identical.

The candidate prior widths, N0 and the clip were fixed a priori [analyst assumptions].
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special, stats

from standoff.backtest import scores

STACK_INPUTS = ("standoff_raw", "rolling_climatology", "markov")
CLIP = 0.01
N0 = 24.0
#: candidate methods: None = the simulator alone; (sd of c, sd of each w) = stacking priors
CANDIDATES: dict[str, tuple[float, float] | None] = {
    "raw": None,
    "equal": (1e-3, 1e-3),  # the equal-weight log-odds pool, nothing learned
    "stack_c1_w0.5": (1.0, 0.5),
    "stack_c0_w0.5": (1e-3, 0.5),
    "stack_c0_w0.2": (1e-3, 0.2),
}
#: the method per binary target, frozen on the origins 2000-2012 (lowest Brier summed over
#: h = 3 and 12 among CANDIDATES; scripts/select_combination.py, docs/backtest.md)
METHOD = {
    "launch": "stack_c0_w0.2",
    "icbm": "stack_c1_w0.5",
    "nuclear": "raw",
    "resolution": "raw",
    "talks": "raw",
    "summit": "raw",
    "agreement": "raw",
}
NB_LEVELS = 200  # quantile levels representing the rolling NB in the count mixture


def _z(p: np.ndarray) -> np.ndarray:
    return special.logit(np.clip(np.asarray(p, float), CLIP, 1 - CLIP))


def stack_weights(P: np.ndarray, y: np.ndarray, method: str = "stack_c1_w0.5") -> np.ndarray | None:
    """MAP stacking coefficients ``(c, w_1..w_K)`` from past forecasts P (n, K) and outcomes y
    under the priors of ``method`` (None for "raw": the simulator alone)."""
    prior = CANDIDATES[method]
    if prior is None:
        return None
    P = np.asarray(P, float).reshape(-1, len(STACK_INPUTS))
    k = P.shape[1]
    mean = np.r_[0.0, np.full(k, 1.0 / k)]
    prec = 1.0 / np.r_[prior[0], np.full(k, prior[1])] ** 2
    if len(y) == 0:
        return mean
    X = np.column_stack([np.ones(len(P)), _z(P)])
    y = np.asarray(y, float)

    def f(b):
        eta = X @ b
        d = b - mean
        val = -(y @ eta - np.logaddexp(0.0, eta).sum()) + 0.5 * (prec * d * d).sum()
        g = -(X.T @ (y - special.expit(eta))) + prec * d
        return val, g

    def hess(b):
        q = special.expit(X @ b)
        return (X * (q * (1 - q))[:, None]).T @ X + np.diag(prec)

    res = optimize.minimize(f, mean, jac=True, hess=hess, method="trust-exact")
    return res.x


def stack_predict(coef: np.ndarray | None, p: np.ndarray) -> float:
    """Combined probability for current inputs ``p`` (K,) under ``coef`` (None: ``p[0]``)."""
    if coef is None:
        return float(p[0])
    return float(special.expit(coef[0] + _z(p) @ coef[1:]))


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
