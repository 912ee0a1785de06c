"""Result objects of the Python API: DataFrames for tables, ``summary()`` for people.

Each result is also the JSON-ready ``dict`` the functions returned before (and ``--json``
prints), so ``res["events"]["war"]["12"]["p"]`` keeps working; the tables are DataFrames:

* :class:`ForecastResult` (``standoff.forecast.forecast``): ``.table`` (one row per event and
  horizon: probability and Monte Carlo s.e.), ``.launches``, ``.outcomes``, ``.war_risk()``;
* :class:`Comparison` (``standoff.forecast.compare``): ``.table`` (policy x event x horizon,
  with the paired difference vs the baseline and its s.e.);

``summary()`` prints what the ``standoff`` command prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from standoff.dynamics.model import FittedModel
    from standoff.dynamics.simulate import Simulation
    from standoff.scenario import Scenario


class ForecastResult(dict):
    """A forecast: the JSON summary (``dict``) plus DataFrames and the simulation itself."""

    simulation: Simulation
    model: FittedModel | None
    scenario: Scenario | None

    def __init__(self, data: dict, simulation=None, model=None, scenario=None) -> None:
        super().__init__(data)
        self.simulation = simulation
        self.model = model
        self.scenario = scenario

    @property
    def table(self) -> pd.DataFrame:
        """Probability of at least one event within ``months`` (event, label, months, p, se)."""
        import pandas as pd

        rows = [
            {"event": e, "label": v["label"], "months": int(k), "p": v[k]["p"], "se": v[k]["se"]}
            for e, v in self["events"].items()
            for k in v
            if k != "label"
        ]
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """The same as :attr:`table`."""
        return self.table

    @property
    def launches(self) -> pd.DataFrame:
        """Missiles launched per 12-month year of the horizon: mean and quantiles."""
        import pandas as pd

        return pd.DataFrame(self["launches"])

    @property
    def outcomes(self) -> pd.DataFrame:
        """States at the horizon: war, agreement, talks, standoff (p, se)."""
        import pandas as pd

        return pd.DataFrame([{"outcome": k, **v} for k, v in self["outcomes_at_horizon"].items()])

    def war_risk(self) -> pd.DataFrame:
        """The simulator's war probability beside the crisis games' (what each assumes)."""
        from standoff.forecast.war_risk import war_risk_table

        return war_risk_table(self, self.scenario)

    def prob(self, event: str, months: int) -> tuple[float, float]:
        """The simulator's probability of ``event`` within ``months`` and its Monte Carlo s.e.
        (ValueError beyond the run); the combined forecast is in ``self["events"]``."""
        return self.simulation.prob(event, months)

    def summary(self, *, war_risk: bool = True) -> None:
        """Print what ``standoff forecast`` prints."""
        from standoff.cli.forecast import render_forecast

        render_forecast(self, self.war_risk() if war_risk else None)

    def __repr__(self) -> str:
        return (
            f"<ForecastResult as of {self['as_of']}, policy {self['policy']}, "
            f"{self['horizon']} months, {self['paths']} paths, seed {self['seed']}>"
        )


class Comparison(dict):
    """A policy comparison: the JSON summary (``dict``) plus a DataFrame and the simulations."""

    simulations: dict[str, Simulation]

    def __init__(self, data: dict, simulations: dict | None = None) -> None:
        super().__init__(data)
        self.simulations = simulations or {}

    @property
    def table(self) -> pd.DataFrame:
        """policy, event, label, months, p, se, diff and diff_se (vs the baseline; NaN for it)."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        base = self["baseline"]
        for pid, s in self["policies"].items():
            for e, v in s["events"].items():
                for k in v:
                    if k == "label":
                        continue
                    d = self["differences"].get(pid, {}).get(e, {}).get(k)
                    rows.append(
                        {
                            "policy": pid,
                            "event": e,
                            "label": v["label"],
                            "months": int(k),
                            "p": v[k]["p"],
                            "se": v[k]["se"],
                            "diff": float("nan") if pid == base or d is None else d["diff"],
                            "diff_se": float("nan") if pid == base or d is None else d["se"],
                        }
                    )
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def summary(self) -> None:
        """Print what ``standoff compare`` prints."""
        from standoff.cli.forecast import render_comparison

        render_comparison(self)

    def __repr__(self) -> str:
        return (
            f"<Comparison {', '.join(self['policies'])} ({self['scenario']}, as of "
            f"{self['as_of']}, {self['horizon']} months, {self['paths']} paths)>"
        )


def forecast(
    history,
    scenario=None,
    as_of=None,
    policy: str = "status-quo",
    horizon: int = 24,
    paths: int = 10_000,
    seed: int | None = None,
    raw: bool = False,
) -> ForecastResult:
    """Fit as of the scenario's (or the given) date, simulate one policy: a
    :class:`ForecastResult` (``.table`` DataFrame, ``summary()``, ``prob(event, months)``).

    ``scenario`` is a :class:`~standoff.scenario.Scenario` or a bundled name / YAML path.
    Probabilities are the combined forecast unless ``raw`` (the simulator alone)."""
    from standoff.forecast.summary import run_forecast

    if isinstance(scenario, str):
        from standoff.scenario import load_scenario

        scenario = load_scenario(scenario)
    out, sim, model = run_forecast(history, scenario, as_of, policy, horizon, paths, seed, raw=raw)
    if scenario is not None:
        out = {"scenario": scenario.name, **out}
    return ForecastResult(out, sim, model, scenario)


def compare(
    history,
    scenario,
    policies,
    horizon: int = 24,
    paths: int = 10_000,
    seed: int | None = None,
    raw: bool = False,
) -> Comparison:
    """Policies side by side on common random numbers: a :class:`Comparison`
    (``.table`` DataFrame with paired differences vs the first policy, ``summary()``);
    combined forecasts unless ``raw``."""
    from standoff.forecast.summary import compare_policies

    if isinstance(scenario, str):
        from standoff.scenario import load_scenario

        scenario = load_scenario(scenario)
    if isinstance(policies, str):
        policies = [p.strip() for p in policies.split(",") if p.strip()]
    out, sims = compare_policies(history, scenario, list(policies), horizon, paths, seed, raw=raw)
    return Comparison(out, sims)
