"""forecast / compare / evidence on the command line."""

from __future__ import annotations

import json


def test_forecast_acceptance_command_is_reproducible(run_cli):
    args = (
        "forecast",
        "--as-of",
        "2018-01-01",
        "--horizon",
        "24",
        "--paths",
        "20000",
        "--seed",
        "1",
        "--json",
    )
    code, out, err = run_cli(*args)
    assert code == 0, err
    data = json.loads(out)
    for ev in (
        "nuclear",
        "icbm",
        "resolution",
        "talks",
        "summit",
        "agreement_signed",
        "agreement_collapse",
        "war",
    ):
        assert {"12", "24"} <= set(data["events"][ev])
        assert 0 <= data["events"][ev]["12"]["p"] <= data["events"][ev]["24"]["p"] <= 1
    assert [r["year"] for r in data["launches"]] == [1, 2]
    assert data["first_month"] == "2018-01" and data["seed"] == 1 and data["paths"] == 20000
    code2, out2, _ = run_cli(*args)
    assert out2 == out  # same seed, identical JSON


def test_forecast_with_user_history_dir(run_cli, tmp_path):
    d = tmp_path / "h"
    run_cli("history", "export", d)
    a = run_cli("forecast", "--as-of", "2016-06-30", "--paths", "500", "--seed", "2", "--json")[1]
    b = run_cli(
        "--history",
        d,
        "forecast",
        "--as-of",
        "2016-06-30",
        "--paths",
        "500",
        "--seed",
        "2",
        "--json",
    )[1]
    a, b = json.loads(a), json.loads(b)
    # the same tables give the same forecast; only the data's provenance differs
    assert a.pop("data")["vintage"] == "bundled" and b.pop("data")["vintage"] == str(d)
    assert a == b


def test_compare_acceptance_command(run_cli):
    code, out, err = run_cli(
        "compare",
        "--scenario",
        "korea-now",
        "--policies",
        "status-quo,maximum-pressure,phased-relief",
        "--paths",
        "2000",
        "--seed",
        "5",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert list(data["policies"]) == ["status-quo", "maximum-pressure", "phased-relief"]
    assert set(data["differences"]) == {"maximum-pressure", "phased-relief"}
    d = data["differences"]["phased-relief"]["talks"]["24"]
    assert d["se"] > 0
    code, text, _ = run_cli("compare", "--scenario", "korea-now", "--paths", "500", "--seed", "5")
    assert code == 0 and "phased-relief" in text


def test_evidence(run_cli):
    code, out, err = run_cli("evidence", "--as-of", "2018-01-01", "--json")
    assert code == 0, err
    ev = json.loads(out)
    assert ev["window"] == ["1995-01", "2017-12"]  # 12 months of lags first
    terms = {t["term"]: t for t in ev["launches_on_pressure"]["terms"]}
    assert {"sanc_1_3", "sanc_4_6", "talks_recent", "agreement"} <= set(terms)
    for t in terms.values():
        assert t["lo95"] <= t["irr"] <= t["hi95"]
    sanc = {t["term"]: t for t in ev["sanctions_on_provocation"]["terms"]}
    assert sanc["nuc_now"]["odds_ratio"] > 1  # the Council answers nuclear tests
    assert "not causal" in ev["note"]


def _err(code, out, err, needle):
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and needle in err


def test_forecast_errors(run_cli):
    _err(*run_cli("forecast", "--scenario", "korea-now", "--as-of", "2018-01-01"), "not both")
    _err(
        *run_cli("forecast", "--policy", "appeasement", "--paths", "10"),
        "unknown policy 'appeasement'",
    )
    _err(*run_cli("forecast", "--paths", "0"), "--paths: expected an integer in [2,")
    _err(*run_cli("compare", "--policies", "status-quo,nope"), "unknown policy 'nope'")
    _err(*run_cli("evidence", "--as-of", "2018-02-30"), "as_of: expected a valid calendar date")


def test_early_cuts_fail_cleanly_or_work(run_cli):
    """Review findings: no internal errors on early as-of dates."""
    code, out, err = run_cli("evidence", "--as-of", "1996-01-01")
    _err(code, out, err, "needs at least 120")
    code, out, err = run_cli(
        "forecast", "--as-of", "1999-01-01", "--paths", "300", "--seed", "1", "--json"
    )
    assert code == 0, err
    code, out, err = run_cli("evidence", "--as-of", "2005-01-01", "--json")
    assert code == 0, err
    terms = [t["term"] for t in json.loads(out)["launches_on_pressure"]["terms"]]
    assert "kju" not in terms  # not identified before 2012: left out, not a crash


def test_non_finite_and_decimal_json(run_cli):
    code, out, err = run_cli("history", "query", "SELECT 1e400 AS x, 1.5 AS d", "--json")
    assert code == 0, err
    assert json.loads(out) == [{"x": None, "d": 1.5}]


def test_forecast_every_event_every_horizon_combined_and_raw(run_cli):
    args = ("forecast", "--as-of", "2017-06-30", "--horizon", "9", "--paths", "1000", "--seed", "4")
    code, out, err = run_cli(*args, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["raw"] is False and "combination" in d
    assert d["events"]["launch"]["label"] == "any missile launch"
    for ev, cells in d["events"].items():
        assert [k for k in cells if k != "label"] == ["1", "3", "6", "9"], ev
        ps = [cells[k]["p"] for k in ("1", "3", "6", "9")]
        assert all(0 <= p <= 1 for p in ps) and ps == sorted(ps), ev  # monotone in the horizon
    launch = d["events"]["launch"]["3"]
    assert launch["combined"]
    w = d["combination"]["weights"]["launch"]["3"]
    assert w["n_resolved"] > 0 and w["method"] in ("recalibration", "raw")
    if w["method"] == "raw":  # too few episodes with or without a launch: the simulator alone
        assert launch["p"] == launch["raw"]
    else:
        assert w["slope"] > 0 and launch["p"] != launch["raw"]
    assert 0 < d["launches_combined"]["ensemble_weight"] < 1
    code, out2, err = run_cli(*args, "--raw", "--json")
    assert code == 0, err
    r = json.loads(out2)
    assert r["raw"] is True and "combination" not in r
    assert r["events"]["launch"]["3"]["p"] == launch["raw"]  # same simulation, not combined
    code, text, _ = run_cli(*args)
    flat = " ".join(text.split())
    assert code == 0 and "combined" in flat and "missile" in flat


def test_combined_forecast_reads_nothing_after_the_cut(hist, monkeypatch):
    """The combination at D (track record, outcomes, baselines) ignores every later record."""
    import pandas as pd

    from standoff.forecast import combined, run_forecast
    from standoff.history.core import History
    from standoff.history.schema import DATED_TABLES

    monkeypatch.setattr(combined, "TRACK_FROM", "2014-01")  # a short track record, for speed
    cut = "2016-06-30"
    tables = {}
    for name, df in hist.tables.items():  # every record known after the cut dropped or doubled
        if name in DATED_TABLES:
            late = df["known_from"] > pd.Timestamp(cut)
            df = pd.concat([df[~late], df[late], df[late]] if name == "launches" else [df[~late]])
        tables[name] = df.reset_index(drop=True)
    doctored = History(tables, origin=hist.origin)  # the same name: only the data differ
    assert len(doctored.launches) != len(hist.launches)
    a, _, _ = run_forecast(hist, as_of=cut, horizon=12, paths=500, seed=3)
    b, _, _ = run_forecast(doctored, as_of=cut, horizon=12, paths=500, seed=3)
    assert a["combination"]["weights"]["launch"]["12"]["n_resolved"] > 0
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
