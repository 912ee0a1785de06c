"""The month-by-month panel derived from the base tables.

One row per calendar month from 1984-01 to the last month that the most recent source
covers completely. A column drawn from table *T* is empty (missing) for a month that *T*'s
coverage (``coverage.csv``) does not span completely: for example launch counts after the
CNS update of 2026-04-18, or diplomacy before 1994. Every value for month *m* depends only
on records dated on or before the end of *m*, so the panel of ``History.as_of(D)`` equals the
full panel cut at the last month ending on or before *D* (tested).

Columns (counts are per month; "in force"/"active" mean at any time during the month):

=============================== =====================================================
month                           ``YYYY-MM``
leader                          in office at the end of the month
launches, launch_days           CNS missiles and distinct launch dates
launches_<type>                 per missile type (srbm ... unknown)
launches_failed                 CNS outcome "failure"
nuclear_tests                   tests (Yao et al. 2018 table)
resolutions_adopted             adopted UNSC resolutions, Panel renewals excluded
sanctions_resolutions           adopted resolutions adding measures or designations
vetoed_drafts, panel_renewals   failed drafts and Panel-of-Experts renewals
sanctions_intensity             index 0-100 at month end (:mod:`.sanctions`)
sanctions_categories            measure categories in force at month end
oil_cap_in_force                a UNSC cap on refined petroleum is in force
talks_held                      talk rounds / working-level meetings in session
summits                         leader-level meetings with the DPRK (any partner)
summit_us_rok                   summits of the DPRK with the US or the ROK
talks_process_active            a negotiation process (4PT, 6PT, 2018-19 tracks) is open
agreements_signed, collapses    diplomacy rows of those kinds dated in the month
agreement_in_force              a nuclear agreement (AF, 6PT statements, Leap Day,
                                Singapore) is in force
inter_korean_agreement_in_force Panmunjom Declaration / Comprehensive Military Agreement
dprk_moratorium_in_force        a self-declared DPRK test moratorium (1999, 2018)
exercises_suspended             large-scale US-ROK exercises suspended (2018-06 .. 2022-08)
us_threats                      US leader-level threats of force (coded for 2017 only)
provocations_<type>             CSIS events (missile, nuclear, other; KST dates)
summit_scheduled ... nya_nuclear leading covariates as known on the first day of the month
                                (:mod:`.leading`: real-time values, the ones the hazards
                                are fitted on)
=============================== =====================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from standoff.history.sanctions import intensity_index, levels_at
from standoff.history.schema import MEASURES, MISSILE_TYPES

PANEL_START = pd.Period("1984-01", freq="M")


def panel_end(coverage: pd.DataFrame) -> pd.Period:
    """Last month fully covered by the most recent source."""
    last = pd.Timestamp(coverage["end"].max())
    p = last.to_period("M")
    return p if last == p.end_time.normalize() else p - 1


def build_monthly(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    cov = tables["coverage"].set_index("table")
    months = pd.period_range(PANEL_START, panel_end(tables["coverage"]), freq="M")
    starts = months.start_time
    ends = months.end_time.normalize()
    n = len(months)
    out: dict[str, object] = {"month": months.strftime("%Y-%m")}

    lead = tables["leaders"].sort_values("start")
    li = np.searchsorted(lead["start"].to_numpy(), ends.to_numpy(), side="right") - 1
    out["leader"] = lead["leader"].to_numpy()[np.clip(li, 0, None)]

    def covered(table: str) -> np.ndarray:
        if table not in cov.index:
            return np.zeros(n, bool)
        return (starts >= cov.loc[table, "start"]) & (ends <= cov.loc[table, "end"])

    def counts(dates: pd.Series, mask: np.ndarray) -> pd.array:
        per = pd.PeriodIndex(pd.to_datetime(dates), freq="M")
        c = pd.Series(1, index=per).groupby(level=0).sum().reindex(months, fill_value=0)
        return pd.array(np.where(mask, c.to_numpy(), pd.NA), dtype="Int64")

    def flag(values: np.ndarray, mask: np.ndarray) -> pd.array:
        return pd.array(np.where(mask, values, pd.NA), dtype="Int64")

    # launches (CNS)
    la = tables["launches"]
    m = covered("launches")
    out["launches"] = counts(la["date"], m)
    out["launch_days"] = counts(la["date"].drop_duplicates(), m)
    for t in MISSILE_TYPES:
        out[f"launches_{t.lower()}"] = counts(la.loc[la["type"] == t, "date"], m)
    out["launches_failed"] = counts(la.loc[la["outcome"] == "failure", "date"], m)

    out["nuclear_tests"] = counts(tables["nuclear_tests"]["date"], covered("nuclear_tests"))

    # sanctions
    sa = tables["sanctions"]
    m = covered("sanctions")
    adopted = sa["adopted"].fillna(False).astype(bool)
    out["resolutions_adopted"] = counts(
        sa.loc[adopted & (sa["kind"] != "panel_renewal"), "date"], m
    )
    out["sanctions_resolutions"] = counts(
        sa.loc[adopted & sa["kind"].isin(["sanctions", "designations"]), "date"], m
    )
    out["vetoed_drafts"] = counts(sa.loc[sa["kind"] == "vetoed_draft", "date"], m)
    out["panel_renewals"] = counts(sa.loc[sa["kind"] == "panel_renewal", "date"], m)
    lv = levels_at(sa, ends)
    out["sanctions_intensity"] = pd.array(
        np.where(m, np.round(intensity_index(lv), 4), np.nan), dtype="Float64"
    ).astype("Float64")
    out["sanctions_categories"] = flag((lv > 0).sum(axis=1), m)
    out["oil_cap_in_force"] = flag((lv[:, MEASURES.index("refined_petroleum")] > 0).astype(int), m)

    # diplomacy
    dp = tables["diplomacy"]
    m = covered("diplomacy")
    end = dp["date_end"].fillna(dp["date_start"])
    meet = dp["kind"] == "talks"
    out["talks_held"] = flag(_overlaps(dp["date_start"][meet], end[meet], starts, ends), m)
    summit = dp["kind"] == "summit"
    out["summits"] = flag(_overlaps(dp["date_start"][summit], end[summit], starts, ends), m)
    us_rok = summit & dp["participants"].fillna("").str.contains(r"\b(?:USA|KOR)\b")
    out["summit_us_rok"] = flag(_overlaps(dp["date_start"][us_rok], end[us_rok], starts, ends), m)
    proc = dp["kind"] == "process"
    ongoing_end = dp["date_end"]  # missing = still open as of the data's cut
    out["talks_process_active"] = flag(
        (_overlaps(dp["date_start"][proc], ongoing_end[proc], starts, ends) > 0).astype(int), m
    )
    out["agreements_signed"] = counts(dp.loc[dp["kind"] == "agreement", "date_start"], m)
    out["collapses"] = counts(dp.loc[dp["kind"] == "collapse", "date_start"], m)
    agr = dp["kind"] == "agreement"
    for col, issues in (
        ("agreement_in_force", ("nuclear",)),
        ("inter_korean_agreement_in_force", ("inter-korean", "military")),
    ):
        sel = agr & dp["issue"].isin(issues)
        hit = _overlaps(dp["date_start"][sel], dp["in_force_to"][sel], starts, ends) > 0
        out[col] = flag(hit.astype(int), m)
    mor = (
        (dp["kind"] == "unilateral")
        & dp["participants"].eq("PRK")
        & dp["issue"].isin(["nuclear", "missiles"])
    )
    hit = _overlaps(dp["date_start"][mor], dp["in_force_to"][mor], starts, ends) > 0
    out["dprk_moratorium_in_force"] = flag(hit.astype(int), m)
    # the other side's lever: suspension of large-scale US-ROK exercises (2018-06-12 .. 2022-08-22)
    # rows coded issue "exercise-suspension" (explicit, so an as-of cut cannot change their meaning)
    ex = (dp["kind"] == "unilateral") & dp["issue"].eq("exercise-suspension")
    hit = _overlaps(dp["date_start"][ex], dp["in_force_to"][ex], starts, ends) > 0
    out["exercises_suspended"] = flag(hit.astype(int), m)
    threat = (dp["kind"] == "statement") & dp["issue"].eq("military") & dp["participants"].eq("USA")
    out["us_threats"] = counts(dp.loc[threat, "date_start"], m)

    # provocations (CSIS)
    pv = tables["provocations"]
    m = covered("provocations")
    for t in ("missile", "nuclear", "other"):
        out[f"provocations_{t}"] = counts(pv.loc[pv["type"] == t, "date"], m)

    # leading information, as known when each month began (real-time vintage)
    from standoff.history.leading import LEADING_COLUMNS, leading_covariates

    lead = leading_covariates(tables, months, as_of=None)
    m = covered("leading_info")
    for col in LEADING_COLUMNS:
        if col.startswith("nya_"):
            out[col] = pd.array(lead[col].to_numpy(float), dtype="Float64")
        else:
            out[col] = flag(lead[col].to_numpy(), m)

    return pd.DataFrame(out)


def _overlaps(
    start: pd.Series, end: pd.Series, m_start: pd.DatetimeIndex, m_end: pd.DatetimeIndex
) -> np.ndarray:
    """Number of intervals [start, end] (end missing = open) overlapping each month."""
    s = pd.to_datetime(start).to_numpy()
    e = pd.to_datetime(end).to_numpy()
    e = np.where(pd.isna(e), np.datetime64("2262-01-01"), e)
    first = np.searchsorted(m_end.to_numpy(), s, side="left")  # first month ending >= start
    last = np.searchsorted(m_start.to_numpy(), e, side="right") - 1  # last month starting <= end
    diff = np.zeros(len(m_start) + 1, dtype=np.int64)
    ok = first <= last
    np.add.at(diff, first[ok], 1)
    np.add.at(diff, np.minimum(last[ok], len(m_start) - 1) + 1, -1)
    return np.cumsum(diff)[:-1]
