"""Property tests (hypothesis): probabilities, QRE limits, the complete-information war rule."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from standoff.games import _tree, brinkmanship, fearon, iig, kydd, sanctions

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

unit = st.floats(0.0, 1.0, allow_nan=False)
util = st.floats(-2.0, 2.0, allow_nan=False)
cost = st.floats(0.01, 2.0, allow_nan=False)


@st.composite
def players(draw):
    out = []
    p_a = draw(unit)
    for p in (p_a, 1.0 - p_a):
        lo, hi = sorted((draw(util), draw(util)))
        out.append(
            iig.IIGPlayer(
                u_sq=draw(util),
                u_win=hi,
                u_lose=lo,
                p=p,
                alpha=draw(cost),
                tau=draw(cost),
                gamma=draw(cost),
                phi=draw(cost),
            )
        )
    return out


def _min_decision_gap(root: _tree.Node) -> float:
    """Smallest payoff difference a mover faces anywhere in the tree under backward induction."""
    gaps: list[float] = []

    def rec(node: _tree.Node) -> np.ndarray:
        if isinstance(node, _tree.Terminal):
            return np.asarray(node.payoffs)
        vals = [rec(c) for c in node.children]
        own = sorted(v[node.player] for v in vals)
        gaps.extend(b - a for a, b in itertools.pairwise(own))
        return max(vals, key=lambda v: v[node.player])

    rec(root)
    return min(gaps)


@SETTINGS
@given(players(), st.floats(0.0, 50.0))
def test_iig_qre_probabilities_sum_to_one(pl, lam):
    res = iig.solve_qre(pl[0], pl[1], lam)
    assert sum(res.outcomes.values()) == pytest.approx(1.0)
    assert sum(res.groups.values()) == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 + 1e-12 for v in res.outcomes.values())


@SETTINGS
@given(players())
def test_iig_qre_tends_to_spe(pl):
    a, b = pl
    assume(_min_decision_gap(iig.iig_tree(a, b)) > 0.01)
    spe = iig.solve_spe(a, b)
    qre = iig.solve_qre(a, b, 5000.0)
    for o in iig.OUTCOMES:
        assert qre.outcomes[o] == pytest.approx(spe.outcomes[o], abs=1e-6)


@SETTINGS
@given(players())
def test_iig_qre_tends_to_uniform_play(pl):
    res = iig.solve_qre(pl[0], pl[1], 1e-9)
    for probs in res.strategy.values():
        assert all(p == pytest.approx(0.5, abs=1e-6) for p in probs.values())
    # uniform play over the tree: P(SQ) = 1/4
    assert res.outcomes["SQ"] == pytest.approx(0.25, abs=1e-6)


@settings(max_examples=300, deadline=None)
@given(players())
def test_iig_complete_information_war_only_by_preemption(pl):
    """War in the SPE only if the initiator gains from striking first (tau > alpha)."""
    a, b = pl
    res = iig.solve_spe(a, b)
    if res.outcomes["WAR_A"] > 0:
        assert a.utility("WAR_A", "A") > a.utility("WAR_B", "A")
        assert a.tau > a.alpha
    if res.outcomes["WAR_B"] > 0:
        assert b.utility("WAR_B", "B") > b.utility("WAR_A", "B")
        assert b.tau > b.alpha


@settings(max_examples=15, deadline=None)
@given(players(), st.floats(0.05, 0.95), st.floats(0.0, 8.0))
def test_iig_incomplete_information_sums_to_one(pl, prior, lam):
    a, b = pl
    res = iig.solve_incomplete(a, b, iig.dove_of(b, b.gamma + 3.0), prior, lam)
    assert sum(res.groups.values()) == pytest.approx(1.0)
    for dist in res.by_type.values():
        assert sum(dist.values()) == pytest.approx(1.0)


@settings(max_examples=10, deadline=None)
@given(players(), st.floats(0.1, 20.0))
def test_continuation_solver_agrees_with_recursion(pl, lam):
    root = iig.iig_tree(*pl)
    exact = _tree.agent_qre(root, lam).outcomes
    traced = _tree.agent_qre(root, lam, force_continuation=True).outcomes
    for k in exact:
        assert traced[k] == pytest.approx(exact[k], abs=1e-6)


nonneg = st.floats(0.0, 3.0, allow_nan=False)


@SETTINGS
@given(nonneg, nonneg, nonneg, nonneg, nonneg)
def test_sanctions_never_imposed_under_complete_information(v_s, a_s, k_s, v_t, k_t):
    res = sanctions.solve_threat_game(v_s, a_s, k_s, v_t, k_t)
    assert sum(res.outcomes.values()) == pytest.approx(1.0)
    assume(abs(k_s - a_s) > 1e-9 and abs(v_t - k_t) > 1e-9)  # generic payoffs
    assert res.p_imposition == 0.0


@settings(max_examples=20, deadline=None)
@given(nonneg, nonneg, nonneg, nonneg, nonneg, nonneg, unit, st.floats(0.0, 30.0))
def test_sanctions_private_resolve_sums_to_one(v_s, a_s, k_s, v_r, v_p, k_t, prior, lam):
    res = sanctions.solve_private_resolve(v_s, a_s, k_s, v_r, v_p, k_t, prior, lam)
    assert sum(res.outcomes.values()) == pytest.approx(1.0)


@settings(max_examples=10, deadline=None)
@given(
    st.lists(st.floats(0.0, 0.5), min_size=1, max_size=4),
    st.floats(0.1, 3.0),
    st.floats(0.1, 3.0),
    unit,
    st.floats(0.0, 20.0),
)
def test_ladder_probabilities_sum_to_one(risks, v_lo, v_hi, prior, lam):
    lad = brinkmanship.escalation_ladder(
        risks, [v_lo, v_hi], [1 - prior, prior], [v_hi], [1.0], lam=lam
    )
    assert lad.p_a_quits + lad.p_b_quits + lad.p_disaster + lad.p_war == pytest.approx(1.0)


@SETTINGS
@given(unit, st.floats(0.0, 1.0), st.floats(0.01, 1.0))
def test_fearon_risk_return_is_optimal_and_a_probability(p, ca, cbar):
    r = fearon.risk_return(p, ca, cbar)
    assert 0.0 <= r.p_war <= 1.0 and p <= r.demand <= 1.0
    xs = np.linspace(p, min(1.0, p + cbar), 2001)
    q = (xs - p) / cbar
    eu = (1 - q) * xs + q * (p - ca)
    assert r.expected_utility_a >= eu.max() - 1e-9


@SETTINGS
@given(unit, unit, unit)
def test_trust_update_is_a_probability_and_monotone(prior, s_t, s_u):
    post = kydd.update_trust(prior, s_t, s_u)
    assert 0.0 <= post <= 1.0
    if s_t > s_u and 0 < prior < 1:
        assert post >= prior - 1e-12
