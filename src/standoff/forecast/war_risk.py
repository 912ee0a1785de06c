"""One honest word on war risk: every war probability standoff shows, and what it assumes.

The simulator's war probability (used by every forecast, comparison and backtest) and the
crisis games' war probabilities (illustrations of strategic logic under assumed parameters)
answer different questions. :func:`war_risk_table` puts them in one table that says, for
each, over what period it runs, what it is conditional on, and whether the forecasts use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from standoff.scenario import Scenario

COLUMNS = ("source", "war probability", "over", "conditional on", "used by the forecasts")


def _params(res: dict[str, Any], names: tuple[str, ...]) -> str:
    vals = []
    for n in names:
        e = res["inputs"].get(n)
        if e is not None:
            vals.append(f"{n} = {float(e['value']):g}")
    return ", ".join(vals)


def _origin(res: dict[str, Any], scenario: Scenario | None) -> str:
    if scenario is None:
        return "illustrative default parameters"
    if res.get("note"):  # the scenario has no section for this game
        return f"default parameters ({scenario.name} sets none)"
    return f"parameters assumed in {scenario.name}"


def war_risk_rows(forecast: dict, scenario: Scenario | None = None) -> list[dict]:
    """Rows of the war-risk table for a forecast summary (``run_forecast``'s dict)."""
    from standoff.games.run import run

    war = forecast["events"]["war"]
    ks = [k for k in war if k != "label"]
    basis = (
        f"model fitted as of {forecast['as_of']}; policy {forecast['policy']}; "
        "war prior: disputes x escalation"
    )
    rows = []
    for k in dict.fromkeys(["12", ks[-1]]):
        if k not in war:
            continue
        rows.append(
            {
                "source": "simulator",
                "war probability": war[k]["p"],
                "se": war[k]["se"],
                "over": f"{k} months from {forecast['first_month']}",
                "conditional on": basis,
                "used by the forecasts": "yes",
            }
        )
    games = [
        (
            "iig",
            "game: International Interaction",
            lambda r: r["probabilities"]["war"],
            "one crisis, played out",
            ("prior_retaliator", "lam"),
        ),
        (
            "fearon",
            "game: Fearon bargaining",
            lambda r: r["p_war"],
            "one bargaining episode",
            (),
        ),
        (
            "brinkmanship",
            "game: escalation ladder",
            lambda r: r["ladder"]["p_war"],
            "one crisis, up the ladder",
            (),
        ),
    ]
    for model, name, pick, over, shown in games:
        res = run(model, scenario)
        extra = _params(res, shown)
        rows.append(
            {
                "source": name,
                "war probability": float(pick(res)),
                "se": None,
                "over": over,
                "conditional on": _origin(res, scenario) + (f"; {extra}" if extra else ""),
                "used by the forecasts": "no",
            }
        )
    return rows


def war_risk_note(forecast: dict) -> str:
    """What the table's rows assume, in words (printed under the table)."""
    prior = forecast.get("war_prior") or {}
    esc = (
        f"escalation probability {100 * prior['escalation_posterior_mean']:.1f}% after "
        f"{prior['dispute_onsets']} dispute onsets and {prior['wars']} wars 1954-{prior['data_through']}; "
        if prior
        else ""
    )
    return (
        "The forecasts use the simulator's number only: its monthly war hazard is the rate of "
        "militarised disputes involving the DPRK times the probability that a dispute escalates "
        f"to war ({esc}a documented prior, editable in the scenario), raised by simulated "
        "tension and the policy's assumed effects. The games answer another question: what "
        "happens if one crisis is played out under assumed payoffs, over no calendar period; "
        "their numbers are not probabilities of war in the coming months."
    )


def war_risk_table(forecast: dict, scenario: Scenario | None = None) -> pd.DataFrame:
    """The war-risk table as a DataFrame (columns :data:`COLUMNS` and ``se``)."""
    import pandas as pd

    return pd.DataFrame(war_risk_rows(forecast, scenario))


def pct(p: float, se: float | None = None) -> str:
    if p is None:
        return "–"
    text = f"{100 * p:.1f}%" if p >= 0.001 or p == 0 else "< 0.1%"
    return text + (f" ± {100 * se:.1f}" if se is not None else "")


def war_risk_html(forecast: dict, scenario: Scenario | None = None) -> str:
    """The table as an HTML fragment for the briefing (``templates/sections/war_risk.html``)."""
    from standoff.templates import render

    return render(
        "sections/war_risk.html",
        columns=COLUMNS,
        rows=war_risk_rows(forecast, scenario),
        note=war_risk_note(forecast),
    )
