"""``Case``: a standoff's data plus its declarative description, and the one place where
the history machinery asks "which tables, which rules?".

A case lives in ``standoff/data/cases/<name>/case.yaml`` (:mod:`standoff.cases.spec`). It
names the directory of its built history tables and of its scenario files, and declares its
tables (schemas and as-of rules), coverage keys, monthly panel, targets, leading
information, summaries, timeline and model components. ``History.load(case=...)`` and every
``History`` method read their rules from here, so a case is added by adding data and a
descriptor, not code (docs/cases.md). The Korean case keeps its existing schema registry,
panel, summary and timeline code as *registered builders* (its descriptor names them).
"""

from __future__ import annotations

import csv
import io
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from standoff.cases import DEFAULT_CASE, case_names, cases_root, check_case_name
from standoff.cases import spec as S
from standoff.errors import DataError, UsageError
from standoff.history.schema import (
    Col,
    check_sources,
    coerce_types,
    parse_csv_table,
    to_csv_text,
    validate_frame,
)
from standoff.limits import TABLE_MAX_BYTES, clip, read_text_bounded


@lru_cache(maxsize=16)
def load_case(name: str = DEFAULT_CASE) -> Case:
    """The bundled case ``name``, its descriptor validated (see :class:`Case`)."""
    check_case_name(name)
    return Case(cases_root() / name / "case.yaml")


def list_cases() -> list[Case]:
    """Every bundled case, the default (``korea``) first."""
    return [load_case(n) for n in case_names()]


def _columns(t: S.TableSpec) -> tuple[Col, ...]:
    """The table's columns as schema columns (a numeric column's default domain is the
    integers exact in float64, as in :mod:`standoff.history.schema`)."""
    out = []
    for c in t.columns or ():
        lo, hi = c.min, c.max
        if c.type in ("int", "float"):
            lo = -(2**53) if lo is None else lo
            hi = 2**53 if hi is None else hi
        out.append(Col(c.name, c.type, c.required, c.choices, lo, hi))
    return tuple(out)


class Case:
    """One standoff: its descriptor (``spec``) and the rules the history reads from it."""

    def __init__(self, path: Path, spec: S.CaseSpec | None = None):
        self.path = Path(path)
        self.spec = spec if spec is not None else S.load_spec(self.path)
        if self.spec.name != self.path.parent.name:
            raise DataError(
                f"{self.path}: name: expected {self.path.parent.name!r} (the directory's name), "
                f"got {self.spec.name!r}"
            )
        self._check()

    def __repr__(self) -> str:
        return f"Case({self.name!r})"

    # ------------------------------------------------------------------ identity and places
    name = property(lambda self: self.spec.name)
    title = property(lambda self: self.spec.title)

    def _dir(self, rel: str, key: str) -> Path:
        p = (self.path.parent / rel).resolve()
        if not p.is_dir():
            raise DataError(f"{self.path}: {key}: expected a directory, got {rel!r}")
        return p

    @cached_property
    def history_dir(self) -> Path:
        """The directory of the bundled (built) tables."""
        return self._dir(self.spec.history, "history")

    @cached_property
    def scenarios_dir(self) -> Path:
        return self._dir(self.spec.scenarios, "scenarios")

    def default_db_path(self) -> Path:
        """The DuckDB store of this case's bundled tables (``history.duckdb`` for the
        default case, ``history-<name>.duckdb`` beside it for the others)."""
        from standoff.store.duckdb_store import default_db_path

        p = default_db_path()
        return p if self.name == DEFAULT_CASE else p.with_name(f"history-{self.name}.duckdb")

    # ------------------------------------------------------------------ tables
    @cached_property
    def schemas(self) -> dict[str, tuple[Col, ...]]:
        if self.spec.schemas == "korea":
            from standoff.history.schema import SCHEMAS

            return {n: SCHEMAS[n] for n in self.spec.tables}
        return {n: _columns(t) for n, t in self.spec.tables.items()}

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(self.spec.tables)

    def columns(self, table: str) -> tuple[str, ...]:
        return tuple(c.name for c in self.schemas[table])

    def rows_from(self, table: str) -> str | None:
        """The column whose date must be on or before a cut for a row to exist (None: the
        table is not cut by rows)."""
        t = self.spec.tables.get(table)
        if t is None or table == "coverage":
            return None
        if t.known_from is not None:
            return t.known_from
        return "known_from" if "known_from" in self.columns(table) else None

    @property
    def dated_tables(self) -> tuple[str, ...]:
        return tuple(n for n in self.table_names if self.rows_from(n) == "known_from")

    @property
    def dates(self) -> dict[str, str | None]:
        """The event-date column of each table (None where there is none)."""
        return {n: t.date for n, t in self.spec.tables.items()}

    def coerce(self, name: str, df: pd.DataFrame) -> pd.DataFrame:
        """Canonical dtypes and column order of a table read back from the store."""
        return coerce_types(name, df, self.schemas[name])

    def csv_text(self, name: str, df: pd.DataFrame) -> str:
        """Deterministic CSV text of a table (by its schema; the panel by dtype)."""
        return to_csv_text(name, df, None if name == "monthly" else self.schemas.get(name))

    def validate(self, name: str, raw: pd.DataFrame, origin: str) -> pd.DataFrame:
        return validate_frame(name, raw, origin, self.schemas[name])

    def read_texts(self, src: Path) -> dict[str, str]:
        """The text of every table file of a directory (bounded; the store's fingerprint)."""
        texts = {}
        for name in self.table_names:
            p = src / f"{name}.csv"
            if self.spec.tables[name].optional and not p.is_file():
                texts[name] = ""  # an older export: the table is empty
                continue
            if not p.is_file():
                need = ", ".join(t + ".csv" for t in self.table_names)
                raise DataError(f"{p}: file not found (a history directory needs {need})")
            texts[name] = read_text_bounded(p, TABLE_MAX_BYTES, "history table")
        return texts

    def parse_dir(self, src: Path) -> dict[str, pd.DataFrame]:
        """Parse and validate a directory of tables (schemas, consistency, source ids)."""
        tables = {}
        for name in self.table_names:
            p = src / f"{name}.csv"
            cols = self.schemas[name]
            if self.spec.tables[name].optional and not p.is_file():
                empty = pd.DataFrame({c.name: pd.Series(dtype=object) for c in cols})
                tables[name] = validate_frame(name, empty, str(p), cols)
            else:
                tables[name] = parse_csv_table(name, p, cols)
        self.check_consistency(tables, src)
        check_sources(tables, str(src))
        return tables

    def check_consistency(self, tables: dict[str, pd.DataFrame], src) -> None:
        """Coverage keys and spans, ``known_from`` after the event date, references."""
        cov = tables["coverage"]
        names, keys = cov["table"], tuple(self.spec.coverage.keys)
        if self.spec.coverage.spans == "one":
            dup = names[names.duplicated()]
            if len(dup):
                raise DataError(
                    f"{src}/coverage.csv: line {int(dup.index[0]) + 2}, column 'table': expected "
                    f"one row per table, got {dup.iloc[0]!r} twice"
                )
        unknown = names[~names.isin(keys)]
        if len(unknown):
            raise DataError(
                f"{src}/coverage.csv: line {int(unknown.index[0]) + 2}, column 'table': expected "
                f"one of {', '.join(keys)}, got {clip(unknown.iloc[0])}"
            )
        missing = [  # spans "one": exactly one row per key; "many": zero (not covered) or more
            k
            for k, t in self.spec.coverage.keys.items()
            if self.spec.coverage.spans == "one"
            and k not in set(names)
            and not (self.spec.tables[t].optional and tables[t].empty)
        ]
        if missing:
            raise DataError(
                f"{src}/coverage.csv: column 'table': expected a row for {', '.join(missing)}"
            )
        bad = cov[cov["end"] < cov["start"]]
        if len(bad):
            raise DataError(
                f"{src}/coverage.csv: row for '{bad['table'].iloc[0]}': expected end >= start"
            )
        for key, g in cov.sort_values("start", kind="mergesort").groupby("table", sort=False):
            if (g["start"].to_numpy()[1:] <= g["end"].to_numpy()[:-1]).any():
                raise DataError(
                    f"{src}/coverage.csv: rows for '{key}': expected spans that do not overlap"
                )
        for name, t in self.spec.tables.items():
            if t.date is None or "known_from" not in tables[name].columns:
                continue
            df = tables[name]
            early = df["known_from"] < df[t.date]
            if early.any():
                i = int(np.flatnonzero(early.to_numpy())[0])
                raise DataError(
                    f"{src}/{name}.csv: line {i + 2}, column 'known_from': expected a date on "
                    f"or after {t.date}"
                )
        for name, t in self.spec.tables.items():
            for col, ref in t.references.items():
                rt, rc = ref.split(".")
                unknown = set(tables[name][col].dropna()) - set(tables[rt][rc])
                if unknown:
                    raise DataError(
                        f"{src}/{name}.csv: column '{col}': {sorted(unknown)[0]!r} is not in "
                        f"{rt}.csv"
                    )

    # ------------------------------------------------------------------ as-of
    def cut(self, tables: dict[str, pd.DataFrame], cut: pd.Timestamp) -> dict[str, pd.DataFrame]:
        """The tables as known on ``cut`` (the rules in :mod:`standoff.history.core`): rows
        only from their ``known_from`` (or declared) date; interval ends after the cut
        blanked, with their notes; coverage cut at the cut."""
        out: dict[str, pd.DataFrame] = {}
        for name, df in tables.items():
            df = df.copy()
            col = self.rows_from(name)
            t = self.spec.tables.get(name)
            if name == "coverage":
                df = df[df["start"] <= cut].copy()
                df["end"] = df["end"].clip(upper=cut)
            elif col is not None:
                df = df[df[col] <= cut].copy()
                for end in t.interval_ends:
                    after = df[end] > cut
                    df.loc[after, end] = pd.NaT
                    for note in t.interval_notes:
                        df.loc[after, note] = None
            out[name] = df.reset_index(drop=True)
        return out

    # ------------------------------------------------------------------ panel and targets
    @property
    def panel_start(self) -> pd.Period:
        return pd.Period(self.spec.panel.start, freq="M")

    def build_panel(self, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """The monthly panel of ``tables`` (the full tables or an as-of view)."""
        if self.spec.panel.builder == "korea":
            from standoff.history.panel import build_monthly

            return build_monthly(tables)
        from standoff.cases.panel import build_panel

        return build_panel(self.spec.panel, tables, self.dates)

    @cached_property
    def panel_columns(self) -> tuple[str, ...]:
        """The panel's columns (after ``month``)."""
        if self.spec.panel.columns is None:  # a registered builder: its committed output
            with open(self.history_dir / "monthly.csv", encoding="utf-8") as f:
                return tuple(next(csv.reader(f))[1:])
        out: list[str] = []
        for c in self.spec.panel.columns:
            cols = getattr(c, "columns", None)
            if cols is not None and "{column}" in c.name:
                out += [c.name.replace("{column}", x) for x in cols]
            else:
                out.append(c.name)
        return tuple(out)

    @property
    def targets(self) -> tuple[S.TargetSpec, ...]:
        return self.spec.targets

    def target(self, name: str) -> S.TargetSpec:
        for t in self.spec.targets:
            if t.name == name:
                return t
        raise UsageError(
            f"target: unknown target {clip(name)} of the {self.name} case (expected one of "
            f"{', '.join(t.name for t in self.spec.targets)})"
        )

    def target_series(self, panel: pd.DataFrame, name: str) -> pd.Series:
        """A target's monthly values from a panel: 0/1 for a binary target (the column > 0),
        the count for a count target; missing where the target's coverage does not reach."""
        t = self.target(name)
        v = panel[t.column].astype("Float64")
        out = (v > 0).astype("Int64") if t.kind == "binary" else v.astype("Int64")
        return pd.Series(out.to_numpy(), index=panel["month"], name=name)

    @property
    def leading_columns(self) -> tuple[str, ...]:
        lead = self.spec.leading
        if lead is None:
            return ()
        if lead.builder == "korea":
            from standoff.history.leading import LEADING_COLUMNS

            return tuple(LEADING_COLUMNS)
        return lead.columns

    def leading_covariates(self, tables, months, as_of) -> pd.DataFrame:
        """The leading columns of ``months`` (past and future) as known at each month's
        information cut, nothing known after ``as_of``."""
        lead = self.spec.leading
        if lead is not None and lead.builder == "korea":
            from standoff.history.leading import leading_covariates

            return leading_covariates(tables, months, as_of)
        from standoff.cases.panel import leading

        cols = [c for c in self.spec.panel.columns or () if c.name in self.leading_columns]
        return leading(cols, tables, self.dates, months, as_of)

    # ------------------------------------------------------------------ summaries, timeline
    def summary(self, history, by: str | None = None) -> dict:
        if self.spec.summary.builder == "korea":
            from standoff.history import korea

            return korea.summary(history, by)
        from standoff.cases import views

        return views.summary(history, self, by)

    @property
    def timeline_kinds(self) -> dict[str, str]:
        """The timeline's kinds (tables) and their date columns."""
        if self.spec.timeline.builder == "korea":
            from standoff.history.korea import TIMELINE_KINDS

            return {k: self.dates[k] for k in TIMELINE_KINDS}
        return {k: v.date or self.dates[k] for k, v in self.spec.timeline.kinds.items()}

    @property
    def timeline_default(self) -> tuple[str, ...]:
        if self.spec.timeline.builder == "korea" and not self.spec.timeline.default:
            from standoff.history.korea import TIMELINE_DEFAULT

            return TIMELINE_DEFAULT
        return self.spec.timeline.default or tuple(self.timeline_kinds)

    def timeline_part(self, kind: str, df: pd.DataFrame) -> pd.DataFrame:
        if self.spec.timeline.builder == "korea":
            from standoff.history.korea import timeline_part

            return timeline_part(kind, df)
        from standoff.cases.views import timeline_part

        return timeline_part(self.spec.timeline.kinds[kind], df, self.timeline_kinds[kind])

    # ------------------------------------------------------------------ scenarios
    def scenarios(self) -> dict[str, Path]:
        """The case's scenario files by name."""
        return {p.stem: p for p in sorted(self.scenarios_dir.glob("*.yaml"))}

    def source_ids(self) -> set[str]:
        with open(self.history_dir / "sources.csv", encoding="utf-8", newline="") as f:
            return {r["id"] for r in csv.DictReader(f)}

    def load_scenario(self, name_or_path: str | Path):
        """A scenario of this case by name (``iran-2018``) or a file, its source ids checked
        against this case's sources table."""
        from standoff.scenario.spec import load_scenario

        return load_scenario(
            name_or_path, known_sources=self.source_ids(), bundled=self.scenarios()
        )

    # ------------------------------------------------------------------ overview
    def info(self, coverage: pd.DataFrame | None = None) -> dict:
        """What ``standoff cases`` shows: name, title, tables, coverage, targets, scenarios."""
        if coverage is None:
            text = read_text_bounded(self.history_dir / "coverage.csv", TABLE_MAX_BYTES, "coverage")
            coverage = pd.read_csv(io.StringIO(text), dtype=str)
        return {
            "name": self.name,
            "title": self.title,
            "description": self.spec.description.strip(),
            "tables": [n for n in self.table_names if n not in ("sources", "coverage")],
            "coverage": {
                "start": str(coverage["start"].min())[:10],
                "end": str(coverage["end"].max())[:10],
            },
            "panel": {"start": self.spec.panel.start, "columns": len(self.panel_columns)},
            "targets": [
                {"name": t.name, "kind": t.kind, "label": t.label, "column": t.column}
                for t in self.targets
            ],
            "scenarios": list(self.scenarios()),
            "components": [c.name for c in self.spec.model.components],
        }

    # ------------------------------------------------------------------ validation
    def _fail(self, key: str, msg: str) -> DataError:
        return DataError(f"{self.path}: {key}: {msg}")

    def _check(self) -> None:
        """One pass over the descriptor's cross-references: tables, columns, coverage keys,
        panel columns, targets, source ids, components, summaries, timeline, builds."""
        sp, tables = self.spec, self.spec.tables
        for name, t in tables.items():
            cols = set(self.columns(name))
            for key in ("date", "known_from"):
                v = getattr(t, key)
                if v is not None and v not in cols:
                    raise self._fail(f"tables.{name}.{key}", f"unknown column {v!r}")
            for key in ("interval_ends", "interval_notes"):
                for v in getattr(t, key):
                    if v not in cols:
                        raise self._fail(f"tables.{name}.{key}", f"unknown column {v!r}")
            for col, ref in t.references.items():
                rt, _, rc = ref.partition(".")
                if col not in cols:
                    raise self._fail(f"tables.{name}.references", f"unknown column {col!r}")
                if rt not in tables or rc not in self.columns(rt):
                    raise self._fail(
                        f"tables.{name}.references.{col}", f"expected table.column, got {ref!r}"
                    )
        for key, t in sp.coverage.keys.items():
            if t not in tables:
                raise self._fail(f"coverage.keys.{key}", f"unknown table {t!r}")
        panel = sp.panel.columns or ()
        for i, c in enumerate(panel):
            self._check_op(f"panel.columns[{i}]", c)
        names = self.panel_columns
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise self._fail("panel.columns", f"duplicate column {dup[0]!r}")
        sources = self.source_ids()
        for i, t in enumerate(sp.targets):
            where = f"targets[{i}]"
            if t.column not in names:
                raise self._fail(f"{where}.column", f"unknown panel column {t.column!r}")
            if t.coverage not in sp.coverage.keys:
                raise self._fail(f"{where}.coverage", f"unknown coverage key {t.coverage!r}")
            self._check_sources(f"{where}.sources", t.sources, sources)
        for i, c in enumerate(panel):
            for j, th in enumerate(getattr(c, "thresholds", ())):
                if th.source:
                    self._check_sources(
                        f"panel.columns[{i}].thresholds[{j}].source", (th.source,), sources
                    )
        targets = {t.name for t in sp.targets}
        for i, c in enumerate(sp.model.components):
            if c.target not in targets:
                raise self._fail(f"model.components[{i}].target", f"unknown target {c.target!r}")
            for v in c.covariates or ():
                if v not in names:
                    raise self._fail(
                        f"model.components[{i}].covariates", f"unknown panel column {v!r}"
                    )
        lead = sp.leading
        if lead is not None:
            if lead.table not in tables:
                raise self._fail("leading.table", f"unknown table {lead.table!r}")
            for v in lead.columns:
                if v not in names:
                    raise self._fail("leading.columns", f"unknown panel column {v!r}")
        for i, c in enumerate(sp.summary.counts):
            key = f"summary.counts[{i}]"
            self._check_table_cols(key, c.table, c.where)
            self._check_table_cols(key, c.table, {}, [self._date_of(key, c.table, c.date)])
            if c.coverage is not None and c.coverage not in sp.coverage.keys:
                raise self._fail(f"summary.counts[{i}].coverage", f"unknown key {c.coverage!r}")
        for i, c in enumerate(sp.summary.latest):
            if c.column not in names:
                raise self._fail(
                    f"summary.latest[{i}].column", f"unknown panel column {c.column!r}"
                )
        for kind, k in sp.timeline.kinds.items():
            key = f"timeline.kinds.{kind}"
            self._check_table_cols(key, kind, k.where, [self._date_of(key, kind, k.date)])
            for part in ("kind", "what"):
                for v in S._TEMPLATE.findall(getattr(k, part)):
                    if v not in self.columns(kind):
                        raise self._fail(f"timeline.kinds.{kind}.{part}", f"unknown column {v!r}")
        for name, t in tables.items():
            if t.build is not None:
                b, cols = t.build, set(self.columns(name))
                built = [d.column for d in b.dates] + [b.precision] + list(b.count_ids)
                for v in [*built, *b.sort, *(x for pair in b.ordered for x in pair)]:
                    if v is not None and v not in cols:
                        raise self._fail(f"tables.{name}.build", f"unknown column {v!r}")

    def _check_sources(self, key: str, ids, known: set[str]) -> None:
        for sid in ids:
            if sid not in known:
                raise self._fail(
                    key,
                    f"unknown source id {clip(sid)} (expected an id in {self.spec.history}/sources.csv)",
                )

    def _check_table_cols(self, key: str, table: str, where: dict, cols=()) -> None:
        """``table`` exists and has the columns of ``where`` and ``cols``."""
        if table not in self.spec.tables:
            raise self._fail(f"{key}.table", f"unknown table {table!r}")
        have = set(self.columns(table))
        for v in [*where, *cols]:
            if v not in have:
                raise self._fail(key, f"unknown column {v!r} of table {table!r}")

    def _date_of(self, key: str, table: str, date: str | None) -> str:
        t = self.spec.tables.get(table)
        d = date or (t.date if t is not None else None)
        if d is None:
            raise self._fail(f"{key}.date", f"table {table!r} has no date column: expected one")
        return d

    def _check_op(self, key: str, c) -> None:
        if c.coverage not in self.spec.coverage.keys:
            raise self._fail(f"{key}.coverage", f"unknown coverage key {c.coverage!r}")
        self._check_table_cols(key, c.table, c.where)
        cols: list[str] = []
        if c.op in ("count", "flag"):
            cols.append(self._date_of(key, c.table, c.date))
        if c.op == "spans":
            cols += [self._date_of(key, c.table, c.start), c.end]
        if c.op == "scheduled":
            cols += ["event_key", "known_from", "planned_start", "planned_end", "action"]
        value = getattr(c, "value", None)
        cols += [value] if value is not None else []
        cols += list(getattr(c, "columns", None) or ()) + list(getattr(c, "order", ()))
        cols += [t.value for t in getattr(c, "thresholds", ())]
        self._check_table_cols(key, c.table, {}, cols)
