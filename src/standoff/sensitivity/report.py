"""HTML report and briefing section of a sensitivity run (Sobol bars, tornado charts).

Self-contained HTML (charts embedded as PNG), like the other standoff reports. Reads a
:class:`~standoff.sensitivity.analysis.SensitivityResult` (fresh, or stored and read back);
it never simulates.
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from standoff.errors import UsageError
from standoff.history.charts import figure_png, img_tag
from standoff.sensitivity.analysis import SensitivityResult, pair_name, pairs

e = html.escape
MAX_BARS = 10


def _pct(x) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{100 * x:.0f}%"


def _num(x, fmt="{:.2f}") -> str:
    return "–" if x is None or not np.isfinite(x) else fmt.format(x)


def _wrap(s: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(s, width)[:3])


def sobol_chart(res: SensitivityResult, output: str, series: list[str] | None = None) -> bytes:
    """Bars of the first-order and total Sobol indices (95% intervals), one panel per series
    (Morris: mu* with its interval and sigma)."""
    ind = res.indices[res.indices["output"] == output]
    series = series or list(dict.fromkeys(ind["series"]))
    sobol = res.spec["method"] == "sobol"
    fig, axes = plt.subplots(
        1, len(series), figsize=(3.2 * len(series) + 2.6, 0.42 * len(res.space) + 1.4), sharey=True
    )
    axes = np.atleast_1d(axes)
    labels = [_wrap(a.label) for a in res.space]
    y = np.arange(len(res.space))
    for ax, name in zip(axes, series, strict=True):
        d = ind[ind["series"] == name].set_index("key").reindex([a.key for a in res.space])
        if sobol:
            ax.barh(
                y - 0.2,
                d["S1"].clip(lower=0),
                0.4,
                xerr=d["S1_conf"],
                label="first order S1",
                color="#6baed6",
            )
            ax.barh(
                y + 0.2,
                d["ST"].clip(lower=0),
                0.4,
                xerr=d["ST_conf"],
                label="total ST",
                color="#08519c",
            )
            ax.set_xlim(0, 1.05)
        else:
            ax.barh(
                y - 0.2, d["mu_star"], 0.4, xerr=d["mu_star_conf"], label="mu*", color="#08519c"
            )
            ax.barh(y + 0.2, d["sigma"], 0.4, label="sigma", color="#9ecae1")
        ax.set_title(_wrap(name, 30), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, labels)
    axes[0].invert_yaxis()
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(
        f"Sobol indices of {output} (bars: 95% bootstrap intervals)"
        if sobol
        else f"Morris screening of {output}",
        fontsize=10,
    )
    fig.tight_layout()
    return figure_png(fig)


def tornado_chart(res: SensitivityResult, output: str, series: str) -> bytes:
    """Tornado: the mean of ``series`` when each assumption is in its lowest vs highest tenth
    of its range (from the sweep's own points), widest first."""
    d = res.tornado[(res.tornado["output"] == output) & (res.tornado["series"] == series)].copy()
    d["span"] = (d["high"] - d["low"]).abs()
    d = d.sort_values("span", ascending=True).tail(MAX_BARS)
    base = float(d["base"].iloc[0]) if len(d) else 0.0
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(d) + 1.3))
    y = np.arange(len(d))
    ax.barh(y, d["low"] - base, left=base, color="#fc9272", label="assumption in its lowest tenth")
    ax.barh(
        y, d["high"] - base, left=base, color="#6baed6", alpha=0.85, label="in its highest tenth"
    )
    ax.axvline(base, color="#333", lw=0.8)
    ax.set_yticks(y, [_wrap(s, 46) for s in d["label"]], fontsize=7)
    ax.set_xlabel(f"{series}: {output} (mean over the sweep {base:.3f})", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return figure_png(fig)


def _table(df: pd.DataFrame, headers: list[str]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def summary_rows(res: SensitivityResult) -> list[dict]:
    """Per output and policy pair: share where the later policy is better, top-3 total
    indices of the difference, and the assumptions that flip the ranking."""
    out = []
    col = "ST" if res.spec["method"] == "sobol" else "mu_star"
    for r in res.pair_table.itertuples(index=False):
        top = res.top(r.output, r.pair)
        fl = res.flips[
            (res.flips["output"] == r.output) & (res.flips["pair"] == r.pair) & res.flips["flips"]
        ]
        out.append(
            {
                "output": r.output,
                "pair": r.pair,
                "better": r.b,
                "than": r.a,
                "share_better": r.share_b_better,
                "share_clearly_better": r.share_b_clearly_better,
                "share_clearly_worse": r.share_a_clearly_better,
                "mean_diff": r.mean_diff,
                "mc_se": r.mc_se,
                "top": [(t.label, float(getattr(t, col))) for t in top.itertuples(index=False)],
                "flips": list(fl["label"]),
                "ranked": r.higher_is_better is not None and not pd.isna(r.higher_is_better),
            }
        )
    return out


def _pairs_html(res: SensitivityResult, outputs: list[str] | None = None) -> str:
    col = "ST" if res.spec["method"] == "sobol" else "mu*"
    rows = []
    for s in summary_rows(res):
        if outputs is not None and s["output"] not in outputs:
            continue
        verb = "better" if s["ranked"] else "higher"
        rows.append(
            f"<tr><td>{e(s['output'])}</td><td>{e(s['better'])} {verb} than {e(s['than'])}</td>"
            f"<td>{_pct(s['share_better'])}</td><td>{_pct(s['share_clearly_better'])} / {_pct(s['share_clearly_worse'])}</td>"
            f"<td>{s['mean_diff']:+.3f} (MC s.e. {s['mc_se']:.3f})</td>"
            f"<td>{'; '.join(f'{e(lb)} ({col} {v:.2f})' for lb, v in s['top']) or '–'}</td>"
            f"<td>{'; '.join(e(x) for x in s['flips']) or '–'}</td></tr>"
        )
    return (
        "<table><tr><th>output</th><th>comparison</th><th>share of the assumption space</th>"
        "<th>clearly better / clearly worse (beyond 2 MC s.e.)</th><th>mean difference</th>"
        f"<th>largest total indices of the difference</th><th>assumptions that flip the ranking</th></tr>{''.join(rows)}</table>"
    )


def _header(res: SensitivityResult) -> str:
    s = res.spec
    method = (
        f"Saltelli/Sobol, N = {s['n']} ({s['points']} points)"
        if s["method"] == "sobol"
        else f"Morris, {s['n']} trajectories ({s['points']} points)"
    )
    return (
        f"<p>Scenario <code>{e(s['scenario'])}</code>; policies {e(', '.join(s['policies']))}; "
        f"{method}; {s['paths']} simulated paths per policy and point, seed {s['seed']} (common random numbers "
        f"across points and policies){'; run ' + e(res.run_id) if res.run_id else ''}.</p>"
    )


def _assumptions_html(res: SensitivityResult) -> str:
    ranges = res.spec.get("ranges", {})
    df = pd.DataFrame(
        [
            {
                "assumption": a.label,
                "key": a.key,
                "value": f"{a.value:g}",
                "range": ranges.get(a.key) or a.dist.describe(),
                "rationale": a.rationale or "–",
            }
            for a in res.space
        ]
    )
    return _table(df, ["assumption", "key", "value", "plausible range", "rationale of the range"])


def render_report(res: SensitivityResult) -> str:
    s = res.spec
    parts = [
        f"<h1>How robust is the policy ranking? Sensitivity of {e(s['scenario'])}</h1>",
        _header(res),
    ]
    parts.append("<h2>Assumptions varied</h2>" + _assumptions_html(res))
    parts.append(
        "<h2>Summary</h2><p class='note'>For each pair: the share of the sampled assumption space in which the "
        "second policy does better (higher for talks, summits and agreements; lower for tests, collapses and war), "
        "the assumptions with the largest total Sobol index of the difference, and the assumptions whose range "
        "flips the ranking (better in under 40% of the points where the assumption is in the lowest third of its "
        "range and in over 60% where it is in the highest third, or the reverse).</p>"
        + _pairs_html(res)
    )
    outputs = list(dict.fromkeys(res.indices["output"]))
    for o in outputs:
        parts.append(f"<h2>{e(o)}</h2>")
        b = res.best[res.best["output"] == o]
        if len(b):
            parts.append(
                "<p>Share of the assumption space in which each policy is best: "
                + ", ".join(f"{e(r.policy)} {_pct(r.share)}" for r in b.itertuples(index=False))
                + ".</p>"
            )
        parts.append(img_tag(sobol_chart(res, o), f"Sobol indices of {o}"))
        for a, bb in pairs(s["policies"]):
            parts.append(
                img_tag(tornado_chart(res, o, pair_name(a, bb)), f"tornado {o} {pair_name(a, bb)}")
            )
        ind = res.indices[res.indices["output"] == o].copy()
        cols = (
            ["series", "label", "S1", "S1_conf", "ST", "ST_conf"]
            if s["method"] == "sobol"
            else ["series", "label", "mu_star", "mu_star_conf", "sigma"]
        )
        for c in cols[2:]:
            ind[c] = ind[c].map(_num)
        parts.append(
            "<details><summary>All indices</summary>" + _table(ind[cols], cols) + "</details>"
        )
    t = res.timing
    if t:
        parts.append(
            f"<p class='note'>Sweep: {t.get('tasks')} tasks ({t.get('tasks_resumed', 0)} resumed from the store) on "
            f"{e(str(t.get('backend')))} with {t.get('workers')} workers; {t.get('sweep_s')} s.</p>"
        )
    style = (
        "<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;font-size:12px;margin:.5em 0 1em;width:100%}"
        "th,td{border:1px solid #ddd;padding:3px 6px;vertical-align:top;text-align:left}th{background:#f4f4f4}"
        ".note{font-size:12px;color:#555}img{display:block;margin:.5em 0}</style>"
    )
    title = f"standoff sensitivity: {s['scenario']}"
    return f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>{style}</head><body>{''.join(parts)}</body></html>\n"


def write_report(res: SensitivityResult, path: str | Path) -> Path:
    """Write the report to ``path`` atomically (nothing half-written)."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--report: expected a path ending in .html, got {str(path)!r}")
    if not path.parent.exists():
        raise UsageError(f"--report: directory {str(path.parent)!r} does not exist")
    text = render_report(res)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def briefing_section(res: SensitivityResult) -> str:
    """Briefing fragment: how robust the ranking is to the assumptions (from a stored result)."""
    s = res.spec
    diffs = [pair_name(a, b) for a, b in pairs(s["policies"])]
    last = diffs[-1]  # the comparison of the last two policies named
    charts = "".join(
        img_tag(sobol_chart(res, o, diffs), f"Sobol indices of {o}")
        + img_tag(tornado_chart(res, o, last), f"tornado {o} {last}")
        for o in dict.fromkeys(res.indices["output"])
    )
    return (
        "<h2>Robustness of the policy ranking</h2>"
        + _header(res)
        + "<p>Each comparison below holds across the share of the plausible assumption space shown; the "
        "assumptions named last can reverse it (see <code>standoff scenario show</code> for every range and "
        "its rationale, and <code>standoff sensitivity --report</code> for the tornado charts).</p>"
        + _pairs_html(res)
        + charts
    )


def stored_briefing_section(scenario, db: str | Path | None = None) -> str:
    """The briefing fragment of the latest stored sensitivity run of this version of
    ``scenario`` ("" if none)."""
    from standoff.sensitivity.analysis import summary_subject
    from standoff.store.duckdb_store import results_db_path
    from standoff.sweep.store import latest_summary

    path = Path(db) if db is not None else results_db_path()
    d = latest_summary(path, "sensitivity", summary_subject(scenario))
    return "" if d is None else briefing_section(SensitivityResult.from_dict(d))
