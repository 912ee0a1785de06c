"""The combined forecast of ``standoff forecast`` / ``standoff compare``.

The simulator's probabilities are stacked with the fair baselines exactly as in the backtest
(:mod:`standoff.backtest.combine`): the weights for an event and horizon k at the forecast's
first month D are estimated from the simulator's own track record, i.e. its forecasts at past
origins o (every TRACK_STEP months from TRACK_FROM, TRACK_PATHS paths, seed TRACK_SEED) whose
k-month windows had ended before D, scored against the record as of the forecast's cut. Each
past forecast reads only ``history.as_of(end of o-1)`` (:func:`standoff.backtest.core.
forecast_origin`), so the combination at D reads nothing after the cut.

The track record is computed once per data and code version and cached on disk (beside the
history store, ``track-record/``); the first combined forecast on new data takes a minute or
two. Horizons beyond 24 months are not combined (no track record that long): the simulator's
probability is reported, and said so.

Settings (TRACK_*) are fixed a priori for cost, not tuned on any score.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from standoff.backtest import combine
from standoff.backtest.core import BINARY, baselines, combine_one, forecast_origin
from standoff.dynamics.model import FittedModel
from standoff.dynamics.simulate import Simulation
from standoff.errors import UsageError
from standoff.history.core import History

TRACK_FROM = "2000-01"
TRACK_STEP = 3
TRACK_PATHS = 200
TRACK_SEED = 0
MAX_H = 24
#: forecast event -> backtest target
EVENT_TARGET = {
    "launch": "launch",
    "icbm": "icbm",
    "nuclear": "nuclear",
    "resolution": "resolution",
    "talks": "talks",
    "summit": "summit",
    "agreement_signed": "agreement",
}


def _cache_dir() -> Path:
    from standoff.store.duckdb_store import default_db_path

    return default_db_path().parent / "track-record"


def track_record(history: History, until: pd.Period, progress=None) -> list[dict]:
    """The simulator's forecasts at origins TRACK_FROM, +TRACK_STEP, ... before ``until``."""
    from standoff.backtest.report import code_version, data_version

    start = pd.Period(TRACK_FROM, freq="M")
    if until <= start:
        return []
    origins = pd.period_range(start, until - 1, freq="M")[::TRACK_STEP]
    key = hashlib.sha256(
        f"{code_version()}|{data_version(history)}|{TRACK_PATHS}|{TRACK_SEED}|{MAX_H}".encode()
    ).hexdigest()[:20]
    d = _cache_dir() / key
    out, fits = [], {}
    for o in origins:
        f = d / f"{o}.pkl"
        rec = None
        if f.exists():
            try:
                rec = pickle.loads(f.read_bytes())  # our own cache file, written below
            except (OSError, pickle.UnpicklingError, EOFError):
                rec = None
        if rec is None:
            try:
                rec = forecast_origin(
                    history, o, list(range(1, MAX_H + 1)), TRACK_PATHS, TRACK_SEED, "yearly", fits
                )
            except (ValueError, np.linalg.LinAlgError, UsageError):
                rec = {"origin": str(o), "skipped": True}
            rec.pop("known", None)
            try:
                d.mkdir(parents=True, exist_ok=True)
                tmp = f.with_suffix(".tmp")
                tmp.write_bytes(pickle.dumps(rec))
                tmp.replace(f)
            except OSError:
                pass  # an unwritable cache only costs time
        if progress is not None:
            progress()
        if not rec.get("skipped"):
            out.append(rec)
    return out


class Combiner:
    """Per (event, horizon): the stacking coefficients and the baselines' inputs at D."""

    def __init__(self, coef: dict, inputs: dict, count: dict, n_resolved: dict, origin: str):
        self.coef, self.inputs, self.count, self.n_resolved = coef, inputs, count, n_resolved
        self.origin = origin

    def prob(self, event: str, k: int, p_raw: float) -> tuple[float, float] | None:
        """Combined probability and its derivative with respect to the raw one (None when the
        event or horizon is not combined)."""
        t = EVENT_TARGET.get(event)
        if t is None or (t, k) not in self.coef:
            return None
        c = self.coef[(t, k)]
        if c is None:  # this target keeps the simulator (combine.METHOD)
            return float(p_raw), 1.0
        x = np.array([p_raw, *self.inputs[(t, k)]])
        p = combine.stack_predict(c, x)
        q = float(np.clip(p_raw, combine.CLIP, 1 - combine.CLIP))
        inside = combine.CLIP < p_raw < 1 - combine.CLIP
        d = c[1] * p * (1 - p) / (q * (1 - q)) if inside else 0.0
        return p, float(d)

    def weights(self) -> dict:
        out: dict = {}
        for (t, k), c in self.coef.items():
            cell = {"method": combine.METHOD[t], "n_resolved": self.n_resolved[(t, k)]}
            if c is not None:
                cell["intercept"] = round(float(c[0]), 6)
                cell.update(
                    {
                        n: round(float(w), 6)
                        for n, w in zip(combine.STACK_INPUTS, c[1:], strict=True)
                    }
                )
            out.setdefault(t, {})[str(k)] = cell
        return out


def combiner(history: History, model: FittedModel, sim: Simulation, progress=None) -> Combiner:
    """Stacking coefficients at the model's first forecast month from the track record."""
    D = pd.Period(model.first_forecast_month, freq="M")
    view = history.as_of(model.as_of)
    records = track_record(history, D, progress)
    panel = view.monthly
    ks = [k for k in range(1, min(sim.horizon, MAX_H) + 1)]
    cols = {c for _, c in BINARY.values()} | {"launches"}
    rec = {
        "origin": str(D),
        "h": {},
        "known": {
            "start": str(panel["month"].iloc[0]),
            **{c: panel[c].to_numpy(float) for c in cols},
        },
    }
    for k in ks:
        la = sim.launches[:k].sum(axis=0)
        fc = {"launch": float((la > 0).mean())}
        for ev, t in EVENT_TARGET.items():
            if ev != "launch":
                fc[t] = float(sim.within(ev, k).mean())
        rec["h"][k] = {"forecast": fc, "launch_draws": la, "baselines": baselines(panel, D, k)}
    combine_one(rec, records, ks)
    coef, inputs, count, nres = {}, {}, {}, {}
    for k in ks:
        w = rec["h"][k]["weights"]
        for t in BINARY:
            coef[(t, k)] = (
                None
                if w[t]["method"] == "raw"
                else np.array([w[t]["intercept"], *(w[t][n] for n in combine.STACK_INPUTS)])
            )
            b = rec["h"][k]["baselines"][t]
            inputs[(t, k)] = (b["rolling_climatology"], b["markov"])
            nres[(t, k)] = w[t]["n_resolved"]
        count[k] = {"weight": w["launches"]["ensemble"], "mix": rec["h"][k]["count_mix"]}
    return Combiner(coef, inputs, count, nres, str(D))


def _monotone(cells: dict) -> None:
    """P(within k) must not fall as k grows: each horizon is combined with its own weights, so
    the combined values are projected on non-decreasing sequences (isotonic regression, pool
    adjacent violators; scipy) over the combined horizons."""
    from scipy.optimize import isotonic_regression

    ks = sorted((int(k) for k, c in cells.items() if k != "label" and c.get("combined")))
    if not ks:
        return
    fitted = isotonic_regression([cells[str(k)]["p"] for k in ks]).x
    for k, p in zip(ks, fitted, strict=True):
        cells[str(k)]["p"] = round(float(min(max(p, 0.0), 1.0)), 6)


def apply(summary: dict, cmb: Combiner) -> dict:
    """Replace the summary's probabilities by the combined ones (raw kept beside them), made
    non-decreasing in the horizon; horizons beyond MAX_H keep the simulator's value."""
    for e, v in summary["events"].items():
        for k, cell in v.items():
            if k == "label":
                continue
            r = cmb.prob(e, int(k), cell["p"])
            if r is None:
                cell["combined"] = False
                continue
            p, d = r
            cell.update(
                {
                    "raw": cell["p"],
                    "raw_se": cell["se"],
                    "p": p,
                    "se": round(abs(d) * cell["se"], 6),
                    "combined": True,
                }
            )
        _monotone(v)
    k = 12 if 12 in cmb.count else (max(cmb.count) if cmb.count else None)
    if k is not None:
        vals, wts = cmb.count[k]["mix"]
        summary["launches_combined"] = {
            "months": k,
            "ensemble_weight": round(cmb.count[k]["weight"], 6),
            "mean": float(np.sum(vals * wts) / np.sum(wts)),
            **{
                f"q{int(q * 100):02d}": combine.weighted_quantile(vals, wts, q)
                for q in (0.05, 0.25, 0.5, 0.75, 0.95)
            },
        }
    summary["combination"] = {
        "method": "per event as frozen on 2000-2012 (standoff.backtest.combine.METHOD): logistic "
        "stacking of the simulator with the rolling climatology and the Markov chain, weights "
        "from resolved past forecasts only, or the simulator alone",
        "origin": cmb.origin,
        "track_record": {"from": TRACK_FROM, "step": TRACK_STEP, "paths": TRACK_PATHS},
        "max_combined_horizon": MAX_H,
        "weights": cmb.weights(),
    }
    return summary
