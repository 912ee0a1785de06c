"""Rolling-origin backtest of the monthly model against naive baselines.

For each origin month D the forecast is made as of the last day of month D-1
(``History.as_of(end of D-1)``), so forecast month 1 is D. With ``refit="yearly"`` the model's
components are fitted as of the latest year end (31 December) on or before that cut and the
simulation starts from the state as of the cut (``fit(..., components=...)``: the state,
nowcast and window statistics are those of the cut, the components those of the year end); ``refit="origin"`` uses the components fitted at the cut.
Every origin draws from its own seed ``SeedSequence([seed, ordinal of D])``, so a forecast at
D does not depend on which other origins are run.

Observed outcomes come from the full ``History.monthly``; a (origin, target, h) whose months
D..D+h-1 are not all covered for the target's column is not scorable and is left out (for the
model and every baseline alike). Baselines read only ``History.as_of(end of D-1).monthly``:

* climatology: expanding-window base rate of "event within h months" over every window of h
  covered months ending before D, smoothed ``(k + 0.5) / (n + 1)``;
* persistence: 1 if the event happened in months D-h..D-1, else 0;
* intercept-only count model: h-month launch totals ~ NB with the mean and variance of the
  expanding window's monthly counts times h (Poisson when not overdispersed).

War is forecast (its level is reported) but not scored: the record has no war onset.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from standoff.backtest import scores
from standoff.backtest.results import as_result
from standoff.dynamics.model import FittedModel
from standoff.dynamics.model import fit as _fit
from standoff.dynamics.simulate import Simulation
from standoff.dynamics.simulate import simulate as _simulate
from standoff.errors import UsageError
from standoff.history.core import History
from standoff.progress import track

#: binary targets: (simulation event, monthly column); "launch" uses the launch counts
BINARY = {
    "launch": (None, "launches"),
    "icbm": ("icbm", "launches_icbm"),
    "nuclear": ("nuclear", "nuclear_tests"),
    "resolution": ("resolution", "sanctions_resolutions"),
    "talks": ("talks", "talks_held"),
    "summit": ("summit", "summit_us_rok"),
    "agreement": ("agreement_signed", "agreements_signed"),
}
COUNT = {"launches": "launches"}
TARGETS = (*BINARY, *COUNT)
REFIT = ("yearly", "origin")


def fit(history: History, as_of) -> FittedModel:
    """Fit the monthly model on ``history.as_of(as_of)`` only."""
    return _fit(history.as_of(as_of))


def simulate(
    model: FittedModel, policy=None, n_paths: int = 1000, horizon_months: int = 12, seed=None
) -> Simulation:
    """Simulate paths from ``model`` (see :func:`standoff.dynamics.simulate.simulate`)."""
    return _simulate(model, policy, n_paths, horizon_months, seed)


def _cut(origin: pd.Period) -> pd.Timestamp:
    return (origin - 1).to_timestamp(how="end").normalize()


def _year_end(cut: pd.Timestamp) -> pd.Timestamp:
    if cut.month == 12 and cut.day == 31:
        return cut
    return pd.Timestamp(year=cut.year - 1, month=12, day=31)


def observed(monthly: pd.DataFrame, origin: pd.Period, h: int, column: str) -> float:
    """Sum of ``column`` over months origin..origin+h-1, NaN if any month is not covered."""
    months = [str(origin + i) for i in range(h)]
    s = monthly.set_index("month")[column].reindex(months)
    v = s.to_numpy(float)
    return float("nan") if np.isnan(v).any() else float(v.sum())


def _window_sums(x: np.ndarray, h: int) -> np.ndarray:
    """Sums of every h consecutive values with no missing value."""
    if len(x) < h:
        return np.array([])
    w = np.lib.stride_tricks.sliding_window_view(x, h).sum(axis=1)
    return w[np.isfinite(w)]


def baselines(panel: pd.DataFrame, origin: pd.Period, h: int) -> dict:
    """Baseline forecasts for ``origin`` from a panel that ends before it (as-of view)."""
    panel = panel[panel["month"] < str(origin)]
    out: dict[str, dict] = {}
    for target, (_, col) in BINARY.items():
        x = panel[col].to_numpy(float)
        w = _window_sums(x, h)
        k = float((w > 0).sum())
        clim = (k + 0.5) / (len(w) + 1.0)
        last = x[-h:]
        pers = float(np.nansum(last) > 0) if len(last) and np.isfinite(last).any() else clim
        out[target] = {"climatology": clim, "persistence": pers}
    la = panel["launches"].to_numpy(float)
    la = la[np.isfinite(la)]
    m = float(la.mean()) if la.size else 0.0
    v = float(la.var(ddof=1)) if la.size > 1 else m
    out["launches"] = {"intercept_mean": h * m, "intercept_var": h * v}
    return out


def forecast_origin(
    history: History,
    origin: pd.Period,
    horizons: list[int],
    paths: int,
    seed: int,
    refit: str = "yearly",
    cache: dict | None = None,
) -> dict:
    """Forecast and baselines at one origin (reads only ``history.as_of(end of D-1)``)."""
    cut = _cut(origin)
    view = history.as_of(cut)
    if refit == "yearly":
        ye = _year_end(cut)
        cache = {} if cache is None else cache
        if ye not in cache:
            cache[ye] = _fit(view.as_of(ye)).components
        model = _fit(view, components=cache[ye])
    else:
        model = _fit(view)
    if model.first_forecast_month != str(origin):
        raise UsageError(f"origin {origin}: model starts at {model.first_forecast_month}")
    ss = np.random.SeedSequence([int(seed), int(origin.ordinal) + 100_000])
    sim = _simulate(model, None, paths, max(horizons), ss)
    panel = view.monthly
    rec: dict = {"origin": str(origin), "as_of": str(cut.date()), "h": {}}
    for h in horizons:
        la = sim.launches[:h].sum(axis=0)
        fc = {"launch": float((la > 0).mean())}
        for t, (ev, _) in BINARY.items():
            if ev is not None:
                fc[t] = float(sim.within(ev, h).mean())
        fc["war"] = float(sim.within("war", h).mean())
        rec["h"][h] = {"forecast": fc, "launch_draws": la, "baselines": baselines(panel, origin, h)}
    return rec


def _parse_origins(origins) -> list[pd.Period]:
    return sorted({pd.Period(o, freq="M") for o in origins})


@as_result
def backtest(
    history: History,
    origins,
    horizons=(12,),
    targets=TARGETS,
    paths: int = 1000,
    seed: int = 0,
    refit: str = "yearly",
    reps: int = 1000,
) -> dict:
    """Run the rolling-origin backtest; return per-origin records and the score table
    (a :class:`~standoff.backtest.results.BacktestResult`: this dict, with ``.table``)."""
    if refit not in REFIT:
        raise UsageError(f"refit: expected one of {', '.join(REFIT)}, got {refit!r}")
    bad = [t for t in targets if t not in TARGETS]
    if bad:
        raise UsageError(f"--targets: unknown {bad[0]!r} (expected one of {', '.join(TARGETS)})")
    horizons = sorted({int(h) for h in horizons})
    if not horizons or horizons[0] < 1 or horizons[-1] > 120:
        raise UsageError("--horizons: expected months in [1, 120]")
    ors = _parse_origins(origins)
    if not ors:
        raise UsageError("--from/--to: no origin months in the range")
    full = history.monthly
    cache: dict = {}
    records, skipped = [], []
    t0 = time.perf_counter()
    for o in track(ors, "backtest: origins"):
        try:
            rec = forecast_origin(history, o, horizons, paths, seed, refit, cache)
        except (ValueError, np.linalg.LinAlgError, UsageError) as exc:
            skipped.append({"origin": str(o), "reason": f"{type(exc).__name__}: {exc}"})
            continue
        for h in horizons:
            obs = {t: observed(full, o, h, col) for t, (_, col) in BINARY.items()}
            obs["launches"] = observed(full, o, h, "launches")
            rec["h"][h]["observed"] = obs
        records.append(rec)
    elapsed = time.perf_counter() - t0
    step = int(np.median(np.diff([o.ordinal for o in ors]))) if len(ors) > 1 else 1
    table = score_table(records, horizons, list(targets), reps, seed, step)
    from standoff.backtest.report import code_version, data_version

    return {
        "code_version": code_version(),
        "data_version": data_version(history),
        "origins": [str(o) for o in ors],
        "n_forecast": len(records),
        "skipped": skipped,
        "horizons": horizons,
        "paths": paths,
        "seed": seed,
        "refit": refit,
        "step": step,
        "seconds": elapsed,
        "seconds_per_origin": elapsed / len(ors),
        "scores": table,
        "war": _war(records, horizons),
        "records": records,
    }


def _war(records, horizons) -> dict:
    out = {}
    for h in horizons:
        p = [r["h"][h]["forecast"]["war"] for r in records]
        out[str(h)] = {
            "mean_forecast": float(np.mean(p)) if p else None,
            "scored": False,
            "why": "no war onset in the record since 1953: the outcome is always 0 and cannot "
            "discriminate between forecasts",
        }
    return out


def score_table(records, horizons, targets, reps: int = 1000, seed: int = 0, step: int = 1) -> dict:
    """Scores of the model and each baseline per target and horizon, on the same origins."""
    out: dict = {}
    for t in targets:
        out[t] = {}
        for h in horizons:
            rows = [r["h"][h] for r in records if np.isfinite(r["h"][h]["observed"][t])]
            block = -(-h // max(step, 1))  # block of h months, in origins
            if t in COUNT:
                out[t][str(h)] = _score_count(rows, block, reps, seed)
            else:
                out[t][str(h)] = _score_binary(t, rows, block, reps, seed)
    return out


def _score_binary(t, rows, block, reps, seed) -> dict:
    n = len(rows)
    if n == 0:
        return {"n": 0}
    y = np.array([float(r["observed"][t] > 0) for r in rows])
    p = {"standoff": np.array([r["forecast"][t] for r in rows])}
    for b in ("climatology", "persistence"):
        p[b] = np.array([r["baselines"][t][b] for r in rows])
    bs = {k: scores.brier(v, y) for k, v in p.items()}
    ls = {k: scores.log_score(v, y) for k, v in p.items()}
    return {
        "n": n,
        "events": int(y.sum()),
        "brier": {k: float(v.mean()) for k, v in bs.items()},
        "log": {k: float(v.mean()) for k, v in ls.items()},
        "skill": {
            b: scores.skill_interval(bs["standoff"], bs[b], block, reps, seed)
            for b in ("climatology", "persistence")
        },
        "murphy": {k: scores.murphy(v, y) for k, v in p.items()},
        "log_diff": {
            b: scores.skill_interval(ls["standoff"], ls[b], block, reps, seed)["mean_diff_interval"]
            for b in ("climatology", "persistence")
        },
    }


def _score_count(rows, block, reps, seed) -> dict:
    n = len(rows)
    if n == 0:
        return {"n": 0}
    y = np.array([r["observed"]["launches"] for r in rows])
    draws = np.stack([r["launch_draws"] for r in rows])
    cm = scores.crps_ensemble(draws, y)
    mean = np.array([r["baselines"]["launches"]["intercept_mean"] for r in rows])
    var = np.array([r["baselines"]["launches"]["intercept_var"] for r in rows])
    cb = scores.crps_negbinom(mean, var, y)
    return {
        "n": n,
        "crps": {"standoff": float(cm.mean()), "intercept": float(cb.mean())},
        "coverage": {
            "50": float(scores.coverage(draws, y, 0.5).mean()),
            "90": float(scores.coverage(draws, y, 0.9).mean()),
        },
        "skill": {"intercept": scores.skill_interval(cm, cb, block, reps, seed)},
    }
