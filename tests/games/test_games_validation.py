"""Invalid parameters are rejected with one line naming the parameter and the expected range."""

from __future__ import annotations

import pytest

from standoff.errors import StandoffError, UsageError
from standoff.games import brinkmanship, fearon, iig, kydd, richardson, sanctions


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: fearon.risk_return(1.5, 0.1, 0.3),
            r"'p' must be a finite number in \[0, 1\]; got 1.5",
        ),
        (
            lambda: fearon.risk_return(0.6, -0.1, 0.3),
            r"'cost_a' must be a finite number in \[0, inf\]",
        ),
        (
            lambda: fearon.risk_return(0.6, 0.1, 0.0),
            r"'cost_b_max' must be a finite number in \(0, inf\]",
        ),
        (lambda: fearon.preventive_war(0.7, 0.4, 0.1, 1.0), r"'delta' must be .* \[0, 1\)"),
        (lambda: fearon.buyoff(0.5, 0.4, 0.1, 1.0, 0.9), r"'p_nuclear' must be .* \[0.5, 1\]"),
        (lambda: kydd.cooperation_threshold(1.2, 0.5), r"'t' must be .* \[0, 1\)"),
        (lambda: kydd.cooperation_threshold(0.0, 0.0), r"'c' must be .* \(0, inf\]"),
        (lambda: kydd.update_trust(float("nan"), 0.5, 0.5), r"'prior' must be a finite number"),
        (
            lambda: kydd.simulate_spiral(
                prior_a=0.5, prior_b=0.5, p_trustworthy_a=0.5, p_trustworthy_b=0.5, periods=0
            ),
            r"'periods' must be an integer in \[1, 1200\]",
        ),
        (lambda: iig.solve_qre(_P, _P, -1.0), r"'lam' must be .* \[0, 1e\+06\]"),
        (lambda: iig.IIGPlayer(0, 1, -1, 1.2, 0, 0, 0, 0), r"'p' must be .* \[0, 1\]"),
        (lambda: iig.IIGPlayer(0, 1, -1, 0.5, -0.1, 0, 0, 0), r"'alpha' must be .* \[0, inf\]"),
        (lambda: iig.risk_exponent(2.0), r"'risk' must be .* \[-1, 1\]"),
        (
            lambda: iig.eugene_dyad("USA", "PRK", capabilities={}, alignment={}, risk={}, costs={}),
            r"'alignment' must give the alliance similarity of USA and PRK",
        ),
        (lambda: sanctions.solve_threat_game(-1, 0, 0, 0, 0), r"'v_s' must be"),
        (lambda: sanctions.leakage({"CHN": 0.9}, {"CHN": 1.5}), r"'enforcement\[CHN\]' must be"),
        (lambda: brinkmanship.compellence_threshold(0.3, 0.0), r"'w_b' must be"),
        (
            lambda: brinkmanship.escalation_ladder([0.1], [1.0], [0.5], [1.0], [1.0]),
            r"'prior_a' must be probabilities summing to 1",
        ),
        (
            lambda: brinkmanship.escalation_ladder([0.1] * 9, [1.0], [1.0], [1.0], [1.0]),
            r"'n_rungs' must be an integer in \[1, 8\]",
        ),
        (
            lambda: richardson.equilibrium(richardson.RichardsonParams(1, 1, 1, 1, 0, 0)),
            r"'m\*n - a\*b' must be non-zero",
        ),
        (lambda: richardson.fit_monthly([1, 2, 3], [1, 2, 3]), r"at least 5 months"),
        (
            lambda: richardson.RichardsonParams(float("inf"), 0, 0, 0, 0, 0),
            r"'a' must be a finite number",
        ),
    ],
)
def test_invalid_parameters_raise_usage_error(call, match):
    with pytest.raises(UsageError, match=match) as info:
        call()
    assert isinstance(info.value, StandoffError) and isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


_P = iig.IIGPlayer(0.0, 1.0, -1.0, 0.5, 0.1, 0.1, 0.1, 0.1)
