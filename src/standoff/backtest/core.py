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
model and every baseline alike). Baselines read only ``History.as_of(end of D-1).monthly``
(their windows are fixed a priori, never tuned):

* climatology: expanding-window base rate of "event within h months" over every window of h
  covered months ending before D, smoothed ``(k + 0.5) / (n + 1)``;
* rolling climatology: the same over the trailing ROLL = 60 covered months;
* Markov persistence: a two-state Markov chain of "event in the month" with transition
  probabilities estimated on the trailing 60 covered months (smoothed ``(k + 0.5) / (n + 1)``),
  started from the last covered month: P(event within h) = 1 - P(none in h months);
* persistence: 1 if the event happened in months D-h..D-1, else 0;
* counts: intercept-only NB (mean and variance of the expanding window's monthly counts times
  h; Poisson when not overdispersed) and the rolling NB (the same on the trailing 60 months).

The reported ``standoff`` forecast is the combination of :mod:`.combine` (a policy-invariant
recalibration of the simulator; for counts a mixture with the rolling NB), fitted on resolved
forecasts only; ``standoff_raw`` is the simulator alone.

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
HORIZONS = (1, 3, 6, 12, 24)
ROLL = 60  # months in the rolling baselines [fixed a priori, not tuned]
BOOT_SEED = 20_240_601  # the bootstrap's own seed, separate from the Monte Carlo seed
BINARY_BASELINES = ("climatology", "rolling_climatology", "markov", "persistence")
COUNT_BASELINES = ("intercept", "rolling_nb")
#: origins from this month on are reported apart: no setting was chosen on them
HELD_OUT_FROM = "2013-01"


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


def _covered_tail(x: np.ndarray, k: int) -> np.ndarray:
    """The last ``k`` months up to the last covered one."""
    ok = np.flatnonzero(np.isfinite(x))
    return x[: ok[-1] + 1][-k:] if ok.size else x[:0]


def _clim(x: np.ndarray, h: int) -> float:
    w = _window_sums(x, h)
    return (float((w > 0).sum()) + 0.5) / (len(w) + 1.0)


def markov(x: np.ndarray, h: int, gap: int = 0) -> float:
    """P(event within h months) from a two-state Markov chain fitted to the monthly indicators
    ``x > 0`` (pairs of consecutive covered months), started ``gap`` months after the last
    value of ``x`` (months not covered before the origin)."""
    s = np.asarray(x, float)
    a, b = s[:-1], s[1:]
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok] > 0, b[ok] > 0
    p01 = (float((~a & b).sum()) + 0.5) / (float((~a).sum()) + 1.0)
    p11 = (float((a & b).sum()) + 0.5) / (float(a.sum()) + 1.0)
    fin = s[np.isfinite(s)]
    pi1 = float(fin[-1] > 0) if fin.size else p01 / (1 - p11 + p01)
    for _ in range(gap):  # uncovered months before the origin: propagate the chain
        pi1 = pi1 * p11 + (1 - pi1) * p01
    none = ((1 - pi1) * (1 - p01) + pi1 * (1 - p11)) * (1 - p01) ** (h - 1)
    return float(1 - none)


def baselines(panel: pd.DataFrame, origin: pd.Period, h: int) -> dict:
    """Baseline forecasts for ``origin`` from a panel that ends before it (as-of view)."""
    panel = panel[panel["month"] < str(origin)]
    out: dict[str, dict] = {}
    for target, (_, col) in BINARY.items():
        x = panel[col].to_numpy(float)
        tail = _covered_tail(x, ROLL)
        ok = np.flatnonzero(np.isfinite(x))
        gap = len(x) - 1 - ok[-1] if ok.size else 0
        last = x[-h:]
        clim = _clim(x, h)
        pers = float(np.nansum(last) > 0) if len(last) and np.isfinite(last).any() else clim
        out[target] = {
            "climatology": clim,
            "rolling_climatology": _clim(tail, h),
            "markov": markov(tail, h, gap),
            "persistence": pers,
        }
    la = panel["launches"].to_numpy(float)
    rl = _covered_tail(la, ROLL)
    out["launches"] = {}
    for name, v in (("intercept", la[np.isfinite(la)]), ("rolling_nb", rl[np.isfinite(rl)])):
        m = float(v.mean()) if v.size else 0.0
        var = float(v.var(ddof=1)) if v.size > 1 else m
        out["launches"][f"{name}_mean"] = h * m
        out["launches"][f"{name}_var"] = h * var
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
    # the record as known at the cut: the combination scores earlier origins against it
    known = {c: panel[c].to_numpy(float) for c in {*(c for _, c in BINARY.values()), "launches"}}
    rec: dict = {
        "origin": str(origin),
        "as_of": str(cut.date()),
        "h": {},
        "known": {"start": str(panel["month"].iloc[0]), **known},
    }
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
    horizons=HORIZONS,
    targets=TARGETS,
    paths: int = 1000,
    seed: int = 0,
    refit: str = "yearly",
    reps: int = 1000,
    boot_seed: int = BOOT_SEED,
    *,
    workers: int = 1,
    backend: str = "local",
    address: str | None = None,
) -> dict:
    """Run the rolling-origin backtest; return per-origin records and the score table
    (a :class:`~standoff.backtest.results.BacktestResult`: this dict, with ``.table``).

    The origins run on the sweep engine (:mod:`standoff.backtest.parallel`): ``workers``
    processes on ``backend`` (``local`` or ``ray``; ``address`` of a Ray cluster), with the
    same records on any backend and number of workers, and a progress bar.

    ``seed`` drives the Monte Carlo of every origin; ``boot_seed`` the bootstrap intervals.
    """
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
    from standoff.backtest.parallel import run_origins

    records, skipped = [], []
    t0 = time.perf_counter()
    done = run_origins(
        history, ors, horizons, paths, seed, refit,
        workers=workers, backend=backend, address=address,
    )  # fmt: skip
    for o, rec in zip(ors, done, strict=True):
        if "skipped" in rec:
            skipped.append({"origin": str(o), "reason": rec["skipped"]})
            continue
        records.append(rec)
    step = int(np.median(np.diff([o.ordinal for o in ors]))) if len(ors) > 1 else 1
    combine_records(records, horizons, step)
    for rec in records:
        o = pd.Period(rec["origin"], freq="M")
        for h in horizons:
            obs = {t: observed(full, o, h, col) for t, (_, col) in BINARY.items()}
            obs["launches"] = observed(full, o, h, "launches")
            rec["h"][h]["observed"] = obs
    elapsed = time.perf_counter() - t0
    table = score_table(records, horizons, list(targets), reps, boot_seed, step)
    held = [r for r in records if r["origin"] >= HELD_OUT_FROM]
    table_held = score_table(held, horizons, list(targets), reps, boot_seed, step) if held else {}
    from standoff.backtest.report import code_version, data_version

    return {
        "code_version": code_version(),
        "data_version": data_version(history),
        "vintage": history.vintage or history.origin,
        "origins": [str(o) for o in ors],
        "n_forecast": len(records),
        "skipped": skipped,
        "horizons": horizons,
        "paths": paths,
        "seed": seed,
        "boot_seed": boot_seed,
        "refit": refit,
        "step": step,
        "seconds": elapsed,
        "seconds_per_origin": elapsed / len(ors),
        "scores": table,
        "held_out": {"from": HELD_OUT_FROM, "n_forecast": len(held), "scores": table_held},
        "war": _war(records, horizons),
        "records": records,
    }


def known_outcome(rec: dict, origin: pd.Period, h: int, column: str) -> float:
    """Outcome of (origin, h) as recorded in ``rec``'s as-of panel (NaN if not covered)."""
    k = rec["known"]
    i = origin.ordinal - pd.Period(k["start"], freq="M").ordinal
    x = k[column]
    if i < 0 or i + h > len(x):
        return float("nan")
    v = x[i : i + h]
    return float("nan") if np.isnan(v).any() else float(v.sum())


def combine_records(records: list[dict], horizons, step: int = 1) -> None:
    """Add the combined forecasts (``combined``, ``weights``, ``count_mix``) to each record.

    At origin D, only records of origins o with o + h <= D enter, with their outcomes as
    recorded at D (:func:`known_outcome`): a function of what was known at D. ``step`` is the
    spacing of the origins in months (the overlap weight of :mod:`.combine`).
    """
    recs = sorted(records, key=lambda r: r["origin"])
    crps_cache: dict = {}
    for pos, rec in enumerate(recs):
        combine_one(rec, recs[:pos], horizons, crps_cache, step)


def combine_one(
    rec: dict, earlier: list[dict], horizons, crps_cache: dict | None = None, step: int = 1
) -> None:
    """Combine the forecasts of ``rec`` (origin D) using the records in ``earlier`` (origins
    before D) whose outcomes had resolved before D, as recorded in ``rec['known']``: per binary
    target the recalibration of the simulator (:func:`standoff.backtest.combine.recal_fit`),
    for counts the mixture with the rolling NB."""
    from standoff.backtest import combine

    crps_cache = {} if crps_cache is None else crps_cache
    D = pd.Period(rec["origin"], freq="M")
    for h in horizons:
        past = []
        for r in sorted(earlier, key=lambda r: r["origin"]):
            o = pd.Period(r["origin"], freq="M")
            if o.ordinal + h <= D.ordinal and h in r["h"]:
                past.append((r, o))
        cur = rec["h"][h]
        comb, weights = {}, {}
        wt = combine.overlap_weight(h, step)
        for t, (_, col) in BINARY.items():
            P, y = [], []
            for r, o in past:
                v = known_outcome(rec, o, h, col)
                if np.isfinite(v):
                    P.append(r["h"][h]["forecast"][t])
                    y.append(float(v > 0))
            coef = combine.recal_fit(np.array(P), np.array(y), wt)
            comb[t] = float(combine.recal_predict(coef, cur["forecast"][t]))
            weights[t] = {
                "method": combine.RULE if coef is not None else "raw",
                "n_resolved": len(y),
                "episodes": scores.episodes(np.array(y)) if y else 0,
            }
            if coef is not None:
                weights[t]["intercept"] = float(coef[0])
                weights[t]["slope"] = float(np.exp(coef[1]))
        cs, cn = [], []
        for r, o in past:
            v = known_outcome(rec, o, h, "launches")
            if not np.isfinite(v):
                continue
            key = (r["origin"], id(r), h, v)
            if key not in crps_cache:
                rj = r["h"][h]
                b = rj["baselines"]["launches"]
                crps_cache[key] = (
                    float(scores.crps_ensemble(rj["launch_draws"][None, :], np.array([v]))[0]),
                    float(
                        scores.crps_negbinom(
                            np.array([b["rolling_nb_mean"]]),
                            np.array([b["rolling_nb_var"]]),
                            np.array([v]),
                        )[0]
                    ),
                )
            a, b_ = crps_cache[key]
            cs.append(a)
            cn.append(b_)
        w = combine.count_weight(np.array(cs), np.array(cn))
        weights["launches"] = {"n_resolved": len(cs), "ensemble": w}
        b = cur["baselines"]["launches"]
        cur["count_mix"] = combine.count_mixture(
            cur["launch_draws"], b["rolling_nb_mean"], b["rolling_nb_var"], w
        )
        cur["combined"] = comb
        cur["weights"] = weights


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


def score_table(
    records, horizons, targets, reps: int = 1000, seed: int = BOOT_SEED, step: int = 1
) -> dict:
    """Scores of the combined forecast, the raw simulator and each baseline per target and
    horizon, on the same origins; stationary-bootstrap intervals with a mean block of 2h months
    (in origins), paired (one set of resample indices per target and horizon)."""
    out: dict = {}
    for t in targets:
        out[t] = {}
        for h in horizons:
            rows = [r["h"][h] for r in records if np.isfinite(r["h"][h]["observed"][t])]
            block = max(1.0, 2.0 * h / max(step, 1))
            idx = scores.stationary_indices(len(rows), block, reps, [int(seed), h])
            if t in COUNT:
                out[t][str(h)] = _score_count(rows, idx)
            else:
                out[t][str(h)] = _score_binary(t, rows, idx)
            if rows:
                out[t][str(h)]["block"] = block
    return out


def _score_binary(t, rows, idx) -> dict:
    n = len(rows)
    if n == 0:
        return {"n": 0}
    y = np.array([float(r["observed"][t] > 0) for r in rows])
    p = {
        "standoff": np.array([r["combined"][t] for r in rows]),
        "standoff_raw": np.array([r["forecast"][t] for r in rows]),
    }
    for b in BINARY_BASELINES:
        p[b] = np.array([r["baselines"][t][b] for r in rows])
    bs = {k: scores.brier(v, y) for k, v in p.items()}
    ls = {k: scores.log_score(v, y) for k, v in p.items()}
    return {
        "n": n,
        "events": int(y.sum()),
        "episodes": scores.episodes(y),
        "mean_forecast": {k: float(v.mean()) for k, v in p.items()},
        "brier": {k: float(v.mean()) for k, v in bs.items()},
        "log": {k: float(v.mean()) for k, v in ls.items()},
        "skill": {
            b: scores.skill_interval(bs["standoff"], bs[b], idx=idx) for b in BINARY_BASELINES
        },
        "skill_raw": {
            b: scores.skill_interval(bs["standoff_raw"], bs[b], idx=idx) for b in BINARY_BASELINES
        },
        "auc": {k: scores.auc(v, y) for k, v in p.items()},
        "recalibration": {k: scores.recalibration(v, y) for k, v in p.items()},
        "murphy": {k: scores.murphy(v, y) for k, v in p.items()},
        "log_diff": {
            b: scores.skill_interval(ls["standoff"], ls[b], idx=idx)["mean_diff_interval"]
            for b in BINARY_BASELINES
        },
    }


def _score_count(rows, idx) -> dict:
    n = len(rows)
    if n == 0:
        return {"n": 0}
    y = np.array([r["observed"]["launches"] for r in rows])
    draws = np.stack([r["launch_draws"] for r in rows])
    vals = np.stack([r["count_mix"][0] for r in rows])
    wts = np.stack([r["count_mix"][1] for r in rows])
    crps = {
        "standoff": scores.crps_ensemble(vals, y, weights=wts),
        "standoff_raw": scores.crps_ensemble(draws, y),
    }
    for b in COUNT_BASELINES:
        mean = np.array([r["baselines"]["launches"][f"{b}_mean"] for r in rows])
        var = np.array([r["baselines"]["launches"][f"{b}_var"] for r in rows])
        crps[b] = scores.crps_negbinom(mean, var, y)
    return {
        "n": n,
        "episodes": scores.episodes(y),
        "crps": {k: float(v.mean()) for k, v in crps.items()},
        "coverage": {
            "50": float(scores.coverage(draws, y, 0.5).mean()),
            "90": float(scores.coverage(draws, y, 0.9).mean()),
        },
        "coverage_combined": {
            lv: float(
                np.mean([_in_mix(r["count_mix"], v, q) for r, v in zip(rows, y, strict=True)])
            )
            for lv, q in (("50", 0.5), ("90", 0.9))
        },
        "ensemble_weight": float(np.mean([r["weights"]["launches"]["ensemble"] for r in rows])),
        "skill": {
            b: scores.skill_interval(crps["standoff"], crps[b], idx=idx) for b in COUNT_BASELINES
        },
        "skill_raw": {
            b: scores.skill_interval(crps["standoff_raw"], crps[b], idx=idx)
            for b in COUNT_BASELINES
        },
    }


def _in_mix(mix, y: float, level: float) -> bool:
    from standoff.backtest.combine import weighted_quantile

    vals, wts = mix
    lo = weighted_quantile(vals, wts, (1 - level) / 2)
    hi = weighted_quantile(vals, wts, (1 + level) / 2)
    return bool(lo <= y <= hi)
