"""``History``: the one door through which every model reads the record.

``History.load()`` opens the bundled tables (stored in DuckDB, see
:mod:`standoff.store.duckdb_store`) or a user's directory of tables of the same schema.
``History.as_of(D)`` returns a view in which nothing dated after *D* exists:

* rows are kept only if their ``known_from`` date is on or before *D* (a record dated to
  a month or a year is known only at the end of that period);
* interval ends after *D* are blanked (a process, an agreement in force or a financial
  measure whose end lies after *D* is, as of *D*, still open);
* the coverage of every table ends at *D* at the latest, and the monthly panel is
  recomputed from the cut tables, so it ends with the last month complete by *D*.

Models fitted or forecasting as of *D* must read history only through such a view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from standoff._dates import parse_cut
from standoff.errors import DataError, LookAheadError, UsageError
from standoff.history.panel import build_monthly
from standoff.history.sanctions import regime_at
from standoff.history.schema import (
    BASE_TABLES,
    DATED_TABLES,
    MISSILE_TYPES,
    OPTIONAL_TABLES,
    SCHEMAS,
    check_sources,
    parse_csv_table,
    to_csv_text,
    validate_frame,
)
from standoff.limits import TABLE_MAX_BYTES, clip, read_text_bounded

#: Columns holding the end of an interval, blanked when they fall after an as-of cut.
_INTERVAL_ENDS = {"diplomacy": ("date_end", "in_force_to"), "events": ("date_end",)}
_INTERVAL_NOTES = {"diplomacy": ("end_basis",)}
_DATE_COL = {
    "launches": "date",
    "nuclear_tests": "date",
    "sanctions": "date",
    "diplomacy": "date_start",
    "provocations": "date",
    "events": "date_start",
}
#: tables whose ``known_from`` may not precede their event date (``leading_info`` rows are known
#: *before* the planned date by design)
_KNOWN_NOT_BEFORE = {**_DATE_COL, "new_year_addresses": "date"}
SUMMARY_BY = ("year", "leader", "type")


def bundled_dir() -> Path:
    return Path(str(resources.files("standoff") / "data" / "history"))


@dataclass
class History:
    """An immutable view of the history tables, optionally cut at an as-of date."""

    tables: dict[str, pd.DataFrame]
    as_of_date: pd.Timestamp | None = None
    origin: str = "bundled"
    _monthly: pd.DataFrame | None = field(default=None, repr=False)
    #: id of the vintage the tables come from (None for a user's ``--history`` directory)
    vintage: str | None = None
    #: where the vintages live (``History.as_of(D, vintage=...)`` looks there)
    vintage_root: Path | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        history_dir: str | Path | None = None,
        db: str | Path | None = None,
        *,
        store: bool = True,
        vintage: str | None = None,
    ) -> History:
        """Open the history.

        Parameters
        ----------
        history_dir
            A directory of ``<table>.csv`` files in the export format (validated; a bad file
            raises :class:`~standoff.errors.DataError` naming the file, line and column).
            ``None`` uses the bundled, sourced tables.
        db
            DuckDB file to load the tables into. Defaults to the user data directory for
            the bundled tables, and to no file (in memory) for a ``history_dir``.
        store
            ``False`` skips DuckDB entirely (reads the CSV files directly).
        vintage
            Which vintage of the tables (:mod:`standoff.history.vintages`): an id, ``latest``
            (the default: the newest ``standoff history update``, else the bundled tables) or
            ``bundled``. Not with ``history_dir``.
        """
        from standoff.history.vintages import BUNDLED, resolve, vintages_root

        root = vintages_root(db)
        if history_dir is not None:
            if vintage is not None:
                raise UsageError("--vintage: not with --history (a directory is its own vintage)")
            src, origin, vid = Path(history_dir), str(history_dir), None
        else:
            v = resolve(root, vintage, full=False)
            src = v.tables_dir
            vid = v.id
            origin = "bundled" if v.id == BUNDLED else f"vintage {v.id}"
        out = cls._load(src, origin, history_dir, db, store)
        out.vintage, out.vintage_root = vid, root
        return out

    @classmethod
    def _load(cls, src: Path, origin: str, history_dir, db, store: bool) -> History:
        from standoff.store.duckdb_store import default_db_path, ensure_store, fingerprint

        if history_dir is not None and not src.is_dir():
            raise DataError(
                f"{src}: expected a directory of history tables (see `standoff history export`)"
            )
        texts = _read_texts(src)
        db_path = (
            Path(db) if db is not None else (default_db_path() if history_dir is None else None)
        )
        if store and db_path is not None:
            parsed: dict[str, pd.DataFrame] = {}

            def build() -> dict[str, pd.DataFrame]:
                parsed.update(_parse_dir(src))
                return {**parsed, "monthly": build_monthly(parsed)}

            try:
                stored = ensure_store(
                    db_path, fingerprint(texts), build, list(BASE_TABLES), owned=db is None
                )
            except DataError:
                if db is not None:
                    raise  # the user asked for this file: say why it cannot be used
                # default location unwritable or unusable: stay in memory
                return cls(parsed or _parse_dir(src), origin=origin)
            return cls(stored, origin=origin)
        return cls(_parse_dir(src), origin=origin)

    # ------------------------------------------------------------------ as-of
    def as_of(self, date: str | dt.date | pd.Timestamp, vintage: str | None = None) -> History:
        """A view in which nothing dated after ``date`` exists (see module docstring).

        ``vintage`` also cuts by *publication*: the tables are those of that vintage (an id,
        or ``"known"`` for the newest vintage obtained on or before ``date``), which must have
        been obtained on or before ``date`` (else :class:`LookAheadError`). This removes later
        revisions and later additions of past rows that the vintages record; it cannot undo
        revisions made before the oldest vintage (the bundled one).
        """
        cut = parse_cut(date, "as_of")
        self._check_plausible(cut)
        if vintage is not None:
            return self._as_of_vintage(cut, vintage)
        if self.as_of_date is not None and cut > self.as_of_date:
            raise LookAheadError(
                f"as_of: this history is already cut at {self.as_of_date.date()}; "
                f"cannot look ahead to {cut.date()}"
            )
        out: dict[str, pd.DataFrame] = {}
        for name, df in self.tables.items():
            df = df.copy()
            if name in DATED_TABLES:
                df = df[df["known_from"] <= cut].copy()
                for col in _INTERVAL_ENDS.get(name, ()):
                    after = df[col] > cut
                    df.loc[after, col] = pd.NaT
                    for note in _INTERVAL_NOTES.get(name, ()):
                        df.loc[after, note] = None
            elif name == "coverage":
                df = df[df["start"] <= cut].copy()
                df["end"] = df["end"].clip(upper=cut)
            elif name == "leaders":
                df = df[df["start"] <= cut].copy()
                df.loc[df["end"] > cut, "end"] = pd.NaT
            out[name] = df.reset_index(drop=True)
        return History(
            out,
            as_of_date=cut,
            origin=self.origin,
            vintage=self.vintage,
            vintage_root=self.vintage_root,
        )

    def _as_of_vintage(self, cut: pd.Timestamp, vintage: str) -> History:
        from standoff.history.vintages import latest_obtained_by, resolve, vintages_root

        if self.as_of_date is not None and cut > self.as_of_date:
            raise LookAheadError(
                f"as_of: this history is already cut at {self.as_of_date.date()}; "
                f"cannot look ahead to {cut.date()}"
            )
        root = self.vintage_root or vintages_root()
        v = latest_obtained_by(root, cut) if vintage == "known" else resolve(root, vintage)
        if pd.Timestamp(v.obtained) > cut:
            raise LookAheadError(
                f"vintage: {v.id} was obtained on {v.obtained}, after the cut {cut.date()} "
                "(use a vintage obtained by then, or vintage='known')"
            )
        base = History(
            _parse_dir(v.tables_dir), origin=f"vintage {v.id}", vintage=v.id, vintage_root=root
        )
        return base.as_of(cut)

    def _check_plausible(self, cut: pd.Timestamp) -> None:
        """An as-of date must lie in the record's range: not before its first month (the
        panel start, or the earliest coverage start if later) and not after today + 31 days."""
        from standoff.history.panel import PANEL_START

        starts = self.tables["coverage"]["start"].dropna()
        lo = PANEL_START.start_time
        if len(starts):
            lo = max(lo, pd.Timestamp(starts.min()))
        hi = pd.Timestamp(dt.datetime.now(dt.UTC).date()) + pd.Timedelta(days=31)
        if not lo <= cut <= hi:
            raise UsageError(
                f"as_of: expected a date from {lo.date()} (start of the record) to {hi.date()} "
                f"(today + 31 days), got {cut.date()}"
            )

    def _check_within(self, date: pd.Timestamp | None, field_name: str) -> None:
        if date is not None and self.as_of_date is not None and date > self.as_of_date:
            raise LookAheadError(
                f"{field_name}: {date.date()} is after this history's as-of cut "
                f"{self.as_of_date.date()}"
            )

    # ------------------------------------------------------------------ tables
    def table(self, name: str) -> pd.DataFrame:
        if name == "monthly":
            return self.monthly
        if name not in self.tables:
            raise UsageError(
                f"table: unknown table {name!r} (expected one of {', '.join((*BASE_TABLES, 'monthly'))})"
            )
        return self.tables[name].copy()

    @property
    def monthly(self) -> pd.DataFrame:
        if self._monthly is None:
            self._monthly = build_monthly(self.tables)
        return self._monthly.copy()

    launches = property(lambda self: self.table("launches"))
    nuclear_tests = property(lambda self: self.table("nuclear_tests"))
    sanctions = property(lambda self: self.table("sanctions"))
    diplomacy = property(lambda self: self.table("diplomacy"))
    provocations = property(lambda self: self.table("provocations"))
    events = property(lambda self: self.table("events"))
    sources = property(lambda self: self.table("sources"))
    coverage = property(lambda self: self.table("coverage"))
    leading_info = property(lambda self: self.table("leading_info"))
    new_year_addresses = property(lambda self: self.table("new_year_addresses"))

    def leading_covariates(self, months) -> pd.DataFrame:
        """Leading covariates of ``months`` (past and future) as known at this view's cut
        (:func:`standoff.history.leading.leading_covariates`)."""
        from standoff.history.leading import leading_covariates

        return leading_covariates(self, months, self.as_of_date)

    def coverage_end(self, table: str) -> pd.Timestamp | None:
        cov = self.tables["coverage"]
        row = cov[cov["table"] == table]
        return None if row.empty else pd.Timestamp(row["end"].iloc[0])

    @property
    def latest_date(self) -> pd.Timestamp:
        """The latest date any table covers (the as-of date of "now")."""
        return pd.Timestamp(self.tables["coverage"]["end"].max())

    def sanctions_regime(self, date: str | dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
        d = parse_cut(date, "date") if date is not None else (self.as_of_date or self.latest_date)
        self._check_within(d, "date")
        return regime_at(self.tables["sanctions"], d)

    # ------------------------------------------------------------------ SQL
    def sql_tables(self) -> dict[str, pd.DataFrame]:
        """The tables SQL sees: the base tables, ``monthly``, ``sanctions_regime`` (the regime
        in force at the cut, or at the latest date) and ``meta`` (``as_of``)."""
        as_of = self.as_of_date.date() if self.as_of_date is not None else None
        return {
            **self.tables,
            "monthly": self.monthly,
            "sanctions_regime": self.sanctions_regime(),
            "meta": pd.DataFrame({"as_of": pd.Series([as_of], dtype=object)}),
        }

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection over this (cut) view's tables (see ``sql_tables``).

        For your own, trusted SQL in Python. SQL from a user or a file goes through
        :meth:`query` (sandboxed: read-only, no external access, bounded time and memory).
        """
        con = duckdb.connect()
        for name, df in self.sql_tables().items():
            con.register(name, df)
        return con

    def query(
        self,
        sql: str,
        *,
        max_rows: int | None = None,
        seconds: float | None = None,
        memory_mb: int | None = None,
    ) -> pd.DataFrame:
        """Run one read-only SQL query (DuckDB dialect) against this view, sandboxed.

        The query runs on a separate in-memory copy with external access disabled (no
        files, no ``COPY``, no ``ATTACH``, no extensions), must be a single ``SELECT``-like
        statement, and is bounded in time, memory and rows (see
        :mod:`standoff.store.sandbox`). Anything else raises :class:`UsageError`.
        """
        from standoff.store import sandbox

        lim = sandbox.Limits(
            seconds=seconds or sandbox.TIME_LIMIT_S,
            memory_mb=memory_mb or sandbox.MEMORY_LIMIT_MB,
            max_rows=max_rows or sandbox.MAX_ROWS,
        )
        if not isinstance(sql, str) or not sql.strip().strip(";").strip():
            raise UsageError("query: expected a SQL SELECT statement, got an empty string")
        (res,) = sandbox.run_queries(self.sql_tables, [sql], lim)
        if res.error is not None:
            raise UsageError(f"query: {res.error}")
        if res.truncated:
            raise UsageError(
                f"query: the result has more than {lim.max_rows:,} rows (the limit); "
                "add a LIMIT or aggregate"
            )
        return res.frame

    # ------------------------------------------------------------------ summaries
    def summary(self, by: str | None = None) -> dict:
        """Counts an analyst reads first. ``by`` in ``year``, ``leader``, ``type`` or ``None``."""
        la = self.tables["launches"]
        base = {
            "as_of": None if self.as_of_date is None else str(self.as_of_date.date()),
            "history": self.origin,
            "unit": "missiles (CNS/NTI: one row per missile, not per launch event)",
        }
        if by is None:
            tables = {n: int(len(df)) for n, df in self.tables.items() if n in DATED_TABLES}
            cov = {
                r["table"]: {"start": str(r["start"].date()), "end": str(r["end"].date())}
                for _, r in self.tables["coverage"].iterrows()
            }
            sa = self.tables["sanctions"]
            adopted = sa["adopted"].fillna(False).astype(bool)
            return {
                **base,
                "missiles": int(len(la)),
                "icbm": int((la["type"] == "ICBM").sum()),
                "nuclear_tests": int(len(self.tables["nuclear_tests"])),
                "resolutions_adopted": int((adopted & (sa["kind"] != "panel_renewal")).sum()),
                "vetoed_drafts": int((sa["kind"] == "vetoed_draft").sum()),
                "summits": int((self.tables["diplomacy"]["kind"] == "summit").sum()),
                "agreements": int((self.tables["diplomacy"]["kind"] == "agreement").sum()),
                "rows": tables,
                "coverage": cov,
            }
        if by not in SUMMARY_BY:
            raise UsageError(f"--by: expected one of {', '.join(SUMMARY_BY)}, got {by!r}")
        nt = self.tables["nuclear_tests"]
        if by == "leader":
            key = la["leader"]
            keys = list(self.tables["leaders"].sort_values("start")["leader"])
            nt_key = nt["leader"]
        elif by == "year":
            key = la["date"].dt.year
            end = (self.as_of_date or self.latest_date).year
            keys = list(range(1984, end + 1))
            nt_key = nt["date"].dt.year
        else:
            key = la["type"]
            keys = list(MISSILE_TYPES)
            nt_key = None
        missiles = la.groupby(key).size().reindex(keys, fill_value=0)
        icbm = la[la["type"] == "ICBM"].groupby(key).size().reindex(keys, fill_value=0)
        failed = la[la["outcome"] == "failure"].groupby(key).size().reindex(keys, fill_value=0)
        rows = []
        for k in keys:
            row = {by: k if by != "year" else int(k), "missiles": int(missiles[k])}
            if by != "type":
                row["icbm"] = int(icbm[k])
                row["nuclear_tests"] = int((nt_key == k).sum())
            row["failures"] = int(failed[k])
            rows.append(row)
        if by == "year":
            cov_end = self.coverage_end("launches")
            for row in rows:
                if cov_end is not None and row["year"] > cov_end.year:
                    row["missiles"] = None  # year not covered by the CNS data
                elif cov_end is not None and row["year"] == cov_end.year and cov_end.month < 12:
                    row["partial_to"] = str(cov_end.date())
        return {
            **base,
            "by": by,
            "missiles": {str(r[by]): r["missiles"] for r in rows},
            "total": int(len(la)),
            "rows": rows,
        }

    def timeline(
        self,
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
        kinds: tuple[str, ...] = ("launches", "nuclear_tests", "sanctions", "diplomacy", "events"),
    ) -> pd.DataFrame:
        """One chronological table of what happened between ``start`` and ``end``.

        Launch salvos are grouped per day ("3 x Hwasong-11A (SRBM)").
        """
        lo = parse_cut(start, "--from") if start is not None else pd.Timestamp("1900-01-01")
        hi = parse_cut(end, "--to") if end is not None else (self.as_of_date or self.latest_date)
        if hi < lo:
            raise UsageError(f"--to: {hi.date()} is before --from {lo.date()}")
        self._check_within(hi if end is not None else None, "--to")
        unknown = [k for k in kinds if k not in _DATE_COL]
        if unknown:
            raise UsageError(
                f"--kinds: unknown {', '.join(unknown)} (expected {', '.join(_DATE_COL)})"
            )
        parts = []
        for kind in kinds:
            df = self.tables[kind]
            col = _DATE_COL[kind]
            df = df[(df[col] >= lo) & (df[col] <= hi)]
            if df.empty:
                continue
            if kind == "launches":
                g = df.groupby(["date", "missile", "type"], sort=False)
                agg = g.agg(n=("id", "size"), sources=("sources", "first")).reset_index()
                parts.append(
                    pd.DataFrame(
                        {
                            "date": agg["date"],
                            "kind": "launch",
                            "what": agg["n"].astype(str)
                            + " x "
                            + agg["missile"]
                            + " ("
                            + agg["type"]
                            + ")",
                            "sources": agg["sources"],
                        }
                    )
                )
            elif kind == "nuclear_tests":
                parts.append(
                    pd.DataFrame(
                        {
                            "date": df["date"],
                            "kind": "nuclear test",
                            "what": "Nuclear test #"
                            + df["test_no"].astype(str)
                            + " (mb "
                            + df["usgs_mb"].astype(str)
                            + ", ~"
                            + df["yield_kt"].astype(str)
                            + " kt)",
                            "sources": df["sources"],
                        }
                    )
                )
            elif kind == "sanctions":
                label = np.where(df["adopted"].fillna(False).astype(bool), "UNSC", "UNSC (failed)")
                parts.append(
                    pd.DataFrame(
                        {
                            "date": df["date"],
                            "kind": label,
                            "what": df["document"] + ": " + df["measures_added"].fillna(""),
                            "sources": df["sources"],
                        }
                    )
                )
            elif kind == "diplomacy":
                parts.append(
                    pd.DataFrame(
                        {
                            "date": df["date_start"],
                            "kind": df["kind"],
                            "what": df["event"] + " -- " + df["outcome"].fillna(""),
                            "sources": df["sources"],
                        }
                    )
                )
            elif kind == "provocations":
                parts.append(
                    pd.DataFrame(
                        {
                            "date": df["date"],
                            "kind": "provocation (" + df["type"] + ")",
                            "what": df["event"],
                            "sources": df["sources"],
                        }
                    )
                )
            else:
                parts.append(
                    pd.DataFrame(
                        {
                            "date": df["date_start"],
                            "kind": df["category"],
                            "what": df["event"],
                            "sources": df["sources"],
                        }
                    )
                )
        if not parts:
            return pd.DataFrame(columns=["date", "kind", "what", "sources"])
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["date", "kind"], kind="mergesort").reset_index(drop=True)

    # ------------------------------------------------------------------ export
    def export(self, out_dir: str | Path) -> list[Path]:
        """Write the tables in the ``--history DIR`` format (plus the derived ``monthly.csv``).

        Files are rendered in memory first and each is written to a temporary name, then
        renamed, so a failure leaves no half-written table.
        """
        from standoff.history.build import write_tables

        texts = {n: to_csv_text(n, df) for n, df in self.tables.items()}
        texts["monthly"] = to_csv_text("monthly", self.monthly)
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out}: expected a directory to export into, found a file")
        try:
            return write_tables(texts, out)
        except OSError as exc:
            raise UsageError(f"{out}: cannot write ({exc.strerror})") from None


def _read_texts(src: Path) -> dict[str, str]:
    texts = {}
    for name in BASE_TABLES:
        p = src / f"{name}.csv"
        if name in OPTIONAL_TABLES and not p.is_file():
            texts[name] = ""  # an older export: the table is empty (see schema.OPTIONAL_TABLES)
            continue
        if not p.is_file():
            raise DataError(
                f"{p}: file not found (a history directory needs {', '.join(t + '.csv' for t in BASE_TABLES)})"
            )
        texts[name] = read_text_bounded(p, TABLE_MAX_BYTES, "history table")
    return texts


def _parse_dir(src: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in BASE_TABLES:
        p = src / f"{name}.csv"
        if name in OPTIONAL_TABLES and not p.is_file():
            empty = pd.DataFrame({c.name: pd.Series(dtype=object) for c in SCHEMAS[name]})
            tables[name] = validate_frame(name, empty, str(p))
        else:
            tables[name] = parse_csv_table(name, p)
    _check_consistency(tables, src)
    check_sources(tables, str(src))
    return tables


def _check_consistency(tables: dict[str, pd.DataFrame], src: Path) -> None:
    names = tables["coverage"]["table"]
    dup = names[names.duplicated()]
    if len(dup):
        raise DataError(
            f"{src}/coverage.csv: line {int(dup.index[0]) + 2}, column 'table': expected one row "
            f"per table, got {dup.iloc[0]!r} twice"
        )
    unknown = names[~names.isin(DATED_TABLES)]
    if len(unknown):
        raise DataError(
            f"{src}/coverage.csv: line {int(unknown.index[0]) + 2}, column 'table': expected one "
            f"of {', '.join(DATED_TABLES)}, got {clip(unknown.iloc[0])}"
        )
    cov = set(names)
    missing = [
        t for t in DATED_TABLES if t not in cov and not (t in OPTIONAL_TABLES and tables[t].empty)
    ]
    if missing:
        raise DataError(
            f"{src}/coverage.csv: column 'table': expected a row for {', '.join(missing)}"
        )
    bad = tables["coverage"][tables["coverage"]["end"] < tables["coverage"]["start"]]
    if len(bad):
        raise DataError(
            f"{src}/coverage.csv: row for '{bad['table'].iloc[0]}': expected end >= start"
        )
    for name, col in _KNOWN_NOT_BEFORE.items():
        df = tables[name]
        early = df["known_from"] < df[col]
        if early.any():
            i = int(np.flatnonzero(early.to_numpy())[0])
            raise DataError(
                f"{src}/{name}.csv: line {i + 2}, column 'known_from': expected a date on or after {col}"
            )
    leaders = set(tables["leaders"]["leader"])
    for name in ("launches", "nuclear_tests"):
        unknown = set(tables[name]["leader"]) - leaders
        if unknown:
            raise DataError(
                f"{src}/{name}.csv: column 'leader': {sorted(unknown)[0]!r} is not in leaders.csv"
            )
