"""Deterministic build of the history tables from the raw copies and curated tables.

Input: a data directory laid out as in the repository (``data/raw/...``, ``data/curated/...``;
see ``data/README.md`` for provenance and licences). Output: one CSV per table (schemas in
:mod:`standoff.history.schema`) plus the derived ``monthly.csv``. The build is a pure
function of its input files: rebuilding gives byte-identical tables (tested).

Conventions applied here, each documented in the README:

* ``known_from`` is the date from which a record could be known. Day-precision records are
  known on their date; a record dated only to a month or a year is known at the end of that
  period (conservative, so an as-of cut never sees it early). Curated "key events" that
  summarise a period (e.g. "zero launches in 2018") are known at the end of the period.
* Leaders are attributed by date from ``leaders.csv`` (start inclusive, end exclusive).
* CNS rows dated 2025-01-06 or later are flagged ``preliminary`` (nagix commit log, G1).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from standoff._dates import parse_partial
from standoff.errors import DataError
from standoff.history.schema import (
    BASE_TABLES,
    MEASURES,
    SCHEMAS,
    check_sources,
    split_ids,
    to_csv_text,
    validate_frame,
)

CNS_DIR = "raw/cns_missile_tests_via_nagix"
CSIS_FILE = "raw/csis_provocations/north_korea_provocations_1958_present.csv"
VETO_FILE = "raw/unsc_vetoes/unsc_vetoes_1946_sept2022.csv"
PRELIMINARY_FROM = pd.Timestamp("2025-01-06")


def _read_curated(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(
        data_dir / "curated" / name, dtype=str, keep_default_na=False, na_values=[""]
    )


def _nan_to_none(v: object) -> object:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def attribute_leader(dates: pd.Series, leaders: pd.DataFrame) -> pd.Series:
    """Leader in office on each date (start inclusive, end exclusive)."""
    starts = pd.to_datetime(leaders["start"]).to_numpy()
    order = np.argsort(starts)
    idx = np.searchsorted(starts[order], pd.to_datetime(dates).to_numpy(), side="right") - 1
    if (idx < 0).any():
        raise DataError("leaders.csv: a dated record precedes the first leader's start date")
    names = leaders["leader"].to_numpy()[order]
    return pd.Series(names[idx], index=dates.index, dtype=object)


def build_launches(data_dir: Path, leaders: pd.DataFrame) -> pd.DataFrame:
    cns = data_dir / CNS_DIR
    tests = json.loads((cns / "test.en.json").read_text(encoding="utf-8"))
    missiles = json.loads((cns / "missile.en.json").read_text(encoding="utf-8"))
    facilities = json.loads((cns / "facility.en.json").read_text(encoding="utf-8"))["facilities"]
    rows = []
    for tbin in tests["timeBins"]:
        for r in tbin["data"]:
            m = missiles.get(r["missile"], {"name": r["missile"], "type": "Unknown"})
            f = facilities.get(r["facility"], {})
            mtype = m.get("type", "Unknown")
            when = parse_partial(r["date"])
            rows.append(
                {
                    "date": when.start.isoformat(),
                    "date_precision": when.precision,
                    "known_from": when.end.isoformat(),
                    "time_utc": None if r["time"] == "unknown" else r["time"].replace(" (UTC)", ""),
                    "missile_id": r["missile"],
                    "missile": m["name"],
                    "type": "unknown" if mtype == "Unknown" else mtype,
                    "facility_id": r["facility"],
                    "facility": f.get("name"),
                    "facility_lat": f.get("lat"),
                    "facility_lon": f.get("lon"),
                    "landing": r["landing"],
                    "apogee_km": _num(r["apogee"]),
                    "distance_km": _num(r["distance"]),
                    "outcome": r["outcome"],
                    "description": r["description"],
                }
            )
    df = pd.DataFrame(rows)
    df["seq"] = df.groupby("date").cumcount() + 1
    df["id"] = "cns-" + df["date"] + "-" + df["seq"].map("{:02d}".format)
    dates = pd.to_datetime(df["date"])
    df["leader"] = attribute_leader(dates, leaders)
    df["preliminary"] = np.where(dates >= PRELIMINARY_FROM, "true", "false")
    df["sources"] = "G1"
    return _finish("launches", df, "date")


def _num(v: object) -> str | None:
    try:
        x = float(str(v))
    except ValueError:
        return None  # "unknown" / "na" in the source
    return repr(x) if np.isfinite(x) else None


def build_nuclear_tests(data_dir: Path, leaders: pd.DataFrame) -> pd.DataFrame:
    d = _read_curated(data_dir, "nk_nuclear_tests.csv")
    yld = d["yield_kt_seismic_yao2018"].str.extract(r"^\s*([\d.]+)\s*(?:\+/-\s*([\d.]+))?")
    out = pd.DataFrame(
        {
            "id": "nuclear-test-" + d["test_no"],
            "test_no": d["test_no"],
            "date": d["date_utc"],
            "origin_time_utc": d["origin_time_utc"],
            "site": d["site"],
            "leader": attribute_leader(pd.to_datetime(d["date_utc"]), leaders),
            "usgs_mb": d["usgs_mb"],
            "yield_kt": yld[0],
            "yield_kt_sd": yld[1],
            "yield_other_estimates": d["yield_other_estimates"],
            "dprk_claim": d["dprk_claim"],
            "verification": d["verification_note"],
            "known_from": d["date_utc"],
            "sources": d["sources"],
        }
    )
    curated = d["leader"].tolist()
    if out["leader"].tolist() != curated:
        raise DataError(
            "nk_nuclear_tests.csv: leader column disagrees with leaders.csv attribution"
        )
    return _finish("nuclear_tests", out, "date")


def build_sanctions(data_dir: Path, check_vetoes: bool = True) -> pd.DataFrame:
    """UNSC resolutions with their measures; ``check_vetoes`` cross-checks the vetoed drafts
    against the UNSC veto list (``standoff history update`` skips it when the list is not given)."""
    res = _read_curated(data_dir, "unsc_resolutions_dprk.csv")
    meas = _read_curated(data_dir, "sanctions_measures.csv")
    if set(res["resolution"]) != set(meas["document"]):
        raise DataError("sanctions_measures.csv: documents do not match unsc_resolutions_dprk.csv")
    df = res.merge(meas, left_on="resolution", right_on="document", how="left", validate="1:1")
    parsed = [parse_partial(s) for s in df["date"]]
    numeric = df["resolution"].str.fullmatch(r"\d+")
    year = pd.Series([p.start.year for p in parsed], index=df.index)
    doc = np.where(
        numeric, "S/RES/" + df["resolution"] + " (" + year.astype(str) + ")", df["resolution"]
    )
    ids = np.where(
        numeric,
        "UNSCR-" + df["resolution"],
        "draft-" + pd.Series([p.start.isoformat() for p in parsed], index=df.index) + "-vetoed",
    )
    out = pd.DataFrame(
        {
            "id": ids,
            "resolution": df["resolution"].where(numeric),
            "document": doc,
            "date": [p.start.isoformat() for p in parsed],
            "date_verified": ["true" if p.verified else "false" for p in parsed],
            "adopted": df["adopted"],
            "kind": df["kind"],
            "vote": df["vote"],
            "vote_for": df["vote_for"],
            "vote_against": df["vote_against"],
            "vote_abstain": df["vote_abstain"],
            "vetoed_by": df["vetoed_by"],
            "chapter_vii": df["chapter_vii"],
            "trigger": df["trigger"],
            "measures_added": df["measures_added"],
            **{m: df[m] for m in MEASURES},
            "refined_petroleum_cap_bbl": df["refined_petroleum_cap_bbl"],
            "crude_oil_cap_bbl": df["crude_oil_cap_bbl"],
            "designated_individuals": df["designated_individuals"],
            "designated_entities": df["designated_entities"],
            "coding_note": df["coding_note"],
            "verification": df["verification"],
            "known_from": [p.end.isoformat() for p in parsed],
            "sources": df["sources"],
        }
    )
    if check_vetoes:
        _check_vetoes(data_dir, out)
    return _finish("sanctions", out, "date")


def _check_vetoes(data_dir: Path, sanctions: pd.DataFrame) -> None:
    """Cross-check the curated vetoed drafts against the UNSC veto list (G6, to Sept 2022)."""
    vetoes = pd.read_csv(data_dir / VETO_FILE, dtype=str)
    for _, row in sanctions[sanctions["kind"] == "vetoed_draft"].iterrows():
        date = pd.Timestamp(row["date"])
        if date > pd.Timestamp("2022-09-30"):
            continue  # after the end of G6's coverage
        hit = vetoes[pd.to_datetime(vetoes["date"], format="%m/%d/%Y") == date]
        if hit.empty:
            raise DataError(f"{VETO_FILE}: no veto on {date.date()} for {row['document']}")
        by = sorted(
            {"China": "CHN", "Russia": "RUS", "USA": "USA", "UK": "GBR", "France": "FRA"}[c]
            for c in ("China", "Russia", "USA", "UK", "France")
            if hit.iloc[0][c] == "1"
        )
        if by != sorted(split_ids(row["vetoed_by"])):
            raise DataError(
                f"sanctions_measures.csv: vetoed_by for {row['document']} disagrees with G6"
            )


def build_diplomacy(data_dir: Path) -> pd.DataFrame:
    d = _read_curated(data_dir, "diplomacy.csv")
    start = [parse_partial(s) for s in d["date_start"]]
    end = [None if pd.isna(s) else parse_partial(s) for s in d["date_end"]]
    force = [None if pd.isna(s) else parse_partial(s) for s in d["in_force_to"]]
    precision = [
        s.precision if e is None or (e.precision == "day" and s.precision == "day") else "range"
        for s, e in zip(start, end, strict=True)
    ]
    precision = [
        s.precision if (e is None or (e.start == s.start and e.end == s.end)) else p
        for s, e, p in zip(start, end, precision, strict=True)
    ]
    out = pd.DataFrame(
        {
            "id": d["id"],
            "date_start": [s.start.isoformat() for s in start],
            "date_end": [None if e is None else e.end.isoformat() for e in end],
            "date_precision": precision,
            "track": d["track"],
            "kind": d["kind"],
            "issue": d["issue"],
            "participants": d["participants"],
            "n_participants": d["participants"].map(lambda p: str(len(split_ids(p)))),
            "event": d["event"],
            "outcome": d["outcome"],
            "in_force_to": [None if f is None else f.start.isoformat() for f in force],
            "end_basis": d["end_basis"],
            "verification": d["verification"],
            "known_from": [s.end.isoformat() for s in start],
            "sources": d["sources"],
        }
    )
    return _finish("diplomacy", out, "date_start")


def build_provocations(data_dir: Path) -> pd.DataFrame:
    d = pd.read_csv(data_dir / CSIS_FILE, dtype=str, keep_default_na=False, na_values=[""])
    dates = [parse_partial(s).start.isoformat() for s in d["date"]]
    d = d.assign(date=dates).iloc[::-1].reset_index(drop=True)  # oldest first, stable
    seq = d.groupby("date").cumcount() + 1
    kind = d["type"].str.extract(r"^(Missile|Nuclear|Other)", expand=False).str.lower()
    if kind.isna().any():
        bad = d["type"][kind.isna()].iloc[0]
        raise DataError(f"{CSIS_FILE}: unknown provocation type {bad!r}")
    out = pd.DataFrame(
        {
            "id": "csis-" + d["date"] + "-" + seq.map("{:02d}".format),
            "date": d["date"],
            "type": kind,
            "event": d["event"].str.strip(),
            "description": d["description"],
            "url": d["resources"],
            "known_from": d["date"],
            "sources": "G5",
        }
    )
    return _finish("provocations", out, "date")


def build_events(data_dir: Path) -> pd.DataFrame:
    d = _read_curated(data_dir, "key_events_2018_2026.csv")
    parsed = [parse_partial(s) for s in d["date"]]
    start = pd.Series([p.start.isoformat() for p in parsed])
    seq = start.groupby(start).cumcount() + 1
    out = pd.DataFrame(
        {
            "id": "ev-" + start.str.replace("-", "") + "-" + seq.map("{:02d}".format),
            "date_start": start,
            "date_end": [p.end.isoformat() for p in parsed],
            "date_precision": [p.precision for p in parsed],
            "category": d["category"],
            "event": d["event"],
            "verification": [
                v if p.verified else f"{v} (dates approximate)"
                for v, p in zip(d["verification"], parsed, strict=True)
            ],
            # A curated event may summarise a whole period: known only at its end.
            "known_from": [p.end.isoformat() for p in parsed],
            "sources": d["sources"],
        }
    )
    return _finish("events", out, "date_start")


NYA_DIR = "raw/new_year_addresses_e9t/data"
LEADING_YEARS = (1984, 2030)  # span of the generated calendar rows (anniversaries, US elections)


def build_leading(data_dir: Path) -> pd.DataFrame:
    """What was known in advance: curated rows plus the expanded calendar (see
    :mod:`standoff.history.leading`)."""
    from standoff.history.leading import jubilee_rows, us_election_rows

    d = _read_curated(data_dir, "leading_info.csv")
    rows = []
    for _, r in d.iterrows():
        ps = None if pd.isna(r["planned_start"]) else parse_partial(r["planned_start"])
        pe = None if pd.isna(r["planned_end"]) else parse_partial(r["planned_end"])
        if ps is not None and pe is None:
            pe = ps
        if pe is not None and ps is None:
            raise DataError(f"leading_info.csv: {r['id']}: planned_end without planned_start")
        if ps is None:
            prec = None
        elif ps.start == pe.start and ps.end == pe.end:
            prec = ps.precision
        else:
            prec = "range"
        if pe is not None and pe.end < ps.start:
            raise DataError(f"leading_info.csv: {r['id']}: planned_end before planned_start")
        rows.append(
            {
                **{k: _nan_to_none(r[k]) for k in d.columns},
                "planned_start": None if ps is None else ps.start.isoformat(),
                "planned_end": None if pe is None else pe.end.isoformat(),
                "date_precision": prec,
            }
        )
    cal = _read_curated(data_dir, "leading_info_calendar.csv")
    rows += jubilee_rows(cal, *LEADING_YEARS)
    rows += us_election_rows(*LEADING_YEARS, known_from=f"{LEADING_YEARS[0]}-01-01")
    return _finish("leading_info", pd.DataFrame(rows), "known_from")


def build_new_year_addresses(data_dir: Path) -> pd.DataFrame:
    """Keyword coding of the New Year addresses (rule in :mod:`standoff.history.leading`)."""
    from standoff.history.leading import code_new_year_address

    rows = []
    for p in sorted((data_dir / NYA_DIR).glob("*.txt")):
        year = int(p.stem)
        c = code_new_year_address(p.read_text(encoding="utf-8"))
        rows.append(
            {
                "id": f"nya-{year}",
                "year": str(year),
                "date": f"{year}-01-01",
                **{k: (repr(v) if k == "tone" else str(int(v))) for k, v in c.items()},
                "known_from": f"{year}-01-01",
                "sources": "G11; W-LI-NYA-CODING",
            }
        )
    return _finish("new_year_addresses", pd.DataFrame(rows), "date")


def _finish(name: str, df: pd.DataFrame, sort_col: str) -> pd.DataFrame:
    """Order columns, sort deterministically and validate against the schema."""
    cols = [c.name for c in SCHEMAS[name]]
    df = df.reindex(columns=cols)
    df = df.map(_nan_to_none).astype(object)
    df = df.sort_values([sort_col, "id"], kind="mergesort").reset_index(drop=True)
    return validate_frame(name, df, f"build:{name}")


def build_tables(data_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Build every base table from ``data_dir`` (raw + curated). Pure and deterministic."""
    data_dir = Path(data_dir)
    leaders = _read_curated(data_dir, "leaders.csv")
    tables = {
        "sources": validate_frame("sources", _read_curated(data_dir, "sources.csv"), "sources.csv"),
        "coverage": validate_frame(
            "coverage", _read_curated(data_dir, "coverage.csv"), "coverage.csv"
        ),
        "leaders": validate_frame("leaders", leaders, "leaders.csv"),
        "launches": build_launches(data_dir, leaders),
        "nuclear_tests": build_nuclear_tests(data_dir, leaders),
        "sanctions": build_sanctions(data_dir),
        "diplomacy": build_diplomacy(data_dir),
        "provocations": build_provocations(data_dir),
        "events": build_events(data_dir),
        "leading_info": build_leading(data_dir),
        "new_year_addresses": build_new_year_addresses(data_dir),
    }
    assert tuple(tables) == BASE_TABLES
    check_sources(tables, str(data_dir))
    return tables


def render_tables(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """CSV text of every table, including the derived monthly panel."""
    from standoff.history.panel import build_monthly

    texts = {name: to_csv_text(name, df) for name, df in tables.items()}
    texts["monthly"] = to_csv_text("monthly", build_monthly(tables))
    return texts


def write_tables(texts: dict[str, str], out_dir: str | Path) -> list[Path]:
    """Write ``<table>.csv`` files; each file is written to a temp name then renamed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in texts.items():
        path = out_dir / f"{name}.csv"
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_text(text, encoding="utf-8", newline="\n")
        tmp.replace(path)
        written.append(path)
    return written
