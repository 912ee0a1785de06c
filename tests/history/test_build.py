"""The bundled tables are a deterministic function of data/raw + data/curated."""

from __future__ import annotations

import pandas as pd
import pytest

from standoff.history.build import build_tables, render_tables
from standoff.history.core import bundled_dir


@pytest.fixture(scope="module")
def rebuilt(repo_root):
    return render_tables(build_tables(repo_root / "data"))


def test_rebuild_gives_identical_tables(rebuilt):
    bundled = bundled_dir()
    assert set(rebuilt) == {p.stem for p in bundled.glob("*.csv")}
    for name, text in rebuilt.items():
        assert (bundled / f"{name}.csv").read_text(encoding="utf-8") == text, f"{name}.csv is stale"


def test_rebuild_is_deterministic(repo_root, rebuilt):
    again = render_tables(build_tables(repo_root / "data"))
    assert again == rebuilt


def test_per_year_counts_match_curated_cns_column(repo_root, hist):
    """Independent cross-check against the hand-curated per-year table (CNS via nagix, G1)."""
    cur = pd.read_csv(repo_root / "data/curated/missile_tests_per_year.csv")
    col = "cns_via_nagix_2026-04_G1"
    expected = cur.set_index("year")[col].dropna().astype(int)
    got = hist.launches.groupby(hist.launches["date"].dt.year).size()
    got = got.reindex(expected.index, fill_value=0)
    assert (got == expected).all(), (got[got != expected], expected[got != expected])


def test_launch_table_facts(hist):
    la = hist.launches
    assert len(la) == 339
    assert la["type"].value_counts().to_dict() == {
        "SRBM": 193,
        "unknown": 66,
        "MRBM": 30,
        "IRBM": 19,
        "ICBM": 12,
        "SLV": 9,
        "SLBM": 9,
        "HGV": 1,
    }
    assert la["outcome"].value_counts().to_dict() == {"success": 229, "unknown": 72, "failure": 38}
    icbm_dates = la.loc[la["type"] == "ICBM", "date"].dt.strftime("%Y-%m-%d").tolist()
    assert icbm_dates == [
        "2017-07-04",
        "2017-07-28",
        "2017-11-28",
        "2022-03-16",
        "2022-03-24",
        "2022-11-18",
        "2023-02-18",
        "2023-03-15",
        "2023-04-12",
        "2023-07-12",
        "2023-12-17",
        "2024-10-30",
    ]
    # preliminary flag: the nagix update of 2025-01-06 .. 2026-04-18
    assert la.loc[la["preliminary"], "date"].min() == pd.Timestamp("2025-01-06")
    assert int(la["preliminary"].sum()) == 36
    # month-precision rows are only known at the end of their month
    early = la[la["date_precision"] == "month"]
    assert len(early) == 8
    assert (early["known_from"] == early["date"] + pd.offsets.MonthEnd(0)).all()


def test_nuclear_tests_and_leaders(hist):
    nt = hist.nuclear_tests
    assert nt["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2006-10-09",
        "2009-05-25",
        "2013-02-12",
        "2016-01-06",
        "2016-09-09",
        "2017-09-03",
    ]
    assert nt["usgs_mb"].tolist() == [4.2, 4.7, 5.1, 5.1, 5.3, 6.3]
    assert nt["yield_kt"].tolist() == [0.48, 7.7, 13.5, 11.4, 18.0, 109.4]
    assert nt["yield_kt_sd"].iloc[5] == 48.6
    assert nt["leader"].tolist() == ["Kim Jong Il"] * 2 + ["Kim Jong Un"] * 4


def test_sanctions_table(hist):
    sa = hist.sanctions.set_index("id")
    adopted = sa[sa["adopted"]]
    assert sorted(adopted["resolution"].dropna().astype(int)) == [
        825,
        1695,
        1718,
        1874,
        2087,
        2094,
        2270,
        2321,
        2356,
        2371,
        2375,
        2397,
        2407,
        2464,
        2515,
        2569,
        2627,
        2680,
    ]
    assert sa.loc["UNSCR-2397", "refined_petroleum_cap_bbl"] == 500_000
    assert sa.loc["UNSCR-2397", "crude_oil_cap_bbl"] == 4_000_000
    assert sa.loc["UNSCR-2375", "refined_petroleum_cap_bbl"] == 2_000_000
    assert sa.loc["UNSCR-2371", "seafood"] == 2
    assert sa.loc["UNSCR-2375", "textiles"] == 2
    assert sa.loc["UNSCR-825", "vote_abstain"] == 2
    vetoed = sa[sa["kind"] == "vetoed_draft"]
    assert vetoed["vetoed_by"].tolist() == ["CHN;RUS", "RUS"]
    assert not vetoed["adopted"].any()
    # unverified adoption dates are flagged, not silently trusted
    assert not sa.loc["UNSCR-2407", "date_verified"]
    assert sa.loc["UNSCR-2397", "date_verified"]


def test_every_row_resolves_its_sources(hist):
    known = set(hist.sources["id"])
    for name in ("launches", "nuclear_tests", "sanctions", "diplomacy", "provocations", "events"):
        for cell in hist.table(name)["sources"]:
            ids = [s.strip() for s in cell.split(";")]
            assert ids and set(ids) <= known, (name, cell)


def test_diplomacy_covers_curated_timeline(repo_root, hist):
    """Every row of the shared negotiation timeline has a diplomacy row on the same start date."""
    tl = pd.read_csv(repo_root / "data/curated/negotiation_timeline.csv", dtype=str)
    starts = set(hist.diplomacy["date_start"].dt.strftime("%Y-%m-%d")) | set(
        hist.diplomacy["date_start"].dt.strftime("%Y-%m")
    )
    launch_days = set(hist.launches["date"].dt.strftime("%Y-%m-%d"))
    for d, track in zip(tl["date_start"], tl["track"], strict=True):
        if track == "DPRK action":  # a launch: recorded in the launches table instead
            assert d in launch_days, d
        else:
            assert d in starts, d
