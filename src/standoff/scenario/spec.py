"""Scenario files: validated YAML describing a standoff as of a date.

A scenario names its as-of date, its actors (with capabilities) and the issues under
negotiation (each actor's position and salience). **Every number carries its provenance**:
either ``source`` (an id from the scenario's ``sources`` list or from the history's
``sources.csv``) or ``assumption`` (an analyst assumption, with its rationale). A value
with neither, or with both, is rejected.

Minimal example::

    schema_version: 1
    name: toy
    title: Toy standoff
    as_of: 2018-01-01
    sources:
      - {id: S1, citation: "Author (2018), Title"}
    actors:
      - id: USA
        name: United States
        capability: {value: 100, assumption: "scale anchor"}
      - id: PRK
        name: North Korea
        capability: {value: 10, source: S1}
    issues:
      - id: freeze
        title: Freeze before relief
        scale: {min: 0, max: 100, low: "no freeze", high: "full freeze first"}
        positions:
          USA: {position: {value: 90, source: S1}, salience: {value: 0.8, assumption: "..."}}
          PRK: {position: {value: 10, source: S1}, salience: {value: 0.9, assumption: "..."}}

The format is versioned (``schema_version``) and built to grow: later releases add
sections (policies, model parameters, crisis-game parameters, a ``deal_space`` grouping issues
into one package: :class:`DealSpace`) without breaking existing files.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from standoff.errors import ScenarioError
from standoff.limits import clip, one_line

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class _Strict(BaseModel):
    # strict: YAML's yes/true/on stay booleans and are never read as the number 1 (or "1" as
    # a number); integers are accepted where a number is expected
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_DIST_ARGS = {
    "uniform": ("lo", "hi"),
    "normal": ("mu", "sd"),
    "truncnormal": ("lo", "hi", "mu", "sd"),
    "lognormal": ("mu", "sd"),
    "triangular": ("lo", "mode", "hi"),
}


class Dist(_Strict):
    """A plausible distribution of an assumption: exactly one of

    ``uniform: [lo, hi]``, ``normal: [mu, sd]``, ``truncnormal: [lo, hi, mu, sd]``,
    ``lognormal: [mu, sd]`` (of the natural log; support > 0), ``triangular: [lo, mode, hi]``.
    """

    # lists (YAML sequences; the scenario format is validated strictly), lengths checked below
    uniform: list[float] | None = None
    normal: list[float] | None = None
    truncnormal: list[float] | None = None
    lognormal: list[float] | None = None
    triangular: list[float] | None = None

    @model_validator(mode="after")
    def _one(self) -> Dist:
        given = [k for k in _DIST_ARGS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"dist: expected exactly one of {', '.join(_DIST_ARGS)}, got {len(given)}"
            )
        kind = given[0]
        names = _DIST_ARGS[kind]
        if len(getattr(self, kind)) != len(names):
            raise ValueError(
                f"dist.{kind}: expected [{', '.join(names)}], got {len(getattr(self, kind))} numbers"
            )
        a = dict(zip(names, getattr(self, kind), strict=True))
        if not all(math.isfinite(v) for v in a.values()):
            raise ValueError(f"dist.{kind}: expected finite numbers")
        if "sd" in a and not a["sd"] > 0:
            raise ValueError(f"dist.{kind}: expected sd > 0, got {a['sd']:g}")
        if "lo" in a and not a["hi"] > a["lo"]:
            raise ValueError(f"dist.{kind}: expected hi > lo, got lo={a['lo']:g}, hi={a['hi']:g}")
        if kind == "triangular" and not a["lo"] <= a["mode"] <= a["hi"]:
            raise ValueError("dist.triangular: expected lo <= mode <= hi")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _DIST_ARGS if getattr(self, k) is not None)

    @property
    def args(self) -> dict[str, float]:
        return dict(zip(_DIST_ARGS[self.kind], getattr(self, self.kind), strict=True))

    def frozen(self):
        """The distribution as a frozen :mod:`scipy.stats` object."""
        from scipy import stats

        a = self.args
        match self.kind:
            case "uniform":
                return stats.uniform(a["lo"], a["hi"] - a["lo"])
            case "normal":
                return stats.norm(a["mu"], a["sd"])
            case "truncnormal":
                lo, hi = (a["lo"] - a["mu"]) / a["sd"], (a["hi"] - a["mu"]) / a["sd"]
                return stats.truncnorm(lo, hi, loc=a["mu"], scale=a["sd"])
            case "lognormal":
                return stats.lognorm(a["sd"], scale=math.exp(a["mu"]))
            case _:
                w = a["hi"] - a["lo"]
                return stats.triang((a["mode"] - a["lo"]) / w, loc=a["lo"], scale=w)

    def support(self) -> tuple[float, float]:
        lo, hi = self.frozen().support()
        return float(lo), float(hi)

    def describe(self) -> str:
        a = self.args
        match self.kind:
            case "uniform":
                return f"uniform [{a['lo']:g}, {a['hi']:g}]"
            case "normal":
                return f"normal(mean {a['mu']:g}, sd {a['sd']:g})"
            case "truncnormal":
                return f"normal(mean {a['mu']:g}, sd {a['sd']:g}) in [{a['lo']:g}, {a['hi']:g}]"
            case "lognormal":
                return f"log-normal(log-mean {a['mu']:g}, log-sd {a['sd']:g})"
            case _:
                return f"triangular [{a['lo']:g}, {a['hi']:g}], mode {a['mode']:g}"


class Sourced(_Strict):
    """A number with its provenance: a ``source`` id, or an analyst ``assumption``.

    It may also carry its plausible spread, for sensitivity analysis
    (``standoff sensitivity``): ``range: [lo, hi]`` (uniform) or ``dist:`` (a :class:`Dist`),
    with ``range_note``: the rationale of the range. The value must lie inside the range
    (or the support of the distribution).
    """

    value: float
    source: str | None = None
    assumption: str | None = Field(default=None, description="analyst assumption: the rationale")
    note: str | None = None
    range: list[float] | None = Field(
        default=None, description="plausible range [lo, hi] (sampled uniformly)"
    )
    dist: Dist | None = Field(default=None, description="plausible distribution")
    range_note: str | None = Field(default=None, description="rationale of the range")

    @model_validator(mode="after")
    def _provenance(self) -> Sourced:
        has_src = bool(self.source and self.source.strip())
        has_asm = bool(self.assumption and self.assumption.strip())
        if has_src == has_asm:
            raise ValueError(
                "expected exactly one of 'source' (a source id) or 'assumption' (the rationale)"
            )
        if self.range is not None and self.dist is not None:
            raise ValueError("expected at most one of 'range' and 'dist'")
        if self.range is not None:
            if len(self.range) != 2:
                raise ValueError(f"range: expected [lo, hi], got {len(self.range)} numbers")
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise ValueError(f"range: expected [lo, hi] with lo < hi, got [{lo:g}, {hi:g}]")
        spread = self.spread
        if spread is not None:
            lo, hi = spread.support()
            if not lo <= self.value <= hi:
                raise ValueError(
                    f"range: the value {self.value:g} lies outside the range "
                    f"({spread.describe()}); expected the value inside it"
                )
        if self.range_note is not None and spread is None:
            raise ValueError("range_note: given without a 'range' or 'dist'")
        return self

    @property
    def spread(self) -> Dist | None:
        """The plausible distribution (``range`` as a uniform one), or None."""
        if self.dist is not None:
            return self.dist
        if self.range is not None:
            return Dist(uniform=self.range)
        return None

    def describe_spread(self) -> str:
        """Human text of the range or distribution ("–" when none)."""
        s = self.spread
        return "–" if s is None else s.describe()

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("expected a finite number")
        return v


class SourceRef(_Strict):
    id: str
    citation: str

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"expected an id of letters, digits, '_', '.', '-', got {v!r}")
        return v


class Actor(_Strict):
    id: str
    name: str
    kind: Literal["state", "organisation"] = "state"
    capability: Sourced
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"expected an id of letters, digits, '_', '.', '-', got {v!r}")
        return v

    @field_validator("capability")
    @classmethod
    def _cap(cls, v: Sourced) -> Sourced:
        if v.value < 0:
            raise ValueError(f"expected a capability >= 0, got {v.value:g}")
        return v


class Scale(_Strict):
    min: float = 0.0
    max: float = 100.0
    low: str = Field(description="what the minimum of the scale means")
    high: str = Field(description="what the maximum of the scale means")

    @model_validator(mode="after")
    def _order(self) -> Scale:
        if not self.max > self.min:
            raise ValueError(f"expected max > min, got min={self.min:g}, max={self.max:g}")
        return self


class Stance(_Strict):
    position: Sourced
    salience: Sourced

    @field_validator("salience")
    @classmethod
    def _sal(cls, v: Sourced) -> Sourced:
        if not 0.0 <= v.value <= 1.0:
            raise ValueError(f"expected a salience in [0, 1], got {v.value:g}")
        return v


class Issue(_Strict):
    id: str
    title: str
    question: str | None = None
    scale: Scale
    status_quo: Sourced | None = None
    positions: dict[str, Stance]

    @model_validator(mode="after")
    def _positions(self) -> Issue:
        if len(self.positions) < 2:
            raise ValueError("expected positions for at least two actors")
        for actor, st in self.positions.items():
            v = st.position.value
            if not self.scale.min <= v <= self.scale.max:
                raise ValueError(
                    f"positions.{actor}.position: expected a value in "
                    f"[{self.scale.min:g}, {self.scale.max:g}], got {v:g}"
                )
        if (
            self.status_quo is not None
            and not self.scale.min <= self.status_quo.value <= self.scale.max
        ):
            raise ValueError("status_quo: expected a value within the scale")
        return self


class GameParams(_Strict):
    """Optional ``games:`` section: parameters of the crisis games (``standoff game MODEL``).

    One mapping per model (``iig``, ``fearon``, ``kydd``, ``sanctions``, ``brinkmanship``,
    ``richardson``) of parameter name -> sourced value, plus ``alignment``: alliance-portfolio
    similarity in [-1, 1] between pairs of actors (``alignment: {CHN: {PRK: ..., USA: ...}}``).
    Names and ranges are those of :mod:`standoff.games.params`.
    """

    alignment: dict[str, dict[str, Sourced]] = Field(default_factory=dict)
    iig: dict[str, Sourced] = Field(default_factory=dict)
    fearon: dict[str, Sourced] = Field(default_factory=dict)
    kydd: dict[str, Sourced] = Field(default_factory=dict)
    sanctions: dict[str, Sourced] = Field(default_factory=dict)
    brinkmanship: dict[str, Sourced] = Field(default_factory=dict)
    richardson: dict[str, Sourced] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> GameParams:
        from standoff.games.params import PARAMS, check_section

        for model in PARAMS:
            problem = check_section(model, {k: v.value for k, v in getattr(self, model).items()})
            if problem:
                raise ValueError(problem)
        for i, row in self.alignment.items():
            for j, v in row.items():
                if not -1.0 <= v.value <= 1.0:
                    raise ValueError(
                        f"alignment.{i}.{j}: expected a value in [-1, 1], got {v.value:g}"
                    )
        return self

    def sourced_values(self) -> list[tuple[str, Sourced]]:
        out = [
            (f"games.alignment.{i}.{j}", v)
            for i, row in self.alignment.items()
            for j, v in row.items()
        ]
        for model in ("iig", "fearon", "kydd", "sanctions", "brinkmanship", "richardson"):
            out += [(f"games.{model}.{k}", v) for k, v in getattr(self, model).items()]
        return out


class DealStep(_Strict):
    """A labelled value of a deal-space dimension (one step a package may take)."""

    value: float
    label: str
    note: str | None = None


class DealDimension(_Strict):
    """One dimension of a deal space: its scale, its labelled steps and its status quo.

    ``two_outcome: true`` declares that only the two ends of the scale can be the outcome
    (e.g. a yes/no decision): the default point forecast is then the weighted-majority side.
    ``issue`` optionally names the scenario issue the dimension refines."""

    id: str
    title: str
    question: str | None = None
    unit: str | None = None
    scale: Scale
    steps: list[DealStep] = Field(default_factory=list)
    status_quo: Sourced | None = None
    two_outcome: bool = False
    issue: str | None = None

    @model_validator(mode="after")
    def _steps(self) -> DealDimension:
        vals = [st.value for st in self.steps]
        if vals != sorted(set(vals)):
            raise ValueError("steps: expected strictly increasing values")
        if any(not self.scale.min <= v <= self.scale.max for v in vals):
            raise ValueError(
                f"steps: expected values within the scale [{self.scale.min:g}, {self.scale.max:g}]"
            )
        if self.status_quo is not None and not (
            self.scale.min <= self.status_quo.value <= self.scale.max
        ):
            raise ValueError("status_quo: expected a value within the scale")
        return self


class DealPolicyLink(_Strict):
    """``deal_space.policy``: the scenario policy whose content the deal space gives.

    ``id`` names the policy (e.g. ``phased-relief``); ``relief`` names the dimension counted
    in the policy's relief steps and ``halt`` the dimension whose step is the halt traded for
    them. :func:`standoff.bargaining.deal.phased_relief_package` returns the feasible package
    that fills them in (the simulator's policy code is not changed by it)."""

    id: str
    relief: str
    halt: str


class DealSpace(_Strict):
    """Optional ``deal_space:`` section: several issues negotiated as one package.

    ``positions`` maps actor -> dimension -> position and salience (each a Sourced value; an
    actor's saliences sum to at most 1, KTAB's rule). ``veto_players`` must all prefer a
    package to the status quo for it to be feasible (the win-set). See
    :mod:`standoff.bargaining.deal`."""

    id: str
    title: str
    description: str | None = None
    veto_players: list[str]
    dimensions: list[DealDimension]
    positions: dict[str, dict[str, Stance]]
    policy: DealPolicyLink | None = None

    @model_validator(mode="after")
    def _shape(self) -> DealSpace:
        dims = [d.id for d in self.dimensions]
        if not 1 <= len(dims) <= 20:
            raise ValueError(f"dimensions: expected 1 to 20 dimensions, got {len(dims)}")
        dup = {d for d in dims if dims.count(d) > 1}
        if dup:
            raise ValueError(f"dimensions: duplicate id {sorted(dup)[0]!r}")
        if len(self.positions) < 2:
            raise ValueError("positions: expected positions for at least two actors")
        for actor, row in self.positions.items():
            missing = [d for d in dims if d not in row]
            unknown = [d for d in row if d not in dims]
            if missing or unknown:
                what = (
                    f"no stance on {missing[0]!r}"
                    if missing
                    else f"unknown dimension {unknown[0]!r}"
                )
                raise ValueError(f"positions.{actor}: {what} (expected one per dimension)")
            total = 0.0
            for dim in self.dimensions:
                st = row[dim.id]
                v = st.position.value
                if not dim.scale.min <= v <= dim.scale.max:
                    raise ValueError(
                        f"positions.{actor}.{dim.id}.position: expected a value in "
                        f"[{dim.scale.min:g}, {dim.scale.max:g}], got {v:g}"
                    )
                total += st.salience.value
            if total > 1 + 1e-9:
                raise ValueError(
                    f"positions.{actor}: saliences sum to {total:g}; expected at most 1 "
                    "(at most 100% of attention over all dimensions)"
                )
        unknown = [a for a in self.veto_players if a not in self.positions]
        if unknown:
            raise ValueError(f"veto_players: {unknown[0]!r} has no positions in the deal space")
        if self.policy is not None:
            for role in ("relief", "halt"):
                if getattr(self.policy, role) not in dims:
                    raise ValueError(
                        f"policy.{role}: expected one of the dimensions ({', '.join(dims)}), "
                        f"got {getattr(self.policy, role)!r}"
                    )
        return self

    def sourced_values(self) -> list[tuple[str, Sourced]]:
        out = [
            (f"deal_space.dimensions.{d.id}.status_quo", d.status_quo)
            for d in self.dimensions
            if d.status_quo is not None
        ]
        for actor, row in self.positions.items():
            for dim, st in row.items():
                out.append((f"deal_space.positions.{actor}.{dim}.position", st.position))
                out.append((f"deal_space.positions.{actor}.{dim}.salience", st.salience))
        return out


class Scenario(_Strict):
    """A validated scenario (see the module docstring for the file format)."""

    schema_version: Literal[1] = 1
    name: str
    title: str
    description: str | None = None
    as_of: Annotated[dt.date, Field(strict=False)]  # a YAML date or 'YYYY-MM-DD'
    sources: list[SourceRef] = Field(default_factory=list)
    actors: list[Actor]
    issues: list[Issue] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    parameters: dict[str, Sourced] = Field(default_factory=dict)
    games: GameParams | None = None
    deal_space: DealSpace | None = None

    @field_validator("schema_version", mode="before")
    @classmethod
    def _version(cls, v):
        if isinstance(v, bool):  # True == 1 in Python: refuse it explicitly
            raise ValueError(f"expected the integer 1, got {v!r}")
        return v

    @model_validator(mode="after")
    def _refs(self) -> Scenario:
        ids = [a.id for a in self.actors]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"actors: duplicate id {sorted(dup)[0]!r}")
        if len(ids) < 2:
            raise ValueError("actors: expected at least two actors")
        src_ids = [s.id for s in self.sources]
        dup = {i for i in src_ids if src_ids.count(i) > 1}
        if dup:
            raise ValueError(f"sources: duplicate id {sorted(dup)[0]!r}")
        iss = [i.id for i in self.issues]
        dup = {i for i in iss if iss.count(i) > 1}
        if dup:
            raise ValueError(f"issues: duplicate id {sorted(dup)[0]!r}")
        pol = [p.id for p in self.policies]
        dup = {i for i in pol if pol.count(i) > 1}
        if dup:
            raise ValueError(f"policies: duplicate id {sorted(dup)[0]!r}")
        unknown_params = sorted(set(self.parameters) - set(MODEL_PARAMETERS))
        if unknown_params:
            raise ValueError(
                f"parameters: unknown parameter {unknown_params[0]!r} "
                f"(expected one of {', '.join(MODEL_PARAMETERS)})"
            )
        for name, val in self.parameters.items():
            lo, hi = MODEL_PARAMETER_BOUNDS[name]
            what = f"parameters.{name}"
            if not lo < val.value < hi:
                raise ValueError(f"{what}: expected a value in ({lo:g}, {hi:g}), got {val.value:g}")
            if val.spread is not None:
                slo, shi = val.spread.support()
                if not (lo <= slo and shi <= hi):
                    raise ValueError(
                        f"{what}.range: expected a range inside ({lo:g}, {hi:g}), "
                        f"got {val.spread.describe()}"
                    )
        for k, issue in enumerate(self.issues):
            unknown = [a for a in issue.positions if a not in ids]
            if unknown:
                raise ValueError(
                    f"issues[{k}].positions: unknown actor {unknown[0]!r} (not in actors)"
                )
        for i, row in (self.games.alignment if self.games else {}).items():
            unknown = [a for a in (i, *row) if a not in ids]
            if unknown:
                raise ValueError(f"games.alignment: unknown actor {unknown[0]!r} (not in actors)")
        if self.deal_space is not None:
            ds = self.deal_space
            unknown = [a for a in ds.positions if a not in ids]
            if unknown:
                raise ValueError(
                    f"deal_space.positions: unknown actor {unknown[0]!r} (not in actors)"
                )
            if ds.policy is not None and ds.policy.id not in pol:
                raise ValueError(
                    f"deal_space.policy.id: unknown policy {ds.policy.id!r} (expected one of "
                    f"{', '.join(pol) or 'none defined'})"
                )
            bad = [d.issue for d in ds.dimensions if d.issue is not None and d.issue not in iss]
            if bad:
                raise ValueError(f"deal_space.dimensions: unknown issue {bad[0]!r} (not in issues)")
        return self

    # ------------------------------------------------------------------ helpers
    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def sourced_values(self) -> list[tuple[str, Sourced]]:
        """Every number in the scenario with its key path (for audits and reports)."""
        out: list[tuple[str, Sourced]] = []
        for a in self.actors:
            out.append((f"actors.{a.id}.capability", a.capability))
        for i in self.issues:
            if i.status_quo is not None:
                out.append((f"issues.{i.id}.status_quo", i.status_quo))
            for actor, st in i.positions.items():
                out.append((f"issues.{i.id}.positions.{actor}.position", st.position))
                out.append((f"issues.{i.id}.positions.{actor}.salience", st.salience))
        for p in self.policies:
            for j, iv in enumerate(p.interventions):
                out.extend(iv.sourced_values(f"policies.{p.id}.interventions[{j}]"))
        for name, val in self.parameters.items():
            out.append((f"parameters.{name}", val))
        if self.games is not None:
            out += self.games.sourced_values()
        if self.deal_space is not None:
            out += self.deal_space.sourced_values()
        return out

    def policy(self, policy_id: str) -> Policy:
        for p in self.policies:
            if p.id == policy_id:
                return p
        raise ScenarioError(
            f"policies: unknown policy {policy_id!r} in scenario {self.name!r} "
            f"(expected one of {', '.join(p.id for p in self.policies) or 'none defined'})"
        )

    def positions_frame(self, issue_id: str):
        """Actors' capability, position and salience on one issue, as a DataFrame."""
        import pandas as pd

        issue = self.issue(issue_id)
        rows = [
            {
                "actor": a,
                "capability": self.actor(a).capability.value,
                "position": st.position.value,
                "salience": st.salience.value,
            }
            for a, st in issue.positions.items()
        ]
        return pd.DataFrame(rows)


#: Model parameters a scenario may set (``parameters:``), each a Sourced value; defaults and
#: meanings in :mod:`standoff.dynamics.model`.
MODEL_PARAMETERS = ("war_prior_mean", "war_prior_weight", "war_tension_effect")
#: open bounds of each model parameter (its value and its whole range must lie inside)
MODEL_PARAMETER_BOUNDS = {
    "war_prior_mean": (0.0, 1.0),
    "war_prior_weight": (0.0, math.inf),
    "war_tension_effect": (-math.inf, math.inf),
}

# The policy models use Sourced (defined above); import them after it and resolve the
# forward reference in Scenario.
from standoff.scenario.policy import Policy  # noqa: E402

Scenario.model_rebuild()


# ---------------------------------------------------------------------- loading
def bundled_scenarios() -> dict[str, Path]:
    from importlib import resources

    root = Path(str(resources.files("standoff") / "data" / "scenarios"))
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}


def resolve_scenario_path(name_or_path: str | Path, bundled: dict[str, Path] | None = None) -> Path:
    """A file, or a bundled scenario by name (``bundled``: a case's scenarios, default
    the Korean ones)."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    bundled = bundled_scenarios() if bundled is None else bundled
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    if p.suffix in (".yaml", ".yml") or p.parent != Path("."):
        raise ScenarioError(f"{p}: file not found")
    raise ScenarioError(
        f"scenario: no file or bundled scenario named {str(name_or_path)!r} "
        f"(bundled: {', '.join(bundled)})"
    )


def _loc_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_scenario(
    name_or_path: str | Path,
    *,
    known_sources: set[str] | None = None,
    bundled: dict[str, Path] | None = None,
) -> Scenario:
    """Load and validate a scenario by bundled name (``korea-2018``) or file path.

    ``bundled``: the scenarios names resolve in (a case's, :meth:`standoff.cases.Case.load_scenario`).
    Raises :class:`~standoff.errors.ScenarioError` with one line naming the file, the key
    path and what was expected.
    """
    path = resolve_scenario_path(name_or_path, bundled)
    from standoff._yaml import load_yaml_file  # bounded size and depth, no duplicate keys

    data = load_yaml_file(path, error=ScenarioError, what="scenario YAML")
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a YAML mapping at the top level")
    try:
        scn = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _loc_path(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "expected a value (required)"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key (not part of the scenario format)"
        elif "input" in err and err["type"] not in ("value_error",):
            msg = f"{msg}, got {clip(err['input'])}"
        raise ScenarioError(one_line(f"{path}: {loc + ': ' if loc else ''}{msg}")) from None
    _check_source_ids(scn, path, known_sources)
    return scn


def _check_source_ids(scn: Scenario, path: Path, known: set[str] | None) -> None:
    if known is None:
        import pandas as pd

        from standoff.history.core import bundled_dir

        known = set(pd.read_csv(bundled_dir() / "sources.csv", dtype=str)["id"])
    known = known | {s.id for s in scn.sources}
    for key, val in scn.sourced_values():
        if val.source is not None:
            for sid in re.split(r"[;,]", val.source):
                if sid.strip() and sid.strip() not in known:
                    raise ScenarioError(
                        f"{path}: {key}.source: unknown source id {sid.strip()!r} "
                        "(expected an id in the scenario's sources or the history's sources.csv)"
                    )
