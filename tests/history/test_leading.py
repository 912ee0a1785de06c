"""Leading information (what was known in advance): as-of safety, golden statuses, coding rule
of the New Year addresses, and validation of the tables in a user's --history directory."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standoff.errors import DataError
from standoff.history import History
from standoff.history.leading import (
    LEADING_COLUMNS,
    code_new_year_address,
    information_cuts,
    leading_covariates,
    us_election_day,
)
from standoff.history.schema import LEADING_ACTIONS, LEADING_KINDS

MONTHS = pd.period_range("1994-01", "2021-12", freq="M")


def _at(hist, as_of, month, col, months=None):
    cov = leading_covariates(hist, months if months is not None else [month], as_of=as_of)
    return int(cov.set_index("month").loc[month, col])


# --------------------------------------------------------------------------- golden statuses
@pytest.mark.parametrize(
    ("as_of", "month", "expected"),
    [
        ("2018-03-01", "2018-04", 0),  # before the inter-Korean summit was agreed (6 March)
        ("2018-03-06", "2018-04", 1),  # agreed for the end of April
        ("2018-03-07", "2018-05", 0),  # Trump had not yet accepted ...
        ("2018-03-08", "2018-05", 1),  # ... 'by May'
        ("2018-05-23", "2018-06", 1),  # Singapore set for 12 June
        ("2018-05-24", "2018-06", 0),  # cancelled
        ("2018-06-01", "2018-06", 1),  # reinstated
        ("2019-01-17", "2019-02", 0),
        ("2019-01-18", "2019-02", 1),  # 'near the end of February'
        ("2000-04-09", "2000-06", 0),
        ("2000-04-10", "2000-06", 1),
        ("2007-08-17", "2007-10", 0),  # planned for late August ...
        ("2007-08-17", "2007-08", 1),
        ("2007-08-18", "2007-08", 0),  # ... postponed to October
        ("2007-08-18", "2007-10", 1),
        ("1994-06-28", "1994-07", 1),
        ("1994-07-09", "1994-07", 0),  # Kim Il Sung's death
    ],
)
def test_summit_schedule_as_known_at_the_origin(hist, as_of, month, expected):
    assert _at(hist, as_of, month, "summit_scheduled") == expected


@pytest.mark.parametrize(
    ("as_of", "col", "expected"),
    [
        ("1999-09-23", "moratorium_missiles", 0),
        ("1999-09-24", "moratorium_missiles", 1),
        ("2005-03-01", "moratorium_missiles", 1),
        ("2005-03-02", "moratorium_missiles", 0),  # renounced by statement, not by a launch
        ("2018-04-20", "moratorium_nuclear", 0),
        ("2018-04-21", "moratorium_nuclear", 1),
        ("2019-12-31", "moratorium_missiles", 1),
        ("2020-01-01", "moratorium_missiles", 0),
        ("2020-01-01", "moratorium_nuclear", 0),
    ],
)
def test_moratoria_are_dated_by_statement(hist, as_of, col, expected):
    month = str(pd.Timestamp(as_of).to_period("M") + 3)  # a future month: status at the cut
    assert _at(hist, as_of, month, col) == expected


def test_exercise_calendar_persists_unless_announced(hist):
    # end of 2017: the routine 2018 rows are not yet known, the 2017 calendar is projected
    assert _at(hist, "2017-12-31", "2018-08", "exercise_major") == 1
    # after Singapore the August exercise is suspended, and 2019 inherits the suspension
    assert _at(hist, "2018-06-12", "2018-08", "exercise_any") == 0
    assert _at(hist, "2018-12-31", "2019-08", "exercise_any") == 0
    # Ulchi Freedom Shield 2022 once announced
    assert _at(hist, "2022-08-16", "2022-08", "exercise_major") == 1


def test_calendar_facts(hist):
    assert us_election_day(2016).isoformat() == "2016-11-08"
    assert us_election_day(2020).isoformat() == "2020-11-03"
    assert _at(hist, "2016-01-01", "2016-11", "us_election") == 1
    assert _at(hist, "2017-01-01", "2017-05", "rok_election") == 0  # not yet a snap election
    assert _at(hist, "2017-03-15", "2017-05", "rok_election") == 1
    assert _at(hist, "2017-12-31", "2018-09", "anniversary_major") == 1  # DPRK 70th
    assert _at(hist, "2020-08-19", "2021-01", "party_congress") == 1
    assert _at(hist, "2020-08-18", "2021-01", "party_congress") == 0


# --------------------------------------------------------------------------- as-of safety
def test_information_cut_is_month_start_for_complete_months_and_the_origin_after():
    months = pd.period_range("2018-01", "2018-06", freq="M")
    cuts = pd.to_datetime(information_cuts(months, pd.Timestamp("2018-03-08")))
    assert [c.date().isoformat() for c in cuts] == [
        "2018-01-01",
        "2018-02-01",
        "2018-03-08",
        "2018-03-08",
        "2018-03-08",
        "2018-03-08",
    ]


@pytest.mark.parametrize("cut", ["1999-12-31", "2005-03-01", "2018-03-08", "2019-06-29"])
def test_a_cut_view_gives_the_same_paths_as_the_full_tables(hist, cut):
    months = pd.period_range("1994-01", str(pd.Timestamp(cut).to_period("M") + 24), freq="M")
    full = leading_covariates(hist.tables, months, as_of=cut)
    view = leading_covariates(hist.as_of(cut), months)
    pd.testing.assert_frame_equal(full, view)


_kinds = st.sampled_from(LEADING_KINDS)
_actions = st.sampled_from(LEADING_ACTIONS)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.dates(
        min_value=pd.Timestamp("1995-01-01").date(), max_value=pd.Timestamp("2024-12-31").date()
    ),
    rows=st.lists(
        st.tuples(
            _kinds,
            _actions,
            st.integers(1, 400),  # days after the cut the row becomes public
            st.integers(-400, 400),  # planned start relative to the cut
            st.sampled_from(["", "major", "scaled"]),
            st.sampled_from(["", "missiles", "nuclear", "spring", "august", "us-x", "rok-x"]),
            st.sampled_from(["USA;PRK", "KOR;PRK", "CHN;PRK", "PRK"]),
        ),
        min_size=1,
        max_size=6,
    ),
    alter=st.booleans(),
)
def test_rows_known_after_the_origin_change_nothing(hist, cut, rows, alter):
    """Adding (or altering) rows published after D leaves every covariate path computed at D
    unchanged, for past and future months alike."""
    cut = pd.Timestamp(cut)
    months = pd.period_range("1994-01", str(cut.to_period("M") + 24), freq="M")
    before = leading_covariates(hist.tables, months, as_of=cut)
    li = hist.tables["leading_info"].copy()
    existing = li["event_key"].tolist()
    new = []
    for j, (kind, action, lag, start, scale, issue, parts) in enumerate(rows):
        ps = cut + pd.Timedelta(days=start)
        key = existing[j * 7 % len(existing)] if j % 2 else f"ex-{ps.year}-spring"
        new.append(
            {
                "id": f"canary-{j}",
                "kind": kind,
                "action": action,
                "event_key": key,
                "planned_start": ps,
                "planned_end": ps + pd.Timedelta(days=3),
                "date_precision": "range",
                "track": "canary",
                "participants": parts,
                "scale": scale or None,
                "issue": issue or None,
                "event": "canary",
                "known_basis": None,
                "verification": None,
                "known_from": cut + pd.Timedelta(days=lag),
                "sources": "GK",
            }
        )
    li = pd.concat([li, pd.DataFrame(new)], ignore_index=True)
    if alter:  # rewrite history after the cut: cancel every later row
        late = li["known_from"] > cut
        li.loc[late, "action"] = "cancelled"
    nya = hist.tables["new_year_addresses"].copy()
    nya.loc[nya["known_from"] > cut, "tone"] = -1.0
    after = leading_covariates({"leading_info": li, "new_year_addresses": nya}, months, as_of=cut)
    pd.testing.assert_frame_equal(before, after)


def test_panel_columns_are_real_time_values(hist):
    p = hist.monthly.set_index("month")
    for col in LEADING_COLUMNS:
        assert col in p.columns
    # the panel value of April 2018 is what was known on 1 April 2018
    assert int(p.loc["2018-04", "summit_scheduled"]) == 1
    assert int(p.loc["2018-04", "moratorium_nuclear"]) == 0
    assert int(p.loc["2018-05", "moratorium_nuclear"]) == 1


# --------------------------------------------------------------------------- New Year addresses
def test_new_year_coding_rule():
    text = "해 제\n대화와 전쟁\n원 문\n미제의 침략 전쟁을 반대하고 북남 대화와 협력, 평화를 이루자. 핵 미싸일"
    c = code_new_year_address(text)
    assert c["us_mentions"] == 1  # 미제
    assert c["rok_mentions"] == 1  # 북남
    assert c["hostile"] == 3  # 미제, 침략, 전쟁 (the preface is dropped)
    assert c["conciliatory"] == 3  # 대화, 협력, 평화
    assert c["nuclear"] == 1 and c["missile"] == 1
    assert c["tone"] == 0.0
    assert code_new_year_address("")["tone"] == 0.0


def test_new_year_addresses_table(hist):
    nya = hist.tables["new_year_addresses"].set_index("year")
    assert list(nya.index) == list(range(1984, 2020))
    assert (nya["known_from"].dt.strftime("%m-%d") == "01-01").all()
    # golden counts of the coding (2018: the "nuclear button" address)
    assert (nya.loc[2018, "conciliatory"], nya.loc[2018, "hostile"], nya.loc[2018, "nuclear"]) == (
        24,
        29,
        22,
    )
    assert nya.loc[2019, "tone"] > 0.5 > nya.loc[2017, "tone"]
    assert nya["tone"].between(-1, 1).all()


def test_new_year_address_unknown_before_new_year(hist):
    a = leading_covariates(hist, ["2019-03"], as_of="2018-12-31")["nya_tone"].iloc[0]
    b = leading_covariates(hist, ["2019-03"], as_of="2019-01-01")["nya_tone"].iloc[0]
    nya = hist.tables["new_year_addresses"].set_index("year")["tone"]
    assert a == pytest.approx(nya.loc[2018]) and b == pytest.approx(nya.loc[2019])
    assert pd.isna(leading_covariates(hist, ["2021-06"], as_of="2021-05-01")["nya_tone"].iloc[0])


# --------------------------------------------------------------------------- user tables
def test_every_leading_source_resolves_and_rows_are_sourced(hist):
    li = hist.tables["leading_info"]
    assert li["sources"].str.len().gt(0).all()
    assert set(li["kind"]) == set(LEADING_KINDS)
    assert li["id"].is_unique


@pytest.fixture
def exported(tmp_path, hist):
    d = tmp_path / "hist"
    hist.export(d)
    return d


def test_export_round_trip_keeps_the_leading_tables(exported, hist):
    user = History.load(exported)
    for name in ("leading_info", "new_year_addresses"):
        assert user.tables[name].equals(hist.tables[name]), name


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        (
            "leading_info",
            ",summit,scheduled,",
            ",sumit,scheduled,",
            r"leading_info\.csv: line \d+, column 'kind'",
        ),
        (
            "leading_info",
            ",cancelled,",
            ",canceled,",
            r"leading_info\.csv: line \d+, column 'action'",
        ),
        (
            "leading_info",
            "2018-03-06",
            "2018-03-36",
            r"leading_info\.csv: line \d+, column '\w+': expected a date",
        ),
        (
            "leading_info",
            "W-LI-SING-ITV",
            "W-NOWHERE",
            r"leading_info\.csv: line \d+, column 'sources'",
        ),
        (
            "new_year_addresses",
            ",2018,2018-01-01,",
            ",20x8,2018-01-01,",
            r"new_year_addresses\.csv: line \d+, column 'year'",
        ),
    ],
)
def test_bad_leading_rows_are_named(exported, table, old, new, message):
    p = exported / f"{table}.csv"
    text = p.read_text()
    assert old in text
    p.write_text(text.replace(old, new, 1))
    with pytest.raises(DataError, match=message):
        History.load(exported)


def test_an_older_export_without_the_leading_tables_still_loads(exported):
    (exported / "leading_info.csv").unlink()
    (exported / "new_year_addresses.csv").unlink()
    user = History.load(exported)
    assert user.tables["leading_info"].empty
    cov = user.as_of("2018-03-08").leading_covariates(["2018-04"])
    assert int(cov["summit_scheduled"].iloc[0]) == 0
