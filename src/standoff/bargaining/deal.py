"""The deal space: which packages the veto players could all accept, and where a deal settles.

A scenario's ``deal_space`` section (:class:`standoff.scenario.spec.DealSpace`) groups
issues into one negotiation (for the Korean Peninsula: steps of UN sanctions relief traded for
DPRK denuclearisation steps). :func:`analyse_deal` builds, as DataFrames:

* ``packages`` / ``feasible``: every package on the dimensions' steps and whether every veto
  player prefers it to the status quo (:mod:`.winset`), with each veto player's gain;
* ``settlements``: where each model says the deal settles, dimension by dimension, and
  whether that point is in the win-set: the one-issue models per dimension (``compromise``,
  ``median``, ``nbs`` with the status quo as disagreement point, ``eum``), KTAB's SMP on all
  dimensions at once (:mod:`.smp`), the Stokman-Van Oosten exchange model (:mod:`.linkage`),
  and the ``default`` point forecast (:func:`~standoff.bargaining.models.default_forecast`);
* ``spread``: per dimension, the range and standard deviation of the component models'
  settlements (every model but ``default``), the uncertainty across models;
* ``recommended``: the feasible package nearest to the chosen model's settlement (``default``
  unless told), and ``movers``: how far each actor must move from its position to reach it;
* ``exchanges``: the trades of position that the exchange model finds.

:func:`phased_relief_package` turns the recommended package into the content of the policy
the deal space names (``deal_space.policy``, e.g. ``phased-relief``): how many relief steps
and which halt they are traded for. The CLI (``standoff bargain --scenario korea-now
--deal``), the briefing and the web Bargaining page only render these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from standoff.bargaining.linkage import ExchangeResult, exchange_model
from standoff.bargaining.models import DEFAULT_MODEL, forecast
from standoff.bargaining.smp import SMPResult, run_smp
from standoff.bargaining.spatial import SpatialProblem, make_spatial
from standoff.bargaining.winset import WinSet, gains, win_set
from standoff.errors import UsageError

__all__ = [
    "COMPONENT_MODELS",
    "DEAL_MODELS",
    "DealResult",
    "ReliefPackage",
    "analyse_deal",
    "deal_problem",
    "phased_relief_package",
]

#: the models whose settlements span the uncertainty (``default`` combines two of them)
COMPONENT_MODELS = ("compromise", "median", "nbs", "eum", "smp", "exchange")
#: every model a deal can be settled by (``--model``)
DEAL_MODELS = ("default", *COMPONENT_MODELS)
MODEL_LABELS = {
    "default": "default (mean of compromise and Nash bargaining)",
    "compromise": "compromise (capability x salience weighted mean)",
    "median": "power-weighted median",
    "nbs": "Nash bargaining (status quo as disagreement point)",
    "eum": "expected utility model (clean), per dimension",
    "smp": "KTAB Spatial Model of Politics (all dimensions at once)",
    "exchange": "exchange model (Stokman & Van Oosten 1994)",
}


#: short names for tables
MODEL_SHORT = {
    "default": "default",
    "compromise": "compromise",
    "median": "power-weighted median",
    "nbs": "Nash bargaining (status quo)",
    "eum": "EUM, clean (per dimension)",
    "smp": "SMP (KTAB)",
    "exchange": "exchange (Stokman-Van Oosten)",
}


def deal_problem(scenario) -> SpatialProblem:
    """The scenario's ``deal_space`` as a :class:`SpatialProblem` (one line if it has none)."""
    ds = scenario.deal_space
    if ds is None:
        raise UsageError(
            f"--deal: scenario {scenario.name!r} has no deal_space section (see "
            "standoff.scenario.spec.DealSpace)"
        )
    actors = list(ds.positions)
    dims = ds.dimensions
    return make_spatial(
        actors,
        [scenario.actor(a).capability.value for a in actors],
        [[ds.positions[a][d.id].position.value for d in dims] for a in actors],
        [[ds.positions[a][d.id].salience.value for d in dims] for a in actors],
        dimensions=[d.id for d in dims],
        scales=[(d.scale.min, d.scale.max) for d in dims],
        status_quo=[None if d.status_quo is None else d.status_quo.value for d in dims],
        two_outcome=[d.two_outcome for d in dims],
        titles=[d.title for d in dims],
        labels=[(d.scale.low, d.scale.high) for d in dims],
        steps=[[st.value for st in d.steps] for d in dims],
        name=ds.id,
        where=f"scenario {scenario.name}: deal_space",
        title=ds.title,
        meta={
            "scenario": scenario.name,
            "as_of": str(scenario.as_of),
            "veto": list(ds.veto_players),
            "step_labels": {d.id: {st.value: st.label for st in d.steps} for d in dims},
            "units": {d.id: d.unit or "" for d in dims},
        },
    )


@dataclass
class DealResult:
    """Everything ``--deal`` reports (see the module docstring); tables are DataFrames."""

    problem: SpatialProblem
    model: str
    winset: WinSet
    settlements: pd.DataFrame
    spread: pd.DataFrame
    recommended: pd.Series | None
    movers: pd.DataFrame
    exchange: ExchangeResult
    smp: SMPResult
    notes: list[str] = field(default_factory=list)

    @property
    def packages(self) -> pd.DataFrame:
        return self.winset.packages

    @property
    def feasible(self) -> pd.DataFrame:
        return self.winset.feasible.sort_values(
            ["min_gain", *self.problem.dimensions], ascending=[False] + [True] * self.problem.d
        ).reset_index(drop=True)

    def settlement(self, model: str | None = None) -> np.ndarray:
        row = self.settlements.loc[self.settlements["model"] == (model or self.model)].iloc[0]
        return row[list(self.problem.dimensions)].to_numpy(dtype=float)

    def label(self, dim: str, value: float) -> str:
        """The step label of ``value`` on ``dim`` (the value itself if it has none)."""
        labels = self.problem.meta.get("step_labels", {}).get(dim, {})
        return labels.get(float(value), f"{value:g}")

    def to_dict(self) -> dict:
        """JSON-ready: every table as records (``--json``, the web API)."""
        p = self.problem

        def recs(df):
            return df.replace({np.nan: None}).to_dict(orient="records")

        out = {
            "scenario": p.meta.get("scenario"),
            "as_of": p.meta.get("as_of"),
            "deal_space": p.name,
            "title": p.title,
            "model": self.model,
            "dimensions": [
                {
                    "id": d,
                    "title": p.titles[k],
                    "scale": list(p.scales[k]),
                    "low": p.labels[k][0],
                    "high": p.labels[k][1],
                    "unit": p.meta.get("units", {}).get(d, ""),
                    "status_quo": p.status_quo[k],
                    "two_outcome": p.two_outcome[k],
                    "steps": [
                        {"value": v, "label": self.label(d, v)}
                        for v in (p.steps[k] if p.steps else ())
                    ],
                }
                for k, d in enumerate(p.dimensions)
            ],
            "veto_players": list(self.winset.veto),
            "actors": [
                {
                    "actor": a,
                    "capability": float(p.capability[i]),
                    "veto": a in self.winset.veto,
                    "position": dict(zip(p.dimensions, p.position[i].tolist(), strict=True)),
                    "salience": dict(zip(p.dimensions, p.salience[i].tolist(), strict=True)),
                }
                for i, a in enumerate(p.actors)
            ],
            "packages": {
                "total": len(self.packages),
                "feasible": int(self.packages["feasible"].sum()),
            },
            "feasible": recs(self.feasible),
            "settlements": recs(self.settlements),
            "spread": recs(self.spread),
            "recommended": None
            if self.recommended is None
            else {k: (v.item() if hasattr(v, "item") else v) for k, v in self.recommended.items()},
            "movers": recs(self.movers),
            "exchanges": recs(self.exchange.exchanges),
            "smp": {
                "turns": self.smp.turns,
                "status": self.smp.status,
                "forecast": dict(zip(p.dimensions, self.smp.forecast.tolist(), strict=True)),
                "expected": dict(zip(p.dimensions, self.smp.expected.tolist(), strict=True)),
            },
            "notes": list(self.notes),
        }
        return out

    def chart_data(self) -> dict | None:
        """The win-set picture of a 2-D deal space (positions, status quo, each veto player's
        indifference curve, the feasible region and packages, the models' settlements), as
        plain lists for the web page's plotly chart."""
        p = self.problem
        ws = self.winset
        if ws.region is None:
            return None
        xs, ys, mask = ws.region

        def fl(a):
            return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=float)]

        dims = list(p.dimensions)
        feas = self.feasible
        return {
            "dimensions": dims,
            "titles": list(p.titles),
            "scales": [list(s) for s in p.scales],
            "actors": list(p.actors),
            "veto": list(ws.veto),
            "x": fl(p.position[:, 0]),
            "y": fl(p.position[:, 1]),
            "status_quo": fl(ws.status_quo),
            "region": {"x": fl(xs), "y": fl(ys), "z": mask.astype(int).tolist()},
            "curves": {a: {"x": fl(cx), "y": fl(cy)} for a, (cx, cy) in ws.curves.items()},
            "feasible": {"x": fl(feas[dims[0]]), "y": fl(feas[dims[1]])},
            "settlements": [
                {"model": r["model"], "x": float(r[dims[0]]), "y": float(r[dims[1]])}
                for _, r in self.settlements.iterrows()
            ],
            "recommended": None
            if self.recommended is None
            else [float(self.recommended[dims[0]]), float(self.recommended[dims[1]])],
        }


def _per_dimension(problem: SpatialProblem, model: str, rounds: int | None) -> np.ndarray:
    out = []
    for prob in problem.problems():
        opts = {"log": False} if model == "eum" else {}
        if model == "eum" and rounds:
            opts["rounds"] = rounds
        out.append(forecast(prob, model, **opts).value)
    return np.array(out, dtype=float)


def analyse_deal(
    scenario_or_problem,
    *,
    model: str = DEFAULT_MODEL,
    veto: list[str] | None = None,
    rounds: int | None = None,
) -> DealResult:
    """Win-set, feasible packages, every model's settlement and its spread (module docstring).

    Args:
        scenario_or_problem: a :class:`~standoff.scenario.Scenario` with a ``deal_space``, a
            scenario name, or a :class:`SpatialProblem` (then ``veto`` is required unless its
            ``meta`` names them).
        model: the model whose settlement picks the recommended package (one of
            :data:`DEAL_MODELS`).
        rounds: turns of the SMP / rounds of the EUM (their defaults if None).
    """
    if model not in DEAL_MODELS:
        raise UsageError(
            f"--model: expected one of {', '.join(DEAL_MODELS)} with --deal, got {model!r}"
        )
    if isinstance(scenario_or_problem, SpatialProblem):
        problem = scenario_or_problem
    else:
        scn = scenario_or_problem
        if isinstance(scn, str):
            from standoff.scenario import load_scenario

            scn = load_scenario(scn)
        problem = deal_problem(scn)
    veto = list(veto or problem.meta.get("veto") or [])
    if not veto:
        raise UsageError(f"{problem.source}: expected the veto players")
    ws = win_set(problem, veto)
    sq = ws.status_quo
    smp = run_smp(problem, **({"max_turns": rounds} if rounds else {}))
    exch = exchange_model(problem) if problem.d >= 2 else None
    points = {
        m: _per_dimension(problem, m, rounds)
        for m in ("default", "compromise", "median", "nbs", "eum")
    }
    points["smp"] = np.asarray(smp.forecast, dtype=float)
    notes = []
    if exch is not None:
        points["exchange"] = exch.after
    else:
        notes.append("one dimension: no issue linkage, the exchange model is left out")
    order = [m for m in DEAL_MODELS if m in points]
    rows = []
    vidx = [problem.actors.index(a) for a in veto]
    for m in order:
        pt = points[m]
        g = gains(problem, pt, sq)[vidx, 0]
        rows.append(
            {
                "model": m,
                "label": MODEL_LABELS[m],
                "short": MODEL_SHORT[m],
                **dict(zip(problem.dimensions, pt.tolist(), strict=True)),
                "in_win_set": bool((g > 1e-12).all()),
                "blocked_by": ", ".join(a for a, v in zip(veto, g, strict=True) if not v > 1e-12),
            }
        )
    settlements = pd.DataFrame(rows)
    comp = settlements[settlements["model"].isin(COMPONENT_MODELS)]
    spread = pd.DataFrame(
        [
            {
                "dimension": d,
                "min": float(comp[d].min()),
                "max": float(comp[d].max()),
                "range": float(comp[d].max() - comp[d].min()),
                "sd": float(comp[d].std(ddof=1)) if len(comp) > 1 else 0.0,
                "default": float(settlements.loc[settlements["model"] == "default", d].iloc[0]),
                "models": len(comp),
            }
            for d in problem.dimensions
        ]
    )
    target = points[model]
    feas = ws.feasible
    recommended = None
    if len(feas):
        u = problem.to_unit(feas[list(problem.dimensions)].to_numpy(dtype=float))
        dist = np.sqrt(((u - problem.to_unit(target)) ** 2).sum(axis=1))
        k = int(np.lexsort((-feas["min_gain"].to_numpy(), dist))[0])
        recommended = feas.iloc[k].copy()
        recommended["distance_to_settlement"] = float(dist[k])
    else:
        notes.append(
            "no package on the dimensions' steps is preferred to the status quo by every veto player"
        )
    movers = _movers(problem, veto, sq, recommended)
    return DealResult(
        problem,
        model,
        ws,
        settlements,
        spread,
        recommended,
        movers,
        exch or _no_exchange(problem),
        smp,
        notes,
    )


def _no_exchange(problem: SpatialProblem) -> ExchangeResult:
    from standoff.bargaining.linkage import outcomes

    o = outcomes(problem)
    return ExchangeResult(problem, problem.position.copy(), o, o, pd.DataFrame(), 0)


def _movers(problem: SpatialProblem, veto, sq, package) -> pd.DataFrame:
    """Per actor: how far it must move from its position to the package, and whether it
    prefers the package to the status quo (its gain)."""
    rows = []
    if package is None:
        return pd.DataFrame(columns=["actor", "veto"])
    pt = np.array([package[d] for d in problem.dimensions], dtype=float)
    g = gains(problem, pt, sq)[:, 0]
    x = problem.unit_position()
    s = problem.salience
    u = problem.to_unit(pt)
    with np.errstate(invalid="ignore", divide="ignore"):
        conc = np.sqrt(((s * (u - x)) ** 2).sum(axis=1) / (s * s).sum(axis=1))
    for i, a in enumerate(problem.actors):
        row = {"actor": a, "veto": a in veto}
        for k, d in enumerate(problem.dimensions):
            row[f"{d} position"] = float(problem.position[i, k])
            row[f"{d} move"] = float(pt[k] - problem.position[i, k])
        row["concession"] = float(np.nan_to_num(conc[i]))
        row["gain_vs_status_quo"] = float(g[i])
        row["prefers_package"] = bool(g[i] > 1e-12)
        rows.append(row)
    return (
        pd.DataFrame(rows)
        .sort_values(["veto", "concession"], ascending=[False, False])
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------------- simulator link
@dataclass(frozen=True)
class ReliefPackage:
    """The content a feasible package gives the phased-relief policy.

    Attributes:
        policy: the policy id (``deal_space.policy.id``).
        relief_steps: the package's value on the relief dimension.
        halt: the package's value on the halt dimension, and ``halt_label`` its step label.
        step_delta: sanctions-index points per relief step (the policy's ``relief_rule.delta``).
        start, every, quiet_months, floor: the policy's relief rule.
        schedule: one row per relief step: the earliest month it can be granted under the
            rule, the index change, and the halt it is traded for.
        package: the package on every dimension; ``model``: the model whose settlement
            picked it; ``settlement``: that settlement.
    """

    policy: str
    relief_steps: float
    halt: float
    halt_label: str
    step_delta: float
    start: int
    every: int
    quiet_months: int
    floor: float
    schedule: pd.DataFrame
    package: dict
    model: str
    settlement: dict


def phased_relief_package(scenario, *, model: str = DEFAULT_MODEL) -> ReliefPackage | None:
    """The feasible package whose relief steps and traded halt give the phased-relief policy
    its content (``deal_space.policy`` names the policy and its two dimensions).

    Returns None when no package is preferred to the status quo by every veto player. The
    policy itself (and the simulator) is not changed: this reads the policy's relief rule and
    returns the schedule the package implies.
    """
    if isinstance(scenario, str):
        from standoff.scenario import load_scenario

        scenario = load_scenario(scenario)
    ds = scenario.deal_space
    if ds is None or ds.policy is None:
        raise UsageError(
            f"scenario {scenario.name!r}: expected a deal_space with a 'policy' link "
            "(id, relief, halt)"
        )
    res = analyse_deal(scenario, model=model)
    if res.recommended is None:
        return None
    pol = scenario.policy(ds.policy.id)
    rule = next((iv for iv in pol.interventions if iv.kind == "relief_rule"), None)
    if rule is None:
        raise UsageError(
            f"scenario {scenario.name!r}: policy {pol.id!r} has no relief_rule to give content to"
        )
    pkg = {d: float(res.recommended[d]) for d in res.problem.dimensions}
    r = pkg[ds.policy.relief]
    h = pkg[ds.policy.halt]
    label = res.label(ds.policy.halt, h)
    steps = int(np.floor(r + 1e-9))
    every = rule.every or 1
    sched = pd.DataFrame(
        {
            "step": np.arange(1, steps + 1),
            "month": rule.start + every * np.arange(steps),
            "index_change": [rule.delta.value] * steps,
            "traded_for": [label] * steps,
        }
    )
    sett = dict(zip(res.problem.dimensions, res.settlement().tolist(), strict=True))
    return ReliefPackage(
        policy=pol.id,
        relief_steps=r,
        halt=h,
        halt_label=label,
        step_delta=rule.delta.value,
        start=rule.start,
        every=every,
        quiet_months=rule.quiet_months,
        floor=rule.floor,
        schedule=sched,
        package=pkg,
        model=model,
        settlement=sett,
    )
