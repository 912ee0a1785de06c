"""The backtest's HTML report and its record in the DuckDB store.

``render_report(result)`` gives a self-contained page: the score table per target (model and
baselines, skill with its block-bootstrap interval), the count scores, reliability diagrams
with the Murphy decomposition, and the score over time. ``store_result`` writes the run to
the DuckDB store (tables ``backtest_runs``, ``backtest_scores``, ``backtest_forecasts``) with
the code version, the data version and the seed, so that two versions can be compared.
"""

from __future__ import annotations

import hashlib
import html
import json
from importlib import resources
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from standoff.backtest.core import BINARY
from standoff.errors import UsageError
from standoff.history.charts import figure_png, img_tag
from standoff.history.schema import to_csv_text

e = html.escape


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
                        "target": t,
                        "h": int(h),
                        "forecast": v["forecast"][t],
                        "climatology": v["baselines"][t]["climatology"],
                        "persistence": v["baselines"][t]["persistence"],
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
        d = ff[(ff["target"] == t) & (ff["h"] == h) & ff["observed"].notna()]
        ax.plot([0, 1], [0, 1], color="#999", lw=0.8, ls="--")
        for col, colour in (("forecast", "#1f3b73"), ("climatology", "#dd8452")):
            m = murphy_fn(d[col].to_numpy(float), d["observed"].to_numpy(float))
            if m.get("n"):
                pts = pd.DataFrame(m["diagram"])
                ax.plot(
                    pts["forecast"],
                    pts["observed"],
                    marker="o",
                    color=colour,
                    label="standoff" if col == "forecast" else "climatology",
                )
        ax.set_title(f"{t} (n={len(d)})", fontsize=9)
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
    d["bs_clim"] = (d["climatology"] - d["observed"]) ** 2
    g = d.groupby("origin")[["bs_model", "bs_clim"]].mean()
    x = pd.PeriodIndex(g.index, freq="M").to_timestamp()
    roll = g.rolling(24, min_periods=6).mean()
    ax.plot(x, roll["bs_model"], label="standoff", color="#1f3b73")
    ax.plot(x, roll["bs_clim"], label="climatology", color="#dd8452")
    ax.set_ylabel("Brier, mean over targets (24-origin rolling)")
    ax.set_title(f"Score over time ({h}-month binary targets; lower is better)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def render_report(result: dict) -> str:
    from standoff.backtest.scores import murphy

    ff = forecast_frame(result)
    parts = [
        f"<p>{result['n_forecast']} origins from {e(result['origins'][0])} to {e(result['origins'][-1])}, "
        f"horizons {e(', '.join(map(str, result['horizons'])))} months, {result['paths']} paths, seed "
        f"{result['seed']}, refit {e(result['refit'])}; {result['seconds']:.0f} s "
        f"({result['seconds_per_origin']:.2f} s per origin). Code {e(result.get('code_version', ''))}, "
        f"data {e(result.get('data_version', ''))} (vintage {e(str(result.get('vintage', '–')))}).</p>"
    ]
    for h in result["horizons"]:
        hs = str(h)
        rows = []
        for t in BINARY:
            s = result["scores"].get(t, {}).get(hs)
            if not s or not s.get("n"):
                continue
            cells = [f"<td>{e(t)}</td><td>{s['n']}</td><td>{s['events']}</td>"]
            cells += [
                f"<td>{s['brier'][m]:.3f}</td>" for m in ("standoff", "climatology", "persistence")
            ]
            for b in ("climatology", "persistence"):
                sk = s["skill"][b]
                lo, hi = sk["skill_interval"]
                beats = "yes" if lo > 0 else ("no" if hi < 0 else "unclear")
                cells.append(f"<td>{sk['skill']:+.2f} [{lo:+.2f}, {hi:+.2f}] ({beats})</td>")
            m = s.get("murphy", {}).get("standoff")
            if m:
                cells.append(
                    f"<td>{m['reliability']:.3f} / {m['resolution']:.3f} / {m['uncertainty']:.3f}</td>"
                )
            rows.append("<tr>" + "".join(cells) + "</tr>")
        parts.append(
            f"<h3>{h}-month binary targets</h3><table><thead><tr><th>target</th><th>n</th><th>events</th>"
            "<th>Brier standoff</th><th>climatology</th><th>persistence</th>"
            "<th>skill vs climatology [90%]</th><th>skill vs persistence [90%]</th>"
            "<th>Murphy: reliability / resolution / uncertainty</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
        c = result["scores"].get("launches", {}).get(hs)
        if c and c.get("n"):
            sk = c["skill"]["intercept"]
            lo, hi = sk["skill_interval"]
            parts.append(
                f"<p><b>Launch count ({h} months)</b>: CRPS standoff {c['crps']['standoff']:.2f}, "
                f"intercept-only {c['crps']['intercept']:.2f}; skill {sk['skill']:+.2f} [{lo:+.2f}, {hi:+.2f}]; "
                f"coverage of the 50% interval {c['coverage']['50']:.0%}, of the 90% interval "
                f"{c['coverage']['90']:.0%} (n = {c['n']}).</p>"
            )
        w = result["war"][hs]
        parts.append(
            f"<p><b>War</b>: mean forecast {100 * w['mean_forecast']:.2f}% within {h} months; not scored: "
            f"{e(w['why'])}.</p>"
        )
        parts.append(img_tag(figure_png(_reliability_chart(ff, h, murphy)), "reliability diagrams"))
        parts.append(img_tag(figure_png(_over_time_chart(ff, h)), "score over time"))
    body = "".join(parts)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>standoff track record</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:12px;width:100%}th,td{border:1px solid #ddd;padding:3px 6px}"
        "th{background:#f4f4f4}</style></head><body><h1>standoff: rolling-origin track record</h1>"
        "<p>Each origin's forecast reads only the history as of the end of the previous month; baselines "
        "(climatology: expanding-window base rate; persistence: did it happen in the last h months; "
        "intercept-only count model) are scored on exactly the same origins. Skill = 1 - Brier(standoff) / "
        "Brier(baseline); intervals are 90% moving-block bootstrap intervals over origins.</p>"
        f"{body}</body></html>"
    )


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


def store_result(result: dict, db_path: str | Path) -> str:
    """Append the run to the DuckDB store; returns its run id."""
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
                            "target": t,
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
                        "target": t,
                        "h": int(h),
                        "model": f"skill_vs_{base}",
                        "metric": "skill",
                        "value": float(sk["skill"]),
                        "n": int(s["n"]),
                    }
                )
    ff = forecast_frame(result).assign(run_id=run_id)
    runs = pd.DataFrame([{"run_id": run_id, **run}])
    try:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(db_path)) as con:
            for name, df in (
                ("backtest_runs", runs),
                ("backtest_scores", pd.DataFrame(scores)),
                ("backtest_forecasts", ff),
            ):
                con.register("_df", df)
                con.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM _df LIMIT 0")
                _add_missing_columns(con, name, df)
                con.execute(f"DELETE FROM {name} WHERE run_id = ?", [run_id])
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _df")
                con.unregister("_df")
    except (duckdb.Error, OSError) as exc:
        raise UsageError(f"{db_path}: cannot store the backtest ({exc})") from None
    return run_id


def _add_missing_columns(con, name: str, df: pd.DataFrame) -> None:
    """A store written by an older version lacks newer columns (e.g. ``vintage``): add them."""
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
        ).fetchall()
    }
    for c in df.columns:
        if c not in have:
            con.execute(f'ALTER TABLE {name} ADD COLUMN "{c}" VARCHAR')


def _num(v) -> str:
    return "-" if v is None or not np.isfinite(v) else f"{v:+.2f}"


def latest_run_section(history, report_link: str | None = None, db: Path | None = None) -> str:
    """Briefing fragment: the latest stored backtest on this data version, if any."""
    from standoff.store.duckdb_store import results_db_path

    db = Path(db) if db is not None else results_db_path()
    if not db.exists():
        return ""
    dv = data_version(history)
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            run = con.execute(
                "SELECT * FROM backtest_runs WHERE data_version = ? ORDER BY rowid DESC LIMIT 1",
                [dv],
            ).df()
            if run.empty:
                return ""
            rid = run["run_id"].iloc[0]
            sc = con.execute(
                "SELECT * FROM backtest_scores WHERE run_id = ? AND h = 12", [rid]
            ).df()
    except duckdb.Error:
        return ""
    if sc.empty:
        return ""
    r = run.iloc[0]
    rows = []
    for t in [*BINARY, "launches"]:
        d = sc[sc["target"] == t]
        if d.empty:
            continue
        metric = "crps" if t == "launches" else "brier"
        val = d[d["metric"] == metric].set_index("model")["value"]
        sk = d[d["metric"] == "skill"].set_index("model")["value"]
        base = "intercept" if t == "launches" else "climatology"
        rows.append(
            f"<tr><td>{e(t)}</td><td>{metric}</td><td>{val.get('standoff', float('nan')):.3f}</td>"
            f"<td>{val.get(base, float('nan')):.3f}</td>"
            f"<td>{_num(sk.get('skill_vs_' + base))}</td>"
            f"<td>{_num(sk.get('skill_vs_persistence'))}</td></tr>"
        )
    link = f" Full report: <a href='{e(report_link)}'>{e(report_link)}</a>." if report_link else ""
    return (
        f"<p>Rolling-origin backtest, origins {e(str(r['origins_from']))} to {e(str(r['origins_to']))}, "
        f"{int(r['paths'])} paths, seed {int(r['seed'])}, code {e(str(r['code_version']))}, data "
        f"{e(str(r['data_version']))}. Skill = 1 - score / baseline score (12-month targets).{link}</p>"
        "<table><thead><tr><th>target</th><th>score</th><th>standoff</th><th>baseline</th>"
        "<th>skill vs climatology / intercept</th><th>skill vs persistence</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
