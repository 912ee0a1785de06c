"""The Python API returns DataFrames for tables and prints what the CLI prints (issue 12)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from standoff.labels import LABELS, TARGETS, interval, label, ratio, skill, target


@pytest.fixture(scope="module")
def fc(hist):
    from standoff.forecast import forecast

    return forecast(hist, "korea-now", horizon=12, paths=400, seed=3)


def test_forecast_table_is_a_frame_matching_the_dict(fc):
    t = fc.table
    assert isinstance(t, pd.DataFrame)
    assert list(t.columns) == ["event", "label", "months", "p", "se"]
    assert set(t["months"]) == {1, 3, 6, 12}
    row = t[(t["event"] == "nuclear") & (t["months"] == 12)].iloc[0]
    assert row["p"] == fc["events"]["nuclear"]["12"]["p"]  # the dict still works
    cell = fc["events"]["nuclear"]["12"]  # fc.prob is the simulator's own (raw) value
    assert cell.get("raw", cell["p"]) == pytest.approx(fc.prob("nuclear", 12)[0], abs=1e-6)
    assert fc.to_frame().equals(t)
    assert list(fc.outcomes["outcome"]) == ["war", "agreement", "talks", "standoff"]
    assert fc.outcomes["p"].sum() == pytest.approx(1.0)
    assert len(fc.launches) == 1


def test_prob_beyond_the_run_raises(fc):
    with pytest.raises(ValueError, match="outside this simulation's horizon of 12 months"):
        fc.simulation.prob("nuclear", 36)
    with pytest.raises(ValueError):
        fc.prob("nuclear", 0)


def test_summary_prints_what_the_cli_prints(fc, hist, run_cli, capsys):
    capsys.readouterr()
    fc.summary()
    api = capsys.readouterr().out
    code, cli, _ = run_cli(
        "forecast", "--scenario", "korea-now", "--horizon", "12", "--paths", "400", "--seed", "3"
    )
    assert code == 0
    assert api == cli
    assert "War risk: what each number is conditional on" in cli


def test_war_risk_table_says_what_each_number_assumes(fc):
    w = fc.war_risk()
    assert list(w["source"])[0] == "simulator"
    sim = w[w["source"] == "simulator"]
    assert sim["war probability"].iloc[0] == fc["events"]["war"]["12"]["p"]
    assert (sim["used by the forecasts"] == "yes").all()
    games = w[w["source"].str.startswith("game:")]
    assert len(games) == 3 and (games["used by the forecasts"] == "no").all()
    assert games["conditional on"].str.contains("korea-now").all()
    assert ((w["war probability"] >= 0) & (w["war probability"] <= 1)).all()


def test_forecast_json_carries_the_war_risk(run_cli):
    code, out, _ = run_cli(
        "forecast",
        "--as-of",
        "2018-01-01",
        "--horizon",
        "6",
        "--paths",
        "200",
        "--seed",
        "1",
        "--json",
    )
    assert code == 0
    d = json.loads(out)
    assert d["war_risk"][0]["source"] == "simulator"
    assert d["war_risk"][1]["se"] is None  # a game's number has no Monte Carlo error
    assert "illustrative default" in d["war_risk"][1]["conditional on"]  # no scenario given


def test_comparison_table(hist):
    from standoff.forecast import compare

    c = compare(hist, "korea-now", "status-quo,maximum-pressure", horizon=6, paths=300, seed=2)
    t = c.table
    assert set(t["policy"]) == {"status-quo", "maximum-pressure"}
    base = t[t["policy"] == "status-quo"]
    assert base["diff"].isna().all()
    mp = t[(t["policy"] == "maximum-pressure") & (t["event"] == "resolution") & (t["months"] == 6)]
    d = c["differences"]["maximum-pressure"]["resolution"]["6"]
    assert mp["diff"].iloc[0] == d["diff"] and mp["diff_se"].iloc[0] == d["se"]
    sims = c.simulations
    x = sims["maximum-pressure"].within("resolution", 6).astype(float)
    y = sims["status-quo"].within("resolution", 6).astype(float)
    raw = float(np.mean(x - y))  # the simulators' paired difference
    pa = c["policies"]["maximum-pressure"]["events"]["resolution"]["6"]
    pb = c["policies"]["status-quo"]["events"]["resolution"]["6"]
    assert pa.get("raw", pa["p"]) - pb.get("raw", pb["p"]) == pytest.approx(raw, abs=1e-6)
    assert np.sign(d["diff"]) == np.sign(raw)  # the combination is monotone in the raw value


def test_backtest_result_is_a_dict_with_a_score_frame(hist, capsys):
    from standoff.backtest import backtest

    bt = backtest(hist, ["2015-01", "2015-02", "2015-03"], horizons=[6], paths=100, seed=0, reps=50)
    assert isinstance(bt, dict)
    assert bt["scores"]["nuclear"]["6"]["n"] == 3  # the old access still works
    t = bt.table
    row = t[(t["target"] == "nuclear") & (t["baseline"] == "climatology")].iloc[0]
    s = bt["scores"]["nuclear"]["6"]
    assert row["standoff"] == s["brier"]["standoff"]
    assert row["skill"] == s["skill"]["climatology"]["skill"]
    assert row["label"] == "nuclear test"
    assert set(t["baseline"].dropna()) >= {"climatology", "persistence", "intercept"}
    assert len(bt.forecasts) > 0
    bt.summary()
    out = capsys.readouterr().out
    assert "Backtest 3 origins" in out and "Brier" in out and "nuclear" in out


def test_labels_cover_every_covariate_and_target():
    from standoff.backtest import TARGETS as BT_TARGETS
    from standoff.dynamics.features import COMPONENTS
    from standoff.dynamics.model import RESOLUTION_COVARIATES
    from standoff.dynamics.simulate import EVENTS

    names = {c for cs in COMPONENTS.values() for c in cs} | set(RESOLUTION_COVARIATES)
    names |= {"sanc_1_3", "sanc_4_6", "l1"}  # the evidence regressions' own terms
    assert names <= set(LABELS), names - set(LABELS)
    assert set(BT_TARGETS) <= set(TARGETS)
    assert set(EVENTS) <= set(LABELS)
    assert label("kju") == "Kim Jong Un era"
    assert target("agreement") == "agreement signed" and label("agreement") == "agreement in force"
    assert label("some_new_name") == "some new name"


def test_numbers_for_people():
    assert interval(0.43, 16.32) == "0.43 - 16.32"
    assert interval(0.012, 0.36) == "0.012 - 0.36"
    assert interval(1e-5, 1e4) == "not estimable"
    assert interval(float("nan"), 1.0) == "not estimable"
    assert interval(None, 1.0) == "–"
    assert ratio(9.1e-09) == ratio(4.2e97) == ratio(float("inf")) == "not estimable"
    assert ratio(1.0) == "1.00" and ratio(0.037) == "0.037" and ratio(None) == "–"
    assert skill(0.12, -0.05, 0.27) == "+0.12 [-0.05, +0.27]"
    assert skill(0.14, -3050.93, 0.14) == "+0.14 [interval not estimable]"
    assert skill(-2496.6, -2496.6, -2496.6).startswith("not estimable")
    assert skill(float("nan"), 0, 1) == "–"


def test_evidence_reads_in_words(run_cli):
    code, out, _ = run_cli("evidence")
    assert code == 0
    for raw in ("sanc_1_3", " l1 ", " kju ", "nan", "NaT"):
        assert raw not in out
    assert "Kim Jong Un era" in out and "new UNSC sanctions 1-3 months ago" in out
