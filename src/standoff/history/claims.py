"""Claims as data: statements from a debate checked against the history.

A claims file (YAML) lists claims; each claim has its text and one or more *checks*. A check
is a SQL query on the history (DuckDB dialect, run on the ``History.as_of`` view of the
file's or the claim's ``as_of`` date), a comparator and a tolerance. Verdicts:

* ``supported``: every check holds;
* ``not supported``: a check returns a value that fails its comparator;
* ``not checkable``: the claim has no check (its ``reason`` says why), a query returns no
  value, or the data do not cover the period the claim needs (``requires``).

Comparators: ``eq``/``ne`` (with absolute ``tolerance``), ``lt``, ``le``, ``gt``, ``ge``,
``between`` (``value: [lo, hi]``, inclusive), ``rel`` (relative tolerance). Strings compare
with ``eq``/``ne`` only.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from standoff.errors import ClaimsError
from standoff.history.core import History

Op = Literal["eq", "ne", "lt", "le", "gt", "ge", "between", "rel"]
VERDICTS = ("supported", "not supported", "not checkable")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)  # yes/true stay booleans


class Check(_Strict):
    label: str | None = None
    query: str
    op: Op
    value: float | str | list[float]
    tolerance: float = Field(default=0.0, ge=0.0)

    @model_validator(mode="after")
    def _shape(self) -> Check:
        if self.op == "between":
            if not (
                isinstance(self.value, list)
                and len(self.value) == 2
                and self.value[0] <= self.value[1]
            ):
                raise ValueError("value: 'between' expects [low, high] with low <= high")
        elif isinstance(self.value, list):
            raise ValueError(f"value: '{self.op}' expects a single number or string")
        elif isinstance(self.value, str) and self.op not in ("eq", "ne"):
            raise ValueError(f"value: '{self.op}' expects a number, got a string")
        return self

    def expected(self) -> str:
        v = self.value
        sym = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
        if self.op == "between":
            return f"between {v[0]:g} and {v[1]:g}"
        if self.op == "rel":
            return f"{v:g} within {self.tolerance:.0%}"
        if isinstance(v, str):
            return f"{sym[self.op]} {v!r}"
        tol = f" ± {self.tolerance:g}" if self.tolerance and self.op in ("eq", "ne") else ""
        return f"{sym[self.op]} {v:g}{tol}"

    def holds(self, x: Any) -> bool:
        v = self.value
        if isinstance(v, str):
            same = str(x) == v
            return same if self.op == "eq" else not same
        try:
            x = float(x)
        except (TypeError, ValueError):
            raise ValueError(f"expected the query to return a number, got {x!r}") from None
        if self.op == "eq":
            return abs(x - v) <= self.tolerance
        if self.op == "ne":
            return abs(x - v) > self.tolerance
        if self.op == "lt":
            return x < v
        if self.op == "le":
            return x <= v
        if self.op == "gt":
            return x > v
        if self.op == "ge":
            return x >= v
        if self.op == "between":
            return v[0] <= x <= v[1]
        return abs(x - v) <= self.tolerance * abs(v)  # rel


class ContextQuery(_Strict):
    """A number shown next to a claim without being judged."""

    label: str
    query: str


class Requirement(_Strict):
    table: str
    through: Annotated[dt.date, Field(strict=False)]


class Claim(_Strict):
    id: str
    text: str
    speaker: str | None = None
    as_of: Annotated[dt.date | None, Field(strict=False)] = None
    checks: list[Check] = Field(default_factory=list)
    requires: list[Requirement] = Field(default_factory=list)
    reason: str | None = Field(default=None, description="why the claim cannot be checked")
    context: list[ContextQuery] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _checkable(self) -> Claim:
        if not self.checks and not self.reason:
            raise ValueError("expected 'checks' or a 'reason' why the claim is not checkable")
        return self


class ClaimsFile(_Strict):
    title: str
    as_of: Annotated[dt.date, Field(strict=False)]
    context: str | None = None
    claims: list[Claim]

    @model_validator(mode="after")
    def _ids(self) -> ClaimsFile:
        ids = [c.id for c in self.claims]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"claims: duplicate id {dup[0]!r}")
        return self


def bundled_claims() -> dict[str, Path]:
    root = Path(str(resources.files("standoff") / "data" / "claims"))
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}


def load_claims(path: str | Path | None = None) -> tuple[ClaimsFile, Path]:
    """Load a claims file (default: the bundled ``korea-2018``); errors name file and key."""
    if path is None:
        p = bundled_claims()["korea-2018"]
    else:
        p = Path(path)
        if not p.is_file() and str(path) in bundled_claims():
            p = bundled_claims()[str(path)]
    if not p.is_file():
        raise ClaimsError(f"{p}: file not found")
    from standoff._yaml import load_yaml_file  # bounded size and depth, no duplicate keys

    data = load_yaml_file(p, error=ClaimsError, what="claims YAML")
    if not isinstance(data, dict):
        raise ClaimsError(f"{p}: expected a YAML mapping with 'title', 'as_of' and 'claims'")
    try:
        return ClaimsFile.model_validate(data), p
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"]).lstrip(".")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "expected a value (required)"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key"
        raise ClaimsError(f"{p}: {loc}: {msg}") from None


#: time for all the queries of one claims file, whatever the number of as-of dates, in
#: seconds (one budget per file and per command: ``history claims``, ``brief --claims``)
CLAIMS_TIME_LIMIT_S = 30.0


def _scalar(res, where: str) -> Any:
    """The first value of a sandboxed query's result (``None`` if there is none)."""
    if res.error is not None:
        raise ClaimsError(f"{where}: query failed: {res.error}")
    df = res.frame
    if df is None or df.empty or df.shape[1] == 0:
        return None
    v = df.iloc[0, 0]
    if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()  # numpy scalar -> Python
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def _queries(claim: Claim) -> list[str]:
    return [c.query for c in claim.checks] + [c.query for c in claim.context]


def evaluate_claims(history: History, claims: ClaimsFile, origin: str = "claims") -> list[dict]:
    """Evaluate every claim; returns one dict per claim (JSON-ready).

    The claims' queries are untrusted SQL: they run in the sandbox
    (:mod:`standoff.store.sandbox`: read-only, no files, no ``COPY``/``ATTACH``/extensions,
    bounded memory), all of them in one worker with **one** time limit for the whole file
    (:data:`CLAIMS_TIME_LIMIT_S`), whatever the number of as-of dates: the queries of each
    date run on that date's view (its tables are built in the worker).
    """
    from standoff.store.sandbox import MEMORY_LIMIT_MB, Limits, run_batches

    by_cut: dict[dt.date, list[int]] = {}
    for k, claim in enumerate(claims.claims):
        by_cut.setdefault(claim.as_of or claims.as_of, []).append(k)
    views: dict[int, History] = {}
    answers: dict[int, list] = {}
    limits = Limits(seconds=CLAIMS_TIME_LIMIT_S, memory_mb=MEMORY_LIMIT_MB, max_rows=1)
    batches, cuts = [], []
    for cut, ks in by_cut.items():
        h = history
        if history.as_of_date is None or history.as_of_date.date() > cut:
            h = history.as_of(cut)  # cheap (no copy of the tables); refuses a bad date here
        cuts.append((h, ks))
        batches.append((_LazyTables(h), [q for k in ks for q in _queries(claims.claims[k])]))
    results = run_batches(batches, limits)
    for (h, ks), res in zip(cuts, results, strict=True):
        i = 0
        for k in ks:
            n = len(_queries(claims.claims[k]))
            views[k], answers[k] = h, res[i : i + n]
            i += n
    return [
        _evaluate_one(views[k], claim, f"{origin}: claims[{k}] ({claim.id})", answers[k])
        for k, claim in enumerate(claims.claims)
    ]


class _LazyTables(Mapping):
    """A view's SQL tables (``History.sql_tables``), the derived ones (the monthly panel, the
    sanctions regime) built only if a query names them: most claims read a base table, and a
    file with hundreds of as-of dates then stays well inside its time limit."""

    def __init__(self, view: History) -> None:
        self._view = view
        self._all: dict[str, pd.DataFrame] | None = None
        self._names = list(dict.fromkeys([*view.tables, *_DERIVED]))

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in self._view.tables:
            return self._view.tables[name]
        if self._all is None:
            self._all = self._view.sql_tables()
        return self._all[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


#: the tables ``History.sql_tables`` adds to the base tables
_DERIVED = ("monthly", "sanctions_regime", "meta")


def _evaluate_one(h: History, claim: Claim, where: str, answers: list) -> dict:
    out = {
        "id": claim.id,
        "text": claim.text,
        "speaker": claim.speaker,
        "as_of": str(h.as_of_date.date()) if h.as_of_date is not None else None,
        "verdict": None,
        "value": None,
        "checks": [],
        "context": [],
        "reason": claim.reason,
        "note": claim.note,
    }
    gaps = []
    for req in claim.requires:
        end = h.coverage_end(req.table)
        if end is None or end.date() < req.through:
            gaps.append(
                f"{req.table} data end {end.date() if end is not None else 'nowhere'}, "
                f"before {req.through.isoformat()}"
            )
    holds = []
    for j, chk in enumerate(claim.checks):
        x = _scalar(answers[j], f"{where}.checks[{j}]")
        try:
            ok = None if x is None else chk.holds(x)
        except ValueError as exc:
            raise ClaimsError(f"{where}.checks[{j}]: {exc}") from None
        if isinstance(x, float):
            x = round(x, 4)
        out["checks"].append(
            {"label": chk.label, "value": x, "expected": chk.expected(), "holds": ok}
        )
        holds.append(ok)
    for j, ctx in enumerate(claim.context):
        x = _scalar(answers[len(claim.checks) + j], f"{where}.context[{j}]")
        out["context"].append(
            {"label": ctx.label, "value": round(x, 4) if isinstance(x, float) else x}
        )
    if claim.checks:
        out["value"] = out["checks"][0]["value"]
    elif out["context"]:
        out["value"] = out["context"][0]["value"]
    if not claim.checks:
        out["verdict"] = "not checkable"
    elif gaps:
        out["verdict"] = "not checkable"
        out["reason"] = "; ".join(gaps)
    elif any(h_ is False for h_ in holds):
        out["verdict"] = "not supported"
    elif any(h_ is None for h_ in holds):
        out["verdict"] = "not checkable"
        out["reason"] = out["reason"] or "a query returned no value"
    else:
        out["verdict"] = "supported"
    return out
