"""Sanctions: threat/imposition game with TIES outcome codes, Drezner's sanctions paradox,
third-party sanctions busting.

Game form (Morgan & Miers 1999; Lacy & Niou 2004, *J. Politics* 66(1); crisis-games.md 1.6)::

    Sender: NoThreat -> SQ (not a TIES case)
            Threaten -> Target: Comply -> acquiescence at the threat stage     (TIES 1/2)
                                Defy   -> Sender: BackDown -> sender capitulates (TIES 3)
                                                  Impose   -> Target: Comply -> acquiescence (TIES 6/7)
                                                                      Defy   -> stalemate    (TIES 9)

Payoffs (**[project formalisation]**): the Sender gets ``v_S`` if the target complies, pays
audience cost ``a_S`` for backing down and ``k_S`` for imposing; the Target loses ``v_T`` by
complying and ``k_T`` by living under sanctions; complying after imposition lifts them but the
target has borne the share ``sunk`` of ``k_T`` by then (default 0.25). Under
complete information sanctions are never imposed on the path of play (the threat is credible
iff ``k_S < a_S``; the target then complies iff ``v_T <= k_T``), so imposition and failure are
incomplete-information phenomena: :func:`solve_private_resolve` gives the target a private
"resolute" type with prior ``prior_resolute``. TIES = Threat and Imposition of Economic
Sanctions (Morgan, Bapat & Kobayashi 2014, *CMPS* 31(5)); codes 4/5 and 8/10 (stalemate or
settlement at the threat stage, negotiated settlement after imposition) are outside this tree.

Drezner (1999, *The Sanctions Paradox*): adversaries that expect future conflict
concede little. Reduced form ``x* = max(0, (k_T - E k_S)/(1 + E))`` (**[project
formalisation]**). Sanctions busting (Early 2015, *Busted Sanctions*; Haggard & Noland 2017,
*Hard Target*): the target's effective cost is ``k_T (1 - leak)``, with ``leak`` driven by the
trade share and lax enforcement of third parties such as China and Russia.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from standoff.games import _tree
from standoff.games._validate import check_nonnegative, check_probability, check_range

TIES_CODES: dict[str, str] = {
    "no_threat": "-",
    "threat_acquiescence": "1/2",
    "sender_capitulation": "3",
    "imposed_acquiescence": "6/7",
    "stalemate": "9",
}


@dataclass(frozen=True)
class SanctionsResult:
    """Outcome probabilities of the threat game, by outcome and by TIES code."""

    outcomes: dict[str, float]
    ties: dict[str, float]
    p_threat: float
    p_imposition: float
    p_target_concedes: float
    strategy: dict[str, dict[str, float]]
    beliefs: dict[str, dict[str, float]]
    lam: float | None


def _target_branch(
    v_s: float, a_s: float, k_s: float, v_t: float, k_t: float, sunk: float, sfx: str, tag: str
) -> _tree.Decision:
    S, T = 0, 1
    T_ = _tree.Terminal
    impose = _tree.Decision(
        T,
        "target after imposition" + sfx,
        ("Comply", "Defy"),
        (T_("imposed_acquiescence", (v_s - k_s, -v_t - sunk * k_t)), T_("stalemate", (-k_s, -k_t))),
        tag,
    )
    sender = _tree.Decision(
        S,
        "sender after defiance",
        ("BackDown", "Impose"),
        (T_("sender_capitulation", (-a_s, 0.0)), impose),
        tag,
    )
    return _tree.Decision(
        T,
        "target facing a threat" + sfx,
        ("Comply", "Defy"),
        (T_("threat_acquiescence", (v_s, -v_t)), sender),
        tag,
    )


def _check(v_s: float, a_s: float, k_s: float, k_t: float) -> tuple[float, ...]:
    return (
        check_nonnegative("v_s", v_s),
        check_nonnegative("a_s", a_s),
        check_nonnegative("k_s", k_s),
        check_nonnegative("k_t", k_t),
    )


def threat_tree(
    v_s: float, a_s: float, k_s: float, v_t: float, k_t: float, sunk: float = 0.25
) -> _tree.Node:
    """The complete-information threat game as a tree."""
    v_s, a_s, k_s, k_t = _check(v_s, a_s, k_s, k_t)
    v_t = check_nonnegative("v_t", v_t)
    body = _target_branch(v_s, a_s, k_s, v_t, k_t, check_probability("sunk", sunk), "", "")
    return _tree.Decision(
        0, "sender", ("NoThreat", "Threaten"), (_tree.Terminal("no_threat", (0.0, 0.0)), body)
    )


def private_resolve_tree(
    v_s: float,
    a_s: float,
    k_s: float,
    v_t_resolute: float,
    v_t_pliable: float,
    k_t: float,
    prior_resolute: float,
    sunk: float = 0.25,
) -> _tree.Node:
    """Nature draws the target's type; the sender's two decisions pool both types."""
    v_s, a_s, k_s, k_t = _check(v_s, a_s, k_s, k_t)
    pr = check_probability("prior_resolute", prior_resolute)
    sunk = check_probability("sunk", sunk)
    branches = []
    for tag, v_t in (
        ("resolute", check_nonnegative("v_t_resolute", v_t_resolute)),
        ("pliable", check_nonnegative("v_t_pliable", v_t_pliable)),
    ):
        body = _target_branch(v_s, a_s, k_s, v_t, k_t, sunk, f" [{tag}]", tag)
        branches.append(
            _tree.Decision(
                0,
                "sender",
                ("NoThreat", "Threaten"),
                (_tree.Terminal("no_threat", (0.0, 0.0)), body),
                tag,
            )
        )
    return _tree.Chance((pr, 1.0 - pr), ("resolute", "pliable"), tuple(branches))


def _result(sol: _tree.Solution) -> SanctionsResult:
    outcomes = {k: float(sol.outcomes.get(k, 0.0)) for k in TIES_CODES}
    ties = {TIES_CODES[k]: v for k, v in outcomes.items()}
    return SanctionsResult(
        outcomes=outcomes,
        ties=ties,
        p_threat=1.0 - outcomes["no_threat"],
        p_imposition=outcomes["imposed_acquiescence"] + outcomes["stalemate"],
        p_target_concedes=outcomes["threat_acquiescence"] + outcomes["imposed_acquiescence"],
        strategy=sol.strategy,
        beliefs=sol.beliefs,
        lam=sol.lam,
    )


def solve_threat_game(
    v_s: float,
    a_s: float,
    k_s: float,
    v_t: float,
    k_t: float,
    lam: float | None = None,
    sunk: float = 0.25,
) -> SanctionsResult:
    """Complete information: the SPE (``lam=None``) or the agent logit QRE at ``lam``."""
    root = threat_tree(v_s, a_s, k_s, v_t, k_t, sunk)
    if lam is None:
        return _result(_tree.spe(root))
    return _result(_tree.agent_qre(root, check_range("lam", lam, 0.0, 1e6)))


def solve_private_resolve(
    v_s: float,
    a_s: float,
    k_s: float,
    v_t_resolute: float,
    v_t_pliable: float,
    k_t: float,
    prior_resolute: float,
    lam: float = 20.0,
    sunk: float = 0.25,
) -> SanctionsResult:
    """Private target resolve: agent logit QRE at ``lam`` (large ``lam`` ~ sequential
    equilibrium). ``beliefs`` holds the sender's posterior that the target is resolute after
    defiance -- the selection effect of TIES: threats that would work are complied with,
    so imposed sanctions face resolute targets."""
    root = private_resolve_tree(v_s, a_s, k_s, v_t_resolute, v_t_pliable, k_t, prior_resolute, sunk)
    return _result(_tree.agent_qre(root, check_range("lam", lam, 0.0, 1e6)))


def drezner_concession(k_t: float, k_s: float, conflict_expectation: float) -> float:
    """Target's maximum concession ``x* = max(0, (k_T - E k_S)/(1 + E))`` (Drezner 1999,
    **[project formalisation]**): falls as the conflict expectation ``E >= 0`` rises, so an
    adversary concedes little even to costly sanctions and an ally concedes more."""
    kt = check_nonnegative("k_t", k_t)
    ks = check_nonnegative("k_s", k_s)
    e = check_nonnegative("conflict_expectation", conflict_expectation)
    return max(0.0, (kt - e * ks) / (1.0 + e))


def leakage(trade_shares: Mapping[str, float], enforcement: Mapping[str, float]) -> float:
    """Share of the sanctions bite lost to busting: ``sum_k share_k (1 - enforcement_k)``.

    ``trade_shares``: each third party's share of the target's (pre-sanctions) trade, summing
    to at most 1; ``enforcement``: how strictly each enforces, in [0, 1] (1 = fully). Parties
    without an enforcement value are taken as fully enforcing. **[project formalisation]**.
    """
    total = 0.0
    for k, sh in trade_shares.items():
        sh = check_probability(f"trade_share[{k}]", sh)
        enf = check_probability(f"enforcement[{k}]", enforcement.get(k, 1.0))
        total += sh * (1.0 - enf)
    if sum(trade_shares.values()) > 1.0 + 1e-9:
        check_range("sum of trade_shares", sum(trade_shares.values()), 0.0, 1.0)
    return min(1.0, total)


def effective_cost(k_t: float, leak: float) -> float:
    """The target's effective sanctions cost ``k_T (1 - leak)`` (Early 2015)."""
    return check_nonnegative("k_t", k_t) * (1.0 - check_probability("leak", leak))


__all__ = [
    "TIES_CODES",
    "SanctionsResult",
    "drezner_concession",
    "effective_cost",
    "leakage",
    "private_resolve_tree",
    "solve_private_resolve",
    "solve_threat_game",
    "threat_tree",
]
