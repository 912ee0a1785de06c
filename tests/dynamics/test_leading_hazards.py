"""The hazards condition on what was known in advance, as of the origin only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from standoff.dynamics.leading import LEADING_DESIGN, exog_paths
from standoff.dynamics.model import fit
from standoff.dynamics.simulate import simulate
from standoff.history import History
from standoff.history.leading import leading_covariates

PATHS = 2000


def _p(hist, as_of, event, h, seed=11):
    model = fit(hist, as_of)
    return simulate(model, None, PATHS, h, seed).prob(event, h)[0], model


def test_the_march_2018_announcements_raise_the_summit_forecast(hist):
    """Direction pinned, not the value: on 2018-03-06 the Koreas agreed an April summit and on
    2018-03-08 Trump accepted a meeting by May; a week earlier nothing was scheduled."""
    before, _ = _p(hist, "2018-03-01", "summit", 6)
    after, model = _p(hist, "2018-03-08", "summit", 6)
    assert after > before + 0.15
    coef = dict(zip(model.components["summit"].names, model.components["summit"].coef, strict=True))
    assert coef["summit_sched"] > 0


def test_a_cancellation_takes_the_scheduled_summit_away(hist):
    # Singapore set for 12 June (2018-05-10), cancelled 2018-05-24, reinstated 2018-06-01
    scheduled, _ = _p(hist, "2018-05-23", "summit", 2)
    cancelled, _ = _p(hist, "2018-05-24", "summit", 2)
    assert cancelled < scheduled - 0.1


def test_exog_paths_are_as_known_at_the_origin(hist):
    model = fit(hist, "2018-03-08")
    paths = exog_paths(model, 6, LEADING_DESIGN)
    start = pd.Period(model.state["month"].iloc[model.start_index], freq="M") + 1
    months = pd.period_range(start, periods=6, freq="M")
    cov = leading_covariates(hist.as_of("2018-03-08"), months).set_index("month")
    assert np.array_equal(paths["summit_sched"], cov["summit_scheduled"].to_numpy(float))
    # April and May 2018 are scheduled as of 8 March; June (Singapore) is not yet known
    by_month = dict(zip(months.strftime("%Y-%m"), paths["summit_sched"], strict=True))
    assert by_month["2018-04"] == 1 and by_month["2018-05"] == 1 and by_month["2018-06"] == 0


def test_rows_published_after_the_origin_leave_the_forecast_bit_identical(hist):
    cut = "2018-03-08"
    base = simulate(fit(hist, cut), None, 500, 12, 3)
    li = hist.tables["leading_info"]
    canary = li[li["event_key"] == "us-dprk-summit-2018"].copy()
    canary["id"] = canary["id"] + "-canary"
    canary["known_from"] = pd.Timestamp("2018-03-09")
    canary["action"] = "cancelled"  # a later cancellation must not be applied at the cut
    later = li[li["known_from"] > pd.Timestamp(cut)].copy()
    later["action"] = "scheduled"
    later["planned_start"] = pd.Timestamp("2018-04-01")
    later["planned_end"] = pd.Timestamp("2018-12-31")
    tables = dict(hist.tables)
    tables["leading_info"] = pd.concat(
        [li[li["known_from"] <= pd.Timestamp(cut)], canary, later], ignore_index=True
    )
    other = History(tables)
    alt = simulate(fit(other, cut), None, 500, 12, 3)
    for e in base.events:
        assert np.array_equal(base.events[e], alt.events[e]), e
    assert np.array_equal(base.launches, alt.launches)


@pytest.mark.parametrize("as_of", ["2019-12-31", "2020-01-01"])
def test_moratorium_statement_enters_the_nuclear_and_icbm_hazards(hist, as_of):
    model = fit(hist, as_of)
    for comp in ("nuclear", "icbm"):
        assert "mor_stmt" in model.components[comp].names
    path = exog_paths(model, 3, ["mor_stmt"])["mor_stmt"]
    assert path[-1] == (1.0 if as_of == "2019-12-31" else 0.0)


def test_cli_forecast_summit_rises_after_the_march_2018_announcements(run_cli):
    """`standoff forecast --as-of 2018-03-08 --horizon 6 --json` (the reported, combined
    forecast) gives a clearly higher summit probability than as of 2018-03-01."""
    import json

    p = {}
    for d in ("2018-03-01", "2018-03-08"):
        code, out, err = run_cli(
            "forecast", "--as-of", d, "--horizon", "6", "--paths", "2000", "--json"
        )
        assert code == 0, err
        p[d] = json.loads(out)["events"]["summit"]["6"]["p"]
    assert p["2018-03-08"] > 2 * p["2018-03-01"] and p["2018-03-08"] - p["2018-03-01"] > 0.15
