"""Leading information: what was known in advance, as data, and the covariates it gives.

Two history tables hold it (schemas in :mod:`standoff.history.schema`):

``leading_info``
    One row per public announcement, rescheduling, cancellation, reinstatement or statement,
    with ``known_from`` = the day it became public and an ``event_key`` tying the rows about
    one planned event together (e.g. ``us-dprk-summit-2018``: accepted 2018-03-08 "by May",
    set 2018-05-10 for 12 June, cancelled 2018-05-24, reinstated 2018-06-01). Kinds: summits,
    talks, the US-ROK exercise calendar, DPRK jubilee anniversaries, party congresses and
    conferences, US and ROK elections, and declared/renounced test moratoria (dated by the
    statement, never by the first violating launch). Curated in ``data/curated/leading_info.csv``;
    the jubilee anniversaries (``leading_info_calendar.csv``) and US election days (statutory rule)
    are expanded by the build.

``new_year_addresses``
    A transparent keyword coding of each New Year address (1984-2019; the raw texts are
    ``data/raw/new_year_addresses_e9t``, CC0), known from 1 January of its year. Coding rule
    ([analyst coding], :data:`NYA_LEXICON`): drop the South Korean editors' preface (text
    before the line ``원 문``, present in 1984-2003 and 2006), then count the occurrences
    (substrings) of each keyword list in the address; ``tone = (conciliatory - hostile) /
    (conciliatory + hostile)`` in [-1, 1] (0 when both are 0).

**As-of rule.** :func:`leading_covariates` gives, for a list of months, the covariates *as
known at an information cut*: for a month that is complete by the as-of date *D*, the cut is
the first day of that month (the value a forecaster had when the month began: the real-time
panel the hazards are fitted on); for any later month (the month containing *D* and future
months) the cut is *D*. Rows with ``known_from`` after the cut do not exist for that month:
an announcement after *D* is invisible, a cancellation after *D* is not applied. The status
of an event at a cut is its latest row known by then ([project formalisation]).

Exercises recur: when no row about a given year's spring (or August, or pre-2001 autumn)
exercise is known at the cut, the season's latest known row from an earlier year (within
five years) is projected forward by whole years [project formalisation: "the calendar
persists unless announced otherwise"]. Routine exercises up to 2018 are coded as known from
1 January of their year (analyst coding, see the ``known_basis`` column).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

#: keyword lists of the New Year address coding (Korean substrings, DPRK spelling).
#: ``hostile``/``conciliatory`` are about relations with the US and the ROK; "원수" is left
#: out of ``hostile`` because it is also the honorific "Marshal" (원수님) after 2012.
NYA_LEXICON: dict[str, tuple[str, ...]] = {
    "us_mentions": ("미국", "미제"),
    "rok_mentions": ("남조선", "남측", "북남", "남북"),
    "conciliatory": (
        "대화",
        "협상",
        "화해",
        "평화",
        "협력",
        "교류",
        "관계개선",
        "긴장완화",
        "회담",
        "단합",
        "공동선언",
    ),
    "hostile": (
        "미제",
        "침략",
        "전쟁",
        "괴뢰",
        "적대",
        "원쑤",
        "반역",
        "도발",
        "제재",
        "압살",
        "대결",
        "짓부시",
        "섬멸",
        "호전",
    ),
    "nuclear": ("핵",),
    "missile": ("미싸일", "미사일", "로케트", "탄도"),
}
NYA_PREFACE_MARKER = re.compile(r"^\s*원\s?문\s*$", re.MULTILINE)

#: the covariates, with the labels users see
LEADING_COLUMNS: dict[str, str] = {
    "summit_scheduled": "US/ROK-DPRK summit scheduled in the month (as known at the cut)",
    "talks_scheduled": "talks with the DPRK scheduled in the month (as known at the cut)",
    "exercise_major": "major US-ROK combined exercise expected in the month",
    "exercise_any": "any US-ROK combined exercise expected in the month (major or scaled)",
    "anniversary_major": "DPRK jubilee anniversary in the month (multiple of 5 years)",
    "party_congress": "WPK congress or conference scheduled in the month",
    "us_election": "US federal election in the month",
    "rok_election": "ROK presidential or National Assembly election in the month",
    "moratorium_missiles": "DPRK long-range missile test moratorium declared and not renounced",
    "moratorium_nuclear": "DPRK nuclear test moratorium declared and not renounced",
    "nya_tone": "New Year address tone, (conciliatory - hostile) / total, latest known",
    "nya_nuclear": "New Year address: mentions of 'nuclear' per 10,000 characters",
}
_ACTIVE = ("scheduled", "rescheduled", "reinstated", "calendar")
_IN_FORCE = ("declared", "extended")
EXERCISE_LOOKBACK_YEARS = 5


# --------------------------------------------------------------------------- build helpers
def code_new_year_address(text: str) -> dict[str, float]:
    """Keyword counts and tone of one address (the coding rule of the module docstring)."""
    m = NYA_PREFACE_MARKER.search(text)
    body = text[m.end() :] if m else text
    out: dict[str, float] = {"text_chars": len(body)}
    for name, words in NYA_LEXICON.items():
        out[name] = sum(body.count(w) for w in words)
    tot = out["conciliatory"] + out["hostile"]
    out["tone"] = round((out["conciliatory"] - out["hostile"]) / tot, 6) if tot else 0.0
    return out


def jubilee_rows(calendar: pd.DataFrame, first_year: int, last_year: int) -> list[dict]:
    """Leading rows for the jubilee anniversaries (multiples of 5 years) in the year range."""
    rows = []
    for _, c in calendar.iterrows():
        base = int(c["base_year"])
        mm, dd = (int(x) for x in str(c["month_day"]).split("-"))
        for y in range(first_year, last_year + 1):
            n = y - base
            if n <= 0 or n % 5:
                continue
            day = dt.date(y, mm, dd).isoformat()
            rows.append(
                {
                    "id": f"li-anniv-{c['id']}-{y}",
                    "kind": "anniversary",
                    "action": "calendar",
                    "event_key": f"anniv-{c['id']}-{y}",
                    "planned_start": day,
                    "planned_end": day,
                    "date_precision": "day",
                    "track": "DPRK",
                    "participants": "PRK",
                    "issue": "jubilee",
                    "event": f"{n}th anniversary: {c['name']}",
                    "known_basis": "fixed calendar date (leading_info_calendar.csv)",
                    "verification": c["note"],
                    "known_from": c["known_from"],
                    "sources": c["sources"],
                }
            )
    return rows


def us_election_day(year: int) -> dt.date:
    """The Tuesday after the first Monday in November (2 U.S.C. 7)."""
    d = dt.date(year, 11, 2)  # the earliest possible day
    return d + dt.timedelta(days=(1 - d.weekday()) % 7)


def us_election_rows(first_year: int, last_year: int, known_from: str) -> list[dict]:
    rows = []
    for y in range(first_year + first_year % 2, last_year + 1, 2):
        day = us_election_day(y).isoformat()
        pres = y % 4 == 0
        kind = "presidential" if pres else "midterm"
        rows.append(
            {
                "id": f"li-us-{kind}-{y}",
                "kind": "election",
                "action": "calendar",
                "event_key": f"us-{kind}-{y}",
                "planned_start": day,
                "planned_end": day,
                "date_precision": "day",
                "track": "US",
                "participants": "USA",
                "issue": f"us-{kind}",
                "event": f"US {'presidential and congressional' if pres else 'midterm'} election",
                "known_basis": "statutory election day (2 U.S.C. 7)",
                "verification": "rule (statute)",
                "known_from": known_from,
                "sources": "W-LI-USLAW",
            }
        )
    return rows


# --------------------------------------------------------------------------- covariates
def _months(months) -> pd.PeriodIndex:
    if isinstance(months, pd.PeriodIndex):
        return months.asfreq("M")
    return pd.PeriodIndex([pd.Period(m, freq="M") for m in months], freq="M")


def information_cuts(months: pd.PeriodIndex, as_of: pd.Timestamp | None) -> np.ndarray:
    """The information cut of each month (see the module docstring), as datetime64[ns]."""
    start = months.start_time.normalize().to_numpy()
    if as_of is None:
        return start
    end = months.end_time.normalize().to_numpy()
    cut = np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "ns")
    return np.where(end <= cut, start, cut)


def _status(rows: pd.DataFrame, cuts: np.ndarray) -> np.ndarray:
    """Index (into ``rows``, sorted by known_from) of the latest row known at each cut; -1 if none."""
    kf = rows["known_from"].to_numpy(dtype="datetime64[ns]")
    return np.searchsorted(kf, cuts, side="right") - 1


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    # stable: rows published the same day keep the file's order (the later row wins)
    return df.sort_values("known_from", kind="mergesort").reset_index(drop=True)


class _Keyed:
    """The rows of each event_key as numpy arrays, sorted by known_from (stable)."""

    def __init__(self, df: pd.DataFrame):
        df = df.sort_values(["event_key", "known_from"], kind="mergesort")
        self.kf = df["known_from"].to_numpy(dtype="datetime64[ns]")
        self.active = df["action"].isin(_ACTIVE).to_numpy()
        self.ps = df["planned_start"].to_numpy(dtype="datetime64[ns]")
        self.pe = df["planned_end"].fillna(df["planned_start"]).to_numpy(dtype="datetime64[ns]")
        self.major = (df["scale"] == "major").to_numpy()
        keys = df["event_key"].to_numpy()
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else []
        ends = np.r_[starts[1:], len(keys)] if len(keys) else []
        self.slices = {keys[a]: (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}

    def latest(self, key: str, cuts: np.ndarray) -> np.ndarray:
        """Global row index of the key's latest row known at each cut (-1 if none)."""
        a, b = self.slices[key]
        i = np.searchsorted(self.kf[a:b], cuts, side="right") - 1
        return np.where(i >= 0, i + a, -1)


def _scheduled_in_month(
    df: pd.DataFrame, m_start: np.ndarray, m_end: np.ndarray, cuts: np.ndarray
) -> np.ndarray:
    """Number of events whose status at the cut is active and whose planned window overlaps
    the month."""
    k = _Keyed(df)
    total = np.zeros(len(m_start), dtype=np.int64)
    for key in k.slices:
        i = k.latest(key, cuts)
        ok = i >= 0
        ii = np.where(ok, i, 0)
        ps, pe = k.ps[ii], k.pe[ii]
        has = ok & k.active[ii] & ~np.isnat(ps)
        total += (has & (ps <= m_end) & (pe >= m_start)).astype(np.int64)
    return total


def _shift_years(d: np.datetime64, years: int) -> np.datetime64:
    return (pd.Timestamp(d) + pd.DateOffset(years=years)).to_datetime64()


def _exercises(
    ex: pd.DataFrame, months: pd.PeriodIndex, cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(major, any) exercise expected in each month, with the calendar-persistence projection."""
    n = len(months)
    major = np.zeros(n, dtype=np.int64)
    anyx = np.zeros(n, dtype=np.int64)
    if ex.empty:
        return major, anyx
    k = _Keyed(ex)
    years = months.year.to_numpy()
    m_start = months.start_time.normalize().to_numpy()
    m_end = months.end_time.normalize().to_numpy()
    for season in sorted(ex["issue"].dropna().unique()):
        for y in np.unique(years):
            sel = np.flatnonzero(years == y)
            row = np.full(len(sel), -1)
            shift = np.zeros(len(sel), dtype=int)
            for back in range(EXERCISE_LOOKBACK_YEARS + 1):
                key = f"ex-{y - back}-{season}"
                if key not in k.slices:
                    continue
                i = k.latest(key, cuts[sel])
                new = (row < 0) & (i >= 0)
                row[new], shift[new] = i[new], back
            for r, b in set(zip(row.tolist(), shift.tolist(), strict=True)):
                if r < 0 or not k.active[r] or np.isnat(k.ps[r]):
                    continue
                ps, pe = _shift_years(k.ps[r], b), _shift_years(k.pe[r], b)
                js = sel[(row == r) & (shift == b)]
                hit = (ps <= m_end[js]) & (pe >= m_start[js])
                anyx[js[hit]] = 1
                if k.major[r]:
                    major[js[hit]] = 1
    return major, anyx


def _moratorium(mor: pd.DataFrame, issue: str, cuts: np.ndarray) -> np.ndarray:
    g = _sorted(mor[mor["issue"] == issue])
    if g.empty:
        return np.zeros(len(cuts), dtype=np.int64)
    i = _status(g, cuts)
    on = g["action"].isin(_IN_FORCE).to_numpy()[np.where(i >= 0, i, 0)]
    return (on & (i >= 0)).astype(np.int64)


def _nya(
    nya: pd.DataFrame, months: pd.PeriodIndex, cuts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Latest address known at the cut, if it is of the month's year or the year before."""
    tone = np.full(len(months), np.nan)
    nuc = np.full(len(months), np.nan)
    if nya.empty:
        return tone, nuc
    g = _sorted(nya)
    i = _status(g, cuts)
    ok = i >= 0
    ii = np.where(ok, i, 0)
    yr = g["year"].to_numpy(dtype=float)[ii]
    ok &= (months.year.to_numpy() - yr) <= 1
    rate = g["nuclear"].to_numpy(dtype=float) / np.maximum(g["text_chars"].to_numpy(dtype=float), 1)
    tone = np.where(ok, g["tone"].to_numpy(dtype=float)[ii], np.nan)
    nuc = np.where(ok, np.round(rate[ii] * 1e4, 4), np.nan)
    return tone, nuc


def leading_covariates(source, months, as_of=None) -> pd.DataFrame:
    """The leading covariates of ``months`` as known at each month's information cut.

    Parameters
    ----------
    source
        A :class:`~standoff.history.core.History` (its ``as_of_date`` is the default cut) or a
        dict of tables with ``leading_info`` and ``new_year_addresses``.
    months
        Months (``"YYYY-MM"`` strings or Periods), past and future, in any order.
    as_of
        The forecast origin *D*. Rows known after *D* are ignored even if present.

    Returns a frame with ``month`` and the columns of :data:`LEADING_COLUMNS` (0/1 indicators,
    ``nya_*`` floats, missing when no address of the month's year or the year before is known).
    """
    tables = source.tables if hasattr(source, "tables") else source
    if as_of is None and getattr(source, "as_of_date", None) is not None:
        as_of = source.as_of_date
    as_of = None if as_of is None else pd.Timestamp(as_of).normalize()
    months = _months(months)
    cuts = information_cuts(months, as_of)
    empty = pd.DataFrame(columns=["known_from"])
    li = tables.get("leading_info", empty)
    nya = tables.get("new_year_addresses", empty)
    if as_of is not None and len(li):
        li = li[li["known_from"] <= as_of]
    if as_of is not None and len(nya):
        nya = nya[nya["known_from"] <= as_of]
    m_start = months.start_time.normalize().to_numpy()
    m_end = months.end_time.normalize().to_numpy()
    out: dict[str, object] = {"month": months.strftime("%Y-%m")}
    n = len(months)

    def sched(mask) -> np.ndarray:
        sub = li[mask] if len(li) else li
        if len(sub) == 0:
            return np.zeros(n, dtype=np.int64)
        return (_scheduled_in_month(sub, m_start, m_end, cuts) > 0).astype(np.int64)

    if len(li):
        kind = li["kind"]
        parts = li["participants"].fillna("")
        with_prk = parts.str.contains(r"\bPRK\b")
        us_rok = parts.str.contains(r"\b(?:USA|KOR)\b")
        out["summit_scheduled"] = sched((kind == "summit") & with_prk & us_rok)
        out["talks_scheduled"] = sched((kind == "talks") & with_prk)
        out["exercise_major"], out["exercise_any"] = _exercises(
            li[kind == "exercise"], months, cuts
        )
        out["anniversary_major"] = sched(kind == "anniversary")
        out["party_congress"] = sched(kind == "party_congress")
        issue = li["issue"].fillna("")
        out["us_election"] = sched((kind == "election") & issue.str.startswith("us-"))
        out["rok_election"] = sched((kind == "election") & issue.str.startswith("rok-"))
        mor = li[kind == "moratorium"]
        out["moratorium_missiles"] = _moratorium(mor, "missiles", cuts)
        out["moratorium_nuclear"] = _moratorium(mor, "nuclear", cuts)
    else:
        for c in list(LEADING_COLUMNS)[:10]:
            out[c] = np.zeros(n, dtype=np.int64)
    out["nya_tone"], out["nya_nuclear"] = _nya(nya, months, cuts)
    return pd.DataFrame(out)
