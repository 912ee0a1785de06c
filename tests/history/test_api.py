"""Numbers an analyst reads: summaries, panel values, the sanctions regime, timelines."""

from __future__ import annotations

import pandas as pd
import pytest

from standoff.errors import UsageError
from standoff.history.sanctions import intensity_index, levels_at
from standoff.history.schema import MEASURES


def test_summary_by_leader_as_of_2017(hist):
    s = hist.as_of("2017-12-31").summary(by="leader")
    assert s["missiles"] == {"Kim Il Sung": 15, "Kim Jong Il": 16, "Kim Jong Un": 87}
    assert s["total"] == 118
    rows = {r["leader"]: r for r in s["rows"]}
    assert rows["Kim Jong Un"]["icbm"] == 3 and rows["Kim Jong Un"]["nuclear_tests"] == 4


def test_summary_by_year(hist):
    s = hist.summary(by="year")
    m = s["missiles"]
    assert (m["2016"], m["2017"], m["2018"], m["2019"], m["2022"], m["2024"]) == (
        24,
        21,
        0,
        27,
        69,
        41,
    )
    last = s["rows"][-1]
    assert last["year"] == 2026 and last["missiles"] == 25 and last["partial_to"] == "2026-04-18"


def test_summary_by_type_and_overall(hist):
    assert hist.summary(by="type")["missiles"]["ICBM"] == 12
    o = hist.summary()
    assert (o["missiles"], o["nuclear_tests"], o["resolutions_adopted"], o["vetoed_drafts"]) == (
        339,
        6,
        12,
        2,
    )
    with pytest.raises(UsageError, match="--by: expected one of year, leader, type"):
        hist.summary(by="decade")


def _row(panel: pd.DataFrame, month: str) -> pd.Series:
    return panel.set_index("month").loc[month]


def test_monthly_panel_values(hist):
    p = hist.monthly
    assert p["month"].iloc[0] == "1984-01" and p["month"].iloc[-1] == "2026-07"
    assert _row(p, "2017-09")["nuclear_tests"] == 1
    assert _row(p, "2017-11")["launches_icbm"] == 1
    assert _row(p, "2017-12")["sanctions_resolutions"] == 1
    assert (
        _row(p, "2016-09")["launches"]
        == hist.launches.query("date.dt.strftime('%Y-%m') == '2016-09'").shape[0]
    )
    # agreements in force: Leap Day deal (2012-02-29 .. 2012-04-13)
    assert [
        _row(p, m)["agreement_in_force"] for m in ("2012-01", "2012-02", "2012-04", "2012-05")
    ] == [0, 1, 1, 0]
    assert _row(p, "2018-06")["summit_us_rok"] == 1
    assert _row(p, "2019-10")["talks_held"] == 1
    assert _row(p, "2005-06")["talks_process_active"] == 1
    # the 1999 missile moratorium ends with the launches of 2006-07-05
    assert (
        _row(p, "2006-07")["dprk_moratorium_in_force"] == 1
        and _row(p, "2006-08")["dprk_moratorium_in_force"] == 0
    )
    # the other side's moves: exercise suspension (2018-06-12 .. 2022-08-22) and the 2017 threats
    assert [
        _row(p, m)["exercises_suspended"] for m in ("2018-05", "2018-06", "2022-08", "2022-09")
    ] == [0, 1, 1, 0]
    assert [_row(p, m)["us_threats"] for m in ("2017-07", "2017-08", "2017-09")] == [0, 1, 1]
    # coverage: diplomacy starts 1994; CNS ends 2026-04-18, so April 2026 onwards is unknown, not zero
    assert pd.isna(_row(p, "1993-12")["talks_held"]) and _row(p, "1994-01")["talks_held"] == 0
    assert _row(p, "2026-03")["launches"] >= 0
    assert pd.isna(_row(p, "2026-04")["launches"]) and pd.isna(_row(p, "2026-07")["launches"])
    assert _row(p, "2026-07")["provocations_missile"] == 1
    # panel launches sum to the launches table over covered months
    covered = p["launches"].dropna().sum()
    assert covered == (hist.launches["date"] < "2026-04-01").sum()


def test_sanctions_intensity_index(hist):
    sa = hist.sanctions
    lv = levels_at(sa, pd.to_datetime(["1990-01-01", "2006-10-14", "2017-12-31", "2026-01-01"]))
    idx = intensity_index(lv)
    assert idx[0] == 0
    assert idx[1] > 0 and idx[2] > idx[1]
    assert idx[3] == idx[2]  # nothing added after 2397; vetoed drafts add nothing
    assert idx[2] == pytest.approx(100 * 42 / (2 * len(MEASURES)))
    assert (lv <= 2).all() and (lv >= 0).all()
    # monotone: UN measures on the DPRK have never been lifted
    series = hist.monthly["sanctions_intensity"].astype(float).to_numpy()
    assert (series[1:] >= series[:-1]).all()


def test_sanctions_regime_at_2018(hist):
    r = hist.sanctions_regime("2018-01-01").set_index("category")
    assert (
        r.loc["seafood", "level"] == 2 and r.loc["seafood", "since_document"] == "S/RES/2371 (2017)"
    )
    assert r.loc["arms_embargo", "level"] == 2
    assert r.attrs["refined_petroleum_cap_bbl"] == 500_000
    assert r.attrs["crude_oil_cap_bbl"] == 4_000_000
    before = hist.sanctions_regime("2017-09-30")
    assert before.attrs["refined_petroleum_cap_bbl"] == 2_000_000


def test_timeline_groups_salvos(hist):
    tl = hist.timeline("2017-03-01", "2017-03-10", ("launches",))
    assert tl["what"].tolist() == ["5 x ER Scud (MRBM)"]
    tl = hist.timeline("2017-09-01", "2017-09-30")
    assert {"nuclear test", "UNSC", "launch"} <= set(tl["kind"])
    assert tl["date"].is_monotonic_increasing
    with pytest.raises(UsageError, match="--to: 2017-01-01 is before --from 2018-01-01"):
        hist.timeline("2018-01-01", "2017-01-01")
    with pytest.raises(UsageError, match="--kinds: unknown"):
        hist.timeline(kinds=("rumours",))


def test_query_errors_are_one_line(hist):
    with pytest.raises(UsageError, match=r"^query: ") as ei:
        hist.query("SELECT nope FROM launches")
    assert "\n" not in str(ei.value)
