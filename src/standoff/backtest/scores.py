"""Proper scores (via ``scoringrules``), interval coverage, discrimination (AUC), the
recalibration slope and the stationary bootstrap (``arch``).

Log scores need probabilities strictly inside (0, 1): every probability is clipped to
``[EPS, 1 - EPS]`` before the log score (a persistence forecast of 0 or 1 that turns out wrong
would otherwise score infinity) [project convention; Brier scores use the raw probabilities].
"""

from __future__ import annotations

import numpy as np
import scoringrules as sr

EPS = 1e-3


def brier(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-forecast Brier score ``(p - y)^2``."""
    return np.asarray(sr.brier_score(np.asarray(y, float), np.asarray(p, float)), float)


def log_score(p: np.ndarray, y: np.ndarray, eps: float = EPS) -> np.ndarray:
    """Per-forecast log score ``-log|p + y - 1|`` (lower is better), p clipped to [eps, 1-eps]."""
    q = np.clip(np.asarray(p, float), eps, 1.0 - eps)
    return np.asarray(sr.log_score(np.asarray(y, float), q), float)


def crps_ensemble(
    draws: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Per-forecast CRPS of an ensemble ``draws`` (n_forecasts, members) for outcomes ``y``
    (members weighted by ``weights`` if given: a mixture)."""
    d = np.asarray(draws, float)
    if weights is None:
        return np.asarray(sr.crps_ensemble(np.asarray(y, float), d), float)
    w = np.broadcast_to(np.asarray(weights, float), d.shape)
    return np.asarray(sr.crps_ensemble(np.asarray(y, float), d, ens_w=w), float)


def crps_negbinom(mean: np.ndarray, var: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CRPS of NB(mean, var) forecasts (Poisson where ``var <= mean``)."""
    mean = np.maximum(np.asarray(mean, float), 1e-9)
    var = np.asarray(var, float)
    y = np.asarray(y, float)
    out = np.empty_like(y)
    nb = var > mean * (1 + 1e-9)
    if nb.any():
        prob = mean[nb] / var[nb]
        size = mean[nb] * prob / (1 - prob)
        out[nb] = sr.crps_negbinom(y[nb], size, prob)
    if (~nb).any():
        out[~nb] = sr.crps_poisson(y[~nb], mean[~nb])
    return out


def coverage(draws: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """Per forecast: is ``y`` inside the central ``level`` interval of the ensemble?"""
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=1)
    return (y >= lo) & (y <= hi)


def stationary_indices(n: int, block: float, reps: int, seed) -> np.ndarray:
    """Stationary-bootstrap resamples of ``range(n)`` (Politis & Romano 1994, JASA 89(428)):
    blocks of geometric length with mean ``block``, wrapping around; array (reps, n). Drawn
    with ``arch.bootstrap.StationaryBootstrap`` from its own seed."""
    from arch.bootstrap import StationaryBootstrap

    if n == 0:
        return np.zeros((reps, 0), int)
    bs = StationaryBootstrap(
        float(max(1.0, min(block, n))), np.arange(n), seed=np.random.default_rng(seed)
    )
    return np.stack([data[0][0] for data in bs.bootstrap(reps)])


def skill_interval(
    model: np.ndarray,
    base: np.ndarray,
    block: float | None = None,
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    idx: np.ndarray | None = None,
) -> dict:
    """Skill ``1 - mean(model)/mean(base)`` and mean difference ``base - model`` with
    stationary-bootstrap intervals over origins (origins in time order; mean block ``block`` in
    origins, or the resample indices ``idx`` (reps, n) shared by paired comparisons)."""
    model = np.asarray(model, float)
    base = np.asarray(base, float)
    n = len(model)
    if n == 0:
        return {"n": 0}
    mb = float(base.mean())
    skill = float(1 - model.mean() / mb) if mb > 0 else float("nan")
    diff = float((base - model).mean())
    if idx is None:
        idx = stationary_indices(n, block or 1, reps, seed)
    bm, bb = model[idx].mean(axis=1), base[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bs = np.where(bb > 0, 1 - bm / bb, np.nan)
    bd = bb - bm
    a = (1 - level) / 2
    ok = np.isfinite(bs)
    s_lo, s_hi = (
        np.quantile(bs[ok], [a, 1 - a]).tolist() if ok.any() else [float("nan"), float("nan")]
    )
    d_lo, d_hi = np.quantile(bd, [a, 1 - a]).tolist()
    return {
        "n": n,
        "skill": skill,
        "skill_interval": [s_lo, s_hi],
        "mean_diff": diff,
        "mean_diff_interval": [d_lo, d_hi],
        "level": level,
    }


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve, the Mann-Whitney U statistic over n1 n0 (ties count 1/2);
    NaN when only one class occurs."""
    p, y = np.asarray(p, float), np.asarray(y, float) > 0
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(p[y], p[~y]).statistic / (n1 * n0))


def recalibration(p: np.ndarray, y: np.ndarray, eps: float = EPS) -> dict:
    """Logistic recalibration ``logit P(y) = a + b logit(p)`` (Cox 1958, Biometrika 45): slope b
    (1 = well calibrated, < 1 over-confident, <= 0 no or reversed signal) and intercept a, by
    maximum likelihood (statsmodels); NaN when it cannot be estimated."""
    import warnings

    import statsmodels.api as sm
    from scipy import special

    p, y = np.asarray(p, float), np.asarray(y, float)
    z = special.logit(np.clip(p, eps, 1 - eps))
    if len(y) < 3 or y.min() == y.max() or np.ptp(z) == 0:
        return {"slope": float("nan"), "intercept": float("nan")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.GLM(y, sm.add_constant(z), family=sm.families.Binomial()).fit()
        a, b = (float(v) for v in res.params)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return {"slope": float("nan"), "intercept": float("nan")}
    return {"slope": b, "intercept": a}


def episodes(y: np.ndarray) -> int:
    """Independent episodes: runs of consecutive positive outcomes in the origin sequence."""
    y = np.asarray(y, float) > 0
    return int(np.sum(y & ~np.r_[False, y[:-1]]))


def murphy(p: np.ndarray, y: np.ndarray, bins: int = 10) -> dict:
    """Murphy (1973) decomposition of the Brier score on ``bins`` equal-width probability bins.

    ``BS = reliability - resolution + uncertainty + within``, where reliability =
    sum_k n_k (pbar_k - obar_k)^2 / N, resolution = sum_k n_k (obar_k - obar)^2 / N,
    uncertainty = obar (1 - obar), and ``within`` (the within-bin variance term of Stephenson
    et al. 2008) is what binning leaves over, so the identity holds exactly. Also returns the
    reliability-diagram points (mean forecast, observed frequency, count per non-empty bin).
    """
    p = np.asarray(p, float)
    y = np.asarray(y, float)
    n = len(p)
    if n == 0:
        return {"n": 0}
    k = np.minimum((p * bins).astype(int), bins - 1)
    cnt = np.bincount(k, minlength=bins).astype(float)
    sp = np.bincount(k, weights=p, minlength=bins)
    sy = np.bincount(k, weights=y, minlength=bins)
    ok = cnt > 0
    pbar = np.where(ok, sp / np.maximum(cnt, 1), np.nan)
    obar_k = np.where(ok, sy / np.maximum(cnt, 1), np.nan)
    obar = float(y.mean())
    rel = float(np.nansum(cnt * (pbar - obar_k) ** 2) / n)
    res = float(np.nansum(cnt * (obar_k - obar) ** 2) / n)
    unc = obar * (1 - obar)
    bs = float(np.mean((p - y) ** 2))
    return {
        "n": n,
        "brier": bs,
        "reliability": rel,
        "resolution": res,
        "uncertainty": unc,
        "within_bin": bs - (rel - res + unc),
        "diagram": [
            {"forecast": float(pbar[i]), "observed": float(obar_k[i]), "count": int(cnt[i])}
            for i in np.flatnonzero(ok)
        ],
    }
