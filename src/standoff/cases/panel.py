"""The declarative monthly panel of a case (``panel.columns`` in its ``case.yaml``).

One row per calendar month from ``panel.start`` to the last month that the most recent
coverage spans completely (:func:`standoff.history.panel.panel_end`, the Korean rule). Each
declared column is one operation on one table (the operations are described in
:mod:`standoff.cases.spec` and docs/cases.md): counts of dated rows, intervals in force,
the state of the latest row at the month's end, running maxima, rises, thresholds, flags,
level indices, and leading information as known when the month began. A column is
**missing, never zero**, in every month that its ``coverage`` key does not span completely.

Every value for month *m* depends only on rows dated (or, by the column's ``order``, known)
on or before the end of *m*, so the panel built from ``History.as_of(D)`` equals the full
panel truncated to the months complete by *D* (tested for every case).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from standoff.cases import spec as S
from standoff.history.leading import information_cuts
from standoff.history.panel import _overlaps, panel_end


@dataclass(frozen=True)
class Months:
    """The months of a panel (or of a leading-information request) and their bounds."""

    periods: pd.PeriodIndex
    as_of: pd.Timestamp | None = None

    @cached_property
    def start(self) -> np.ndarray:
        return self.periods.start_time.normalize().to_numpy()

    @cached_property
    def end(self) -> np.ndarray:
        return self.periods.end_time.normalize().to_numpy()

    def __len__(self) -> int:
        return len(self.periods)

    def index_of(self, dates) -> np.ndarray:
        """Index of the month holding each date (-1 outside the months)."""
        d = pd.to_datetime(pd.Series(dates, dtype="datetime64[ns]")).to_numpy()
        j = np.searchsorted(self.end, d, side="left")
        ok = (j < len(self)) & ~np.isnat(d)
        ok[ok] &= self.start[j[ok]] <= d[ok]
        return np.where(ok, j, -1)

    def count(self, dates) -> np.ndarray:
        j = self.index_of(dates)
        return np.bincount(j[j >= 0], minlength=len(self)).astype(np.int64)


def select(df: pd.DataFrame, where: dict) -> np.ndarray:
    """Rows matching every ``column: value`` of ``where`` (a list: any of; null: missing)."""
    keep = np.ones(len(df), dtype=bool)
    for col, v in where.items():
        s = df[col]
        hit = s.isna() if v is None else s.isin(v) if isinstance(v, list) else s == v
        keep &= pd.Series(hit).fillna(False).to_numpy(dtype=bool)
    return keep


def _floats(s: pd.Series) -> np.ndarray:
    return s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def _ordered(df: pd.DataFrame, order: tuple[str, ...]) -> pd.DataFrame:
    return df.sort_values(list(order), kind="mergesort")


def _latest_index(key: np.ndarray, m: Months) -> np.ndarray:
    """Index of the last row (sorted by ``key``) with key on or before each month's end."""
    return np.searchsorted(key.astype("datetime64[ns]"), m.end, side="right") - 1


class _Ops:
    """Each operation returns ``[(name, values)]`` with float values (NaN = missing)."""

    def __init__(self, tables: dict[str, pd.DataFrame], dates: dict[str, str | None], m: Months):
        self.tables, self.dates, self.m = tables, dates, m

    def rows(self, c) -> pd.DataFrame:
        df = self.tables[c.table]
        return df[select(df, c.where)]

    def count(self, c: S.Count):
        df = self.rows(c)
        n = self.m.count(df[c.date or self.dates[c.table]])
        return [(c.name, (n > 0) if c.indicator else n)]

    def spans(self, c: S.Spans):
        df = self.rows(c)
        start = df[c.start or self.dates[c.table]]
        end = df[c.end]
        if c.missing_end == "start":
            running = (
                df["date_precision"].eq("range").fillna(False).to_numpy(dtype=bool)
                if "date_precision" in df.columns
                else np.zeros(len(df), dtype=bool)
            )
            end = end.where(end.notna() | running, start)
        n = _overlaps(start, end, pd.DatetimeIndex(self.m.start), pd.DatetimeIndex(self.m.end))
        return [(c.name, (n > 0) if c.indicator else n)]

    def latest(self, c: S.Latest):
        df = _ordered(self.rows(c), c.order)
        default = np.nan if c.default is None else c.default
        out = []
        for col in c.columns or (c.value,):
            sub = df[df[col].notna()]
            i = _latest_index(sub[c.order[0]].to_numpy(), self.m)
            v = _floats(sub[col])
            vals = np.where(i >= 0, v[np.clip(i, 0, None)] if len(v) else default, default)
            out.append((c.name.replace("{column}", col) if c.columns else c.name, vals))
        return out

    def max_so_far(self, c: S.MaxSoFar):
        df = _ordered(self.rows(c), c.order)
        df = df[df[c.value].notna()]
        best = np.r_[-np.inf, np.maximum.accumulate(_floats(df[c.value]))] if len(df) else [-np.inf]
        i = _latest_index(df[c.order[0]].to_numpy(), self.m)
        v = np.asarray(best)[i + 1]
        return [(c.name, np.where(np.isfinite(v), v, np.nan))]

    def rises(self, c: S.Rises):
        df = _ordered(self.rows(c), c.order)
        df = df[df[c.value].notna()]
        v = _floats(df[c.value])
        init = -np.inf if c.initial is None else c.initial
        if c.against == "previous":
            ref = np.r_[init, v[:-1]]
        else:
            ref = np.maximum.accumulate(np.r_[init, v])[:-1]
        j = self.m.index_of(df[c.order[0]])
        out = np.zeros(len(self.m))
        out[j[(v > ref) & (j >= 0)]] = 1
        return [(c.name, out)]

    def thresholds(self, c: S.Thresholds):
        df = _ordered(self.rows(c), c.order)
        key = pd.to_datetime(df[c.order[0]]).to_numpy()
        m = self.m
        reached = np.zeros(len(m))
        first = np.zeros(len(m))
        for t in c.thresholds:
            v = _floats(df[t.value])
            hit = v > t.above if t.above is not None else v >= t.at_least
            if not hit.any():
                continue
            k = key[np.flatnonzero(hit)[0]]
            first += (m.start <= k) & (m.end >= k)
            reached += m.end >= k
        return [(c.name, (first > 0) if c.measure == "first_reached" else reached)]

    def flag(self, c: S.Flag):
        df = self.rows(c)
        date = df[c.date or self.dates[c.table]]
        val = df[c.value]
        yes = self.m.count(date[val.fillna(False).astype(bool)])
        unknown = self.m.count(date[val.isna()])
        return [(c.name, np.where(yes > 0, 1.0, np.where(unknown > 0, np.nan, 0.0)))]

    def level_index(self, c: S.LevelIndex):
        df = _ordered(self.rows(c), c.order)
        i = _latest_index(df[c.order[0]].to_numpy(), self.m)
        lv = np.column_stack([_floats(df[col]) for col in c.columns]) if len(df) else None
        total = np.where(i >= 0, lv[np.clip(i, 0, None)].sum(axis=1), 0) if lv is not None else 0
        idx = 100.0 * np.asarray(total, dtype=float) / (c.max_level * len(c.columns))
        return [(c.name, np.round(np.broadcast_to(idx, len(self.m)), c.digits))]

    def scheduled(self, c: S.Scheduled):
        df = self.rows(c).sort_values(["event_key", "known_from"], kind="mergesort")
        m = self.m
        cuts = information_cuts(m.periods, m.as_of)
        hit = np.zeros(len(m), dtype=bool)
        for _, g in df.groupby("event_key", sort=False):
            i = np.searchsorted(g["known_from"].to_numpy("datetime64[ns]"), cuts, side="right") - 1
            ii = np.clip(i, 0, None)
            ps = g["planned_start"].to_numpy("datetime64[ns]")[ii]
            pe = g["planned_end"].fillna(g["planned_start"]).to_numpy("datetime64[ns]")[ii]
            on = (i >= 0) & g["action"].isin(c.active).to_numpy()[ii] & ~np.isnat(ps)
            hit |= on & (ps <= m.end) & (pe >= m.start)
        return [(c.name, hit)]


def coverage_mask(coverage: pd.DataFrame, key: str, m: Months) -> np.ndarray:
    """Months that the spans of ``key`` cover completely."""
    rows = coverage[coverage["table"] == key]
    ok = np.zeros(len(m), dtype=bool)
    for s, e in zip(rows["start"], rows["end"], strict=True):
        ok |= (m.start >= np.datetime64(s, "ns")) & (m.end <= np.datetime64(e, "ns"))
    return ok


def typed(values, mask: np.ndarray, kind: str) -> pd.array:
    v = np.where(mask, np.asarray(values, dtype=float), np.nan)
    arr = pd.array(v, dtype="Float64")
    return arr.astype("Int64") if kind == "int" else arr


def evaluate(
    columns,
    tables: dict[str, pd.DataFrame],
    dates: dict[str, str | None],
    m: Months,
    *,
    masked: bool = True,
) -> dict[str, object]:
    """The declared ``columns`` over the months ``m`` (masked by their coverage keys)."""
    ops = _Ops(tables, dates, m)
    out: dict[str, object] = {}
    masks: dict[str, np.ndarray] = {}
    for c in columns:
        if c.coverage not in masks:
            masks[c.coverage] = (
                coverage_mask(tables["coverage"], c.coverage, m)
                if masked
                else np.ones(len(m), bool)
            )
        mask = masks[c.coverage]
        for name, values in getattr(ops, c.op)(c):
            out[name] = typed(values, mask, c.type)
    return out


def build_panel(
    panel: S.PanelSpec, tables: dict[str, pd.DataFrame], dates: dict[str, str | None]
) -> pd.DataFrame:
    """The monthly panel of ``tables`` (possibly an as-of view) under the declared spec."""
    periods = pd.period_range(pd.Period(panel.start, freq="M"), panel_end(tables["coverage"]))
    m = Months(periods)
    return pd.DataFrame(
        {"month": periods.strftime("%Y-%m"), **evaluate(panel.columns, tables, dates, m)}
    )


def leading(
    columns, tables: dict[str, pd.DataFrame], dates: dict[str, str | None], months, as_of
) -> pd.DataFrame:
    """Leading columns of ``months`` (past and future) as known at each month's information
    cut, with rows known after ``as_of`` ignored (:func:`information_cuts`)."""
    periods = pd.PeriodIndex([pd.Period(p, freq="M") for p in months], freq="M")
    as_of = None if as_of is None else pd.Timestamp(as_of).normalize()
    if as_of is not None:
        tables = {
            n: (df[df["known_from"] <= as_of] if "known_from" in df.columns else df)
            for n, df in tables.items()
        }
    m = Months(periods, as_of)
    vals = evaluate(columns, tables, dates, m, masked=False)
    return pd.DataFrame({"month": periods.strftime("%Y-%m"), **vals})
