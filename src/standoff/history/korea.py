"""The Korean case's registered builders: its summary and its timeline.

The Korean case (``standoff/data/cases/korea/case.yaml``) keeps the code it had before cases
existed; its descriptor names these builders (``summary: {builder: korea}``,
``timeline: {builder: korea}``), every other case declares its own in data
(:mod:`standoff.cases.views`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from standoff.errors import UsageError
from standoff.history.schema import DATED_TABLES, MISSILE_TYPES

SUMMARY_BY = ("year", "leader", "type")
#: the timeline's kinds: tables (their date columns are the ``date`` of each in case.yaml)
TIMELINE_KINDS = ("launches", "nuclear_tests", "sanctions", "diplomacy", "provocations", "events")
TIMELINE_DEFAULT = ("launches", "nuclear_tests", "sanctions", "diplomacy", "events")


def summary(h, by: str | None = None) -> dict:
    """Counts an analyst reads first. ``by`` in ``year``, ``leader``, ``type`` or ``None``."""
    la = h.tables["launches"]
    base = {
        "as_of": None if h.as_of_date is None else str(h.as_of_date.date()),
        "history": h.origin,
        "unit": "missiles (CNS/NTI: one row per missile, not per launch event)",
    }
    if by is None:
        tables = {n: int(len(df)) for n, df in h.tables.items() if n in DATED_TABLES}
        cov = {
            r["table"]: {"start": str(r["start"].date()), "end": str(r["end"].date())}
            for _, r in h.tables["coverage"].iterrows()
        }
        sa = h.tables["sanctions"]
        adopted = sa["adopted"].fillna(False).astype(bool)
        return {
            **base,
            "missiles": int(len(la)),
            "icbm": int((la["type"] == "ICBM").sum()),
            "nuclear_tests": int(len(h.tables["nuclear_tests"])),
            "resolutions_adopted": int((adopted & (sa["kind"] != "panel_renewal")).sum()),
            "vetoed_drafts": int((sa["kind"] == "vetoed_draft").sum()),
            "summits": int((h.tables["diplomacy"]["kind"] == "summit").sum()),
            "agreements": int((h.tables["diplomacy"]["kind"] == "agreement").sum()),
            "rows": tables,
            "coverage": cov,
        }
    if by not in SUMMARY_BY:
        raise UsageError(f"--by: expected one of {', '.join(SUMMARY_BY)}, got {by!r}")
    nt = h.tables["nuclear_tests"]
    if by == "leader":
        key = la["leader"]
        keys = list(h.tables["leaders"].sort_values("start")["leader"])
        nt_key = nt["leader"]
    elif by == "year":
        key = la["date"].dt.year
        end = (h.as_of_date or h.latest_date).year
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
        cov_end = h.coverage_end("launches")
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


def timeline_part(kind: str, df: pd.DataFrame) -> pd.DataFrame:
    """The rows of one kind in the timeline (launch salvos grouped per day)."""
    if kind == "launches":
        g = df.groupby(["date", "missile", "type"], sort=False)
        agg = g.agg(n=("id", "size"), sources=("sources", "first")).reset_index()
        what = agg["n"].astype(str) + " x " + agg["missile"] + " (" + agg["type"] + ")"
        return pd.DataFrame(
            {"date": agg["date"], "kind": "launch", "what": what, "sources": agg["sources"]}
        )
    if kind == "nuclear_tests":
        what = (
            "Nuclear test #"
            + df["test_no"].astype(str)
            + " (mb "
            + df["usgs_mb"].astype(str)
            + ", ~"
            + df["yield_kt"].astype(str)
            + " kt)"
        )
        return pd.DataFrame(
            {"date": df["date"], "kind": "nuclear test", "what": what, "sources": df["sources"]}
        )
    if kind == "sanctions":
        label = np.where(df["adopted"].fillna(False).astype(bool), "UNSC", "UNSC (failed)")
        what = df["document"] + ": " + df["measures_added"].fillna("")
        return pd.DataFrame(
            {"date": df["date"], "kind": label, "what": what, "sources": df["sources"]}
        )
    if kind == "diplomacy":
        what = df["event"] + " -- " + df["outcome"].fillna("")
        return pd.DataFrame(
            {"date": df["date_start"], "kind": df["kind"], "what": what, "sources": df["sources"]}
        )
    if kind == "provocations":
        return pd.DataFrame(
            {
                "date": df["date"],
                "kind": "provocation (" + df["type"] + ")",
                "what": df["event"],
                "sources": df["sources"],
            }
        )
    return pd.DataFrame(
        {
            "date": df["date_start"],
            "kind": df["category"],
            "what": df["event"],
            "sources": df["sources"],
        }
    )
