"""KTAB's SMP: invariants of the vectorised implementation, options, bounds and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from standoff.bargaining.inputs import read_ktab, write_ktab
from standoff.bargaining.models import forecast
from standoff.bargaining.smp import (
    MAX_SMP_ACTORS,
    SMPOptions,
    _assess,
    _best_targets,
    _challenges,
    check_size,
    condorcet,
    run_smp,
    weighted_distance,
)
from standoff.bargaining.spatial import from_ktab, make_spatial
from standoff.errors import DataError, UsageError

KTAB = Path(__file__).parent / "data" / "ktab"


def random_problem(n: int, d: int, seed: int):
    rng = np.random.default_rng(seed)
    sal = rng.uniform(0.05, 1.0, (n, d))
    sal = sal / sal.sum(axis=1, keepdims=True) * rng.uniform(0.5, 0.99, (n, 1))
    return make_spatial(
        [f"A{i}" for i in range(n)],
        rng.uniform(1, 200, n),
        np.round(rng.uniform(0, 100, (n, d)), 2),
        sal,
        dimensions=[f"D{k}" for k in range(d)],
        scales=[(0, 100)] * d,
    )


@given(st.integers(3, 12), st.integers(1, 4), st.integers(0, 10_000))
def test_best_targets_equal_the_general_challenge_computation_bit_for_bit(n, d, seed):
    """The fast path (h = k = i, factored) gives exactly the bits of probEduChlg's own form."""
    p = random_problem(n, d, seed)
    o = SMPOptions()
    x, s, c = p.unit_position(), p.salience, p.capability
    stot = s.sum(axis=1)
    st_ = _assess(x, s, c, o)
    target, prob, gain = _best_targets(st_, c, stot, o)
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    i, j = ii.ravel(), jj.ravel()
    p_all, g_all = _challenges(st_, c, stot, o, i, i, i, j)
    g_all = np.where(i == j, -np.inf, g_all).reshape(n, n)
    p_all = p_all.reshape(n, n)
    for a in range(n):
        best = int(np.argmax(g_all[a]))
        if g_all[a, best] > 1e-5:
            assert target[a] == best
            assert prob[a] == p_all[a, best] and gain[a] == g_all[a, best]
        else:
            assert target[a] == -1


@pytest.mark.parametrize("cells", [1, 50, 10_000])
def test_block_size_does_not_change_a_bit(cells):
    p = random_problem(17, 3, 4)
    o = SMPOptions()
    x, s, c = p.unit_position(), p.salience, p.capability
    st_ = _assess(x, s, c, o)
    whole = _best_targets(st_, c, s.sum(axis=1), o)
    part = _best_targets(st_, c, s.sum(axis=1), o, block_cells=cells)
    for a, b in zip(whole, part, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(
        run_smp(p, max_turns=4).positions, run_smp(p, max_turns=4, block_cells=cells).positions
    )


@given(st.integers(2, 9), st.integers(1, 3), st.integers(0, 10_000))
def test_weighted_distance_is_ktabs_formula(n, d, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0, 1, (n, d)), rng.uniform(0, 1, (n + 1, d))
    s = rng.uniform(0.01, 1, (n, d))
    got = weighted_distance(a, b, s)
    for i in range(n):
        for j in range(n + 1):
            want = np.sqrt(((a[i] - b[j]) ** 2 * s[i] ** 2).sum() / (s[i] ** 2).sum())
            assert got[i, j] == pytest.approx(want, rel=1e-12)
    assert (got >= 0).all() and (got <= 1 + 1e-15).all()


def test_condorcet_probabilities_sum_to_one_and_favour_the_ideal():
    w = np.array([3.0, 1.0, 1.0])
    u = np.array([[1.0, 0.2], [0.1, 1.0], [0.1, 1.0]])  # voter 0 (weight 3) vs two voters
    p = condorcet(w, u)
    assert p.sum() == pytest.approx(1.0) and p[0] > p[1]  # 3 x 0.8 beats 2 x 0.9


def test_positions_stay_on_the_scales_and_converge():
    p = random_problem(40, 3, 11)
    r = run_smp(p)
    lo, hi = p.lo, p.hi
    assert ((r.positions >= lo) & (r.positions <= hi)).all()
    assert r.status in ("converged", "max-turns")
    assert r.win_prob.shape == (r.turns + 1, 40)
    assert np.allclose(r.positions[0], p.position)
    frame = r.positions_frame()
    assert len(frame) == (r.turns + 1) * 40 * 3
    assert set(r.moves["option"]) >= {"status quo"}


def test_stochastic_transitions_are_seeded():
    p = random_problem(12, 2, 5)
    a = run_smp(p, transitions="stochastic", seed=3)
    b = run_smp(p, transitions="stochastic", seed=3)
    c = run_smp(p, transitions="stochastic", seed=4)
    assert np.array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)


@pytest.mark.parametrize(
    "opts",
    [
        {"voting_rule": "binary"},
        {"voting_rule": "prop-bin"},
        {"voting_rule": "prop-cubic"},
        {"voting_rule": "cubic"},
        {"voting_rule": "asym-prospect"},
        {"victory": "square"},
        {"victory": "quartic"},
        {"victory": "octic"},
        {"victory": "binary"},
        {"pce": "markov-uniform"},
        {"pce": "markov-incentive"},
        {"big_r_range": "min"},
        {"big_r_range": "max"},
        {"big_r_adjust": "full"},
        {"big_r_adjust": "none"},
        {"third_party": "full"},
        {"third_party": "none"},
        {"interpolation": "s1p1"},
        {"interpolation": "s2pmax"},
    ],
)
def test_every_ktab_option_runs_and_stays_on_the_scales(opts):
    p = from_ktab(read_ktab(KTAB / "dummyData_3Dim.csv"))
    r = run_smp(p, max_turns=6, **opts)
    assert ((r.positions >= 0) & (r.positions <= 100)).all()
    assert np.isfinite(r.win_prob).all() and np.allclose(r.win_prob[0].max() <= 1, True)


def test_one_dimension_through_forecast(eu):
    fc = forecast(eu, "smp")
    assert eu.scale[0] <= fc.value <= eu.scale[1]
    assert fc.positions.shape[1] == eu.n and fc.details["status"] in ("converged", "max-turns")


def test_bounds_before_any_work():
    with pytest.raises(UsageError, match="at most 500 actors"):
        check_size(MAX_SMP_ACTORS + 1, 3, 10)
    with pytest.raises(UsageError, match="turns"):
        check_size(10, 3, 5000)
    with pytest.raises(UsageError, match="work bound"):
        check_size(500, 3, 1000)
    with pytest.raises(UsageError, match="voting_rule"):
        SMPOptions(voting_rule="bogus")


def test_zero_capability_is_refused():
    p = make_spatial(["A", "B"], [0, 1], [[0], [100]], [[0.5], [0.5]], dimensions=["D"])
    with pytest.raises(UsageError, match="capability > 0"):
        run_smp(p)


def test_spatial_validation_one_line():
    with pytest.raises(DataError, match="saliences sum to 1.2"):
        make_spatial(
            ["A", "B"], [1, 1], [[0, 0], [1, 1]], [[0.6, 0.6], [0.1, 0.1]], dimensions=["P", "Q"]
        )
    with pytest.raises(DataError, match="appears twice"):
        make_spatial(["A", "A"], [1, 1], [[0], [1]], [[0.5], [0.5]], dimensions=["P"])
    with pytest.raises(DataError, match="expected a value in \\[0, 10\\]"):
        make_spatial(
            ["A", "B"], [1, 1], [[0], [11]], [[0.5], [0.5]], dimensions=["P"], scales=[(0, 10)]
        )


def test_spatial_ktab_round_trip(tmp_path):
    """A multi-dimensional KTAB file in and out: the same problem (unit scale) comes back."""
    p = from_ktab(read_ktab(KTAB / "SOE-Pol-Comp.csv"))
    path = tmp_path / "out.csv"
    write_ktab(p.to_ktab(), path)
    q = from_ktab(read_ktab(path))
    assert q.actors == p.actors and q.dimensions == p.dimensions
    assert np.array_equal(q.unit_position(), p.unit_position())
    assert np.allclose(q.salience, p.salience, rtol=0, atol=1e-15)
    assert np.array_equal(q.capability, p.capability)
