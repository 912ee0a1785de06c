"""The UNSC sanctions regime in force at a date, and the sanctions-intensity index.

Coding (project formalisation, documented in the README): each resolution row codes, per
measure category (:data:`~standoff.history.schema.MEASURES`), the level it introduced:
1 = partial (a cap, a ban with exemptions, a measure "called for", designations), 2 = a
comprehensive ban. UNSC measures on the DPRK have never been lifted, so the level in force
at date *t* is the maximum level over resolutions adopted on or before *t*; vetoed drafts
and Panel renewals add nothing.

Sanctions-intensity index at *t* = 100 x sum_c level_c(t) / (2 x C), C = number of categories
(equal weights; an analyst assumption, not a published index). It runs from 0 (no measure)
to 100 (every category comprehensively banned).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from standoff.history.schema import MEASURES


def _adopted(sanctions: pd.DataFrame) -> pd.DataFrame:
    a = sanctions[sanctions["adopted"].fillna(False).astype(bool)]
    return a.sort_values("date", kind="mergesort")


def levels_at(sanctions: pd.DataFrame, dates: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Level in force of every measure category at each date: array (len(dates), C)."""
    a = _adopted(sanctions)
    lv = a[list(MEASURES)].astype("Float64").fillna(0).to_numpy(dtype=float)
    cum = np.maximum.accumulate(lv, axis=0) if len(lv) else np.zeros((0, len(MEASURES)))
    cum = np.vstack([np.zeros((1, len(MEASURES))), cum])  # row 0: nothing adopted yet
    pos = np.searchsorted(a["date"].to_numpy(), pd.to_datetime(dates).to_numpy(), side="right")
    return cum[pos]


def intensity_index(levels: np.ndarray) -> np.ndarray:
    """Equal-weight index in [0, 100] from a (n, C) level array."""
    return 100.0 * levels.sum(axis=1) / (2.0 * levels.shape[1])


def regime_at(sanctions: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """One row per measure category: level in force at ``date`` and the document that set it."""
    a = _adopted(sanctions)
    a = a[a["date"] <= date]
    rows = []
    for m in MEASURES:
        col = a[m].astype("Float64").fillna(0)
        level = int(col.max()) if len(col) else 0
        since = a.loc[col == level, ["document", "date"]].head(1) if level else None
        rows.append(
            {
                "category": m,
                "level": level,
                "since_document": None if since is None else since["document"].iloc[0],
                "since_date": pd.NaT if since is None else since["date"].iloc[0],
            }
        )
    out = pd.DataFrame(rows)
    for cap in ("refined_petroleum_cap_bbl", "crude_oil_cap_bbl"):
        capped = a[a[cap].notna()]
        out.attrs[cap] = None if capped.empty else int(capped[cap].iloc[-1])
    return out
