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
