"""The combined `compare` keeps every policy effect (issues 16 and 17): the recalibration is
the same increasing map for every policy, so no combined difference can have the opposite sign
of a clearly non-zero simulated one, and freeze-for-freeze lowers the ICBM probability."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def cmp(hist):
    from standoff.forecast import compare
    from standoff.scenario import load_scenario

    pols = [p.id for p in load_scenario("korea-now").policies]
    assert "freeze-for-freeze" in pols and pols[0] == "status-quo"
    return compare(hist, "korea-now", pols, horizon=24, paths=2000, seed=11)


def test_freeze_for_freeze_lowers_the_combined_icbm_probability(cmp):
    d = cmp["differences"]["freeze-for-freeze"]["icbm"]["12"]
    assert d["diff"] < -2 * d["se"]


def test_combined_differences_keep_the_sign_of_clear_simulated_ones(cmp):
    sims = cmp.simulations
    base = sims["status-quo"]
    checked = 0
    for pid, diffs in cmp["differences"].items():
        for ev, cells in diffs.items():
            if ev == "launches_total":
                continue
            for k, cell in cells.items():
                x = sims[pid].within(ev, int(k)).astype(float) - base.within(ev, int(k))
                m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))
                if abs(m) > 2 * se:
                    checked += 1
                    assert np.sign(cell["diff"]) == np.sign(m), (pid, ev, k, m, cell)
    assert checked >= 10  # the policies do move the simulator
