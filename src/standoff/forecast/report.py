"""Briefing sections for the simulator: forecast table, fan charts, policy comparison."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from standoff.dynamics.simulate import Simulation
from standoff.forecast.summary import EVENT_LABELS, compare_policies, summarise
from standoff.forecast.war_risk import war_risk_html
from standoff.history.charts import figure_png, img_tag
from standoff.templates import render

BRIEF_PATHS = 5000
BRIEF_HORIZON = 24
BRIEF_SEED = 2026
BRIEF_POLICIES = (
    "status-quo",
    "maximum-pressure",
    "phased-relief",
    "freeze-for-freeze",
    "reassurance-first",
)


def fan_chart(sim: Simulation) -> plt.Figure:
    """Quantile fans (5-95%, 25-75%, median) of cumulative launches, tension and sanctions."""
    x = pd.PeriodIndex(sim.months, freq="M").to_timestamp()
    series = [
        ("cumulative missiles launched", np.cumsum(sim.launches, axis=0)),
        ("tension index", sim.tension),
        ("sanctions-intensity index", sim.sanctions),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for ax, (title, arr) in zip(axes, series, strict=True):
        q = np.quantile(arr, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
        ax.fill_between(x, q[0], q[4], color="#4c72b0", alpha=0.18, label="5-95%")
        ax.fill_between(x, q[1], q[3], color="#4c72b0", alpha=0.35, label="25-75%")
        ax.plot(x, q[2], color="#1f3b73", lw=1.8, label="median")
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, frameon=False)
    fig.suptitle(
        f"Fan charts, policy {sim.policy}, {sim.n_paths} paths from {sim.months[0]}", fontsize=10
    )
    fig.tight_layout()
    return fig


def briefing_section(history, scenario) -> str:
    """Forecast for the scenario's status quo and a comparison of its policies (HTML)."""
    ids = [p for p in BRIEF_POLICIES if p in {q.id for q in scenario.policies}]
    if not ids:
        return ""
    out, sims = compare_policies(history, scenario, ids, BRIEF_HORIZON, BRIEF_PATHS, BRIEF_SEED)
    base = sims[ids[0]]
    summ = summarise(base)
    compare = []
    for ev, label in EVENT_LABELS.items():
        cells = []
        for p in ids:
            pr = out["policies"][p]["events"][ev]["24"]["p"]
            d = None if p == ids[0] else out["differences"][p][ev]["24"]
            cells.append({"p": pr, "diff": None if d is None else d["diff"], "se": d and d["se"]})
        compare.append((label, cells))
    return render(
        "sections/forecast.html",
        as_of=out["as_of"],
        paths=BRIEF_PATHS,
        horizon=BRIEF_HORIZON,
        seed=BRIEF_SEED,
        summ=summ,
        notes=out.get("notes", summ["notes"]),  # the simulation's notes and the data's freshness
        outcomes=", ".join(
            f"{k} {100 * v['p']:.1f}%" for k, v in summ["outcomes_at_horizon"].items()
        ),
        fan=img_tag(figure_png(fan_chart(base)), "fan charts"),
        ids=ids,
        policies=[p for p in scenario.policies if p.id in ids],
        compare=compare,
    ) + war_risk_html(summ, scenario)


SCORECARD_AS_OF = "2018-01-01"
SCORECARD_EVENTS = (
    ("nuclear", "nuclear test", "nuclear_tests"),
    ("icbm", "ICBM launch", "launches_icbm"),
    ("resolution", "new UNSC sanctions resolution", "sanctions_resolutions"),
    ("talks", "talks held", "talks_held"),
    ("summit", "US or ROK summit with the DPRK", "summit_us_rok"),
    ("agreement_signed", "agreement signed", "agreements_signed"),
)


def scorecard_2018(history, paths: int = BRIEF_PATHS, seed: int = BRIEF_SEED) -> str:
    """Forecasts as of 2018-01-01 for 2018 and for 2019, next to what happened (HTML)."""
    from standoff.dynamics.model import fit
    from standoff.dynamics.simulate import simulate

    if history.as_of_date is not None and history.as_of_date < pd.Timestamp("2019-12-31"):
        return ""
    model = fit(history, SCORECARD_AS_OF)
    sim = simulate(model, None, paths, 24, seed)
    panel = history.monthly.set_index("month")
    rows = []
    for ev, label, col in SCORECARD_EVENTS:
        years = []
        for y, sl in ((2018, slice(0, 12)), (2019, slice(12, 24))):
            p = float(sim.events[ev][sl].any(axis=0).mean())
            obs = panel.loc[f"{y}-01" : f"{y}-12", col].astype(float)
            happened = "unknown" if obs.isna().any() else ("yes" if obs.sum() > 0 else "no")
            brier = "" if happened == "unknown" else f"{(p - (happened == 'yes')) ** 2:.3f}"
            years.append({"p": p, "happened": happened, "brier": brier})
        rows.append((label, years))
    la = []
    for y, sl in ((2018, slice(0, 12)), (2019, slice(12, 24))):
        tot = sim.launches[sl].sum(axis=0)
        q = np.quantile(tot, [0.05, 0.5, 0.95])
        actual = panel.loc[f"{y}-01" : f"{y}-12", "launches"].astype(float).sum()
        la.append(
            f"{y}: median {q[1]:.0f} (90% interval {q[0]:.0f}-{q[2]:.0f}), actual {actual:.0f}"
        )
    return render(
        "sections/scorecard.html",
        as_of=SCORECARD_AS_OF,
        paths=paths,
        seed=seed,
        rows=rows,
        launches=la,
    )
