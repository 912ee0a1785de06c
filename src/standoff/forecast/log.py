"""The forecast log: recorded runs, what changed between two runs, and a live track record.

``standoff forecast --record`` stores each run in the results store (``results.duckdb``
beside the history store) in two tables of its own:

* ``forecast_log_runs``: run id, time recorded, vintage, data fingerprint, code version,
  the request (scenario, as-of date, policy, horizon, paths, seed) and the first forecast month;
* ``forecast_log_probs``: one row per (run, event, horizon): probability, Monte Carlo s.e.
  and the climatology of that event over the same window length as of the same date.

The probabilities are read generically from the forecast summary (every ``events[e][k]``
with a ``p``), so new events or horizons are recorded without changing this module.

:func:`diff` attributes the move between two runs: with the current code it re-runs the
older request on the older vintage and the newer request on the newer vintage (same seeds);
the difference between those two is the **data** effect (new vintage, later as-of date), and
the rest of the total move is the **code/model** effect. When a run was recorded with the
current code its stored probabilities are used as they are (no re-run). The old code itself
cannot be re-run (only its version is recorded), so the code effect is "everything not
explained by the data under today's code".

:func:`scores` scores every recorded probability whose window has closed and is covered by
the scored vintage (default: the latest): Brier score and log score, against the recorded
climatology (a fair, as-of baseline computed when the forecast was made).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from standoff.errors import UsageError

RUNS = "forecast_log_runs"
PROBS = "forecast_log_probs"
#: monthly panel column observed for each forecast event (war: never observed, not scored)
EVENT_COLUMNS = {
    "launch": "launches",
    "nuclear": "nuclear_tests",
    "icbm": "launches_icbm",
    "resolution": "sanctions_resolutions",
    "talks": "talks_held",
    "summit": "summit_us_rok",
    "agreement_signed": "agreements_signed",
    "agreement_collapse": "collapses",
}
_EPS = 1e-6


def probabilities_frame(out: dict) -> pd.DataFrame:
    """(event, label, horizon, p, se) from a forecast summary, whatever events it has."""
    rows = []
    for e, v in (out.get("events") or {}).items():
        if not isinstance(v, dict):
            continue
        for k, x in v.items():
            if isinstance(x, dict) and "p" in x and str(k).isdigit():
                rows.append(
                    {
                        "event": str(e),
                        "label": v.get("label", e),
                        "horizon": int(k),
                        "p": float(x["p"]),
                        "se": float(x.get("se", np.nan)),
                    }
                )
    return pd.DataFrame(rows, columns=["event", "label", "horizon", "p", "se"])


def climatology(panel: pd.DataFrame, event: str, h: int, before: str) -> float | None:
    """Share of covered h-month windows ending before month ``before`` with the event,
    smoothed (k + 0.5) / (n + 1) (the backtest's climatology)."""
    col = EVENT_COLUMNS.get(event)
    if col is None or col not in panel:
        return None
    x = panel.loc[panel["month"] < before, col].astype("Float64").to_numpy(float, na_value=np.nan)
    if len(x) < h:
        return None
    w = np.lib.stride_tricks.sliding_window_view(x, h).sum(axis=1)
    w = w[np.isfinite(w)]
    return float(((w > 0).sum() + 0.5) / (len(w) + 1.0))


def record(
    out: dict,
    db: str | Path,
    *,
    history,
    request: dict,
    code_version: str | None = None,
) -> str:
    """Store a forecast run (one transaction); returns its run id."""
    from standoff.backtest.report import code_version as _code_version
    from standoff.backtest.report import data_version

    probs = probabilities_frame(out)
    if probs.empty:
        raise UsageError("--record: the forecast has no probabilities to record")
    view = history.as_of(out["as_of"])
    panel = view.monthly
    first = str(out["first_month"])
    probs["climatology"] = [
        climatology(panel, e, int(h), first)
        for e, h in zip(probs["event"], probs["horizon"], strict=True)
    ]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    run = {
        "recorded_at": now,
        "vintage": history.vintage or history.origin,
        "data_version": data_version(history),
        "code_version": code_version or _code_version(),
        "scenario": request.get("scenario"),
        "as_of": str(out["as_of"]),
        "as_of_given": request.get("as_of_given"),
        "policy": out.get("policy"),
        "horizon": int(out.get("horizon", 0)),
        "paths": int(out.get("paths", 0)),
        "seed": int(out["seed"]),
        "first_month": first,
        "request": json.dumps(request, sort_keys=True, default=str),
    }
    run_id = hashlib.sha256(json.dumps(run, sort_keys=True).encode()).hexdigest()[:12]
    from standoff.store.results import write_run

    write_run(Path(db), RUNS, {"run_id": run_id, **run}, {PROBS: probs})
    return run_id


def runs(db: str | Path) -> pd.DataFrame:
    """Recorded runs, oldest first (empty when none)."""
    from standoff.store.duckdb_store import file_kind
    from standoff.store.results import open_results

    db = Path(db)
    if file_kind(db) in ("missing", "empty"):
        return pd.DataFrame()
    with open_results(db) as con:
        have = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if RUNS not in have or PROBS not in have:
            return pd.DataFrame()
        return con.execute(f"SELECT * FROM {RUNS} ORDER BY recorded_at, run_id").df()


def probabilities(db: str | Path, run_ids: list[str] | None = None) -> pd.DataFrame:
    from standoff.store.results import open_results

    with open_results(Path(db)) as con:
        q = f"SELECT * FROM {PROBS}"
        if run_ids is None:
            return con.execute(q).df()
        return con.execute(q + " WHERE list_contains(?::VARCHAR[], run_id)", [run_ids]).df()


def _pick(rs: pd.DataFrame, ref: str | None, default_index: int, name: str) -> pd.Series:
    if ref is None:
        return rs.iloc[default_index]
    hits = rs[rs["run_id"].str.startswith(ref)]
    if len(hits) != 1:
        known = ", ".join(rs["run_id"].tolist()[-8:])
        raise UsageError(
            f"{name}: {'ambiguous' if len(hits) else 'unknown'} run {ref!r} (recent runs: {known})"
        )
    return hits.iloc[0]


def _rerun(run: pd.Series, vintage_root: Path) -> pd.DataFrame | None:
    """The run's request re-run with the current code on the run's vintage (None if impossible)."""
    from standoff.forecast.summary import run_forecast
    from standoff.history.core import History
    from standoff.history.vintages import resolve

    req = json.loads(run["request"])
    try:
        v = resolve(vintage_root, run["vintage"])
    except Exception:  # the vintage is gone (or was a --history directory)
        return None
    h = History.load(v.tables_dir, store=False)
    h.vintage, h.vintage_root = v.id, vintage_root
    scn = None
    if req.get("scenario"):
        from standoff.scenario import load_scenario

        try:
            scn = load_scenario(req["scenario"])
        except Exception:
            return None
    out, _, _ = run_forecast(
        h,
        scn,
        run["as_of"],
        run["policy"],
        int(run["horizon"]),
        int(run["paths"]),
        int(run["seed"]),
        raw=bool(req.get("raw", False)),
    )
    return probabilities_frame(out)


def diff(
    db: str | Path,
    run_a: str | None = None,
    run_b: str | None = None,
    *,
    vintage_root: Path | None = None,
    attribute: bool = True,
) -> dict:
    """How each probability moved from run A to run B, with the data and code effects."""
    from standoff.backtest.report import code_version

    rs = runs(db)
    if len(rs) < (2 if run_a is None or run_b is None else 1):
        raise UsageError(
            f"forecast diff: needs two recorded runs, found {len(rs)} (record with: standoff forecast --record)"
        )
    a = _pick(rs, run_a, -2, "RUN_A")
    b = _pick(rs, run_b, -1, "RUN_B")
    pa = probabilities(db, [a["run_id"]]).set_index(["event", "horizon"])
    pb = probabilities(db, [b["run_id"]]).set_index(["event", "horizon"])
    both = pa.index.intersection(pb.index, sort=False)
    cur_code = code_version()
    same_code = a["code_version"] == b["code_version"] == cur_code
    same_data = a["vintage"] == b["vintage"] and a["as_of"] == b["as_of"]
    ca = cb = None
    how = None
    if attribute and not same_code and vintage_root is not None:
        ca = pa[["p"]] if a["code_version"] == cur_code else _as_index(_rerun(a, vintage_root))
        cb = pb[["p"]] if b["code_version"] == cur_code else _as_index(_rerun(b, vintage_root))
        how = "re-run with the current code on each run's vintage and as-of date (same seeds)"
    rows = []
    for key in both:
        e, h = key
        p0, p1 = float(pa.loc[key, "p"]), float(pb.loc[key, "p"])
        se = float(np.sqrt(pa.loc[key, "se"] ** 2 + pb.loc[key, "se"] ** 2))
        total = p1 - p0
        if same_code:
            data_eff, code_eff = total, 0.0
        elif ca is not None and cb is not None and key in ca.index and key in cb.index:
            data_eff = float(cb.loc[key, "p"]) - float(ca.loc[key, "p"])
            code_eff = total - data_eff
        else:
            data_eff = code_eff = None
        rows.append(
            {
                "event": e,
                "label": pb.loc[key, "label"],
                "horizon": int(h),
                "p_a": p0,
                "p_b": p1,
                "change": total,
                "se": se,
                "data_effect": data_eff,
                "code_effect": code_eff,
            }
        )
    if same_code and same_data:
        note = "same code, vintage and as-of date: the change is Monte Carlo noise" + (
            " (different seeds)" if a["seed"] != b["seed"] else " (none: same seed)"
        )
    elif same_code:
        note = "same code: the whole change is new data (vintage and as-of date)"
    elif how and ca is not None and cb is not None:
        note = f"code changed: data effect from a {how}; code effect = the rest"
    else:
        note = "code changed and a run's vintage or scenario is no longer available: not attributed"
    keep = [
        "run_id",
        "recorded_at",
        "vintage",
        "code_version",
        "as_of",
        "first_month",
        "seed",
        "paths",
    ]
    return {
        "run_a": {k: _py(a[k]) for k in keep},
        "run_b": {k: _py(b[k]) for k in keep},
        "attribution": note,
        "changes": rows,
    }


def _as_index(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if df is None or df.empty else df.set_index(["event", "horizon"])


def _py(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def scores(db: str | Path, history) -> dict:
    """Score the recorded forecasts whose windows have closed in ``history`` (a vintage)."""
    rs = runs(db)
    empty = {
        "vintage": history.vintage or history.origin,
        "n_runs": len(rs),
        "scores": [],
        "forecasts": [],
    }
    if rs.empty:
        return empty
    probs = probabilities(db)
    panel = history.monthly.set_index("month")
    rs = rs.set_index("run_id")
    rows = []
    pending = 0
    for _, r in probs.iterrows():
        col = EVENT_COLUMNS.get(r["event"])
        run = rs.loc[r["run_id"]]
        start = pd.Period(run["first_month"], freq="M")
        months = [str(start + i) for i in range(int(r["horizon"]))]
        if col is None or col not in panel:
            continue  # never observed (war): reported by the forecast, not scored
        vals = panel[col].reindex(months).astype("Float64").to_numpy(float, na_value=np.nan)
        if np.isnan(vals).any():
            pending += 1
            continue  # window not closed, or not covered by this vintage
        y = float(np.nansum(vals) > 0)
        p = float(np.clip(r["p"], _EPS, 1 - _EPS))
        c = r["climatology"]
        c = None if c is None or pd.isna(c) else float(c)
        rows.append(
            {
                "run_id": r["run_id"],
                "recorded_at": run["recorded_at"],
                "as_of": run["as_of"],
                "vintage": run["vintage"],
                "event": r["event"],
                "horizon": int(r["horizon"]),
                "window": f"{months[0]}..{months[-1]}",
                "p": float(r["p"]),
                "observed": y,
                "brier": (float(r["p"]) - y) ** 2,
                "log": -np.log(p if y else 1 - p),
                "climatology": c,
                "brier_climatology": None if c is None else (c - y) ** 2,
            }
        )
    df = pd.DataFrame(rows)
    table = []
    if not df.empty:
        for (e, h), g in df.groupby(["event", "horizon"], sort=True):
            bc = g["brier_climatology"].dropna()
            table.append(
                {
                    "event": e,
                    "horizon": int(h),
                    "n": int(len(g)),
                    "events": int(g["observed"].sum()),
                    "brier": float(g["brier"].mean()),
                    "log": float(g["log"].mean()),
                    "brier_climatology": float(bc.mean()) if len(bc) == len(g) else None,
                    "skill_vs_climatology": (
                        1 - float(g["brier"].mean()) / float(bc.mean())
                        if len(bc) == len(g) and bc.mean() > 0
                        else None
                    ),
                }
            )
    return {
        **empty,
        "n_scored": int(len(df)),
        "n_pending": pending,
        "scores": table,
        "forecasts": df.to_dict(orient="records"),
    }
