"""Proper scores (via ``scoringrules``), interval coverage and the block bootstrap.

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


def crps_ensemble(draws: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-forecast CRPS of an ensemble ``draws`` (n_forecasts, members) for outcomes ``y``."""
    return np.asarray(sr.crps_ensemble(np.asarray(y, float), np.asarray(draws, float)), float)


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


def block_bootstrap_indices(n: int, block: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """Moving-block bootstrap resamples of ``range(n)``: array (reps, n)."""
    block = int(max(1, min(block, n)))
    nb = -(-n // block)
    starts = rng.integers(0, n - block + 1, size=(reps, nb))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(reps, -1)
    return idx[:, :n]


def skill_interval(
    model: np.ndarray,
    base: np.ndarray,
    block: int,
    reps: int = 1000,
    seed: int = 0,
    level: float = 0.9,
) -> dict:
    """Skill ``1 - mean(model)/mean(base)`` and mean difference ``base - model`` with block
    bootstrap intervals over origins (origins in time order; ``block`` in origins)."""
    model = np.asarray(model, float)
    base = np.asarray(base, float)
    n = len(model)
    if n == 0:
        return {"n": 0}
    mb = float(base.mean())
    skill = float(1 - model.mean() / mb) if mb > 0 else float("nan")
    diff = float((base - model).mean())
    idx = block_bootstrap_indices(n, block, reps, np.random.default_rng(seed))
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
