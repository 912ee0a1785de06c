"""End to end through two vintages: record forecasts, update the data, diff, score; freshness."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from standoff.errors import UsageError
from standoff.forecast import log as L
from standoff.history import History
from standoff.history.freshness import freshness, freshness_notes

FIX = Path(__file__).resolve().parents[1] / "data" / "vintages" / "update1"
# --raw: the simulator alone (the combined forecast's weighting is skill's and slower)
ARGS = ("--as-of", "2026-03-31", "--horizon", "3", "--paths", "400", "--seed", "5", "--raw")


def test_two_vintages_record_diff_scores(run_cli, tmp_path):
    db = tmp_path / "history.duckdb"
    results = tmp_path / "results.duckdb"

    # vintage 1 (bundled): record; the 3-month window 2026-04..06 is not covered by the launches yet
    code, out, err = run_cli("--db", db, "forecast", *ARGS, "--record", "--json")
    assert code == 0, err
    a = json.loads(out)
    assert (
        a["data"]["vintage"] == "bundled" and a["data"]["coverage_end"]["launches"] == "2026-03-31"
    )
    code, out, err = run_cli("--db", db, "forecast", "scores", "--json")
    assert code == 0, err
    s0 = json.loads(out)
    assert s0["n_runs"] == 1
    assert "icbm" not in {r["event"] for r in s0["forecasts"]}  # launches end 2026-04-18
    assert {r["event"] for r in s0["forecasts"]} >= {"nuclear", "resolution", "talks"}

    # vintage 2: 20 added launches, 2 revised, 1 deleted
    code, out, err = run_cli("--db", db, "history", "update", "--from", FIX, "--json")
    assert code == 0, err
    new_id = json.loads(out)["vintage"]["id"]
    code, out, err = run_cli("--db", db, "history", "vintages", "--json")
    assert [v["id"] for v in json.loads(out)["vintages"]] == ["bundled", new_id]

    code, out, err = run_cli("--db", db, "forecast", *ARGS, "--record", "--json")
    assert code == 0, err
    b = json.loads(out)
    assert b["data"]["vintage"] == new_id and b["run_id"] != a["run_id"]
    # the deleted 2023 ICBM and the revised record move the forecast
    assert b["events"]["icbm"]["3"]["p"] != a["events"]["icbm"]["3"]["p"]

    # diff (default: the last two runs): same code, so every move is new data
    code, out, err = run_cli("--db", db, "forecast", "diff", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["run_a"]["run_id"] == a["run_id"] and d["run_b"]["run_id"] == b["run_id"]
    assert d["run_a"]["vintage"] == "bundled" and d["run_b"]["vintage"] == new_id
    assert "same code" in d["attribution"]
    ch = {(r["event"], r["horizon"]): r for r in d["changes"]}
    for (e, h), r in ch.items():
        assert r["p_a"] == a["events"][e][str(h)]["p"] and r["p_b"] == b["events"][e][str(h)]["p"]
        assert r["change"] == pytest.approx(r["p_b"] - r["p_a"])
        assert r["data_effect"] == pytest.approx(r["change"]) and r["code_effect"] == 0
    assert any(abs(r["change"]) > 0 for r in ch.values())

    # scores against the latest vintage: the ICBM window is now covered and closed
    code, out, err = run_cli("--db", db, "forecast", "scores", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["vintage"] == new_id and s["n_runs"] == 2
    icbm = [r for r in s["forecasts"] if r["event"] == "icbm" and r["horizon"] == 3]
    assert len(icbm) == 2 and all(r["window"] == "2026-04..2026-06" for r in icbm)
    for r in s["forecasts"]:
        assert r["brier"] == pytest.approx((r["p"] - r["observed"]) ** 2)
        assert r["brier_climatology"] == pytest.approx((r["climatology"] - r["observed"]) ** 2)
    row = next(r for r in s["scores"] if r["event"] == "icbm" and r["horizon"] == 3)
    assert row["n"] == 2 and row["events"] == 0  # the fixture's added launches are SRBMs
    assert row["brier"] == pytest.approx(np.mean([r["p"] ** 2 for r in icbm]))
    assert "war" not in {r["event"] for r in s["forecasts"]}  # never observed: not scored

    # the results store keeps the log in its own tables
    with duckdb.connect(str(results), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM forecast_log_runs").fetchone()[0] == 2
        vint = con.execute("SELECT vintage FROM forecast_log_runs ORDER BY recorded_at").fetchall()
    assert [v[0] for v in vint] == ["bundled", new_id]


def test_diff_attributes_data_and_code(tmp_path):
    """An older code version: the current code re-runs the old request on the old vintage with
    the same seed; with unchanged model code that re-run reproduces the old run exactly, so the
    code effect is zero and the data effect is the whole move."""
    from standoff.forecast import run_forecast
    from standoff.history import vintages as V

    db = tmp_path / "history.duckdb"
    res_db = tmp_path / "results.duckdb"
    h0 = History.load(db=db)
    req = {"scenario": None, "as_of_given": "2026-03-31", "policy": "status-quo", "raw": True}
    out0, _, _ = run_forecast(h0, None, "2026-03-31", "status-quo", 3, 300, 9, raw=True)
    L.record(out0, res_db, history=h0, request=req, code_version="0.0.1+older")
    V.update(V.vintages_root(db), FIX)
    h1 = History.load(db=db)
    out1, _, _ = run_forecast(h1, None, "2026-03-31", "status-quo", 3, 300, 9, raw=True)
    L.record(out1, res_db, history=h1, request=req)
    d = L.diff(res_db, vintage_root=V.vintages_root(db))
    assert d["attribution"].startswith("code changed: data effect from a re-run")
    for r in d["changes"]:
        assert r["code_effect"] == pytest.approx(0, abs=1e-12)
        assert r["data_effect"] == pytest.approx(r["change"])
    # an unknown run id is a usage error
    with pytest.raises(UsageError, match="unknown run 'zzzz'"):
        L.diff(res_db, "zzzz", None)


def test_no_arguments_forecast_uses_the_latest_coverage_of_the_latest_vintage(run_cli, tmp_path):
    db = tmp_path / "history.duckdb"
    args = ("--paths", "200", "--seed", "1", "--horizon", "3", "--raw", "--json")
    code, out, err = run_cli("--db", db, "forecast", *args)
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2026-08-20"
    run_cli("--db", db, "history", "update", "--from", FIX)
    code, out, err = run_cli("--db", db, "forecast", *args)
    d = json.loads(out)
    assert d["as_of"] == "2026-10-20" and d["first_month"] == "2026-10"
    assert d["data"]["coverage_end"]["launches"] == "2026-10-20"
    assert any("latest coverage of vintage" in n for n in d["notes"])


def test_freshness_frame_and_warnings(hist):
    fr = freshness(hist, "2026-11-30")
    assert list(fr["table"]) == list(hist.coverage["table"])
    la = fr.set_index("table").loc["launches"]
    assert la["days_behind"] == 226 and la["status"] == "behind"
    assert fr["first_forecast_month"].iloc[0] == "2026-12"
    notes = freshness_notes(fr)
    assert len(notes) == 1
    assert "missile launches (CNS/NTI) end 2026-04-18 (226 days)" in notes[0]
    assert "key events" in notes[0] and "end 2026-08-20 (102 days)" in notes[0]
    assert "nowcast simulates" in notes[0]
    # a window that starts before the as-of month is called out
    late = freshness(hist, "2026-11-30", first_month="2026-08")
    assert any("starts in 2026-08" in n and "not in 2026-12" in n for n in freshness_notes(late))
    past = freshness(hist, "2018-01-01")
    assert (past["days_behind"] == 0).all() and freshness_notes(past) == []
    assert past["first_forecast_month"].iloc[0] == "2018-01"


def test_forecast_and_compare_text_state_freshness(run_cli):
    code, out, err = run_cli(
        "forecast", "--as-of", "2026-11-30", "--paths", "200", "--horizon", "3", "--raw"
    )
    assert code == 0, err
    assert "coverage ends launches 2026-04-18" in out and "first forecast month 2026-12" in out
    assert "later than the data" in out and "paths from 2026-12" in out
    assert "2026-04 .. 2026-11 are nowcast" in out  # the months after the data, to the as-of month
    code, out, err = run_cli("compare", "--paths", "200", "--horizon", "3", "--seed", "1", "--raw")
    assert code == 0, err
    assert "data: vintage bundled" in out and "first forecast month 2026-08" in out


def test_backtest_records_its_vintage(run_cli, tmp_path):
    db = tmp_path / "history.duckdb"
    code, out, err = run_cli(
        "--db", db, "backtest", "--from", "2015-01", "--to", "2015-02", "--paths", "50", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["vintage"] == "bundled"
    with duckdb.connect(str(tmp_path / "results.duckdb"), read_only=True) as con:
        assert con.execute("SELECT vintage FROM backtest_runs").fetchall() == [("bundled",)]


def test_as_of_after_every_table_nowcasts_to_the_as_of_month(hist):
    """The months between the data's end and the as-of date are nowcast (nothing observed in
    them is invented) and the forecast starts after the as-of month; the fit is unchanged."""
    from standoff.dynamics.model import fit

    late, now = fit(hist, "2026-11-30"), fit(hist, "2026-08-20")
    assert late.first_forecast_month == "2026-12" and now.first_forecast_month == "2026-08"
    assert late.nowcast_months == [f"2026-{m:02d}" for m in range(4, 12)]
    assert late.fit_window == now.fit_window
    for name, c in late.components.items():
        np.testing.assert_array_equal(c.coef, now.components[name].coef)
    # nothing is fixed in the padded months: every nowcast value there is missing
    pad = [late.nowcast_months.index(m) for m in ("2026-08", "2026-09", "2026-10", "2026-11")]
    for name, v in late.nowcast_fixed.items():
        assert np.isnan(v[pad]).all(), name


def test_launches_recorded_ahead_of_the_other_tables_are_fixed_in_the_nowcast(tmp_path):
    """After an update the launch data run ahead of the negotiations table: the months between
    are nowcast with the recorded launches fixed, not simulated."""
    from dataclasses import replace

    from standoff.dynamics.model import fit
    from standoff.dynamics.simulate import simulate
    from standoff.history import vintages as V

    db = tmp_path / "history.duckdb"
    V.update(V.vintages_root(db), FIX)
    h = History.load(db=db)
    m = fit(h, "2026-10-20")
    assert m.nowcast_months == ["2026-08", "2026-09"]  # negotiations end 2026-08-20
    panel = h.monthly.set_index("month")
    np.testing.assert_array_equal(
        m.nowcast_fixed["launches"], panel.loc[["2026-08", "2026-09"], "launches"].to_numpy(float)
    )
    assert list(m.nowcast_fixed["launches"]) == [3.0, 3.0] and list(m.nowcast_fixed["icbm"]) == [
        0,
        0,
    ]
    # the fixed launches reach the forecast (lagged launches and tension), the draws do not shift
    free = replace(
        m,
        nowcast_fixed={
            **m.nowcast_fixed,
            **{k: np.full(2, np.nan) for k in ("launches", "launch_days", "icbm")},
        },
    )
    a, b = simulate(m, None, 400, 3, 7), simulate(free, None, 400, 3, 7)
    assert not np.array_equal(a.launches, b.launches)
    c = simulate(m, None, 400, 3, 7)
    np.testing.assert_array_equal(a.launches, c.launches)
