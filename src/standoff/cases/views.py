"""Declared summaries and timelines of a case (``summary`` and ``timeline`` in its
``case.yaml``): counts of rows, the latest values of panel columns, per-year breakdowns, and
one chronological table of events rendered from ``{column}`` templates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from standoff.cases import spec as S
from standoff.cases.panel import select
from standoff.errors import UsageError
from standoff.labels import MISSING


def _text(v: object) -> str:
    """A cell as words: missing as "–", whole numbers without a decimal point, dates ISO."""
    if v is None or v is pd.NA or v is pd.NaT:
        return MISSING
    if isinstance(v, float | np.floating):
        return MISSING if math.isnan(v) else (f"{int(v)}" if float(v).is_integer() else f"{v:g}")
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    return str(v)


def render(template: str, df: pd.DataFrame) -> pd.Series:
    """``template`` with each ``{column}`` replaced by the row's value (nothing else is
    interpreted)."""
    out = pd.Series("", index=df.index, dtype=object)
    pos = 0
    for m in S._TEMPLATE.finditer(template):
        out = out + template[pos : m.start()] + df[m[1]].map(_text).astype(object)
        pos = m.end()
    return out + template[pos:]


def timeline_part(kind: S.TimelineKind, df: pd.DataFrame, date: str) -> pd.DataFrame:
    df = df[select(df, kind.where)]
    return pd.DataFrame(
        {
            "date": df[date],
            "kind": render(kind.kind, df),
            "what": render(kind.what, df),
            "sources": df["sources"],
        }
    )


def _coverage(cov: pd.DataFrame, case) -> list[dict]:
    """One row per coverage span: its key, the table it describes, start and end."""
    keys = case.spec.coverage.keys
    order = {k: i for i, k in enumerate(keys)}
    rows = cov.assign(_k=cov["table"].map(order)).sort_values(["_k", "start"], kind="mergesort")
    return [
        {
            "coverage": r["table"],
            "table": keys.get(r["table"]),
            "start": str(r["start"].date()),
            "end": str(r["end"].date()),
        }
        for _, r in rows.iterrows()
    ]


def _last_value(panel: pd.DataFrame, column: str) -> dict:
    s = panel[column].astype("Float64")
    known = s.notna().to_numpy()
    if not known.any():
        return {"value": None, "month": None}
    i = int(np.flatnonzero(known)[-1])
    v = float(s.iloc[i])
    return {"value": int(v) if v.is_integer() else v, "month": panel["month"].iloc[i]}


def summary(h, case, by: str | None = None) -> dict:
    """Counts an analyst reads first, as declared in the case's ``summary``."""
    sp: S.SummarySpec = case.spec.summary
    base = {
        "case": case.name,
        "as_of": None if h.as_of_date is None else str(h.as_of_date.date()),
        "history": h.origin,
        "unit": sp.unit,
        "labels": {c.name: c.label for c in (*sp.counts, *sp.latest)},
    }
    cov = h.tables["coverage"]
    if by is None:
        panel = h.monthly
        return {
            **base,
            "counts": {
                c.name: None  # a table not covered at all (at the cut) has no count, not zero
                if c.coverage is not None and not (cov["table"] == c.coverage).any()
                else int(select(h.tables[c.table], c.where).sum())
                for c in sp.counts
            },
            "latest": {c.name: _last_value(panel, c.column) for c in sp.latest},
            "rows": {n: int(len(h.tables[n])) for n in case.dated_tables},
            "coverage": _coverage(h.tables["coverage"], case),
        }
    if by not in sp.by:
        raise UsageError(f"--by: expected one of {', '.join(sp.by)}, got {by!r}")
    first = case.panel_start.year
    last = (h.as_of_date or h.latest_date).year
    years = np.arange(first, last + 1)
    columns = {}
    for c in sp.counts:
        df = h.tables[c.table]
        d = df.loc[select(df, c.where), c.date or case.dates[c.table]]
        n = d.dt.year.value_counts().reindex(years, fill_value=0).to_numpy()
        vals: list[int | None] = [int(x) for x in n]
        if c.coverage is not None:
            spans = cov[cov["table"] == c.coverage]
            for i, y in enumerate(years):
                lo, hi = pd.Timestamp(f"{y}-01-01"), pd.Timestamp(f"{y}-12-31")
                if not ((spans["start"] <= hi) & (spans["end"] >= lo)).any():
                    vals[i] = None  # the year is not covered at all: missing, not zero
        columns[c.name] = vals
    rows = [{"year": int(y), **{k: v[i] for k, v in columns.items()}} for i, y in enumerate(years)]
    return {**base, "by": by, "rows": rows}
