"""Assumption ranges in scenarios, and standoff sensitivity."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from standoff.errors import ScenarioError
from standoff.scenario import load_scenario
from standoff.sensitivity import assumption_space, run_sensitivity
from standoff.sensitivity.space import apply

POLICIES = ["status-quo", "maximum-pressure", "phased-relief"]


def _write(tmp_path, edit):
    from standoff.scenario.spec import bundled_scenarios

    data = yaml.safe_load(bundled_scenarios()["korea-now"].read_text())
    edit(data)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def _policy(data, pid):
    return next(p for p in data["policies"] if p["id"] == pid)


@pytest.mark.parametrize(
    "edit, needle",
    [
        (
            lambda d: _policy(d, "maximum-pressure")["interventions"][1]["log_ratio"].update(
                range=[0.0, 1.0]
            ),
            "the value -0.5 lies outside the range (uniform [0, 1])",
        ),
        (
            lambda d: _policy(d, "maximum-pressure")["interventions"][1]["log_ratio"].update(
                range=[1.0, -1.0]
            ),
            "range: expected [lo, hi] with lo < hi",
        ),
        (
            lambda d: _policy(d, "phased-relief")["interventions"][0]["delta"].update(
                range=[-6.0, 1.0]
            ),
            "expected a range below 0",
        ),
        (
            lambda d: d["parameters"]["war_prior_mean"].update(dist={"normal": [0.03, 0.02]}),
            "parameters.war_prior_mean.range: expected a range inside (0, 1)",
        ),
        (
            lambda d: d["parameters"]["war_prior_weight"].update(dist={"normal": [30, -1]}),
            "expected sd > 0",
        ),
        (
            lambda d: d["parameters"]["war_prior_weight"].update(
                dist={"uniform": [10, 90], "normal": [30, 5]}
            ),
            "expected exactly one of uniform, normal",
        ),
        (
            lambda d: d["parameters"]["war_tension_effect"].update(range=None),
            "range_note: given without a 'range' or 'dist'",
        ),
    ],
)
def test_bad_ranges_are_rejected_with_the_key_path(tmp_path, edit, needle):
    path = _write(tmp_path, edit)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert str(path) in msg and needle in msg, msg
    assert "\n" not in msg


def test_distributions_are_validated_and_usable(tmp_path):
    path = _write(
        tmp_path,
        lambda d: d["parameters"]["war_tension_effect"].update(
            range=None, dist={"truncnormal": [0.0, 0.6, 0.25, 0.1]}
        ),
    )
    scn = load_scenario(path)
    v = scn.parameters["war_tension_effect"]
    assert v.spread.support() == (0.0, 0.6)
    assert v.describe_spread() == "normal(mean 0.25, sd 0.1) in [0, 0.6]"
    a = next(a for a in assumption_space(scn, POLICIES) if a.key.endswith("tension_effect"))
    x = a.ppf(np.array([0.0, 0.5, 1.0]))
    assert 0.0 <= x[0] < 0.01 and 0.24 < x[1] < 0.26 and 0.59 < x[2] <= 0.6


def test_bundled_scenarios_give_every_policy_and_war_assumption_a_range_with_rationale():
    for name in ("korea-now", "korea-2018"):
        scn = load_scenario(name)
        for key, v in scn.sourced_values():
            if key.startswith(("parameters.", "policies.")):
                assert v.spread is not None and v.range_note, (name, key)
                lo, hi = v.spread.support()
                assert lo <= v.value <= hi


def test_the_space_of_three_policies():
    scn = load_scenario("korea-now")
    space = assumption_space(scn, POLICIES)
    keys = [a.key for a in space]
    assert len(keys) == 9 and len(set(keys)) == 9
    assert keys[:3] == [f"parameters.war_prior_{s}" for s in ("mean", "weight")] + [
        "parameters.war_tension_effect"
    ]
    assert not any("reassurance" in k for k in keys)  # only the compared policies
    assert all(a.label and "_" not in a.label.split(":")[0] for a in space)


def test_central_values_reproduce_the_scenario_bit_for_bit(hist):
    from standoff.dynamics.model import fit_from_scenario
    from standoff.dynamics.simulate import simulate

    scn = load_scenario("korea-now")
    space = assumption_space(scn, POLICIES)
    model = fit_from_scenario(hist, scn)
    pols = {p: scn.policy(p) for p in POLICIES}
    m2, p2 = apply(pols, model, space, np.array([a.value for a in space]))
    for pid in ("maximum-pressure", "phased-relief"):
        a = simulate(model, pols[pid], 300, 12, 5)
        b = simulate(m2, p2[pid], 300, 12, 5)
        for ev in a.events:
            assert (a.events[ev] == b.events[ev]).all()
    # and a changed value changes the simulation, without touching the scenario's objects
    x = np.array([a.value for a in space])
    x[-2] = 2.0  # phased relief: effect on talks while quiet
    m3, p3 = apply(pols, model, space, x)
    assert p3["phased-relief"].interventions[1].log_ratio.value == 2.0
    assert scn.policy("phased-relief").interventions[1].log_ratio.value == 1.0
    t2 = simulate(m2, p2["phased-relief"], 300, 12, 5).prob("talks", 12)[0]
    t3 = simulate(m3, p3["phased-relief"], 300, 12, 5).prob("talks", 12)[0]
    assert t3 > t2


@pytest.fixture(scope="module")
def small(hist):
    scn = load_scenario("korea-now")
    return run_sensitivity(
        hist,
        scn,
        ["status-quo", "phased-relief"],
        "talks@12,war@12",
        n=8,
        paths=150,
        seed=4,
        workers=1,
    )


def test_a_policy_does_not_depend_on_the_other_policys_assumptions(small):
    ind = small.indices
    sq = ind[(ind["series"] == "status-quo") & ind["key"].str.startswith("policies.")]
    assert len(sq) == 6 and (sq["S1"] == 0).all() and (sq["ST"] == 0).all()


def test_the_talks_effect_drives_talks_under_phased_relief(small):
    top = small.top("talks@12", "phased-relief − status-quo", k=1)
    assert top["key"].iloc[0] == "policies.phased-relief.interventions[1].log_ratio"
    b = small.best[small.best["output"] == "talks@12"].set_index("policy")["share"]
    assert abs(b.sum() - 1.0) < 1e-9
    # odds of talks x1 .. x7.4 while quiet: with the effect in the top third of its range,
    # phased relief gives more talks (almost) everywhere, at least as often as in the bottom
    f = small.flips.set_index(["output", "key"]).loc[
        ("talks@12", "policies.phased-relief.interventions[1].log_ratio")
    ]
    assert f["share_high"] > 0.9 and f["share_high"] >= f["share_low"]
    pt = small.pair_table.set_index("output").loc["talks@12"]
    assert pt["share_b_better"] == pytest.approx(b["phased-relief"], abs=1e-9)
    d = small.to_dict()
    assert json.loads(json.dumps(d))["points"] == 8 * (len(small.space) + 2)


def test_report_and_briefing_section(small, tmp_path):
    from standoff.sensitivity.analysis import SensitivityResult
    from standoff.sensitivity.report import briefing_section, write_report

    out = write_report(small, tmp_path / "s.html")
    text = out.read_text()
    assert text.count("<img") == 2 * 2  # Sobol bars and one tornado per output
    assert "War prior: share of disputes escalating to war" in text
    back = SensitivityResult.from_dict(json.loads(json.dumps(small.to_dict())))
    frag = briefing_section(back)
    assert frag.startswith("<h2>Robustness of the policy ranking</h2>")
    assert "phased-relief better than status-quo" in frag
    assert frag.count("<img") == 2 * 2  # per output: Sobol bars of the difference, a tornado


def test_tornado_of_a_linear_function_is_its_conditional_means():
    from standoff.scenario.spec import Dist
    from standoff.sensitivity.analysis import _tornado, sample_unit
    from standoff.sensitivity.space import Assumption

    space = [Assumption(f"k{i}", f"x{i}", 0.5, Dist(uniform=[0, 1]), None) for i in range(3)]
    U = sample_unit(space, "sobol", 256, seed=1)
    y = 3.0 * U[:, 0] + 0.5 * U[:, 2]
    lo, hi = _tornado(U, y, "sobol")
    # E[y | u0 in its lowest tenth] = 3 x 0.05 + 0.25, highest: 3 x 0.95 + 0.25; u1 has no effect
    np.testing.assert_allclose(lo, [0.40, 1.75, 1.525], atol=0.02)
    np.testing.assert_allclose(hi, [3.10, 1.75, 1.975], atol=0.02)


def test_morris_screen(hist):
    scn = load_scenario("korea-now")
    res = run_sensitivity(
        hist, scn, ["status-quo", "maximum-pressure"], "talks@12", method="morris", n=4,
        paths=100, seed=2, workers=1,
    )  # fmt: skip
    assert res.spec["points"] == 4 * (6 + 1)
    ind = res.indices.set_index(["series", "key"])
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(ind.columns)
    sq = ind.loc["status-quo"]
    assert (sq.loc[sq.index.str.startswith("policies."), "mu_star"] == 0).all()
    mp = ind.loc["maximum-pressure"]["mu_star"]
    assert mp.idxmax() == "policies.maximum-pressure.interventions[1].log_ratio"
