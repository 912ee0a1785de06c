"""Cross-check against pygambit (opt-in: ``pytest -m gambit``; needs ``pip install standoff[gambit]``).

The same trees are built in pygambit 16.x (see ``gambit_adapter.py``) and solved there:
``nash.logit_solve`` (limit of the agent QRE: selects the subgame-perfect / sequential
equilibrium) and ``qre.logit_solve_lambda`` (agent QRE at given lambda). Our backward induction
and agent-QRE solver must agree.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from standoff.games import _tree, brinkmanship, iig, sanctions

pytestmark = pytest.mark.gambit
gbt = pytest.importorskip("pygambit")
if not hasattr(gbt.Game, "new_tree"):  # pygambit 17 changed the tree-building API
    pytest.skip("the cross-check adapter targets the pygambit 16.x API", allow_module_level=True)

sys.path.insert(0, str(Path(__file__).parent))
from gambit_adapter import to_gambit  # noqa: E402

A = iig.IIGPlayer(u_sq=0.0, u_win=1.0, u_lose=-1.0, p=0.8, alpha=0.3, tau=0.5, gamma=0.2, phi=0.1)
B = iig.IIGPlayer(u_sq=0.0, u_win=1.0, u_lose=-1.0, p=0.2, alpha=0.3, tau=0.5, gamma=0.2, phi=0.1)


def _flat_order(g, created):
    inv = {v: k for k, v in created.items()}
    return [(inv[i], a.label) for p in g.players for i in p.infosets for a in i.actions]


def _gambit_qre(root, lams):
    g, created = to_gambit(root)
    order = _flat_order(g, created)
    out = []
    for q in gbt.qre.logit_solve_lambda(g, list(lams)):
        strat: dict[str, dict[str, float]] = {}
        for k, (iset, act) in enumerate(order):
            strat.setdefault(iset, {})[act] = float(q[k])
        out.append((float(q.lam), strat))
    return out


def _gambit_limit(root):
    g, created = to_gambit(root)
    eq = gbt.nash.logit_solve(g).equilibria[0]
    sets = _tree.infosets(root)
    strat = {
        name: {a: float(eq[iset.actions[a]]) for a in sets[name][0].actions}
        for name, iset in created.items()
    }
    return strat


def _outcomes(root, strat):
    sigma = {k: np.array(list(v.values())) for k, v in strat.items()}
    return _tree.outcome_distribution(root, sigma)


def _close(d1, d2, tol):
    keys = set(d1) | set(d2)
    return max(abs(d1.get(k, 0.0) - d2.get(k, 0.0)) for k in keys) <= tol


def test_iig_spe_matches_gambit_logit_limit():
    root = iig.iig_tree(A, B)
    ours = iig.solve_spe(A, B)
    theirs = _outcomes(root, _gambit_limit(root))
    assert _close(ours.outcomes, theirs, 1e-6)
    assert ours.most_likely == "ACQ_B"  # crisis-games.md section 4: Demand -> Acquiesce
    assert ours.payoffs == pytest.approx((1.0, -1.0))


@pytest.mark.parametrize("lams", [(0.5, 2.0, 10.0)])
def test_iig_agent_qre_matches_gambit(lams):
    root = iig.iig_tree(A, B)
    for lam, strat in _gambit_qre(root, lams):
        ours = _tree.agent_qre(root, lam).strategy
        for iset, probs in strat.items():
            for act, p in probs.items():
                assert ours[iset][act] == pytest.approx(p, abs=1e-6), (lam, iset, act)


def test_sanctions_private_resolve_matches_gambit():
    root = sanctions.private_resolve_tree(1.0, 0.5, 0.2, 2.0, 0.4, 1.0, 0.6)
    for lam, strat in _gambit_qre(root, (0.5, 2.0, 8.0)):
        ours = _tree.agent_qre(root, lam)
        assert _close(ours.outcomes, _outcomes(root, strat), 1e-5), lam


def test_sanctions_private_resolve_limit_matches_gambit():
    root = sanctions.private_resolve_tree(1.0, 0.5, 0.2, 2.0, 0.4, 1.0, 0.6)
    theirs = _outcomes(root, _gambit_limit(root))
    ours = _tree.agent_qre(root, 200.0).outcomes
    assert _close(ours, theirs, 1e-3)


def test_iig_incomplete_information_matches_gambit():
    dove = iig.dove_of(B, 3.0)
    root = iig.iig_incomplete_tree(A, B, dove, 0.5)
    for lam, strat in _gambit_qre(root, (0.5, 3.0)):
        ours = _tree.agent_qre(root, lam)
        assert _close(ours.outcomes, _outcomes(root, strat), 1e-5), lam


def test_escalation_ladder_matches_gambit():
    root = brinkmanship.ladder_tree(
        [0.05, 0.1, 0.15], [0.5, 2.0], [0.5, 0.5], [0.5, 2.0], [0.4, 0.6], 1.0, 1.0
    )
    for lam, strat in _gambit_qre(root, (1.0, 5.0)):
        ours = _tree.agent_qre(root, lam)
        assert _close(ours.outcomes, _outcomes(root, strat), 1e-5), lam
