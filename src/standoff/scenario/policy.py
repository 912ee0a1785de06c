"""Policies as data: named bundles of interventions on what governments control.

A policy lives in a scenario file under ``policies:``. Each intervention is one of

``sanctions``
    a scheduled change of the sanctions-intensity index (``delta`` index points: positive =
    new measures, negative = relief) in horizon months ``start``, then every ``every`` months
    until ``end``. Its effect on launches, talks, ... comes from the **fitted model** (the
    ``sanc_level`` and, with ``counts_as_resolution: true``, the "sanctions in the last six
    months" covariate; the recorded UNSC-resolution event is only ever the drawn one).
``relief_rule``
    a conditional rule: every ``every`` months from ``start``, if the DPRK has made no nuclear
    test and no ICBM launch in the last ``quiet_months`` months (a verified freeze), change the
    index by ``delta`` (negative), never below ``floor``.
``hazard``
    multiplies the odds (binary events) or the rate (launches) of ``target`` by
    ``exp(log_ratio)`` from ``start`` to ``end``, optionally only ``when`` talks are held in the
    month before, an agreement is in force, or the DPRK has been quiet. Used where history does
    not identify the effect; ``log_ratio`` must carry its source (e.g. a crisis game) or an
    analyst assumption with its rationale.
``tension_shock``
    adds ``delta`` to the tension index in month ``start`` (e.g. a limited strike).
``exercises``
    suspends (``suspend: true``) or resumes large-scale US-ROK exercises from month ``start``
    (to ``end``, then back to the state at the as-of date). Its effect comes from the **fitted
    model** (the ``ex_suspended`` covariate, identified by the 2018-2022 suspension).
``moratorium``
    a DPRK moratorium on nuclear and long-range tests in force (``suspend: true``) or ended
    (``false``) from month ``start`` (to ``end``): acts through the fitted ``moratorium``
    covariate of the nuclear-test and ICBM hazards (identified by the 1999-2006 and 2018-2022
    moratoria). Whether the DPRK would declare one is the policy's assumption.

Months are counted from the first forecast month (1).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from standoff.scenario.spec import Sourced

TARGETS = (
    "launches",
    "icbm",
    "nuclear",
    "resolution",
    "talks",
    "summit",
    "agreement_sign",
    "agreement_collapse",
    "war",
)


class Intervention(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)

    kind: Literal["sanctions", "relief_rule", "hazard", "tension_shock", "exercises", "moratorium"]
    description: str | None = None
    target: Literal[TARGETS] | None = None  # type: ignore[valid-type]
    start: int = Field(default=1, ge=1)
    end: int | None = Field(default=None, ge=1)
    every: int | None = Field(default=None, ge=1)
    delta: Sourced | None = None
    log_ratio: Sourced | None = None
    quiet_months: int = Field(default=3, ge=1)
    floor: float = Field(default=0.0, ge=0.0, le=100.0)
    when: Literal["always", "talks", "agreement", "quiet"] = "always"
    counts_as_resolution: bool = False
    suspend: bool = True

    @model_validator(mode="after")
    def _fields(self) -> Intervention:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end: expected >= start ({self.start}), got {self.end}")
        if self.kind == "hazard":
            if self.target is None or self.log_ratio is None:
                raise ValueError("a 'hazard' intervention needs 'target' and 'log_ratio'")
        elif self.kind in ("sanctions", "relief_rule", "tension_shock"):
            if self.delta is None:
                raise ValueError(f"a '{self.kind}' intervention needs 'delta'")
        if self.kind == "relief_rule" and self.delta is not None:
            if self.delta.value >= 0:
                raise ValueError("delta: a relief rule lowers the index; expected a negative value")
            if self.delta.spread is not None and not self.delta.spread.support()[1] < 0:
                raise ValueError(
                    "delta.range: a relief rule lowers the index; expected a range below 0, "
                    f"got {self.delta.spread.describe()}"
                )
        return self

    def active(self, month: int) -> bool:
        if month < self.start or (self.end is not None and month > self.end):
            return False
        if self.every is None:
            return self.kind in ("hazard", "exercises", "moratorium") or month == self.start
        return (month - self.start) % self.every == 0

    def sourced_values(self, prefix: str) -> list[tuple[str, Sourced]]:
        out = []
        if self.delta is not None:
            out.append((f"{prefix}.delta", self.delta))
        if self.log_ratio is not None:
            out.append((f"{prefix}.log_ratio", self.log_ratio))
        return out


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: str
    title: str
    description: str | None = None
    interventions: list[Intervention] = Field(default_factory=list)


STATUS_QUO = Policy(id="status-quo", title="Status quo", description="No new intervention.")
