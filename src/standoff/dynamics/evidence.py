"""What the record says about pressure and rebound (``standoff evidence``).

Two regressions on the monthly panel of ``History.as_of(D)`` (1994-01 to the last month with
launch data), with heteroskedasticity- and autocorrelation-consistent (Newey-West, 6 lags)
standard errors, statsmodels GLM:

1. Launches (negative binomial, dispersion fixed at its maximum-likelihood estimate for
   this regression) on: a new UNSC sanctions resolution in the previous 1-3 months and in
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
from standoff.errors import UsageError
from standoff.history.core import History

MIN_MONTHS = 120
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


def _varying(x: pd.DataFrame, names: list[str], rows: np.ndarray) -> list[str]:
    """Terms that vary in the window (a constant one, e.g. the Kim Jong Un era before 2012,
    is not identified and is left out of the regression)."""
    return [n for n in names if n == "const" or np.ptp(x.loc[rows, n].to_numpy(float)) > 0]


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
    obs = st["observed"].to_numpy().copy()
    if obs.sum() < MIN_MONTHS:
        raise UsageError(
            f"as_of: the record to {h.as_of_date.date() if h.as_of_date is not None else 'its end'} "
            f"has {int(obs.sum())} usable months after {FIT_START}; the evidence needs at least {MIN_MONTHS}"
        )
    obs[np.flatnonzero(obs)[-1] + 1 :] = False

    names1 = ["const", "sanc_1_3", "sanc_4_6", "talks_recent", "agreement", "l1", "l12", "kju"]
    y1 = st["launches"].to_numpy(float)
    ok1 = obs & np.isfinite(x[names1].to_numpy(float)).all(1) & np.isfinite(y1)
    names1 = _varying(x, names1, ok1)
    X1 = x[names1].to_numpy(float)
    names2 = ["const", "nuc_now", "icbm_now", "l1"]
    y2 = st["resolution"].to_numpy(float)
    ok2 = obs & np.isfinite(x[names2].to_numpy(float)).all(1)
    names2 = _varying(x, names2, ok2)
    X2 = x[names2].to_numpy(float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from standoff.dynamics.estimate import fit_negbin

            alpha = float(fit_negbin(X1[ok1], y1[ok1], tuple(names1)).alpha)
            m1 = sm.GLM(
                y1[ok1], X1[ok1], family=sm.families.NegativeBinomial(alpha=max(alpha, 1e-3))
            )
            r1 = m1.fit(cov_type="HAC", cov_kwds={"maxlags": 6})
            m2 = sm.GLM(y2[ok2], X2[ok2], family=sm.families.Binomial())
            r2 = m2.fit(cov_type="HAC", cov_kwds={"maxlags": 6})
    except (np.linalg.LinAlgError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(
            f"as_of: the record to this date cannot identify the evidence regressions ({first}); "
            "use a later date"
        ) from None
    if not (np.all(np.isfinite(r1.params)) and np.all(np.isfinite(r2.params))):
        raise UsageError(
            "as_of: the evidence regressions did not converge on this record; use a later date"
        )
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
