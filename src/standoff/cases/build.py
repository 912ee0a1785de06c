"""Deterministic build of a case's tables from its curated CSVs (``tables.<name>.build``).

Input: one hand-built, sourced CSV per table in the case's curated directory
(``build.curated`` in its ``case.yaml``, a path in the repository). Output: the tables in the
case's schemas plus the derived monthly panel, byte-identical on every rebuild
(``scripts/build_case_iran.py --check``). The Korean case has its own build
(:mod:`standoff.history.build`, ``make data``).

The conventions are the Korean ones (``data/README.md``):

* a curated date may be partial (``2012``, ``2012-05``, ``2012-05-23``, ``2025-06-13 to
  2025-06-24``; :func:`standoff._dates.parse_partial`); a built date column takes the start
  or the end of its period;
* ``known_from`` is the end of the (first component of the) first date's period: a row dated
  to a month is known at the month's end (conservative); a curated ``known_from`` may only
  make it later (a source shows the fact became public later), never earlier;
* ``sources`` ids resolve in the sources table; a source cited by no row is an error; the
  sources table records which tables cite each source (``build.cite_column``);
* the coverage keys, spans and the other consistency rules are the ones
  ``History.load`` checks (:meth:`standoff.cases.Case.check_consistency`).

Errors name the curated file, the row id or line, and the column (one line).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from standoff._dates import PartialDate, parse_partial
from standoff.errors import DataError
from standoff.history.schema import check_sources, split_ids


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: missing curated table")
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _given(v: object) -> bool:
    return not (v is None or (isinstance(v, float) and np.isnan(v)))


def _partial(text: str, where: str) -> PartialDate:
    try:
        return parse_partial(text)
    except ValueError:
        raise DataError(f"{where}: expected a date YYYY[-MM[-DD]] [to ...], got {text!r}") from None


def _build_table(case, name: str, raw: pd.DataFrame, origin: str) -> pd.DataFrame:
    """One table from its curated rows (in curated order; sorted by the caller)."""
    b = case.spec.tables[name].build
    rows = raw.copy()
    ids = raw["id"].tolist() if "id" in raw.columns else [str(i + 2) for i in range(len(raw))]
    parsed: dict[str, list[PartialDate | None]] = {}
    own: dict[str, list[bool]] = {}
    for d in b.dates:
        src = raw[d.source or d.column]
        fb = raw[d.fallback] if d.fallback else pd.Series([None] * len(raw), index=raw.index)
        own[d.column] = [_given(v) for v in src]
        vals = []
        for rid, text, alt in zip(ids, src, fb, strict=True):
            text = text if _given(text) else alt
            vals.append(_partial(text, f"{origin}: {rid}") if _given(text) else None)
        parsed[d.column] = vals
        take = "start" if d.take == "start" else "end"
        rows[d.column] = [None if p is None else getattr(p, take).isoformat() for p in vals]
    first = b.dates[0].column if b.dates else None
    for d in b.dates[1:]:
        for rid, p0, has in zip(ids, parsed[first], own[d.column], strict=True):
            if p0 is None and has:
                raise DataError(f"{origin}: {rid}: {d.column} without {first}")
    if b.precision is not None and first is not None:
        later = parsed.get(b.range_from) if b.range_from else None
        prec = []
        for i, s in enumerate(parsed[first]):
            e = later[i] if later is not None else None
            if s is None:
                prec.append(None)
            elif e is None or (
                b.range_if == "other_period" and (e.start, e.end) == (s.start, s.end)
            ):
                prec.append(s.precision)
            else:
                prec.append("range")
        rows[b.precision] = prec
    if b.known_from and first is not None:
        rows["known_from"] = _known_from(raw, ids, b.dates[0], origin)
    for col, src in b.count_ids.items():
        rows[col] = raw[src].map(lambda p: str(len(split_ids(p))))
    cols = case.columns(name)
    rows = rows.reindex(columns=cols).map(lambda v: v if _given(v) else None).astype(object)
    out = case.validate(name, rows, origin)
    for a, z in b.ordered:
        bad = (out[z] < out[a]).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            raise DataError(f"{origin}: {ids[int(np.flatnonzero(bad)[0])]}: {z} before {a}")
    return out


def _known_from(raw: pd.DataFrame, ids: list, d, origin: str) -> list[str]:
    """End of the first date's first component; a curated value may only be later."""
    src = raw[d.source or d.column]
    default = [parse_partial(str(t).split(" to ", 1)[0]).end if _given(t) else None for t in src]
    explicit = raw["known_from"] if "known_from" in raw.columns else [None] * len(raw)
    out = []
    for rid, dflt, e in zip(ids, default, explicit, strict=True):
        if _given(e) and dflt is not None and pd.Timestamp(e) < pd.Timestamp(dflt):
            raise DataError(
                f"{origin}: {rid}: known_from {e} precedes the conservative default {dflt} "
                "(an explicit known_from may only be later)"
            )
        out.append(e if _given(e) else (None if dflt is None else dflt.isoformat()))
    return out


def build_tables(case, curated: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of ``case`` from the curated directory. Pure and deterministic."""
    curated = Path(curated)
    if case.spec.build is None:
        raise DataError(f"{case.path}: build: the {case.name} case declares no build")
    tables: dict[str, pd.DataFrame] = {}
    cite = case.spec.build.cite_column
    for name, t in case.spec.tables.items():
        path = curated / f"{name}.csv"
        raw = _read(path)
        if name == "sources" and cite:
            continue  # built last: it records who cites each source
        tables[name] = (
            _build_table(case, name, raw, str(path))
            if t.build
            else case.validate(name, raw, str(path))
        )
    if cite:
        raw = _read(curated / "sources.csv")
        cited: dict[str, list[str]] = {}
        for name, df in tables.items():
            for cell in df["sources"] if "sources" in df.columns else ():
                for sid in split_ids(cell):
                    if name not in cited.setdefault(sid, []):
                        cited[sid].append(name)
        raw[cite] = raw["id"].map(lambda i: "; ".join(cited.get(i, [])) or None)
        tables = {"sources": case.validate("sources", raw, str(curated / "sources.csv")), **tables}
        check_sources(tables, str(curated))
        unused = sorted(set(tables["sources"]["id"]) - set(cited))
        if unused:
            raise DataError(
                f"{curated / 'sources.csv'}: source(s) cited by no row: {', '.join(unused)}"
            )
    tables = {n: tables[n] for n in case.table_names}
    check_sources(tables, str(curated))
    case.check_consistency(tables, curated)
    for name, t in case.spec.tables.items():
        if t.build is not None:
            df = tables[name].sort_values(list(t.build.sort), kind="mergesort")
            tables[name] = df.reset_index(drop=True)
    return tables


def render_tables(case, tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """CSV text of every table and of the derived monthly panel."""
    texts = {name: case.csv_text(name, df) for name, df in tables.items()}
    texts["monthly"] = case.csv_text("monthly", case.build_panel(tables))
    return texts


def stale(texts: dict[str, str], out: Path) -> list[str]:
    """Tables whose committed file differs from ``texts``, and files that are not built."""
    bad = [
        n
        for n, t in texts.items()
        if not (out / f"{n}.csv").exists() or (out / f"{n}.csv").read_text(encoding="utf-8") != t
    ]
    extra = sorted(p.stem for p in out.glob("*.csv") if p.stem not in texts) if out.exists() else []
    return bad + [f"{e} (not built)" for e in extra]


def main(case, curated: Path, out: Path, argv: list[str]) -> int:
    """``build`` (write the tables) or ``--check`` (exit 1 if the committed tables are stale);
    exit 2 with one line on a bad input, nothing written."""
    from standoff.history.build import write_tables

    try:
        texts = render_tables(case, build_tables(case, curated))
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if "--check" in argv:
        bad = stale(texts, out)
        if bad:
            print("stale tables: " + ", ".join(bad))
            return 1
        print(f"{len(texts)} {case.name} tables up to date")
        return 0
    for p in write_tables(texts, out):
        print(f"wrote {p}")
    return 0
