"""HTML section of the briefing: every bargaining model's forecast per scenario issue.

:func:`briefing_section` is pure (no files written, no network) and returns a
self-contained HTML fragment: inline styles only, charts as base64 PNGs, no scripts.
"""

from __future__ import annotations

import html

import numpy as np

from standoff.bargaining.baselines import compromise
from standoff.bargaining.inputs import from_scenario
from standoff.bargaining.models import DEFAULT_MODEL, forecast

__all__ = ["briefing_section"]

_ROWS = (
    ("compromise", "Compromise model (capability x salience weighted mean): default"),
    ("median", "Power-weighted median (BDM's first cut)"),
    ("nbs", "Generalised Nash bargaining solution (weights c x s)"),
    ("eum", "Expected utility model, clean E1-E11 (median voter of the final state)"),
    ("eum-scholz", "Expected utility model, Scholz compatibility (10 rounds)"),
    ("mean", "Unweighted mean"),
    ("status-quo", "Status quo"),
)

_CSS_T = "border-collapse:collapse;margin:0.4em 0 1em 0;font-size:0.92em"
_CSS_C = "border:1px solid #ccc;padding:2px 8px"


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

    out = [
        '<section class="bargaining">',
        "<h2>Bargaining: where do the negotiations settle?</h2>",
        "<p>Each issue is a scale between the two stated ends. The <b>compromise model</b> "
        "(capability x salience weighted mean of the positions) is the default forecast: on "
        "real decisions with known outcomes it is as accurate as the dynamic models "
        "(Achen 2006). The expected utility model (Bueno de Mesquita; Scholz et al. 2011) "
        "shows who pressures whom and whether positions converge or oscillate. Positions, "
        "saliences and capabilities are from the scenario "
        f"<code>{html.escape(scenario.name)}</code> (as of {scenario.as_of}); most are "
        "analyst assumptions with their rationale in the scenario file.</p>",
    ]
    for prob in from_scenario(scenario):
        issue = scenario.issue(prob.name)
        lo, hi = prob.scale
        out.append(f"<h3>{html.escape(issue.title)}</h3>")
        if issue.question:
            out.append(f"<p><i>{html.escape(issue.question)}</i></p>")
        out.append(
            f"<p>{lo:g} = {html.escape(issue.scale.low)}; {hi:g} = "
            f"{html.escape(issue.scale.high)}.</p>"
        )
        head = f"<th style='{_CSS_C}'>model</th><th style='{_CSS_C}'>forecast</th>"
        if ensemble:
            head += f"<th style='{_CSS_C}'>5-95% (ensemble of {ensemble})</th>"
        head += f"<th style='{_CSS_C}'>notes</th>"
        rows = [f"<table style='{_CSS_T}'><tr>{head}</tr>"]
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
            style = _CSS_C + (";font-weight:bold" if key == DEFAULT_MODEL else "")
            cells = [
                f"<td style='{style}'>{html.escape(label)}</td>",
                f"<td style='{style};text-align:right'>{_num(fc.value)}</td>",
            ]
            if ensemble:
                rng = ""
                if key not in ("status-quo",):
                    e = run_ensemble(prob, key, n=ensemble, seed=seed)
                    rng = f"{_num(e.quantiles['0.05'])} to {_num(e.quantiles['0.95'])}"
                cells.append(f"<td style='{_CSS_C};text-align:right'>{rng}</td>")
            cells.append(f"<td style='{_CSS_C}'>{html.escape(note)}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        rows.append("</table>")
        out.extend(rows)
        if eum_fc is not None and eum_fc.eum is not None:
            ev = eum_fc.eum.events()
            acc = ev[ev["accepted"]] if len(ev) else ev
            if len(acc):
                top = acc.sort_values("challenger_eu", ascending=False).head(3)
                items = "".join(
                    f"<li>round {int(r['round'])}: {html.escape(str(r['challenger']))} pressures "
                    f"{html.escape(str(r['target']))} ({r['kind']}, {r['outcome']}; "
                    f"EU {r['challenger_eu']:.2f})</li>"
                    for _, r in top.iterrows()
                )
                out.append(f"<p>Strongest accepted challenges (clean EUM):</p><ul>{items}</ul>")
        out.append(
            f"<p>Compromise model: {_num(compromise(prob))}. Actors: "
            + ", ".join(
                f"{html.escape(a)} {prob.position[k]:g} (s={prob.salience[k]:.1f})"
                for k, a in enumerate(prob.actors)
            )
            + ".</p>"
        )
        if charts and eum_fc is not None:
            from standoff.bargaining.chart import png_data_uri, trajectory_png

            eum_fc.details["extra_lines"] = {}
            img = png_data_uri(trajectory_png(eum_fc, width=6.5, height=3.2))
            out.append(
                f"<img alt='EUM position trajectories: {html.escape(prob.name)}' "
                f"style='max-width:100%' src='{img}'>"
            )
    out.append("</section>")
    return "\n".join(out)
