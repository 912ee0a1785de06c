"""Monte Carlo of whole paths of the standoff, month by month, vectorised over paths.

``simulate(model, policy, n_paths, horizon_months, seed)`` draws, for every path, one set of
coefficients from each fitted component's sampling distribution (parameter uncertainty) and a
war hazard from its prior, then steps month by month with feedback: DPRK tests and launches
raise tension and the odds of a UNSC response; resolutions raise the sanctions index; talks,
summits and agreements lower tension; all of them enter next month's covariates.

Expected monthly launches are capped at ``FittedModel.launch_cap`` (twice the largest monthly
count in the fitting window) so that a path whose drawn lag coefficients are explosive stays
within physical capacity [project formalisation].

Within a month the order is: DPRK (nuclear test, ICBM, launch count), UNSC (new sanctions,
which may respond to this month's tests), policy steps, diplomacy (talks, summit, agreement
signed or collapsed), tension, war. War is absorbing: a path at war records no further events.

Nowcast: months between the end of the launch data and the as-of date are simulated first,
with every observed event (tests, resolutions, talks, agreements, the sanctions index) fixed
at its recorded value; forecasts start the month after the as-of month.

Determinism and common random numbers: every component draws from its own child stream of
``numpy.random.SeedSequence(seed)``, so the same seed gives bit-identical paths, and two
policies simulated with one seed share the random numbers of every binary event (differences
between policies are then paired, with small Monte Carlo error). The launch-count stream is
shared only until a policy first changes some path's expected launches: gamma and Poisson
draws consume a variable number of uniforms, so from then on launch counts are independent
across policies (differences stay unbiased, with a larger error).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from standoff.dynamics.features import DECAY, TENSION_WEIGHTS, history_covariates
from standoff.dynamics.model import FittedModel
from standoff.errors import UsageError
from standoff.progress import track
from standoff.scenario.policy import STATUS_QUO, TARGETS, Policy

EVENTS = (
    "nuclear",
    "icbm",
    "resolution",
    "talks",
    "summit",
    "agreement_signed",
    "agreement_collapse",
    "war",
)
_STREAMS = (
    "coef",
    "war",
    "nuclear",
    "icbm",
    "launches",
    "resolution",
    "talks",
    "summit",
    "agreement",
    "increment",
)


def _rngs(seed) -> dict[str, np.random.Generator]:
    if isinstance(seed, np.random.Generator):
        ss = seed.bit_generator.seed_seq
        if not isinstance(ss, np.random.SeedSequence):
            ss = np.random.SeedSequence(int(seed.integers(2**63)))
    elif isinstance(seed, np.random.SeedSequence):
        ss = seed
    else:
        ss = np.random.SeedSequence(seed)
    return {
        name: np.random.default_rng(s)
        for name, s in zip(_STREAMS, ss.spawn(len(_STREAMS)), strict=True)
    }


@dataclass
class Simulation:
    """Simulated paths: per-month event indicators (horizon, n_paths) and end states."""

    policy: str
    as_of: str
    months: list[str]
    n_paths: int
    seed: object
    events: dict[str, np.ndarray]
    launches: np.ndarray  # (horizon, n) missiles per month
    tension: np.ndarray  # (horizon, n)
    sanctions: np.ndarray  # (horizon, n) index
    agreement_in_force: np.ndarray  # (horizon, n)
    notes: list[str] = field(default_factory=list)

    @property
    def horizon(self) -> int:
        return len(self.months)

    def within(self, event: str, h: int) -> np.ndarray:
        """Per path: did ``event`` happen in forecast months 1..h? (``launch``: at least one
        missile launched.)"""
        if event == "launch":
            return (self.launches[: min(h, self.horizon)] > 0).any(axis=0)
        if event not in self.events:
            raise UsageError(f"event: unknown {event!r} (expected one of {', '.join(self.events)})")
        if not 1 <= int(h) <= self.horizon:
            raise UsageError(
                f"h: {h} months is outside this simulation's horizon of {self.horizon} months "
                f"(expected 1..{self.horizon}; simulate a longer horizon)"
            )
        return self.events[event][:h].any(axis=0)

    def prob(self, event: str, h: int) -> tuple[float, float]:
        """Probability of ``event`` within ``h`` months and its Monte Carlo standard error."""
        x = self.within(event, h)
        p = float(x.mean())
        return p, float(np.sqrt(max(p * (1 - p), 0.0) / self.n_paths))

    def launch_quantiles(self, qs=(0.05, 0.25, 0.5, 0.75, 0.95)) -> list[dict]:
        """Quantiles of missiles launched in each 12-month year of the horizon."""
        out = []
        for y in range(0, self.horizon, 12):
            tot = self.launches[y : y + 12].sum(axis=0)
            out.append(
                {
                    "year": y // 12 + 1,
                    "months": f"{self.months[y]}..{self.months[min(y + 11, self.horizon - 1)]}",
                    "mean": float(tot.mean()),
                    "mean_se": float(tot.std(ddof=1) / np.sqrt(self.n_paths)),
                    **{f"q{int(q * 100):02d}": float(np.quantile(tot, q)) for q in qs},
                }
            )
        return out

    def outcome_shares(self) -> dict[str, dict]:
        """States at the horizon: war / agreement in force / talks (last 6 months) / standoff."""
        war = self.events["war"].any(axis=0)
        agr = (self.agreement_in_force[-1] > 0) & ~war
        talks = self.events["talks"][-6:].any(axis=0) | self.events["summit"][-6:].any(axis=0)
        talks = talks & ~war & ~agr
        standoff = ~(war | agr | talks)
        out = {}
        for name, x in (("war", war), ("agreement", agr), ("talks", talks), ("standoff", standoff)):
            p = float(x.mean())
            out[name] = {"p": p, "se": float(np.sqrt(p * (1 - p) / self.n_paths))}
        return out


def _exog_paths(exog, gap: int, H: int) -> dict[str, np.ndarray]:
    """Exogenous covariate paths over the nowcast and forecast months (length gap + H)."""
    out = {}
    for name, v in (exog or {}).items():
        a = np.asarray(v, float).ravel()
        if len(a) == H and gap:
            a = np.r_[np.full(gap, np.nan), a]  # forecast months only: nowcast from the state
        if len(a) != gap + H or not np.all(np.isfinite(a[gap:])):
            raise UsageError(
                f"exog: {name!r} needs {H} finite values (one per forecast month), got {len(v)}"
            )
        out[name] = a
    return out


def _state_value(model: FittedModel, name: str, step: int) -> float:
    """Covariate ``name`` in nowcast month ``step`` from the model's recorded state."""
    from standoff.dynamics.model import state_design

    x = state_design(model.state)
    if name not in x:
        raise UsageError(f"exog: {name!r} has no value for the nowcast months; give them too")
    return float(x[name].iloc[model.start_index + 1 + step])


def _covariate(cov: dict[str, np.ndarray], name: str, component: str) -> np.ndarray:
    v = cov.get(name)
    if v is None:
        raise UsageError(
            f"covariate {name!r} of the {component} hazard is neither simulated nor given in exog"
        )
    return v


def _hazard_shift(
    policy: Policy, target: str, month: int, n: int, cond: dict[str, np.ndarray]
) -> np.ndarray:
    shift = np.zeros(n)
    for iv in policy.interventions:
        if iv.kind == "hazard" and iv.target == target and iv.active(month):
            gate = 1.0 if iv.when == "always" else cond[iv.when].astype(float)
            shift = shift + iv.log_ratio.value * gate
    return shift


def simulate(
    model: FittedModel,
    policy: Policy | None = None,
    n_paths: int = 10_000,
    horizon_months: int = 24,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    exog: dict[str, np.ndarray] | None = None,
) -> Simulation:
    """Simulate ``n_paths`` paths for ``horizon_months`` months after the as-of month.

    ``exog`` gives exogenous covariates known at the origin (e.g. a scheduled summit or the
    exercise calendar): name -> values for the ``horizon_months`` forecast months, or for the
    nowcast months followed by the forecast months; the same for every path. Each hazard is
    built from its fitted covariate names (``Fit.names``), looked up first in ``exog`` and then
    among the simulated state's covariates; a name found in neither is an error.
    """
    if not isinstance(n_paths, (int, np.integer)) or n_paths < 2:
        raise UsageError(f"--paths: expected an integer >= 2, got {n_paths!r}")
    if not isinstance(horizon_months, (int, np.integer)) or not 1 <= horizon_months <= 600:
        raise UsageError(
            f"--horizon: expected an integer number of months in [1, 600], got {horizon_months!r}"
        )
    policy = policy or STATUS_QUO
    n = int(n_paths)
    gap = len(model.nowcast_months)
    H = int(horizon_months)
    # leading information known at the origin (scheduled summits, moratorium statements ...);
    # paths given in ``exog`` take precedence
    from standoff.dynamics.leading import exog_paths

    names = {c for fit in model.components.values() for c in fit.names}
    exog = {**exog_paths(model, gap + H, names), **(exog or {})}
    ex_paths = _exog_paths(exog, gap, H)
    r = _rngs(seed)
    comps = model.components
    B = {name: fit.draw(r["coef"], n) for name, fit in comps.items()}
    nb = comps["launches"]
    # dispersion per path; its log-normal draw is kept within a factor 10 of the estimate
    alpha = nb.alpha * np.exp(np.clip(r["coef"].normal(0.0, nb.log_alpha_sd, size=n), -2.3, 2.3))
    h0 = model.war.draw(r["war"], n)
    gamma = model.parameters["war_tension_effect"]

    st = model.state
    obs = st.iloc[: model.start_index + 1]
    last12 = obs["launches"].to_numpy(float)[-12:]
    last12 = np.nan_to_num(last12)
    buf = np.tile(np.pad(last12, (12 - len(last12), 0)), (n, 1))  # (n, 12) launch history
    last = st.iloc[model.start_index]
    partial = model.partial_month

    def since(col: str, frame) -> int:  # as features.months_since at the next month
        hits = np.flatnonzero(frame[col].to_numpy(float) > 0)
        return int(len(frame) - hits[-1]) if hits.size else len(frame) + 1

    since_talks = np.full(n, since("talks", obs))
    since_summit = np.full(n, since("summit", obs))
    since_res = np.full(n, since("resolution", obs))
    since_test = np.full(n, min(since("nuclear", obs), since("icbm", obs)))
    since_nuc = np.full(n, since("nuclear", obs))
    since_icbm = np.full(n, since("icbm", obs))
    since_sign = np.full(n, since("agreement_signed", obs))
    since_unsc = np.full(n, since("resolution", obs))
    nuc_prev = np.full(n, float(last["nuclear"]))
    icbm_prev = np.full(n, float(last["icbm"]))
    agreement = np.full(n, float(last["agreement"]))
    sindex = np.full(n, float(last["sanctions_index"]))
    tension = np.full(n, float(last["tension"]))
    kju = float(last["kju"])
    ex0 = float(st["ex_suspended"].iloc[-1])  # exercises regime at the as-of date
    mor = float(st["moratorium"].iloc[-1])  # DPRK test moratorium at the as-of date
    veto_era = float(st["veto"].sum() > 0)
    recent = st.iloc[-60:]
    prov_other = float(np.nanmean(recent["provocation_other"].to_numpy(float)))
    war = np.zeros(n, bool)

    rec = {e: np.zeros((H, n), np.uint8) for e in EVENTS}
    rec_la = np.zeros((H, n), np.int32)
    rec_t = np.zeros((H, n), np.float32)
    rec_s = np.zeros((H, n), np.float32)
    rec_a = np.zeros((H, n), np.uint8)
    fixed = model.nowcast_fixed

    def eta(name: str, cov: dict[str, np.ndarray]) -> np.ndarray:
        X = np.column_stack([_covariate(cov, c, name) for c in comps[name].names])
        return np.einsum("nk,nk->n", X, B[name])

    def bern(stream: str, logit: np.ndarray) -> np.ndarray:
        return r[stream].random(n) < special.expit(logit)

    for step in track(range(gap + H), f"simulating {policy.id}: months"):
        nowcast = step < gap
        month = step - gap + 1  # forecast month (1-based); <= 0 while nowcasting
        l1 = np.log1p(buf[:, -1])
        cov = {
            "const": np.ones(n),
            "kju": np.full(n, kju),
            "l1": l1,
            "l12": np.log1p(buf.mean(axis=1)),
            "tension": tension / 10.0,
            "talks_recent": (since_talks <= 3).astype(float),
            "talks_12": (since_talks <= 12).astype(float),
            "summit_recent": (since_summit <= 3).astype(float),
            "agreement": agreement,
            "sanc_recent": (since_res <= 6).astype(float),
            "sanc_level": sindex / 100.0,
            "veto_era": np.full(n, veto_era),
            **history_covariates(
                {
                    "nuclear": since_nuc,
                    "icbm": since_icbm,
                    "resolution": since_unsc,
                    "talks": since_talks,
                    "summit": since_summit,
                    "agreement_signed": since_sign,
                }
            ),
        }
        for name, path in ex_paths.items():
            v = path[step]
            if not np.isfinite(v):  # a nowcast month: the value recorded in the state
                v = _state_value(model, name, step)
            cov[name] = np.full(n, v)
        ex = float(cov["ex_suspended"][0]) if "ex_suspended" in ex_paths else ex0
        ex_lever = None
        if not nowcast:
            for iv in policy.interventions:
                if iv.kind == "exercises" and iv.active(month):
                    ex = ex_lever = 1.0 if iv.suspend else 0.0
        cov["ex_suspended"] = np.full(n, ex)
        if ex_lever == 1.0 and "exercise_major" in cov:  # the lever suspends the calendar
            cov["exercise_major"] = np.zeros(n)
        mo = float(cov["moratorium"][0]) if "moratorium" in ex_paths else mor
        lever = None
        if not nowcast:
            for iv in policy.interventions:
                if iv.kind == "moratorium" and iv.active(month):
                    mo = lever = 1.0 if iv.suspend else 0.0
        cov["moratorium"] = np.full(n, mo)
        if lever is not None:  # the policy lever also sets the statement-dated moratorium
            cov["mor_stmt"] = np.full(n, lever)
        cond = {"talks": since_talks <= 1, "agreement": agreement > 0, "quiet": since_test > 3}
        shifts = {
            t: np.zeros(n) if nowcast else _hazard_shift(policy, t, month, n, cond) for t in TARGETS
        }
        shift = shifts.__getitem__

        # --- DPRK
        nuclear = bern("nuclear", eta("nuclear", cov) + shift("nuclear"))
        icbm = bern("icbm", eta("icbm", cov) + shift("icbm"))
        mu = np.minimum(
            np.exp(np.clip(eta("launches", cov) + shift("launches"), -30, 30)), model.launch_cap
        )
        lam = np.minimum(r["launches"].gamma(1.0 / alpha, alpha * mu), 10.0 * model.launch_cap)
        launches = r["launches"].poisson(lam)
        first_partial = (not nowcast) and month == 1 and bool(partial)
        if first_partial:  # the as-of month: what is already recorded happened
            nuclear = nuclear | (partial["nuclear"] > 0)
            icbm = icbm | (partial["icbm"] > 0)
            launches = np.maximum(launches, int(partial["launches"]))
        launches = np.maximum(launches, icbm.astype(launches.dtype))
        if nowcast:
            v = fixed["nuclear"][step]
            if np.isfinite(v):
                nuclear = np.full(n, v > 0)
            # launches recorded in a nowcast month (launch data ahead of the other tables)
            v = fixed.get("launches", np.full(step + 1, np.nan))[step]
            if np.isfinite(v):
                launches = np.full(n, int(v), dtype=launches.dtype)
                icbm = np.full(n, fixed["icbm"][step] > 0)
        # --- UNSC
        cov["nuc_now"] = (nuclear | (nuc_prev > 0)).astype(float)
        cov["icbm_now"] = (icbm | (icbm_prev > 0)).astype(float)
        resolution = bern("resolution", eta("resolution", cov) + shift("resolution"))
        incr = r["increment"].choice(model.sanction_increments, size=n)
        if nowcast:
            v = fixed["resolution"][step]
            if np.isfinite(v):
                resolution = np.full(n, v > 0)
        if first_partial:
            resolution = resolution | (partial["resolution"] > 0)
        sindex = np.where(resolution, np.minimum(sindex + incr, 100.0), sindex)
        # --- policy steps on sanctions (they feed the covariates; the recorded UNSC event stays
        # the drawn resolution)
        policy_res = np.zeros(n, bool)
        if not nowcast:
            for iv in policy.interventions:
                if iv.kind == "sanctions" and iv.active(month):
                    sindex = np.clip(sindex + iv.delta.value, 0.0, 100.0)
                    if iv.counts_as_resolution and iv.delta.value > 0:
                        policy_res[:] = True
                elif iv.kind == "relief_rule" and iv.active(month):
                    quiet = since_test > iv.quiet_months
                    sindex = np.where(quiet, np.maximum(sindex + iv.delta.value, iv.floor), sindex)
        # --- diplomacy
        talks = bern("talks", eta("talks", cov) + shift("talks"))
        summit = bern("summit", eta("summit", cov) + shift("summit"))
        # any agreement signed (all tracks, as in the record); a signing starts a *nuclear*
        # agreement when none is in force with the historical share of nuclear signings
        sign = bern("agreement", eta("agreement_sign", cov) + shift("agreement_sign"))
        nuclear_sign = sign & (agreement == 0) & (r["agreement"].random(n) < model.nuclear_share)
        coll = bern("agreement", eta("agreement_collapse", cov) + shift("agreement_collapse")) & (
            agreement > 0
        )
        if nowcast:
            for name, arr in (("talks", talks), ("summit", summit)):
                v = fixed[name][step]
                if np.isfinite(v):
                    arr[:] = v > 0
            v = fixed["agreement_signed"][step]
            if np.isfinite(v):
                sign = np.full(n, v > 0)
            v = fixed["agreement"][step]
            if np.isfinite(v):
                nuclear_sign = (agreement == 0) & (v > 0)
                coll = (agreement > 0) & (v == 0)
        if first_partial:
            talks = talks | (partial["talks"] > 0)
            summit = summit | (partial["summit"] > 0)
        agreement = np.where(nuclear_sign, 1.0, np.where(coll, 0.0, agreement))
        # tension counts collapses and signings of every track, as in the fitted index
        coll_c, sign_c = coll.astype(float), sign.astype(float)
        if nowcast:
            v = fixed["collapse"][step]
            coll_c = np.full(n, v) if np.isfinite(v) else coll_c
            v = fixed["agreement_signed"][step]
            sign_c = np.full(n, v) if np.isfinite(v) else sign_c
        # --- tension (expected launch days from the historical missiles per launch day)
        days = np.where(
            launches > 0, np.maximum(1.0, np.round(launches / model.missiles_per_launch_day)), 0.0
        )
        if nowcast and np.isfinite(fixed.get("launch_days", np.full(step + 1, np.nan))[step]):
            days = np.full(n, fixed["launch_days"][step])
        veto = fixed["veto"][step] if nowcast and np.isfinite(fixed["veto"][step]) else 0.0
        prov = (
            fixed["provocation_other"][step]
            if nowcast and np.isfinite(fixed["provocation_other"][step])
            else prov_other
        )
        thr = fixed["us_threat"][step] if nowcast and np.isfinite(fixed["us_threat"][step]) else 0.0
        w = TENSION_WEIGHTS
        c = (
            w["launch_days"] * days
            + w["nuclear"] * nuclear
            + w["resolution"] * resolution
            + w["veto"] * veto
            + w["collapse"] * coll_c
            + w["provocation_other"] * prov
            + w["talks"] * talks
            + w["summit"] * summit
            + w["agreement_signed"] * sign_c
            + w["us_threat"] * thr
        )
        tension = DECAY * tension + c
        if not nowcast:
            for iv in policy.interventions:
                if iv.kind == "tension_shock" and iv.active(month):
                    tension = tension + iv.delta.value
        # --- war (absorbing)
        if not nowcast:
            z = np.clip((tension / 10.0 - model.tension_mean) / model.tension_sd, -3.0, 3.0)
            hz = h0 * np.exp(gamma * z + shift("war"))
            onset = (r["war"].random(n) < -np.expm1(-hz)) & ~war
            alive = ~war
            i = month - 1
            rec["nuclear"][i] = nuclear & alive
            rec["icbm"][i] = icbm & alive
            rec["resolution"][i] = resolution & alive
            rec["talks"][i] = talks & alive
            rec["summit"][i] = summit & alive
            rec["agreement_signed"][i] = sign & alive
            rec["agreement_collapse"][i] = coll & alive
            rec["war"][i] = onset
            rec_la[i] = np.where(alive, launches, 0)
            rec_t[i] = tension
            rec_s[i] = sindex
            rec_a[i] = (agreement > 0) & alive
            war = war | onset
        # --- roll state
        buf = np.concatenate([buf[:, 1:], launches[:, None].astype(float)], axis=1)
        since_talks = np.where(talks, 1, since_talks + 1)  # as in features.design: talks only
        since_summit = np.where(summit, 1, since_summit + 1)
        since_res = np.where(resolution | policy_res, 1, since_res + 1)
        since_test = np.where(nuclear | icbm, 1, since_test + 1)
        since_nuc = np.where(nuclear, 1, since_nuc + 1)
        since_icbm = np.where(icbm, 1, since_icbm + 1)
        since_sign = np.where(sign_c > 0, 1, since_sign + 1)
        since_unsc = np.where(resolution, 1, since_unsc + 1)
        nuc_prev, icbm_prev = nuclear.astype(float), icbm.astype(float)
        if nowcast and "sanctions_index" in fixed and np.isfinite(fixed["sanctions_index"][step]):
            sindex = np.full(n, fixed["sanctions_index"][step])

    first = model.first_forecast_month
    months = [str(p) for p in pd.period_range(first, periods=H, freq="M")]
    return Simulation(
        policy=policy.id,
        as_of=str(model.as_of.date()),
        months=months,
        n_paths=n,
        seed=seed if isinstance(seed, (int, type(None))) else repr(seed),
        events=rec,
        launches=rec_la,
        tension=rec_t,
        sanctions=rec_s,
        agreement_in_force=rec_a,
        notes=list(model.notes),
    )
