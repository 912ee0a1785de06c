"""The briefing's "Strategic logic" section: crisis games solved for a scenario.

:func:`briefing_section` returns a self-contained HTML fragment (no external CSS or scripts)
with the outcome probabilities of the dyadic games (International Interaction Game, sanctions
threat game), the Fearon bargaining range and risk-return demand, and Kydd's trust threshold
against the scenario's current trust estimate. Numbers come from the scenario's ``games:``
section (defaults where it has none); every one of them is an analyst assumption or sourced
value listed by ``standoff scenario show``.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from standoff.games.run import run

if TYPE_CHECKING:
    from standoff.scenario.spec import Scenario

_GROUP_LABELS = {
    "status_quo": "Status quo",
    "negotiation": "Negotiation",
    "acquiescence": "Acquiescence (one side gives in)",
    "capitulation": "Capitulation under force",
    "war": "War",
}
_TIES_LABELS = {
    "no_threat": "No threat (status quo)",
    "threat_acquiescence": "Target complies with the threat (TIES 1/2)",
    "sender_capitulation": "Sender backs down (TIES 3)",
    "imposed_acquiescence": "Target complies after imposition (TIES 6/7)",
    "stalemate": "Sanctions imposed, stalemate (TIES 9)",
}


def _pct(x: float) -> str:
    return f"{100.0 * x:.1f}%"


def _bar(x: float) -> str:
    w = max(0.0, min(100.0, 100.0 * x))
    return (
        '<span style="display:inline-block;height:0.8em;background:#4a6fa5;'
        f'width:{w:.1f}px;vertical-align:middle"></span>'
    )


def _table(rows: list[tuple[str, float]], head: tuple[str, str]) -> str:
    body = "".join(
        f'<tr><td>{escape(k)}</td><td style="text-align:right">{_pct(v)}</td><td>{_bar(v)}</td></tr>'
        for k, v in rows
    )
    return (
        '<table style="border-collapse:collapse">'
        f'<thead><tr><th style="text-align:left">{escape(head[0])}</th>'
        f'<th style="text-align:right">{escape(head[1])}</th><th></th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def briefing_section(scenario: Scenario) -> str:
    """HTML fragment "Strategic logic" for ``scenario`` (a validated :class:`Scenario`)."""
    g: dict[str, Any] = run("iig", scenario)
    f: dict[str, Any] = run("fearon", scenario)
    k: dict[str, Any] = run("kydd", scenario)
    s: dict[str, Any] = run("sanctions", scenario)
    a, b = escape(g["dyad"]["A"]), escape(g["dyad"]["B"])
    parts = [
        '<section class="strategic-logic">',
        "<h2>Strategic logic</h2>",
        "<p>Small game-theoretic models solved with this scenario's parameters "
        f"(<code>games:</code> section of <code>{escape(scenario.name)}</code>; analyst assumptions "
        "unless sourced). They show the logic of the standoff under those assumptions, not "
        "calibrated forecasts. Reproduce with <code>standoff game MODEL --scenario "
        f"{escape(scenario.name)}</code>.</p>",
        f"<h3>Negotiate or fight: International Interaction Game ({a} vs {b})</h3>",
        _table(
            [(_GROUP_LABELS[x], g["probabilities"][x]) for x in _GROUP_LABELS],
            ("Outcome", "Probability"),
        ),
        f"<p>{a} is uncertain whether {b} would retaliate if attacked (prior "
        f"{_pct(g['inputs']['prior_retaliator']['value'])}); logit precision "
        f"&lambda; = {g['inputs']['lam']['value']:g}. Probability that {a} prevails: "
        f"{_pct(g['p_a'])}"
        + (
            f" with third parties ({escape(', '.join(g['third_parties']))}), "
            f"{_pct(g['p_a_dyad_alone'])} for the dyad alone"
            if "p_a_dyad_alone" in g
            else ""
        )
        + f". Under complete information and full rationality the outcome would be "
        f"<b>{escape(g['complete_information']['spe_outcome'])}</b>.</p>",
        f"<h3>Sanctions threat game ({a} sender, {b} target)</h3>",
        _table(
            [(_TIES_LABELS[x], s["outcomes"][x]) for x in _TIES_LABELS], ("Outcome", "Probability")
        ),
        f"<p>China/Russia leakage removes {_pct(s['leakage'])} of the sanctions' bite. After "
        f"defiance the sender believes the target resolute with probability "
        f"{_pct(s['posterior_resolute_after_defiance'] or 0.0)}.</p>",
        "<h3>Bargaining range (Fearon)</h3>",
        f"<p>Deals both sides prefer to war: {a}'s share between "
        f"<b>{f['bargaining_range']['low']:.2f}</b> and <b>{f['bargaining_range']['high']:.2f}</b> "
        f"(width {f['bargaining_range']['width']:.2f}). With {b}'s resolve private, {a}'s optimal demand is "
        f"{f['demand']:.2f}, which {b} rejects, leading to war, with probability <b>{_pct(f['p_war'])}</b>. "
        + (
            f"The assumed power shift ({f['preventive_war']['shift']:.2f}) exceeds the largest "
            f"self-enforcing step ({f['preventive_war']['max_safe_shift']:.2f}): a commitment problem."
            if f["preventive_war"]["war"]
            else f"The assumed power shift ({f['preventive_war']['shift']:.2f}) is within the largest "
            f"self-enforcing step ({f['preventive_war']['max_safe_shift']:.2f})."
        )
        + "</p>",
        "<h3>Trust and reassurance (Kydd)</h3>",
        f"<p>{b} cooperates only if its trust in {a} is at least <b>{_pct(k['threshold'])}</b>; the "
        f"current estimate is <b>{_pct(k['trust'])}</b>, so it "
        + ("<b>would</b> cooperate" if k["cooperates"] else "<b>would not</b> cooperate")
        + f". A reassurance signal of the assumed cost is {escape(k['reassurance']['regime'])}"
        + (
            " and would lift trust above the threshold."
            if k["reassurance"]["regime"] == "separating"
            and k["reassurance"]["cooperates_after_signal"]
            else "."
        )
        + f" Simulated over {k['spiral']['months']} months with the assumed pressure, mean trust ends at "
        f"{_pct(k['spiral']['final_trust_b_in_a'])} (without pressure "
        f"{_pct(k['spiral']['without_pressure']['final_trust_b_in_a'])}).</p>",
        "</section>",
    ]
    return "\n".join(parts)


__all__ = ["briefing_section"]
