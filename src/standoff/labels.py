"""Human labels for every name a user reads: variables, covariates, targets, events, columns.

One map, used by the CLI, the briefing and the reports, so that ``sanc_1_3`` or ``kju`` never
reach a reader. :func:`label` falls back to the name itself with underscores as spaces, so a
new variable without a label still reads as words (add it here). Imports nothing heavy.
"""

from __future__ import annotations

import math

MISSING = "–"

LABELS: dict[str, str] = {
    # covariates of the simulator and of `standoff evidence` (dynamics.features)
    "const": "intercept",
    "kju": "Kim Jong Un era",
    "l1": "launches last month (log 1+n)",
    "l12": "launches, 12-month average (log 1+n)",
    "tension": "tension index (/10)",
    "talks_recent": "talks in the last 3 months",
    "talks_12": "talks in the last 12 months",
    "summit_recent": "summit in the last 3 months",
    "agreement": "agreement in force",
    "sanc_recent": "new UNSC sanctions in the last 6 months",
    "sanc_level": "sanctions index (/100)",
    "sanc_1_3": "new UNSC sanctions 1-3 months ago",
    "sanc_4_6": "new UNSC sanctions 4-6 months ago",
    "ex_suspended": "US-ROK exercises suspended",
    "moratorium": "DPRK test moratorium in force",
    # leading information known at the origin (dynamics.leading)
    "summit_sched": "US/ROK summit scheduled in the month (as known)",
    "talks_sched": "talks scheduled in the month (as known)",
    "mor_stmt": "DPRK test moratorium declared, not renounced (by statement)",
    "exercise_major": "major US-ROK exercise expected in the month",
    "anniv_major": "DPRK jubilee anniversary in the month",
    "nuc_now": "nuclear test this month or last",
    "icbm_now": "ICBM launch this month or last",
    "veto_era": "veto era (from 2022)",
    "dur_nuclear": "months since the last nuclear test (log)",
    "dur_icbm": "months since the last ICBM (log)",
    "dur_resolution": "months since the last UNSC resolution (log)",
    "dur_talks": "months since the last talks (log)",
    "dur_summit": "months since the last summit (log)",
    "dur_agree": "months since the last agreement (log)",
    # bounded recency terms exp(-(months since - 1) / tau) that replaced them (features.py)
    **{
        f"rec{tau}_{key}": f"recent {what} (decays over {tau} months)"
        for tau in (6, 24)
        for key, what in (
            ("nuclear", "nuclear test"),
            ("icbm", "ICBM"),
            ("resolution", "UNSC resolution"),
            ("talks", "talks"),
            ("summit", "summit"),
            ("agree", "agreement"),
        )
    },
    # events of the simulator (the backtest's targets are in TARGETS)
    "launch": "any missile launch",
    "nuclear": "nuclear test",
    "icbm": "ICBM launch",
    "resolution": "new UNSC sanctions resolution",
    "talks": "talks held",
    "summit": "US or ROK summit with the DPRK",
    "agreement_signed": "agreement signed",
    "agreement_collapse": "agreement collapses",
    "war": "war",
    # the war model's stated assumptions (dynamics.war; scenario `parameters:`)
    "war_prior_mean": "escalation to war, prior mean (share of disputes)",
    "war_prior_weight": "weight of that prior (in disputes)",
    "war_tension_effect": "war log-odds per standard deviation of tension",
    # outcomes of `standoff evidence`
    "launches_on_pressure": "missile launches",
    "sanctions_on_provocation": "new UNSC sanctions resolution",
    # columns of summaries and scores
    "missiles": "missiles",
    "nuclear_tests": "nuclear tests",
    "failures": "failures",
    "partial_to": "data to",
    "rows": "rows",
    "start": "from",
    "end": "to",
    "irr": "rate ratio",
    "odds_ratio": "odds ratio",
    "lo95": "95% low",
    "hi95": "95% high",
    "p_value": "p",
    "climatology": "climatology",
    "persistence": "persistence",
    "intercept": "intercept-only count model",
    "rolling_climatology": "rolling climatology (60 months)",
    "markov": "Markov persistence (60 months)",
    "rolling_nb": "rolling NB count model (60 months)",
    "standoff_raw": "standoff simulator alone",
    # results of the crisis games (`standoff game ...`)
    "p_war": "probability of war",
    "p_a": "probability A prevails in a war",
    "p_a_quits": "probability A quits",
    "p_b_quits": "probability B quits",
    "p_comply": "probability the target complies",
    "p_disaster": "probability of disaster",
    "p_imposition": "probability sanctions are imposed",
    "p_threat": "probability of a threat",
    "p_target_concedes": "probability the target concedes",
    "p_target_concedes_without_leakage": "probability the target concedes without leakage",
    "p_tragic_spiral": "probability of a tragic spiral",
    "p_a_with_third_parties": "probability A prevails, with third parties",
    "p_a_dyad_alone": "probability A prevails, dyad alone",
    "expected_utility_a": "A's expected utility",
    "b_share_without_weapons": "B's share without weapons",
    "b_retaliates": "B retaliates",
    "beliefs_a": "A's beliefs",
    "by_type": "by B's type",
    "spe_outcome": "subgame-perfect outcome",
    "spe_payoffs": "subgame-perfect payoffs",
    "qre_probabilities": "quantal-response probabilities",
    "final_trust_b_in_a": "final trust of B in A",
    "final_p_mutual_cooperation": "final probability of mutual cooperation",
    "cooperates_after_signal": "cooperates after the signal",
    "drezner_max_concession": "largest concession (Drezner)",
    "posterior_resolute_after_defiance": "belief the target is resolute after defiance",
    "posterior_if_sent": "belief after a signal",
    "posterior_if_not_sent": "belief without a signal",
    "verification_detection_needed": "detection probability verification needs",
    "effective_k_t": "effective reaction (k_t)",
    "stable_monthly": "stable (monthly model)",
    "compellence_threshold": "compellence threshold",
    "max_safe_shift": "largest self-enforcing power shift",
    "end_rung": "last rung reached",
    "resolve_a": "A's resolve",
    "resolve_b": "B's resolve",
    "SQ": "status quo",
    "NEG": "negotiation",
    "ACQ_A": "A acquiesces",
    "ACQ_B": "B acquiesces",
    "CAP_A": "A capitulates",
    "CAP_B": "B capitulates",
    "WAR_A": "war started by A",
    "WAR_B": "war started by B",
}


#: the backtest's targets (``standoff.backtest.TARGETS``): where a name means something else
#: as a target than as a covariate ("agreement": signed within h months, not in force)
TARGETS: dict[str, str] = {
    "launch": "any missile launch",
    "icbm": "ICBM launch",
    "nuclear": "nuclear test",
    "resolution": "new UNSC sanctions resolution",
    "talks": "talks held",
    "summit": "US or ROK summit with the DPRK",
    "agreement": "agreement signed",
    "launches": "missiles launched (count)",
    "war": "war",
}


#: column names of count tables (``history summary``), where a name means a count rather than
#: an event ("icbm": the number of ICBMs, not "ICBM launch")
COLUMNS: dict[str, str] = {**LABELS, "icbm": "ICBMs", "launches": "missiles launched"}


def label(name: str) -> str:
    """The words for a variable, covariate or column ``name`` (the name with spaces for
    underscores if it has no label)."""
    return LABELS.get(name, str(name).replace("_", " "))


def target(name: str) -> str:
    """The words for a backtest target or forecast event ``name``."""
    return TARGETS.get(name) or label(name)


#: a rate or odds ratio outside [1/RATIO_LIMIT, RATIO_LIMIT] (or an interval whose ends are)
#: comes from a regression that cannot pin the term down (separation, a term constant in
#: nearly every month): it is printed as "not estimable", not as 9.1e-09 or 4e+97
RATIO_LIMIT = 1e3


def ratio(v: float | None) -> str:
    """A rate or odds ratio for people: 2 decimals (2 significant digits below 0.1), "–" if
    missing, "not estimable" if not finite or outside [1/RATIO_LIMIT, RATIO_LIMIT]."""
    if v is None:
        return MISSING
    v = float(v)
    if not math.isfinite(v) or not 1 / RATIO_LIMIT <= v <= RATIO_LIMIT:
        return "not estimable"
    return f"{v:.2f}" if v >= 0.1 else f"{v:.2g}"


def interval(lo: float | None, hi: float | None) -> str:
    """A ratio's interval ``"lo - hi"`` for people: "–" if missing, "not estimable" if an end
    is not finite or outside [1/RATIO_LIMIT, RATIO_LIMIT]."""
    if lo is None or hi is None:
        return MISSING
    a, b = ratio(lo), ratio(hi)
    if "not estimable" in (a, b):
        return "not estimable"
    return f"{a} - {b}"


#: a skill interval wider than this (in skill units: 1 = the baseline's whole score) says
#: nothing a reader can use; it is printed as "not estimable"
SKILL_SPAN = 5.0
#: a skill below this means the baseline's score is close to 0 (e.g. a base rate near 0 on a
#: target that did not occur): the ratio is then not a meaningful number
SKILL_FLOOR = -10.0


def skill(value: float | None, lo: float | None, hi: float | None) -> str:
    """A skill score with its interval, e.g. ``+0.12 [-0.05, +0.27]``; "–" if missing,
    ``+0.12 [interval not estimable]`` if the interval is absurdly wide or not finite."""
    if value is None or not math.isfinite(float(value)):
        return MISSING
    if float(value) < SKILL_FLOOR:
        return "not estimable (baseline score near 0)"
    head = f"{float(value):+.2f}"
    if lo is None or hi is None:
        return head
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo > SKILL_SPAN:
        return f"{head} [interval not estimable]"
    return f"{head} [{lo:+.2f}, {hi:+.2f}]"
