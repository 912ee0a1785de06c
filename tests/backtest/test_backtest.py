"""Backtest: scores against hand-computed values, baselines and the look-ahead guarantee."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from standoff.backtest import backtest, baselines, scores
from standoff.backtest.core import forecast_origin, observed
from standoff.history.core import History
from standoff.history.schema import DATED_TABLES

ORIGINS = ["2015-01", "2015-02", "2015-03", "2015-04", "2015-05", "2015-06"]


def test_brier_and_log_by_hand():
    p = np.array([0.2, 0.9, 0.5, 0.0])
    y = np.array([0, 1, 1, 1])
    np.testing.assert_allclose(scores.brier(p, y), [0.04, 0.01, 0.25, 1.0])
    np.testing.assert_allclose(
        scores.log_score(p, y), [-np.log(0.8), -np.log(0.9), -np.log(0.5), -np.log(1e-3)]
    )


def test_crps_ensemble_by_hand():
    # CRPS = E|X - y| - E|X - X'|/2 ; ensemble {0, 2}, y = 1: 1 - (0 + 2 + 2 + 0)/4/2 = 0.5
    np.testing.assert_allclose(scores.crps_ensemble(np.array([[0.0, 2.0]]), np.array([1.0])), 0.5)
    # point ensemble: CRPS = |x - y|
    np.testing.assert_allclose(scores.crps_ensemble(np.full((1, 5), 3.0), np.array([7.0])), 4.0)


def test_crps_poisson_branch_matches_ensemble():
    rng = np.random.default_rng(0)
    draws = rng.poisson(4.0, size=(1, 200_000))
    exact = scores.crps_negbinom(np.array([4.0]), np.array([4.0]), np.array([6.0]))
    np.testing.assert_allclose(exact, scores.crps_ensemble(draws, np.array([6.0])), rtol=0.02)
    nb = scores.crps_negbinom(np.array([4.0]), np.array([12.0]), np.array([6.0]))
    nbd = rng.negative_binomial(2.0, 1 / 3, size=(1, 200_000))  # mean 4, var 12
    np.testing.assert_allclose(nb, scores.crps_ensemble(nbd, np.array([6.0])), rtol=0.02)


def test_coverage_and_skill_by_hand():
    draws = np.tile(np.arange(101.0), (3, 1))
    y = np.array([50.0, 20.0, 99.0])
    assert scores.coverage(draws, y, 0.5).tolist() == [True, False, False]
    assert scores.coverage(draws, y, 0.9).tolist() == [True, True, False]
    s = scores.skill_interval(np.array([0.1, 0.1]), np.array([0.2, 0.2]), block=1, reps=50)
    assert s["skill"] == pytest.approx(0.5)
    assert s["skill_interval"] == pytest.approx([0.5, 0.5])
    assert s["mean_diff"] == pytest.approx(0.1)


def test_stationary_bootstrap_blocks_and_seed():
    idx = scores.stationary_indices(300, 24, 400, 1)
    assert idx.shape == (400, 300)
    assert ((idx >= 0) & (idx < 300)).all()
    steps = np.diff(idx, axis=1)
    starts = np.mean((steps != 1) & (steps != -299))  # a new block (wrap-around continues one)
    assert 1 / 30 < starts < 1 / 18  # geometric blocks of mean length 24
    assert np.array_equal(idx, scores.stationary_indices(300, 24, 400, 1))
    assert not np.array_equal(idx, scores.stationary_indices(300, 24, 400, 2))


def test_auc_recalibration_and_episodes_by_hand():
    assert scores.auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert scores.auc(np.array([0.5, 0.5]), np.array([0, 1])) == 0.5
    assert np.isnan(scores.auc(np.array([0.1, 0.2]), np.array([1, 1])))
    rng = np.random.default_rng(0)
    p = rng.uniform(0.05, 0.95, 4000)
    y = rng.random(4000) < p
    assert scores.recalibration(p, y)["slope"] == pytest.approx(1.0, abs=0.15)
    assert scores.recalibration(1 - p, y)["slope"] < 0  # a reversed signal
    assert scores.episodes(np.array([0, 1, 1, 0, 1, 0, 0, 1, 1])) == 3


def test_backtest_bootstrap_seed_is_separate(hist):
    kw = dict(horizons=[3], targets=["launch"], paths=100, seed=3, reps=200)
    a = backtest(hist, ORIGINS, **kw)
    b = backtest(hist, ORIGINS, **kw, boot_seed=7)
    sa, sb = a["scores"]["launch"]["3"], b["scores"]["launch"]["3"]
    assert sa["brier"] == sb["brier"]  # same Monte Carlo
    assert (
        sa["skill"]["climatology"]["skill_interval"] != sb["skill"]["climatology"]["skill_interval"]
    )


def test_baselines_by_hand():
    panel = pd.DataFrame(
        {
            "month": [str(p) for p in pd.period_range("2000-01", periods=6, freq="M")],
            "launches": [0, 2, 0, 0, 0, 0],
            "launches_icbm": [0.0] * 6,
            "nuclear_tests": [0, 0, 0, 0, 0, 1],
            "sanctions_resolutions": [0.0] * 6,
            "talks_held": [np.nan, np.nan, 1, 0, 0, 0],
            "summit_us_rok": [0.0] * 6,
            "agreements_signed": [0.0] * 6,
        }
    )
    b = baselines(panel, pd.Period("2000-07", freq="M"), 2)
    # launch windows of 2: (0,2),(2,0),(0,0),(0,0),(0,0) -> k = 2 of 5
    assert b["launch"]["climatology"] == pytest.approx(2.5 / 6)
    assert b["launch"]["rolling_climatology"] == pytest.approx(2.5 / 6)  # 6 months < 60
    # Markov on launch months 0,1,0,0,0,0: from 0, 1 of 4 transitions -> 1: p01 = 1.5/5;
    # last month 0: P(none in 2) = (1 - p01)^2
    assert b["launch"]["markov"] == pytest.approx(1 - (1 - 1.5 / 5) ** 2)
    # nuclear: last month 1: P(none in 2) = (1 - p11) (1 - p01), p11 = 0.5/1, p01 = 1.5/6
    assert b["nuclear"]["markov"] == pytest.approx(1 - (1 - 0.5) * (1 - 1.5 / 6))
    assert b["launches"]["rolling_nb_mean"] == pytest.approx(2 * 2 / 6)
    assert b["launch"]["persistence"] == 0.0
    assert b["nuclear"]["persistence"] == 1.0
    # talks: covered windows (1,0),(0,0),(0,0) -> k = 1 of 3
    assert b["talks"]["climatology"] == pytest.approx(1.5 / 4)
    assert b["launches"]["intercept_mean"] == pytest.approx(2 * 2 / 6)
    assert b["launches"]["intercept_var"] == pytest.approx(2 * np.var([0, 2, 0, 0, 0, 0], ddof=1))
    # a month at or after the origin is never read
    later = pd.concat([panel, panel.assign(month=["2000-07"] * 6, launches=99)])
    assert baselines(later, pd.Period("2000-07", freq="M"), 2) == b


def test_observed_missing_is_nan(hist):
    m = hist.monthly
    assert np.isnan(observed(m, pd.Period("1990-01", freq="M"), 12, "talks_held"))
    last = pd.Period(m["month"].iloc[-1], freq="M")
    assert np.isnan(observed(m, last, 2, "launches"))


def _altered_after(history: History, cut: str) -> History:
    """A copy in which every dated record known after ``cut`` is dropped or inflated."""
    c = pd.Timestamp(cut)
    tables = {}
    for name, df in history.tables.items():
        df = df.copy()
        if name in DATED_TABLES:
            late = df["known_from"] > c
            if name == "launches":
                df = pd.concat([df[~late], df[late], df[late]], ignore_index=True)
            else:
                df = df[~late].reset_index(drop=True)
        tables[name] = df
    return History(tables, origin="altered")


def test_forecast_unchanged_when_later_records_altered(hist):
    kw = dict(horizons=[12], targets=["launch", "nuclear", "talks", "launches"], paths=300, seed=3)
    a = backtest(hist, ["2015-01"], **kw)
    b = backtest(_altered_after(hist, "2014-12-31"), ["2015-01"], **kw)
    ra, rb = a["records"][0]["h"][12], b["records"][0]["h"][12]
    assert ra["forecast"] == rb["forecast"]
    np.testing.assert_array_equal(ra["launch_draws"], rb["launch_draws"])
    assert ra["baselines"] == rb["baselines"]
    # ... while the observed outcome did change: the alteration bites
    assert ra["observed"] != rb["observed"]


def test_forecast_does_not_depend_on_other_origins(hist):
    one = forecast_origin(hist, pd.Period("2015-03", freq="M"), [6], 300, 5)
    many = backtest(hist, ["2015-01", "2015-03"], [6], ["launch"], 300, 5)["records"][1]
    assert one["h"][6]["forecast"] == many["h"][6]["forecast"]


def test_backtest_scores_table(hist):
    res = backtest(hist, ORIGINS, [12], paths=300, seed=1)
    assert res["n_forecast"] == 6 and not res["skipped"]
    s = res["scores"]["launch"]["12"]
    assert s["n"] == 6
    models = {"standoff", "standoff_raw", "climatology", "rolling_climatology", "markov"}
    assert set(s["brier"]) == models | {"persistence"}
    assert set(s["skill"]) == {"climatology", "rolling_climatology", "markov", "persistence"}
    assert 0 <= s["auc"]["standoff"] <= 1 or np.isnan(s["auc"]["standoff"])
    assert "slope" in s["recalibration"]["standoff_raw"] and s["episodes"] >= 0
    c = res["scores"]["launches"]["12"]
    assert c["crps"]["standoff"] >= 0 and 0 <= c["coverage"]["90"] <= 1
    assert set(c["skill"]) == {"intercept", "rolling_nb"}
    assert res["war"]["12"]["scored"] is False


def test_cli_json_smoke(run_cli):
    code, out, err = run_cli(
        "backtest",
        "--from",
        "2015-01",
        "--to",
        "2015-03",
        "--paths",
        "50",
        "--targets",
        "launch,launches",
        "--json",
    )
    assert code == 0, err
    d = json.loads(out)
    assert d["n_forecast"] == 3
    assert d["scores"]["launch"]["12"]["n"] == 3
    assert d["horizons"] == [1, 3, 6, 12, 24]  # the default horizons
    assert d["boot_seed"] != d["seed"]
    assert "records" not in d


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2015-13"],
        ["--horizons", "x"],
        ["--horizons", "0"],
        ["--targets", "bogus"],
        ["--step", "0"],
        ["--paths", "1"],
        ["--from", "2015-05", "--to", "2015-01"],
        ["--nope"],
    ],
)
def test_cli_bad_flags(run_cli, args):
    code, out, err = run_cli("backtest", *args)
    assert code == 2
    assert err.startswith("error: ") and err.strip().count("\n") == 0


def test_yearly_refit_uses_year_end_components_and_state_at_cut(hist, monkeypatch):
    from standoff.backtest import core

    seen = []
    real = core._fit

    def spy(view, components=None):
        seen.append((view.as_of_date, components is not None))
        return real(view, components=components)

    monkeypatch.setattr(core, "_fit", spy)
    cache: dict = {}
    forecast_origin(hist, pd.Period("2015-03", freq="M"), [3], 50, 0, "yearly", cache)
    forecast_origin(hist, pd.Period("2015-04", freq="M"), [3], 50, 0, "yearly", cache)
    assert seen == [
        (pd.Timestamp("2014-12-31"), False),  # components: once per year end
        (pd.Timestamp("2015-02-28"), True),  # state as of the cut
        (pd.Timestamp("2015-03-31"), True),
    ]


def test_negbin_fallback_is_logged_and_simpler(hist, monkeypatch, caplog):
    # a fit that fails a check falls back, with a log line, to the intercept-only MAP NB (never
    # a placeholder covariance); early windows (launches in a handful of months) still forecast
    from standoff.dynamics import estimate
    from standoff.dynamics.model import fit

    real = estimate._nb_map

    def failing(X, y, names):
        theta, cov, problems = real(X, y, names)
        return (theta, cov, problems) if names == ("const",) else (theta, cov, ["forced"])

    monkeypatch.setattr(estimate, "_nb_map", failing)
    with caplog.at_level("WARNING", logger="standoff.dynamics.estimate"):
        nb = fit(hist, "1999-12-31").components["launches"]
    assert nb.status.startswith("intercept-only") and "forced" in caplog.text
    assert np.isfinite(nb.alpha) and np.all(np.isfinite(nb.coef))
    assert np.all(nb.coef[1:] == 0) and np.all(nb.se[1:] < 1e-4)
    monkeypatch.undo()
    res = backtest(hist, ["2000-01"], [12], ["launch", "launches"], paths=200, seed=0)
    assert not res["skipped"] and res["n_forecast"] == 1


def _weights_at(records, origin, h):
    from standoff.backtest.core import combine_records

    combine_records(records, [h])
    r = next(r for r in records if r["origin"] == origin)
    return r["h"][h]["weights"], r["h"][h]["combined"], r["h"][h]["count_mix"]


def test_combination_weights_ignore_every_later_outcome(hist):
    """Weights at origin D are bit-identical when every outcome after D is altered."""
    import copy

    origins = [str(p) for p in pd.period_range("2014-01", "2015-06", freq="M")]
    D = "2015-03"
    res = backtest(hist, origins, [3], paths=100, seed=2, reps=50)
    w0, c0, m0 = _weights_at(copy.deepcopy(res["records"]), D, 3)
    assert w0["launch"]["n_resolved"] == 12  # origins 2014-01 .. 2014-12 have resolved
    # 1) a history in which every record known after the cut of D is dropped or doubled
    alt = _altered_after(hist, "2015-02-28")
    res2 = backtest(alt, origins, [3], paths=100, seed=2, reps=50)
    w1, c1, m1 = _weights_at(copy.deepcopy(res2["records"]), D, 3)
    assert w1 == w0 and c1 == c0
    assert all(np.array_equal(a, b) for a, b in zip(m0, m1, strict=True))
    assert res2["scores"] != res["scores"]  # later outcomes did change
    # 2) later records scrambled outright: forecasts, baselines and what they knew
    recs = copy.deepcopy(res["records"])
    rng = np.random.default_rng(0)
    for r in recs:
        if r["origin"] > D:
            for t in list(r["h"][3]["forecast"]):
                r["h"][3]["forecast"][t] = float(rng.random())
            for col in r["known"]:
                if col != "start":
                    r["known"][col] = rng.integers(0, 9, len(r["known"][col])).astype(float)
            r["h"][3]["launch_draws"] = rng.integers(0, 99, 100)
    w2, c2, _ = _weights_at(recs, D, 3)
    assert w2 == w0 and c2 == c0


def test_recalibration_starts_at_the_identity_and_learns():
    from standoff.backtest import combine

    # nothing resolved, or too few episodes: the simulator alone
    assert combine.recal_fit(np.zeros(0), np.zeros(0)) is None
    assert combine.recal_fit(np.full(30, 0.2), np.r_[np.ones(5), np.zeros(25)]) is None
    p = np.array([0.001, 0.2, 0.7])
    np.testing.assert_array_equal(combine.recal_predict(None, p), p)
    # a simulator that is over-confident (true log odds are half its log odds): the slope
    # learned is below 1, and closer to 0.5 with more resolved forecasts
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2.5, 4000)
    q = 1 / (1 + np.exp(-z))
    y = (rng.random(4000) < 1 / (1 + np.exp(-0.5 * z))).astype(float)
    few = combine.recal_fit(q[:60], y[:60])
    many = combine.recal_fit(q, y)
    assert few is not None and many is not None
    assert np.exp(many[1]) < np.exp(few[1]) <= 1.0 + 1e-9
    assert abs(np.exp(many[1]) - 0.5) < 0.08 and abs(many[0]) < 0.15
    # the overlap weight shrinks the evidence: the weighted fit stays closer to the identity
    w = combine.recal_fit(q[:200], y[:200], weight=combine.overlap_weight(12, 1))
    u = combine.recal_fit(q[:200], y[:200])
    assert abs(w[1]) < abs(u[1])
    assert combine.count_weight(np.array([]), np.array([])) == 0.5
    cw = combine.count_weight(np.full(200, 1.0), np.full(200, 3.0))
    assert 0.5 < cw < 0.75


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-3, 3),
    beta=st.floats(-2, 2),
    p1=st.floats(0, 1),
    p2=st.floats(0, 1),
)
def test_recalibration_is_strictly_increasing_and_keeps_every_sign(a, beta, p1, p2):
    """Policy-invariant and monotone: a policy that lowers the simulated probability lowers
    the combined one; equal inputs give equal outputs; the slope is never negative."""
    from standoff.backtest import combine

    c = np.array([a, beta])
    r1, r2 = float(combine.recal_predict(c, p1)), float(combine.recal_predict(c, p2))
    lo, hi = sorted((p1, p2))
    if hi - lo > 1e-6 and combine.RCLIP < hi and lo < 1 - combine.RCLIP:
        assert (r1 < r2) == (p1 < p2)
    if p1 == p2:
        assert r1 == r2
    assert combine.recal_slope(c, p1) >= 0
