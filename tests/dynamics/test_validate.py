"""Nested validation of the hazard settings, duration terms, exogenous covariate paths."""

from __future__ import annotations

import numpy as np
import pytest

from standoff.dynamics import validate
from standoff.dynamics.features import COMPONENTS, recency_covariate
from standoff.dynamics.model import fit
from standoff.dynamics.simulate import simulate
from standoff.errors import UsageError


def test_frozen_settings_are_the_nested_validation_choice(hist):
    """The duration forms and prior widths in the model are those chosen on 2000-2012."""
    scores = validate.nested_scores(hist)
    assert set(scores["year"]) == set(range(2000, 2013))
    assert validate.select(scores) == validate.frozen_choice()


def test_validation_reads_only_the_past(hist):
    # the scores of year Y do not change when everything after Y is dropped
    a = validate.nested_scores(hist, years=(2005,))
    b = validate.nested_scores(hist.as_of("2005-12-31"), years=(2005,))
    assert np.array_equal(a["log_score"].to_numpy(), b["log_score"].to_numpy())


def test_no_log_duration_term_is_left():
    assert not any(c.startswith("dur_") for cols in COMPONENTS.values() for c in cols)


def test_recency_is_bounded_and_flat_after_long_gaps():
    s = np.arange(1, 601)
    r = recency_covariate(s, 24)
    assert r[0] == 1 and np.all(np.diff(r) < 0) and np.all(r > 0)
    assert r[239] - r[599] < 1e-4  # 20 vs 50 years: the same hazard


def test_nuclear_hazard_is_not_overdue_after_long_gaps(hist):
    """Simulated nuclear-test hazard after a 6-year vs a 20-year gap: no growth with the gap."""
    m = fit(hist, "2024-12-31")
    f = m.components["nuclear"]
    x = {n: 0.0 for n in f.names} | {"const": 1.0, "kju": 1.0}
    eta = []
    for since in (72, 240):
        x.update(
            {
                n: recency_covariate(since, int(n[3:].split("_")[0]))
                for n in f.names
                if n.startswith("rec")
            }
        )
        eta.append(float(np.dot([x[n] for n in f.names], f.coef)))
    assert abs(eta[1] - eta[0]) < 0.05


@pytest.fixture(scope="module")
def m2018(hist):
    return fit(hist, "2018-03-31")


def test_exogenous_paths_equal_to_the_state_change_nothing(m2018):
    a = simulate(m2018, None, 400, 12, seed=3)
    b = simulate(m2018, None, 400, 12, seed=3, exog={"kju": np.ones(12)})
    assert np.array_equal(a.launches, b.launches)
    assert all(np.array_equal(a.events[e], b.events[e]) for e in a.events)


def test_exogenous_paths_drive_the_hazards(m2018):
    a = simulate(m2018, None, 2000, 12, seed=3, exog={"talks_recent": np.ones(12)})
    b = simulate(m2018, None, 2000, 12, seed=3, exog={"talks_recent": np.zeros(12)})
    assert a.within("summit", 12).mean() > b.within("summit", 12).mean()


def test_exogenous_path_errors(m2018):
    with pytest.raises(UsageError, match="exog: 'kju' needs 12"):
        simulate(m2018, None, 10, 12, seed=0, exog={"kju": np.ones(5)})
    import dataclasses

    nb = m2018.components["summit"]
    bad = dataclasses.replace(nb, names=(*nb.names[:-1], "scheduled_summit"))
    m = dataclasses.replace(m2018, components={**m2018.components, "summit": bad})
    with pytest.raises(UsageError, match="scheduled_summit"):
        simulate(m, None, 10, 12, seed=0)
    s = simulate(m, None, 10, 12, seed=0, exog={"scheduled_summit": np.zeros(12)})
    assert s.horizon == 12
