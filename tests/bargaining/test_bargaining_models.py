"""Inputs round trip, baselines, NBS, EUM invariants, ensembles and the briefing section."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standoff.bargaining import baselines
from standoff.bargaining.ensemble import run_ensemble
from standoff.bargaining.eum import median_voter, risk_exponents, run_eum, win_probabilities
from standoff.bargaining.inputs import (
    from_frame,
    from_scenario,
    make_problem,
    read_file,
    read_ktab,
    to_ktab,
    write_ktab,
)
from standoff.bargaining.models import MODELS, forecast
from standoff.bargaining.nbs import nash_bargaining
from standoff.bargaining.report import briefing_section
from standoff.errors import DataError, StandoffError

DATA = Path(__file__).parent / "data"


# ------------------------------------------------------------------ inputs
@pytest.mark.parametrize("name", ["eu_emissions_ktab.csv", "toy_2dim_ktab.csv"])
def test_ktab_written_back_reads_back_identically(tmp_path, name):
    k = read_ktab(DATA / name)
    out = tmp_path / "back.csv"
    text = write_ktab(k, out)
    k2 = read_ktab(out)
    assert k2.equals(k)
    assert write_ktab(k2) == text
    for a, b in zip(k.problems(), k2.problems(), strict=True):
        assert a.equals(b)


def test_ktab_and_plain_csv_agree():
    a = read_file(DATA / "eu_emissions_ktab.csv")[0]
    b = read_file(DATA / "eu_emissions.csv")[0]
    assert a.actors == b.actors
    assert np.array_equal(a.salience, b.salience)
    assert np.array_equal(a.position, b.position)


def test_to_ktab_round_trip(tmp_path):
    probs = read_ktab(DATA / "toy_2dim_ktab.csv").problems()
    k = to_ktab(probs, name="toy")
    write_ktab(k, tmp_path / "t.csv")
    assert read_ktab(tmp_path / "t.csv").equals(k)


def test_frame_input_aliases_and_salience_scale():
    df = pd.DataFrame(
        {"Name": ["a", "b"], "Influence": [1, 2], "Position": [0, 10], "Salience": [50, 100]}
    )
    p = from_frame(df)
    assert p.salience.tolist() == [0.5, 1.0]
    with pytest.raises(DataError, match="missing column"):
        from_frame(df.drop(columns="Position"))


def test_errors_are_standoff_errors():
    with pytest.raises(StandoffError, match="at least one actor with capability > 0"):
        make_problem(["a", "b"], [0, 0], [0, 1], [1, 1])
    with pytest.raises(DataError, match="appears twice"):
        make_problem(["a", "a"], [1, 1], [0, 1], [1, 1])


def test_scenario_issues_are_problems():
    from standoff.scenario import load_scenario

    for name in ("korea-2018", "korea-now"):
        scn = load_scenario(name)
        probs = from_scenario(scn)
        assert [p.name for p in probs] == [i.id for i in scn.issues]
        for p in probs:
            assert p.scale == (0.0, 100.0)
            for m in MODELS:
                v = forecast(p, m, log=False).value
                assert v is None or 0 <= v <= 100


# ------------------------------------------------------------------ baselines, NBS
def test_baselines_eu(eu):
    assert baselines.compromise(eu) == pytest.approx(7.38996, abs=1e-5)
    assert baselines.weighted_median(eu) == 7.0
    assert baselines.mean(eu) == pytest.approx(6.7)
    assert baselines.status_quo(eu) is None


def test_nbs_quadratic_far_disagreement_is_near_compromise(eu):
    # Achen's argument: with a distant reference point the NBS tends to the weighted mean
    r = nash_bargaining(eu, disagreement=1e5)
    assert r.disagreement == "status_quo"
    assert r.forecast == pytest.approx(baselines.compromise(eu), abs=0.01)


def test_nbs_status_quo_and_fallback():
    p = make_problem(
        ["a", "b", "c"], [1, 1, 1], [20, 60, 100], [1, 1, 1], scale=(0, 100), status_quo=0
    )
    r = nash_bargaining(p)
    assert r.disagreement == "status_quo" and 0 < r.forecast < 40  # unanimity bounds by 'a'
    q = make_problem(["a", "b"], [1, 1], [0, 100], [1, 1], scale=(0, 100), status_quo=50)
    r = nash_bargaining(q)
    assert r.disagreement == "worst" and r.forecast == pytest.approx(50, abs=1e-6)


# ------------------------------------------------------------------ properties
problems = (
    st.integers(2, 9)
    .flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0.01, 10), min_size=n, max_size=n),
            st.lists(st.integers(0, 20).map(lambda v: v * 5.0), min_size=n, max_size=n),
            st.lists(st.floats(0.05, 1), min_size=n, max_size=n),
            st.randoms(use_true_random=False),
        )
    )
    .filter(lambda t: len(set(t[1])) > 1)
)


def _make(t, perm=None):
    c, x, s, _ = t
    n = len(c)
    perm = list(range(n)) if perm is None else perm
    return make_problem(
        [f"a{k}" for k in perm],
        [c[k] for k in perm],
        [x[k] for k in perm],
        [s[k] for k in perm],
        scale=(0, 100),
    )


@settings(max_examples=40, deadline=None)
@given(problems)
def test_property_forecasts_within_range_and_permutation_invariant(t):
    p = _make(t)
    perm = list(range(p.n))
    t[3].shuffle(perm)
    q = _make(t, perm)
    lo, hi = p.position.min(), p.position.max()
    for m in ("compromise", "median", "nbs", "eum"):
        a = forecast(p, m, log=False)
        b = forecast(q, m, log=False)
        assert lo - 1e-9 <= a.value <= hi + 1e-9
        assert a.value == pytest.approx(b.value, abs=1e-6 if m == "nbs" else 1e-9)
        if m == "eum":
            inv = np.argsort(perm)
            assert np.allclose(a.positions, b.positions[:, inv], atol=1e-9)
            assert (a.positions >= lo - 1e-9).all() and (a.positions <= hi + 1e-9).all()
            assert a.details["status"] == b.details["status"]


def _brute_p(z, w, rk, scholz):
    d = np.abs(z[:, None] - z[None, :])
    e = w[:, None] * d ** rk[:, None]
    v = e[:, None, :] - e[:, :, None]  # v[k, i, j] = E[k, j] - E[k, i]: k's vote for i over j
    gain = np.maximum(v, 0).sum(axis=0)
    if scholz:
        p = gain / np.abs(v).sum()
    else:
        tot = np.abs(v).sum(axis=0)
        p = np.where(tot > 0, gain / np.where(tot > 0, tot, 1), 0.5)
    p[z[:, None] == z[None, :]] = 0
    return p


@settings(max_examples=40, deadline=None)
@given(problems, st.booleans())
def test_property_vectorised_probabilities_match_brute_force(t, scholz):
    p = _make(t)
    z = (p.position - p.position.min()) / np.ptp(p.position)
    rk = np.asarray([0.5 + 1.5 * (k % 3) / 2 for k in range(p.n)]) if scholz else np.ones(p.n)
    got = win_probabilities(z, p.weight, vote_exponent=rk if scholz else None, scholz=scholz)
    assert np.allclose(got, _brute_p(z, p.weight, rk, scholz), atol=1e-12)
    if not scholz:
        distinct = z[:, None] != z[None, :]
        assert np.allclose((got + got.T)[distinct], 1.0)
    r = risk_exponents(z, p.weight, p.salience)
    assert (r >= 0.5 - 1e-12).all() and (r <= 2 + 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(problems)
def test_property_median_voter_beats_every_position(t):
    p = _make(t)
    z = p.position
    mu = median_voter(z, p.weight)
    cost = lambda y: float(np.dot(p.weight, np.abs(z - y)))  # noqa: E731
    assert mu in set(z.tolist())
    assert all(cost(mu) <= cost(y) + 1e-9 for y in z)


@pytest.mark.parametrize(
    "case",
    [
        ([1, 1, 1, 1], [0, 0, 100, 100], [1, 1, 1, 1]),  # dichotomous (KTAB fails here)
        ([1, 2], [0, 100], [0.5, 0.9]),  # n = 2
        ([1, 1, 1], [10, 10, 90], [0, 1, 1]),  # ties and zero salience
        ([0, 1, 1], [0, 50, 100], [1, 1, 1]),  # zero capability
    ],
)
def test_robustness_cases(case):
    c, x, s = case
    p = make_problem([f"a{k}" for k in range(len(c))], c, x, s, scale=(0, 100))
    for m in ("compromise", "median", "nbs", "eum", "eum-scholz"):
        f = forecast(p, m)
        assert 0 <= f.value <= 100
    for kw in ({"conflict": "stochastic", "seed": 1}, {"q": 0.5, "t": 0.5}, {"renege": True}):
        r = run_eum(p, **kw)
        assert np.isfinite(r.positions).all()
        assert (r.positions >= 0).all() and (r.positions <= 100).all()


def test_clean_eum_reports_stopping(eu):
    r = run_eum(eu)
    assert r.status in ("converged", "oscillating", "median_stable", "max_rounds")
    assert r.n_rounds <= 50
    assert r.forecast == r.medians[-1]
    ev = r.events()
    assert set(ev["kind"]) <= {"conflict", "compromise", "capitulation"}
    # every actor acts on at most one offer per round
    acted = ev[ev["accepted"]].groupby(["round", "target"]).size()
    assert (acted <= 2).all()


def test_oscillation_detected_and_reported():
    # a 6-actor case whose clean dynamics end in a 2-cycle (found by a seeded random search)
    p = make_problem(
        [f"a{k}" for k in range(6)],
        [3, 6, 8, 9, 3, 6],
        [20, 60, 90, 100, 10, 30],
        [0.4, 0.4, 0.2, 0.8, 0.6, 1.0],
        scale=(0, 100),
    )
    r = run_eum(p)
    assert (r.status, r.period, r.oscillating) == ("oscillating", 2, True)
    assert np.allclose(r.positions[-1], r.positions[-3])


# ------------------------------------------------------------------ ensembles
@pytest.mark.parametrize("model", ["compromise", "nbs", "eum"])
def test_ensemble_determinism(eu, model):
    a = run_ensemble(eu, model, n=25, noise=0.05, seed=11)
    b = run_ensemble(eu, model, n=25, noise=0.05, seed=11)
    c = run_ensemble(eu, model, n=25, noise=0.05, seed=12)
    assert np.array_equal(a.forecasts, b.forecasts)
    assert a.quantiles == b.quantiles
    assert not np.array_equal(a.forecasts, c.forecasts)
    q = list(a.quantiles.values())
    assert q == sorted(q)
    assert a.seed_entropy == 11


def test_ensemble_zero_noise_compromise_is_point(eu):
    e = run_ensemble(eu, "compromise", n=5, noise=0.0, seed=1)
    assert np.allclose(e.forecasts, baselines.compromise(eu))


# ------------------------------------------------------------------ briefing
def test_briefing_section_html():
    html = briefing_section("korea-2018", charts=True)
    assert html.startswith("<section") and html.endswith("</section>")
    assert html.count("<table") == 3 + 1  # one per issue, and the deal space's settlements
    assert "Compromise model" in html and "Expected utility model" in html
    assert "Default point forecast" in html and "The deal space" in html
    assert "win-set" in html and "phased-relief" in html
    assert "<script" not in html and "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html


def test_bundled_example_matches_fixture():
    from standoff.bargaining import example_path

    a = read_ktab(example_path("eu-car-emissions"))
    b = read_ktab(DATA / "eu_emissions_ktab.csv")
    assert a.equals(b)
    with pytest.raises(StandoffError, match="no bundled bargaining example"):
        example_path("nope")
