"""Inputs of the bargaining models: one issue, its actors and their stances.

A :class:`Problem` is one issue dimension: each actor has a capability ``c >= 0``, a position
``x`` on the issue's own scale and a salience ``s`` in [0, 1]. Every model in
:mod:`standoff.bargaining` takes a :class:`Problem` and reports its forecast on the input's
own scale.

Three ways in, all validated here (errors are one line naming the file and the field):

* **Plain CSV or DataFrame** with the columns ``actor, capability, position, salience``
  (case-insensitive; ``influence``, ``power``, ``resources`` and ``clout`` are accepted for
  capability, ``name`` and ``stakeholder`` for actor). This is the layout of the public EUM
  replications (e.g. the ``Actor,Capability,Position,Salience`` files of the Scholz
  replications). Saliences may be on [0, 1] or on [0, 100]; a column whose largest value
  exceeds 1 is read as [0, 100] and divided by 100 (**project choice**).
* **KTAB CSV** (KAPSARC Toolkit for Behavioral Analysis, ``examples/smp/doc/*.csv``): a title
  line ``<name>,<description>,<numActors>,<numDims>,``, a header
  ``Actor,Description,<Influence>,<Dim> Position,<Dim> Salience,...`` and one row per actor.
  Positions and saliences are on [0, 100], and an actor's saliences summed over all dimensions
  must be <= 100 (KTAB's own rule). A position header may state the dimension's own scale,
  ``Years Position [4 .. 10]`` (a standoff extension that KTAB reads as a label); positions
  are then read on that scale instead of [0, 100], as they are with ``--scale lo,hi``.
  :func:`read_ktab` and :func:`write_ktab` round-trip the
  file, so KTAB users can bring their files and take them back. Each dimension becomes one
  :class:`Problem` (BDM's issue-by-issue practice).
* **Scenario files** (:mod:`standoff.scenario`): :func:`from_scenario` turns each entry of a
  scenario's ``issues`` section into a :class:`Problem` with the issue's scale and status quo.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from standoff.errors import DataError
from standoff.limits import (
    CSV_MAX_BYTES,
    MAX_ACTORS,
    MAX_FIELD_CHARS,
    check_text,
    clip,
    one_line,
    read_text_bounded,
)

#: Dimensions per KTAB file (**project choice**; KTAB's examples have at most a handful).
MAX_DIMENSIONS = 100

__all__ = [
    "KTABFile",
    "Problem",
    "from_frame",
    "from_scenario",
    "is_ktab",
    "make_problem",
    "read_csv",
    "read_file",
    "read_ktab",
    "to_ktab",
    "write_ktab",
]

_ALIASES = {
    "actor": ("actor", "name", "stakeholder"),
    "capability": ("capability", "influence", "power", "resources", "clout", "capabilities"),
    "position": ("position",),
    "salience": ("salience",),
}


@dataclass(frozen=True, eq=False)
class Problem:
    """One issue under negotiation: actors with capability, position and salience.

    Build it with :func:`make_problem` (validates) rather than directly.

    Attributes:
        name: issue id (a KTAB dimension name, a scenario issue id, or the file stem).
        actors: actor ids, in input order.
        capability: capabilities, ``>= 0``; only ratios matter.
        position: positions on the input's own scale.
        salience: saliences on [0, 1].
        scale: ``(min, max)`` of the issue's scale (the range of the positions if unknown).
        status_quo: the reference point, if the input gives one.
        source: where the problem came from (a file path or ``scenario:issue``), for messages.
        title: a human-readable title.
    """

    name: str
    actors: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    scale: tuple[float, float]
    status_quo: float | None = None
    source: str = "input"
    title: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return len(self.actors)

    @property
    def weight(self) -> np.ndarray:
        """Capability x salience, the weight of every first-cut and compromise forecast."""
        return self.capability * self.salience

    def with_values(self, *, capability=None, position=None, salience=None) -> Problem:
        """A copy with some arrays replaced (used by the ensemble; not re-validated)."""
        return Problem(
            name=self.name,
            actors=self.actors,
            capability=_ro(self.capability if capability is None else capability),
            position=_ro(self.position if position is None else position),
            salience=_ro(self.salience if salience is None else salience),
            scale=self.scale,
            status_quo=self.status_quo,
            source=self.source,
            title=self.title,
            meta=self.meta,
        )

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "actor": list(self.actors),
                "capability": self.capability,
                "position": self.position,
                "salience": self.salience,
            }
        )

    def equals(self, other: Problem) -> bool:
        """Same actors and values (bit for bit)."""
        return (
            self.name == other.name
            and self.actors == other.actors
            and np.array_equal(self.capability, other.capability)
            and np.array_equal(self.position, other.position)
            and np.array_equal(self.salience, other.salience)
            and self.scale == other.scale
            and self.status_quo == other.status_quo
        )


def _ro(a) -> np.ndarray:
    arr = np.array(a, dtype=float)
    arr.setflags(write=False)
    return arr


def _fmt(v: float) -> str:
    return f"{v:g}"


#: Largest capability and absolute position accepted (**project choice**): capabilities are
#: ratios, and within these bounds every product and sum of the models stays finite.
MAX_CAPABILITY = 1e12
MAX_POSITION = 1e12


def make_problem(
    actors: Sequence[str],
    capability: Sequence[float],
    position: Sequence[float],
    salience: Sequence[float],
    *,
    name: str = "issue",
    where: str = "input",
    scale: tuple[float, float] | None = None,
    status_quo: float | None = None,
    salience_scale: float | None = 1.0,
    title: str = "",
    meta: dict | None = None,
) -> Problem:
    """Validate arrays and build a :class:`Problem`.

    Args:
        salience_scale: 1 if saliences are on [0, 1], 100 if on [0, 100], ``None`` to detect
            (a largest value above 1 means [0, 100]; **project choice**).
        where: the file or field named in error messages.

    Raises:
        DataError: one line naming ``where``, the field and what was expected.
    """
    actors = tuple(str(a) for a in actors)
    n = len(actors)
    if n > MAX_ACTORS:
        raise DataError(f"{where}: expected at most {MAX_ACTORS} actors, got {n}")
    for k, a in enumerate(actors):
        check_text(a, f"{where}: actor {k + 1} name")
    cap = np.asarray(capability, dtype=float)
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    if not (cap.shape == pos.shape == sal.shape == (n,)):
        raise DataError(f"{where}: expected one capability, position and salience per actor")
    if n < 2:
        raise DataError(f"{where}: expected at least two actors, got {n}")
    seen: set[str] = set()
    dup = sorted({a for a in actors if a in seen or seen.add(a)})
    if dup:
        raise DataError(f"{where}: actor {clip(dup[0])} appears twice; expected unique actor names")
    for col, arr in (("capability", cap), ("position", pos), ("salience", sal)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            k = int(bad[0])
            raise DataError(
                f"{where}: actor {clip(actors[k])}, {col}: expected a finite number, got {arr[k]!r}"
            )
    if (cap < 0).any():
        k = int(np.flatnonzero(cap < 0)[0])
        raise DataError(
            f"{where}: actor {clip(actors[k])}, capability: expected a value >= 0, got {_fmt(cap[k])}"
        )
    if (cap > MAX_CAPABILITY).any():
        k = int(np.flatnonzero(cap > MAX_CAPABILITY)[0])
        raise DataError(
            f"{where}: actor {clip(actors[k])}, capability: expected a value in "
            f"[0, {MAX_CAPABILITY:g}] (only ratios matter), got {_fmt(cap[k])}"
        )
    if (np.abs(pos) > MAX_POSITION).any():
        k = int(np.flatnonzero(np.abs(pos) > MAX_POSITION)[0])
        raise DataError(
            f"{where}: actor {clip(actors[k])}, position: expected a value in "
            f"[-{MAX_POSITION:g}, {MAX_POSITION:g}], got {_fmt(pos[k])}"
        )
    smax = float(sal.max())
    if salience_scale is None:
        salience_scale = 100.0 if smax > 1.0 else 1.0
    if (sal < 0).any() or smax > salience_scale:
        k = int(np.flatnonzero((sal < 0) | (sal > salience_scale))[0])
        raise DataError(
            f"{where}: actor {clip(actors[k])}, salience: expected a value in [0, 1] or [0, 100], "
            f"got {_fmt(sal[k])}"
        )
    sal = sal / salience_scale
    if np.ptp(pos) == 0:
        raise DataError(
            f"{where}: position: all actors are at {_fmt(pos[0])}; expected at least two "
            "distinct positions (nothing to bargain over)"
        )
    if not (cap * sal > 0).any():
        raise DataError(
            f"{where}: expected at least one actor with capability > 0 and salience > 0"
        )
    if scale is None:
        scale = (float(pos.min()), float(pos.max()))
    lo, hi = float(scale[0]), float(scale[1])
    if not hi > lo or pos.min() < lo or pos.max() > hi:
        raise DataError(
            f"{where}: position: expected values within the scale [{_fmt(lo)}, {_fmt(hi)}]"
        )
    if status_quo is not None and not (math.isfinite(status_quo) and lo <= status_quo <= hi):
        raise DataError(f"{where}: status_quo: expected a value within [{_fmt(lo)}, {_fmt(hi)}]")
    return Problem(
        name=str(name),
        actors=actors,
        capability=_ro(cap),
        position=_ro(pos),
        salience=_ro(sal),
        scale=(lo, hi),
        status_quo=None if status_quo is None else float(status_quo),
        source=where,
        title=title,
        meta=dict(meta or {}),
    )


# --------------------------------------------------------------------------- plain CSV
def _numeric(df: pd.DataFrame, col: str, where: str, actors: list[str]) -> np.ndarray:
    out = np.empty(len(df))
    for k, raw in enumerate(df[col].tolist()):
        text = (
            "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        )
        try:
            out[k] = float(text)
        except ValueError:
            raise DataError(
                f"{where}: row {k + 2} (actor {clip(actors[k])}), column {clip(col)}: expected a number, "
                f"got {clip(text)}"
            ) from None
        if not math.isfinite(out[k]):
            raise DataError(
                f"{where}: row {k + 2} (actor {clip(actors[k])}), column {clip(col)}: expected a finite "
                f"number, got {clip(text)}"
            )
    return out


def from_frame(
    df: pd.DataFrame,
    *,
    name: str = "issue",
    where: str = "DataFrame",
    scale: tuple[float, float] | None = None,
    status_quo: float | None = None,
    salience_scale: float | None = None,
) -> Problem:
    """Build a :class:`Problem` from a DataFrame with actor/capability/position/salience columns.

    Column names are matched case-insensitively, with the aliases listed in the module
    docstring. Saliences on [0, 1] or [0, 100] (detected unless ``salience_scale`` is given).
    """
    lower = {str(c).strip().lower(): c for c in df.columns}
    cols = {}
    missing = []
    for key, names in _ALIASES.items():
        hit = next((lower[a] for a in names if a in lower), None)
        if hit is None:
            missing.append(key)
        cols[key] = hit
    if missing:
        raise DataError(
            f"{where}: missing column(s) {', '.join(repr(m) for m in missing)}; expected columns "
            "actor, capability, position, salience"
        )
    actors = [str(a).strip() for a in df[cols["actor"]].tolist()]
    for k, a in enumerate(actors):
        if a in ("", "nan", "None"):
            raise DataError(f"{where}: row {k + 2}, column 'actor': expected an actor name, got ''")
    cap = _numeric(df, cols["capability"], where, actors)
    pos = _numeric(df, cols["position"], where, actors)
    sal = _numeric(df, cols["salience"], where, actors)
    return make_problem(
        actors,
        cap,
        pos,
        sal,
        name=name,
        where=where,
        scale=scale,
        status_quo=status_quo,
        salience_scale=salience_scale,
    )


def read_csv(path: str | Path, *, scale: tuple[float, float] | None = None) -> Problem:
    """Read a plain CSV (columns actor, capability, position, salience) as one problem.

    ``scale`` is the issue's ``(min, max)``; by default the range of the positions."""
    path = Path(path)
    text = _read_text(path)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "no data"
        raise DataError(f"{path}: expected a CSV table ({msg})") from None
    df = df.loc[:, [c for c in df.columns if not str(c).startswith("Unnamed:")]]
    return from_frame(df, name=path.stem, where=str(path), scale=scale)


def _read_text(path: Path) -> str:
    """Read at most :data:`~standoff.limits.CSV_MAX_BYTES` of a regular file (not a device)."""
    return read_text_bounded(path, CSV_MAX_BYTES, "CSV", encoding="utf-8-sig")


# --------------------------------------------------------------------------- KTAB CSV
@dataclass(frozen=True, eq=False)
class KTABFile:
    """A KTAB SMP scenario CSV, kept in KTAB's own units (positions, saliences on [0, 100])."""

    name: str
    description: str
    influence_header: str
    dimensions: tuple[str, ...]
    position_headers: tuple[str, ...]
    salience_headers: tuple[str, ...]
    actors: tuple[str, ...]
    descriptions: tuple[str, ...]
    influence: np.ndarray  # (n,)
    positions: np.ndarray  # (n, d), on [0, 100]
    saliences: np.ndarray  # (n, d), on [0, 100]
    path: str = "KTAB CSV"
    #: per dimension, the scale stated in the position header, or None (KTAB's [0, 100])
    scales: tuple = ()

    def problems(self, scale: tuple[float, float] | None = None) -> list[Problem]:
        """One :class:`Problem` per dimension, on ``scale`` if given, else on the scale the
        position header states (``Years Position [4 .. 10]``), else on KTAB's [0, 100]."""
        out = []
        for d, dim in enumerate(self.dimensions):
            own = scale or (self.scales[d] if d < len(self.scales) else None) or (0.0, 100.0)
            out.append(
                make_problem(
                    self.actors,
                    self.influence,
                    self.positions[:, d],
                    self.saliences[:, d],
                    name=dim,
                    where=f"{self.path} [{dim}]",
                    scale=own,
                    salience_scale=100.0,
                    title=self.description,
                    meta={"ktab": self.name},
                )
            )
        return out

    def equals(self, other: KTABFile) -> bool:
        return (
            self.name == other.name
            and self.description == other.description
            and self.influence_header == other.influence_header
            and self.dimensions == other.dimensions
            and self.position_headers == other.position_headers
            and self.salience_headers == other.salience_headers
            and self.actors == other.actors
            and self.descriptions == other.descriptions
            and np.array_equal(self.influence, other.influence)
            and np.array_equal(self.positions, other.positions)
            and np.array_equal(self.saliences, other.saliences)
            and self.scales == other.scales
        )


def _rows(text: str, where: str = "CSV") -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    try:
        for row in reader:
            cells = [c.strip() for c in row]
            while cells and cells[-1] == "":  # KTAB tolerates a trailing comma
                cells.pop()
            if cells:
                rows.append(cells)
    except csv.Error as exc:
        raise DataError(
            f"{where}: line {reader.line_num}: expected a CSV row ({one_line(str(exc), 120)}); "
            f"fields may be at most {MAX_FIELD_CHARS} characters"
        ) from None
    return rows


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def is_ktab(text: str) -> bool:
    """Does this CSV text start like a KTAB scenario file (title line, then ``Actor,...``)?"""
    rows = _rows("\n".join(text.splitlines()[:2]))
    return (
        len(rows) == 2
        and len(rows[0]) >= 4
        and _int(rows[0][2]) is not None
        and _int(rows[0][3]) is not None
        and rows[1][0].lower() == "actor"
    )


_SCALE_IN_HEADER = re.compile(
    r"\s*\[\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*\.\.\s*([-+]?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*\]\s*$"
)


def _header_scale(header: str, where: str) -> tuple[str, tuple[float, float] | None]:
    """Split ``"Years Position [4 .. 10]"`` into ``("Years Position", (4.0, 10.0))``.

    A position header may state the dimension's own scale as ``[min .. max]`` (a standoff
    extension: KTAB reads the header as a label, so the file stays a valid KTAB file)."""
    m = _SCALE_IN_HEADER.search(header)
    if not m:
        return header, None
    try:
        lo, hi = float(m[1]), float(m[2])
    except ValueError:
        raise DataError(f"{where}: header {clip(header)}: expected a scale [min .. max]") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo) or max(abs(lo), abs(hi)) > 1e12:
        raise DataError(
            f"{where}: header {clip(header)}: expected a scale [min .. max] with finite min < max"
        )
    return header[: m.start()].rstrip(), (lo, hi)


def _dim_name(header: str) -> str:
    h = _header_scale(header, "header")[0].strip()
    for suffix in (" position", " pos", " pstn"):
        if h.lower().endswith(suffix):
            return h[: -len(suffix)].strip() or h
    return h


def read_ktab(
    path: str | Path, text: str | None = None, *, scale: tuple[float, float] | None = None
) -> KTABFile:
    """Read a KTAB SMP CSV scenario file (see the module docstring for the format).

    Positions must lie in [0, 100] (KTAB's rule), or in the scale a position header states
    (``Years Position [4 .. 10]``), or in ``scale`` when given (``--scale``)."""
    path = Path(path)
    if text is None:
        text = _read_text(path)
    rows = _rows(text, str(path))
    if len(rows) < 2 or len(rows[0]) < 4:
        raise DataError(
            f"{path}: line 1: expected the KTAB title line '<name>,<description>,<numActors>,"
            "<numDims>,'"
        )
    n_act, n_dim = _int(rows[0][2]), _int(rows[0][3])
    if n_act is None or n_dim is None or n_dim < 1:
        raise DataError(
            f"{path}: line 1: expected integers numActors and numDims in fields 3 and 4, got "
            f"{clip(rows[0][2], 20)}, {clip(rows[0][3], 20)}"
        )
    if not 2 <= n_act <= MAX_ACTORS:
        raise DataError(
            f"{path}: line 1: expected numActors in [2, {MAX_ACTORS}], got {clip(n_act, 30)}"
        )
    if n_dim > MAX_DIMENSIONS:
        raise DataError(
            f"{path}: line 1: expected numDims in [1, {MAX_DIMENSIONS}], got {clip(n_dim, 30)}"
        )
    header = rows[1]
    need = 3 + 2 * n_dim
    if len(header) != need or header[0].lower() != "actor":
        raise DataError(
            f"{path}: line 2: expected the header Actor,Description,Influence and a Position and "
            f"a Salience column for each of the {n_dim} dimensions ({need} columns), got "
            f"{len(header)} columns"
        )
    pos_h = tuple(header[3 + 2 * d] for d in range(n_dim))
    own = tuple(_header_scale(h, str(path))[1] for h in pos_h)
    bounds = [scale or own[d] or (0.0, 100.0) for d in range(n_dim)]
    body = rows[2:]
    if len(body) != n_act:
        raise DataError(f"{path}: expected {n_act} actor rows (numActors, line 1), got {len(body)}")
    actors, descs = [], []
    infl = np.empty(n_act)
    pos = np.empty((n_act, n_dim))
    sal = np.empty((n_act, n_dim))
    for r, row in enumerate(body):
        line = r + 3
        if len(row) != need:
            raise DataError(f"{path}: line {line}: expected {need} fields, got {len(row)}")
        actors.append(row[0])
        descs.append(row[1])
        vals = []
        for c in range(2, need):
            try:
                v = float(row[c])
            except ValueError:
                raise DataError(
                    f"{path}: line {line} (actor {clip(row[0])}), column {clip(header[c])}: expected a "
                    f"number, got {clip(row[c])}"
                ) from None
            if not math.isfinite(v):
                raise DataError(
                    f"{path}: line {line} (actor {clip(row[0])}), column {clip(header[c])}: expected a "
                    f"finite number, got {clip(row[c])}"
                )
            vals.append(v)
        infl[r] = vals[0]
        pos[r] = vals[1::2]
        sal[r] = vals[2::2]
        for d in range(n_dim):
            lo_d, hi_d = bounds[d]
            if not lo_d <= pos[r, d] <= hi_d:
                kind = "a position" if scale or own[d] else "a KTAB position"
                raise DataError(
                    f"{path}: line {line} (actor {clip(row[0])}), column {clip(header[3 + 2 * d])}: "
                    f"expected {kind} in [{lo_d:g}, {hi_d:g}], got {clip(row[3 + 2 * d])}"
                )
            if not 0 <= sal[r, d] <= 100:
                raise DataError(
                    f"{path}: line {line} (actor {clip(row[0])}), column {clip(header[4 + 2 * d])}: "
                    f"expected a salience in [0, 100], got {clip(row[4 + 2 * d])}"
                )
        if sal[r].sum() > 100 + 1e-9:
            raise DataError(
                f"{path}: line {line} (actor {clip(row[0])}): saliences sum to {sal[r].sum():g}; "
                "KTAB expects an actor's saliences to sum to at most 100"
            )
        if infl[r] < 0:
            raise DataError(
                f"{path}: line {line} (actor {clip(row[0])}), column {clip(header[2])}: expected a "
                f"capability >= 0, got {clip(row[2])}"
            )
    sal_h = tuple(header[4 + 2 * d] for d in range(n_dim))
    dims = tuple(_dim_name(h) for h in pos_h)
    if len(set(dims)) != len(dims):
        dims = tuple(f"{d} ({k + 1})" for k, d in enumerate(dims))
    return KTABFile(
        name=rows[0][0],
        description=rows[0][1],
        influence_header=header[2],
        dimensions=dims,
        position_headers=pos_h,
        salience_headers=sal_h,
        actors=tuple(actors),
        descriptions=tuple(descs),
        influence=_ro(infl),
        positions=_ro(pos),
        saliences=_ro(sal),
        path=str(path),
        scales=own,
    )


def write_ktab(ktab: KTABFile, path: str | Path | None = None) -> str:
    """Write a :class:`KTABFile` in KTAB's CSV format; returns the text (and writes ``path``).

    Numbers are written with ``repr`` precision so that :func:`read_ktab` reads back the same
    values bit for bit.
    """

    def num(v: float) -> str:
        return repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    n, d = ktab.positions.shape
    w.writerow([ktab.name, ktab.description, n, d, ""])
    head = ["Actor", "Description", ktab.influence_header]
    for p, s in zip(ktab.position_headers, ktab.salience_headers, strict=True):
        head += [p, s]
    w.writerow([*head, ""])
    for i in range(n):
        row = [ktab.actors[i], ktab.descriptions[i], num(ktab.influence[i])]
        for k in range(d):
            row += [num(ktab.positions[i, k]), num(ktab.saliences[i, k])]
        w.writerow([*row, ""])
    text = buf.getvalue()
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def to_ktab(
    problems: Sequence[Problem], *, name: str = "standoff", description: str = ""
) -> KTABFile:
    """Express problems that share one actor list as a KTAB file (positions rescaled to [0, 100]).

    Saliences are divided by the number of dimensions when their sum would exceed 100, as KTAB
    requires (**project choice**).
    """
    actors = problems[0].actors
    for p in problems[1:]:
        if p.actors != actors:
            raise DataError(f"{p.source}: expected the same actors on every dimension")
    pos = np.column_stack(
        [100.0 * (p.position - p.scale[0]) / (p.scale[1] - p.scale[0]) for p in problems]
    )
    sal = np.column_stack([100.0 * p.salience for p in problems])
    tot = sal.sum(axis=1, keepdims=True)
    sal = np.where(tot > 100, sal * 100 / np.maximum(tot, 1e-300), sal)
    dims = tuple(p.name for p in problems)
    return KTABFile(
        name=name,
        description=description or name,
        influence_header="Influence",
        dimensions=dims,
        position_headers=tuple(f"{d} Position" for d in dims),
        salience_headers=tuple(f"{d} Salience" for d in dims),
        actors=actors,
        descriptions=actors,
        influence=_ro(problems[0].capability),
        positions=_ro(pos),
        saliences=_ro(sal),
        scales=tuple(None for _ in dims),  # positions rescaled to KTAB's [0, 100]
    )


def read_file(path: str | Path, *, scale: tuple[float, float] | None = None) -> list[Problem]:
    """Read a KTAB CSV (one problem per dimension) or a plain CSV (one problem).

    ``scale`` overrides the issue scale of every problem (``--scale lo,hi``)."""
    path = Path(path)
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"{path}: file is empty; expected a CSV table")
    if is_ktab(text):
        return read_ktab(path, text, scale=scale).problems(scale)
    return [read_csv(path, scale=scale)]


# --------------------------------------------------------------------------- scenarios
def from_scenario(scn) -> list[Problem]:
    """One :class:`Problem` per issue of a :class:`standoff.scenario.Scenario`."""
    out = []
    for issue in scn.issues:
        df = scn.positions_frame(issue.id)
        out.append(
            make_problem(
                df["actor"].tolist(),
                df["capability"],
                df["position"],
                df["salience"],
                name=issue.id,
                where=f"scenario {scn.name}: issues.{issue.id}",
                scale=(issue.scale.min, issue.scale.max),
                status_quo=None if issue.status_quo is None else issue.status_quo.value,
                salience_scale=1.0,
                title=issue.title,
                meta={
                    "low": issue.scale.low,
                    "high": issue.scale.high,
                    "question": issue.question or "",
                },
            )
        )
    return out
