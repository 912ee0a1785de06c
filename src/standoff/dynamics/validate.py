"""Nested validation of the hazard specification, frozen on 2000-2012.

Settings of the monthly model that are not estimated by its likelihood (the functional form of
each hazard's duration term, the width of the logistic slope prior) are chosen here, on
one-year-ahead predictive log scores over the validation years 2000-2012 only: for every year
Y, each candidate is fitted on the record as of 31 December Y-1 and scores the months of Y
(their covariates and outcomes from the record as of 31 December Y). The choice is then frozen
in :data:`standoff.dynamics.features.COMPONENTS` and :data:`.estimate.PRIOR_SD_SLOPE`; the
backtest reports 2013 onward apart, as the period no setting has seen [project protocol; see
docs/backtest.md, "Honest tuning"].

Duration forms (each hazard's ``dur_<event>`` slot): ``log`` is log(1 + months since the last
event), the retired form (with a negative coefficient it makes an event "overdue" after long
gaps, so it is reported but not eligible); ``rec6`` / ``rec24`` are the bounded recency terms
exp(-(months since - 1) / tau) of :func:`standoff.dynamics.features.recency_covariate`;
``none`` drops the term.

Run ``python -m standoff.dynamics.validate`` to reproduce the table in docs/backtest.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from standoff.dynamics.features import COMPONENTS, RECENCY_TAUS, monthly_state
from standoff.dynamics.model import FIT_START, _xy, state_design
from standoff.history.core import History

VALIDATION_YEARS = tuple(range(2000, 2013))
#: the hazards with a duration slot, and the event name of the slot
DURATION_SLOTS = {
    "icbm": "icbm",
    "nuclear": "nuclear",
    "resolution": "resolution",
    "talks": "talks",
    "summit": "summit",
    "agreement_sign": "agree",
}
FORMS = ("log", "none", *(f"rec{t}" for t in RECENCY_TAUS))
ELIGIBLE = tuple(f for f in FORMS if f != "log")
PRIOR_SDS = (0.5, 1.0, 2.5)


def _slot(cols: tuple[str, ...], event: str) -> int | None:
    for i, c in enumerate(cols):
        if c == f"dur_{event}" or c.endswith(f"_{event}") and c.startswith("rec"):
            return i
    return None


def with_form(spec: dict, component: str, form: str) -> dict:
    """``spec`` with the duration slot of ``component`` set to ``form``."""
    event = DURATION_SLOTS[component]
    cols = list(spec[component])
    i = _slot(tuple(cols), event)
    new = None if form == "none" else (f"dur_{event}" if form == "log" else f"{form}_{event}")
    if i is None:
        if new is not None:
            cols.append(new)
    elif new is None:
        cols.pop(i)
    else:
        cols[i] = new
    return {**spec, component: tuple(cols)}


def _frame(history: History, cut: str):
    h = history.as_of(cut)
    panel = h.monthly
    panel = panel[panel["month"] >= FIT_START].reset_index(drop=True)
    st = monthly_state(panel)
    x = state_design(st)
    obs = st["observed"].to_numpy()
    return st, x, obs


def _log_score(fit, X: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(special.expit(X @ fit.coef), 1e-6, 1 - 1e-6)
    return float(-(y * np.log(p) + (1 - y) * np.log1p(-p)).sum())


def nested_scores(
    history: History, years=VALIDATION_YEARS, base_spec: dict | None = None
) -> pd.DataFrame:
    """Predictive log score (lower is better) per hazard, duration form, prior sd and year."""
    base_spec = dict(base_spec or COMPONENTS)
    rows = []
    for year in years:
        st0, x0, obs0 = _frame(history, f"{year - 1}-12-31")
        st1, x1, obs1 = _frame(history, f"{year}-12-31")
        in_year = st1["month"].str.startswith(str(year)).to_numpy() & obs1
        for comp in DURATION_SLOTS:
            for form in FORMS:
                spec = with_form(base_spec, comp, form)
                sub = {comp: spec[comp]}
                X1, y1, _ = _xy(st1, x1, comp, in_year, spec)
                for sd in PRIOR_SDS:
                    fits = _fit_one(st0, x0, obs0, comp, spec, sd)
                    rows.append(
                        {
                            "year": year,
                            "component": comp,
                            "form": form,
                            "prior_sd": sd,
                            "covariates": ",".join(sub[comp]),
                            "months": len(y1),
                            "log_score": _log_score(fits, X1, y1),
                        }
                    )
    return pd.DataFrame(rows)


def _fit_one(st, x, obs, comp, spec, sd):
    from standoff.dynamics.estimate import fit_logit

    X, y, cols = _xy(st, x, comp, obs, spec)
    return fit_logit(X, y, cols, sd)


def select(scores: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """The frozen choice: per hazard, the eligible (form, prior sd) with the lowest log score
    summed over the validation years (ties: the first in FORMS x PRIOR_SDS order)."""
    tot = scores.groupby(["component", "form", "prior_sd"], sort=False)["log_score"].sum()
    out = {}
    for comp in DURATION_SLOTS:
        best = None
        for form in ELIGIBLE:
            for sd in PRIOR_SDS:
                v = round(float(tot.loc[(comp, form, sd)]), 6)
                if best is None or v < best[0]:
                    best = (v, form, sd)
        out[comp] = (best[1], best[2])
    return out


def frozen_choice(spec: dict | None = None, prior: dict | None = None) -> dict:
    """The choice frozen in the model: component -> (duration form, slope prior sd)."""
    from standoff.dynamics.features import PRIOR_SD_SLOPE_BY_COMPONENT

    spec = spec or COMPONENTS
    prior = prior or PRIOR_SD_SLOPE_BY_COMPONENT
    out = {}
    for comp, event in DURATION_SLOTS.items():
        i = _slot(tuple(spec[comp]), event)
        form = "none" if i is None else spec[comp][i].split("_")[0]
        out[comp] = ("log" if form == "dur" else form, float(prior.get(comp, 1.0)))
    return out


def summary_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Summed log score over the validation years: component x (form, prior sd)."""
    return scores.pivot_table(
        index="component", columns=["form", "prior_sd"], values="log_score", aggfunc="sum"
    )


def main() -> None:  # pragma: no cover - documentation helper
    h = History.load()
    sc = nested_scores(h)
    pd.set_option("display.width", 200)
    print(summary_table(sc).round(2).to_string())
    print("selected:", select(sc))
    print("frozen:  ", frozen_choice())


if __name__ == "__main__":  # pragma: no cover
    main()
