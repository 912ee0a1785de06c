"""Golden vectors G1 (Scholz mode) and G2 (clean mode, Masad's tables)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from standoff.bargaining.eum import (
    expected_utilities,
    risk_exponents,
    run_eum,
    win_probabilities,
)
from standoff.bargaining.inputs import read_file

DATA = Path(__file__).parent / "data"
ORDER = [
    "Netherlands",
    "Belgium",
    "Luxembourg",
    "Germany",
    "France",
    "Italy",
    "UK",
    "Ireland",
    "Denmark",
    "Greece",
]

# G1: jmckib's replication of Scholz et al. (2011); columns in ORDER, then the weighted mean.
G1 = np.array(
    [
        [4, 7, 4, 4, 10, 10, 10, 7, 4, 7, 7.390],
        [4, 8.416, 7, 4, 10, 10, 10, 4, 4, 7, 7.461],
        [4, 9.611, 8.416, 4, 10, 10, 10, 7, 4, 7, 7.553],
        [4, 9.962, 9.611, 4, 10, 10, 10, 8.416, 4, 7, 7.590],
        [4, 4.801, 9.962, 4, 10, 10, 10, 9.611, 4, 7, 7.358],
        [4, 5.524, 4.801, 4, 10, 10, 10, 9.962, 4, 7, 7.349],
        [4, 7.472, 5.524, 4, 10, 10, 10, 5.524, 4, 7, 7.415],
        [4, 8.825, 7.472, 4, 10, 10, 10, 7.472, 4, 7, 7.510],
        [4, 9.671, 8.825, 4, 10, 10, 10, 8.825, 4, 7, 7.572],
        [4, 4.145, 9.671, 4, 10, 10, 10, 9.671, 4, 7, 7.325],
        [4, 4.292, 4.145, 4, 10, 10, 10, 4.145, 4, 7, 7.242],
    ]
)
G1_R1 = [1.406, 0.754, 0.509, 1.406, 1.047, 1.047, 1.965, 0.500, 2.000, 1.112]

# G2: Masad (2016), tables eg_agent_data and eg_eu; alphabetical order.
G2_ORDER = [
    "Belgium",
    "Denmark",
    "France",
    "Germany",
    "Greece",
    "Ireland",
    "Italy",
    "Luxembourg",
    "Netherlands",
    "UK",
]
G2_R = {
    "Netherlands": 1.12,
    "Belgium": 1.00,
    "Luxembourg": 0.50,
    "Germany": 1.12,
    "France": 1.02,
    "Italy": 1.02,
    "UK": 2.00,
    "Ireland": 0.65,
    "Denmark": 1.45,
    "Greece": 1.56,
}
G2_EU = np.array(
    [
        [0, 0.27, 0.40, 0.41, 0.00, 0.00, 0.40, 0.85, 0.41, 0.11],
        [0.39, 0, 0.08, 0.00, -0.00, 0.79, 0.08, 0.00, 0.00, -0.61],
        [0.60, 0.28, 0, 0.62, 0.29, 0.90, 0.00, 1.64, 0.62, 0.00],
        [0.47, 0.00, 0.46, 0, 0.08, 0.86, 0.46, 0.00, 0.00, -0.23],
        [0.00, 0.13, 0.27, 0.28, 0, 0.00, 0.27, 0.74, 0.28, -0.04],
        [0.00, 0.30, 0.42, 0.43, 0.00, 0, 0.42, 0.80, 0.43, 0.17],
        [0.60, 0.28, 0.00, 0.62, 0.29, 0.90, 0, 1.64, 0.62, 0.00],
        [0.46, 0.00, 1.45, 0.00, 0.18, 0.74, 1.45, 0, 0.00, 0.76],
        [0.47, 0.00, 0.46, 0.00, 0.08, 0.86, 0.46, 0.00, 0, -0.23],
        [0.35, -0.70, 0.00, -0.36, 0.04, 0.65, 0.00, 0.66, -0.36, 0],
    ]
)


def _z(p):
    return (p.position - p.position.min()) / np.ptp(p.position)


@pytest.mark.parametrize("fname", ["eu_emissions.csv", "eu_emissions_ktab.csv"])
def test_g1_scholz_positions_every_round(fname):
    p = read_file(DATA / fname)[0]
    assert list(p.actors) == ORDER
    r = run_eum(p, mode="scholz", rounds=10)
    assert r.positions.shape == (11, 10)
    assert np.round(r.positions, 3) == pytest.approx(G1[:, :10], abs=1e-9)
    assert np.round(r.means, 3) == pytest.approx(G1[:, 10], abs=1e-9)
    assert np.round(r.risk[0], 3) == pytest.approx(G1_R1, abs=1e-9)
    assert r.oscillating and r.status == "fixed_rounds"


def test_g2_clean_risk_exponents_and_eu_matrix(eu):
    z = _z(eu)
    r = risk_exponents(z, eu.weight, eu.salience)
    assert np.round(r, 2) == pytest.approx([G2_R[a] for a in eu.actors], abs=1e-9)
    p = win_probabilities(z, eu.weight)
    own, _ = expected_utilities(z, eu.salience, p, r)
    idx = [eu.actors.index(a) for a in G2_ORDER]
    got = own[np.ix_(idx, idx)]
    np.fill_diagonal(got, 0.0)
    assert np.abs(got - G2_EU).max() <= 0.005 + 1e-9


def test_g2_belgium_netherlands_probability(eu):
    z = _z(eu)
    b, n = eu.actors.index("Belgium"), eu.actors.index("Netherlands")
    p = win_probabilities(z, eu.weight)
    assert round(p[b, n], 2) == 0.63
    # per-voter contributions |v_k(Bel, Net)| (E1) total 0.2145 for Belgium, 0.124 for NL
    v = eu.weight * (np.abs(z - z[n]) - np.abs(z - z[b]))
    assert v[v > 0].sum() == pytest.approx(0.2145)
    assert -v[v < 0].sum() == pytest.approx(0.124)
