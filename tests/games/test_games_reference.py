"""Reference check values (shared/reference/crisis-games.md sections 1.1-1.7)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from standoff.games import _tree, brinkmanship, fearon, iig, kydd, richardson, sanctions


# ------------------------------------------------------------------ Fearon / Powell / Spaniel
def test_fearon_risk_return_check_values():
    r = fearon.risk_return(0.6, 0.1, 0.3)
    assert r.demand == pytest.approx(0.7)
    assert r.p_war == pytest.approx(1 / 3)


def test_fearon_risk_return_matches_grid_search():
    p, ca, cbar = 0.6, 0.1, 0.3
    xs = np.linspace(p, p + cbar, 30001)
    q = (xs - p) / cbar
    eu = (1 - q) * xs + q * (p - ca)
    assert fearon.risk_return(p, ca, cbar).demand == pytest.approx(xs[np.argmax(eu)], abs=1e-4)


def test_fearon_no_war_when_own_cost_exceeds_uncertainty():
    r = fearon.risk_return(0.5, 0.4, 0.3)
    assert (r.demand, r.p_war) == (0.5, 0.0)


def test_fearon_comparative_statics():
    assert fearon.risk_return(0.6, 0.1, 0.5).p_war > fearon.risk_return(0.6, 0.1, 0.3).p_war
    assert fearon.risk_return(0.6, 0.2, 0.3).p_war < fearon.risk_return(0.6, 0.1, 0.3).p_war


def test_bargaining_range():
    r = fearon.bargaining_range(0.6, 0.1, 0.2)
    assert (r.low, r.high) == pytest.approx((0.5, 0.8))
    assert r.width == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("p", "pf", "ca", "d", "war"),
    [(0.7, 0.4, 0.1, 0.9, True), (0.7, 0.68, 0.1, 0.9, False), (0.6, 0.2, 0.1, 0.5, False)],
)
def test_preventive_war_condition(p, pf, ca, d, war):
    res = fearon.preventive_war(p, pf, ca, d)
    assert res.war is war
    # the closed form is the comparison of the two present values
    assert (res.value_of_war > res.best_offer_value) is war


def test_buyoff_and_verification():
    b = fearon.buyoff(0.3, 0.6, 0.1, 1.0, 0.9)
    assert b.transfer == pytest.approx(max(0.3 - 0.1, 0.6 - 0.1 - 0.1 * 1.0))
    assert b.transfer < b.nuclear_value  # O prefers paying to facing a nuclear P when k > 0
    m = fearon.verification_threshold(0.3, 0.6, 0.1, 1.0, 0.9, strike_probability=0.5)
    gain = 0.9 * 0.3 / 0.1 - 1.0
    assert m == pytest.approx(gain / (b.transfer / 0.1 + 0.5 * 0.1))
    assert fearon.verification_threshold(0.3, 0.31, 0.1, 5.0, 0.5) == 0.0  # cheating never pays


# ------------------------------------------------------------------ Kydd
def test_kydd_threshold_check_value():
    assert kydd.cooperation_threshold(0.0, 0.5) == pytest.approx(1 / 3)


def test_kydd_threshold_is_indifference_point():
    t, c = 0.3, 0.8
    pi = kydd.cooperation_threshold(t, c)
    assert pi * 1 + (1 - pi) * (-c) == pytest.approx(pi * t)
    assert kydd.cooperates(pi + 1e-9, t, c) and not kydd.cooperates(pi - 1e-3, t, c)
    assert not kydd.cooperates(1.0, 1.5, c)  # greedy types always defect


def test_kydd_bayes_update():
    assert kydd.update_trust(0.5, 0.2, 0.6) == pytest.approx(0.1 / (0.1 + 0.3))
    assert kydd.update_trust(0.5, 0.0, 0.0) == 0.5


def test_kydd_reassurance_regimes():
    assert kydd.reassurance(0.3, 0.5, 1.0, 0.2).regime == "separating"
    assert kydd.reassurance(0.3, 0.5, 1.0, 0.2).posterior_if_sent == 1.0
    pool = kydd.reassurance(0.3, 0.1, 1.0, 0.2)
    assert pool.regime == "pooling" and pool.posterior_if_sent == 0.3
    assert kydd.reassurance(0.3, 2.0, 1.0, 0.2).regime == "none"


def test_kydd_spiral_is_seeded_and_pressure_lowers_trust():
    kw = dict(
        prior_a=0.6, prior_b=0.5, p_trustworthy_a=0.8, p_trustworthy_b=0.8, runs=500, periods=12
    )
    s1 = kydd.simulate_spiral(**kw, pressure=0.5, seed=3)
    s2 = kydd.simulate_spiral(**kw, pressure=0.5, seed=3)
    np.testing.assert_array_equal(s1.trust_b, s2.trust_b)
    calm = kydd.simulate_spiral(**kw, pressure=0.0, seed=3)
    assert s1.trust_b[-1] < calm.trust_b[-1]
    rng = np.random.default_rng(7)
    assert kydd.simulate_spiral(**kw, seed=rng).p_both_trustworthy > 0.5


# ------------------------------------------------------------------ IIG
A = iig.IIGPlayer(u_sq=0.0, u_win=1.0, u_lose=-1.0, p=0.8, alpha=0.3, tau=0.5, gamma=0.2, phi=0.1)
B = iig.IIGPlayer(u_sq=0.0, u_win=1.0, u_lose=-1.0, p=0.2, alpha=0.3, tau=0.5, gamma=0.2, phi=0.1)


def test_iig_tree_has_13_terminal_nodes_and_12_decision_nodes():
    root = iig.iig_tree(A, B)
    nodes = list(_tree.walk(root))
    assert sum(isinstance(n, _tree.Terminal) for n in nodes) == 13
    assert sum(isinstance(n, _tree.Decision) for n in nodes) == 12


def test_iig_utilities_follow_the_table():
    lottery = 0.8 * 1 + 0.2 * -1
    assert A.utility("NEG", "A") == pytest.approx(lottery)
    assert A.utility("WAR_A", "A") == pytest.approx(lottery - 0.3 - 0.2)
    assert A.utility("WAR_B", "A") == pytest.approx(lottery - 0.5 - 0.2)
    assert A.utility("CAP_A", "A") == pytest.approx(-1.1)
    assert B.utility("CAP_A", "B") == pytest.approx(1.0)
    assert B.utility("WAR_B", "B") == pytest.approx(B.lottery - 0.3 - 0.2)


def test_iig_spe_reference_illustration():
    # crisis-games.md section 4: the equilibrium path is A Demand -> B Acquiesce, values (1, -1)
    res = iig.solve_spe(A, B)
    assert res.outcomes["ACQ_B"] == 1.0
    assert res.payoffs == pytest.approx((1.0, -1.0))
    assert sum(res.groups.values()) == pytest.approx(1.0)


def test_iig_negotiation_when_both_retaliate():
    a = iig.IIGPlayer(
        u_sq=-0.5, u_win=1.0, u_lose=-1.0, p=0.5, alpha=0.5, tau=0.5, gamma=0.2, phi=1.0
    )
    b = iig.IIGPlayer(
        u_sq=-0.5, u_win=1.0, u_lose=-1.0, p=0.5, alpha=0.5, tau=0.5, gamma=0.2, phi=1.0
    )
    assert a.retaliates() and b.retaliates()
    assert iig.solve_spe(a, b).most_likely == "NEG"


def test_iig_first_strike_war_under_complete_information():
    # A has a first-strike advantage (tau > alpha) and would not retaliate itself, B would:
    # A pre-empts (U(WAR_A) > U(CAP_A) >= U(WAR_B))
    a = iig.IIGPlayer(
        u_sq=-0.5, u_win=1.0, u_lose=-1.0, p=0.5, alpha=0.1, tau=1.5, gamma=0.1, phi=0.2
    )
    b = iig.IIGPlayer(
        u_sq=-0.5, u_win=1.0, u_lose=-1.0, p=0.5, alpha=0.3, tau=0.3, gamma=0.1, phi=1.0
    )
    assert not a.retaliates() and b.retaliates()
    res = iig.solve_spe(a, b)
    assert res.outcomes["WAR_A"] == 1.0


def test_iig_incomplete_information_beliefs_and_types():
    dove = iig.dove_of(B.__class__(**{**B.__dict__, "phi": 1.0}), 3.0)
    ret = iig.IIGPlayer(**{**B.__dict__, "phi": 1.0})
    assert ret.retaliates() and not dove.retaliates()
    res = iig.solve_incomplete(A, ret, dove, prior_retaliator=0.5, lam=10.0)
    assert sum(res.groups.values()) == pytest.approx(1.0)
    assert res.beliefs["A at the start"]["retaliator"] == pytest.approx(0.5)
    # a dove never fights back, so war is (almost) only with the retaliator
    assert res.by_type["dove"]["war"] < 1e-3 < res.by_type["retaliator"]["war"]


def test_eugene_operationalisation():
    assert iig.risk_exponent(0.0) == 1.0
    assert iig.risk_exponent(1.0) == pytest.approx(0.5)
    assert iig.risk_exponent(-1.0) == pytest.approx(2.0)
    u_sq, u_win, u_lose = iig.eugene_utilities(0.0, -1.0)
    assert (u_sq, u_win, u_lose) == pytest.approx((0.0, 2.0, -2.0))
    caps = {"USA": 100, "PRK": 20, "CHN": 70}
    align = {("USA", "PRK"): -0.8, ("USA", "CHN"): -0.2, ("PRK", "CHN"): 0.4}
    # USA: 100*1.8; PRK: 20*1.8; CHN leans PRK: 70*0.6
    assert iig.prevail_probability("USA", "PRK", caps, align) == pytest.approx(
        180 / (180 + 36 + 42)
    )
    assert iig.prevail_probability("PRK", "USA", caps, align) == pytest.approx(78 / 258)
    a, b = iig.eugene_dyad(
        "USA",
        "PRK",
        capabilities=caps,
        alignment=align,
        risk={"USA": 0.0, "PRK": 0.0},
        costs={"USA": {"alpha": 0.1}},
    )
    assert a.p + b.p == pytest.approx(1.0) and a.alpha == 0.1 and b.alpha == 0.0


# ------------------------------------------------------------------ sanctions
def test_sanctions_complete_information_check_cases():
    # credible threat (k_S < a_S) and v_T <= k_T: the target complies at the threat stage
    assert (
        sanctions.solve_threat_game(1.0, 0.5, 0.2, 0.5, 1.0).outcomes["threat_acquiescence"] == 1.0
    )
    # target would defy: the sender does not threaten
    assert sanctions.solve_threat_game(1.0, 0.5, 0.2, 2.0, 1.0).outcomes["no_threat"] == 1.0
    # a defiant target and an incredible threat (k_S > a_S): no threat either
    assert sanctions.solve_threat_game(1.0, 0.1, 0.5, 2.0, 1.0).outcomes["no_threat"] == 1.0


def test_sanctions_private_resolve_selection_effect():
    # crisis-games.md section 4: the US threatens; a resolute target defies, a pliable one
    # complies; the US imposes; its posterior after defiance puts (almost) all weight on resolute
    res = sanctions.solve_private_resolve(1.0, 0.5, 0.2, 2.0, 0.4, 1.0, 0.6, lam=100.0)
    assert res.p_threat > 0.99
    assert res.outcomes["stalemate"] == pytest.approx(0.6, abs=0.01)
    assert res.outcomes["threat_acquiescence"] == pytest.approx(0.4, abs=0.01)
    assert res.beliefs["sender after defiance"]["resolute"] > 0.99
    assert sum(res.ties.values()) == pytest.approx(1.0)


def test_drezner_and_leakage():
    assert sanctions.drezner_concession(1.0, 0.2, 0.0) == 1.0
    assert sanctions.drezner_concession(1.0, 0.2, 1.0) == pytest.approx(0.4)
    assert sanctions.drezner_concession(1.0, 1.0, 2.0) == 0.0
    leak = sanctions.leakage({"CHN": 0.9, "RUS": 0.05}, {"CHN": 0.7, "RUS": 0.0})
    assert leak == pytest.approx(0.9 * 0.3 + 0.05)
    assert sanctions.effective_cost(2.0, leak) == pytest.approx(2.0 * (1 - leak))


# ------------------------------------------------------------------ brinkmanship
def test_schelling_threshold_and_risk_choice():
    assert brinkmanship.compellence_threshold(0.3, 1.5) == pytest.approx(0.2)
    c = brinkmanship.choose_risk(1.0, 2.0, 0.1, 0.6)
    # the objective is convex in q: A either takes no risk or enough to compel every type
    assert c.q == pytest.approx(0.6) and c.p_comply == 1.0 and c.p_war == 0.0
    c = brinkmanship.choose_risk(1.0, 50.0, 0.1, 2.0)
    assert c.q == 0.0 and c.expected_value == 0.0


def test_escalation_ladder_disaster_is_positive_and_probabilities_sum_to_one():
    lad = brinkmanship.escalation_ladder(
        [0.05, 0.1, 0.15, 0.2], [0.5, 2.0], [0.5, 0.5], [0.5, 3.0], [0.4, 0.6], 1.0, 1.0, lam=20
    )
    total = lad.p_a_quits + lad.p_b_quits + lad.p_disaster + lad.p_war
    assert total == pytest.approx(1.0)
    assert sum(lad.end_rung) == pytest.approx(1.0)
    assert lad.p_disaster > 0.01  # nobody wants it, yet it happens (Powell)
    assert lad.resolve_b["B1"] == pytest.approx(0.75)


# ------------------------------------------------------------------ Richardson
def test_richardson_equilibrium_and_stability():
    p = richardson.RichardsonParams(a=0.1, b=0.2, m=0.3, n=0.4, g=1.0, h=2.0)
    eq = richardson.equilibrium(p)
    assert (eq.x, eq.y) == pytest.approx((6.0, 8.0))
    assert eq.stable and eq.stable_monthly
    path = richardson.simulate_monthly(p, 0.0, 0.0, 300)
    assert path[-1] == pytest.approx([6.0, 8.0], abs=1e-6)
    runaway = richardson.equilibrium(richardson.RichardsonParams(0.5, 0.5, 0.1, 0.1, 1, 1))
    assert not runaway.stable


def test_richardson_least_squares_recovers_parameters():
    true = richardson.RichardsonParams(a=0.15, b=0.1, m=0.35, n=0.25, g=0.8, h=0.5)
    rng = np.random.default_rng(0)
    path = richardson.simulate_monthly(true, 5.0, 1.0, 120)
    noisy = path + rng.normal(0, 0.01, path.shape)
    fit = richardson.fit_monthly(noisy[:, 0], noisy[:, 1])
    for name in ("a", "b", "m", "n", "g", "h"):
        assert getattr(fit.params, name) == pytest.approx(getattr(true, name), abs=0.05), name
    assert fit.r2_x > 0.9 and fit.n_obs == 120
    assert math.isfinite(fit.r2_y)
