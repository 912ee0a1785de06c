"""International Interaction Game (Bueno de Mesquita & Lalman 1992, *War and Reason*).

Two states, A (the initiator, e.g. the US) and B (the rival, e.g. the DPRK), move in a
perfect-information tree with 13 terminal nodes (*War and Reason*, ch. 2, Fig. 2.2, as
reconstructed in ``shared/reference/crisis-games.md`` section 1.1 -- the tree reconstruction is
a **[project formalisation]**; check it against the book before citing)::

    A: NoDemand -> B: NoDemand -> SQ
                   B: Demand   -> A: Acquiesce -> ACQ_A
                                  A: CounterDemand -> B: Force -> A: Capitulate -> CAP_A
                                                                  A: Retaliate  -> WAR_B
                                                      B: NoForce -> A: Force -> B: Capitulate -> CAP_B
                                                                                 B: Retaliate  -> WAR_A
                                                                    A: NoForce -> NEG
    A: Demand   -> B: Acquiesce -> ACQ_B
                   B: CounterDemand -> A: Force -> B: Capitulate -> CAP_B
                                                   B: Retaliate  -> WAR_A
                                       A: NoForce -> B: Force -> A: Capitulate -> CAP_A
                                                                 A: Retaliate  -> WAR_B
                                                     B: NoForce -> NEG

``WAR_A`` is a war A starts, ``CAP_B`` B capitulating to A's force, ``ACQ_B`` B giving in to A's
demand without force. Utilities (ch. 2; for B swap the roles; ``lottery = p*U(D_self) +
(1-p)*U(D_other)``)::

    SQ: U(SQ)          ACQ_other, CAP_other: U(D_self)     ACQ_self: U(D_other)
    NEG: lottery       CAP_self: U(D_other) - phi
    WAR_self (started by self): lottery - alpha - gamma
    WAR_other (self attacked):  lottery - tau - gamma

Solutions: :func:`solve_spe` (backward induction), :func:`solve_qre` (agent logit QRE,
Signorino 1999 *APSR* 93(2), logit errors on terminal utilities; McKelvey & Palfrey 1998), and :func:`solve_incomplete`
(Nature draws B's type, dove or retaliator, with a prior; A sees neither the draw nor B's type,
and updates by Bayes' rule along the way -- BdM&L ch. 3-4; solved as an agent QRE, whose
large-``lam`` limit approximates a sequential equilibrium). :func:`eugene_dyad` builds the two
players from risk attitudes, alliance-portfolio similarity and the capabilities of third parties
(Bueno de Mesquita 1981/1985 *War Trap* operationalisation as used by EUGene's ``wrTu*``
variables), so China, Russia, Japan and the ROK enter a dyadic game through ``p``.

Outcome groups reported to analysts: status quo, negotiation, acquiescence, capitulation, war.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from standoff.errors import UsageError
from standoff.games import _tree
from standoff.games._validate import check_nonnegative, check_probability, check_range

OUTCOMES: tuple[str, ...] = ("SQ", "NEG", "ACQ_A", "ACQ_B", "CAP_A", "CAP_B", "WAR_A", "WAR_B")
GROUPS: dict[str, tuple[str, ...]] = {
    "status_quo": ("SQ",),
    "negotiation": ("NEG",),
    "acquiescence": ("ACQ_A", "ACQ_B"),
    "capitulation": ("CAP_A", "CAP_B"),
    "war": ("WAR_A", "WAR_B"),
}


@dataclass(frozen=True)
class IIGPlayer:
    """One side's utilities in the IIG (BdM&L 1992 ch. 2 notation).

    Attributes:
        u_sq: U(SQ), utility of the status quo.
        u_win: U(Delta_self), utility of the own demand being implemented.
        u_lose: U(Delta_other), utility of the rival's demand being implemented.
        p: probability of prevailing (in negotiation and in war), in [0, 1].
        alpha: cost of fighting a war one initiates (>= 0).
        tau: cost of being attacked (>= 0). ``tau > alpha`` is a first-strike advantage.
        gamma: cost of war in lives (>= 0).
        phi: cost of capitulating under force (>= 0).
    """

    u_sq: float
    u_win: float
    u_lose: float
    p: float
    alpha: float
    tau: float
    gamma: float
    phi: float

    def __post_init__(self) -> None:
        for name in ("u_sq", "u_win", "u_lose"):
            check_range(name, getattr(self, name))
        check_probability("p", self.p)
        for name in ("alpha", "tau", "gamma", "phi"):
            check_nonnegative(name, getattr(self, name))

    @property
    def lottery(self) -> float:
        return self.p * self.u_win + (1.0 - self.p) * self.u_lose

    def utility(self, outcome: str, side: str) -> float:
        """Utility of ``outcome`` (labels from A's point of view) to this player on ``side``."""
        me, other = ("A", "B") if side == "A" else ("B", "A")
        table = {
            "SQ": self.u_sq,
            "NEG": self.lottery,
            f"ACQ_{other}": self.u_win,
            f"ACQ_{me}": self.u_lose,
            f"CAP_{other}": self.u_win,
            f"CAP_{me}": self.u_lose - self.phi,
            f"WAR_{me}": self.lottery - self.alpha - self.gamma,
            f"WAR_{other}": self.lottery - self.tau - self.gamma,
        }
        return table[outcome]

    def retaliates(self) -> bool:
        """True if attacked, this player prefers fighting back to capitulating (a 'retaliator')."""
        return self.lottery - self.tau - self.gamma > self.u_lose - self.phi


@dataclass(frozen=True)
class IIGResult:
    """Outcome probabilities of an IIG solution and what an analyst reads from it."""

    outcomes: dict[str, float]
    groups: dict[str, float]
    payoffs: tuple[float, float]
    strategy: dict[str, dict[str, float]]
    beliefs: dict[str, dict[str, float]]
    lam: float | None
    by_type: dict[str, dict[str, float]] | None = None

    @property
    def most_likely(self) -> str:
        return max(self.outcomes, key=lambda k: self.outcomes[k])


def group_outcomes(outcomes: Mapping[str, float]) -> dict[str, float]:
    """Sum the eight outcome codes into the five groups of :data:`GROUPS`."""
    return {g: float(sum(outcomes.get(o, 0.0) for o in codes)) for g, codes in GROUPS.items()}


# ------------------------------------------------------------------ tree
def _leaf(label: str, a: IIGPlayer, b: IIGPlayer) -> _tree.Terminal:
    return _tree.Terminal(label, (a.utility(label, "A"), b.utility(label, "B")))


def _branches(a: IIGPlayer, b: IIGPlayer, sfx: str, tag: str) -> _tree.Decision:
    """The IIG below the root; B's information sets carry ``sfx`` (its type), A's do not."""
    A, B = 0, 1

    def dec(
        player: int, name: str, actions: tuple[str, ...], *children: _tree.Node
    ) -> _tree.Decision:
        iset = name + (sfx if player == B else "")
        return _tree.Decision(player, iset, actions, tuple(children), tag)

    def leaf(label: str) -> _tree.Terminal:
        return _leaf(label, a, b)

    cap_ret = ("Capitulate", "Retaliate")
    force = ("NoForce", "Force")
    # A-first branch (A demanded)
    n9 = dec(A, "A after B's force (A demanded)", cap_ret, leaf("CAP_A"), leaf("WAR_B"))
    n7 = dec(B, "B, A declined force (A demanded)", force, leaf("NEG"), n9)
    n8 = dec(B, "B after A's force (A demanded)", cap_ret, leaf("CAP_B"), leaf("WAR_A"))
    n5 = dec(A, "A after B's counter-demand", force, n7, n8)
    n3 = dec(B, "B facing A's demand", ("Acquiesce", "CounterDemand"), leaf("ACQ_B"), n5)
    # B-first branch (A made no demand)
    n12 = dec(B, "B after A's force (B demanded)", cap_ret, leaf("CAP_B"), leaf("WAR_A"))
    n11 = dec(A, "A, B declined force (B demanded)", force, leaf("NEG"), n12)
    n10 = dec(A, "A after B's force (B demanded)", cap_ret, leaf("CAP_A"), leaf("WAR_B"))
    n6 = dec(B, "B after A's counter-demand", force, n11, n10)
    n4 = dec(A, "A facing B's demand", ("Acquiesce", "CounterDemand"), leaf("ACQ_A"), n6)
    n2 = dec(B, "B, no demand from A", ("NoDemand", "Demand"), leaf("SQ"), n4)
    return dec(A, "A at the start", ("NoDemand", "Demand"), n2, n3)


def iig_tree(a: IIGPlayer, b: IIGPlayer) -> _tree.Node:
    """The complete-information IIG as a tree (13 terminal nodes; peaceful actions first)."""
    return _branches(a, b, "", "")


def iig_incomplete_tree(
    a: IIGPlayer, b_retaliator: IIGPlayer, b_dove: IIGPlayer, prior_retaliator: float
) -> _tree.Node:
    """Nature draws B's type; B knows it, A does not (its information sets pool both types)."""
    return _incomplete_root(a, b_retaliator, b_dove, prior_retaliator)


def _incomplete_root(
    a: IIGPlayer, b_retaliator: IIGPlayer, b_dove: IIGPlayer, prior_retaliator: float
) -> _tree.Chance:
    return _tree.Chance(
        (prior_retaliator, 1.0 - prior_retaliator),
        ("retaliator", "dove"),
        (
            _branches(a, b_retaliator, " [retaliator]", "retaliator"),
            _branches(a, b_dove, " [dove]", "dove"),
        ),
    )


def _result(sol: _tree.Solution, by_type: dict[str, dict[str, float]] | None = None) -> IIGResult:
    outcomes = {o: float(sol.outcomes.get(o, 0.0)) for o in OUTCOMES}
    return IIGResult(
        outcomes=outcomes,
        groups=group_outcomes(outcomes),
        payoffs=(sol.payoffs[0], sol.payoffs[1]),
        strategy=sol.strategy,
        beliefs=sol.beliefs,
        lam=sol.lam,
        by_type=by_type,
    )


def solve_spe(a: IIGPlayer, b: IIGPlayer) -> IIGResult:
    """Subgame-perfect equilibrium of the complete-information IIG (BdM&L ch. 2, backward
    induction over nodes n1..n12 as in crisis-games.md 1.1). Ties go to the peaceful action."""
    return _result(_tree.spe(iig_tree(a, b)))


def _check_lam(lam: float) -> float:
    return check_range("lam", lam, 0.0, 1e6)


def solve_qre(a: IIGPlayer, b: IIGPlayer, lam: float) -> IIGResult:
    """Agent logit QRE of the complete-information IIG at precision ``lam`` (>= 0).

    Signorino (1999) with logit errors (the recursion of crisis-games.md 1.1): at each node the mover picks action ``k`` with
    probability ``exp(lam*V_k) / sum_j exp(lam*V_j)``; ``lam = 0`` is uniform play, large ``lam``
    approaches :func:`solve_spe`.
    """
    return _result(_tree.agent_qre(iig_tree(a, b), _check_lam(lam)))


def solve_incomplete(
    a: IIGPlayer,
    b_retaliator: IIGPlayer,
    b_dove: IIGPlayer,
    prior_retaliator: float,
    lam: float = 20.0,
) -> IIGResult:
    """IIG with one-sided incomplete information about B's type (BdM&L ch. 3-4).

    Nature makes B a retaliator with probability ``prior_retaliator``, else a dove; A's beliefs
    at each of its information sets follow Bayes' rule from B's play. Solved as the agent logit
    QRE at ``lam`` (continuation from ``lam = 0``). ``beliefs`` gives A's posterior
    probability of each type at each of its information sets; ``by_type`` the outcome groups
    conditional on B's type. The equal-``p`` types and the QRE solution concept are a
    **[project formalisation]** of BdM&L's perfect Bayesian analysis.
    """
    pr = check_probability("prior_retaliator", prior_retaliator)
    lam = _check_lam(lam)
    root = _incomplete_root(a, b_retaliator, b_dove, pr)
    sol = _tree.agent_qre(root, lam)
    sigma = _tree.strategy_arrays(sol)
    by_type = {
        label: group_outcomes(_tree.outcome_distribution(sub, sigma))
        for label, sub in zip(root.labels, root.children, strict=True)
    }
    return _result(sol, by_type)


def dove_of(b: IIGPlayer, gamma_dove: float) -> IIGPlayer:
    """B's 'dove' type: the same player with a higher cost of war in lives ``gamma_dove``.

    **[project formalisation]**: BdM&L define types by preference orders; here a dove differs
    from the retaliator only by ``gamma`` (choose it so that ``dove.retaliates()`` is False).
    """
    return replace(b, gamma=check_nonnegative("gamma_dove", gamma_dove))


# ------------------------------------------------------------------ EUGene / War Trap
def risk_exponent(risk: float) -> float:
    """``r = (1 - R/3) / (1 + R/3)`` for a risk attitude ``R`` in [-1, 1] (BdM 1985)."""
    r = check_range("risk", risk, -1.0, 1.0)
    return (1.0 - r / 3.0) / (1.0 + r / 3.0)


def eugene_utilities(risk: float, similarity: float) -> tuple[float, float, float]:
    """(U(SQ), U(Delta_self), U(Delta_other)) from risk attitude and alliance similarity.

    EUGene ``wrTu*`` / War Trap forms (Bueno de Mesquita 1985; crisis-games.md 1.1)::

        U(SQ)          = 2 - 4 * 0.5 ** r
        U(Delta_self)  = 2 - 4 * ((1 + s) / 4) ** r
        U(Delta_other) = 2 - 4 * ((3 - s) / 4) ** r

    with ``s`` the Kendall tau_b similarity of the two alliance portfolios in [-1, 1].
    """
    r = risk_exponent(risk)
    s = check_range("similarity", similarity, -1.0, 1.0)
    return (
        2.0 - 4.0 * 0.5**r,
        2.0 - 4.0 * ((1.0 + s) / 4.0) ** r,
        2.0 - 4.0 * ((3.0 - s) / 4.0) ** r,
    )


def similarity(alignment: Mapping[tuple[str, str], float], i: str, j: str) -> float | None:
    """Alliance similarity of ``i`` and ``j`` from a symmetric table (1 for ``i == j``)."""
    if i == j:
        return 1.0
    v = alignment.get((i, j), alignment.get((j, i)))
    return None if v is None else float(v)


def prevail_probability(
    i: str,
    j: str,
    capabilities: Mapping[str, float],
    alignment: Mapping[tuple[str, str], float],
) -> float:
    """War Trap probability that ``i`` prevails over ``j`` with third parties' help::

        p_i = sum_{k: s_ik > s_jk} C_k (s_ik - s_jk) / sum_k C_k |s_ik - s_jk|

    over every actor ``k`` with a capability (``i`` and ``j`` included, ``s_ii = 1``). ``C_k`` is
    the capability and ``s`` the alliance similarity. Actors without a similarity to both
    ``i`` and ``j`` are left out; if nobody leans either way, ``p_i = 0.5``.
    """
    num = den = 0.0
    for k, c in capabilities.items():
        c = check_nonnegative(f"capability[{k}]", c)
        s_ik, s_jk = similarity(alignment, i, k), similarity(alignment, j, k)
        if s_ik is None or s_jk is None:
            continue
        d = check_range(f"similarity[{i},{k}]", s_ik, -1, 1) - check_range(
            f"similarity[{j},{k}]", s_jk, -1, 1
        )
        den += c * abs(d)
        if d > 0:
            num += c * d
    return 0.5 if den == 0 else num / den


def eugene_dyad(
    i: str,
    j: str,
    *,
    capabilities: Mapping[str, float],
    alignment: Mapping[tuple[str, str], float],
    risk: Mapping[str, float],
    costs: Mapping[str, Mapping[str, float]],
) -> tuple[IIGPlayer, IIGPlayer]:
    """The two IIG players of dyad (``i`` = A, ``j`` = B), EUGene-style.

    Utilities from :func:`eugene_utilities` (risk attitude, similarity ``s_ij``), ``p`` from
    :func:`prevail_probability` (so third parties such as China, Russia, Japan and the ROK shift
    who is expected to prevail), and the BdM&L cost constants ``alpha, tau, gamma, phi`` per actor
    from ``costs`` (**[project formalisation]**: BdM&L define the symbols, the values are the
    scenario's; the consul calibration ``U(WAR) = lottery - 1`` is not used).
    """
    s_ij = similarity(alignment, i, j)
    if s_ij is None:
        raise UsageError(f"'alignment' must give the alliance similarity of {i} and {j}")
    p_i = prevail_probability(i, j, capabilities, alignment)
    players = []
    for me, p in ((i, p_i), (j, 1.0 - p_i)):
        if me not in risk:
            raise UsageError(f"'risk' must give a risk attitude in [-1, 1] for {me}")
        u_sq, u_win, u_lose = eugene_utilities(risk[me], s_ij)
        c = costs.get(me, {})
        players.append(
            IIGPlayer(
                u_sq=u_sq,
                u_win=u_win,
                u_lose=u_lose,
                p=min(1.0, max(0.0, p)),
                alpha=c.get("alpha", 0.0),
                tau=c.get("tau", 0.0),
                gamma=c.get("gamma", 0.0),
                phi=c.get("phi", 0.0),
            )
        )
    return players[0], players[1]


__all__ = [
    "GROUPS",
    "OUTCOMES",
    "IIGPlayer",
    "IIGResult",
    "dove_of",
    "eugene_dyad",
    "eugene_utilities",
    "group_outcomes",
    "iig_incomplete_tree",
    "iig_tree",
    "prevail_probability",
    "risk_exponent",
    "similarity",
    "solve_incomplete",
    "solve_qre",
    "solve_spe",
]
