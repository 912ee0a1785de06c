"""The service layer behind the pages: track record from the results store, caches."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def stored(hist, tmp_path_factory):
    from standoff.backtest import backtest
    from standoff.backtest.report import store_result

    db = tmp_path_factory.mktemp("results") / "results.duckdb"
    run = backtest(hist, ["2016-01", "2016-02", "2016-03"], [3, 12], paths=100, seed=1, reps=50)
    store_result(run, db)
    return run, db


def test_track_record_reads_the_latest_run_of_this_data(hist, stored):
    from standoff.web.services import Services

    run, db = stored
    svc = Services(hist, db)
    tr = svc.track_record()
    assert tr["run"]["seed"] == 1 and tr["run"]["horizons"] == "3,12"
    nuc = next(r for r in tr["scores"] if r["target"] == "nuclear" and r["h"] == 12)
    assert nuc["standoff"] == pytest.approx(run["scores"]["nuclear"]["12"]["brier"]["standoff"])
    assert nuc["skill_vs_baseline"] == pytest.approx(
        run["scores"]["nuclear"]["12"]["skill"]["climatology"]["skill"]
    )
    assert set(tr["over_time"]) == {"3", "12"}
    skill = svc.latest_skill()
    assert ("nuclear", 12) in skill and ("launches", 3) in skill
    # the page renders the stored run
    from standoff.templates import render

    html = render(
        "web/track-record.html", title="t", page="track-record", pages=(), bounds={}, data=tr
    )
    assert "Reliability diagrams" in html and "nuclear" in html


def test_track_record_ignores_runs_on_other_data(hist, stored):
    from standoff.web.services import Services

    _, db = stored
    svc = Services(hist.as_of("2010-01-01"), db)  # another data version
    assert svc.track_record()["run"] is None and svc.latest_skill() == {}


def test_lru_cache_computes_once_and_evicts():
    from standoff.web.services import _LRU

    calls = []
    c = _LRU(2)
    for k in ["a", "a", "b", "c", "a"]:
        c.get_or_compute(k, lambda k=k: calls.append(k) or k.upper())
    assert calls == ["a", "b", "c", "a"]  # 'a' evicted by 'c', recomputed
    assert c.peek("c") == "C" and c.peek("b") is None


def test_briefing_track_record_lists_the_stored_targets(hist, stored):
    """The briefing fragment finds the stored rows (targets are stored by their label)."""
    from standoff.backtest.report import latest_run_section

    _, db = stored
    frag = latest_run_section(hist, None, db)
    assert "<td>nuclear test</td>" in frag and "<td>missiles launched (count)</td>" in frag


def test_outlook_shows_the_combined_forecast_when_ready(hist, monkeypatch):
    """The glue to standoff.forecast.combined: background run, status, values beside raw."""
    import sys
    import types

    from standoff.web.services import Services

    fake = types.ModuleType("standoff.forecast.combined")

    def combiner(history, model, sim, progress=None):
        return "weights"

    def apply(summary, cmb, sim=None):
        for v in summary["events"].values():
            for k, cell in v.items():
                if k != "label":
                    cell.update(raw=cell["p"], p=0.5, se=0.01, combined=k in ("3", "12"))
        summary["combination"] = {"method": "test"}
        return summary

    fake.combiner, fake.apply = combiner, apply
    monkeypatch.setitem(sys.modules, "standoff.forecast.combined", fake)
    svc = Services(hist)
    first = svc.outlook()
    assert first["combination"]["status"] in ("computing", "ready")
    for t in [t for t in __import__("threading").enumerate() if t.name == "combine"]:
        t.join(timeout=60)
    out = svc.outlook()
    assert out["combination"] == {"status": "ready", "about": {"method": "test"}}
    nuc = next(e for e in out["events"] if e["id"] == "nuclear")
    assert nuc["combined"]["12"]["p"] == 0.5 and nuc["combined"]["12"]["raw"] == nuc["p"]["12"]
    assert "24" not in nuc["combined"]  # not combined at 24 months: the simulator's value stays
    from standoff.templates import render

    html = render("web/outlook.html", title="t", page="outlook", pages=(), bounds={}, data=out)
    assert "combined forecast" in html and "simulator " in html


def test_outlook_freshness_lists_every_table(hist):
    from standoff.web.services import Services

    fr = Services(hist).freshness()
    tables = {r["table"] for r in fr["tables"]}
    assert {"launches", "nuclear_tests", "sanctions", "diplomacy"} <= tables
    la = next(r for r in fr["tables"] if r["table"] == "launches")
    assert la["days_behind"] > 0  # the CNS launch data end before the latest record
