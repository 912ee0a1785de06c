"""Date parsing shared by the history build, the as-of API and the CLI.

The curated tables mix precisions ("2018-03-21", "1995-03", "2018",
"2024-05 to 2024-11", "2018-03-21 (unverified)"). :func:`parse_partial` turns each into an
interval ``[start, end]`` plus a precision, so that a record with month precision is only
*known* at the end of that month (the conservative as-of rule).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from standoff.errors import UsageError

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
# Unicode dashes seen in scraped dates (CSIS): normalise before parsing.
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212"), "-")


@dataclass(frozen=True)
class PartialDate:
    start: dt.date
    end: dt.date
    precision: str  # "day" | "month" | "year"
    verified: bool = True


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _parse_one(text: str) -> PartialDate:
    s = text.strip().translate(_DASHES)
    if m := _DAY.match(s):
        d = dt.date(int(m[1]), int(m[2]), int(m[3]))
        return PartialDate(d, d, "day")
    if m := _MONTH.match(s):
        y, mo = int(m[1]), int(m[2])
        return PartialDate(dt.date(y, mo, 1), month_end(y, mo), "month")
    if m := _YEAR.match(s):
        y = int(m[1])
        return PartialDate(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")
    raise ValueError(f"not a date: {text!r}")


def parse_partial(text: str) -> PartialDate:
    """Parse "YYYY[-MM[-DD]]", optional " to <date>" range and "(unverified)"/"(approx.)" notes.

    >>> parse_partial("1995-03")
    PartialDate(start=datetime.date(1995, 3, 1), end=datetime.date(1995, 3, 31), precision='month', verified=True)
    """
    s = str(text).strip().translate(_DASHES)
    verified = True
    note = re.search(r"\s*\(([^)]*)\)\s*$", s)
    if note:
        if "unverified" in note[1] or "approx" in note[1]:
            verified = False
        s = s[: note.start()].strip()
    if " to " in s:
        a, b = (p.strip() for p in s.split(" to ", 1))
        pa, pb = _parse_one(a), _parse_one(b)
        precision = "day" if pa.precision == pb.precision == "day" else "range"
        return PartialDate(pa.start, pb.end, precision, verified)
    p = _parse_one(s)
    return PartialDate(p.start, p.end, p.precision, verified)


def parse_cut(
    value: str | dt.date | pd.Timestamp | None, field: str = "as_of"
) -> pd.Timestamp | None:
    """Parse an as-of cut or a range bound given by a user: exactly YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value.date())
    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    s = str(value).strip()
    if not _DAY.match(s):
        raise UsageError(f"{field}: expected a date as YYYY-MM-DD, got {value!r}")
    try:
        return pd.Timestamp(dt.date.fromisoformat(s))
    except ValueError:
        raise UsageError(
            f"{field}: expected a valid calendar date YYYY-MM-DD, got {value!r}"
        ) from None
