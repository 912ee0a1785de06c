"""HTML report and briefing section of a sensitivity run (Sobol bars, tornado charts).

Self-contained HTML (charts embedded as PNG), like the other standoff reports. Reads a
:class:`~standoff.sensitivity.analysis.SensitivityResult` (fresh, or stored and read back);
it never simulates.
"""

from __future__ import annotations

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
from standoff.templates import render

MAX_BARS = 10


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
    return figure_png(fig, dpi=80)


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
    return figure_png(fig, dpi=80)


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
        ranked = r.higher_is_better is not None and not pd.isna(r.higher_is_better)
        out.append(
            {
                "output": r.output,
                "pair": r.pair,
                "better": r.b,
                "than": r.a,
                "verb": "better" if ranked else "higher",
                "share_better": r.share_b_better,
                "share_clearly_better": r.share_b_clearly_better,
                "share_clearly_worse": r.share_a_clearly_better,
                "mean_diff": r.mean_diff,
                "mc_se": r.mc_se,
                "top": [(t.label, float(getattr(t, col))) for t in top.itertuples(index=False)],
                "flips": list(fl["label"]),
                "ranked": ranked,
            }
        )
    return out


def _method(s: dict) -> str:
    if s["method"] == "sobol":
        return f"Saltelli/Sobol, N = {s['n']} ({s['points']} points)"
    return f"Morris, {s['n']} trajectories ({s['points']} points)"


def _section_context(res: SensitivityResult, charts: list, intro: str = "") -> dict:
    return {
        "s": res.spec,
        "method": _method(res.spec),
        "run_id": res.run_id,
        "intro": intro,
        "pairs": summary_rows(res),
        "index_name": "ST" if res.spec["method"] == "sobol" else "mu*",
        "charts": charts,
    }


def render_report(res: SensitivityResult) -> str:
    s = res.spec
    ranges = s.get("ranges", {})
    assumptions = [
        {
            "label": a.label,
            "key": a.key,
            "value": a.value,
            "range": ranges.get(a.key) or a.dist.describe(),
            "rationale": a.rationale,
        }
        for a in res.space
    ]
    sobol = s["method"] == "sobol"
    cols = ["series", "label", "S1", "S1_conf", "ST", "ST_conf"] if sobol else [
        "series", "label", "mu_star", "mu_star_conf", "sigma"
    ]  # fmt: skip
    outputs = []
    for o in dict.fromkeys(res.indices["output"]):
        b = res.best[res.best["output"] == o]
        images = [img_tag(sobol_chart(res, o), f"Sobol indices of {o}")]
        images += [
            img_tag(tornado_chart(res, o, pair_name(a, bb)), f"tornado {o} {pair_name(a, bb)}")
            for a, bb in pairs(s["policies"])
        ]
        ind = res.indices[res.indices["output"] == o]
        rows = [
            [r[0], r[1], *[_num(v) for v in r[2:]]]
            for r in ind[cols].itertuples(index=False, name=None)
        ]
        outputs.append(
            {
                "name": o,
                "best": b.to_dict("records"),
                "images": images,
                "columns": cols,
                "rows": rows,
            }
        )
    return render(
        "sensitivity_report.html",
        title=f"standoff sensitivity: {s['scenario']}",
        assumptions=assumptions,
        outputs=outputs,
        timing=res.timing,
        **_section_context(res, []),
    )


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
    diffs = [pair_name(a, b) for a, b in pairs(res.spec["policies"])]
    last = diffs[-1]  # the comparison of the last two policies named
    charts = []
    for o in dict.fromkeys(res.indices["output"]):
        charts.append(img_tag(sobol_chart(res, o, diffs), f"Sobol indices of {o}"))
        charts.append(img_tag(tornado_chart(res, o, last), f"tornado {o} {last}"))
    intro = (
        "Each comparison below holds across the share of the plausible assumption space shown; "
        "the assumptions named last can reverse it (every range and its rationale: standoff "
        "scenario show; tornado charts of every pair: standoff sensitivity --report)."
    )
    return "<h2>Robustness of the policy ranking</h2>" + render(
        "sections/sensitivity.html", **_section_context(res, charts, intro)
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
