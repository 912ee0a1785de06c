"""Forecast summaries and policy comparison (``standoff forecast`` / ``standoff compare``).

Every probability comes with its Monte Carlo standard error ``sqrt(p (1 - p) / n)``; launch
counts with quantiles and the standard error of their mean. Policies are compared on common
random numbers (one seed for all), so each difference has a *paired* standard error
``sd(x_a - x_b) / sqrt(n)``, much smaller than the unpaired one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from standoff.dynamics.model import FittedModel, fit, fit_from_scenario
from standoff.dynamics.simulate import EVENTS, Simulation, simulate
from standoff.errors import UsageError
from standoff.history.core import History
from standoff.labels import label, target
from standoff.limits import check_seed, check_simulation
from standoff.scenario import Scenario
from standoff.scenario.policy import STATUS_QUO, Policy

HORIZONS = (1, 3, 6, 12, 24)
#: the events reported: at least one missile launch, then the simulator's events
REPORTED = ("launch", *EVENTS)
EVENT_LABELS = {e: target(e) if e == "launch" else label(e) for e in REPORTED}  # one label map


def _horizons(h: int) -> list[int]:
    return sorted({k for k in HORIZONS if k <= h} | {h})


def summarise(sim: Simulation, model: FittedModel | None = None) -> dict:
    """JSON-ready summary of a simulation."""
    events = {}
    for e in REPORTED:
        events[e] = {"label": EVENT_LABELS[e]}
        for k in _horizons(sim.horizon):
            p, se = sim.prob(e, k)
            events[e][str(k)] = {"p": round(p, 6), "se": round(se, 6)}
    out = {
        "as_of": sim.as_of,
        "policy": sim.policy,
        "first_month": sim.months[0],
        "horizon": sim.horizon,
        "paths": sim.n_paths,
        "seed": sim.seed,
        "events": events,
        "launches": sim.launch_quantiles(),
        "outcomes_at_horizon": sim.outcome_shares(),
        "notes": sim.notes,
    }
    if model is not None:
        out["fit_window"] = list(model.fit_window)
        out["war_prior"] = model.war.as_dict()
    return out


def _model(history: History, scenario: Scenario | None, as_of) -> FittedModel:
    if scenario is not None and as_of is not None:
        # the scenario's parameters, fitted as of another date (``standoff forecast`` with no
        # arguments: korea-now's parameters as of the latest coverage of the latest vintage)
        return fit(history, as_of, {k: v.value for k, v in scenario.parameters.items()})
    if scenario is not None:
        return fit_from_scenario(history, scenario)
    return fit(history, as_of)


def with_freshness(out: dict, history: History, model: FittedModel) -> dict:
    """Add the data's freshness (coverage end per table, as-of date, first forecast month,
    vintage) and its warnings to a forecast summary."""
    from standoff.history.freshness import freshness, freshness_notes

    fr = freshness(history, model.as_of, model.first_forecast_month)
    out["data"] = {
        "vintage": history.vintage or history.origin,
        "as_of": str(model.as_of.date()),
        "first_forecast_month": model.first_forecast_month,
        "coverage_end": {r["table"]: str(r["coverage_end"].date()) for _, r in fr.iterrows()},
    }
    out["notes"] = [*out.get("notes", []), *freshness_notes(fr)]
    return out


def run_forecast(
    history: History,
    scenario: Scenario | None = None,
    as_of: str | dt.date | None = None,
    policy: str = "status-quo",
    horizon: int = 24,
    paths: int = 10_000,
    seed: int | None = None,
    raw: bool = False,
    progress=None,
) -> tuple[dict, Simulation, FittedModel]:
    """Fit as of the scenario's (or the given) date, simulate one policy, summarise.

    By default the probabilities are the combined forecast (:mod:`.combined`: the simulator's
    probability recalibrated on its own track record, the simulator's value kept as ``raw``);
    ``raw=True`` reports the simulator alone.
    """
    check_seed(seed)
    check_simulation(paths, horizon)  # bounds and the memory budget, before any work
    model = _model(history, scenario, as_of)
    pol = _policy(scenario, policy)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)  # recorded, so the run can be repeated
    sim = simulate(model, pol, paths, horizon, seed)
    out = summarise(sim, model)
    if not raw:
        from standoff.forecast.combined import apply, combiner

        out = apply(out, combiner(history, model, sim, progress), sim)
    out["raw"] = raw
    return with_freshness(out, history, model), sim, model


def _summary(sim: Simulation, cmb) -> dict:
    out = summarise(sim)
    if cmb is not None:
        from standoff.forecast.combined import apply

        out = apply(out, cmb, sim)
    return out


def _policy(scenario: Scenario | None, policy_id: str) -> Policy:
    if scenario is None or not scenario.policies:
        if policy_id != "status-quo":
            raise UsageError(
                f"--policy: {policy_id!r} needs a scenario that defines it (use --scenario)"
            )
        return STATUS_QUO
    return scenario.policy(policy_id)


def compare_policies(
    history: History,
    scenario: Scenario,
    policies: list[str],
    horizon: int = 24,
    paths: int = 10_000,
    seed: int | None = None,
    raw: bool = False,
    progress=None,
) -> tuple[dict, dict[str, Simulation]]:
    """Simulate several policies on common random numbers; differences vs the first.

    By default every policy's probabilities go through the same recalibration maps, fitted on
    the simulator's track record (:mod:`.combined`): strictly increasing maps that do not depend
    on the policy, so a combined difference has the sign of the simulated one; ``raw=True``
    compares the simulators alone.
    """
    if len(policies) < 1:
        raise UsageError("--policies: expected at least one policy id")
    if len(set(policies)) != len(policies):
        raise UsageError(f"--policies: duplicate id in {','.join(policies)}")
    pols = [scenario.policy(p) for p in policies]  # validates every id before any work
    check_seed(seed)
    check_simulation(paths, horizon, len(pols))
    model = fit_from_scenario(history, scenario)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)  # recorded, so the run can be repeated
    sims = {p.id: simulate(model, p, paths, horizon, seed) for p in pols}
    base = sims[pols[0].id]
    cmb = None
    if not raw:
        from standoff.forecast.combined import combiner

        ref = sims.get(STATUS_QUO.id) or simulate(model, STATUS_QUO, paths, horizon, seed)
        cmb = combiner(history, model, ref, progress)
    out = {
        "scenario": scenario.name,
        "as_of": base.as_of,
        "horizon": horizon,
        "paths": paths,
        "seed": seed,
        "baseline": pols[0].id,
        "policies": {pid: _summary(s, cmb) for pid, s in sims.items()},
        "differences": {},
        "notes": base.notes,
        "raw": raw,
    }
    out = with_freshness(out, history, model)
    for pid, s in sims.items():
        if pid == base.policy:
            continue
        diff = {}
        for e in REPORTED:
            diff[e] = {}
            for k in _horizons(horizon):
                xa, xb = s.within(e, k).astype(float), base.within(e, k).astype(float)
                d = xa - xb
                dm, dse = float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
                ra = cmb.prob(e, k, float(xa.mean())) if cmb is not None else None
                rb = cmb.prob(e, k, float(xb.mean())) if cmb is not None else None
                if ra is not None and rb is not None:  # combined: delta method on the pair
                    dm, dse = ra[0] - rb[0], 0.5 * abs(ra[1] + rb[1]) * dse
                diff[e][str(k)] = {"diff": round(dm, 6), "se": round(dse, 6)}
        la = s.launches.sum(axis=0).astype(float) - base.launches.sum(axis=0).astype(float)
        diff["launches_total"] = {
            "diff": float(la.mean()),
            "se": float(la.std(ddof=1) / np.sqrt(len(la))),
        }
        out["differences"][pid] = diff
    return out, sims
