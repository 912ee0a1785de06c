"""The monthly state model of the standoff, estimated from ``History.as_of(D)``.

State per month: missile launches (count), ICBM launch, nuclear test, new UNSC sanctions
resolution, the sanctions-intensity index, talks held, US/ROK summit, agreement in force
(signed / collapsed), the tension index (:mod:`.features`) and war (absorbing).

Components (covariates in :data:`standoff.dynamics.features.COMPONENTS`):

* launches: negative binomial (NB2) on lagged launches (last month, 12-month mean), tension,
  recent talks, agreement in force, recent sanctions, the sanctions level and the Kim Jong Un
  era (statsmodels ML);
* ICBM launch, nuclear test, new sanctions resolution (responding to the same or previous
  month's tests; a veto-era indicator once a draft has been vetoed), talks, summit, agreement
  signing (when none is in force) and collapse (when one is): logistic hazards with weakly
  informative Gaussian priors (:mod:`.estimate`);
* war: the documented prior of :mod:`.war`, times ``exp(war_tension_effect x z)`` where
  ``z`` is tension standardised on the fitting window and clipped to [-3, 3] [project
  formalisation; the effect is an analyst assumption, default 0.25 per standard deviation,
  i.e. at most x2.1 at three standard deviations: history has no Korean war since 1953 to
  identify it].

Fitting reads only the as-of view. The fitting window runs from 1994-01 (start of the
diplomacy record) to the last month whose launches are covered; months after it and up to
the as-of date are *nowcast* by the simulator with every observed value fixed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from standoff._dates import parse_cut
from standoff.dynamics.estimate import Fit, fit_logit, fit_negbin
from standoff.dynamics.features import (
    COMPONENTS,
    PRIOR_SD_SLOPE_BY_COMPONENT,
    design,
    monthly_state,
)
from standoff.dynamics.war import PRIOR_MEAN, PRIOR_WEIGHT, WarPrior, war_prior
from standoff.errors import UsageError
from standoff.history.core import History

FIT_START = "1994-01"
#: model parameters and their defaults (a scenario's ``parameters:`` may override them)
DEFAULT_PARAMETERS = {
    "war_prior_mean": PRIOR_MEAN,
    "war_prior_weight": PRIOR_WEIGHT,
    "war_tension_effect": 0.25,
}
RESOLUTION_COVARIATES = (*COMPONENTS["resolution"], "veto_era")
#: the state fixed (observed) during nowcast months: state name -> (panel column, indicator?)
#: values the panel does not cover stay missing (NaN) and are simulated
NOWCAST_FIXED = {
    "nuclear": ("nuclear_tests", True),
    "resolution": ("sanctions_resolutions", True),
    "talks": ("talks_held", True),
    "summit": ("summit_us_rok", True),
    "agreement": ("agreement_in_force", False),
    "collapse": ("collapses", False),
    "agreement_signed": ("agreements_signed", False),
    "veto": ("vetoed_drafts", False),
    "provocation_other": ("provocations_other", False),
    "sanctions_index": ("sanctions_intensity", False),
    "us_threat": ("us_threats", False),
    # launches recorded in nowcast months (the launch data may run ahead of the other tables
    # after ``standoff history update``); missing where the launch data end
    "launches": ("launches", False),
    "launch_days": ("launch_days", False),
    "icbm": ("launches_icbm", True),
}


@dataclass
class FittedModel:
    """Estimated components plus the state the simulation starts from."""

    as_of: pd.Timestamp
    fit_window: tuple[str, str]
    components: dict[str, Fit]
    war: WarPrior
    parameters: dict[str, float]
    state: pd.DataFrame  # observed monthly state, FIT_START .. panel end
    first_forecast_month: str
    nowcast_months: list[str]
    nowcast_fixed: dict[str, np.ndarray]
    start_index: int  # row of ``state`` the simulation starts from (last fully observed month)
    partial_month: dict[str, float]  # events already recorded in the as-of month (lower bounds)
    nuclear_share: float  # share of agreement signings that were nuclear agreements (smoothed)
    sanction_increments: np.ndarray
    missiles_per_launch_day: float
    tension_mean: float
    tension_sd: float
    launch_cap: float
    notes: list[str] = field(default_factory=list)
    #: the as-of view's ``leading_info`` and ``new_year_addresses`` tables: the simulator builds
    #: the leading covariate paths known at ``as_of`` from them (:mod:`.leading`)
    leading_tables: dict[str, pd.DataFrame] | None = None

    def coefficient_table(self) -> list[dict]:
        rows = []
        for name, fit in self.components.items():
            for r in fit.table():
                rows.append(
                    {"component": name, "model": fit.kind, "n": fit.n, "events": fit.events, **r}
                )
        return rows


def component_covariates(name: str, spec: dict[str, tuple[str, ...]] | None = None):
    """Covariate names of component ``name`` under ``spec`` (default :data:`COMPONENTS`)."""
    cols = tuple((spec or COMPONENTS)[name])
    return (*cols, "veto_era") if name == "resolution" else cols


def _xy(
    st: pd.DataFrame,
    x: pd.DataFrame,
    name: str,
    mask: np.ndarray,
    spec: dict[str, tuple[str, ...]] | None = None,
):
    cols = component_covariates(name, spec)
    target = {
        "launches": "launches",
        "icbm": "icbm",
        "nuclear": "nuclear",
        "resolution": "resolution",
        "talks": "talks",
        "summit": "summit",
        "agreement_sign": "agreement_signed",
        "agreement_collapse": "agreement",
    }[name]
    y = st[target].to_numpy(float)
    if name == "agreement_sign":
        y = (y > 0).astype(float)  # any agreement signed this month (every track)
    elif name == "agreement_collapse":
        mask = mask & (x["agreement"].to_numpy() == 1)
        y = 1.0 - y  # collapse = the agreement is no longer in force
    X = x.loc[:, list(cols)].to_numpy(float)
    ok = mask & np.isfinite(X).all(axis=1) & np.isfinite(y)
    return X[ok], y[ok], tuple(cols)


def state_design(st: pd.DataFrame) -> pd.DataFrame:
    """Covariates of every component for a monthly state frame (adds the veto era)."""
    x = design(st)
    x["veto_era"] = (st["veto"].cumsum().shift(1).fillna(0) > 0).astype(float)
    return x


def fit_components(
    st: pd.DataFrame,
    x: pd.DataFrame,
    mask: np.ndarray,
    spec: dict[str, tuple[str, ...]] | None = None,
    prior_sd_slope: float | None = None,
) -> dict[str, Fit]:
    """Fit every component on the months selected by ``mask``.

    ``spec`` maps each component to its covariate names (default :data:`COMPONENTS`): a
    covariate is any column of ``x`` (:func:`state_design`, plus exogenous columns added to
    it); the simulator builds each hazard from the fitted ``Fit.names``.
    """
    comps: dict[str, Fit] = {}
    for name in COMPONENTS:
        X, y, cols = _xy(st, x, name, mask, spec)
        if name == "launches":
            comps[name] = fit_negbin(X, y, cols)
        else:
            sd = prior_sd_slope or PRIOR_SD_SLOPE_BY_COMPONENT.get(name)
            comps[name] = fit_logit(X, y, cols, sd)
    return comps


def fit(
    history: History,
    as_of: str | dt.date | pd.Timestamp | None = None,
    parameters: dict[str, float] | None = None,
    components: dict[str, Fit] | None = None,
) -> FittedModel:
    """Fit every component on ``history.as_of(as_of)`` (default: the history's own cut or end).

    ``components`` (fitted earlier, on a cut at or before this one) are used as they are
    instead of being re-estimated; the state, nowcast and window statistics are still those
    of this cut (the backtest's yearly refit schedule).
    """
    if as_of is not None:
        h = history.as_of(as_of)
    elif history.as_of_date is not None:
        h = history
    else:
        h = history.as_of(history.latest_date)
    cut = h.as_of_date
    params = {**DEFAULT_PARAMETERS, **(parameters or {})}
    unknown = set(params) - set(DEFAULT_PARAMETERS)
    if unknown:
        raise UsageError(f"parameters: unknown {sorted(unknown)[0]!r}")

    panel = pad_to_cut(h.monthly, cut)
    panel = panel[panel["month"] >= FIT_START].reset_index(drop=True)
    if len(panel) < 60:
        raise UsageError(
            f"as_of: {cut.date()} leaves {len(panel)} months of history after {FIT_START}; "
            "the model needs at least 60"
        )
    st = monthly_state(panel)
    x = state_design(st)
    observed = st["observed"].to_numpy()
    last_obs = int(np.flatnonzero(observed)[-1])
    mask = observed.copy()
    mask[last_obs + 1 :] = False

    comps = fit_components(st, x, mask) if components is None else dict(components)

    # nowcast: panel months after the last month with launches observed
    now_idx = np.arange(last_obs + 1, len(st))
    fixed = {}
    for name, (col, indicator) in NOWCAST_FIXED.items():
        raw = (
            panel[col].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[now_idx]
            if col in panel
            else np.full(len(now_idx), np.nan)
        )
        fixed[name] = np.where(np.isnan(raw), np.nan, (raw > 0).astype(float)) if indicator else raw
    last_month = pd.Period(st["month"].iloc[-1], freq="M")
    partial = _partial_month(h, last_month + 1)

    res = st["resolution"].to_numpy() > 0
    idx = st["sanctions_index"].to_numpy()
    prev = np.r_[0.0, idx[:-1]]
    incr = (idx - prev)[res & (idx - prev > 0)]
    if incr.size == 0:
        incr = np.array([5.0])
    days = st["launch_days"].to_numpy(float)
    la = st["launches"].to_numpy(float)
    ok = np.isfinite(days) & (days > 0)
    ratio = float(la[ok].sum() / days[ok].sum()) if ok.any() else 1.0

    wp = war_prior(cut.year, params["war_prior_mean"], params["war_prior_weight"])
    notes = []
    if partial:
        notes.append(
            f"the first forecast month {last_month + 1} is partly observed (to {cut.date()}): "
            "events already recorded in it are fixed"
        )
    if len(now_idx):
        notes.append(
            f"launch data end {h.coverage_end('launches').date()}: months {st['month'].iloc[now_idx[0]]} .. "
            f"{st['month'].iloc[now_idx[-1]]} are nowcast (recorded launches and events fixed, the rest simulated)"
        )
    return FittedModel(
        as_of=cut,
        fit_window=(st["month"].iloc[int(np.flatnonzero(mask)[0])], st["month"].iloc[last_obs]),
        components=comps,
        war=wp,
        parameters=params,
        state=st,
        first_forecast_month=str(last_month + 1),
        nowcast_months=list(st["month"].iloc[now_idx]),
        nowcast_fixed=fixed,
        start_index=last_obs,
        partial_month=partial,
        nuclear_share=_nuclear_share(h),
        sanction_increments=incr,
        missiles_per_launch_day=ratio,
        tension_mean=float(np.nanmean(st["tension"].to_numpy()[mask])) / 10.0,
        launch_cap=2.0 * float(np.nanmax(st["launches"].to_numpy(float)[mask])),
        tension_sd=max(float(np.nanstd(st["tension"].to_numpy()[mask])) / 10.0, 1e-6),
        notes=notes,
        leading_tables={
            k: h.tables[k] for k in ("leading_info", "new_year_addresses") if k in h.tables
        },
    )


#: regimes carried into months after the data (exogenous at the as-of date; everything else is
#: left missing and simulated by the nowcast)
CARRIED = ("leader", "exercises_suspended", "dprk_moratorium_in_force")


def pad_to_cut(panel: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    """Append the months after the panel's end up to the last month complete by ``cut``.

    When the as-of date is later than every table's coverage, these months happened but no
    data cover them yet: every count and state in them is missing (the nowcast simulates it),
    except the regimes in :data:`CARRIED`. The forecast then starts in the month after the
    as-of month, not in the month after the data.
    """
    if panel.empty:
        return panel
    last = pd.Period(panel["month"].iloc[-1], freq="M")
    m = cut.to_period("M")
    end = m if cut.normalize() == m.end_time.normalize() else m - 1
    if end <= last:
        return panel
    months = pd.period_range(last + 1, end, freq="M").strftime("%Y-%m")
    pad = pd.DataFrame({"month": months})
    for c in panel.columns:
        if c == "month":
            continue
        if c in CARRIED:
            pad[c] = pd.Series([panel[c].iloc[-1]] * len(pad), dtype=panel[c].dtype)
        else:
            pad[c] = pd.Series([pd.NA] * len(pad), dtype=panel[c].dtype)
    return pd.concat([panel, pad], ignore_index=True)


def _nuclear_share(h: History) -> float:
    """Share of agreements signed that were nuclear agreements, (k + 1) / (n + 2)."""
    dp = h.tables["diplomacy"]
    agr = dp[dp["kind"] == "agreement"]
    return float(((agr["issue"] == "nuclear").sum() + 1) / (len(agr) + 2))


def _partial_month(h: History, month: pd.Period) -> dict[str, float]:
    """Events recorded between the start of ``month`` and the as-of date (a cut inside it)."""
    cut = h.as_of_date
    start = month.start_time.normalize()
    if cut is None or cut < start:
        return {}
    t = h.tables
    la = t["launches"][t["launches"]["date"] >= start]
    sa = t["sanctions"]
    sa = sa[
        (sa["date"] >= start)
        & sa["adopted"].fillna(False).astype(bool)
        & sa["kind"].isin(["sanctions", "designations"])
    ]
    dp = t["diplomacy"]
    dp = dp[dp["date_start"] >= start]
    with_us_rok = dp["participants"].fillna("").str.contains(r"\b(?:USA|KOR)\b")
    cov_end = h.coverage_end("launches")
    launches_known = cov_end is not None and cov_end >= cut
    return {
        "nuclear": float((t["nuclear_tests"]["date"] >= start).any()),
        "icbm": float((la["type"] == "ICBM").any()) if launches_known else 0.0,
        "launches": float(len(la)) if launches_known else 0.0,
        "resolution": float(len(sa) > 0),
        "talks": float((dp["kind"] == "talks").any()),
        "summit": float(((dp["kind"] == "summit") & with_us_rok).any()),
    }


def fit_from_scenario(history: History, scenario) -> FittedModel:
    """Fit as of the scenario's date with its ``parameters`` (values only; sources are in the file)."""
    params = {k: v.value for k, v in scenario.parameters.items()}
    return fit(history, parse_cut(scenario.as_of), params)
