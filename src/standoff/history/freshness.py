"""How fresh the data behind a forecast are: coverage end per table vs the as-of date.

:func:`freshness` returns a DataFrame (the CLI, the briefing and the web app show it);
:func:`freshness_notes` the warnings in words. A forecast as of *D* starts in the month after
the last month the monthly panel covers; months between a table's coverage end and *D* are
not observed for that table: the simulator's *nowcast* fills them (see
:mod:`standoff.dynamics.model`): launches are simulated from the end of the launch data,
while events of the other tables that are recorded are fixed and the rest are simulated.
"""

from __future__ import annotations

import pandas as pd

from standoff.history.core import History

LABELS = {
    "launches": "missile launches (CNS/NTI)",
    "nuclear_tests": "nuclear tests",
    "sanctions": "UN Security Council resolutions",
    "diplomacy": "negotiations",
    "provocations": "provocations (CSIS)",
    "events": "key events",
    "leading_info": "leading information",
    "new_year_addresses": "New Year addresses",
}


def expected_first_month(cut) -> str:
    """The month a forecast as of ``cut`` starts in: the as-of month, partly observed, or the
    next month when the cut is a month end."""
    cut = pd.Timestamp(cut)
    m = cut.to_period("M")
    return str(m + 1 if cut.normalize() == m.end_time.normalize() else m)


def freshness(history: History, as_of=None, first_month: str | None = None) -> pd.DataFrame:
    """One row per table: coverage start and end, the as-of date, days between them, the first
    forecast month, the vintage, and what fills the gap.

    ``as_of`` defaults to the history's own cut (or its latest coverage).
    """
    full = history
    cut = (
        pd.Timestamp(as_of)
        if as_of is not None
        else (history.as_of_date if history.as_of_date is not None else history.latest_date)
    )
    cov = full.tables["coverage"]
    if first_month is None:  # the model's first month
        first_month = expected_first_month(cut)
    rows = []
    for _, r in cov.iterrows():
        end = min(pd.Timestamp(r["end"]), cut)
        gap = int((cut - end).days)
        if gap <= 0:
            status, fills = "current", "–"
        else:
            status = "behind"
            fills = f"nowcast: simulated after {end.date()} (not assumed absent)"
        rows.append(
            {
                "table": r["table"],
                "label": LABELS.get(r["table"], r["table"]),
                "coverage_start": pd.Timestamp(r["start"]),
                "coverage_end": end,
                "as_of": cut,
                "days_behind": max(gap, 0),
                "status": status,
                "first_forecast_month": first_month,
                "vintage": history.vintage or history.origin,
                "nowcast": fills,
            }
        )
    return pd.DataFrame(rows)


def freshness_notes(df: pd.DataFrame) -> list[str]:
    """Warnings in words for a :func:`freshness` frame (empty when every table is current)."""
    if df.empty:
        return []
    notes = []
    as_of = pd.Timestamp(df["as_of"].iloc[0]).date()
    behind = df[df["status"] == "behind"]
    first = df["first_forecast_month"].iloc[0]
    latest = pd.Timestamp(df["coverage_end"].max()).date()
    if len(behind):
        by_end: dict[str, list[str]] = {}
        for _, r in behind.iterrows():
            by_end.setdefault(str(pd.Timestamp(r["coverage_end"]).date()), []).append(r["label"])
        parts = "; ".join(
            f"{', '.join(labels)} end {end} ({(pd.Timestamp(as_of) - pd.Timestamp(end)).days} days)"
            for end, labels in by_end.items()
        )
        notes.append(
            f"the as-of date {as_of} is later than the data: {parts}. The nowcast simulates "
            "what these tables do not cover yet (not assumed absent); recorded events of the "
            "tables that cover a month are fixed"
        )
    if first is not None and as_of > latest:
        month_after = expected_first_month(as_of)
        if str(first) < month_after:
            notes.append(
                f"every table ends before the as-of date (latest {latest}): the forecast window "
                f"starts in {first}, the month after the data, not in {month_after}; its first "
                "months are already past. Bring the record up to date: standoff history update"
            )
    return notes


def freshness_line(df: pd.DataFrame) -> str:
    """One line: coverage end per table, as-of date, first forecast month."""
    if df.empty:
        return ""
    ends = ", ".join(
        f"{r['table']} {pd.Timestamp(r['coverage_end']).date()}" for _, r in df.iterrows()
    )
    first = df["first_forecast_month"].iloc[0]
    return (
        f"data ({df['vintage'].iloc[0]}) cover to: {ends}; as of {pd.Timestamp(df['as_of'].iloc[0]).date()}"
        + (f"; first forecast month {first}" if first else "")
    )
