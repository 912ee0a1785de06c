"""HTML section of the briefing: every bargaining model's forecast per scenario issue.

:func:`briefing_section` is pure (no files written, no network) and returns a
self-contained HTML fragment (template ``sections/bargaining.html``): inline styles only, charts as base64 PNGs, no scripts.
"""

from __future__ import annotations

import numpy as np

from standoff.bargaining.baselines import compromise
from standoff.bargaining.inputs import from_scenario
from standoff.bargaining.models import DEFAULT_MODEL, forecast
from standoff.templates import render

__all__ = ["briefing_section"]

_ROWS = (
    (
        "default",
        "Default point forecast: mean of the compromise model and Nash bargaining (status quo "
        "as disagreement point)",
    ),
    ("compromise", "Compromise model (capability x salience weighted mean)"),
    ("median", "Power-weighted median (BDM's first cut)"),
    ("nbs", "Generalised Nash bargaining solution (weights c x s)"),
    ("eum", "Expected utility model, clean E1-E11 (median voter of the final state)"),
    ("eum-scholz", "Expected utility model, Scholz compatibility (10 rounds)"),
    ("mean", "Unweighted mean"),
    ("status-quo", "Status quo"),
)


def _num(v: float | None) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.1f}"


def briefing_section(scenario, *, charts: bool = True, ensemble: int = 0, seed: int = 0) -> str:
    """HTML fragment: one table per issue with each model's forecast side by side.

    Args:
        scenario: a :class:`standoff.scenario.Scenario` or a scenario name/path.
        charts: embed a PNG of the clean EUM position trajectories per issue.
        ensemble: if > 0, add 5-95% ranges from that many perturbed runs (seeded).
    """
    if isinstance(scenario, str):
        from standoff.scenario import load_scenario

        scenario = load_scenario(scenario)
    from standoff.bargaining.ensemble import run_ensemble

    issues = []
    for prob in from_scenario(scenario):
        issue = scenario.issue(prob.name)
        lo, hi = prob.scale
        rows = []
        eum_fc = None
        for key, label in _ROWS:
            fc = forecast(prob, key)
            if key == "eum":
                eum_fc = fc
            note = ""
            if key in ("eum", "eum-scholz"):
                d = fc.details
                note = f"{fc.positions.shape[0] - 1} rounds, {d['status'].replace('_', ' ')}"
                if d["oscillating"]:
                    note += ", oscillating"
                note += f"; final weighted mean {_num(d['final_weighted_mean'])}"
            elif key == "nbs":
                note = "disagreement point: status quo"
                if fc.details["disagreement"] == "worst":
                    note = "disagreement point: worst end of the scale"
                    if prob.status_quo is not None:
                        note += " (no point improves on the status quo for every actor)"
            rng = ""
            if ensemble and key not in ("status-quo",):
                e = run_ensemble(prob, key, n=ensemble, seed=seed)
                rng = f"{_num(e.quantiles['0.05'])} to {_num(e.quantiles['0.95'])}"
            rows.append(
                {
                    "label": label,
                    "value": fc.value,
                    "note": note,
                    "range": rng,
                    "default": key == DEFAULT_MODEL,
                }
            )
        challenges = []
        if eum_fc is not None and eum_fc.eum is not None:
            ev = eum_fc.eum.events()
            acc = ev[ev["accepted"]] if len(ev) else ev
            if len(acc):
                top = acc.sort_values("challenger_eu", ascending=False).head(3)
                challenges = [
                    {
                        "round": int(r["round"]),
                        "challenger": str(r["challenger"]),
                        "target": str(r["target"]),
                        "kind": r["kind"],
                        "outcome": r["outcome"],
                        "eu": r["challenger_eu"],
                    }
                    for _, r in top.iterrows()
                ]
        chart = None
        if charts and eum_fc is not None:
            from standoff.bargaining.chart import png_data_uri, trajectory_png

            eum_fc.details["extra_lines"] = {}
            chart = png_data_uri(trajectory_png(eum_fc, width=6.5, height=3.2))
        issues.append(
            {
                "issue": issue,
                "name": prob.name,
                "lo": lo,
                "hi": hi,
                "rows": rows,
                "challenges": challenges,
                "compromise": compromise(prob),
                "actors": [
                    f"{a} {prob.position[k]:g} (s={prob.salience[k]:.1f})"
                    for k, a in enumerate(prob.actors)
                ],
                "chart": chart,
            }
        )
    deal = _deal_section(scenario, charts) if scenario.deal_space is not None else None
    return render(
        "sections/bargaining.html", scenario=scenario, issues=issues, ensemble=ensemble, deal=deal
    ).strip()


def _deal_section(scenario, charts: bool) -> dict:
    """The deal space: feasible packages, each model's settlement, spread, who must move."""
    from standoff.bargaining.deal import analyse_deal, phased_relief_package

    res = analyse_deal(scenario)
    p = res.problem
    dims = list(p.dimensions)
    chart = None
    if charts and p.d == 2:
        from standoff.bargaining.chart import png_data_uri, winset_png

        chart = png_data_uri(winset_png(res, width=7.0, height=4.2))
    relief = None
    if scenario.deal_space.policy is not None and res.recommended is not None:
        relief = phased_relief_package(scenario)
    feas = res.feasible
    return {
        "title": p.title,
        "dimensions": [
            {
                "id": d,
                "title": p.titles[k],
                "low": p.labels[k][0],
                "high": p.labels[k][1],
                "lo": p.scales[k][0],
                "hi": p.scales[k][1],
                "status_quo": p.status_quo[k],
            }
            for k, d in enumerate(dims)
        ],  # fmt: skip
        "veto": list(res.winset.veto),
        "n_packages": len(res.packages),
        "n_feasible": len(feas),
        "top": [
            {"values": [f"{r[d]:g}" for d in dims], "min_gain": r["min_gain"]}
            for _, r in feas.head(5).iterrows()
        ],
        "settlements": [
            {
                "label": r["label"],
                "values": [r[d] for d in dims],
                "in": bool(r["in_win_set"]),
                "blocked": r["blocked_by"],
                "default": r["model"] == "default",
            }
            for _, r in res.settlements.iterrows()
        ],
        "spread": [
            {
                "title": p.titles[dims.index(r["dimension"])],
                "min": r["min"],
                "max": r["max"],
                "sd": r["sd"],
                "default": r["default"],
            }
            for _, r in res.spread.iterrows()
        ],  # fmt: skip
        "recommended": None
        if res.recommended is None
        else "; ".join(
            f"{p.titles[k].lower()}: {res.label(d, res.recommended[d])}" for k, d in enumerate(dims)
        ),
        "movers": [
            {
                "actor": r["actor"],
                "veto": bool(r["veto"]),
                "moves": [
                    f"{r[f'{d} position']:g} to {r[f'{d} position'] + r[f'{d} move']:g}"
                    for d in dims
                ],
                "prefers": bool(r["prefers_package"]),
            }
            for _, r in res.movers.iterrows()
        ],
        "exchanges": len(res.exchange.exchanges),
        "relief": None
        if relief is None
        else {
            "policy": relief.policy,
            "steps": relief.relief_steps,
            "points": abs(relief.step_delta),
            "halt": relief.halt_label,
            "quiet": relief.quiet_months,
        },
        "chart": chart,
    }
