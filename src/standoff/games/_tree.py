"""Small finite extensive-form games: backward induction and agent logit QRE.

The crisis games of :mod:`standoff.games` are trees with a handful of decision nodes,
chance moves (types, disaster risk) and, for incomplete-information variants, information
sets. This module solves them without external solvers:

* :func:`spe` -- subgame-perfect equilibrium by backward induction (perfect information).
* :func:`agent_qre` -- agent logit quantal response equilibrium (McKelvey & Palfrey 1998,
  *Experimental Economics* 1(1), agent QRE; Signorino 1999, *APSR* 93(2) for crisis trees): at each
  information set ``I`` the mover plays ``sigma(a) = exp(lam*Q(I,a)) / sum_b exp(lam*Q(I,b))``,
  where ``Q(I,a)`` is the mover's expected payoff of ``a`` given the beliefs at ``I`` (Bayes'
  rule from the realisation probabilities) and everybody's play further down. On
  perfect-information trees this is a closed-form recursion from the leaves; with information
  sets it is a fixed point, traced from ``lam = 0`` (uniform play, where it is unique) up to
  the requested ``lam`` by continuation, as Gambit's ``logit_solve`` does (principal branch).
  ``lam -> infinity`` selects a subgame-perfect (perfect information) or sequential
  (imperfect information) equilibrium in generic games.

Nodes are frozen dataclasses; a tree is its root node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from standoff.errors import NumericalError

#: Continuation steps before the QRE tracer gives up with an explanation (**project choice**;
#: the bundled games need fewer than 200).
_MAX_QRE_STEPS = 5000


@dataclass(frozen=True)
class Terminal:
    """An end of the game: an outcome label and one payoff per player."""

    label: str
    payoffs: tuple[float, ...]


@dataclass(frozen=True)
class Decision:
    """A decision node. Nodes that share ``infoset`` are indistinguishable to ``player``."""

    player: int
    infoset: str
    actions: tuple[str, ...]
    children: tuple[Node, ...]
    tag: str = ""  # e.g. the opponent's type at this node (used to label beliefs)


@dataclass(frozen=True)
class Chance:
    """A move by Nature with fixed probabilities."""

    probs: tuple[float, ...]
    labels: tuple[str, ...]
    children: tuple[Node, ...]


Node = Terminal | Decision | Chance


@dataclass(frozen=True)
class Solution:
    """A solved game: behaviour strategy, outcome distribution, payoffs and beliefs."""

    strategy: dict[str, dict[str, float]]
    outcomes: dict[str, float]
    payoffs: tuple[float, ...]
    beliefs: dict[str, dict[str, float]] = field(default_factory=dict)
    lam: float | None = None


# ------------------------------------------------------------------ traversal helpers
def walk(node: Node) -> Iterator[Node]:
    yield node
    if not isinstance(node, Terminal):
        for c in node.children:
            yield from walk(c)


def infosets(root: Node) -> dict[str, list[Decision]]:
    """Information sets in first-visit order, each with its member nodes."""
    out: dict[str, list[Decision]] = {}
    for n in walk(root):
        if isinstance(n, Decision):
            members = out.setdefault(n.infoset, [])
            if members and (members[0].player != n.player or members[0].actions != n.actions):
                raise ValueError(f"information set {n.infoset!r} mixes players or action lists")
            members.append(n)
    return out


def is_perfect_information(root: Node) -> bool:
    return all(len(m) == 1 for m in infosets(root).values())


def n_players(root: Node) -> int:
    for n in walk(root):
        if isinstance(n, Terminal):
            return len(n.payoffs)
    raise ValueError("a game tree needs at least one terminal node")


Strategy = dict[str, np.ndarray]


def _values(node: Node, sigma: Strategy, cache: dict[int, np.ndarray]) -> np.ndarray:
    key = id(node)
    if key in cache:
        return cache[key]
    if isinstance(node, Terminal):
        v = np.asarray(node.payoffs, dtype=float)
    elif isinstance(node, Chance):
        v = sum(
            p * _values(c, sigma, cache) for p, c in zip(node.probs, node.children, strict=True)
        )
    else:
        probs = sigma[node.infoset]
        v = sum(p * _values(c, sigma, cache) for p, c in zip(probs, node.children, strict=True))
    cache[key] = np.asarray(v, dtype=float)
    return cache[key]


def _reach(root: Node, sigma: Strategy) -> dict[int, float]:
    out: dict[int, float] = {}
    stack: list[tuple[Node, float]] = [(root, 1.0)]
    while stack:
        node, pr = stack.pop()
        out[id(node)] = pr
        if isinstance(node, Chance):
            stack.extend((c, pr * p) for p, c in zip(node.probs, node.children, strict=True))
        elif isinstance(node, Decision):
            probs = sigma[node.infoset]
            stack.extend((c, pr * p) for p, c in zip(probs, node.children, strict=True))
    return out


def strategy_arrays(solution: Solution) -> Strategy:
    """The behaviour strategy of a :class:`Solution` as arrays (for re-evaluation)."""
    return {k: np.array(list(v.values()), dtype=float) for k, v in solution.strategy.items()}


def outcome_distribution(root: Node, sigma: Strategy) -> dict[str, float]:
    """Probability of each terminal label (labels shared by several leaves are summed)."""
    reach = _reach(root, sigma)
    out: dict[str, float] = {}
    for n in walk(root):
        if isinstance(n, Terminal):
            out[n.label] = out.get(n.label, 0.0) + reach[id(n)]
    return out


def _beliefs(root: Node, sigma: Strategy, sets: dict[str, list[Decision]]) -> dict[str, np.ndarray]:
    reach = _reach(root, sigma)
    out: dict[str, np.ndarray] = {}
    for name, members in sets.items():
        w = np.array([reach[id(m)] for m in members])
        tot = w.sum()
        out[name] = w / tot if tot > 0 else np.full(len(members), 1.0 / len(members))
    return out


def _action_values(
    root: Node, sigma: Strategy, sets: dict[str, list[Decision]]
) -> dict[str, np.ndarray]:
    """Q(I, a): the mover's expected payoff of each action at each information set."""
    cache: dict[int, np.ndarray] = {}
    beliefs = _beliefs(root, sigma, sets)
    out: dict[str, np.ndarray] = {}
    for name, members in sets.items():
        pl = members[0].player
        q = np.zeros(len(members[0].actions))
        for b, m in zip(beliefs[name], members, strict=True):
            q += b * np.array([_values(c, sigma, cache)[pl] for c in m.children])
        out[name] = q
    return out


def _logit(q: np.ndarray, lam: float) -> np.ndarray:
    z = lam * (q - q.max())
    e = np.exp(z)
    return e / e.sum()


def _package(root: Node, sigma: Strategy, lam: float | None) -> Solution:
    sets = infosets(root)
    strategy = {
        name: {a: float(p) for a, p in zip(members[0].actions, sigma[name], strict=True)}
        for name, members in sets.items()
    }
    beliefs: dict[str, dict[str, float]] = {}
    for name, b in _beliefs(root, sigma, sets).items():
        members = sets[name]
        if len(members) > 1:
            d: dict[str, float] = {}
            for idx, (m, w) in enumerate(zip(members, b, strict=True)):
                key = m.tag or f"node {idx}"
                d[key] = d.get(key, 0.0) + float(w)
            beliefs[name] = d
    pay = tuple(float(x) for x in _values(root, sigma, {}))
    return Solution(strategy, outcome_distribution(root, sigma), pay, beliefs, lam)


# ------------------------------------------------------------------ solvers
def spe(root: Node) -> Solution:
    """Subgame-perfect equilibrium by backward induction (perfect-information trees).

    Ties are broken in favour of the first-listed action (generic payoffs have no ties).
    """
    if not is_perfect_information(root):
        raise ValueError("backward induction needs a perfect-information tree")
    sigma: Strategy = {}

    def rec(node: Node) -> np.ndarray:
        if isinstance(node, Terminal):
            return np.asarray(node.payoffs, dtype=float)
        vals = [rec(c) for c in node.children]
        if isinstance(node, Chance):
            return sum(p * v for p, v in zip(node.probs, vals, strict=True))
        own = [v[node.player] for v in vals]
        best = int(np.argmax(own))  # first maximiser
        probs = np.zeros(len(vals))
        probs[best] = 1.0
        sigma[node.infoset] = probs
        return vals[best]

    rec(root)
    return _package(root, sigma, None)


def _qre_perfect(root: Node, lam: float) -> Strategy:
    sigma: Strategy = {}

    def rec(node: Node) -> np.ndarray:
        if isinstance(node, Terminal):
            return np.asarray(node.payoffs, dtype=float)
        vals = [rec(c) for c in node.children]
        if isinstance(node, Chance):
            return sum(p * v for p, v in zip(node.probs, vals, strict=True))
        probs = _logit(np.array([v[node.player] for v in vals]), lam)
        sigma[node.infoset] = probs
        return sum(p * v for p, v in zip(probs, vals, strict=True))

    rec(root)
    return sigma


def agent_qre(root: Node, lam: float, *, force_continuation: bool = False) -> Solution:
    """Agent logit QRE at precision ``lam`` (>= 0); see the module docstring.

    Perfect-information trees use the exact recursion; trees with information sets use
    continuation in ``lam`` from uniform play (``force_continuation`` forces the latter, for
    tests of the continuation solver).
    """
    if lam < 0:
        raise ValueError("lam must be >= 0")
    if not force_continuation and is_perfect_information(root):
        return _package(root, _qre_perfect(root, lam), lam)
    return _package(root, _continuation(root, lam), lam)


def _jump(resid, q0: np.ndarray) -> np.ndarray | None:
    """Find a root of ``resid`` near ``q0`` when the continuation step fails."""
    sol = optimize.root(resid, q0, method="lm", options={"xtol": 1e-14})
    if np.max(np.abs(resid(sol.x))) < 1e-8:
        return sol.x
    q = q0.copy()
    for _ in range(5000):  # damped fixed point: q <- q - 0.1 * resid(q)
        r = resid(q)
        if np.max(np.abs(r)) < 1e-10:
            return q
        q = q - 0.1 * r
    return None


def _continuation(root: Node, lam_target: float) -> Strategy:
    sets = infosets(root)
    names = list(sets)
    sizes = [len(sets[n][0].actions) for n in names]
    cuts = np.cumsum([0, *sizes])

    def sigma_of(q: np.ndarray, lam: float) -> Strategy:
        return {n: _logit(q[cuts[i] : cuts[i + 1]], lam) for i, n in enumerate(names)}

    def qvec(sig: Strategy) -> np.ndarray:
        qs = _action_values(root, sig, sets)
        return np.concatenate([qs[n] for n in names])

    uniform = {n: np.full(k, 1.0 / k) for n, k in zip(names, sizes, strict=True)}
    q = qvec(uniform)
    if lam_target == 0:
        return uniform
    # payoff scale sets how fast play sharpens with lam
    scale = max(
        1e-9,
        float(
            np.ptp(
                np.concatenate(
                    [np.asarray(t.payoffs) for t in walk(root) if isinstance(t, Terminal)]
                )
            )
        ),
    )

    def resid_at(lam_: float):
        return lambda x: x - qvec(sigma_of(x, lam_))

    lam = 0.0
    step = min(lam_target, 0.5 / scale)
    iterations = 0
    while lam < lam_target:
        iterations += 1
        if iterations > _MAX_QRE_STEPS:
            raise NumericalError(
                f"lam: the QRE continuation did not reach lam={lam_target:g} in {_MAX_QRE_STEPS} "
                f"steps (stopped at {lam:.3g}; payoffs span {scale:.3g}); use a smaller 'lam' or "
                "payoffs (costs, values) of a similar order of magnitude"
            )
        nxt = min(lam_target, lam + step)

        def resid(x: np.ndarray, lam_: float = nxt) -> np.ndarray:
            return x - qvec(sigma_of(x, lam_))

        sol = optimize.root(resid, q, method="hybr", options={"xtol": 1e-12})
        if sol.success and np.max(np.abs(sol.fun)) < 1e-8:
            q, lam = sol.x, nxt
            step *= 1.5
        else:
            step /= 2.0
            if step < 1e-9 * max(1.0, lam_target):
                # a fold of the QRE branch: jump to a nearby solution at the next lam by
                # Levenberg-Marquardt, then by damped fixed-point iteration [project choice]
                nxt = min(lam_target, lam + max(1e-3, 1e-3 * lam))
                found = _jump(resid_at(nxt), q)
                if found is None:
                    raise NumericalError(
                        f"lam: the QRE continuation stalled at lam={lam:.3g} (target "
                        f"{lam_target:g}; payoffs span {scale:.3g}); use a smaller 'lam' or "
                        "payoffs (costs, values) of a similar order of magnitude"
                    )
                q, lam, step = found, nxt, max(1e-3, 1e-3 * lam)
    return sigma_of(q, lam_target)
