"""The case descriptor (``standoff/data/cases/<name>/case.yaml``), validated by pydantic.

A case is data (sourced history tables, scenario files) plus this small declarative
description: the tables and their schemas, their as-of rules, the coverage keys, how the
monthly panel is built (:mod:`standoff.cases.panel`), the targets, the leading information,
the summaries and timeline, and (declared now, used by the simulator later) the model
components. The reference is ``docs/cases.md``.

:func:`load_spec` parses and validates the file; every problem is one line naming the file,
the key path and what was expected (:class:`~standoff.errors.DataError`). Cross-references
(tables, columns, coverage keys, source ids) are checked by :class:`standoff.cases.Case`,
which knows the tables.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from standoff.errors import DataError
from standoff.limits import clip, one_line

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
CaseName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=32)]
Scalar = str | int | float | bool
#: registered code a descriptor may name instead of declaring (the Korean case keeps its
#: panel, summary and timeline code; every other case declares them)
REGISTERED = ("korea",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------- tables
class ColumnSpec(_Strict):
    """One column of a table: its type, whether a value is required, its choices or domain."""

    name: Ident
    type: Literal["str", "date", "int", "float", "bool"] = "str"
    required: bool = False
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _shape(self) -> ColumnSpec:
        if self.choices is not None and self.type != "str":
            raise ValueError("choices: only for a str column")
        if (self.min is not None or self.max is not None) and self.type not in ("int", "float"):
            raise ValueError("min/max: only for an int or float column")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min: expected a value <= max")
        return self


class TableSpec(_Strict):
    """A history table and its as-of rules.

    ``known_from``: the column whose date must be on or before a cut for a row to exist in
    the as-of view (default ``known_from`` when the table has one; a table without it is
    not cut, except ``coverage``). ``interval_ends``: ends of intervals, blanked when they
    lie after the cut (still open as of the cut); ``interval_notes``: columns explaining
    such an end, blanked with it. ``date``: the event date (``known_from`` may not precede
    it; summaries and the timeline use it). ``references``: ``column: table.column``.
    """

    title: str | None = None
    columns: tuple[ColumnSpec, ...] | None = None
    date: Ident | None = None
    known_from: Ident | None = None
    interval_ends: tuple[Ident, ...] = ()
    interval_notes: tuple[Ident, ...] = ()
    references: dict[Ident, str] = {}
    optional: bool = False
    build: TableBuild | None = None

    @field_validator("columns")
    @classmethod
    def _unique(cls, v):
        if v is not None:
            names = [c.name for c in v]
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"duplicate column {dup[0]!r}")
        return v


class PartialDate(_Strict):
    """A built date column read from a curated partial date (``2012``, ``2012-05``,
    ``2012-05-23``, ``2012-05-23 to 2012-05-24``; :func:`standoff._dates.parse_partial`)."""

    column: Ident  # the built column
    source: Ident | None = None  # the curated column (default: the same name)
    take: Literal["start", "end"] = "start"  # start or end of the partial date's period
    fallback: Ident | None = None  # the curated column read when this one is empty


class TableBuild(_Strict):
    """How ``scripts/build_case.py`` builds the table from its curated CSV (see docs/cases.md).

    ``dates`` turn partial dates into days; ``precision`` names the column that receives the
    precision of the first date (``range`` when ``range_from`` -- a later column -- is
    given and lies in another period); ``known_from`` is the end of the first date's
    (first component's) period, or a later explicit curated value when ``explicit_known_from``;
    ``count_ids``: ``column: source`` fills a column with the number of ids in another;
    ``sort``: the row order.
    """

    dates: tuple[PartialDate, ...] = ()
    precision: Ident | None = None
    range_from: Ident | None = None
    range_if: Literal["other_period", "given"] = "other_period"
    known_from: bool = True
    explicit_known_from: bool = False
    count_ids: dict[Ident, Ident] = {}
    ordered: tuple[tuple[Ident, Ident], ...] = ()  # (earlier, later) columns that must not invert
    sort: tuple[Ident, ...] = ("id",)


TableSpec.model_rebuild()


class CoverageSpec(_Strict):
    """Coverage keys (a table, or a family of targets drawn from one with its own span),
    each naming its table. ``spans: one``: exactly one row per key (unless its table is
    optional and empty); ``many``: zero or more disjoint spans per key (a key without a row
    is not covered: its panel columns are missing, as in an as-of cut before it starts)."""

    keys: dict[Ident, Ident]
    spans: Literal["one", "many"] = "one"


# ---------------------------------------------------------------------- panel
Where = dict[Ident, Scalar | None | list[Scalar]]


class _Op(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*(\{column\}[a-z0-9_]*)?$", max_length=64)
    coverage: Ident
    type: Literal["int", "float"] = "int"
    table: Ident
    where: Where = {}
    label: str | None = None


class Count(_Op):
    """Rows dated in the month (``indicator``: 1 if any)."""

    op: Literal["count"]
    date: Ident | None = None
    indicator: bool = False


class Spans(_Op):
    """Intervals [start, end] overlapping the month (``indicator``: 1 if any). A missing end
    means a one-day row (``missing_end: start``) or an open interval (``open``); a span
    (``date_precision`` ``range``) whose end is missing -- as in an as-of view, where ends
    after the cut are blanked -- is still running."""

    op: Literal["spans"]
    start: Ident | None = None
    end: Ident
    missing_end: Literal["start", "open"] = "start"
    indicator: bool = False


class Latest(_Op):
    """The value(s) of the latest row (by ``order``) on or before the month's end among the
    rows with a value; ``default`` before the first such row (else missing). ``columns``
    with ``{column}`` in the name makes one panel column per listed column."""

    op: Literal["latest"]
    value: Ident | None = None
    columns: tuple[Ident, ...] | None = None
    order: tuple[Ident, ...]
    default: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Latest:
        if (self.value is None) == (self.columns is None):
            raise ValueError("expected either value or columns")
        if (self.columns is not None) != ("{column}" in self.name):
            raise ValueError("name: with columns, expected a name containing {column}")
        return self


class MaxSoFar(_Op):
    """The largest value among the rows (by ``order``) on or before the month's end."""

    op: Literal["max_so_far"]
    value: Ident
    order: tuple[Ident, ...]


class Rises(_Op):
    """1 if a row (in ``order``) dated in the month has a value above the previous row's
    (``against: previous``) or above every earlier value (``against: maximum``); ``initial``
    is the value before the first row (none: the first row always counts)."""

    op: Literal["rises"]
    value: Ident
    order: tuple[Ident, ...]
    against: Literal["previous", "maximum"]
    initial: float | None = None


class Threshold(_Strict):
    value: Ident
    above: float | None = None
    at_least: float | None = None
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Threshold:
        if (self.above is None) == (self.at_least is None):
            raise ValueError("expected either above or at_least")
        if not (self.source or self.assumption):
            raise ValueError("expected a source (an id) or an assumption (its rationale)")
        return self


class Thresholds(_Op):
    """Thresholds reached by the first row (by ``order``) that reaches each: 1 if one is
    first reached in the month (``measure: first_reached``), or how many are reached by the
    month's end (``count_reached``)."""

    op: Literal["thresholds"]
    order: tuple[Ident, ...]
    thresholds: tuple[Threshold, ...] = Field(min_length=1)
    measure: Literal["first_reached", "count_reached"]


class Flag(_Op):
    """1 if a row dated in the month has ``value`` true; missing if none has and one row's
    value is not known; 0 otherwise."""

    op: Literal["flag"]
    value: Ident
    date: Ident | None = None


class LevelIndex(_Op):
    """``100 x sum of the levels / (max_level x number of columns)`` of the latest row (by
    ``order``) on or before the month's end (0 before the first row), rounded."""

    op: Literal["level_index"]
    columns: tuple[Ident, ...] = Field(min_length=1)
    order: tuple[Ident, ...]
    max_level: float = Field(gt=0)
    digits: int = Field(4, ge=0, le=12)


class Scheduled(_Op):
    """1 if an event (rows sharing ``event_key``) whose latest row known at the month's
    information cut has an ``active`` action has a planned window overlapping the month
    (:func:`standoff.history.leading.information_cuts`: the month's first day for a month
    complete by the as-of date, else the as-of date)."""

    op: Literal["scheduled"]
    active: tuple[str, ...] = Field(min_length=1)


PanelColumn = Annotated[
    Count | Spans | Latest | MaxSoFar | Rises | Thresholds | Flag | LevelIndex | Scheduled,
    Field(discriminator="op"),
]
OPS = ("count", "spans", "latest", "max_so_far", "rises", "thresholds", "flag", "level_index")
OPS += ("scheduled",)


class PanelSpec(_Strict):
    """The monthly panel: one row per month from ``start`` to the last month the latest
    coverage spans completely; either declared ``columns`` or a registered ``builder``."""

    start: str = Field(pattern=r"^\d{4}-\d{2}$")
    builder: Literal[REGISTERED] | None = None  # type: ignore[valid-type]
    columns: tuple[PanelColumn, ...] | None = None

    @model_validator(mode="after")
    def _one(self) -> PanelSpec:
        if (self.builder is None) == (self.columns is None):
            raise ValueError("expected either columns or a registered builder")
        return self


# ---------------------------------------------------------------------- targets, model
class TargetSpec(_Strict):
    """A forecast target: a binary event (the panel column > 0 in a month) or a count."""

    name: Ident
    kind: Literal["binary", "count"]
    label: str = Field(min_length=1, max_length=120)
    definition: str = Field(min_length=1)
    column: Ident
    coverage: Ident
    sources: tuple[str, ...] = ()
    assumption: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> TargetSpec:
        if not (self.sources or self.assumption):
            raise ValueError("expected sources (ids) or an assumption (its rationale)")
        return self


class ComponentSpec(_Strict):
    """A model component (used by the simulator from phase 2b): the target it explains, its
    form, and its covariates (panel columns; ``builder`` components use registered code)."""

    name: Ident
    target: Ident
    form: Literal["logit", "negbin"]
    covariates: tuple[Ident, ...] | None = None
    note: str | None = None


class ModelSpec(_Strict):
    builder: Literal[REGISTERED] | None = None  # type: ignore[valid-type]
    components: tuple[ComponentSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _covariates(self) -> ModelSpec:
        for i, c in enumerate(self.components):
            if self.builder is None and c.covariates is None:
                raise ValueError(f"components[{i}].covariates: expected a list (no builder)")
        return self


class LeadingSpec(_Strict):
    """Leading information: the table of what was known in advance and the panel columns
    derived from it as known at each month's information cut (or a registered builder)."""

    table: Ident
    builder: Literal[REGISTERED] | None = None  # type: ignore[valid-type]
    columns: tuple[Ident, ...] = ()

    @model_validator(mode="after")
    def _one(self) -> LeadingSpec:
        if (self.builder is None) == (not self.columns):
            raise ValueError("expected either columns or a registered builder")
        return self


# ---------------------------------------------------------------------- summary, timeline
class SummaryCount(_Strict):
    name: Ident
    label: str
    table: Ident
    where: Where = {}
    date: Ident | None = None  # for --by year (default: the table's date)
    coverage: Ident | None = None  # years it does not cover at all are missing


class SummaryLatest(_Strict):
    name: Ident
    label: str
    column: Ident  # a panel column: its last value known


class SummarySpec(_Strict):
    builder: Literal[REGISTERED] | None = None  # type: ignore[valid-type]
    unit: str | None = None
    counts: tuple[SummaryCount, ...] = ()
    latest: tuple[SummaryLatest, ...] = ()
    by: tuple[Literal["year"], ...] = ("year",)

    @model_validator(mode="after")
    def _one(self) -> SummarySpec:
        if (self.builder is None) == (not self.counts):
            raise ValueError("expected either counts or a registered builder")
        return self


_TEMPLATE = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class TimelineKind(_Strict):
    """One table in the timeline: ``kind`` and ``what`` are text with ``{column}``
    placeholders (nothing else is interpreted; a missing value reads "–")."""

    date: Ident | None = None  # default: the table's date
    kind: str
    what: str
    where: Where = {}


class TimelineSpec(_Strict):
    builder: Literal[REGISTERED] | None = None  # type: ignore[valid-type]
    default: tuple[Ident, ...] = ()
    kinds: dict[Ident, TimelineKind] = {}

    @model_validator(mode="after")
    def _one(self) -> TimelineSpec:
        if (self.builder is None) == (not self.kinds):
            raise ValueError("expected either kinds or a registered builder")
        unknown = [k for k in self.default if k not in self.kinds and self.builder is None]
        if unknown:
            raise ValueError(f"default: {unknown[0]!r} is not one of the kinds")
        return self


class BuildSpec(_Strict):
    """Where ``scripts/build_case.py`` reads the curated tables (a path in the repository)."""

    curated: str
    cite_column: Ident | None = None  # sources column listing the tables that cite each source


# ---------------------------------------------------------------------- the case
class CaseSpec(_Strict):
    name: CaseName
    title: str = Field(min_length=1, max_length=120)
    description: str = ""
    history: str  # directory of the built tables, relative to the descriptor
    scenarios: str  # directory of the scenario files, relative to the descriptor
    schemas: Literal[REGISTERED] | None = None  # type: ignore[valid-type]
    tables: dict[Ident, TableSpec]
    coverage: CoverageSpec
    panel: PanelSpec
    targets: tuple[TargetSpec, ...] = Field(min_length=1)
    leading: LeadingSpec | None = None
    summary: SummarySpec
    timeline: TimelineSpec
    model: ModelSpec
    derived_tables: tuple[Literal["sanctions_regime"], ...] = ()
    #: the tables have vintages (``standoff history update``; the Korean sources only)
    vintages: bool = False
    build: BuildSpec | None = None

    @model_validator(mode="after")
    def _tables(self) -> CaseSpec:
        for need in ("sources", "coverage"):
            if need not in self.tables:
                raise ValueError(f"tables: expected a {need!r} table")
        if self.schemas is None:
            for name, t in self.tables.items():
                if t.columns is None:
                    raise ValueError(f"tables.{name}.columns: expected the table's columns")
        names = [t.name for t in self.targets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"targets: duplicate target {dup[0]!r}")
        return self


def _loc(loc: tuple) -> str:
    out = ""
    prev = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(prev, int) and part in OPS:
            pass  # the discriminator of a panel column: its index says where
        else:
            out += ("." if out else "") + str(part)
        prev = part
    return out


def load_spec(path: Path) -> CaseSpec:
    """Read and validate a descriptor; one :class:`DataError` line naming file and key."""
    from standoff._yaml import load_yaml_file

    data = load_yaml_file(path, error=DataError, what="case descriptor")
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a YAML mapping at the top level")
    try:
        return CaseSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "expected a value (required)"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the case descriptor)"
        elif "input" in err and err["type"] != "value_error":
            msg = f"{msg}, got {clip(err['input'])}"
        raise DataError(one_line(f"{path}: {loc + ': ' if loc else ''}{msg}")) from None
