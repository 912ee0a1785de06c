"""Cases as a first-class idea (issue 20, phase 2a): descriptors, the Iran history through the
same machinery as the Korean one, its as-of discipline and leak tests, round trips."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standoff.cases import Case, case_names, list_cases, load_case
from standoff.errors import DataError, LookAheadError, UsageError
from standoff.history import History

_slow = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
#: date columns that may lie after a cut by design: plans and announced effective dates
#: (known when announced; leading information)
PLANNED = {"planned_start", "planned_end", "effective_date"}


@pytest.fixture(scope="module")
def iran():
    return History.load(case="iran")


# --------------------------------------------------------------------------- the cases
def test_the_bundled_cases():
    assert case_names() == ("korea", "iran")
    assert [c.name for c in list_cases()] == ["korea", "iran"]
    c = load_case("iran")
    assert c is load_case("iran")  # validated once
    assert [t.name for t in c.targets] == [
        "enrichment",
        "stockpile",
        "censure",
        "resolution",
        "talks",
        "agreement",
        "collapse",
        "strike",
        "launches",
    ]
    assert {t.column for t in c.targets} <= set(c.panel_columns)
    assert c.target("launches").kind == "count"
    assert set(c.scenarios()) == {"iran-2018", "iran-now"}
    assert c.leading_columns == ("talks_scheduled", "deadline_in_month", "board_meeting_scheduled")
    with pytest.raises(UsageError, match="unknown case 'nope'"):
        load_case("nope")
    with pytest.raises(UsageError, match="unknown target 'nuclear' of the iran case"):
        c.target("nuclear")


def test_the_korean_descriptor_matches_its_registered_code():
    """The Korean case names its existing tables, rules and code; nothing is redeclared."""
    from standoff.backtest.core import BINARY, COUNT
    from standoff.dynamics.features import COMPONENTS
    from standoff.history.core import bundled_dir
    from standoff.history.schema import BASE_TABLES, DATED_TABLES, OPTIONAL_TABLES

    k = load_case("korea")
    assert k.history_dir == bundled_dir().resolve()
    assert k.table_names == BASE_TABLES
    assert k.dated_tables == DATED_TABLES
    assert tuple(n for n, t in k.spec.tables.items() if t.optional) == OPTIONAL_TABLES
    targets = {t.name: t for t in k.targets}
    for name, (_, column) in BINARY.items():  # every backtest target, with its panel column
        assert targets[name].kind == "binary" and targets[name].column == column
    for name, column in COUNT.items():
        assert targets[name].kind == "count" and targets[name].column == column
    assert {c.name for c in k.spec.model.components} <= set(COMPONENTS)
    assert set(k.scenarios()) == {"korea-2018", "korea-now"}


def test_korean_history_is_the_default_case(hist):
    assert hist.case.name == "korea"
    assert History(hist.tables).case.name == "korea"  # constructed directly: korea too
    assert list(hist.monthly.columns[1:]) == list(load_case("korea").panel_columns)


# --------------------------------------------------------------------------- Iran history
def test_iran_loads_through_its_own_store(iran, tmp_path):
    assert iran.case.name == "iran" and iran.origin == "bundled"
    assert iran.case.default_db_path().name == "history-iran.duckdb"
    assert iran.case.default_db_path().exists()
    direct = History.load(case="iran", store=False)
    for name in direct.tables:  # stored and re-read: the same types and values
        pd.testing.assert_frame_equal(iran.tables[name], direct.tables[name])
    panel = iran.monthly
    committed = (iran.case.history_dir / "monthly.csv").read_text(encoding="utf-8")
    assert iran.case.csv_text("monthly", panel) == committed
    assert panel["month"].iloc[0] == "2003-01" and panel["month"].iloc[-1] == "2026-05"


def test_iran_export_round_trip(iran, tmp_path):
    paths = iran.export(tmp_path / "x")
    assert {p.stem for p in paths} == {*iran.case.table_names, "monthly"}
    for p in paths:  # the export format is the bundled format, byte for byte
        assert p.read_text(encoding="utf-8") == (iran.case.history_dir / p.name).read_text(
            encoding="utf-8"
        )
    back = History.load(tmp_path / "x", case="iran")
    for name in iran.tables:
        pd.testing.assert_frame_equal(back.tables[name], iran.tables[name])
    pd.testing.assert_frame_equal(back.monthly, iran.monthly)
    for date in ("2010-06-30", "2019-07-01"):  # before and after strikes are covered
        cut = iran.as_of(date)
        cut.export(tmp_path / date)
        again = History.load(tmp_path / date, case="iran")
        pd.testing.assert_frame_equal(again.monthly, cut.monthly)
        assert again.summary() == {**cut.summary(), "history": str(tmp_path / date), "as_of": None}


def test_a_korean_directory_is_not_an_iran_history(tmp_path, hist):
    hist.export(tmp_path / "k")
    with pytest.raises(DataError, match=r"iaea_reports\.csv: file not found"):
        History.load(tmp_path / "k", case="iran")


def test_iran_has_no_vintages():
    with pytest.raises(UsageError, match="the iran case has no vintages"):
        History.load(case="iran", vintage="2026-01-01-1")
    assert History.load(case="iran", vintage="bundled", store=False).case.name == "iran"


def test_iran_queries_summaries_and_timeline(iran):
    q = iran.as_of("2015-12-31").query("SELECT count(*) AS n FROM board_resolutions WHERE censure")
    assert int(q["n"].iloc[0]) == 10
    meta = iran.as_of("2010-05-05").query('SELECT as_of, "case" FROM meta')
    assert str(meta["as_of"].iloc[0])[:10] == "2010-05-05" and meta["case"].iloc[0] == "iran"
    assert "sanctions_regime" not in iran.sql_tables()
    s = iran.summary()
    assert s["case"] == "iran"
    assert s["counts"]["board_resolutions"] == 19 and s["counts"]["collapses"] == 4
    assert s["latest"]["stock_60_kg_u"] == {"value": 440.9, "month": "2025-11"}
    early = iran.as_of("2018-05-08").summary()
    assert early["counts"]["strikes_nuclear"] is None  # strikes not covered yet: not zero
    assert early["latest"]["enrichment_level_pct"] == {"value": 3.67, "month": "2018-04"}
    years = {r["year"]: r for r in iran.summary(by="year")["rows"]}
    assert years[2025]["strikes_nuclear"] == 2 and years[2012]["strikes_nuclear"] is None
    assert years[2006]["unsc_resolutions"] == 2
    with pytest.raises(UsageError, match="--by: expected one of year"):
        iran.summary(by="leader")
    tl = iran.timeline("2018-05-01", "2018-05-31")
    assert list(tl["kind"]) == ["process", "collapse", "sanctions (USA)"]
    assert tl["what"].iloc[1] == (
        "US withdraws from the JCPOA and reimposes sanctions after 90- and 180-day wind-down "
        "periods -- –"  # the outcome is missing: "–", never an empty string
    )
    with pytest.raises(UsageError, match="--kinds: unknown launches_x"):
        iran.timeline(kinds=("launches_x",))
    with pytest.raises(UsageError, match="unknown table 'nuclear_tests' of the iran case"):
        iran.table("nuclear_tests")


def test_target_series_are_the_golden_months(iran):
    c, panel = iran.case, iran.monthly
    s = c.target_series(panel, "enrichment")
    assert s.index[s == 1].tolist() == ["2006-04", "2010-02", "2019-07", "2021-01", "2021-04"]
    strike = c.target_series(panel, "strike")
    assert pd.isna(strike["2018-12"]) and strike["2025-06"] == 1
    talks = c.target_series(panel, "talks")
    assert talks["2025-04"] == 1  # three rounds in the month: binary 1


# --------------------------------------------------------------------------- Iran as-of
cuts = st.dates(min_value=dt.date(2003, 1, 1), max_value=dt.date(2026, 8, 20))


@_slow
@given(cut=cuts)
def test_nothing_after_the_cut_in_an_iran_view(iran, cut):
    v = iran.as_of(cut)
    c = pd.Timestamp(cut)
    for name in iran.case.dated_tables:
        df = v.table(name)
        assert (df["known_from"] <= c).all(), name
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]) and col not in PLANNED:
                assert (df[col].dropna() <= c).all(), (name, col)
    assert (v.coverage["end"] <= c).all()


@_slow
@given(cut=cuts)
def test_iran_panel_of_a_cut_equals_the_full_panel_truncated(iran, cut):
    v = iran.as_of(cut)
    last = pd.Period(cut, freq="M")
    if pd.Timestamp(cut) != last.end_time.normalize():
        last -= 1
    full = iran.monthly
    expected = full[full["month"] <= str(last)].reset_index(drop=True)
    pd.testing.assert_frame_equal(v.monthly, expected)


def test_a_span_running_at_a_cut_still_counts(iran):
    """The Vienna rounds of Apr-Jun 2021 are one span row: cut on 31 May, its end is blank
    (not known yet) and May still has talks, as in the full panel."""
    v = iran.as_of("2021-05-31")
    row = v.diplomacy.set_index("id").loc["vienna-2021-r1-6"]
    assert pd.isna(row["date_end"]) and row["date_precision"] == "range"
    assert v.monthly.set_index("month").loc["2021-05", "talks_held"] >= 1
    war = iran.as_of("2026-03-15").launches.set_index("id").loc["news-2026-02-op"]
    assert pd.isna(war["date_end"])  # the end of the 2026 salvos was not known in March


def test_cannot_look_ahead_from_an_iran_cut(iran):
    v = iran.as_of("2018-05-08")
    with pytest.raises(LookAheadError, match="already cut at 2018-05-08"):
        v.as_of("2019-01-01")
    with pytest.raises(LookAheadError, match="after this history's as-of cut"):
        v.timeline("2018-01-01", "2018-06-30")
    with pytest.raises(UsageError, match="from 2003-01-01"):
        iran.as_of("2002-12-31")  # before the case's first month


def _perturbed_after(h: History, cut: pd.Timestamp) -> History:
    """Every record known after ``cut`` altered (every value changed, dates moved within the
    future, rows duplicated) plus invented future rows; interval ends after the cut moved."""
    rng = np.random.default_rng(7)
    out = {}
    for name, df in h.tables.items():
        df = df.copy()
        col = h.case.rows_from(name)
        if name == "coverage":
            late = df["end"] > cut
            df.loc[late, "end"] = df.loc[late, "end"] + pd.Timedelta(days=400)
            future = df[late].assign(start=cut + pd.Timedelta(days=3), note="invented")
            df = pd.concat([df, future], ignore_index=True) if len(future) else df
        elif col is not None:
            late = df[col] > cut
            fut = df[late].copy()
            for c in fut.columns:
                s = fut[c]
                if pd.api.types.is_datetime64_any_dtype(s):
                    fut[c] = s + pd.to_timedelta(rng.integers(1, 90, len(s)), unit="D")
                elif pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
                    fut[c] = ~s.fillna(False).astype(bool)
                elif pd.api.types.is_numeric_dtype(s):
                    fut[c] = s.fillna(0) + 1
                elif c not in ("sources",):
                    fut[c] = s.fillna("x").astype(str).str[::-1]
            for c in h.case.spec.tables[name].interval_ends:  # ends after the cut: moved
                ends = df[c] > cut
                df.loc[ends & ~late, c] = df.loc[ends & ~late, c] + pd.Timedelta(days=37)
            df = pd.concat([df[~late], fut, fut.assign(id=fut["id"] + "-copy")], ignore_index=True)
        out[name] = df
    return History(out, origin=h.origin, case=h.case)


@pytest.mark.parametrize("cut", ["2010-06-09", "2018-05-08", "2021-05-31", "2025-06-20"])
def test_hidden_perturbation_after_the_cut_leaves_the_iran_view_bit_identical(iran, cut):
    """The Korean leak test, repeated for Iran: alter every record after the as-of date; the
    as-of view, its panel, its leading covariates and its summary are bit-identical."""
    c = pd.Timestamp(cut)
    doctored = _perturbed_after(iran, c)
    a, b = iran.as_of(cut), doctored.as_of(cut)
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(a.monthly, b.monthly, check_exact=True)
    months = pd.period_range(c.to_period("M") - 6, c.to_period("M") + 12, freq="M")
    pd.testing.assert_frame_equal(a.leading_covariates(months), b.leading_covariates(months))
    assert a.summary() == b.summary() and a.summary(by="year") == b.summary(by="year")
    # ... while the full histories do differ: the perturbation bites
    assert not iran.monthly.equals(doctored.monthly)


# --------------------------------------------------------------------------- descriptors
@pytest.fixture
def iran_copy(tmp_path):
    """A copy of the Iran case directory, to break its descriptor."""
    d = tmp_path / "iran"
    shutil.copytree(load_case("iran").path.parent, d)
    return d / "case.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "      table: iaea_reports\n      value: max_enrichment_pct\n      order: &iaea_order",
            "      table: iaea_report\n      value: max_enrichment_pct\n      order: &iaea_order",
            r"panel\.columns\[0\]\.table: unknown table 'iaea_report'",
        ),
        (
            "      value: max_enrichment_pct\n      order: &iaea_order",
            "      value: max_enrichmnt_pct\n      order: &iaea_order",
            r"panel\.columns\[0\]: unknown column 'max_enrichmnt_pct' of table 'iaea_reports'",
        ),
        (
            "    sources: [IR-W-GOV2006-27-BLOOM, IR-W-IAEA2023-02-AP]",
            "    sources: [IR-W-NO-SUCH-SOURCE]",
            r"targets\[0\]\.sources: unknown source id 'IR-W-NO-SUCH-SOURCE'",
        ),
        (
            "        - {value: stock_uf6_60_kg_u, at_least: 42, source: IR-W-IAEA2025-05-AP}",
            "        - {value: stock_uf6_60_kg_u, at_least: 42}",
            r"panel\.columns\[6\]\.thresholds\[1\]: expected a source \(an id\) or an assumption",
        ),
        (
            "    column: enrichment_step_up\n",
            "    column: enrichment_stepup\n",
            r"targets\[0\]\.column: unknown panel column 'enrichment_stepup'",
        ),
        (
            "    date: date_start\n    interval_ends: [date_end]\n",
            "    date: day\n",
            r"tables\.strikes\.date: unknown column 'day'",
        ),
        (
            "history: history\n",
            "history: nowhere\n",
            r"history: expected a directory, got 'nowhere'",
        ),
        ("name: iran\n", "name: iran\ncolour: green\n", r"colour: unknown key"),
        ("      op: rises\n", "      op: rising\n", r"panel\.columns\[1\]: Input tag 'rising'"),
        (
            "    coverage: iaea_reports\n    sources:",
            "    coverage: iaea\n    sources:",
            r"targets\[0\]\.coverage: unknown coverage key 'iaea'",
        ),
    ],
)
def test_a_bad_descriptor_is_one_line_naming_file_and_key(iran_copy, old, new, expected):
    text = iran_copy.read_text(encoding="utf-8")
    assert old in text, old
    iran_copy.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError, match=expected) as err:
        Case(iran_copy)
    msg = str(err.value)
    assert msg.startswith(str(iran_copy)) and "\n" not in msg


def test_a_copied_descriptor_is_a_working_case(iran_copy):
    c = Case(iran_copy)
    h = History.load(case=c, store=False)
    assert h.case is c and len(h.monthly) == 281


def test_the_name_must_be_the_directory(tmp_path):
    d = tmp_path / "persia"
    shutil.copytree(load_case("iran").path.parent, d)
    with pytest.raises(DataError, match="name: expected 'persia'"):
        Case(d / "case.yaml")


# --------------------------------------------------------------------------- scenarios
def test_iran_scenarios_load_through_the_case():
    c = load_case("iran")
    s = c.load_scenario("iran-2018")
    assert s.name == "iran-2018" and str(s.as_of) == "2018-05-08"
    from standoff.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"bundled: iran-2018, iran-now"):
        c.load_scenario("korea-2018")


# --------------------------------------------------------------------------- the build
@pytest.mark.parametrize(
    ("table", "row_id", "col", "value", "expected"),
    [
        (
            "leading_info",
            "li-moscow-2012",
            "planned_start",
            "",
            "planned_end without planned_start",
        ),
        (
            "diplomacy",
            "jcpoa-2015",
            "date_end",
            "2014-01-01",
            "jcpoa-2015: date_end before date_start",
        ),
        ("coverage", None, "table", "iaea", "column 'table': expected one of iaea_reports"),
        (
            "coverage",
            4,
            "start",
            "2015-11-01",
            "rows for 'board': expected spans that do not overlap",
        ),
        ("launches", "cns-1991-05", "date", "1991-13", "cns-1991-05: expected a date YYYY"),
    ],
)
def test_the_declared_build_refuses_bad_curated_rows(
    repo_root, tmp_path, table, row_id, col, value, expected
):
    """Rules declared in case.yaml (build, coverage keys, known_from after the date) are
    enforced by the generic build with one line naming the curated file."""
    from standoff.cases import build

    case = load_case("iran")
    cur = tmp_path / "curated"
    shutil.copytree(repo_root / case.spec.build.curated, cur)
    path = cur / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if isinstance(row_id, int) or row_id is None:  # coverage: by position
        rows = df.index[[row_id or 0]]
    else:
        rows = df.index[df["id"] == row_id]
    assert len(rows) == 1
    df.loc[rows, col] = value
    df.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(DataError, match=expected) as err:
        build.build_tables(case, cur)
    assert str(cur) in str(err.value) and "\n" not in str(err.value)
