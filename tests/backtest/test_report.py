"""Murphy decomposition, the HTML report, the results store and the 2018 scorecard."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from standoff.backtest import backtest
from standoff.backtest.report import code_version, data_version, render_report, store_result
from standoff.backtest.scores import murphy

ORIGINS = ["2016-01", "2016-02", "2016-03", "2016-04"]


@given(
    st.lists(st.tuples(st.floats(0, 1), st.booleans()), min_size=1, max_size=200),
    st.integers(2, 20),
)
def test_murphy_identity(pairs, bins):
    p = np.array([a for a, _ in pairs])
    y = np.array([float(b) for _, b in pairs])
    m = murphy(p, y, bins)
    total = m["reliability"] - m["resolution"] + m["uncertainty"] + m["within_bin"]
    assert total == pytest.approx(np.mean((p - y) ** 2), abs=1e-12)
    assert m["reliability"] >= 0 and m["resolution"] >= 0
    assert sum(d["count"] for d in m["diagram"]) == len(p)


def test_murphy_by_hand():
    # two bins: forecasts 0.2 (outcomes 0, 1) and 0.8 (outcomes 1, 1)
    m = murphy(np.array([0.2, 0.2, 0.8, 0.8]), np.array([0, 1, 1, 1.0]), bins=10)
    obar = 0.75
    assert m["uncertainty"] == pytest.approx(obar * (1 - obar))
    assert m["reliability"] == pytest.approx((2 * (0.2 - 0.5) ** 2 + 2 * (0.8 - 1.0) ** 2) / 4)
    assert m["resolution"] == pytest.approx((2 * (0.5 - obar) ** 2 + 2 * (1.0 - obar) ** 2) / 4)
    assert m["within_bin"] == pytest.approx(0.0)


@pytest.fixture(scope="module")
def small_run(hist):
    return backtest(hist, ORIGINS, [6, 12], paths=200, seed=3, reps=200)


def test_report_and_store(small_run, hist, tmp_path):
    assert small_run["code_version"] == code_version()
    assert small_run["data_version"] == data_version(hist)
    page = render_report(small_run)
    for needle in ("12-month binary targets", "Murphy", "data:image/png;base64", "War"):
        assert needle in page
    db = tmp_path / "results.duckdb"
    rid = store_result(small_run, db)
    rid2 = store_result(small_run, db)  # same run stored twice: replaced, not duplicated
    assert rid == rid2
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT run_id, seed, data_version FROM backtest_runs").fetchall()
        n_fc = con.execute("SELECT count(*) FROM backtest_forecasts").fetchone()[0]
        skills = con.execute(
            "SELECT count(*) FROM backtest_scores WHERE metric = 'skill' AND h = 12"
        ).fetchone()[0]
    assert runs == [(rid, 3, data_version(hist))]
    assert n_fc == len(ORIGINS) * 2 * 7  # origins x horizons x binary targets
    assert skills > 0


def test_cli_report_and_brief_link(run_cli, tmp_path):
    rep = tmp_path / "bt.html"
    db = tmp_path / "h.duckdb"
    code, out, err = run_cli(
        "--db",
        db,
        "backtest",
        "--from",
        "2016-01",
        "--to",
        "2016-03",
        "--paths",
        "50",
        "--report",
        rep,
        "--json",
    )
    assert code == 0, err
    assert rep.read_text().startswith("<!doctype html>")
    assert (tmp_path / "results.duckdb").exists()
    code, out, err = run_cli(
        "--db", db, "brief", "--out", tmp_path / "b.html", "--backtest-report", "bt.html"
    )
    assert code == 0, err
    page = (tmp_path / "b.html").read_text()
    assert "Track record" in page and "href='bt.html'" in page
    assert "The January 2018 scorecard" in page


def test_scorecard_2018(hist):
    from standoff.forecast.report import scorecard_2018

    frag = scorecard_2018(hist, paths=300, seed=1)
    assert "P(in 2018)" in frag and "2019: median" in frag and "actual 27" in frag
    assert scorecard_2018(hist.as_of("2018-06-30"), paths=100) == ""  # outcomes not known yet
