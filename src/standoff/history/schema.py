"""Schemas of the history tables: one definition used to build, store, export and validate.

A table directory (the bundled ``standoff/data/history`` or a user's ``--history DIR``)
holds one CSV per table named ``<table>.csv``. Dates are ISO ``YYYY-MM-DD`` (UTC for CNS
launches, KST for CSIS provocations, as in the sources), booleans ``true``/``false``,
missing values empty. Every row carries source ids that resolve in ``sources.csv``.

``monthly.csv`` is derived (see :mod:`standoff.history.panel`); it is exported for
convenience and recomputed, never read, when a directory is loaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from standoff.errors import DataError
from standoff.limits import TABLE_MAX_BYTES, clip, one_line, read_text_bounded

MISSILE_TYPES = ("SRBM", "MRBM", "IRBM", "ICBM", "SLBM", "SLV", "HGV", "unknown")
OUTCOMES = ("success", "failure", "unknown")
LEADERS = ("Kim Il Sung", "Kim Jong Il", "Kim Jong Un")
PROVOCATION_TYPES = ("missile", "nuclear", "other")
DIPLOMACY_KINDS = (
    "talks",
    "summit",
    "agreement",
    "collapse",
    "process",
    "implementation",
    "unilateral",
    "financial_measure",
    "statement",
)
SANCTION_KINDS = ("demand", "sanctions", "designations", "panel_renewal", "vetoed_draft")
PRECISIONS = ("day", "month", "year", "range")
LEADING_KINDS = (
    "summit",
    "talks",
    "exercise",
    "anniversary",
    "party_congress",
    "election",
    "moratorium",
)
LEADING_ACTIONS = (
    "scheduled",
    "rescheduled",
    "cancelled",
    "reinstated",
    "declared",
    "extended",
    "renounced",
    "calendar",
)

#: Ordinal measure categories of the UNSC regime: 0/blank = not addressed by the document,
#: 1 = partial (cap, exemption, "called for", designations), 2 = comprehensive ban.
MEASURES = (
    "arms_embargo",
    "wmd_missile_items",
    "luxury_goods",
    "asset_freeze_travel_ban",
    "cargo_inspection",
    "financial",
    "coal",
    "iron_ore",
    "metals_minerals",
    "seafood",
    "fishing_rights",
    "textiles",
    "food_agri_exports",
    "other_export_bans",
    "machinery_metals_imports",
    "labour",
    "joint_ventures",
    "aviation_fuel",
    "condensates_ngl",
    "refined_petroleum",
    "crude_oil",
    "vessels_maritime",
    "diplomatic_restrictions",
)


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # "str" | "date" | "int" | "float" | "bool"
    required: bool = False
    choices: tuple[str, ...] | None = None
    lo: float | None = None  # domain of an int or float column (inclusive)
    hi: float | None = None


def _c(name: str, kind: str = "str", required: bool = False, choices=None, lo=None, hi=None) -> Col:
    if kind in ("int", "float") and lo is None:  # default domain: exact in float64
        lo, hi = -(2**53), 2**53
    return Col(name, kind, required, choices, lo, hi)


SCHEMAS: dict[str, tuple[Col, ...]] = {
    "sources": (
        _c("id", required=True),
        _c("kind", required=True, choices=("github", "web", "general-knowledge", "derived")),
        _c("citation", required=True),
    ),
    "coverage": (
        _c("table", required=True),
        _c("start", "date", True),
        _c("end", "date", True),
        _c("note"),
        _c("sources", required=True),
    ),
    "leaders": (
        _c("leader", required=True, choices=LEADERS),
        _c("start", "date", True),
        _c("end", "date"),
        _c("sources", required=True),
    ),
    "launches": (
        _c("id", required=True),
        _c("date", "date", True),
        _c("date_precision", required=True, choices=("day", "month")),
        _c("time_utc"),
        _c("missile_id", required=True),
        _c("missile", required=True),
        _c("type", required=True, choices=MISSILE_TYPES),
        _c("facility_id"),
        _c("facility"),
        _c("facility_lat", "float", lo=-90, hi=90),
        _c("facility_lon", "float", lo=-180, hi=180),
        _c("landing"),
        _c("apogee_km", "float", lo=0, hi=1e6),
        _c("distance_km", "float", lo=0, hi=1e6),
        _c("outcome", required=True, choices=OUTCOMES),
        _c("leader", required=True, choices=LEADERS),
        _c("preliminary", "bool", True),
        _c("description"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "nuclear_tests": (
        _c("id", required=True),
        _c("test_no", "int", True, lo=1, hi=1000),
        _c("date", "date", True),
        _c("origin_time_utc"),
        _c("site"),
        _c("leader", required=True, choices=LEADERS),
        _c("usgs_mb", "float", lo=0, hi=10),
        _c("yield_kt", "float", lo=0, hi=1e6),
        _c("yield_kt_sd", "float", lo=0, hi=1e6),
        _c("yield_other_estimates"),
        _c("dprk_claim"),
        _c("verification"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "sanctions": (
        _c("id", required=True),
        _c("resolution", "int", lo=1, hi=100_000),
        _c("document", required=True),
        _c("date", "date", True),
        _c("date_verified", "bool", True),
        _c("adopted", "bool", True),
        _c("kind", required=True, choices=SANCTION_KINDS),
        _c("vote"),
        _c("vote_for", "int", lo=0, hi=15),
        _c("vote_against", "int", lo=0, hi=15),
        _c("vote_abstain", "int", lo=0, hi=15),
        _c("vetoed_by"),
        _c("chapter_vii"),
        _c("trigger"),
        _c("measures_added"),
        *(_c(m, "int", lo=0, hi=2) for m in MEASURES),  # 0/blank, 1 partial, 2 comprehensive
        _c("refined_petroleum_cap_bbl", "int", lo=0, hi=10**12),
        _c("crude_oil_cap_bbl", "int", lo=0, hi=10**12),
        _c("designated_individuals", "int", lo=0, hi=10**6),
        _c("designated_entities", "int", lo=0, hi=10**6),
        _c("coding_note"),
        _c("verification"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
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
    "provocations": (
        _c("id", required=True),
        _c("date", "date", True),
        _c("type", required=True, choices=PROVOCATION_TYPES),
        _c("event", required=True),
        _c("description"),
        _c("url"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    "events": (
        _c("id", required=True),
        _c("date_start", "date", True),
        _c("date_end", "date"),
        _c("date_precision", required=True, choices=PRECISIONS),
        _c("category", required=True),
        _c("event", required=True),
        _c("verification"),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
    # what was known in advance (see standoff.history.leading): one row per announcement,
    # rescheduling, cancellation or statement, dated by the day it became public
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
    # transparent keyword coding of each New Year address, known from 1 January
    "new_year_addresses": (
        _c("id", required=True),
        _c("year", "int", True),
        _c("date", "date", True),
        _c("text_chars", "int", True),
        _c("us_mentions", "int", True),
        _c("rok_mentions", "int", True),
        _c("conciliatory", "int", True),
        _c("hostile", "int", True),
        _c("nuclear", "int", True),
        _c("missile", "int", True),
        _c("tone", "float", True),
        _c("known_from", "date", True),
        _c("sources", required=True),
    ),
}

#: Tables a history directory must contain (``monthly`` is derived, never read).
BASE_TABLES = tuple(SCHEMAS)
#: Tables whose rows are dated events subject to the as-of cut (by ``known_from``).
DATED_TABLES = (
    "launches",
    "nuclear_tests",
    "sanctions",
    "diplomacy",
    "provocations",
    "events",
    "leading_info",
    "new_year_addresses",
)
#: Tables added after the first release: a user's ``--history`` directory may omit them
#: (they are then empty, and the leading covariates are all "nothing known in advance").
OPTIONAL_TABLES = ("leading_info", "new_year_addresses")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT_RE = re.compile(r"^-?\d+$")


def _fail(origin: str, line: int | None, col: str, expected: str, got: object) -> DataError:
    where = f"{origin}: line {line}, column '{col}'" if line else f"{origin}: column '{col}'"
    return DataError(f"{where}: expected {expected}, got {clip(str(got))}")


def _domain(c: Col) -> str:
    def f(v):
        return f"{int(v)}" if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"

    return f"[{f(c.lo)}, {f(c.hi)}]"


#: planned dates of ``leading_info`` (elections, anniversaries, agreed meetings) may lie far
#: ahead of today; every other date column keeps :func:`_date_range`
PLANNED_DATE_COLUMNS = frozenset({"planned_start", "planned_end"})
PLANNED_DATE_MAX = pd.Timestamp("2100-12-31")


def _date_range() -> tuple[pd.Timestamp, pd.Timestamp]:
    """Dates a history table may hold: 1900-01-01 to a year after today (**project choice**)."""
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    return pd.Timestamp("1900-01-01"), pd.Timestamp(today) + pd.Timedelta(days=366)


def parse_csv_table(name: str, path: Path, cols: tuple[Col, ...] | None = None) -> pd.DataFrame:
    """Read ``path`` as table ``name`` and validate it against ``cols`` (default: the
    table's schema in :data:`SCHEMAS`; a case's schemas come from its descriptor).

    Raises :class:`DataError` naming the file, the line and the column on the first problem.
    """
    import io

    origin = one_line(str(path), 200)
    if not Path(path).exists():
        raise DataError(f"{origin}: file not found (table '{name}' is required)")
    text = read_text_bounded(path, TABLE_MAX_BYTES, "history table")
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise DataError(
            one_line(f"{origin}: expected a CSV table with a header row ({msg[:200]})")
        ) from None
    return validate_frame(name, raw, origin, cols)


def validate_frame(
    name: str, raw: pd.DataFrame, origin: str, cols: tuple[Col, ...] | None = None
) -> pd.DataFrame:
    """Validate a frame of strings (as read from CSV) and convert it to typed columns."""
    cols = SCHEMAS[name] if cols is None else cols
    missing = [c.name for c in cols if c.name not in raw.columns]
    if missing:
        raise DataError(
            f"{origin}: missing column(s) {', '.join(repr(m) for m in missing)} "
            f"(table '{name}' needs: {', '.join(c.name for c in cols)})"
        )
    out = {}
    lines = np.arange(len(raw)) + 2  # header is line 1
    for c in cols:
        s = raw[c.name]
        present = s.notna() & (s.astype("string").str.strip() != "")
        if c.required and not present.all():
            i = int(np.flatnonzero(~present.to_numpy())[0])
            raise _fail(origin, lines[i], c.name, "a value (column is required)", "")
        vals = s.where(present, None)
        out[c.name] = _convert(vals, c, origin, lines)
    df = pd.DataFrame(out, index=range(len(raw)))
    if "id" in df.columns:
        dup = df["id"][df["id"].duplicated()]
        if len(dup):
            i = int(dup.index[0])
            raise _fail(origin, lines[i], "id", "a unique id", dup.iloc[0])
    return df


def _convert(vals: pd.Series, c: Col, origin: str, lines: np.ndarray) -> pd.Series:
    present = vals.notna().to_numpy()
    text = vals.astype("string").str.strip()
    if c.kind == "str":
        if c.choices is not None:
            bad = present & ~text.isin(c.choices).fillna(False).to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise _fail(
                    origin, lines[i], c.name, f"one of {', '.join(c.choices)}", text.iloc[i]
                )
        return text.astype(object).where(present, None)
    if c.kind == "date":
        ok = text.str.match(_DATE_RE.pattern).fillna(False).to_numpy()
        parsed = pd.to_datetime(text.where(present & ok), format="%Y-%m-%d", errors="coerce")
        bad = present & (~ok | parsed.isna().to_numpy())
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(origin, lines[i], c.name, "a date YYYY-MM-DD", text.iloc[i])
        lo, hi = _date_range()
        if c.name in PLANNED_DATE_COLUMNS:  # a plan or a fixed calendar date may lie years ahead
            hi = PLANNED_DATE_MAX
        bad = present & ~parsed.between(lo, hi).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(
                origin, lines[i], c.name, f"a date from {lo.date()} to {hi.date()}", text.iloc[i]
            )
        return parsed.astype("datetime64[ns]")
    if c.kind == "int":
        ok = text.str.match(_INT_RE.pattern).fillna(False).to_numpy()
        bad = present & ~ok
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(origin, lines[i], c.name, "an integer", text.iloc[i])
        ints = [
            int(t) if p and len(t) < 30 else (10**30 if p else None)
            for t, p in zip(text, present, strict=True)
        ]
        for i, v in enumerate(ints):
            if v is not None and not c.lo <= v <= c.hi:
                raise _fail(origin, lines[i], c.name, f"an integer in {_domain(c)}", text.iloc[i])
        return pd.array(ints, dtype="Int64")
    if c.kind == "float":
        num = pd.to_numeric(text.where(present), errors="coerce")
        bad = present & (num.isna().to_numpy() | ~np.isfinite(num.fillna(0).to_numpy(float)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(origin, lines[i], c.name, "a number", text.iloc[i])
        out = num.astype("float64")
        bad = present & ~out.between(c.lo, c.hi).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(origin, lines[i], c.name, f"a number in {_domain(c)}", text.iloc[i])
        return out
    if c.kind == "bool":
        low = text.str.lower()
        bad = present & ~low.isin(["true", "false"]).fillna(False).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(origin, lines[i], c.name, "true or false", text.iloc[i])
        return pd.array(
            [(t == "true") if p else None for t, p in zip(low, present, strict=True)],
            dtype="boolean",
        )
    raise AssertionError(c.kind)  # pragma: no cover - schema typo


def coerce_types(name: str, df: pd.DataFrame, cols: tuple[Col, ...] | None = None) -> pd.DataFrame:
    """Give a frame (e.g. read back from DuckDB) the canonical dtypes and column order."""
    out = {}
    for c in SCHEMAS[name] if cols is None else cols:
        s = df[c.name]
        if c.kind == "date":
            out[c.name] = pd.to_datetime(s).astype("datetime64[ns]")
        elif c.kind == "int":
            out[c.name] = (
                pd.array(s.astype("Float64").round(), dtype="Int64")
                if len(s)
                else pd.array([], "Int64")
            )
        elif c.kind == "float":
            out[c.name] = s.astype("float64")
        elif c.kind == "bool":
            out[c.name] = s.astype("boolean")
        else:
            out[c.name] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out).reset_index(drop=True)


def to_csv_text(name: str, df: pd.DataFrame, cols: tuple[Col, ...] | None = None) -> str:
    """Serialise a table deterministically (the rebuild test compares these bytes).

    ``cols``: the table's schema (default :data:`SCHEMAS`); a table without one (the derived
    ``monthly`` panel) is formatted by dtype."""
    out = pd.DataFrame(index=df.index)
    cols = SCHEMAS.get(name) if cols is None else cols
    for c in cols or ():
        out[c.name] = _fmt(df[c.name], c.kind)
    if cols is None:  # derived tables (monthly): format by dtype
        for col in df.columns:
            s = df[col]
            kind = (
                "date"
                if pd.api.types.is_datetime64_any_dtype(s)
                else "bool"
                if pd.api.types.is_bool_dtype(s)
                else "int"
                if pd.api.types.is_integer_dtype(s)
                else "float"
                if pd.api.types.is_float_dtype(s)
                else "str"
            )
            out[col] = _fmt(s, kind)
    return out.to_csv(index=False, lineterminator="\n")


def _fmt(s: pd.Series, kind: str) -> pd.Series:
    if kind == "date":
        return s.dt.strftime("%Y-%m-%d").where(s.notna(), "")
    if kind == "bool":
        return s.map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
    if kind == "int":
        return s.map(lambda v: "" if pd.isna(v) else str(int(v)))
    if kind == "float":
        return s.map(lambda v: "" if pd.isna(v) else repr(round(float(v), 6)))
    return s.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))


def split_ids(cell: object) -> list[str]:
    """Split a ``sources``/``participants`` cell ("G1; W-825") into ids."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    return [p.strip() for p in re.split(r"[;,]", str(cell)) if p.strip()]


def check_sources(tables: dict[str, pd.DataFrame], origin: str) -> None:
    """Every ``sources`` id in every table must resolve in the ``sources`` table."""
    known = set(tables["sources"]["id"])
    for name, df in tables.items():
        if name == "sources" or "sources" not in df.columns:
            continue
        for i, cell in enumerate(df["sources"]):
            unknown = [s for s in split_ids(cell) if s not in known]
            if unknown:
                raise DataError(
                    f"{origin}/{name}.csv: line {i + 2}, column 'sources': expected ids listed in "
                    f"sources.csv, got unknown {', '.join(repr(u) for u in unknown)}"
                )
