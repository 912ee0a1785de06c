"""Multi-dimensional bargaining inputs: actors with a position and a salience on every dimension.

A :class:`SpatialProblem` is several issues negotiated at once (a *deal space*): each actor
has one capability, a position on every dimension (on that dimension's own scale) and a
salience per dimension. Saliences are on [0, 1] and an actor's saliences sum to at most 1
(KTAB's rule: "no more than 100% of attention to all issues"). Each dimension may state its
status quo and whether it is a **two-outcome** issue (only its two ends can be the outcome,
e.g. a yes/no decision).

Ways in:

* a KTAB SMP CSV (:func:`from_ktab`; positions and saliences on [0, 100], or a dimension's
  own scale stated in its position header, ``Years Position [4 .. 10]``);
* a scenario's ``deal_space`` section (:func:`standoff.bargaining.deal.deal_problem`);
* arrays (:func:`make_spatial`, validated).

Ways out: one 1-D :class:`~standoff.bargaining.inputs.Problem` per dimension
(:meth:`SpatialProblem.problems`, for the one-issue models), and a KTAB CSV
(:meth:`SpatialProblem.to_ktab`, positions rescaled to KTAB's [0, 100]).

The models work on the **unit cube**: every dimension rescaled to [0, 1] by its scale
(:meth:`SpatialProblem.unit_position`), as KTAB's SMP does (it divides the CSV's [0, 100]
values by 100).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from standoff.bargaining.inputs import (
    MAX_CAPABILITY,
    MAX_DIMENSIONS,
    KTABFile,
    Problem,
    _ro,
    make_problem,
)
from standoff.errors import DataError
from standoff.limits import MAX_ACTORS, check_text, clip

__all__ = ["SpatialProblem", "from_ktab", "make_spatial"]


@dataclass(frozen=True, eq=False)
class SpatialProblem:
    """Several issues negotiated at once (see the module docstring).

    Attributes:
        name: a short id (the KTAB scenario name, or the scenario's deal-space id).
        actors: actor ids, in input order.
        capability: ``(n,)`` capabilities ``>= 0``; only ratios matter.
        position: ``(n, d)`` positions, each dimension on its own scale.
        salience: ``(n, d)`` saliences on [0, 1]; each row sums to at most 1.
        dimensions: ``d`` dimension ids.
        scales: per dimension ``(min, max)``.
        status_quo: per dimension the reference point, or ``None``.
        two_outcome: per dimension, True if only the two ends of the scale can be the outcome.
        titles: per dimension a human title (defaults to the id).
        labels: per dimension ``(low, high)``: what the two ends mean (may be empty).
        steps: per dimension the ordered values a package may take (``()``: continuous).
        source: where the problem came from, for messages.
        title: a human title of the whole problem.
    """

    name: str
    actors: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    dimensions: tuple[str, ...]
    scales: tuple[tuple[float, float], ...]
    status_quo: tuple[float | None, ...]
    two_outcome: tuple[bool, ...]
    titles: tuple[str, ...]
    labels: tuple[tuple[str, str], ...] = ()
    steps: tuple[tuple[float, ...], ...] = ()
    source: str = "input"
    title: str = ""
    descriptions: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def n(self) -> int:
        return len(self.actors)

    @property
    def d(self) -> int:
        return len(self.dimensions)

    @property
    def lo(self) -> np.ndarray:
        return np.array([s[0] for s in self.scales])

    @property
    def hi(self) -> np.ndarray:
        return np.array([s[1] for s in self.scales])

    def unit_position(self) -> np.ndarray:
        """Positions rescaled to [0, 1] per dimension (KTAB's internal scale)."""
        lo, hi = self.lo, self.hi
        return (self.position - lo) / (hi - lo)

    def to_unit(self, x) -> np.ndarray:
        """Points on the dimensions' own scales -> the unit cube (last axis = dimensions)."""
        return (np.asarray(x, dtype=float) - self.lo) / (self.hi - self.lo)

    def from_unit(self, u) -> np.ndarray:
        """Points on the unit cube -> the dimensions' own scales (last axis = dimensions)."""
        return self.lo + np.asarray(u, dtype=float) * (self.hi - self.lo)

    def status_quo_point(self) -> np.ndarray | None:
        """The status quo as a point, if every dimension states one."""
        if any(v is None for v in self.status_quo):
            return None
        return np.array(self.status_quo, dtype=float)

    def index(self, dim: str) -> int:
        try:
            return self.dimensions.index(dim)
        except ValueError:
            raise DataError(
                f"{self.source}: unknown dimension {clip(dim)} (expected one of "
                f"{', '.join(self.dimensions)})"
            ) from None

    def problem(self, k: int) -> Problem:
        """Dimension ``k`` as a one-issue :class:`Problem` (for the one-issue models)."""
        lo, hi = self.scales[k]
        low, high = self.labels[k] if self.labels else ("", "")
        return make_problem(
            self.actors,
            self.capability,
            self.position[:, k],
            self.salience[:, k],
            name=self.dimensions[k],
            where=f"{self.source} [{self.dimensions[k]}]",
            scale=(lo, hi),
            status_quo=self.status_quo[k],
            salience_scale=1.0,
            title=self.titles[k],
            meta={"low": low, "high": high, "two_outcome": self.two_outcome[k]},
        )

    def problems(self) -> list[Problem]:
        return [self.problem(k) for k in range(self.d)]

    def to_ktab(self, *, name: str | None = None, description: str | None = None) -> KTABFile:
        """This problem as a KTAB CSV in KTAB's own units (positions and saliences on
        [0, 100]); write it with :func:`~standoff.bargaining.inputs.write_ktab`."""
        pos = 100.0 * self.unit_position()
        sal = 100.0 * self.salience
        dims = self.dimensions
        return KTABFile(
            name=name or self.name,
            description=description or self.title or self.name,
            influence_header="Influence",
            dimensions=dims,
            position_headers=tuple(f"{d} Position" for d in dims),
            salience_headers=tuple(f"{d} Salience" for d in dims),
            actors=self.actors,
            descriptions=self.descriptions or self.actors,
            influence=_ro(self.capability),
            positions=_ro(pos),
            saliences=_ro(sal),
            scales=tuple(None for _ in dims),
        )

    def with_values(self, *, capability=None, position=None, salience=None) -> SpatialProblem:
        """A copy with some arrays replaced (perturbations; not re-validated)."""
        from dataclasses import replace

        return replace(
            self,
            capability=_ro(self.capability if capability is None else capability),
            position=_ro(self.position if position is None else position),
            salience=_ro(self.salience if salience is None else salience),
        )


def make_spatial(
    actors: Sequence[str],
    capability,
    position,
    salience,
    *,
    dimensions: Sequence[str],
    scales: Sequence[tuple[float, float]] | None = None,
    status_quo: Sequence[float | None] | None = None,
    two_outcome: Sequence[bool] | None = None,
    titles: Sequence[str] | None = None,
    labels: Sequence[tuple[str, str]] | None = None,
    steps: Sequence[Sequence[float]] | None = None,
    name: str = "deal",
    where: str = "input",
    title: str = "",
    descriptions: Sequence[str] | None = None,
    meta: dict | None = None,
) -> SpatialProblem:
    """Validate arrays and build a :class:`SpatialProblem` (saliences on [0, 1]).

    Raises:
        DataError: one line naming ``where``, the actor or dimension and what was expected.
    """
    actors = tuple(str(a) for a in actors)
    n = len(actors)
    dims = tuple(str(d) for d in dimensions)
    d = len(dims)
    if n > MAX_ACTORS:
        raise DataError(f"{where}: expected at most {MAX_ACTORS} actors, got {n}")
    if n < 2:
        raise DataError(f"{where}: expected at least two actors, got {n}")
    if not 1 <= d <= MAX_DIMENSIONS:
        raise DataError(f"{where}: expected 1 to {MAX_DIMENSIONS} dimensions, got {d}")
    for k, a in enumerate(actors):
        check_text(a, f"{where}: actor {k + 1} name")
    if len(set(actors)) != n:
        dup = next(a for a in actors if actors.count(a) > 1)
        raise DataError(f"{where}: actor {clip(dup)} appears twice; expected unique actor names")
    if len(set(dims)) != d:
        dup = next(x for x in dims if dims.count(x) > 1)
        raise DataError(f"{where}: dimension {clip(dup)} appears twice")
    cap = np.asarray(capability, dtype=float)
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    if cap.shape != (n,) or pos.shape != (n, d) or sal.shape != (n, d):
        raise DataError(
            f"{where}: expected one capability per actor and a position and a salience per "
            f"actor and dimension ({n} x {d})"
        )
    for what, arr in (("capability", cap), ("position", pos), ("salience", sal)):
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i = int(bad[0][0])
            raise DataError(f"{where}: actor {clip(actors[i])}, {what}: expected a finite number")
    if (cap < 0).any() or (cap > MAX_CAPABILITY).any():
        i = int(np.flatnonzero((cap < 0) | (cap > MAX_CAPABILITY))[0])
        raise DataError(
            f"{where}: actor {clip(actors[i])}, capability: expected a value in "
            f"[0, {MAX_CAPABILITY:g}], got {cap[i]:g}"
        )
    if (sal < 0).any() or (sal > 1).any():
        i, k = (int(v) for v in np.argwhere((sal < 0) | (sal > 1))[0])
        raise DataError(
            f"{where}: actor {clip(actors[i])}, {dims[k]} salience: expected a value in [0, 1], "
            f"got {sal[i, k]:g}"
        )
    tot = sal.sum(axis=1)
    if (tot > 1 + 1e-9).any():
        i = int(np.flatnonzero(tot > 1 + 1e-9)[0])
        raise DataError(
            f"{where}: actor {clip(actors[i])}: saliences sum to {tot[i]:g}; expected at most 1 "
            "(KTAB's rule: at most 100% of attention over all dimensions)"
        )
    if scales is None:
        scales = [(float(pos[:, k].min()), float(pos[:, k].max())) for k in range(d)]
    scales = tuple((float(a), float(b)) for a, b in scales)
    if len(scales) != d:
        raise DataError(f"{where}: expected a scale per dimension ({d}), got {len(scales)}")
    for k, (lo, hi) in enumerate(scales):
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise DataError(f"{where}: {dims[k]} scale: expected finite min < max")
        out = (pos[:, k] < lo) | (pos[:, k] > hi)
        if out.any():
            i = int(np.flatnonzero(out)[0])
            raise DataError(
                f"{where}: actor {clip(actors[i])}, {dims[k]} position: expected a value in "
                f"[{lo:g}, {hi:g}], got {pos[i, k]:g}"
            )
    sq = tuple(None if v is None else float(v) for v in (status_quo or [None] * d))
    if len(sq) != d:
        raise DataError(f"{where}: expected a status quo (or none) per dimension")
    for k, v in enumerate(sq):
        if v is not None and not (math.isfinite(v) and scales[k][0] <= v <= scales[k][1]):
            raise DataError(
                f"{where}: {dims[k]} status quo: expected a value in "
                f"[{scales[k][0]:g}, {scales[k][1]:g}], got {v:g}"
            )
    two = tuple(bool(v) for v in (two_outcome or [False] * d))
    st = tuple(tuple(float(v) for v in s) for s in (steps or [()] * d))
    for k, s in enumerate(st):
        lo, hi = scales[k]
        if any(not (lo <= v <= hi) for v in s) or list(s) != sorted(set(s)):
            raise DataError(
                f"{where}: {dims[k]} steps: expected increasing values within [{lo:g}, {hi:g}]"
            )
    return SpatialProblem(
        name=str(name),
        actors=actors,
        capability=_ro(cap),
        position=_ro(pos),
        salience=_ro(sal),
        dimensions=dims,
        scales=scales,
        status_quo=sq,
        two_outcome=two,
        titles=tuple(titles) if titles else dims,
        labels=tuple(tuple(x) for x in labels) if labels else tuple(("", "") for _ in dims),
        steps=st,
        source=where,
        title=title,
        descriptions=tuple(descriptions) if descriptions else (),
        meta=dict(meta or {}),
    )


def from_ktab(ktab: KTABFile, scale: tuple[float, float] | None = None) -> SpatialProblem:
    """A KTAB CSV as one :class:`SpatialProblem` (all its dimensions at once).

    Positions are on the scale a position header states (``[min .. max]``), else on
    ``scale``, else on KTAB's [0, 100]; saliences are divided by 100.
    """
    d = len(ktab.dimensions)
    scales = [
        scale or (ktab.scales[k] if k < len(ktab.scales) else None) or (0.0, 100.0)
        for k in range(d)
    ]
    return make_spatial(
        ktab.actors,
        ktab.influence,
        ktab.positions,
        np.asarray(ktab.saliences) / 100.0,
        dimensions=ktab.dimensions,
        scales=scales,
        name=ktab.name,
        where=ktab.path,
        title=ktab.description,
        descriptions=ktab.descriptions,
        meta={"ktab": ktab.name},
    )
