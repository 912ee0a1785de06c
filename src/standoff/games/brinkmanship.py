"""Brinkmanship: Schelling's threat that leaves something to chance; Powell's escalation ladder.

* :func:`compellence_threshold` -- A creates a risk ``q`` of uncontrolled war (cost ``w_B`` to B);
  B complies (losing the stake ``v_B``) iff ``q >= q* = v_B / w_B`` (Schelling 1960, *The Strategy
  of Conflict*, ch. 8; 1966, *Arms and Influence*, ch. 3; crisis-games.md 1.4).
* :func:`choose_risk` -- with B's ratio ``theta = v_B/w_B`` private, ``theta ~ U[lo, hi]``,
  compliance probability ``F(q)``; A picks ``q`` to maximise ``F(q) v_A - (1 - F(q)) q w_A``.
* :func:`escalation_ladder` -- Powell (1987, *APSR* 81(3); 1990, *Nuclear Deterrence Theory*):
  players alternate on an n-rung ladder; at each rung the mover quits (the other wins
  the stake) or escalates, which risks disaster ``r_k``; each side's resolve ``v/(v + c)`` is
  private. Solved as an agent logit QRE (large ``lam`` ~ sequential equilibrium); the
  discrete ladder with 2-3 resolve types per side is a **[project formalisation]**.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from standoff.games import _tree
from standoff.games._validate import (
    check_distribution,
    check_int,
    check_positive,
    check_probability,
    check_range,
)


def compellence_threshold(v_b: float, w_b: float) -> float:
    """Schelling's threshold ``q* = v_B / w_B``: the smallest war risk that makes B comply.

    A value above 1 means no risk level compels B (the stake is worth more than war costs).
    """
    return check_positive("v_b", v_b) / check_positive("w_b", w_b)


@dataclass(frozen=True)
class RiskChoice:
    """A's optimal brinkmanship risk against a target of unknown resolve."""

    q: float
    p_comply: float
    p_war: float
    expected_value: float


def choose_risk(v_a: float, w_a: float, theta_low: float, theta_high: float) -> RiskChoice:
    """Maximise ``F(q) v_A - (1 - F(q)) q w_A`` over ``q`` in [0, 1], ``theta ~ U[lo, hi]``.

    ``F(q) = P(theta <= q)``. Returns the risk ``q``, the compliance probability, the
    probability of war ``(1 - F(q)) q`` and A's expected value. The objective is convex on
    ``[lo, hi]``, so the optimum is at 0 or at a kink; it is found on a fine grid plus the
    kinks.
    """
    va = check_positive("v_a", v_a)
    wa = check_positive("w_a", w_a)
    lo = check_range("theta_low", theta_low, 0.0, float("inf"))
    hi = check_range("theta_high", theta_high, lo, float("inf"), lo_open=True)
    qs = np.unique(np.concatenate([np.linspace(0, 1, 2001), np.clip([lo, hi], 0, 1)]))
    f = np.clip((qs - lo) / (hi - lo), 0.0, 1.0)
    val = f * va - (1 - f) * qs * wa
    i = int(np.argmax(val))
    return RiskChoice(float(qs[i]), float(f[i]), float((1 - f[i]) * qs[i]), float(val[i]))


@dataclass(frozen=True)
class LadderResult:
    """Escalation-ladder outcome probabilities and beliefs."""

    p_a_quits: float
    p_b_quits: float
    p_disaster: float  # inadvertent catastrophe while escalating
    p_war: float  # both climbed past the top rung
    end_rung: list[float]  # P(the crisis ends at rung k), k = 1..n
    beliefs: dict[str, dict[str, float]]
    resolve_a: dict[str, float]
    resolve_b: dict[str, float]
    lam: float


def _types(
    vname: str, values: Sequence[float], pname: str, priors: Sequence[float]
) -> tuple[list[float], tuple[float, ...]]:
    check_int(f"len({vname})", len(values), 1, 3)
    vals = [check_positive(f"{vname}[{i}]", v) for i, v in enumerate(values)]
    check_int(f"len({pname})", len(priors), len(vals), len(vals))
    return vals, check_distribution(pname, priors)


def ladder_tree(
    risks: Sequence[float],
    values_a: Sequence[float],
    prior_a: Sequence[float],
    values_b: Sequence[float],
    prior_b: Sequence[float],
    cost_a: float,
    cost_b: float,
    war_share_a: float = 0.5,
) -> _tree.Node:
    """The ladder as a tree: Nature draws both resolve types, A moves at odd rungs, B at even."""
    n = check_int("n_rungs", len(risks), 1, 8)
    rs = [check_probability(f"risks[{k}]", r) for k, r in enumerate(risks)]
    va, pa = _types("values_a", values_a, "prior_a", prior_a)
    vb, pb = _types("values_b", values_b, "prior_b", prior_b)
    ca, cb = check_positive("cost_a", cost_a), check_positive("cost_b", cost_b)
    w = check_probability("war_share_a", war_share_a)
    T = _tree.Terminal

    def rung(k: int, ia: int, ib: int) -> _tree.Node:
        if k == n:  # past the top rung: war, won by A with probability w
            return T(f"war@{n}", (w * va[ia] - ca, (1 - w) * vb[ib] - cb))
        mover = k % 2  # 0 = A at rungs 1, 3, ...
        own, opp = (f"A{ia}", f"B{ib}") if mover == 0 else (f"B{ib}", f"A{ia}")
        quit_ = T(
            f"{'A' if mover == 0 else 'B'} quits@{k + 1}",
            (0.0, vb[ib]) if mover == 0 else (va[ia], 0.0),
        )
        esc = _tree.Chance(
            (rs[k], 1.0 - rs[k]),
            ("disaster", "survive"),
            (T(f"disaster@{k + 1}", (-ca, -cb)), rung(k + 1, ia, ib)),
        )
        return _tree.Decision(
            mover, f"rung {k + 1} ({own})", ("Quit", "Escalate"), (quit_, esc), opp
        )

    kids, probs, labels = [], [], []
    for ia in range(len(va)):
        for ib in range(len(vb)):
            kids.append(rung(0, ia, ib))
            probs.append(pa[ia] * pb[ib])
            labels.append(f"A{ia},B{ib}")
    return _tree.Chance(tuple(probs), tuple(labels), tuple(kids))


def escalation_ladder(
    risks: Sequence[float],
    values_a: Sequence[float],
    prior_a: Sequence[float],
    values_b: Sequence[float],
    prior_b: Sequence[float],
    cost_a: float = 1.0,
    cost_b: float = 1.0,
    lam: float = 20.0,
    war_share_a: float = 0.5,
) -> LadderResult:
    """Solve an n-rung (n <= 8) alternating escalation ladder with private resolve.

    Args:
        risks: disaster probability of escalating at rung k (A moves at rungs 1, 3, ...);
            escalating past the last rung is war, which A wins with probability
            ``war_share_a`` (winner gets its stake value; both pay their cost).
        values_a, prior_a: A's possible stake values (1-3 types, each > 0) and their prior.
        values_b, prior_b: the same for B.
        cost_a, cost_b: cost of disaster/war (> 0); resolve of a type = ``v/(v + c)``. A
            disaster costs ``c`` and gives nobody the stake.
        lam: logit precision (>= 0).

    Returns probabilities that A quits, B quits, disaster strikes, or war is reached, where the
    crisis ends, and each mover's posterior over the opponent's types at each rung (info-set
    labels name the mover's own type, e.g. ``rung 3 (A1)``; belief keys the opponent's type).
    The probability of disaster is positive even though nobody wants it (Powell 1987).
    """
    lam = check_range("lam", lam, 0.0, 1e6)
    root = ladder_tree(risks, values_a, prior_a, values_b, prior_b, cost_a, cost_b, war_share_a)
    sol = _tree.agent_qre(root, lam)
    n = len(risks)
    end = [0.0] * n
    tot = {"A quits": 0.0, "B quits": 0.0, "disaster": 0.0, "war": 0.0}
    for label, pr in sol.outcomes.items():
        kind, _, k = label.partition("@")
        tot[kind] += float(pr)
        end[min(int(k), n) - 1] += float(pr)
    return LadderResult(
        p_a_quits=tot["A quits"],
        p_b_quits=tot["B quits"],
        p_disaster=tot["disaster"],
        p_war=tot["war"],
        end_rung=end,
        beliefs=sol.beliefs,
        resolve_a={f"A{i}": v / (v + cost_a) for i, v in enumerate(values_a)},
        resolve_b={f"B{i}": v / (v + cost_b) for i, v in enumerate(values_b)},
        lam=lam,
    )


__all__ = [
    "LadderResult",
    "RiskChoice",
    "choose_risk",
    "compellence_threshold",
    "escalation_ladder",
    "ladder_tree",
]
