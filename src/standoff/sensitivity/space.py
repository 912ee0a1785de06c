"""The assumption space of a policy comparison: every assumption with a plausible range.

An assumption enters the space when it carries a ``range`` or ``dist`` in the scenario
(:class:`standoff.scenario.spec.Sourced`) and acts on the compared simulation: a model
parameter (``parameters:``: the war prior and the tension effect on war) or a value of an
intervention of one of the compared policies (hazard effects, sanctions and relief steps,
tension shocks).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from standoff.errors import UsageError
from standoff.forecast.summary import EVENT_LABELS
from standoff.scenario.spec import Dist, Scenario, Sourced

PARAMETER_LABELS = {
    "war_prior_mean": "War prior: share of disputes escalating to war",
    "war_prior_weight": "War prior: weight (disputes)",
    "war_tension_effect": "War risk per SD of tension (log)",
}
_TARGET_LABELS = {
    **EVENT_LABELS,
    "launches": "missile launches",
    "agreement_sign": "agreement signed",
}


def _intervention_label(iv, field: str) -> str:
    if iv.kind == "hazard":
        when = {"always": "", "talks": " after talks", "agreement": " under an agreement"}.get(
            iv.when, " while the DPRK is quiet"
        )
        scale = "log rate ratio" if iv.target == "launches" else "log odds ratio"
        return f"effect on {_TARGET_LABELS[iv.target]}{when} ({scale})"
    return {
        "sanctions": "sanctions step (index points)",
        "relief_rule": "relief step per quiet period (index points)",
        "tension_shock": "tension shock (index points)",
    }.get(iv.kind, f"{iv.kind} {field}")


@dataclass(frozen=True)
class Assumption:
    """One dimension of the space: where it lives in the scenario and how it is spread."""

    key: str  # key path in the scenario (as in ``Scenario.sourced_values``)
    label: str  # words for people
    value: float  # the scenario's central value
    dist: Dist
    rationale: str | None  # the range's rationale (``range_note``)
    policy: str | None = None  # intervention of this policy ...
    index: int | None = None  # ... at this position
    field: str | None = None  # "delta" or "log_ratio", or the parameter name

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniform [0, 1] quantiles to values of the assumption."""
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        return np.asarray(self.dist.frozen().ppf(u), dtype=float)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "value": self.value,
            "range": self.dist.describe(),
            "rationale": self.rationale,
        }


def assumption_space(scenario: Scenario, policies: list[str]) -> list[Assumption]:
    """The assumptions with a range that act on the comparison of ``policies``."""
    out: list[Assumption] = []
    for name, val in scenario.parameters.items():
        if val.spread is not None:
            out.append(
                Assumption(
                    key=f"parameters.{name}",
                    label=PARAMETER_LABELS.get(name, name),
                    value=val.value,
                    dist=val.spread,
                    rationale=val.range_note,
                    field=name,
                )
            )
    for pid in policies:
        pol = scenario.policy(pid)
        for j, iv in enumerate(pol.interventions):
            for field in ("delta", "log_ratio"):
                val: Sourced | None = getattr(iv, field)
                if val is None or val.spread is None:
                    continue
                out.append(
                    Assumption(
                        key=f"policies.{pid}.interventions[{j}].{field}",
                        label=f"{pol.title}: {_intervention_label(iv, field)}",
                        value=val.value,
                        dist=val.spread,
                        rationale=val.range_note,
                        policy=pid,
                        index=j,
                        field=field,
                    )
                )
    if not out:
        raise UsageError(
            f"--scenario: {scenario.name!r} gives no range for any assumption of the policies "
            f"{', '.join(policies)} or of its parameters (add 'range: [lo, hi]' to the values)"
        )
    return out


def apply(scenario_policies: dict, model, space: list[Assumption], x: np.ndarray):
    """The model and the policies with the assumptions set to the values ``x`` (one row).

    Returns ``(model, {policy id: Policy})``; the scenario's objects are not modified.
    """
    params = dict(model.parameters)
    pols = dict(scenario_policies)
    for a, v in zip(space, x, strict=True):
        v = float(v)
        if a.policy is None:
            params[a.field] = v
            continue
        pol = pols[a.policy]
        ivs = list(pol.interventions)
        old: Sourced = getattr(ivs[a.index], a.field)
        new = old.model_copy(update={"value": v, "range": None, "dist": None, "range_note": None})
        ivs[a.index] = ivs[a.index].model_copy(update={a.field: new})
        pols[a.policy] = pol.model_copy(update={"interventions": ivs})
    war = model.war
    if (params["war_prior_mean"], params["war_prior_weight"]) != (
        model.parameters["war_prior_mean"],
        model.parameters["war_prior_weight"],
    ):
        # the Beta prior of the escalation share, updated by the same Korean record
        # (standoff.dynamics.war.war_prior)
        m, w = params["war_prior_mean"], params["war_prior_weight"]
        war = dataclasses.replace(
            war, esc_a=m * w + war.wars, esc_b=(1 - m) * w + war.onsets - war.wars
        )
    return dataclasses.replace(model, parameters=params, war=war), pols
