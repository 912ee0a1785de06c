"""Global sensitivity of a policy comparison to its assumptions (``standoff sensitivity``).

For the assumption space of :mod:`.space` (every assumption with a plausible range that acts
on the compared policies), the sweep

1. samples the space with SALib in the unit cube and maps each column through the
   assumption's quantile function: Saltelli's scheme for Sobol indices (``method="sobol"``,
   ``n`` x (D + 2) points; Saltelli et al. 2010, "Variance based sensitivity analysis of model
   output", Comput. Phys. Commun. 181, estimators of their Table 2 as implemented by
   ``SALib.analyze.sobol``) or Morris trajectories (``method="morris"``, ``n`` x (D + 1)
   points; Morris 1991, with Campolongo et al. 2007's mu*);
2. simulates every compared policy at every point through the sweep engine
   (:mod:`standoff.sweep`), ``chunk`` points per task, each finished task committed to the
   results store (``--resume``);
3. analyses, for each output (``event@h``: probability of the event within h months) and
   for each policy and each policy difference (later minus earlier in ``policies``): the
   first-order and total Sobol indices with bootstrap confidence intervals (or Morris mu*,
   sigma), conditional means for a tornado chart, the share of the sampled space in which
   each policy is best, and the assumptions that flip a pairwise ranking (the later policy is
   better in under 40% of the points where the assumption lies in the lowest third of its
   range and in over 60% where it lies in the highest third, or the reverse).

**Common random numbers.** Every point and every policy is simulated with the same seed (the
sweep seed), as ``standoff compare --seed S`` does, so outputs differ between points only
through the assumptions: Monte Carlo error is shared by all points instead of adding noise
to the indices (its size is reported: the paired standard error of each difference). The
engine's per-task seeds are therefore not drawn from; results are identical on any backend
and worker count.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from standoff.dynamics.simulate import EVENTS
from standoff.errors import UsageError
from standoff.forecast.summary import EVENT_LABELS
from standoff.sensitivity.space import Assumption, apply, assumption_space

METHODS = ("sobol", "morris")
#: about this many points per sweep task (whole Saltelli groups or Morris trajectories; the
#: chunk is part of a run's spec, so runs resume exactly)
CHUNK = 20
#: direction of "better" per event (None: no ranking, e.g. a new UNSC resolution)
HIGHER_IS_BETTER = {
    "talks": True,
    "summit": True,
    "agreement_signed": True,
    "nuclear": False,
    "icbm": False,
    "agreement_collapse": False,
    "war": False,
    "resolution": None,
}
#: an assumption flips a ranking when the later policy is better in under 40% of the points
#: where the assumption is in one third of its range and in over 60% where it is in the other
FLIP_MARGIN = 0.1
#: bound on the work of one run: points x policies x paths simulated
MAX_PATHS_TOTAL = 200_000_000
MORRIS_LEVELS = 4
_OUT = re.compile(r"^([a-z_]+)@(\d+)$")


def parse_outputs(text: str | list[str]) -> list[tuple[str, int]]:
    """``"talks@24,war@24"`` -> ``[("talks", 24), ("war", 24)]`` (validated)."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for raw in items:
        item = raw.strip()
        m = _OUT.match(item)
        if not m or m.group(1) not in EVENTS:
            raise UsageError(
                f"--outputs: expected EVENT@MONTHS with EVENT one of {', '.join(EVENTS)}, "
                f"got {item!r}"
            )
        h = int(m.group(2))
        if not 1 <= h <= 120:
            raise UsageError(f"--outputs: {item!r}: expected months in [1, 120]")
        if (m.group(1), h) in out:
            raise UsageError(f"--outputs: duplicate {item!r}")
        out.append((m.group(1), h))
    if not out:
        raise UsageError("--outputs: expected at least one EVENT@MONTHS")
    return out


def output_name(o: tuple[str, int]) -> str:
    return f"{o[0]}@{o[1]}"


def output_label(o: tuple[str, int]) -> str:
    return f"P({EVENT_LABELS[o[0]]} within {o[1]} months)"


def pairs(policies: list[str]) -> list[tuple[str, str]]:
    """Policy differences reported: (a, b) means b - a, for every a before b."""
    return [(a, b) for i, a in enumerate(policies) for b in policies[i + 1 :]]


def pair_name(a: str, b: str) -> str:
    return f"{b} − {a}"


# ----------------------------------------------------------------------- sampling
def unit_problem(space: list[Assumption]) -> dict:
    return {
        "num_vars": len(space),
        "names": [a.key for a in space],
        "bounds": [[0.0, 1.0]] * len(space),
    }


def sample_unit(space: list[Assumption], method: str, n: int, seed: int) -> np.ndarray:
    """Design points in the unit cube (SALib), one column per assumption."""
    problem = unit_problem(space)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.sample import sobol

            return sobol.sample(problem, n, calc_second_order=False, seed=seed)
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=MORRIS_LEVELS, seed=seed)


def check_design(method: str, n: int, paths: int, n_policies: int, dims: int) -> int:
    """Validate the size of a run before any work; return the number of points."""
    if method not in METHODS:
        raise UsageError(f"--method: expected one of {', '.join(METHODS)}, got {method!r}")
    if method == "sobol" and not (isinstance(n, int) and 8 <= n <= 65536 and n & (n - 1) == 0):
        raise UsageError(f"--n: expected a power of two in [8, 65536] for Sobol, got {n!r}")
    if method == "morris" and not (isinstance(n, int) and 4 <= n <= 65536):
        raise UsageError(f"--n: expected a number of trajectories in [4, 65536], got {n!r}")
    if not isinstance(paths, int) or not 100 <= paths <= 1_000_000:
        raise UsageError(f"--paths: expected an integer in [100, 1000000], got {paths!r}")
    points = n * (dims + 2) if method == "sobol" else n * (dims + 1)
    total = points * n_policies * paths
    if total > MAX_PATHS_TOTAL:
        raise UsageError(
            f"--n/--paths: {points} points x {n_policies} policies x {paths} paths = {total:,} "
            f"simulated paths, above the bound of {MAX_PATHS_TOTAL:,}; lower --n or --paths"
        )
    return points


# ----------------------------------------------------------------------- evaluation
def evaluate_chunk(context: dict, task: dict, seed: np.random.SeedSequence) -> dict:
    """Sweep task: simulate every policy at each point of ``task["rows"]``.

    Returns, per policy and output, the probability at each point, and per policy pair the
    paired Monte Carlo standard error of the difference. ``seed`` (the task's) is not drawn
    from: every point uses the sweep seed ``context["seed"]`` (common random numbers).
    """
    from standoff.dynamics.simulate import simulate

    model, space, outputs = context["model"], context["space"], context["outputs"]
    pids = list(context["policies"])
    horizon = max(h for _, h in outputs)
    p = {pid: {output_name(o): [] for o in outputs} for pid in pids}
    se = {pair_name(a, b): {output_name(o): [] for o in outputs} for a, b in pairs(pids)}
    # a policy's outputs depend only on the model parameters and its own assumptions: points
    # that differ only in another policy's assumptions (most of a Saltelli group) reuse its
    # simulation (same inputs and seed: the same numbers, bit for bit)
    relevant = {
        pid: [d for d, a in enumerate(space) if a.policy is None or a.policy == pid] for pid in pids
    }
    memo: dict = {}
    for row in task["rows"]:
        x = np.asarray(row, float)
        m, pols = apply(context["policies"], model, space, x)
        hit = {}
        for pid in pids:
            key = (pid, tuple(x[relevant[pid]].tolist()))
            if key not in memo:
                sim = simulate(m, pols[pid], context["paths"], horizon, context["seed"])
                memo[key] = {o: sim.within(o[0], o[1]) for o in outputs}
            for o in outputs:
                hit[pid, o] = memo[key][o]
                p[pid][output_name(o)].append(float(memo[key][o].mean()))
        for a, b in pairs(pids):
            for o in outputs:
                d = hit[b, o].astype(float) - hit[a, o].astype(float)
                se[pair_name(a, b)][output_name(o)].append(float(d.std(ddof=1) / np.sqrt(len(d))))
    return {"p": p, "se": se}


# ----------------------------------------------------------------------- analysis
def _indices(method, problem, U, y, seed) -> dict[str, np.ndarray]:
    D = problem["num_vars"]
    nan = np.full(D, np.nan)
    if not np.all(np.isfinite(y)) or float(np.var(y)) == 0.0:
        keys = (
            ("S1", "S1_conf", "ST", "ST_conf")
            if method == "sobol"
            else ("mu_star", "mu_star_conf", "sigma")
        )
        return {k: nan.copy() for k in keys}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            r = sobol.analyze(
                problem,
                y,
                calc_second_order=False,
                num_resamples=500,
                conf_level=0.95,
                seed=seed,
                print_to_console=False,
            )
            return {k: np.asarray(r[k], float) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        from SALib.analyze import morris

        r = morris.analyze(
            problem,
            U,
            y,
            num_resamples=500,
            conf_level=0.95,
            num_levels=MORRIS_LEVELS,
            seed=seed,
            print_to_console=False,
        )
        return {k: np.asarray(r[k], float) for k in ("mu_star", "mu_star_conf", "sigma")}


def _share(x: np.ndarray, sel: np.ndarray) -> float:
    return float(x[sel].mean()) if sel.any() else float("nan")


def _tornado(U: np.ndarray, y: np.ndarray, method: str, q: float = 0.1):
    """Mean output when each assumption is in its lowest / highest ``q`` quantile.

    Sobol (Saltelli groups ``A, AB_1 .. AB_D, B`` of D + 2 rows): ``mean(y) + mean of
    f(AB_i) - f(A)`` over the groups whose ``B_i`` lies in that quantile; ``A`` is independent
    of ``B_i``, so this estimates ``E[y | x_i in the quantile]`` with the variation of the other
    assumptions differenced out. Morris: plain conditional means over all points.
    """
    D = U.shape[1]
    lo, hi = np.full(D, np.nan), np.full(D, np.nan)
    if method == "sobol":
        g = y.reshape(-1, D + 2)
        ug = U.reshape(-1, D + 2, D)
        for d in range(D):
            eff = g[:, d + 1] - g[:, 0]
            b = ug[:, d + 1, d]
            for out, sel in ((lo, b <= q), (hi, b >= 1 - q)):
                if sel.any():
                    out[d] = float(y.mean() + eff[sel].mean())
        return lo, hi
    for d in range(D):
        for out, sel in ((lo, U[:, d] <= q), (hi, U[:, d] >= 1 - q)):
            if sel.any():
                out[d] = float(y[sel].mean())
    return lo, hi


@dataclass
class SensitivityResult:
    """Everything a report needs; tables as DataFrames (``indices``, ``best``, ``pairs``, ``flips``)."""

    spec: dict
    space: list[Assumption]
    run_id: str | None
    indices: pd.DataFrame  # output, series, kind, key, label, S1, S1_conf, ST, ST_conf | mu_star...
    tornado: pd.DataFrame  # output, series, key, label, low, high, base
    best: pd.DataFrame  # output, policy, share
    pair_table: pd.DataFrame  # output, pair, a, b, share_b_better, share_clear, mean_diff, mc_se
    flips: pd.DataFrame  # output, pair, key, label, share_low, share_high, flips
    timing: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        from standoff.cli._common import frame_records

        return {
            "run_id": self.run_id,
            **self.spec,
            "assumptions": [a.as_dict() for a in self.space],
            "indices": frame_records(self.indices),
            "tornado": frame_records(self.tornado),
            "best": frame_records(self.best),
            "pairs": frame_records(self.pair_table),
            "flips": frame_records(self.flips),
            "timing": self.timing,
        }

    @classmethod
    def from_dict(cls, d: dict) -> SensitivityResult:
        from standoff.scenario.spec import Dist

        space = [
            Assumption(
                key=a["key"],
                label=a["label"],
                value=a["value"],
                dist=Dist(uniform=[0.0, 1.0]),
                rationale=a.get("rationale"),
            )
            for a in d["assumptions"]
        ]
        ranges = {a["key"]: a["range"] for a in d["assumptions"]}
        spec_keys = ("scenario", "policies", "outputs", "method", "n", "paths", "seed", "points")
        res = cls(
            spec={k: d[k] for k in spec_keys if k in d},
            space=space,
            run_id=d.get("run_id"),
            indices=pd.DataFrame(d["indices"]),
            tornado=pd.DataFrame(d["tornado"]),
            best=pd.DataFrame(d["best"]),
            pair_table=pd.DataFrame(d["pairs"]),
            flips=pd.DataFrame(d["flips"]),
            timing=d.get("timing", {}),
        )
        res.spec["ranges"] = ranges
        return res

    def top(self, output: str, series: str, k: int = 3) -> pd.DataFrame:
        """The ``k`` assumptions with the largest total index (mu* for Morris)."""
        col = "ST" if self.spec["method"] == "sobol" else "mu_star"
        d = self.indices[(self.indices["output"] == output) & (self.indices["series"] == series)]
        return d.sort_values(col, ascending=False, na_position="last").head(k)


def analyse(
    spec: dict, space: list[Assumption], U: np.ndarray, chunks: list[dict], run_id=None
) -> SensitivityResult:
    """Indices, tornado, best-policy shares and ranking flips from the sweep's outputs."""
    method, seed = spec["method"], int(spec["seed"])
    pids = spec["policies"]
    outputs = [tuple(o) for o in spec["outputs"]]
    problem = unit_problem(space)
    P = {
        pid: {
            output_name(o): np.concatenate([c["p"][pid][output_name(o)] for c in chunks])
            for o in outputs
        }
        for pid in pids
    }
    SE = {
        pair_name(a, b): {
            output_name(o): np.concatenate(
                [c["se"][pair_name(a, b)][output_name(o)] for c in chunks]
            )
            for o in outputs
        }
        for a, b in pairs(pids)
    }
    rows, torn, best, ptab, flips = [], [], [], [], []
    thirds = (
        [U[:, d] <= 1 / 3 + 1e-9 for d in range(len(space))],
        [U[:, d] >= 2 / 3 - 1e-9 for d in range(len(space))],
    )
    for o in outputs:
        on = output_name(o)
        series = [(pid, "policy", P[pid][on]) for pid in pids]
        series += [(pair_name(a, b), "difference", P[b][on] - P[a][on]) for a, b in pairs(pids)]
        for name, kind, y in series:
            ind = _indices(method, problem, U, y, seed)
            lo, hi = _tornado(U, y, method)
            for d, a in enumerate(space):
                rows.append(
                    {
                        "output": on,
                        "series": name,
                        "kind": kind,
                        "key": a.key,
                        "label": a.label,
                        **{k: float(v[d]) for k, v in ind.items()},
                    }
                )
                torn.append(
                    {
                        "output": on,
                        "series": name,
                        "key": a.key,
                        "label": a.label,
                        "low": float(lo[d]),
                        "high": float(hi[d]),
                        "base": float(y.mean()),
                    }
                )
        direction = HIGHER_IS_BETTER[o[0]]
        if direction is not None and len(pids) > 1:
            M = np.column_stack([P[pid][on] for pid in pids])
            score = M if direction else -M
            top = score.max(axis=1, keepdims=True)
            winners = score == top
            unique = winners.sum(axis=1) == 1
            for k, pid in enumerate(pids):
                best.append(
                    {"output": on, "policy": pid, "share": float((winners[:, k] & unique).mean())}
                )
            best.append({"output": on, "policy": "(tie)", "share": float((~unique).mean())})
        for a, b in pairs(pids):
            diff = P[b][on] - P[a][on]
            se = SE[pair_name(a, b)][on]
            better = diff > 0 if direction in (True, None) else diff < 0
            clear = better & (np.abs(diff) > 2 * se)
            ptab.append(
                {
                    "output": on,
                    "pair": pair_name(a, b),
                    "a": a,
                    "b": b,
                    "higher_is_better": direction,
                    "share_b_better": float(better.mean()),
                    "share_b_clearly_better": float(clear.mean()),
                    "share_a_clearly_better": float(
                        (~better & (diff != 0) & (np.abs(diff) > 2 * se)).mean()
                    ),
                    "mean_diff": float(diff.mean()),
                    "mc_se": float(np.sqrt(np.mean(se**2))),
                }
            )
            for d, asm in enumerate(space):
                lo_share = _share(better, thirds[0][d])
                hi_share = _share(better, thirds[1][d])
                flips.append(
                    {
                        "output": on,
                        "pair": pair_name(a, b),
                        "key": asm.key,
                        "label": asm.label,
                        "share_low": lo_share,
                        "share_high": hi_share,
                        "flips": bool(
                            min(lo_share, hi_share) < 0.5 - FLIP_MARGIN
                            and max(lo_share, hi_share) > 0.5 + FLIP_MARGIN
                        ),
                    }
                )
    return SensitivityResult(
        spec=spec,
        space=space,
        run_id=run_id,
        indices=pd.DataFrame(rows),
        tornado=pd.DataFrame(torn),
        best=pd.DataFrame(best),
        pair_table=pd.DataFrame(ptab),
        flips=pd.DataFrame(flips),
    )


# ----------------------------------------------------------------------- the run
def scenario_version(scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()[:12]


def summary_subject(scenario) -> str:
    """Key of a stored result: the scenario's name and version (a result of an edited
    scenario is not shown as if it were current)."""
    return f"{scenario.name}:{scenario_version(scenario)}"


def run_sensitivity(
    history,
    scenario,
    policies: list[str],
    outputs: list[tuple[str, int]] | str,
    *,
    method: str = "sobol",
    n: int = 512,
    paths: int = 2000,
    seed: int | None = None,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    store=None,
    resume: str | None = None,
    progress: bool = True,
    on_run=None,
) -> SensitivityResult:
    """Run (or resume) a sensitivity sweep; see the module docstring.

    ``store``: a :class:`~standoff.sweep.store.SweepStore` to commit tasks to (and to resume
    ``resume`` from); None runs in memory only. ``on_run(run_id)`` is called once the run is
    stored, before any task runs.
    """
    import time

    from standoff.backtest.report import code_version, data_version
    from standoff.dynamics.model import fit_from_scenario
    from standoff.sweep import run_sweep

    if resume is not None and store is None:
        raise UsageError("--resume: needs the results store")
    versions = None
    if resume is not None:
        versions = (code_version(), f"{data_version(history)}+{scenario_version(scenario)}")
        run = store.check_resumable(resume, "sensitivity", *versions)
        s = run["spec"]
        policies, outputs, method, n, paths, seed = (
            s["policies"],
            [tuple(o) for o in s["outputs"]],
            s["method"],
            s["n"],
            s["paths"],
            s["seed"],
        )
    if isinstance(policies, str):
        policies = [p.strip() for p in policies.split(",") if p.strip()]
    if len(policies) < 2 or len(set(policies)) != len(policies):
        raise UsageError("--policies: expected at least two distinct policy ids")
    pols = {pid: scenario.policy(pid) for pid in policies}
    outputs = parse_outputs(outputs) if isinstance(outputs, str) else [tuple(o) for o in outputs]
    space = assumption_space(scenario, policies)
    points = check_design(method, n, paths, len(policies), len(space))
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**32)
    if not isinstance(seed, int) or seed < 0:
        raise UsageError(f"--seed: expected an integer >= 0, got {seed!r}")
    spec = {
        "scenario": scenario.name,
        "policies": policies,
        "outputs": [list(o) for o in outputs],
        "method": method,
        "n": n,
        "paths": paths,
        "seed": seed,
        "points": points,
        "chunk": CHUNK,
    }
    t0 = time.perf_counter()
    U = sample_unit(space, method, n, seed)
    X = np.column_stack([a.ppf(U[:, d]) for d, a in enumerate(space)])
    # whole Saltelli groups (D + 2 rows) or Morris trajectories (D + 1) per task, about CHUNK
    # rows, so that the rows that share a policy's simulation are in the same task
    group = len(space) + (2 if method == "sobol" else 1)
    chunk = group * max(1, round(CHUNK / group))
    spec["chunk"] = chunk
    tasks = [{"start": s, "rows": X[s : s + chunk].tolist()} for s in range(0, len(X), chunk)]
    model = fit_from_scenario(history, scenario)
    context = {
        "model": model,
        "policies": pols,
        "space": space,
        "outputs": outputs,
        "paths": paths,
        "seed": seed,
    }
    run_id = None
    if store is not None:
        if versions is None:
            versions = (code_version(), f"{data_version(history)}+{scenario_version(scenario)}")
        run_id = resume or store.create_run("sensitivity", spec, seed, len(tasks), *versions)
        if on_run is not None:
            on_run(run_id)
    t1 = time.perf_counter()
    res = run_sweep(
        evaluate_chunk,
        tasks,
        seed=seed,
        context=context,
        backend=backend,
        workers=workers,
        address=address,
        store=store,
        run_id=run_id,
        versions=versions or ("", ""),
        progress=progress,
        description=f"sensitivity ({len(X)} points x {len(policies)} policies)",
    )
    t2 = time.perf_counter()
    out = analyse(spec, space, U, res.outputs, run_id=run_id)
    out.timing = {
        "setup_s": round(t1 - t0, 2),
        "sweep_s": round(t2 - t1, 2),
        "analysis_s": round(time.perf_counter() - t2, 2),
        "tasks": len(tasks),
        "tasks_computed": res.computed,
        "tasks_resumed": res.skipped,
        "backend": backend,
        "workers": res.workers,
    }
    return out
