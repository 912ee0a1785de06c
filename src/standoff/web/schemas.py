"""Request models of the web API: the scenario file's own pydantic models plus bounds.

An edited policy is a :class:`standoff.scenario.policy.Policy` and an edited model parameter a
:class:`standoff.scenario.spec.Sourced`, exactly as in a scenario file; the edited scenario is
then validated again as a whole (:meth:`Services.edited_scenario`). Bounds on work per request
are here, so they appear in the OpenAPI schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from standoff.bargaining.deal import DEAL_MODELS
from standoff.bargaining.models import MODELS as BARGAIN_MODELS
from standoff.games.params import PARAMS as GAME_PARAMS
from standoff.scenario.policy import Policy
from standoff.scenario.spec import MODEL_PARAMETERS, Sourced, bundled_scenarios
from standoff.web.services import MAX_HORIZON, MAX_PATHS, MAX_POLICIES, OUTLOOK_SEED

ScenarioName = Literal[tuple(bundled_scenarios())]  # type: ignore[valid-type]
ParameterName = Literal[MODEL_PARAMETERS]  # type: ignore[valid-type]
BargainModel = Literal[tuple(BARGAIN_MODELS)]  # type: ignore[valid-type]
DealModel = Literal[tuple(DEAL_MODELS)]  # type: ignore[valid-type]
GameModel = Literal[tuple(GAME_PARAMS)]  # type: ignore[valid-type]
TimelineKind = Literal["launches", "nuclear_tests", "sanctions", "diplomacy", "events"]

MAX_INTERVENTIONS = 24
#: Earliest and latest dates a request may name (the history starts in 1984).
DATE_MIN = dt.date(1984, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
PolicyId = str


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data):
        """Every string of the body, keys included, nested models too, is valid Unicode: a
        lone surrogate (JSON ``"\\ud800"``) is a 422 naming where it is, never a 500."""
        stack = [(data, "")]
        while stack:
            obj, where = stack.pop()
            if isinstance(obj, str):
                try:
                    obj.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError(
                        f"{where or 'body'}: expected valid Unicode text (a lone surrogate)"
                    ) from None
            elif isinstance(obj, dict):
                for k, v in obj.items():
                    key = str(k).encode("utf-8", "backslashreplace").decode("utf-8")
                    stack.append((k, f"{where}.{key}".lstrip(".") if where else key))
                    stack.append((v, f"{where}.{key}" if where else key))
            elif isinstance(obj, list):
                stack.extend((v, f"{where}[{i}]") for i, v in enumerate(obj))
        return data


class ScenarioEdit(_Request):
    """A bundled scenario with edited policies and model parameters."""

    scenario: ScenarioName = Field("korea-now", description="bundled scenario to start from")
    policies: list[Policy] = Field(
        default_factory=list,
        max_length=8,
        description="edited or new policies (same format as the scenario file's `policies:`); "
        "a policy with an existing id replaces it",
    )
    parameters: dict[ParameterName, Sourced] = Field(
        default_factory=dict, description="edited model parameters (scenario `parameters:`)"
    )

    @model_validator(mode="after")
    def _bounds(self) -> ScenarioEdit:
        for k, p in enumerate(self.policies):
            if len(p.interventions) > MAX_INTERVENTIONS:
                raise ValueError(
                    f"policies[{k}].interventions: expected at most {MAX_INTERVENTIONS}, "
                    f"got {len(p.interventions)}"
                )
        return self


class CompareRequest(ScenarioEdit):
    """Policies side by side: ``compare`` lists the policy ids, the first is the baseline."""

    compare: list[PolicyId] = Field(
        ..., min_length=1, max_length=MAX_POLICIES, description="policy ids; first = baseline"
    )
    paths: int = Field(10_000, ge=100, le=MAX_PATHS, description="Monte Carlo paths")
    horizon: int = Field(24, ge=1, le=MAX_HORIZON, description="months simulated")
    seed: int = Field(OUTLOOK_SEED, ge=0, le=2**32 - 1)

    @model_validator(mode="after")
    def _unique(self) -> CompareRequest:
        if len(set(self.compare)) != len(self.compare):
            raise ValueError("compare: expected distinct policy ids")
        return self


class GameRequest(_Request):
    scenario: ScenarioName | None = Field(
        None, description="take the parameters from this scenario's `games:` section"
    )
    params: dict[str, float] = Field(
        default_factory=dict, max_length=40, description="parameter overrides (name -> value)"
    )
