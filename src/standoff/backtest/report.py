"""The backtest's HTML report and its record in the DuckDB store.

``render_report(result)`` gives a self-contained page: the score table per target (the
combined forecast, the raw simulator and the baselines, skill with its stationary-bootstrap
interval, AUC, recalibration slope), the count scores, reliability diagrams
with the Murphy decomposition, and the score over time. ``store_result`` writes the run to
the DuckDB store (tables ``backtest_runs``, ``backtest_scores``, ``backtest_forecasts``) with
the code version, the data version and the seed, so that two versions can be compared.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from standoff.backtest.core import BINARY
from standoff.errors import DataError, UsageError
from standoff.history.charts import figure_png, img_tag
from standoff.history.schema import to_csv_text
from standoff.labels import target
from standoff.templates import render


def code_version() -> str:
    """Package version plus a hash of the package's Python sources."""
    import standoff

    root = Path(str(resources.files("standoff")))
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return f"{standoff.__version__}+{h.hexdigest()[:12]}"


def data_version(history) -> str:
    """Hash of the history tables the backtest read."""
    h = hashlib.sha256()
    for name in sorted(history.tables):
        h.update(name.encode())
        h.update(to_csv_text(name, history.tables[name]).encode())
    return h.hexdigest()[:16]


def forecast_frame(result: dict) -> pd.DataFrame:
    """One row per (origin, target, horizon): model forecast, baselines and outcome."""
    rows = []
    for r in result["records"]:
        for h, v in r["h"].items():
            for t in BINARY:
                obs = v["observed"][t]
                rows.append(
                    {
                        "origin": r["origin"],
                        "target": target(t),
                        "h": int(h),
                        "forecast": v["combined"][t],
                        "climatology": v["baselines"][t]["climatology"],
                        "persistence": v["baselines"][t]["persistence"],
                        "forecast_raw": v["forecast"][t],
                        "rolling_climatology": v["baselines"][t]["rolling_climatology"],
                        "markov": v["baselines"][t]["markov"],
                        "observed": None if not np.isfinite(obs) else float(obs > 0),
                    }
                )
    return pd.DataFrame(rows)


def _reliability_chart(ff: pd.DataFrame, h: int, murphy_fn) -> plt.Figure:
    targets = list(BINARY)
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.4))
    for ax, t in zip(axes.ravel(), [*targets, None], strict=False):
        if t is None:
            ax.axis("off")
            continue
        d = ff[ff["target"].isin([t, target(t)]) & (ff["h"] == h) & ff["observed"].notna()]
        ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
        for col, colour in (("forecast", "#1f3b73"), ("rolling_climatology", "#dd8452")):
            m = murphy_fn(d[col].to_numpy(float), d["observed"].to_numpy(float))
            if m.get("n"):
                pts = pd.DataFrame(m["diagram"])
                ax.plot(
                    pts["forecast"],
                    pts["observed"],
                    marker="o",
                    color=colour,
                    label="standoff" if col == "forecast" else "rolling climatology",
                )
        ax.set_title(f"{target(t)} (n={len(d)})", fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, frameon=False)
    fig.supxlabel("forecast probability (bin mean)", fontsize=9)
    fig.supylabel("observed frequency", fontsize=9)
    fig.suptitle(f"Reliability diagrams, {h}-month targets", fontsize=10)
    fig.tight_layout()
    return fig


def _over_time_chart(ff: pd.DataFrame, h: int) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(12, 3.6))
    d = ff[(ff["h"] == h) & ff["observed"].notna()].copy()
    d["bs_model"] = (d["forecast"] - d["observed"]) ** 2
    d["bs_clim"] = (d["rolling_climatology"] - d["observed"]) ** 2
    g = d.groupby("origin")[["bs_model", "bs_clim"]].mean()
    x = pd.PeriodIndex(g.index, freq="M").to_timestamp()
    roll = g.rolling(24, min_periods=6).mean()
    ax.plot(x, roll["bs_model"], label="standoff", color="#1f3b73")
    ax.plot(x, roll["bs_clim"], label="rolling climatology", color="#dd8452")
    ax.set_ylabel("Brier, mean over targets (24-origin rolling)")
    ax.set_title(f"Score over time ({h}-month binary targets; lower is better)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def render_report(result: dict) -> str:
    """The self-contained HTML report (template ``backtest_report.html``)."""
    from standoff.backtest.scores import murphy

    ff = forecast_frame(result)
    horizons = []
    for h in result["horizons"]:
        hs = str(h)
        rows = []
        for t in BINARY:
            s = result["scores"].get(t, {}).get(hs)
            if not s or not s.get("n"):
                continue
            skill = []
            for b in BASES:
                sk = s["skill"][b]
                lo, hi = sk["skill_interval"]
                beats = "yes" if lo > 0 else ("no" if hi < 0 else "unclear")
                skill.append({"skill": sk["skill"], "lo": lo, "hi": hi, "beats": beats})
            rows.append(
                {
                    "target": target(t),
                    "n": s["n"],
                    "events": s["events"],
                    "episodes": s["episodes"],
                    "brier": [s["brier"][m] for m in ("standoff", "standoff_raw")],
                    "skill": skill,
                    "auc": [s["auc"][m] for m in ("standoff", "standoff_raw")],
                    "slope": [s["recalibration"][m]["slope"] for m in ("standoff", "standoff_raw")],
                    "murphy": s.get("murphy", {}).get("standoff"),
                }
            )
        count = None
        c = result["scores"].get("launches", {}).get(hs)
        if c and c.get("n"):
            sk = c["skill"]["intercept"]
            lo, hi = sk["skill_interval"]
            sr = c["skill"]["rolling_nb"]
            lo2, hi2 = sr["skill_interval"]
            count = {
                **c,
                "skill": sk["skill"],
                "lo": lo,
                "hi": hi,
                "skill_rnb": sr["skill"],
                "lo_rnb": lo2,
                "hi_rnb": hi2,
            }
        horizons.append(
            {
                "h": h,
                "rows": rows,
                "count": count,
                "war": result["war"][hs],
                "reliability": img_tag(
                    figure_png(_reliability_chart(ff, h, murphy)), "reliability diagrams"
                ),
                "over_time": img_tag(figure_png(_over_time_chart(ff, h)), "score over time"),
            }
        )
    return render(
        "backtest_report.html",
        title="standoff track record",
        r=result,
        horizons=horizons,
        bases=[BASE_LABELS[b] for b in BASES],
    )


BASES = ("climatology", "rolling_climatology", "markov", "persistence")
BASE_LABELS = {
    "climatology": "climatology",
    "rolling_climatology": "rolling climatology",
    "markov": "Markov persistence",
    "persistence": "persistence",
}


def write_report(result: dict, path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--report: expected a path ending in .html, got {str(path)!r}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(render_report(result), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(f"--report: cannot write {path} ({exc.strerror})") from None
    return path


_SCORE_COLUMNS = ["run_id", "target", "h", "model", "metric", "value", "n"]


def store_result(result: dict, db_path: str | Path) -> str:
    """Append the run to the results store in one transaction (see
    :func:`standoff.store.results.write_run`); returns its run id."""
    run = {
        k: result.get(k)
        for k in (
            "code_version",
            "data_version",
            "vintage",
            "seed",
            "paths",
            "refit",
            "step",
            "seconds",
        )
    }
    run["origins_from"], run["origins_to"] = result["origins"][0], result["origins"][-1]
    run["horizons"] = ",".join(map(str, result["horizons"]))
    run_id = hashlib.sha256(json.dumps(run, sort_keys=True, default=str).encode()).hexdigest()[:16]
    scores = []
    for t, per_h in result["scores"].items():
        for h, s in per_h.items():
            if not s.get("n"):
                continue
            for metric in ("brier", "log", "crps"):
                for model, v in s.get(metric, {}).items():
                    scores.append(
                        {
                            "run_id": run_id,
                            "target": target(t),
                            "h": int(h),
                            "model": model,
                            "metric": metric,
                            "value": float(v),
                            "n": int(s["n"]),
                        }
                    )
            for base, sk in s.get("skill", {}).items():
                scores.append(
                    {
                        "run_id": run_id,
                        "target": target(t),
                        "h": int(h),
                        "model": f"skill_vs_{base}",
                        "metric": "skill",
                        "value": float(sk["skill"]),
                        "n": int(s["n"]),
                    }
                )
    from standoff.store.results import write_run

    write_run(
        db_path,
        "backtest_runs",
        {"run_id": run_id, **run},
        {
            "backtest_scores": pd.DataFrame(scores, columns=_SCORE_COLUMNS),
            "backtest_forecasts": forecast_frame(result),
        },
    )
    return run_id


def latest_run_section(history, report_link: str | None = None, db: Path | None = None) -> str:
    """Briefing fragment: the latest stored backtest on this data version, if any."""
    from standoff.store.duckdb_store import results_db_path
    from standoff.store.results import latest_complete_run, read_run_rows

    db = Path(db) if db is not None else results_db_path()
    dv = data_version(history)
    try:
        run = latest_complete_run(
            db, "backtest_runs", {"data_version": dv}, require=("backtest_scores",)
        )
        if run is None:
            return ""
        sc = read_run_rows(db, "backtest_scores", run["run_id"])
    except DataError as exc:
        from html import escape

        return f"<p>The track record cannot be shown: {escape(str(exc))}</p>"
    sc = sc[sc["h"] == 12]
    if sc.empty:
        return ""
    r = run
    rows = []
    for t in [*BINARY, "launches"]:
        d = sc[sc["target"].isin([t, target(t)])]  # stored by name (older runs) or label
        if d.empty:
            continue
        metric = "crps" if t == "launches" else "brier"
        val = d[d["metric"] == metric].set_index("model")["value"]
        sk = d[d["metric"] == "skill"].set_index("model")["value"]
        base = "rolling_nb" if t == "launches" else "rolling_climatology"
        rows.append(
            {
                "target": target(t),
                "metric": metric,
                "standoff": val.get("standoff", float("nan")),
                "baseline": val.get(base, float("nan")),
                "skill_base": sk.get("skill_vs_" + base),
                "skill_persistence": sk.get("skill_vs_markov"),
            }
        )
    run_info = {
        "origins_from": str(r["origins_from"]),
        "origins_to": str(r["origins_to"]),
        "paths": int(r["paths"]),
        "seed": int(r["seed"]),
        "code_version": str(r["code_version"]),
        "data_version": str(r["data_version"]),
    }
    from standoff.limits import check_link

    report_link = check_link(report_link)  # no javascript:/data: links into the page
    return render("sections/track_record.html", run=run_info, rows=rows, report_link=report_link)
