"""Run a crisis game by name with parameters from defaults, a scenario and overrides.

Used by ``standoff game MODEL`` and by the briefing. :func:`resolve` merges parameter values
(registry default < scenario ``games:`` section < explicit override) and records where each
came from; :func:`run` returns a JSON-ready dict with the quantities an analyst reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from standoff.errors import UsageError
from standoff.games import brinkmanship, fearon, iig, kydd, richardson, sanctions
from standoff.games.params import MODELS, PARAMS

if TYPE_CHECKING:
    from standoff.scenario.spec import Scenario

DYAD = ("USA", "PRK")  # A and B of the dyadic games when a scenario supplies capabilities


def resolve(
    model: str,
    scenario: Scenario | None = None,
    overrides: Mapping[str, float | None] | None = None,
) -> dict[str, dict[str, Any]]:
    """``{name: {"value": v, "from": "default" | "scenario" | "option", ...}}`` for ``model``."""
    if model not in PARAMS:
        raise UsageError(f"'model' must be one of {', '.join(PARAMS)}; got {model!r}")
    out: dict[str, dict[str, Any]] = {
        name: {"value": p.default, "from": "default (illustrative assumption)"}
        for name, p in PARAMS[model].items()
    }
    if scenario is not None and scenario.games is not None:
        for name, sv in getattr(scenario.games, model).items():
            entry: dict[str, Any] = {"value": sv.value, "from": f"scenario {scenario.name}"}
            entry["source" if sv.source else "assumption"] = sv.source or sv.assumption
            out[name] = entry
    for name, v in (overrides or {}).items():
        if v is None:
            continue
        if name not in PARAMS[model]:
            raise UsageError(
                f"'{name}' is not a parameter of {model} (expected one of {', '.join(PARAMS[model])})"
            )
        problem = PARAMS[model][name].check(float(v))
        if problem:
            raise UsageError(f"'{name}': {problem}")
        out[name] = {"value": float(v), "from": "option"}
    return out


def _vals(resolved: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    return {k: float(v["value"]) for k, v in resolved.items()}


def run(
    model: str,
    scenario: Scenario | None = None,
    overrides: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """Solve ``model`` and return its results plus the inputs with their provenance."""
    resolved = resolve(model, scenario, overrides)
    v = _vals(resolved)
    body = _RUNNERS[model](v, scenario, overrides or {})
    out: dict[str, Any] = {
        "model": model,
        "title": MODELS[model]["title"],
        "scenario": None if scenario is None else scenario.name,
        **body,
    }
    if scenario is not None and (scenario.games is None or not getattr(scenario.games, model)):
        out["note"] = f"scenario {scenario.name} has no games.{model} section: defaults used"
    out["inputs"] = resolved
    return out


# ------------------------------------------------------------------ per model
def _iig(
    v: dict[str, float], scenario: Scenario | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    a_id, b_id = DYAD
    p_a = v["p"]
    third: dict[str, Any] = {}
    sim = v["similarity"]
    if scenario is not None and scenario.games is not None and scenario.games.alignment:
        align = {
            (i, j): sv.value for i, row in scenario.games.alignment.items() for j, sv in row.items()
        }
        caps = {a.id: a.capability.value for a in scenario.actors if a.kind == "state"}
        if overrides.get("similarity") is None:
            s = iig.similarity(align, a_id, b_id)
            sim = sim if s is None else s
        if overrides.get("p") is None:
            p_a = iig.prevail_probability(a_id, b_id, caps, align)
        dyad_only = {k: c for k, c in caps.items() if k in DYAD}
        third = {
            "p_a_with_third_parties": iig.prevail_probability(a_id, b_id, caps, align),
            "p_a_dyad_alone": iig.prevail_probability(a_id, b_id, dyad_only, align),
            "third_parties": sorted(
                k
                for k in caps
                if k not in DYAD
                and iig.similarity(align, a_id, k) is not None
                and iig.similarity(align, b_id, k) is not None
            ),
        }
    players = []
    for side, p in (("a", p_a), ("b", 1.0 - p_a)):
        u_sq, u_win, u_lose = iig.eugene_utilities(v[f"risk_{side}"], sim)
        players.append(
            iig.IIGPlayer(
                u_sq=u_sq,
                u_win=u_win,
                u_lose=u_lose,
                p=p,
                alpha=v[f"alpha_{side}"],
                tau=v[f"tau_{side}"],
                gamma=v[f"gamma_{side}"],
                phi=v[f"phi_{side}"],
            )
        )
    a, b = players
    dove = iig.dove_of(b, v["gamma_dove"])
    inc = iig.solve_incomplete(a, b, dove, v["prior_retaliator"], v["lam"])
    spe = iig.solve_spe(a, b)
    qre = iig.solve_qre(a, b, v["lam"])
    return {
        "dyad": {"A": a_id, "B": b_id},
        "probabilities": inc.groups,
        "outcomes": inc.outcomes,
        "by_type": inc.by_type,
        "complete_information": {
            "spe_outcome": spe.most_likely,
            "spe_payoffs": list(spe.payoffs),
            "qre_probabilities": qre.groups,
        },
        "p_a": p_a,
        "similarity": sim,
        **third,
        "first_strike_advantage": {"A": a.tau - a.alpha, "B": b.tau - b.alpha},
        "b_retaliates": {"retaliator": b.retaliates(), "dove": dove.retaliates()},
        "utilities": {
            "A": {o: a.utility(o, "A") for o in iig.OUTCOMES},
            "B": {o: b.utility(o, "B") for o in iig.OUTCOMES},
        },
        "beliefs_a": {k: d.get("retaliator", 0.0) for k, d in inc.beliefs.items()},
    }


def _fearon(
    v: dict[str, float], scenario: Scenario | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    rr = fearon.risk_return(v["p"], v["cost_a"], v["cost_b_max"])
    rng = fearon.bargaining_range(v["p"], v["cost_a"], v["cost_b_max"] / 2.0)
    pw = fearon.preventive_war(v["p"], v["p_future"], v["cost_a"], v["delta"])
    p_b = 1.0 - v["p"]
    out: dict[str, Any] = {
        "demand": rr.demand,
        "p_war": rr.p_war,
        "expected_utility_a": rr.expected_utility_a,
        "bargaining_range": {
            "low": rng.low,
            "high": rng.high,
            "width": rng.width,
            "note": "complete information with B's cost at the midpoint cost_b_max/2",
        },
        "preventive_war": {
            "war": pw.war,
            "margin": pw.margin,
            "max_safe_shift": pw.max_safe_shift,
            "shift": v["p"] - v["p_future"],
        },
    }
    if v["p_nuclear"] >= p_b:
        bo = fearon.buyoff(p_b, v["p_nuclear"], v["cost_p"], v["build_cost"], v["delta"])
        m = fearon.verification_threshold(
            p_b,
            v["p_nuclear"],
            v["cost_p"],
            v["build_cost"],
            v["delta"],
            strike_probability=v["strike_probability"],
        )
        out["buyoff"] = {
            "transfer": bo.transfer,
            "b_share_without_weapons": p_b,
            "nuclear_value": bo.nuclear_value,
            "verification_detection_needed": m,
        }
    else:
        out["buyoff"] = {
            "note": "p_nuclear is below B's share without weapons (1 - p): nothing to buy off"
        }
    return out


def _kydd(
    v: dict[str, float], scenario: Scenario | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    thr = kydd.cooperation_threshold(v["t"], v["c"])
    sig = kydd.reassurance(
        v["trust"], v["signal_cost"], v["gain_trustworthy"], v["gain_untrustworthy"]
    )
    common = dict(
        prior_a=v["trust_other"],
        prior_b=v["trust"],
        p_trustworthy_a=v["p_trustworthy_a"],
        p_trustworthy_b=v["p_trustworthy_b"],
        t_a=v["t"],
        t_b=v["t"],
        c=v["c"],
        tremble=v["tremble"],
        periods=int(v["periods"]),
        runs=int(v["runs"]),
        seed=int(v["seed"]),
    )
    sp = kydd.simulate_spiral(**common, pressure=v["pressure"], pressure_ratio=v["pressure_ratio"])
    calm = kydd.simulate_spiral(**common, pressure=0.0)
    return {
        "threshold": thr,
        "trust": v["trust"],
        "cooperates": v["trust"] >= thr,
        "reassurance": {
            "regime": sig.regime,
            "posterior_if_sent": sig.posterior_if_sent,
            "posterior_if_not_sent": sig.posterior_if_not_sent,
            "cooperates_after_signal": sig.posterior_if_sent >= thr,
        },
        "spiral": {
            "months": int(v["periods"]),
            "final_trust_b_in_a": float(sp.trust_b[-1]),
            "final_p_mutual_cooperation": float(sp.p_mutual_cooperation[-1]),
            "p_tragic_spiral": sp.p_tragic_spiral,
            "without_pressure": {
                "final_trust_b_in_a": float(calm.trust_b[-1]),
                "final_p_mutual_cooperation": float(calm.p_mutual_cooperation[-1]),
                "p_tragic_spiral": calm.p_tragic_spiral,
            },
        },
    }


def _sanctions(
    v: dict[str, float], scenario: Scenario | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    leak = sanctions.leakage(
        {"CHN": v["trade_share_chn"], "RUS": v["trade_share_rus"]},
        {"CHN": v["enforcement_chn"], "RUS": v["enforcement_rus"]},
    )
    k_t = sanctions.effective_cost(v["k_t"], leak)
    res = sanctions.solve_private_resolve(
        v["v_s"],
        v["a_s"],
        v["k_s"],
        v["v_t_resolute"],
        v["v_t_pliable"],
        k_t,
        v["prior_resolute"],
        v["lam"],
    )
    full = sanctions.solve_private_resolve(
        v["v_s"],
        v["a_s"],
        v["k_s"],
        v["v_t_resolute"],
        v["v_t_pliable"],
        v["k_t"],
        v["prior_resolute"],
        v["lam"],
    )
    return {
        "outcomes": res.outcomes,
        "ties": res.ties,
        "p_threat": res.p_threat,
        "p_imposition": res.p_imposition,
        "p_target_concedes": res.p_target_concedes,
        "posterior_resolute_after_defiance": res.beliefs.get("sender after defiance", {}).get(
            "resolute"
        ),
        "leakage": leak,
        "effective_k_t": k_t,
        "p_target_concedes_without_leakage": full.p_target_concedes,
        "drezner_max_concession": sanctions.drezner_concession(
            k_t, v["k_s"], v["conflict_expectation"]
        ),
    }


def _brinkmanship(
    v: dict[str, float], scenario: Scenario | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    n = int(v["n_rungs"])
    lad = brinkmanship.escalation_ladder(
        [min(1.0, v["risk_step"] * (k + 1)) for k in range(n)],
        [v["value_a_low"], v["value_a_high"]],
        [1 - v["prior_a_high"], v["prior_a_high"]],
        [v["value_b_low"], v["value_b_high"]],
        [1 - v["prior_b_high"], v["prior_b_high"]],
        v["cost_a"],
        v["cost_b"],
        v["lam"],
        v["war_share_a"],
    )
    choice = brinkmanship.choose_risk(v["v_a"], v["w_a"], v["theta_low"], v["theta_high"])
    return {
        "compellence_threshold": brinkmanship.compellence_threshold(v["v_b"], v["w_b"]),
        "optimal_risk": {"q": choice.q, "p_comply": choice.p_comply, "p_war": choice.p_war},
        "ladder": {
            "p_a_quits": lad.p_a_quits,
            "p_b_quits": lad.p_b_quits,
            "p_disaster": lad.p_disaster,
            "p_war": lad.p_war,
            "end_rung": lad.end_rung,
            "resolve_a": lad.resolve_a,
            "resolve_b": lad.resolve_b,
        },
    }


def _richardson(
    v: dict[str, float], scenario: Scenario | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    p = richardson.RichardsonParams(v["a"], v["b"], v["m"], v["n"], v["g"], v["h"])
    path = richardson.simulate_monthly(p, v["x0"], v["y0"], int(v["months"]))
    out: dict[str, Any] = {"projection": {"x": path[:, 0].tolist(), "y": path[:, 1].tolist()}}
    try:
        eq = richardson.equilibrium(p)
        out.update(
            equilibrium={"x": eq.x, "y": eq.y}, stable=eq.stable, stable_monthly=eq.stable_monthly
        )
    except UsageError as exc:
        out.update(equilibrium=None, stable=False, stable_monthly=False, note=str(exc))
    return out


_RUNNERS = {
    "iig": _iig,
    "fearon": _fearon,
    "kydd": _kydd,
    "sanctions": _sanctions,
    "brinkmanship": _brinkmanship,
    "richardson": _richardson,
}
