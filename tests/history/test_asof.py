"""As-of discipline: nothing dated after the cut exists in an as-of view."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standoff.errors import LookAheadError, UsageError
from standoff.history.schema import DATED_TABLES

cuts = st.dates(min_value=dt.date(1984, 1, 1), max_value=dt.date(2026, 8, 20))
_slow = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_slow
@given(cut=cuts)
def test_nothing_after_the_cut(hist, cut):
    v = hist.as_of(cut)
    c = pd.Timestamp(cut)
    for name in DATED_TABLES:
        df = v.table(name)
        assert (df["known_from"] <= c).all(), name
        for col in ("date", "date_start", "date_end", "in_force_to"):
            if col in df.columns:
                assert (df[col].dropna() <= c).all(), (name, col)
    assert (v.coverage["end"] <= c).all()


@_slow
@given(cut=cuts)
def test_monthly_panel_of_a_cut_equals_the_full_panel_truncated(hist, cut):
    """Every panel value for month m depends only on records dated on or before m's end."""
    v = hist.as_of(cut)
    cut_panel = v.monthly
    full = hist.monthly
    last = pd.Period(cut, freq="M")
    if pd.Timestamp(cut) != last.end_time.normalize():
        last -= 1
    expected = full[full["month"] <= str(last)].reset_index(drop=True)
    assert cut_panel["month"].tolist() == expected["month"].tolist()
    # columns of tables whose coverage now ends at the cut become missing only after it:
    pd.testing.assert_frame_equal(cut_panel, expected, check_dtype=False)


def test_interval_ends_after_the_cut_are_open(hist):
    v = hist.as_of("2006-01-01").diplomacy.set_index("id")
    assert pd.isna(v.loc["bda-2005", "date_end"])  # the BDA measure was still in force
    assert pd.isna(v.loc["js-2005", "in_force_to"])  # the Joint Statement had not collapsed yet
    assert pd.isna(v.loc["js-2005", "end_basis"])  # nor may its end be explained
    assert pd.isna(v.loc["6pt-process", "date_end"])
    assert "6pt-r5p2" not in v.index  # the December 2006 round lies in the future
    full = hist.diplomacy.set_index("id")
    assert full.loc["js-2005", "in_force_to"] == pd.Timestamp("2009-04-14")


def test_month_precision_records_are_known_at_month_end(hist):
    assert len(hist.as_of("1984-09-15").launches) == 3  # the three Sep-84 rows are not yet known
    assert len(hist.as_of("1984-09-30").launches) == 6
    mid = hist.as_of("1995-03-15").diplomacy
    assert "kedo-1995" not in set(mid["id"])
    assert "kedo-1995" in set(hist.as_of("1995-03-31").diplomacy["id"])


def test_canary_future_record_cannot_change_a_past_view(hist):
    """Add a fake launch after the cut: the as-of view and its panel are unchanged, bit for bit."""
    from standoff.history.core import History

    fake = hist.tables["launches"].iloc[[-1]].copy()
    fake["id"] = "canary"
    fake["date"] = fake["known_from"] = pd.Timestamp("2019-06-01")
    tables = dict(hist.tables)
    tables["launches"] = pd.concat([tables["launches"], fake], ignore_index=True)
    doctored = History(tables)
    a, b = hist.as_of("2019-05-31"), doctored.as_of("2019-05-31")
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    assert "canary" in set(doctored.as_of("2019-06-01").launches["id"])


def test_cannot_look_ahead_from_a_cut(hist):
    v = hist.as_of("2018-01-01")
    with pytest.raises(LookAheadError, match="already cut at 2018-01-01"):
        v.as_of("2019-01-01")
    with pytest.raises(LookAheadError, match="after this history's as-of cut"):
        v.timeline("2017-01-01", "2018-06-30")
    assert len(v.as_of("2017-06-30").launches) < len(v.launches)


def test_query_sees_only_the_cut(hist):
    q = "SELECT count(*) AS n, max(date) AS last FROM launches"
    assert int(hist.as_of("2017-12-31").query(q)["n"].iloc[0]) == 118
    assert int(hist.query(q)["n"].iloc[0]) == 339
    meta = hist.as_of("2010-05-05").query("SELECT as_of FROM meta")
    assert str(meta["as_of"].iloc[0])[:10] == "2010-05-05"


@pytest.mark.parametrize("bad", ["2018-13-01", "2018-02-30", "01/01/2018", "2018", ""])
def test_bad_cut_dates_are_rejected(hist, bad):
    with pytest.raises(UsageError, match="as_of: expected"):
        hist.as_of(bad)
