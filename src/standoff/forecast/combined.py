"""The combined forecast of ``standoff forecast`` / ``standoff compare``.

The simulator's probabilities are recalibrated exactly as in the backtest
(:mod:`standoff.backtest.combine`): for an event and horizon k at the forecast's first month D,
the map ``logit p = a + b logit p_sim`` (b > 0) is fitted on the simulator's own track record,
i.e. its forecasts at past origins o (every TRACK_STEP months from TRACK_FROM, TRACK_PATHS
paths, seed TRACK_SEED) whose k-month windows had ended before D, scored against the record as
of the forecast's cut. Each past forecast reads only ``history.as_of(end of o-1)``
(:func:`standoff.backtest.core.forecast_origin`), so the combination at D reads nothing after
the cut. The map is the same for every policy (it is fitted on the status quo's record and does
not depend on the policy), and strictly increasing: a policy that lowers the simulator's
probability lowers the combined one. Counts: each policy's own simulated draws mixed with the
rolling negative binomial.

The track record is computed once per data and code version and cached on disk (beside the
history store, ``track-record/``) as data only: one ``.npz`` file per origin holding a JSON
document and an integer array, read with ``allow_pickle=False`` and validated; a file that is
malformed, foreign or from another setting is recomputed and replaced, never executed. The first
combined forecast on new data takes a minute or two. Horizons beyond 24 months are not combined
(no track record that long): the simulator's probability is reported, and said so.

Settings (TRACK_*) are fixed a priori for cost, not tuned on any score.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
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
#: a cache file larger than this is not ours (a record is about 40 KB)
MAX_CACHE_BYTES = 4 * 2**20
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
_FORECAST_KEYS = (*BINARY, "war")
_BASELINE_KEYS = ("climatology", "rolling_climatology", "markov", "persistence")
_COUNT_KEYS = ("intercept_mean", "intercept_var", "rolling_nb_mean", "rolling_nb_var")


def _cache_dir() -> Path:
    from standoff.store.duckdb_store import default_db_path

    return default_db_path().parent / "track-record"


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def dump_record(rec: dict) -> bytes:
    """A track-record entry as data: an ``.npz`` archive (JSON text + launch draws)."""
    if rec.get("skipped"):
        meta = {"origin": rec["origin"], "skipped": True}
        draws = np.zeros((0, 0), np.int64)
    else:
        hs = sorted(int(k) for k in rec["h"])
        meta = {
            "origin": rec["origin"],
            "as_of": rec.get("as_of"),
            "h": {
                str(k): {"forecast": rec["h"][k]["forecast"], "baselines": rec["h"][k]["baselines"]}
                for k in hs
            },
        }
        draws = np.stack([np.asarray(rec["h"][k]["launch_draws"], np.int64) for k in hs])
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta, allow_nan=False)), draws=draws)
    return buf.getvalue()


def load_record(data: bytes, origin: str, horizons: int, paths: int) -> dict | None:
    """Parse and validate a cached entry; None if it is not exactly what :func:`dump_record`
    writes for this origin and setting (never unpickles: ``allow_pickle=False``)."""
    if len(data) > MAX_CACHE_BYTES:
        return None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if sorted(z.files) != ["draws", "meta"]:
                return None
            meta_arr, draws = z["meta"], z["draws"]
        if meta_arr.dtype.kind != "U" or meta_arr.shape != ():
            return None
        meta = json.loads(str(meta_arr))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        return None
    if not isinstance(meta, dict) or meta.get("origin") != origin:
        return None
    if meta.get("skipped") is True:
        return {"origin": origin, "skipped": True}
    hs = [str(k) for k in range(1, horizons + 1)]
    h = meta.get("h")
    if not isinstance(h, dict) or sorted(h, key=int) != hs:
        return None
    if draws.dtype.kind not in "iu" or draws.shape != (horizons, paths) or (draws < 0).any():
        return None
    out = {"origin": origin, "as_of": meta.get("as_of"), "h": {}}
    for i, k in enumerate(hs):
        cell = h[k]
        if not isinstance(cell, dict):
            return None
        fc, bl = cell.get("forecast"), cell.get("baselines")
        if not isinstance(fc, dict) or not isinstance(bl, dict):
            return None
        if sorted(fc) != sorted(_FORECAST_KEYS) or not all(
            _finite(v) and 0 <= v <= 1 for v in fc.values()
        ):
            return None
        for t in BINARY:
            b = bl.get(t)
            if not isinstance(b, dict) or sorted(b) != sorted(_BASELINE_KEYS):
                return None
            if not all(_finite(v) and 0 <= v <= 1 for v in b.values()):
                return None
        lb = bl.get("launches")
        if not isinstance(lb, dict) or sorted(lb) != sorted(_COUNT_KEYS):
            return None
        if not all(_finite(v) and v >= 0 for v in lb.values()):
            return None
        if sorted(bl) != sorted([*BINARY, "launches"]):
            return None
        out["h"][int(k)] = {
            "forecast": {t: float(v) for t, v in fc.items()},
            "baselines": bl,
            "launch_draws": draws[i].astype(np.int64),
        }
    return out


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
        f = d / f"{o}.npz"
        rec = None
        try:
            if f.is_file() and not f.is_symlink():
                rec = load_record(f.read_bytes()[: MAX_CACHE_BYTES + 1], str(o), MAX_H, TRACK_PATHS)
        except OSError:
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
                tmp = d / f".{o}.tmp"
                tmp.write_bytes(dump_record(rec))
                tmp.replace(f)
            except (OSError, ValueError):
                pass  # an unwritable cache only costs time
        if progress is not None:
            progress()
        if not rec.get("skipped"):
            out.append(rec)
    return out


class Combiner:
    """Per (event, horizon): the recalibration map (or None: the simulator alone), and per
    horizon the count mixture's weight and rolling-NB moments at D."""

    def __init__(self, coef: dict, count: dict, n_resolved: dict, episodes: dict, origin: str):
        self.coef, self.count = coef, count
        self.n_resolved, self.episodes = n_resolved, episodes
        self.origin = origin

    def prob(self, event: str, k: int, p_raw: float) -> tuple[float, float] | None:
        """Combined probability and its derivative with respect to the raw one (None when the
        event or horizon is not combined)."""
        t = EVENT_TARGET.get(event)
        if t is None or (t, k) not in self.coef:
            return None
        c = self.coef[(t, k)]
        return float(combine.recal_predict(c, p_raw)), combine.recal_slope(c, float(p_raw))

    def count_mix(self, k: int, draws: np.ndarray):
        """The k-month count mixture built from ``draws`` (one policy's simulated totals)."""
        c = self.count[k]
        return combine.count_mixture(draws, c["nb_mean"], c["nb_var"], c["weight"])

    def weights(self) -> dict:
        out: dict = {}
        for (t, k), c in self.coef.items():
            cell = {
                "method": combine.RULE if c is not None else "raw",
                "n_resolved": self.n_resolved[(t, k)],
                "episodes": self.episodes[(t, k)],
            }
            if c is not None:
                cell["intercept"] = round(float(c[0]), 6)
                cell["slope"] = round(float(np.exp(c[1])), 6)
            out.setdefault(t, {})[str(k)] = cell
        for k, c in self.count.items():
            out.setdefault("launches", {})[str(k)] = {"ensemble_weight": round(c["weight"], 6)}
        return out


def combiner(history: History, model: FittedModel, sim: Simulation, progress=None) -> Combiner:
    """Recalibration maps at the model's first forecast month from the track record (``sim``
    gives the horizon and the status quo's draws; the maps do not depend on it)."""
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
    combine_one(rec, records, ks, step=TRACK_STEP)
    coef, count, nres, eps = {}, {}, {}, {}
    for k in ks:
        w = rec["h"][k]["weights"]
        for t in BINARY:
            coef[(t, k)] = (
                None
                if w[t]["method"] == "raw"
                else np.array([w[t]["intercept"], np.log(w[t]["slope"])])
            )
            nres[(t, k)] = w[t]["n_resolved"]
            eps[(t, k)] = w[t]["episodes"]
        b = rec["h"][k]["baselines"]["launches"]
        count[k] = {
            "weight": float(w["launches"]["ensemble"]),
            "nb_mean": float(b["rolling_nb_mean"]),
            "nb_var": float(b["rolling_nb_var"]),
        }
    return Combiner(coef, count, nres, eps, str(D))


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


def apply(summary: dict, cmb: Combiner, sim: Simulation | None = None) -> dict:
    """Replace the summary's probabilities by the combined ones (raw kept beside them), made
    non-decreasing in the horizon; horizons beyond MAX_H keep the simulator's value. The count
    mixture is built from ``sim``'s own draws (the policy simulated), when given."""
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
                    "p": round(p, 6),
                    "se": round(abs(d) * cell["se"], 6),
                    "combined": True,
                }
            )
        _monotone(v)
    k = 12 if 12 in cmb.count else (max(cmb.count) if cmb.count else None)
    if k is not None and sim is not None and k <= sim.horizon:
        vals, wts = cmb.count_mix(k, sim.launches[:k].sum(axis=0))
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
        "method": "per event and horizon, a recalibration of the simulator's probability "
        "(logit p = a + b logit p_sim, b > 0; the same map for every policy) fitted on its "
        "resolved past forecasts only, or the simulator alone where they hold fewer than "
        f"{combine.MIN_EPISODES} episodes with and without the event "
        "(standoff.backtest.combine); counts: the policy's simulated draws mixed with the "
        "rolling negative binomial",
        "origin": cmb.origin,
        "track_record": {"from": TRACK_FROM, "step": TRACK_STEP, "paths": TRACK_PATHS},
        "max_combined_horizon": MAX_H,
        "weights": cmb.weights(),
    }
    return summary
