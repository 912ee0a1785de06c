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

The tables, their schemas and these rules belong to a **case** (:mod:`standoff.cases`):
``History.load(case="iran")`` opens another standoff's tables with the same machinery;
the default case is ``korea``. Which columns are interval ends, which date keeps a row, the
coverage keys, the panel, the summary and the timeline are declared in the case's
``case.yaml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from standoff._dates import parse_cut
from standoff.errors import DataError, LookAheadError, UsageError
from standoff.history.sanctions import regime_at

if TYPE_CHECKING:
    from standoff.cases import Case


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
    #: the case these tables belong to (default: ``korea``)
    case: Case | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.case is None:
            from standoff.cases import load_case

            self.case = load_case()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        history_dir: str | Path | None = None,
        db: str | Path | None = None,
        *,
        store: bool = True,
        vintage: str | None = None,
        case: str | Case = "korea",
    ) -> History:
        """Open the history of a case.

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
            ``bundled``. Not with ``history_dir``. Only the Korean case has vintages.
        case
            The case (a name from ``standoff cases``, or a :class:`~standoff.cases.Case`):
            its bundled tables, or ``history_dir`` validated against its schemas.
        """
        from standoff.cases import load_case
        from standoff.history.vintages import BUNDLED, resolve, vintages_root

        c = load_case(case) if isinstance(case, str) else case
        root = vintages_root(db)
        if not c.spec.vintages:
            if vintage not in (None, BUNDLED):
                raise UsageError(
                    f"--vintage: the {c.name} case has no vintages (only its bundled tables)"
                )
            src = Path(history_dir) if history_dir is not None else c.history_dir
            origin = str(history_dir) if history_dir is not None else "bundled"
            return cls._load(src, origin, history_dir, db, store, c)
        if history_dir is not None:
            if vintage is not None:
                raise UsageError("--vintage: not with --history (a directory is its own vintage)")
            src, origin, vid = Path(history_dir), str(history_dir), None
        else:
            v = resolve(root, vintage, full=False)
            src = v.tables_dir
            vid = v.id
            origin = "bundled" if v.id == BUNDLED else f"vintage {v.id}"
        out = cls._load(src, origin, history_dir, db, store, c)
        out.vintage, out.vintage_root = vid, root
        return out

    @classmethod
    def _load(cls, src: Path, origin: str, history_dir, db, store: bool, case: Case) -> History:
        from standoff.store.duckdb_store import ensure_store, fingerprint

        if history_dir is not None and not src.is_dir():
            raise DataError(
                f"{src}: expected a directory of history tables (see `standoff history export`)"
            )
        texts = case.read_texts(src)
        db_path = (
            Path(db)
            if db is not None
            else (case.default_db_path() if history_dir is None else None)
        )
        if store and db_path is not None:
            parsed: dict[str, pd.DataFrame] = {}

            def build() -> dict[str, pd.DataFrame]:
                parsed.update(case.parse_dir(src))
                return {**parsed, "monthly": case.build_panel(parsed)}

            try:
                stored = ensure_store(
                    db_path,
                    fingerprint(texts),
                    build,
                    list(case.table_names),
                    owned=db is None,
                    coerce=case.coerce,
                )
            except DataError:
                if db is not None:
                    raise  # the user asked for this file: say why it cannot be used
                # default location unwritable or unusable: stay in memory
                return cls(parsed or case.parse_dir(src), origin=origin, case=case)
            return cls(stored, origin=origin, case=case)
        return cls(case.parse_dir(src), origin=origin, case=case)

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
        return History(
            self.case.cut(self.tables, cut),
            as_of_date=cut,
            origin=self.origin,
            vintage=self.vintage,
            vintage_root=self.vintage_root,
            case=self.case,
        )

    def _as_of_vintage(self, cut: pd.Timestamp, vintage: str) -> History:
        from standoff.history.vintages import latest_obtained_by, resolve, vintages_root

        if not self.case.spec.vintages:
            raise UsageError(f"vintage: the {self.case.name} case has no vintages")
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
            self.case.parse_dir(v.tables_dir),
            origin=f"vintage {v.id}",
            vintage=v.id,
            vintage_root=root,
            case=self.case,
        )
        return base.as_of(cut)

    def _check_plausible(self, cut: pd.Timestamp) -> None:
        """An as-of date must lie in the record's range: not before its first month (the
        panel start, or the earliest coverage start if later) and not after today + 31 days."""
        starts = self.tables["coverage"]["start"].dropna()
        lo = self.case.panel_start.start_time
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
            names = ", ".join((*self.case.table_names, "monthly"))
            raise UsageError(
                f"table: unknown table {name!r} of the {self.case.name} case (expected one of {names})"
            )
        return self.tables[name].copy()

    @property
    def monthly(self) -> pd.DataFrame:
        if self._monthly is None:
            self._monthly = self.case.build_panel(self.tables)
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
        (:func:`standoff.history.leading.leading_covariates` for Korea; the case's declared
        leading columns otherwise)."""
        if self.case.spec.leading is not None and self.case.spec.leading.builder == "korea":
            from standoff.history.leading import leading_covariates

            return leading_covariates(self, months, self.as_of_date)
        return self.case.leading_covariates(self.tables, months, self.as_of_date)

    def coverage_end(self, table: str) -> pd.Timestamp | None:
        cov = self.tables["coverage"]
        row = cov[cov["table"] == table]
        return None if row.empty else pd.Timestamp(row["end"].max())

    @property
    def latest_date(self) -> pd.Timestamp:
        """The latest date any table covers (the as-of date of "now")."""
        return pd.Timestamp(self.tables["coverage"]["end"].max())

    def sanctions_regime(self, date: str | dt.date | pd.Timestamp | None = None) -> pd.DataFrame:
        if "sanctions_regime" not in self.case.spec.derived_tables:
            raise UsageError(f"sanctions_regime: not a table of the {self.case.name} case")
        d = parse_cut(date, "date") if date is not None else (self.as_of_date or self.latest_date)
        self._check_within(d, "date")
        return regime_at(self.tables["sanctions"], d)

    # ------------------------------------------------------------------ SQL
    def sql_tables(self) -> dict[str, pd.DataFrame]:
        """The tables SQL sees: the base tables, ``monthly``, the case's derived tables
        (Korea: ``sanctions_regime``, the regime in force at the cut, or at the latest date)
        and ``meta`` (``as_of``, ``case``)."""
        as_of = self.as_of_date.date() if self.as_of_date is not None else None
        derived = {"sanctions_regime": self.sanctions_regime}
        return {
            **self.tables,
            "monthly": self.monthly,
            **{n: derived[n]() for n in self.case.spec.derived_tables},
            "meta": pd.DataFrame(
                {"as_of": pd.Series([as_of], dtype=object), "case": [self.case.name]}
            ),
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
        """Counts an analyst reads first, as the case declares them (Korea: ``by`` in
        ``year``, ``leader``, ``type`` or ``None``)."""
        return self.case.summary(self, by)

    def timeline(
        self,
        start: str | dt.date | None = None,
        end: str | dt.date | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> pd.DataFrame:
        """One chronological table of what happened between ``start`` and ``end``; ``kinds``
        are tables (default: the case's; Korea groups launch salvos per day, "3 x Hwasong-11A
        (SRBM)")."""
        lo = parse_cut(start, "--from") if start is not None else pd.Timestamp("1900-01-01")
        hi = parse_cut(end, "--to") if end is not None else (self.as_of_date or self.latest_date)
        if hi < lo:
            raise UsageError(f"--to: {hi.date()} is before --from {lo.date()}")
        self._check_within(hi if end is not None else None, "--to")
        known = self.case.timeline_kinds
        kinds = self.case.timeline_default if kinds is None else kinds
        unknown = [k for k in kinds if k not in known]
        if unknown:
            raise UsageError(f"--kinds: unknown {', '.join(unknown)} (expected {', '.join(known)})")
        parts = []
        for kind in kinds:
            df = self.tables[kind]
            col = known[kind]
            df = df[(df[col] >= lo) & (df[col] <= hi)]
            if not df.empty:
                parts.append(self.case.timeline_part(kind, df))
        parts = [p for p in parts if not p.empty]
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

        texts = {n: self.case.csv_text(n, df) for n, df in self.tables.items()}
        texts["monthly"] = self.case.csv_text("monthly", self.monthly)
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out}: expected a directory to export into, found a file")
        try:
            return write_tables(texts, out)
        except OSError as exc:
            raise UsageError(f"{out}: cannot write ({exc.strerror})") from None


def _read_texts(src: Path) -> dict[str, str]:
    """The Korean case's table texts of a directory (:meth:`standoff.cases.Case.read_texts`)."""
    from standoff.cases import load_case

    return load_case().read_texts(src)


def _parse_dir(src: Path) -> dict[str, pd.DataFrame]:
    """The Korean case's tables of a directory, validated (:meth:`standoff.cases.Case.parse_dir`)."""
    from standoff.cases import load_case

    return load_case().parse_dir(src)
