"""Leading information in the hazards: what was known in advance, fitted and simulated as of D.

The covariates come from :func:`standoff.history.leading.leading_covariates`. Fitting uses
their real-time values (the panel's: known on the first day of each month, never after the
fit's cut). Simulating from origin *D* uses the paths *as known at D* for every nowcast and
forecast month, passed to :func:`standoff.dynamics.simulate.simulate` as exogenous covariates
(the same for every path): a summit announced after *D* is invisible, a cancellation after *D*
is not applied [project formalisation].

Design covariates (hazard: covariate), each entering a Gaussian-prior logit or the NB launch
model with that component's slope prior (:data:`standoff.dynamics.features.PRIOR_SD_SLOPE_BY_COMPONENT`),
except the two schedule indicators, which get the wider N(0, 2.5^2) of Gelman, Jakulin, Pittau
& Su (2008) (:data:`PRIOR_SD_BY_COVARIATE`): a meeting on the calendar is a direct, nearly
deterministic signal that a prior built for the endogenous terms would shrink away. The 2.5 is
that paper's default scale, fixed a priori, not chosen on the backtest [analyst assumption,
plausible range 1-5]:

===================  =====================================================================
``summit_sched``     summit: a US/ROK-DPRK summit scheduled in the month
``talks_sched``      talks: talks with the DPRK scheduled in the month
``mor_stmt``         ICBM, nuclear: a DPRK test moratorium declared and not renounced,
                     dated by statement (replaces the launch-dated ``moratorium`` there)
``exercise_major``   launches: a major US-ROK combined exercise expected in the month
``anniv_major``      launches: a DPRK jubilee anniversary in the month
===================  =====================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: design covariate -> column(s) of ``history.leading.leading_covariates`` (max if several)
LEADING_DESIGN: dict[str, tuple[str, ...]] = {
    "summit_sched": ("summit_scheduled",),
    "talks_sched": ("talks_scheduled",),
    "mor_stmt": ("moratorium_missiles", "moratorium_nuclear"),
    "exercise_major": ("exercise_major",),
    "anniv_major": ("anniversary_major",),
}


#: slope prior sd of individual covariates (overrides the component's; see the docstring)
PRIOR_SD_BY_COVARIATE: dict[str, float] = {"summit_sched": 2.5, "talks_sched": 2.5}


def _combine(frame: pd.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    v = np.column_stack([frame[c].astype("Float64").to_numpy(float, na_value=np.nan) for c in cols])
    return np.nanmax(np.where(np.isnan(v), -np.inf, v), axis=1)


def state_columns(panel: pd.DataFrame) -> dict[str, np.ndarray]:
    """Real-time leading state per panel month (0 where the panel has no leading data).

    Without leading data (an older ``--history`` directory) ``mor_stmt`` falls back to the
    diplomacy table's moratorium in force the month before (the launch-dated coding)."""
    n = len(panel)
    out = {}
    have = "summit_scheduled" in panel and panel["summit_scheduled"].notna().any()
    for name, cols in LEADING_DESIGN.items():
        if have and all(c in panel for c in cols):
            v = _combine(panel, cols)
            out[name] = np.where(np.isfinite(v), v, 0.0)
        else:
            out[name] = np.zeros(n)
    if not have and "dprk_moratorium_in_force" in panel:
        m = panel["dprk_moratorium_in_force"].astype("Float64").fillna(0).to_numpy(float)
        out["mor_stmt"] = np.r_[0.0, m[:-1]]
    return out


def exog_paths(model, n_steps: int, names) -> dict[str, np.ndarray]:
    """Paths, as known at the model's cut, of the leading covariates among ``names`` for the
    ``n_steps`` months after the model's start month (nowcast months then forecast months)."""
    from standoff.history.leading import leading_covariates

    wanted = [n for n in LEADING_DESIGN if n in set(names)]
    tables = getattr(model, "leading_tables", None)
    if not wanted or not tables:
        return {}
    start = pd.Period(model.state["month"].iloc[model.start_index], freq="M") + 1
    months = pd.period_range(start, periods=n_steps, freq="M")
    cov = leading_covariates(tables, months, as_of=model.as_of)
    return {n: _combine(cov, LEADING_DESIGN[n]) for n in wanted}
