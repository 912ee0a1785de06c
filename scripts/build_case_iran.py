"""Build the Iran case's history tables from data/cases/iran/curated (deterministic).

Usage: python scripts/build_case_iran.py [--check]
  --check  do not write; exit 1 if the committed tables differ from a fresh build.

Input: the hand-built, sourced CSVs in ``data/cases/iran/curated`` (documented, column by
column, in ``data/cases/iran/README.md``). Output: ``src/standoff/data/cases/iran/history``,
one CSV per table plus the derived monthly panel ``monthly.csv``. The build is a pure
function of its input files: rebuilding gives byte-identical tables (``--check``, tested).

It reuses the Korean case's machinery where it fits without changing it
(:mod:`standoff.history.schema` column types, parsing and formatting, the
:func:`~standoff._dates.parse_partial` date rules, the source check, the
``information_cuts`` of :mod:`standoff.history.leading`); the Iran tables, their schemas
and the Iran panel are defined here because the Korean schema registry and panel are fixed
to the Korean tables (phase 2 of issue 20 moves them behind a ``cases`` abstraction).

Conventions (as in the Korean build, ``data/README.md``):

* Dates are ISO; a partial date ("2012-05", "2025-06-13 to 2025-06-24") is parsed into an
  interval with a ``date_precision`` (day, month, range).
* ``known_from`` is the UTC calendar day from which a row could be known: the row's (start)
  day for day-precision rows, the end of the period for month-precision rows (conservative),
  or an explicit curated ``known_from`` when a source shows the fact became public later
  than its date (never earlier: checked). Event dates are local dates as in the sources; a
  strike announced late on 21 June in Washington but dated 22 June in Iran is known from
  22 June (at most a day late, never early).
* ``sources`` ids resolve in ``sources.csv``; empty cells are missing values.
* Coverage (``coverage.csv``) says for which span a table (or a target drawn from it) is
  complete; a panel value outside its coverage is missing, never zero.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from standoff._dates import parse_partial
from standoff.errors import DataError
from standoff.history.leading import information_cuts
from standoff.history.schema import (
    DIPLOMACY_KINDS,
    LEADING_ACTIONS,
    PRECISIONS,
    Col,
    _c,
    _convert,
    _fmt,
    check_sources,
    split_ids,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "cases" / "iran"
OUT = ROOT / "src" / "standoff" / "data" / "cases" / "iran" / "history"

LEADING_KINDS = ("talks", "deadline", "board_meeting")
#: UNSC measure categories of the Iran regime (0 = none, 1 = partial/"called upon"/targeted,
#: 2 = comprehensive or binding ban) -- the Korean 0/1/2 rule applied to the Iran resolutions
UNSC_CATEGORIES = (
    "enrichment_suspension",
    "nuclear_missile_items",
    "ballistic_missile_activity",
    "arms_embargo",
    "asset_freeze_travel_ban",
    "cargo_inspection",
    "financial",
    "shipping",
    "investment_abroad",
)
UNSC_KINDS = (
    "demand",
    "sanctions",
    "endorsement",
    "termination",
    "expiry",
    "failed_draft",
    "snapback",
    "termination_claim",
)
#: stockpile thresholds of the threshold-crossing target (kg of uranium):
#: the JCPOA cap on the total (300 kg UF6 = 202.8 kg U), and 42 kg of 60% material (about
#: one weapon's worth if enriched further, IR-W-IAEA2025-05-AP) and its doublings (2, 4, 8
#: weapon-equivalents; a project choice)
THRESHOLD_TOTAL_KG = 202.8
THRESHOLDS_60_KG = (42.0, 84.0, 168.0, 336.0)
PANEL_START = pd.Period("2003-01", freq="M")

SCHEMAS: dict[str, tuple[Col, ...]] = {
    "sources": (
        _c("id", required=True),
        _c("kind", required=True, choices=("github", "web", "general-knowledge", "derived")),
        _c("source_type", required=True),
        _c("citation", required=True),
        _c("url"),
        _c("facts", required=True),
        _c("cited_by"),
    ),
    "coverage": (
        _c("table", required=True),
        _c("start", "date", True),
        _c("end", "date", True),
        _c("note", required=True),
        _c("sources", required=True),
    ),
    "iaea_reports": (
        _c("id", required=True),
        _c("report_symbol"),
        _c("date", "date", True),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("data_as_of", "date"),
        _c("kind", required=True),
        _c("max_enrichment_pct", "float", lo=0, hi=100),
        _c("enrichment_basis"),
        _c("max_particle_pct", "float", lo=0, hi=100),
        _c("stock_total_kg_u", "float", lo=0, hi=1e6),
        _c("stock_uf6_le2_kg_u", "float", lo=0, hi=1e6),
        _c("stock_uf6_le5_kg_u", "float", lo=0, hi=1e6),
        _c("stock_uf6_20_kg_u", "float", lo=0, hi=1e6),
        _c("stock_uf6_60_kg_u", "float", lo=0, hi=1e6),
        _c("leu_uf6_produced_kg", "float", lo=0, hi=1e7),
        _c("u20_uf6_produced_kg", "float", lo=0, hi=1e6),
        _c("not_verified"),
        _c("decrease_note"),
        _c("note"),
        _c("verification", required=True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "unsc_resolutions": (
        _c("id", required=True),
        _c("resolution"),
        _c("document", required=True),
        _c("date", "date", True),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("kind", required=True, choices=UNSC_KINDS),
        _c("adopted", "bool", True),
        _c("vote_for", "int", lo=0, hi=15),
        _c("vote_against", "int", lo=0, hi=15),
        _c("vote_abstain", "int", lo=0, hi=15),
        _c("against_members"),
        _c("abstain_members"),
        _c("chapter_vii"),
        _c("trigger"),
        _c("measures_text", required=True),
        *(_c(m, "int", True, lo=0, hi=2) for m in UNSC_CATEGORIES),
        _c("designated_added", "int", lo=0, hi=10_000),
        _c("coding_note", required=True),
        _c("verification", required=True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "board_resolutions": (
        _c("id", required=True),
        _c("symbol"),
        _c("date", "date", True),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("kind", required=True, choices=("resolution",)),
        _c("adopted_without_vote", "bool"),
        _c("vote_for", "int", lo=0, hi=35),
        _c("vote_against", "int", lo=0, hi=35),
        _c("vote_abstain", "int", lo=0, hi=35),
        _c("not_voting", "int", lo=0, hi=35),
        _c("against_members"),
        _c("abstain_members"),
        _c("sponsors"),
        _c("censure", "bool"),
        _c("noncompliance_finding", "bool"),
        _c("referral", "bool"),
        _c("summary", required=True),
        _c("verification", required=True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    # the Korean diplomacy schema, column for column
    "diplomacy": (
        _c("id", required=True),
        _c("date_start", "date", True),
        _c("date_end", "date"),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("track", required=True),
        _c("kind", required=True, choices=DIPLOMACY_KINDS),
        _c("issue"),
        _c("participants"),
        _c("n_participants", "int", lo=1, hi=1000),
        _c("event", required=True),
        _c("outcome"),
        _c("in_force_to", "date"),
        _c("end_basis"),
        _c("verification"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    # the Korean leading_info schema; kinds: talks, deadline, board_meeting
    "leading_info": (
        _c("id", required=True),
        _c("kind", required=True, choices=LEADING_KINDS),
        _c("action", required=True, choices=LEADING_ACTIONS),
        _c("event_key", required=True),
        _c("planned_start", "date"),
        _c("planned_end", "date"),
        _c("date_precision", choices=PRECISIONS),
        _c("track"),
        _c("participants"),
        _c("scale", choices=("major", "scaled")),
        _c("issue"),
        _c("event", required=True),
        _c("known_basis"),
        _c("verification"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "sanctions_steps": (
        _c("id", required=True),
        _c("date", "date", True),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("actor", required=True),
        _c("instrument", required=True),
        _c("direction", "int", True, lo=-1, hi=1),
        _c("sectors"),
        _c("event", required=True),
        _c("effective_date", "date"),
        _c("verification", required=True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "strikes": (
        _c("id", required=True),
        _c("date_start", "date", True),
        _c("date_end", "date"),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("attacker", required=True),
        _c("target_country", required=True),
        _c("target", required=True),
        _c(
            "target_kind",
            required=True,
            choices=("nuclear_facility", "military", "shipping", "leadership", "diplomatic"),
        ),
        _c("nuclear_facility", "bool", True),
        _c(
            "attribution",
            required=True,
            choices=("acknowledged", "claimed", "alleged", "unclaimed"),
        ),
        _c("attribution_note", required=True),
        _c("event", required=True),
        _c("verification", required=True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "launches": (
        _c("id", required=True),
        _c("date_start", "date", True),
        _c("date_end", "date", True),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("source_set", required=True, choices=("cns_monthly", "news")),
        _c("kind", required=True, choices=("test", "space_launch", "operational")),
        _c("vehicle", required=True),
        _c("vehicle_class", required=True),
        _c("site"),
        _c("outcome", required=True, choices=("success", "failure", "unknown")),
        _c("confirmed", "bool", True),
        _c("missiles", "int", lo=1, hi=10_000),
        _c("description", required=True),
        _c("verification", required=True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
}
TABLES = tuple(SCHEMAS)


# --------------------------------------------------------------------------- validation
def validate(name: str, raw: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Check ``raw`` (strings) against the table's schema and return typed columns.

    The rules are the Korean ``validate_frame`` rules (required cells, typed cells, enums,
    numeric domains, dates from 1900 to a year ahead, unique ids); errors name the file, the
    line and the column.
    """
    cols = SCHEMAS[name]
    missing = [c.name for c in cols if c.name not in raw.columns]
    if missing:
        raise DataError(f"{origin}: missing column(s) {', '.join(repr(m) for m in missing)}")
    extra = [c for c in raw.columns if c not in {k.name for k in cols}]
    if extra:
        raise DataError(f"{origin}: unexpected column(s) {', '.join(repr(e) for e in extra)}")
    lines = np.arange(len(raw)) + 2
    out = {}
    for c in cols:
        s = raw[c.name]
        present = s.notna() & (s.astype("string").str.strip() != "")
        if c.required and not present.all():
            i = int(np.flatnonzero(~present.to_numpy())[0])
            raise DataError(f"{origin}: line {lines[i]}, column '{c.name}': a value is required")
        out[c.name] = _convert(s.where(present, None), c, origin, lines)
    df = pd.DataFrame(out, index=range(len(raw)))
    if "id" in df.columns and df["id"].duplicated().any():
        raise DataError(f"{origin}: duplicate id {df['id'][df['id'].duplicated()].iloc[0]!r}")
    return df


def to_csv_text(name: str, df: pd.DataFrame) -> str:
    """Deterministic CSV text of a base table (formatting by schema type)."""
    out = pd.DataFrame({c.name: _fmt(df[c.name], c.kind) for c in SCHEMAS[name]}, index=df.index)
    return out.to_csv(index=False, lineterminator="\n")


def panel_csv_text(df: pd.DataFrame) -> str:
    """Deterministic CSV text of the monthly panel (formatting by dtype)."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        kind = (
            "int"
            if pd.api.types.is_integer_dtype(s)
            else "float"
            if pd.api.types.is_float_dtype(s)
            else "str"
        )
        out[col] = _fmt(s, kind)
    return out.to_csv(index=False, lineterminator="\n")


# --------------------------------------------------------------------------- build
def _read(data_dir: Path, name: str) -> pd.DataFrame:
    path = data_dir / "curated" / f"{name}.csv"
    if not path.exists():
        raise DataError(f"{path}: missing curated table")
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _none(v: object) -> object:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else v


def _span(text: str, where: str):
    """(start, end, precision, start_component_end) of a curated partial date."""
    try:
        p = parse_partial(text)
        first = parse_partial(str(text).split(" to ", 1)[0])
    except ValueError as e:
        raise DataError(f"{where}: expected a date YYYY[-MM[-DD]] [to ...], got {text!r}") from e
    return p.start, p.end, p.precision, first.end


def _known(
    df: pd.DataFrame, default: list, name: str, explicit_col: str | None = "known_from"
) -> list:
    """``known_from``: explicit where curated (never before the default), else the default."""
    if explicit_col is None or explicit_col not in df.columns:
        return [d.isoformat() for d in default]
    out = []
    for rid, d, e in zip(df["id"], default, df[explicit_col], strict=True):
        if pd.isna(e):
            out.append(d.isoformat())
            continue
        if pd.Timestamp(e) < pd.Timestamp(d):
            raise DataError(
                f"{name}.csv: {rid}: known_from {e} precedes the conservative default {d} "
                "(an explicit known_from may only be later)"
            )
        out.append(e)
    return out


def _finish(name: str, rows: pd.DataFrame, sort_col: str) -> pd.DataFrame:
    cols = [c.name for c in SCHEMAS[name]]
    rows = rows.reindex(columns=cols).map(_none).astype(object)
    rows = rows.sort_values([sort_col, "id"], kind="mergesort").reset_index(drop=True)
    return validate(name, rows, f"build:{name}")


def build_iaea(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "iaea_reports")
    spans = [
        _span(s, f"iaea_reports.csv: {i}") for i, s in zip(d["id"], d["report_date"], strict=True)
    ]
    rows = d.drop(columns=["report_date"]).copy()
    rows["date"] = [s[0].isoformat() for s in spans]
    rows["date_precision"] = [s[2] for s in spans]
    rows["known_from"] = _known(d, [s[3] for s in spans], "iaea_reports")
    return _finish("iaea_reports", rows, "known_from")


def build_unsc(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "unsc_resolutions")
    spans = [
        _span(s, f"unsc_resolutions.csv: {i}") for i, s in zip(d["id"], d["date"], strict=True)
    ]
    rows = d.copy()
    rows["date"] = [s[0].isoformat() for s in spans]
    rows["date_precision"] = [s[2] for s in spans]
    rows["known_from"] = _known(d, [s[3] for s in spans], "unsc_resolutions")
    return _finish("unsc_resolutions", rows, "date")


def build_board(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "board_resolutions")
    spans = [
        _span(s, f"board_resolutions.csv: {i}") for i, s in zip(d["id"], d["date"], strict=True)
    ]
    rows = d.copy()
    rows["date"] = [s[0].isoformat() for s in spans]
    rows["date_precision"] = [s[2] for s in spans]
    rows["known_from"] = _known(d, [s[3] for s in spans], "board_resolutions")
    return _finish("board_resolutions", rows, "date")


def build_diplomacy(data_dir: Path) -> pd.DataFrame:
    """Korean rules: ``date_end`` is the end of its period, ``in_force_to`` the start of its
    period, ``known_from`` the end of the start period; precision "range" when the row spans
    more than one day."""
    d = _read(data_dir, "diplomacy")
    start = [_span(s, f"diplomacy.csv: {i}") for i, s in zip(d["id"], d["date_start"], strict=True)]
    end = [
        None if pd.isna(s) else _span(s, f"diplomacy.csv: {i}")
        for i, s in zip(d["id"], d["date_end"], strict=True)
    ]
    force = [
        None if pd.isna(s) else _span(s, f"diplomacy.csv: {i}")
        for i, s in zip(d["id"], d["in_force_to"], strict=True)
    ]
    prec = [
        s[2] if e is None or (e[0] == s[0] and e[1] == s[1]) else "range"
        for s, e in zip(start, end, strict=True)
    ]
    rows = d.copy()
    rows["date_start"] = [s[0].isoformat() for s in start]
    rows["date_end"] = [None if e is None else e[1].isoformat() for e in end]
    rows["date_precision"] = prec
    rows["n_participants"] = d["participants"].map(lambda p: str(len(split_ids(p))))
    rows["in_force_to"] = [None if f is None else f[0].isoformat() for f in force]
    rows["known_from"] = [s[3].isoformat() for s in start]
    for rid, s, e in zip(d["id"], start, end, strict=True):
        if e is not None and e[1] < s[0]:
            raise DataError(f"diplomacy.csv: {rid}: date_end before date_start")
    return _finish("diplomacy", rows, "date_start")


def build_leading(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "leading_info")
    rows = []
    for _, r in d.iterrows():
        ps = None if pd.isna(r["planned_start"]) else parse_partial(r["planned_start"])
        pe = None if pd.isna(r["planned_end"]) else parse_partial(r["planned_end"])
        if ps is not None and pe is None:
            pe = ps
        if pe is not None and ps is None:
            raise DataError(f"leading_info.csv: {r['id']}: planned_end without planned_start")
        if ps is not None and pe.end < ps.start:
            raise DataError(f"leading_info.csv: {r['id']}: planned_end before planned_start")
        prec = (
            None
            if ps is None
            else (ps.precision if (ps.start, ps.end) == (pe.start, pe.end) else "range")
        )
        rows.append(
            {
                **{k: _none(r[k]) for k in d.columns},
                "planned_start": None if ps is None else ps.start.isoformat(),
                "planned_end": None if pe is None else pe.end.isoformat(),
                "date_precision": prec,
            }
        )
    return _finish("leading_info", pd.DataFrame(rows), "known_from")


def build_sanctions_steps(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "sanctions_steps")
    spans = [_span(s, f"sanctions_steps.csv: {i}") for i, s in zip(d["id"], d["date"], strict=True)]
    rows = d.copy()
    rows["date"] = [s[0].isoformat() for s in spans]
    rows["date_precision"] = [s[2] for s in spans]
    rows["known_from"] = [s[3].isoformat() for s in spans]
    return _finish("sanctions_steps", rows, "date")


def build_strikes(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "strikes")
    start = [_span(s, f"strikes.csv: {i}") for i, s in zip(d["id"], d["date_start"], strict=True)]
    end = [
        None if pd.isna(s) else _span(s, f"strikes.csv: {i}")
        for i, s in zip(d["id"], d["date_end"], strict=True)
    ]
    rows = d.copy()
    rows["date_start"] = [s[0].isoformat() for s in start]
    rows["date_end"] = [None if e is None else e[1].isoformat() for e in end]
    rows["date_precision"] = [
        s[2] if e is None else "range" for s, e in zip(start, end, strict=True)
    ]
    rows["known_from"] = [s[3].isoformat() for s in start]
    return _finish("strikes", rows, "date_start")


def build_launches(data_dir: Path) -> pd.DataFrame:
    d = _read(data_dir, "launches")
    spans = [_span(s, f"launches.csv: {i}") for i, s in zip(d["id"], d["date"], strict=True)]
    rows = d.drop(columns=["date"]).copy()
    rows["date_start"] = [s[0].isoformat() for s in spans]
    rows["date_end"] = [s[1].isoformat() for s in spans]
    rows["date_precision"] = [s[2] for s in spans]
    rows["known_from"] = [s[3].isoformat() for s in spans]
    return _finish("launches", rows, "date_start")


def build_tables(data_dir: str | Path = DATA) -> dict[str, pd.DataFrame]:
    """Every base table of the Iran case. Pure and deterministic."""
    data_dir = Path(data_dir)
    tables = {
        "sources": None,
        "coverage": validate("coverage", _read(data_dir, "coverage"), "coverage.csv"),
        "iaea_reports": build_iaea(data_dir),
        "unsc_resolutions": build_unsc(data_dir),
        "board_resolutions": build_board(data_dir),
        "diplomacy": build_diplomacy(data_dir),
        "leading_info": build_leading(data_dir),
        "sanctions_steps": build_sanctions_steps(data_dir),
        "strikes": build_strikes(data_dir),
        "launches": build_launches(data_dir),
    }
    src = _read(data_dir, "sources")
    cited: dict[str, list[str]] = {}
    for name, df in tables.items():
        if df is None or "sources" not in df.columns:
            continue
        for cell in df["sources"]:
            for sid in split_ids(cell):
                if name not in cited.setdefault(sid, []):
                    cited[sid].append(name)
    src["cited_by"] = src["id"].map(lambda i: "; ".join(cited.get(i, [])) or None)
    tables["sources"] = validate("sources", src.sort_values("id", kind="mergesort"), "sources.csv")
    check_sources(tables, str(data_dir))
    unused = sorted(set(tables["sources"]["id"]) - set(cited))
    if unused:
        raise DataError(f"sources.csv: source(s) cited by no row: {', '.join(unused)}")
    if set(tables["coverage"]["table"]) - set(COVERAGE_KEYS):
        bad = sorted(set(tables["coverage"]["table"]) - set(COVERAGE_KEYS))
        raise DataError(f"coverage.csv: unknown table key(s) {', '.join(bad)}")
    return tables


# --------------------------------------------------------------------------- panel
#: coverage keys: a table, or a target family drawn from a table with its own span
COVERAGE_KEYS = (
    "iaea_reports",
    "iaea_stockpile_thresholds",
    "unsc",
    "board",
    "diplomacy",
    "diplomacy_talks",
    "sanctions_steps",
    "strikes",
    "launches",
    "leading_info",
)

PANEL_DOC = """\
=============================== =====================================================
month                           YYYY-MM (2003-01 to the last fully covered month)
enrichment_level_pct            highest product level in force per the latest IAEA row
                                known by month end (reports, coverage iaea_reports)
enrichment_step_up        [T]   1 if a row known in the month raises the level above the
                                level in force at the previous month end
enrichment_record               1 if that level exceeds every earlier level
max_particle_pct                highest particle level reported so far
stock_total_kg_u, stock_60_kg_u latest known totals (kg U; 60% material in UF6)
stockpile_threshold_crossed [T] 1 if a row known in the month is the first to reach a
                                threshold: total > 202.8 kg (JCPOA cap) or 60% material
                                >= 42, 84, 168, 336 kg (coverage iaea_stockpile_thresholds)
stockpile_thresholds_reached    number of those thresholds reached so far (0-5)
board_resolutions               IAEA Board resolutions on Iran adopted in the month
board_censure             [T]   1 if one of them censures Iran (missing if a month's
                                only resolution has an unread content)
board_noncompliance             non-compliance findings in the month
unsc_resolutions                substantive UNSC resolutions adopted (demand, sanctions,
                                endorsement)
unsc_resolution_new       [T]   1 if unsc_resolutions > 0
unsc_failed_drafts              drafts put to a vote and not adopted
unsc_intensity                  100 x sum of category levels / (2 x 9) at month end
unsc_<category>                 level 0/1/2 in force at month end (after termination,
                                expiry and snapback rows)
talks_held                [T]   negotiation rounds in session during the month
                                (coverage diplomacy_talks)
agreements_signed         [T]   agreements dated in the month (any track)
agreement_collapses       [T]   collapses dated in the month
nuclear_agreement_in_force      a nuclear/verification agreement in force during the month
ceasefire_in_force              a ceasefire or MoU (issue military) in force
iran_unilateral_steps           Iranian unilateral steps (kind unilateral, IRN)
us_eu_tightening, us_eu_relief  US/EU sanctions steps with direction +1 / -1
strike_nuclear_facility   [T]   a strike on a nuclear facility during the month
strikes                         strikes and attacks in the list active in the month
launch_month              [T]   months with >= 1 CNS-recorded missile/SLV flight or use
                                (0/1: the derivative keeps one row per month; count
                                target; coverage launches, 1988-01 to 2019-04)
talks_scheduled                 a round announced for the month (as known at its start)
deadline_in_month               a deadline falls in the month (as known at its start)
board_meeting_scheduled         a Board meeting announced for the month
=============================== =====================================================
[T] = a target of the case (issue 20).
"""


def _overlaps(start, end, m_start, m_end) -> np.ndarray:
    """Number of intervals [start, end] (end missing = open) overlapping each month."""
    s = pd.to_datetime(pd.Series(start, dtype="object")).to_numpy()
    e = pd.to_datetime(pd.Series(end, dtype="object")).to_numpy()
    e = np.where(pd.isna(e), np.datetime64("2262-01-01"), e)
    out = np.zeros(len(m_start), dtype=np.int64)
    for a, b in zip(s, e, strict=True):
        out += ((m_start <= b) & (m_end >= a)).astype(np.int64)
    return out


def cut_as_of(tables: dict[str, pd.DataFrame], as_of) -> dict[str, pd.DataFrame]:
    """The tables as known on ``as_of``: rows known later are dropped; an in-force date after
    the cut is opened (missing = still in force, the Korean rule) and a span that ends after
    the cut is cut there (a missing ``date_end`` means a one-day row in these tables)."""
    cut = pd.Timestamp(as_of).normalize()
    out = {}
    for name, df in tables.items():
        if "known_from" in df.columns:
            df = df[df["known_from"] <= cut].copy()
            if "in_force_to" in df.columns:  # missing = in force
                df.loc[df["in_force_to"] > cut, "in_force_to"] = pd.NaT
            if "date_end" in df.columns and name != "launches":  # running up to the cut
                df.loc[df["date_end"] > cut, "date_end"] = cut
        out[name] = df.reset_index(drop=True)
    return out


def panel_end(coverage: pd.DataFrame) -> pd.Period:
    last = pd.Timestamp(coverage["end"].max())
    p = last.to_period("M")
    return p if last == p.end_time.normalize() else p - 1


def build_monthly(tables: dict[str, pd.DataFrame], as_of=None) -> pd.DataFrame:
    """The Iran monthly panel (columns in :data:`PANEL_DOC`).

    Every value for month *m* depends only on rows known by the end of *m* (report series)
    or dated in or before *m* (events, whose ``known_from`` is never after the end of their
    month except where an explicit later ``known_from`` is curated: the report series read
    those by ``known_from``), so the panel built from ``cut_as_of(tables, D)`` equals the
    full panel on every month ending on or before *D* (tested).
    """
    if as_of is not None:
        tables = cut_as_of(tables, as_of)
        last = pd.Timestamp(as_of).normalize().to_period("M")
        if pd.Timestamp(as_of).normalize() != last.end_time.normalize():
            last -= 1
        end = min(panel_end(tables["coverage"]), last)
    else:
        end = panel_end(tables["coverage"])
    months = pd.period_range(PANEL_START, end, freq="M")
    m_start = months.start_time.normalize().to_numpy()
    m_end = months.end_time.normalize().to_numpy()
    n = len(months)
    cov = tables["coverage"]
    out: dict[str, object] = {"month": months.strftime("%Y-%m")}

    def covered(key: str) -> np.ndarray:
        c = cov[cov["table"] == key]
        ok = np.zeros(n, bool)
        for s, e in zip(c["start"], c["end"], strict=True):
            ok |= (m_start >= s.to_datetime64()) & (m_end <= e.to_datetime64())
        return ok

    def ints(values, mask) -> pd.array:
        return pd.array(
            np.where(mask, np.asarray(values, dtype=float), np.nan), dtype="Float64"
        ).astype("Int64")

    def floats(values, mask) -> pd.array:
        return pd.array(np.where(mask, np.asarray(values, dtype=float), np.nan), dtype="Float64")

    def per_month(dates) -> np.ndarray:
        d = pd.to_datetime(pd.Series(dates, dtype="object")).to_numpy()
        return np.array(
            [((d >= a) & (d <= b)).sum() for a, b in zip(m_start, m_end, strict=True)],
            dtype=np.int64,
        )

    # --- IAEA reports: values as known at each month end (ordered by known_from, date)
    ia = tables["iaea_reports"].sort_values(["known_from", "date", "id"], kind="mergesort")
    m = covered("iaea_reports")
    kf = ia["known_from"].to_numpy()

    def latest(col: str) -> np.ndarray:
        sub = ia[ia[col].notna()]
        k = sub["known_from"].to_numpy()
        v = sub[col].to_numpy(dtype=float)
        if len(v) == 0:
            return np.full(n, np.nan)
        i = np.searchsorted(k, m_end, side="right") - 1
        return np.where(i >= 0, v[np.clip(i, 0, None)], np.nan)

    level = latest("max_enrichment_pct")
    out["enrichment_level_pct"] = floats(level, m)
    lv = ia[ia["max_enrichment_pct"].notna()]
    step = np.zeros(n, np.int64)
    record = np.zeros(n, np.int64)
    prev_level, best = np.nan, -np.inf
    for k, v in zip(
        lv["known_from"].to_numpy(), lv["max_enrichment_pct"].to_numpy(dtype=float), strict=True
    ):
        j = np.searchsorted(m_end, k, side="left")  # month whose end is >= known_from
        if j < n and ((np.isnan(prev_level) and v > 0) or v > prev_level):
            step[j] = 1
        if j < n and v > best:
            record[j] = 1
        prev_level, best = v, max(best, v)
    out["enrichment_step_up"] = ints(step, m)
    out["enrichment_record"] = ints(record, m)
    part = ia["max_particle_pct"].astype(float).to_numpy()
    cummax = np.fmax.accumulate(np.r_[-np.inf, np.where(np.isnan(part), -np.inf, part)])
    mp = cummax[np.searchsorted(kf, m_end, side="right")]
    out["max_particle_pct"] = floats(np.where(np.isfinite(mp), mp, np.nan), m)
    total = latest("stock_total_kg_u")
    s60 = latest("stock_uf6_60_kg_u")
    out["stock_total_kg_u"] = floats(total, m)
    out["stock_60_kg_u"] = floats(s60, m)
    mt = covered("iaea_stockpile_thresholds")
    reached_at = []  # known_from of the first row reaching each threshold
    tot = ia[ia["stock_total_kg_u"].notna()]
    hit = tot[tot["stock_total_kg_u"].astype(float) > THRESHOLD_TOTAL_KG]
    reached_at.append(hit["known_from"].min() if len(hit) else None)
    s6 = ia[ia["stock_uf6_60_kg_u"].notna()]
    for t in THRESHOLDS_60_KG:
        hit = s6[s6["stock_uf6_60_kg_u"].astype(float) >= t]
        reached_at.append(hit["known_from"].min() if len(hit) else None)
    crossed = np.zeros(n, np.int64)
    count = np.zeros(n, np.int64)
    for k in reached_at:
        if k is None or pd.isna(k):
            continue
        k = np.datetime64(pd.Timestamp(k).to_datetime64())
        crossed += ((m_start <= k) & (m_end >= k)).astype(np.int64)
        count += (m_end >= k).astype(np.int64)
    out["stockpile_threshold_crossed"] = ints((crossed > 0).astype(int), mt)
    out["stockpile_thresholds_reached"] = ints(count, mt)

    # --- IAEA Board
    bo = tables["board_resolutions"]
    m = covered("board")
    out["board_resolutions"] = ints(per_month(bo["date"]), m)
    cen_true = per_month(bo.loc[bo["censure"].fillna(False).astype(bool), "date"])
    cen_unknown = per_month(bo.loc[bo["censure"].isna(), "date"])
    censure = np.where(cen_true > 0, 1.0, np.where(cen_unknown > 0, np.nan, 0.0))
    out["board_censure"] = ints(censure, m)
    out["board_noncompliance"] = ints(
        per_month(bo.loc[bo["noncompliance_finding"].fillna(False).astype(bool), "date"]), m
    )

    # --- UNSC
    un = tables["unsc_resolutions"]
    m = covered("unsc")
    adopted = un["adopted"].fillna(False).astype(bool)
    subst = adopted & un["kind"].isin(["demand", "sanctions", "endorsement"])
    res = per_month(un.loc[subst, "date"])
    out["unsc_resolutions"] = ints(res, m)
    out["unsc_resolution_new"] = ints((res > 0).astype(int), m)
    out["unsc_failed_drafts"] = ints(per_month(un.loc[un["kind"] == "failed_draft", "date"]), m)
    state = un[adopted].sort_values(["date", "id"], kind="mergesort")
    sd = state["date"].to_numpy()
    levels = state[list(UNSC_CATEGORIES)].astype(int).to_numpy()
    i = np.searchsorted(sd, m_end, side="right") - 1
    lv = (
        np.where((i >= 0)[:, None], levels[np.clip(i, 0, None)], 0)
        if len(levels)
        else np.zeros((n, len(UNSC_CATEGORIES)))
    )
    out["unsc_intensity"] = floats(
        np.round(100.0 * lv.sum(axis=1) / (2.0 * len(UNSC_CATEGORIES)), 4), m
    )
    for j, c in enumerate(UNSC_CATEGORIES):
        out[f"unsc_{c}"] = ints(lv[:, j], m)

    # --- diplomacy
    dp = tables["diplomacy"]
    m = covered("diplomacy")
    mtalk = covered("diplomacy_talks")
    end = dp["date_end"].fillna(dp["date_start"])
    talks = dp["kind"] == "talks"
    out["talks_held"] = ints(
        _overlaps(dp.loc[talks, "date_start"], end[talks], m_start, m_end), mtalk
    )
    out["agreements_signed"] = ints(per_month(dp.loc[dp["kind"] == "agreement", "date_start"]), m)
    out["agreement_collapses"] = ints(per_month(dp.loc[dp["kind"] == "collapse", "date_start"]), m)
    agr = dp["kind"] == "agreement"
    for col, issues in (
        ("nuclear_agreement_in_force", ("nuclear", "verification")),
        ("ceasefire_in_force", ("military",)),
    ):
        sel = agr & dp["issue"].isin(issues)
        hit = _overlaps(dp.loc[sel, "date_start"], dp.loc[sel, "in_force_to"], m_start, m_end) > 0
        out[col] = ints(hit.astype(int), m)
    uni = (dp["kind"] == "unilateral") & dp["participants"].eq("IRN")
    out["iran_unilateral_steps"] = ints(per_month(dp.loc[uni, "date_start"]), m)

    # --- US/EU sanctions steps
    ss = tables["sanctions_steps"]
    m = covered("sanctions_steps")
    out["us_eu_tightening"] = ints(per_month(ss.loc[ss["direction"] == 1, "date"]), m)
    out["us_eu_relief"] = ints(per_month(ss.loc[ss["direction"] == -1, "date"]), m)

    # --- strikes
    st = tables["strikes"]
    m = covered("strikes")
    send = st["date_end"].fillna(st["date_start"])
    nuc = st["nuclear_facility"].fillna(False).astype(bool)
    hit = _overlaps(st.loc[nuc, "date_start"], send[nuc], m_start, m_end) > 0
    out["strike_nuclear_facility"] = ints(hit.astype(int), m)
    out["strikes"] = ints(_overlaps(st["date_start"], send, m_start, m_end), m)

    # --- launches (CNS monthly rows only: the news rows are not a complete count)
    la = tables["launches"]
    m = covered("launches")
    out["launch_month"] = ints(
        per_month(la.loc[la["source_set"] == "cns_monthly", "date_start"]), m
    )

    # --- leading information, as known when each month began
    li = tables["leading_info"]
    m = covered("leading_info")
    cuts = information_cuts(months, None if as_of is None else pd.Timestamp(as_of))
    for col, kind in (
        ("talks_scheduled", "talks"),
        ("deadline_in_month", "deadline"),
        ("board_meeting_scheduled", "board_meeting"),
    ):
        out[col] = ints(_scheduled(li[li["kind"] == kind], m_start, m_end, cuts), m)
    return pd.DataFrame(out)


_ACTIVE = ("scheduled", "rescheduled", "reinstated", "declared", "extended")


def _scheduled(df: pd.DataFrame, m_start, m_end, cuts) -> np.ndarray:
    """1 if an event whose latest row known at the month's cut is active (scheduled,
    rescheduled, reinstated, declared or extended) has a planned window overlapping the
    month. The Korean rule, with deadlines' "declared"/"extended" counted as active."""
    hit = np.zeros(len(m_start), dtype=np.int64)
    for _, g in df.sort_values(["event_key", "known_from"], kind="mergesort").groupby(
        "event_key", sort=True
    ):
        kf = g["known_from"].to_numpy(dtype="datetime64[ns]")
        i = np.searchsorted(kf, cuts, side="right") - 1
        ok = i >= 0
        ii = np.clip(i, 0, None)
        act = g["action"].isin(_ACTIVE).to_numpy()[ii]
        ps = g["planned_start"].to_numpy(dtype="datetime64[ns]")[ii]
        pe = g["planned_end"].fillna(g["planned_start"]).to_numpy(dtype="datetime64[ns]")[ii]
        has = ok & act & ~np.isnat(ps)
        hit |= (has & (ps <= m_end) & (pe >= m_start)).astype(np.int64)
    return hit


# --------------------------------------------------------------------------- outputs
def render_tables(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    texts = {name: to_csv_text(name, df) for name, df in tables.items()}
    texts["monthly"] = panel_csv_text(build_monthly(tables))
    return texts


def main(argv: list[str]) -> int:
    try:
        texts = render_tables(build_tables(DATA))
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if "--check" in argv:
        stale = [
            n
            for n, t in texts.items()
            if not (OUT / f"{n}.csv").exists()
            or (OUT / f"{n}.csv").read_text(encoding="utf-8") != t
        ]
        extra = (
            sorted(p.stem for p in OUT.glob("*.csv") if p.stem not in texts) if OUT.exists() else []
        )
        if stale or extra:
            print("stale tables: " + ", ".join(stale + [f"{e} (not built)" for e in extra]))
            return 1
        print(f"{len(texts)} Iran tables up to date")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        path = OUT / f"{name}.csv"
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_text(text, encoding="utf-8", newline="\n")
        tmp.replace(path)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
