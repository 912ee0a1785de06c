"""The briefing's "Strategic logic" section: crisis games solved for a scenario.

:func:`briefing_section` returns a self-contained HTML fragment (template
``sections/games.html``) (no external CSS or scripts)
with the outcome probabilities of the dyadic games (International Interaction Game, sanctions
threat game), the Fearon bargaining range and risk-return demand, and Kydd's trust threshold
against the scenario's current trust estimate. Numbers come from the scenario's ``games:``
section (defaults where it has none); every one of them is an analyst assumption or sourced
value listed by ``standoff scenario show``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from standoff.games.run import run
from standoff.templates import render

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


def briefing_section(scenario: Scenario) -> str:
    """HTML fragment "Strategic logic" for ``scenario`` (a validated :class:`Scenario`)."""
    g: dict[str, Any] = run("iig", scenario)
    f: dict[str, Any] = run("fearon", scenario)
    k: dict[str, Any] = run("kydd", scenario)
    s: dict[str, Any] = run("sanctions", scenario)
    return render(
        "sections/games.html",
        name=scenario.name,
        a=g["dyad"]["A"],
        b=g["dyad"]["B"],
        g=g,
        f=f,
        k=k,
        s=s,
        iig_rows=[(_GROUP_LABELS[x], g["probabilities"][x]) for x in _GROUP_LABELS],
        ties_rows=[(_TIES_LABELS[x], s["outcomes"][x]) for x in _TIES_LABELS],
    ).strip()


__all__ = ["briefing_section"]
