"""What the record says about pressure and rebound (``standoff evidence``).

Two regressions on the monthly panel of ``History.as_of(D)`` (1994-01 to the last month with
launch data), with heteroskedasticity- and autocorrelation-consistent (Newey-West, 6 lags)
standard errors, statsmodels GLM:

1. Launches (negative binomial, dispersion fixed at the ML estimate of the simulator's
   launch component) on: a new UNSC sanctions resolution in the previous 1-3 months and in
   months 4-6, talks held in the previous 3 months, an agreement in force, the previous month's
   and the 12-month launches, and the Kim Jong Un era. Reported as incidence-rate ratios.
2. A new sanctions resolution (logit) on: a nuclear test this month or last, an ICBM launch
   this month or last, and last month's launches (log). Reported as odds ratios.

What observational data can and cannot show: these are associations in one country's record
(about 30 years, a handful of resolutions, six tests). Sanctions follow tests, so a post-
sanction rise in launches may be the same programme continuing rather than a reaction;
talks and agreements are chosen when both sides expect calm; leader eras, technology cycles
and unobserved events confound all of it. The intervals say how precisely the data pin down
the association, not that it is causal.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from standoff.dynamics.features import design, monthly_state
from standoff.dynamics.model import FIT_START
from standoff.history.core import History

NOTE = (
    "Associations in the monthly record, not causal effects: sanctions follow tests, talks are "
    "chosen when calm is expected, and leader eras and unobserved events confound both. Intervals "
    "use Newey-West (HAC, 6 lags) standard errors."
)


def _table(res, names, transform) -> list[dict]:
    z = 1.959963984540054
    rows = []
    for i, name in enumerate(names):
        b, se, p = float(res.params[i]), float(res.bse[i]), float(res.pvalues[i])
        rows.append(
            {
                "term": name,
                "coef": b,
                "se": se,
                transform: float(np.exp(b)),
                "lo95": float(np.exp(b - z * se)),
                "hi95": float(np.exp(b + z * se)),
                "p_value": p,
            }
        )
    return rows


def evidence(history: History, as_of=None) -> dict:
    import statsmodels.api as sm

    h = history.as_of(as_of) if as_of is not None else history
    panel = h.monthly
    panel = panel[panel["month"] >= FIT_START].reset_index(drop=True)
    st = monthly_state(panel)
    x = design(st)
    res1 = st["resolution"]
    x["sanc_1_3"] = (res1.shift(1).rolling(3, min_periods=3).max() > 0).astype(float)
    x["sanc_4_6"] = (res1.shift(4).rolling(3, min_periods=3).max() > 0).astype(float)
    obs = st["observed"].to_numpy()
    obs[np.flatnonzero(obs)[-1] + 1 :] = False

    names1 = ["const", "sanc_1_3", "sanc_4_6", "talks_recent", "agreement", "l1", "l12", "kju"]
    X1 = x[names1].to_numpy(float)
    y1 = st["launches"].to_numpy(float)
    ok1 = obs & np.isfinite(X1).all(1) & np.isfinite(y1)
    names2 = ["const", "nuc_now", "icbm_now", "l1"]
    X2 = x[names2].to_numpy(float)
    y2 = st["resolution"].to_numpy(float)
    ok2 = obs & np.isfinite(X2).all(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from statsmodels.discrete.discrete_model import NegativeBinomial

        alpha = float(NegativeBinomial(y1[ok1], X1[ok1]).fit(disp=0, maxiter=300).params[-1])
        m1 = sm.GLM(y1[ok1], X1[ok1], family=sm.families.NegativeBinomial(alpha=max(alpha, 1e-3)))
        r1 = m1.fit(cov_type="HAC", cov_kwds={"maxlags": 6})
        m2 = sm.GLM(y2[ok2], X2[ok2], family=sm.families.Binomial())
        r2 = m2.fit(cov_type="HAC", cov_kwds={"maxlags": 6})
    months = st["month"][ok1]
    return {
        "as_of": None if h.as_of_date is None else str(h.as_of_date.date()),
        "window": [str(months.iloc[0]), str(months.iloc[-1])],
        "months": int(ok1.sum()),
        "launches_on_pressure": {
            "model": f"negative binomial (alpha = {alpha:.3f}), HAC SE",
            "n": int(ok1.sum()),
            "terms": _table(r1, names1, "irr"),
        },
        "sanctions_on_provocation": {
            "model": "logit, HAC SE",
            "n": int(ok2.sum()),
            "events": int(y2[ok2].sum()),
            "terms": _table(r2, names2, "odds_ratio"),
        },
        "note": NOTE,
    }


def evidence_frame(ev: dict) -> pd.DataFrame:
    rows = []
    for key in ("launches_on_pressure", "sanctions_on_provocation"):
        for t in ev[key]["terms"]:
            rows.append({"outcome": key, **t})
    return pd.DataFrame(rows)
