"""The simulator: determinism, as-of invariance, parameter recovery, policies, nowcast."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from standoff.dynamics.estimate import fit_logit, fit_negbin
from standoff.dynamics.model import fit, fit_components, state_design
from standoff.dynamics.simulate import EVENTS, simulate
from standoff.dynamics.war import war_prior
from standoff.errors import UsageError
from standoff.forecast import compare_policies, run_forecast, summarise
from standoff.history.core import History
from standoff.scenario import load_scenario


@pytest.fixture(scope="module")
def m2018(hist):
    return fit(hist, "2018-01-01")


def test_fit_reads_only_the_cut(m2018):
    assert m2018.fit_window == ("1994-01", "2017-12")
    assert m2018.first_forecast_month == "2018-01"
    assert m2018.nowcast_months == []
    la = m2018.components["launches"]
    assert la.kind == "nb" and la.n == 276 and la.events == 103  # missiles 1994-2017 in the window
    assert m2018.components["nuclear"].events == 6
    assert np.all(m2018.components["talks"].se > 0)


def test_same_seed_same_output_other_seed_differs(m2018):
    a = summarise(simulate(m2018, None, 3000, 24, seed=11))
    b = summarise(simulate(m2018, None, 3000, 24, seed=11))
    c = summarise(simulate(m2018, None, 3000, 24, seed=12))
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)
    g = simulate(m2018, None, 500, 12, seed=np.random.default_rng(5))
    h = simulate(m2018, None, 500, 12, seed=np.random.default_rng(5))
    assert np.array_equal(g.launches, h.launches)


def _doctor(hist: History, cut: str) -> History:
    """Change, delete and add records dated after ``cut``."""
    c = pd.Timestamp(cut)
    t = {k: v.copy() for k, v in hist.tables.items()}
    la = t["launches"]
    t["launches"] = la[la["date"] <= c].reset_index(drop=True)  # delete every later launch
    sa = t["sanctions"]
    later = sa["date"] > c
    sa.loc[later, "seafood"] = 0  # change later rows
    sa.loc[later, "kind"] = "sanctions"
    nt = t["nuclear_tests"]
    fake = nt.iloc[[-1]].copy()
    fake["id"], fake["test_no"] = "nuclear-test-7", 7
    fake["date"] = fake["known_from"] = c + pd.Timedelta(days=40)  # add a seventh test later
    t["nuclear_tests"] = pd.concat([nt, fake], ignore_index=True)
    dp = t["diplomacy"]
    t["diplomacy"] = dp[dp["date_start"] <= c].reset_index(drop=True)
    dp2 = t["diplomacy"]
    dp2.loc[dp2["in_force_to"] > c, "in_force_to"] = c + pd.Timedelta(days=3)  # rewrite later ends
    return History(t)


@pytest.mark.parametrize("cut", ["2012-06-30", "2018-01-01"])
def test_forecast_as_of_ignores_everything_after_the_cut(hist, cut):
    doctored = _doctor(hist, cut)
    a, _, _ = run_forecast(hist, as_of=cut, horizon=24, paths=2000, seed=3)
    b, _, _ = run_forecast(doctored, as_of=cut, horizon=24, paths=2000, seed=3)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    # and the doctoring did change the full history
    assert len(doctored.launches) < len(hist.launches)


def test_logit_recovers_known_parameters():
    rng = np.random.default_rng(0)
    n = 20_000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.binomial(1, 0.3, n)])
    beta = np.array([-2.0, 0.8, -0.5])
    y = rng.random(n) < 1 / (1 + np.exp(-X @ beta))
    f = fit_logit(X, y, ("const", "a", "b"))
    assert np.all(np.abs(f.coef - beta) < 4 * f.se)
    assert np.all(f.se < 0.1)


def test_negbin_recovers_known_parameters():
    rng = np.random.default_rng(1)
    n = 8000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.binomial(1, 0.5, n)])
    beta, alpha = np.array([0.3, 0.5, -0.7]), 0.8
    mu = np.exp(X @ beta)
    y = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
    f = fit_negbin(X, y, ("const", "a", "b"))
    assert np.all(np.abs(f.coef - beta) < 4 * f.se)
    assert abs(f.alpha - alpha) < 0.15


def test_count_model_converges_on_every_bundled_year_end_window(hist):
    """The MAP NB converges (no fallback) with finite, bounded estimates at every year end."""
    last = int(hist.monthly["month"].iloc[-1][:4])
    for year in range(1999, last):
        nb = fit(hist, f"{year}-12-31").components["launches"]
        assert nb.status == "map", (year, nb.status)
        assert np.all(np.isfinite(nb.coef)) and np.all(np.isfinite(nb.cov)), year
        assert np.max(np.abs(nb.coef)) < 10 and np.max(nb.se) < 5, (year, nb.coef, nb.se)
        assert 1e-3 < nb.alpha < 500 and 0 < nb.log_alpha_sd < 3, (year, nb.alpha)
        assert np.all(np.linalg.eigvalsh(nb.cov) > 0), year


def test_negbin_prior_keeps_a_constant_covariate_at_its_prior():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(300), np.zeros(300), rng.normal(size=300)])
    y = rng.poisson(2.0, 300)
    f = fit_negbin(X, y, ("const", "never", "a"))
    assert f.status == "map" and f.coef[1] == pytest.approx(0, abs=1e-6)
    assert f.se[1] == pytest.approx(1.0, rel=1e-3)  # PRIOR_SD_SLOPE


def test_components_recover_the_simulators_parameters(m2018):
    """Simulate a long history from fixed, known coefficients, refit it, recover them."""
    comps = {
        k: dataclasses.replace(
            v, cov=np.eye(len(v.coef)) * 1e-12, log_alpha_sd=0.0 if v.kind == "nb" else None
        )
        for k, v in m2018.components.items()
    }
    # a stable launch process (no explosive lags) so that a long path stays stationary
    la = comps["launches"]
    coef = la.coef.copy()
    coef[list(la.names).index("l12")] = 0.3
    comps["launches"] = dataclasses.replace(la, coef=coef)
    no_war = dataclasses.replace(m2018.war, esc_a=1e-12)
    truth = dataclasses.replace(m2018, components=comps, war=no_war)
    T = 600
    sim = simulate(truth, None, 5, T, seed=4)
    from standoff.dynamics.features import monthly_state

    states, designs, masks = [], [], []
    for j in range(sim.n_paths):
        la_ = sim.launches[:, j].astype(float)
        days = np.where(la_ > 0, np.maximum(1, np.round(la_ / truth.missiles_per_launch_day)), 0)
        ev = {k: v[:, j].astype(float) for k, v in sim.events.items()}
        panel = pd.DataFrame(
            {
                "month": [str(p) for p in pd.period_range("2100-01", periods=T, freq="M")],
                "leader": "Kim Jong Un",
                "launches": la_,
                "launch_days": days,
                "launches_icbm": ev["icbm"],
                "nuclear_tests": ev["nuclear"],
                "sanctions_resolutions": ev["resolution"],
                "vetoed_drafts": 0.0,
                "talks_held": ev["talks"],
                "summit_us_rok": ev["summit"],
                "agreement_in_force": sim.agreement_in_force[:, j].astype(float),
                "agreements_signed": ev["agreement_signed"],
                "collapses": ev["agreement_collapse"],
                "provocations_other": 0.0,
                "sanctions_intensity": sim.sanctions[:, j].astype(float),
            }
        )
        st_j = monthly_state(panel)
        states.append(st_j)
        designs.append(state_design(st_j))
        m = np.ones(T, bool)
        m[:12] = False
        masks.append(m)
    st = pd.concat(states, ignore_index=True)
    x = pd.concat(designs, ignore_index=True)
    mask = np.concatenate(masks)
    est = fit_components(st, x, mask)
    for name in ("launches", "talks", "resolution"):
        true = comps[name].coef
        got = est[name]
        z = (got.coef - true) / got.se
        informative = got.se < 2.0  # prior-dominated terms (never varying) say nothing
        assert np.all(np.abs(z[informative]) < 4.5), (name, got.names, got.coef, true)


def test_war_prior_is_documented_and_updated():
    wp = war_prior(2018)
    assert (wp.onsets, wp.wars, wp.through_year) == (45, 0, 2010)
    assert wp.esc_a / (wp.esc_a + wp.esc_b) == pytest.approx(0.9 / 75)
    early = war_prior(1990)
    assert early.onsets < wp.onsets  # as-of: later disputes are not used
    draws = wp.draw(np.random.default_rng(0), 20_000)
    assert draws.mean() == pytest.approx(wp.mean_monthly_hazard, rel=0.05)


def test_policies_move_the_levers_they_claim(hist):
    scn = load_scenario("korea-now")
    out, sims = compare_policies(
        hist,
        scn,
        ["status-quo", "phased-relief", "freeze-for-freeze", "military-option", "maximum-pressure"],
        horizon=24,
        paths=3000,
        seed=9,
    )
    d = out["differences"]
    assert sims["phased-relief"].sanctions[-1].mean() < sims["status-quo"].sanctions[-1].mean()
    assert sims["maximum-pressure"].sanctions[0].mean() > sims["status-quo"].sanctions[0].mean()
    assert (
        d["freeze-for-freeze"]["nuclear"]["24"]["diff"]
        < -3 * d["freeze-for-freeze"]["nuclear"]["24"]["se"]
    )
    assert d["military-option"]["war"]["24"]["diff"] > 0.05
    assert d["phased-relief"]["talks"]["24"]["diff"] > 0
    # common random numbers: a policy identical to the baseline gives zero differences
    same, _ = compare_policies(
        hist, scn, ["status-quo", "phased-relief"], horizon=2, paths=500, seed=1
    )
    assert (
        same["differences"]["phased-relief"]["war"]["2"]["diff"] == 0.0
    )  # relief starts in month 3


def test_nowcast_as_of_now(hist):
    m = fit(hist)
    assert m.first_forecast_month == "2026-08"
    assert m.nowcast_months == ["2026-04", "2026-05", "2026-06", "2026-07"]
    assert np.all(m.nowcast_fixed["nuclear"] == 0)
    s = simulate(m, None, 500, 12, seed=1)
    assert s.months[0] == "2026-08" and any("nowcast" in n for n in s.notes)
    assert any("partly observed (to 2026-08-20)" in n for n in s.notes)
    assert m.partial_month["launches"] == 0  # CNS data end in April: August launches unknown


def test_partial_as_of_month_keeps_recorded_events(hist):
    """As of 2017-09-20 the 2017-09-03 test is known: the forecast month 2017-09 has it."""
    m = fit(hist, "2017-09-20")
    assert m.first_forecast_month == "2017-09" and m.partial_month["nuclear"] == 1.0
    s = simulate(m, None, 300, 3, seed=1)
    assert s.prob("nuclear", 1)[0] == 1.0 and s.prob("resolution", 1)[0] == 1.0  # 2375 on 09-11
    m0 = fit(hist, "2017-08-31")
    assert m0.partial_month == {} and m0.first_forecast_month == "2017-09"


def test_outputs_are_probabilities(m2018):
    s = simulate(m2018, None, 2000, 36, seed=2)
    for e in EVENTS:
        ps = [s.prob(e, k)[0] for k in (3, 6, 12, 24, 36)]
        assert all(0 <= p <= 1 for p in ps) and ps == sorted(ps)  # monotone in the horizon
    shares = s.outcome_shares()
    assert sum(v["p"] for v in shares.values()) == pytest.approx(1.0)
    q = s.launch_quantiles()
    assert [r["year"] for r in q] == [1, 2, 3] and all(r["q05"] <= r["q50"] <= r["q95"] for r in q)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": 1}, r"--paths: expected an integer in \[2, "),
        ({"horizon": 0}, r"--horizon: expected an integer number of months in \[1, 600\]"),
        ({"as_of": "1990-01-01"}, "needs at least 60"),
        ({"policy": "maximum-pressure"}, "needs a scenario that defines it"),
    ],
)
def test_bad_arguments(hist, kwargs, message):
    args = {"as_of": "2018-01-01", "horizon": 12, "paths": 100, "seed": 1, **kwargs}
    with pytest.raises(UsageError, match=message):
        run_forecast(hist, **args)
