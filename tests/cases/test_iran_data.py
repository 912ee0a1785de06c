"""The Iran case's sourced tables, their build and the draft scenarios (issue 20, phase 1).

The build lives in ``scripts/build_case_iran.py`` (loaded here by path); its inputs are the
curated CSVs in ``data/cases/iran/curated`` and its outputs the committed tables in
``src/standoff/data/cases/iran/history``.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standoff.errors import DataError
from standoff.history.schema import split_ids
from standoff.scenario.spec import load_scenario

EVENT_TABLES = {  # table -> its date column
    "unsc_resolutions": "date",
    "board_resolutions": "date",
    "diplomacy": "date_start",
    "sanctions_steps": "date",
    "strikes": "date_start",
    "launches": "date_start",
}


@pytest.fixture(scope="module")
def b(repo_root):
    path = repo_root / "scripts" / "build_case_iran.py"
    spec = importlib.util.spec_from_file_location("build_case_iran", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tables(b):
    return b.build_tables()


@pytest.fixture(scope="module")
def panel(b, tables):
    return b.build_monthly(tables).set_index("month")


@pytest.fixture(scope="module")
def sources(tables):
    return set(tables["sources"]["id"])


# --------------------------------------------------------------------------- build
def test_committed_tables_are_a_fresh_deterministic_build(b, tables):
    texts = b.render_tables(tables)
    assert set(texts) == {p.stem for p in b.OUT.glob("*.csv")}
    for name, text in texts.items():
        assert (b.OUT / f"{name}.csv").read_text(encoding="utf-8") == text, f"{name}.csv is stale"
    assert b.render_tables(b.build_tables()) == texts


def test_check_mode_reports_fresh_and_stale(b, tmp_path, monkeypatch, capsys):
    assert b.main(["--check"]) == 0
    out = tmp_path / "history"
    shutil.copytree(b.OUT, out)
    monkeypatch.setattr(b, "OUT", out)
    assert b.main(["--check"]) == 0
    (out / "strikes.csv").write_text("id\n", encoding="utf-8")
    (out / "stray.csv").write_text("x\n", encoding="utf-8")
    assert b.main(["--check"]) == 1
    msg = capsys.readouterr().out
    assert "strikes" in msg and "stray (not built)" in msg


def _broken_copy(b, tmp_path, table: str, row_id: str, col: str, value: str):
    data = tmp_path / "iran"
    shutil.copytree(b.DATA, data)
    path = data / "curated" / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[df["id"] == row_id, col] = value
    df.to_csv(path, index=False, lineterminator="\n")
    return data


@pytest.mark.parametrize(
    ("table", "row_id", "col", "value", "expected"),
    [
        ("strikes", "natanz-2020-07-02", "sources", "IR-NO-SUCH", "unknown 'IR-NO-SUCH'"),
        ("diplomacy", "jcpoa-2015", "date_start", "2015-14-07", "diplomacy.csv: jcpoa-2015"),
        ("iaea_reports", "iaea-2021-05-31", "known_from", "2021-05-01", "precedes"),
        ("unsc_resolutions", "unsc-1929", "arms_embargo", "3", "arms_embargo"),
        ("strikes", "natanz-2020-07-02", "attribution", "probably", "attribution"),
    ],
)
def test_bad_curated_input_is_one_clear_error(b, tmp_path, table, row_id, col, value, expected):
    data = _broken_copy(b, tmp_path, table, row_id, col, value)
    with pytest.raises(DataError, match=expected):
        b.build_tables(data)


def test_main_exits_2_without_writing_on_bad_input(b, tmp_path, monkeypatch, capsys):
    data = _broken_copy(b, tmp_path, "launches", "cns-2008-02", "outcome", "great")
    out = tmp_path / "out"
    monkeypatch.setattr(b, "DATA", data)
    monkeypatch.setattr(b, "OUT", out)
    assert b.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "outcome" in err
    assert not out.exists()


# --------------------------------------------------------------------------- sources
def test_every_source_id_resolves_and_every_source_is_cited(tables, sources):
    cited = set()
    for name, df in tables.items():
        if name != "sources" and "sources" in df.columns:
            for cell in df["sources"]:
                ids = split_ids(cell)
                assert ids, f"{name}: a row without sources"
                cited |= set(ids)
    assert cited <= sources
    assert cited == sources  # no dead entries
    assert tables["sources"]["cited_by"].notna().all()


def test_sources_have_urls_and_wikipedia_is_recorded_as_such(tables):
    src = tables["sources"]
    web = src[src["kind"].isin(["web", "github"])]
    assert web["url"].str.match(r"^https?://").all()
    wiki = src[src["url"].fillna("").str.contains("wikipedia|kiddle|askwikinow")]
    assert len(wiki) >= 4
    assert (wiki["source_type"] == "reference").all()
    assert wiki["citation"].str.contains("Wikipedia").all()


def test_rows_resting_on_aggregators_only_are_flagged(tables):
    src = tables["sources"].set_index("id")
    n = 0
    for name, df in tables.items():
        if name in ("sources", "coverage") or "verification" not in df.columns:
            continue
        for cell, ver in zip(df["sources"], df["verification"], strict=True):
            types = {src.loc[i, "source_type"] for i in split_ids(cell)}
            if types == {"aggregator"}:
                n += 1
                assert "aggregator" in ver, (name, cell, ver)
    assert n >= 4  # the 2026 MoU, Burgenstock, the 22 Aug deadline, the blockade's end


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize("table", sorted(EVENT_TABLES))
def test_no_row_is_known_before_its_date_nor_after_its_month(tables, table):
    df = tables[table]
    date = df[EVENT_TABLES[table]]
    assert df["known_from"].notna().all() and date.notna().all()
    assert (df["known_from"] >= date).all()
    # known within the month of the (start) date: what makes the as-of panel exact
    month_end = date.dt.to_period("M").dt.end_time.dt.normalize()
    assert (df["known_from"] <= month_end).all()


def test_iaea_rows_known_on_or_after_their_date(tables):
    ia = tables["iaea_reports"]
    assert (ia["known_from"] >= ia["date"]).all()
    with_asof = ia["data_as_of"].notna()
    # the figures are as of a day before they were public (and within the report's period)
    assert (ia.loc[with_asof, "data_as_of"] <= ia.loc[with_asof, "known_from"]).all()
    end = ia["date"].dt.to_period("M").dt.end_time.dt.normalize()
    assert (ia.loc[with_asof, "data_as_of"] <= end[with_asof]).all()


def test_spans_and_in_force_dates_are_ordered(tables):
    for name in ("diplomacy", "strikes", "launches"):
        df = tables[name]
        e = df["date_end"].notna()
        assert (df.loc[e, "date_end"] >= df.loc[e, "date_start"]).all(), name
    dp = tables["diplomacy"]
    f = dp["in_force_to"].notna()
    assert (dp.loc[f, "in_force_to"] >= dp.loc[f, "date_start"]).all()
    assert set(dp.loc[f, "kind"]) <= {"agreement", "process"}
    assert dp.loc[f, "end_basis"].notna().all()


def test_leading_rows_are_known_before_the_planned_event(tables):
    li = tables["leading_info"]
    active = li["planned_start"].notna()
    assert (li.loc[active, "known_from"] <= li.loc[active, "planned_end"]).all()
    # a cancellation always follows an announcement of the same event
    for key, g in li.groupby("event_key"):
        g = g.sort_values("known_from")
        assert g["action"].iloc[0] != "cancelled", key


def test_coverage_spans(tables, b):
    cov = tables["coverage"]
    assert (cov["start"] <= cov["end"]).all()
    assert set(cov["table"]) <= set(b.COVERAGE_KEYS)
    for key, g in cov.sort_values("start").groupby("table"):
        assert (g["start"].iloc[1:].to_numpy() > g["end"].iloc[:-1].to_numpy()).all(), key
    # the latest coverage is the "now" of the case
    assert cov["end"].max() == pd.Timestamp("2026-06-23")


# --------------------------------------------------------------------------- series
def test_60pct_stock_never_falls(tables):
    ia = tables["iaea_reports"].sort_values(["known_from", "date"])
    s = ia["stock_uf6_60_kg_u"].dropna().to_numpy()
    assert len(s) >= 12 and (np.diff(s) >= 0).all()


def test_total_stock_and_level_fall_only_with_a_documented_reason(tables):
    ia = tables["iaea_reports"].sort_values(["known_from", "date"]).reset_index(drop=True)
    for col in ("stock_total_kg_u", "max_enrichment_pct"):
        rows = ia[ia[col].notna()]
        vals, idx = rows[col].to_numpy(), rows.index.to_numpy()
        for k in range(1, len(vals)):
            if vals[k] < vals[k - 1]:
                between = ia.loc[idx[k - 1] + 1 : idx[k], "decrease_note"]
                assert between.notna().any(), (col, ia.loc[idx[k], "id"])
    documented = set(ia.loc[ia["decrease_note"].notna(), "id"])
    assert {"iaea-2014-01-20", "iaea-2016-01-16", "iaea-2021-09-16"} <= documented


def test_golden_enrichment_and_threshold_months(panel):
    steps = panel.index[panel["enrichment_step_up"] == 1].tolist()
    assert steps == ["2006-04", "2010-02", "2019-07", "2021-01", "2021-04"]
    assert panel.loc["2021-04", "enrichment_level_pct"] == 60
    assert panel.loc["2014-06", "enrichment_level_pct"] == 5  # JPOA
    assert panel.loc["2017-06", "enrichment_level_pct"] == 3.67  # JCPOA
    crossed = panel.index[panel["stockpile_threshold_crossed"] == 1].tolist()
    # >202.8 kg total (1 Jul 2019); 60% stock >= 42 (May 2022 report, known 30 Jun), 84, 168, 336 kg
    assert crossed == ["2019-07", "2022-06", "2023-02", "2024-11", "2025-05"]
    assert panel.loc["2025-09", "stockpile_thresholds_reached"] == 5
    assert panel.loc["2025-09", "stock_60_kg_u"] == 440.9
    assert pd.isna(panel.loc["2025-10", "stockpile_threshold_crossed"])  # unverifiable


def test_golden_unsc_regime(panel):
    assert panel.loc["2006-06", "unsc_intensity"] == 0
    assert panel.loc["2010-06", "unsc_intensity"] == pytest.approx(100 * 13 / 18, abs=1e-3)
    assert panel.loc["2016-01", "unsc_intensity"] == pytest.approx(100 * 4 / 18, abs=1e-3)
    assert panel.loc["2020-10", "unsc_arms_embargo"] == 0
    assert panel.loc["2023-10", "unsc_ballistic_missile_activity"] == 0
    assert panel.loc["2025-09", "unsc_intensity"] == pytest.approx(100 * 13 / 18, abs=1e-3)
    new = panel.index[panel["unsc_resolution_new"] == 1].tolist()
    assert new == ["2006-07", "2006-12", "2007-03", "2008-03", "2008-09", "2010-06", "2015-07"]
    assert panel.loc["2025-09", "unsc_failed_drafts"] == 2


def test_board_record_matches_the_count_in_the_sources(tables, panel):
    """IR-W-BOG2012-09-AFP: the Sept 2012 resolution was 'the 12th in nine years'."""
    bo = tables["board_resolutions"]
    assert ((bo["date"] >= "2003-09-01") & (bo["date"] <= "2012-09-30")).sum() == 12
    assert pd.isna(panel.loc["2015-12", "board_censure"])  # the unread PMD resolution
    assert pd.isna(panel.loc["2004-03", "board_censure"])  # content not read
    assert panel.loc["2025-06", "board_noncompliance"] == 1


def test_missing_is_never_zero_outside_coverage(panel):
    assert pd.isna(panel.loc["2019-05", "launch_month"])  # CNS vintage ends 2019-04
    assert panel.loc["2019-02", "launch_month"] == 1
    assert panel.loc["2014-01", "launch_month"] == 0  # covered, no CNS row
    assert pd.isna(panel.loc["2014-06", "talks_held"])  # 2014-15 rounds not all sourced
    assert pd.isna(panel.loc["2018-12", "strike_nuclear_facility"])  # strikes from 2019-05
    assert panel.index[-1] == "2026-05"  # last month fully covered


def test_golden_diplomacy_and_strikes(panel):
    assert panel.index[panel["agreement_collapses"] == 1].tolist() == [
        "2005-08",
        "2018-05",
        "2025-06",
        "2026-02",
    ]
    strikes = panel.index[panel["strike_nuclear_facility"] == 1].tolist()
    assert strikes == ["2020-07", "2021-04", "2021-06", "2025-06", "2026-02", "2026-03", "2026-04"]
    assert panel.loc["2016-06", "nuclear_agreement_in_force"] == 1  # JCPOA
    assert panel.loc["2019-06", "nuclear_agreement_in_force"] == 0
    assert panel.loc["2026-05", "ceasefire_in_force"] == 1
    assert panel.loc["2025-04", "talks_held"] == 3  # Muscat, Rome, Muscat


# --------------------------------------------------------------------------- as-of
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.integers(
        min_value=0, max_value=(pd.Timestamp("2026-06-23") - pd.Timestamp("2003-02-01")).days
    )
)
def test_panel_as_of_equals_the_full_panel_cut(b, tables, days):
    cut = pd.Timestamp("2003-02-01") + pd.Timedelta(days=days)
    full = b.build_monthly(tables)
    past = b.build_monthly(tables, as_of=cut)
    assert (pd.PeriodIndex(past["month"], freq="M").end_time.normalize() <= cut).all()
    assert past.equals(full[full["month"].isin(past["month"])].reset_index(drop=True))


def test_as_of_cut_drops_later_rows_and_opens_later_ends(b, tables):
    cut = pd.Timestamp("2021-06-15")
    t = b.cut_as_of(tables, cut)
    for name, df in t.items():
        if "known_from" in df.columns:
            assert (df["known_from"] <= cut).all(), name
    dp = t["diplomacy"].set_index("id")
    # still running at the cut: its end is not known yet (the rule of History.as_of for every
    # case); the panel reads a blank end of a span (date_precision range) as running
    assert pd.isna(dp.loc["vienna-2021-r1-6", "date_end"])
    assert dp.loc["vienna-2021-r1-6", "date_precision"] == "range"
    assert "vienna-2021-r7a" not in dp.index
    assert dp.loc["iaea-understanding-2021", "in_force_to"] is pd.NaT or pd.isna(
        dp.loc["iaea-understanding-2021", "in_force_to"]
    )


# --------------------------------------------------------------------------- scenarios
@pytest.mark.parametrize("name", ["iran-2018", "iran-now"])
def test_scenarios_validate_against_the_iran_sources(b, sources, name):
    scn = load_scenario(b.OUT.parent / "scenarios" / f"{name}.yaml", known_sources=sources)
    ids = {a.id for a in scn.actors}
    assert {"USA", "IRN", "ISR", "FRA", "DEU", "GBR", "RUS", "CHN", "IAEA"} <= ids
    assert {"enrichment_limits", "sanctions_relief"} <= {i.id for i in scn.issues}
    pols = {p.id for p in scn.policies}
    assert {"status-quo", "maximum-pressure", "phased-relief", "military-option"} <= pols
    assert pols & {"snapback", "snapback-enforcement"}
    for key, val in scn.sourced_values():  # assumptions carry a range (except the scale anchor)
        if val.assumption and key != "actors.USA.capability":
            assert val.spread is not None, key


def test_unknown_source_in_a_scenario_is_refused(b, sources, tmp_path):
    from standoff.errors import ScenarioError

    text = (b.OUT.parent / "scenarios" / "iran-2018.yaml").read_text(encoding="utf-8")
    p = tmp_path / "bad.yaml"
    p.write_text(text.replace("source: IR-W-JCPOA-HOC", "source: IR-W-NOPE"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="IR-W-NOPE"):
        load_scenario(p, known_sources=sources)


def test_iran_2018_cites_only_what_was_known_on_its_date(b, tables, sources):
    scn = load_scenario(b.OUT.parent / "scenarios" / "iran-2018.yaml", known_sources=sources)
    first_known: dict[str, pd.Timestamp] = {}
    for name, df in tables.items():
        if name in ("sources", "coverage") or "known_from" not in df.columns:
            continue
        for cell, kf in zip(df["sources"], df["known_from"], strict=True):
            for sid in split_ids(cell):
                first_known[sid] = min(first_known.get(sid, kf), kf)
    cited = {v.source for _, v in scn.sourced_values() if v.source and v.source != "IR-STANDOFF"}
    assert cited
    for sid in cited:
        assert first_known[sid] <= pd.Timestamp(scn.as_of), sid


def test_iran_now_is_as_of_the_end_of_coverage(b, tables, sources):
    scn = load_scenario(b.OUT.parent / "scenarios" / "iran-now.yaml", known_sources=sources)
    assert pd.Timestamp(scn.as_of) == tables["coverage"]["end"].max()
