"""Parameter registry of the crisis games: names, ranges, defaults and help.

Drives three things: the ``games:`` section of scenario files (names and ranges are checked
when a scenario loads), the ``standoff game MODEL --param value`` options, and ``standoff game
list``. Pure data, no imports from the rest of the package (the scenario loader imports it).

Defaults are illustrative values for running a model without a scenario (**analyst
assumptions**, not estimates); the Fearon defaults are crisis-games.md's check values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INF = math.inf  # kept for callers that import it
#: Upper bound of costs and values (shares of the stake): 1,000 times the stake is far beyond
#: any substantive reading, and keeps the games' payoffs within what their solvers handle
#: (**project choice**; 1e308 made the QRE tracer stall).
BIG = 1e3
#: Bound of the Richardson coefficients and levels (any real number in principle).
HUGE = 1e6


@dataclass(frozen=True)
class Param:
    name: str
    lo: float
    hi: float
    default: float
    help: str
    integer: bool = False

    def check(self, value: float) -> str | None:
        """None if ``value`` is valid, else what was expected."""
        ok = math.isfinite(value) and self.lo <= value <= self.hi
        if ok and self.integer and value != int(value):
            ok = False
        if ok:
            return None
        kind = "an integer" if self.integer else "a value"
        return f"expected {kind} in [{self.lo:g}, {self.hi:g}], got {value:g}"


def _p(name: str, lo: float, hi: float, default: float, help: str, integer: bool = False) -> Param:
    return Param(name, lo, hi, default, help, integer)


MODELS: dict[str, dict[str, str]] = {
    "iig": {
        "title": "International Interaction Game (Bueno de Mesquita & Lalman 1992)",
        "answers": "Will the standoff stay put, go to talks, end in one side giving in, or in war? "
        "P(status quo), P(negotiation), P(acquiescence), P(capitulation), P(war), with A uncertain "
        "whether B is a dove or a retaliator; third parties shift who is expected to prevail.",
    },
    "fearon": {
        "title": "Rationalist bargaining (Fearon 1995; Powell 2006; Spaniel 2019)",
        "answers": "Is there a deal both prefer to war (bargaining range)? What demand is optimal "
        "when resolve is private, and how likely is war then? Does a power shift make preventive "
        "war rational? What buys off proliferation and how much verification does a deal need?",
    },
    "kydd": {
        "title": "Trust and reassurance (Kydd 2000, 2005)",
        "answers": "How much trust does cooperation need (threshold vs current trust)? Does pressure "
        "feed a security-dilemma spiral? Does a costly reassurance signal separate trustworthy "
        "from untrustworthy types?",
    },
    "sanctions": {
        "title": "Sanctions threat game (TIES), Drezner's paradox, sanctions busting",
        "answers": "Will a sanctions threat be complied with, defied, or end in imposition and "
        "stalemate (TIES codes)? How much will the target concede given its conflict "
        "expectation? How much bite do China/Russia leak away?",
    },
    "brinkmanship": {
        "title": "Brinkmanship (Schelling 1960/1966; Powell 1987, 1990)",
        "answers": "What war risk compels the target? Who backs down on an escalation ladder with "
        "private resolve, and how likely is a disaster nobody wants?",
    },
    "richardson": {
        "title": "Richardson arms race (Richardson 1960)",
        "answers": "Does action-reaction between DPRK tests and allied military activity settle "
        "to an equilibrium or run away? Equilibrium levels and a monthly projection.",
    },
}

PARAMS: dict[str, dict[str, Param]] = {
    "iig": {
        p.name: p
        for p in (
            _p("lam", 0, 1e3, 5.0, "logit precision (0 = uniform play; large = rational play)"),
            _p("prior_retaliator", 0, 1, 0.5, "A's prior that B retaliates when attacked"),
            _p(
                "p",
                0,
                1,
                0.5,
                "A's probability of prevailing (overrides the capability-based estimate)",
            ),
            _p("similarity", -1, 1, -0.5, "alliance-portfolio similarity of A and B (tau_b)"),
            _p("risk_a", -1, 1, 0.0, "A's risk attitude R (-1 averse .. 1 acceptant)"),
            _p("risk_b", -1, 1, 0.0, "B's risk attitude R"),
            _p("alpha_a", 0, BIG, 0.3, "A's cost of fighting a war it starts"),
            _p("tau_a", 0, BIG, 0.3, "A's cost of being attacked"),
            _p("gamma_a", 0, BIG, 0.5, "A's cost of war in lives"),
            _p("phi_a", 0, BIG, 0.2, "A's cost of capitulating under force"),
            _p("alpha_b", 0, BIG, 0.3, "B's cost of fighting a war it starts"),
            _p("tau_b", 0, BIG, 0.3, "B's cost of being attacked"),
            _p("gamma_b", 0, BIG, 0.5, "B's cost of war in lives (retaliator type)"),
            _p("phi_b", 0, BIG, 0.2, "B's cost of capitulating under force"),
            _p("gamma_dove", 0, BIG, 3.0, "B's cost of war in lives if B is a dove"),
        )
    },
    "fearon": {
        p.name: p
        for p in (
            _p("p", 0, 1, 0.6, "A's probability of winning a war (share of the stake)"),
            _p("cost_a", 0, BIG, 0.1, "A's cost of war (share of the stake)"),
            _p(
                "cost_b_max",
                0.001,
                BIG,
                0.3,
                "upper bound of B's private cost of war, c_B ~ U[0, max]",
            ),
            _p("p_future", 0, 1, 0.5, "A's war share after a power shift (preventive-war check)"),
            _p("delta", 0, 0.999, 0.9, "per-period discount factor"),
            _p("p_nuclear", 0, 1, 0.6, "B's per-period share as a nuclear power (buy-off)"),
            _p("cost_p", 0, BIG, 0.1, "B's cost of war as a proliferator (buy-off)"),
            _p("build_cost", 0, BIG, 0.5, "B's one-off cost of building (buy-off)"),
            _p("strike_probability", 0, 1, 0.5, "chance A strikes if cheating is detected"),
        )
    },
    "kydd": {
        p.name: p
        for p in (
            _p("t", 0, 0.999, 0.0, "temptation payoff DC of a trustworthy type (t < 1)"),
            _p("c", 0.001, BIG, 0.5, "cost of being exploited (CD = -c)"),
            _p("trust", 0, 1, 0.4, "current trust of B (DPRK) in A (US): P(A trustworthy)"),
            _p("trust_other", 0, 1, 0.3, "current trust of A in B"),
            _p("p_trustworthy_a", 0, 1, 0.7, "probability A is in fact trustworthy (simulation)"),
            _p("p_trustworthy_b", 0, 1, 0.5, "probability B is in fact trustworthy (simulation)"),
            _p("tremble", 0.001, 0.499, 0.05, "probability an intended action flips"),
            _p("pressure", 0, 1, 0.3, "monthly probability of an A pressure action"),
            _p("pressure_ratio", 1, 1e6, 2.0, "how much likelier pressure is from a greedy type"),
            _p("signal_cost", 0, BIG, 0.5, "cost m of a reassurance signal"),
            _p("gain_trustworthy", 0, BIG, 1.0, "trustworthy sender's gain from being trusted"),
            _p("gain_untrustworthy", 0, BIG, 0.3, "untrustworthy sender's gain from being trusted"),
            _p("periods", 1, 1200, 24, "months simulated", integer=True),
            _p("runs", 1, 100000, 2000, "Monte Carlo runs", integer=True),
            _p("seed", 0, 2**32 - 1, 0, "random seed", integer=True),
        )
    },
    "sanctions": {
        p.name: p
        for p in (
            _p("v_s", 0, BIG, 1.0, "sender's value of target compliance"),
            _p("a_s", 0, BIG, 0.5, "sender's audience cost of backing down"),
            _p("k_s", 0, BIG, 0.2, "sender's cost of imposing sanctions"),
            _p("k_t", 0, BIG, 1.0, "target's cost of sanctions before leakage"),
            _p("v_t_resolute", 0, BIG, 2.0, "a resolute target's cost of complying"),
            _p("v_t_pliable", 0, BIG, 0.5, "a pliable target's cost of complying"),
            _p("prior_resolute", 0, 1, 0.6, "sender's prior that the target is resolute"),
            _p("lam", 0, 1e6, 20.0, "logit precision"),
            _p("conflict_expectation", 0, BIG, 1.0, "target's expectation of future conflict E"),
            _p("trade_share_chn", 0, 1, 0.0, "China's share of the target's trade"),
            _p("trade_share_rus", 0, 1, 0.0, "Russia's share of the target's trade"),
            _p("enforcement_chn", 0, 1, 1.0, "how strictly China enforces (1 = fully)"),
            _p("enforcement_rus", 0, 1, 1.0, "how strictly Russia enforces (1 = fully)"),
        )
    },
    "brinkmanship": {
        p.name: p
        for p in (
            _p("v_b", 0.001, BIG, 0.3, "target's value of the stake (Schelling)"),
            _p("w_b", 0.001, BIG, 1.0, "target's cost of war (Schelling)"),
            _p("v_a", 0.001, BIG, 1.0, "coercer's value of compliance"),
            _p("w_a", 0.001, BIG, 2.0, "coercer's cost of war"),
            _p("theta_low", 0, BIG, 0.1, "lowest possible target ratio v_B/w_B"),
            _p("theta_high", 0, BIG, 0.6, "highest possible target ratio v_B/w_B"),
            _p("n_rungs", 1, 8, 4, "rungs of the escalation ladder", integer=True),
            _p("risk_step", 0, 0.25, 0.05, "disaster risk added per rung (rung k: k * step)"),
            _p("value_a_low", 0.001, BIG, 0.5, "A's stake value, low-resolve type"),
            _p("value_a_high", 0.001, BIG, 2.0, "A's stake value, high-resolve type"),
            _p("prior_a_high", 0, 1, 0.5, "probability A is the high-resolve type"),
            _p("value_b_low", 0.001, BIG, 0.5, "B's stake value, low-resolve type"),
            _p("value_b_high", 0.001, BIG, 2.0, "B's stake value, high-resolve type"),
            _p("prior_b_high", 0, 1, 0.5, "probability B is the high-resolve type"),
            _p("cost_a", 0.001, BIG, 1.0, "A's cost of disaster/war"),
            _p("cost_b", 0.001, BIG, 1.0, "B's cost of disaster/war"),
            _p("war_share_a", 0, 1, 0.5, "probability A wins a war past the top rung"),
            _p("lam", 0, 1e6, 20.0, "logit precision"),
        )
    },
    "richardson": {
        p.name: p
        for p in (
            _p("a", -HUGE, HUGE, 0.1, "DPRK reactivity to allied activity"),
            _p("b", -HUGE, HUGE, 0.2, "allied reactivity to DPRK activity"),
            _p("m", -HUGE, HUGE, 0.3, "DPRK fatigue/restraint"),
            _p("n", -HUGE, HUGE, 0.4, "allied fatigue/restraint"),
            _p("g", -HUGE, HUGE, 1.0, "DPRK grievance"),
            _p("h", -HUGE, HUGE, 2.0, "allied grievance"),
            _p("x0", -HUGE, HUGE, 0.0, "DPRK activity at the start"),
            _p("y0", -HUGE, HUGE, 0.0, "allied activity at the start"),
            _p("months", 0, 1200, 24, "months projected", integer=True),
        )
    },
}


def check_section(model: str, values: dict[str, float]) -> str | None:
    """None if every name is known and every value in range, else the first problem."""
    known = PARAMS[model]
    for name, v in values.items():
        if name not in known:
            return f"{model}.{name}: unknown parameter (expected one of {', '.join(known)})"
        problem = known[name].check(v)
        if problem:
            return f"{model}.{name}: {problem}"
    return None
