"""Monthly state variables and lagged covariates of the standoff model.

Everything here is a deterministic function of the monthly panel (``History.monthly``) and
so inherits its as-of discipline. The same functions update the state month by month in the
simulator (:mod:`standoff.dynamics.simulate`), so that fitted and simulated dynamics agree.

**Tension index** ([project formalisation], after Goldstein 1992, values from
``shared/reference/crisis-games.md`` section 3.3): each month's events get a conflict score

    c_t = 7.2 x launch days (CAMEO 150 "demonstrate military power", Goldstein -7.2)
        + 10  x nuclear tests (top of the scale; CAMEO has no test code, see the reference)
        + 8.0 x new UNSC sanctions resolutions (163 "impose sanctions", -8.0)
        + 5.0 x vetoed drafts (129 "veto", -5.0)
        + 7.0 x collapses of talks (164 "halt negotiations", -7.0)
        + 5.0 x other CSIS provocations (clashes, incursions; project weight)
        + 7.0 x US leader-level threats of force (138 "threaten to use military force", -7.0)
        - 7.0 x months with talks held (046 "engage in negotiation", +7.0)
        - 7.0 x months with a US/ROK summit (project weight, as 046)
        - 8.0 x agreements signed (057 "sign formal agreement", +8.0)

(signs flipped so that conflict is positive), and tension accumulates with a monthly decay
``tension_t = DECAY x tension_{t-1} + c_t`` (DECAY = 0.7, a half-life of about two months).
Covariates use ``tension/10``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DECAY = 0.7
TENSION_WEIGHTS = {
    "launch_days": 7.2,
    "nuclear": 10.0,
    "resolution": 8.0,
    "veto": 5.0,
    "collapse": 7.0,
    "provocation_other": 5.0,
    "us_threat": 7.0,
    "talks": -7.0,
    "summit": -7.0,
    "agreement_signed": -8.0,
}

#: covariates of each component (all dated before the month they explain, except the
#: same-month DPRK tests in the UNSC-response component, drawn first within a month). Each
#: hazard's duration term (``rec<tau>_<event>``, or none) and its slope prior sd below were
#: chosen by nested validation on 2000-2012 only and are frozen (:mod:`.validate`); the
#: retired log-duration terms (``dur_<event>``) made events "overdue" after long gaps.
#: A covariate is any column of ``model.state_design`` or an exogenous path given to the
#: simulator: to add one, add its name here.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "launches": (
        "const",
        "kju",
        "l12",
        "talks_recent",
        "agreement",
        "sanc_recent",
        "sanc_level",
        "ex_suspended",
    ),
    "icbm": ("const", "kju", "l12", "agreement", "mor_stmt"),
    "nuclear": ("const", "kju", "agreement", "rec24_nuclear", "mor_stmt"),
    "resolution": ("const", "nuc_now", "icbm_now", "rec6_resolution"),
    "talks": (
        "const",
        "talks_recent",
        "talks_12",
        "agreement",
        "tension",
        "sanc_recent",
        "kju",
        "ex_suspended",
        "rec6_talks",
        "talks_sched",
    ),
    "summit": ("const", "talks_recent", "kju", "tension", "rec24_summit", "summit_sched"),
    "agreement_sign": ("const", "talks_recent", "summit_recent", "rec6_agree"),
    "agreement_collapse": ("const", "tension", "l1"),
}
#: slope prior sd per logistic hazard (frozen with the duration forms; default 1.0)
PRIOR_SD_SLOPE_BY_COMPONENT: dict[str, float] = {
    "icbm": 0.5,
    "nuclear": 2.5,
    "resolution": 2.5,
    "talks": 0.5,
    # 2.5 since the summit hazard has the scheduled-summit covariate (leadinfo): the nested
    # validation on 2000-2012 (dynamics.validate) picks 2.5 for it over 1.0 and 0.5
    "summit": 2.5,
    "agreement_sign": 1.0,
}


def monthly_state(panel: pd.DataFrame) -> pd.DataFrame:
    """Observed state per month: the event indicators the model explains, and tension."""
    p = panel
    f = lambda c: p[c].astype("Float64").fillna(0).to_numpy(dtype=float)  # noqa: E731
    st = pd.DataFrame(
        {
            "month": p["month"].to_numpy(),
            "launches": p["launches"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
            "launch_days": p["launch_days"]
            .astype("Float64")
            .to_numpy(dtype=float, na_value=np.nan),
            "icbm": (f("launches_icbm") > 0).astype(float),
            "nuclear": (f("nuclear_tests") > 0).astype(float),
            "resolution": (f("sanctions_resolutions") > 0).astype(float),
            "veto": f("vetoed_drafts"),
            "talks": (f("talks_held") > 0).astype(float),
            "summit": (f("summit_us_rok") > 0).astype(float),
            "agreement": f("agreement_in_force"),
            "agreement_signed": f("agreements_signed"),
            "collapse": f("collapses"),
            "provocation_other": f("provocations_other"),
            "us_threat": f("us_threats") if "us_threats" in p else np.zeros(len(p)),
            "sanctions_index": f("sanctions_intensity"),
            "kju": (p["leader"] == "Kim Jong Un").astype(float).to_numpy(),
            "ex_suspended": f("exercises_suspended")
            if "exercises_suspended" in p
            else np.zeros(len(p)),
            "moratorium": f("dprk_moratorium_in_force")
            if "dprk_moratorium_in_force" in p
            else np.zeros(len(p)),
        }
    )
    # what was known in advance, real-time (known on the first day of each month)
    from standoff.dynamics.leading import state_columns

    for name, v in state_columns(p).items():
        st[name] = v
    st["tension"] = tension_series(st)
    # coverage: launches unknown -> the month cannot be used to fit
    st["observed"] = ~np.isnan(st["launches"].to_numpy()) & p["talks_held"].notna().to_numpy()
    return st


def conflict_score(
    launch_days,
    nuclear,
    resolution,
    veto,
    collapse,
    provocation_other,
    talks,
    summit,
    agreement_signed,
    us_threat=0.0,
):
    w = TENSION_WEIGHTS
    return (
        w["launch_days"] * launch_days
        + w["nuclear"] * nuclear
        + w["resolution"] * resolution
        + w["veto"] * veto
        + w["collapse"] * collapse
        + w["provocation_other"] * provocation_other
        + w["talks"] * talks
        + w["summit"] * summit
        + w["agreement_signed"] * agreement_signed
        + w["us_threat"] * us_threat
    )


def tension_series(st: pd.DataFrame) -> np.ndarray:
    c = conflict_score(
        np.nan_to_num(st["launch_days"].to_numpy(dtype=float)),
        st["nuclear"].to_numpy(),
        st["resolution"].to_numpy(),
        st["veto"].to_numpy(),
        st["collapse"].to_numpy(),
        st["provocation_other"].to_numpy(),
        st["talks"].to_numpy(),
        st["summit"].to_numpy(),
        st["agreement_signed"].to_numpy(),
        st["us_threat"].to_numpy(),
    )
    out = np.empty_like(c)
    acc = 0.0
    for i, v in enumerate(c):  # a 500-step recursion: a loop is clearest and fast enough
        acc = DECAY * acc + v
        out[i] = acc
    return out


DUR_CAP = 240  # months; "since the last event" beyond 20 years is treated as 20 years

#: duration covariates: name -> state column of the event
DURATIONS = {
    "dur_nuclear": "nuclear",
    "dur_icbm": "icbm",
    "dur_resolution": "resolution",
    "dur_talks": "talks",
    "dur_summit": "summit",
    "dur_agree": "agreement_signed",
}


def months_since(events: np.ndarray) -> np.ndarray:
    """For each month t: months since the last event before t (``t + 1`` if none yet)."""
    x = np.nan_to_num(np.asarray(events, float)) > 0
    idx = np.arange(len(x))
    last = np.where(x, idx, -1)
    last = np.maximum.accumulate(np.r_[-1, last[:-1]])  # last event strictly before t
    return idx - last


def duration_covariate(since: np.ndarray) -> np.ndarray:
    """log(1 + months since the last event), capped at DUR_CAP [duration dependence of the
    hazard; project formalisation]. Kept for the validation that retired it: with a negative
    coefficient it makes an event look "overdue" as the gap grows (``dynamics.validate``)."""
    return np.log1p(np.minimum(since, DUR_CAP))


#: decay constants (months) of the recency covariates ``rec<TAU>_<event>``
RECENCY_TAUS = (6, 24)


def recency_covariate(since: np.ndarray, tau: float) -> np.ndarray:
    """exp(-(months since the last event - 1) / tau): 1 the month after an event, decaying to 0
    [project formalisation]. Bounded in [0, 1] and flat after long gaps, so the hazard tends to
    its baseline however long the gap: no event becomes "overdue" with time."""
    return np.exp(-(np.asarray(since, float) - 1.0) / tau)


def history_covariates(since: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every duration and recency covariate from months-since arrays keyed by state column
    (the same function serves :func:`design` and the simulator)."""
    out = {}
    for name, col in DURATIONS.items():
        s = since[col]
        out[name] = duration_covariate(s)
        for tau in RECENCY_TAUS:
            out[f"rec{tau}_{name[4:]}"] = recency_covariate(s, tau)
    return out


def design(st: pd.DataFrame) -> pd.DataFrame:
    """Covariates for month t built from the state up to t-1 (and same-month DPRK tests)."""
    lag = lambda c, k=1: st[c].shift(k)  # noqa: E731
    launches = st["launches"]
    roll = lambda s, k: s.shift(1).rolling(k, min_periods=k)  # noqa: E731
    x = pd.DataFrame(
        {
            "month": st["month"],
            "const": 1.0,
            "kju": st["kju"],
            "l1": np.log1p(lag("launches")),
            "l12": np.log1p(roll(launches, 12).mean()),
            "tension": lag("tension") / 10.0,
            "talks_recent": (roll(st["talks"], 3).max() > 0).astype(float),
            "talks_12": (roll(st["talks"], 12).max() > 0).astype(float),
            "summit_recent": (roll(st["summit"], 3).max() > 0).astype(float),
            "agreement": lag("agreement"),
            "sanc_recent": (roll(st["resolution"], 6).max() > 0).astype(float),
            "sanc_level": lag("sanctions_index") / 100.0,
            "ex_suspended": lag("ex_suspended"),
            "moratorium": lag("moratorium"),
            "nuc_now": ((st["nuclear"] + lag("nuclear").fillna(0)) > 0).astype(float),
            "icbm_now": ((st["icbm"] + lag("icbm").fillna(0)) > 0).astype(float),
        }
    )
    # leading information: known at the start of month t itself (standoff.dynamics.leading)
    from standoff.dynamics.leading import LEADING_DESIGN

    for name in LEADING_DESIGN:
        if name in st:
            x[name] = st[name]
    since = {col: months_since(st[col].to_numpy(float)) for col in set(DURATIONS.values())}
    for name, v in history_covariates(since).items():
        x[name] = v
    return x
