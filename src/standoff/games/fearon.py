"""Rationalist bargaining: Fearon (1995), Powell (2004, 2006), Spaniel (2019).

Issue space [0, 1]: ``x`` is A's share (e.g. 0 = full relief and a recognised arsenal for the
DPRK, 1 = everything the US asks). War gives A ``p - c_A`` and B ``1 - p - c_B``; ``p`` is A's
probability of winning, costs are shares of the stake.

* :func:`bargaining_range` -- complete information: every ``x`` in ``[p - c_A, p + c_B]`` beats
  war for both (Fearon 1995, *IO* 49(3): the bargaining range).
* :func:`risk_return` -- B's cost private, ``c_B ~ U[0, c_bar]``; A's optimal take-it-or-leave-it
  demand ``x* = p + (c_bar - c_A)/2`` and ``P(war) = (c_bar - c_A)/(2 c_bar)`` (Fearon 1995,
  private information and incentives to misrepresent; closed form re-derived in
  crisis-games.md 1.2).
* :func:`preventive_war` -- shifting power: war iff ``delta (p - p') > (1 - delta)(1 - p + c_A)``
  (Powell 2006, *IO* 60(1); **[project formalisation]** of the condition).
* :func:`buyoff` and :func:`verification_threshold` -- bargaining over the bomb: the smallest
  per-period transfer that makes not building optimal, ``x* = max(p - c_P, p_N - c_P - (1-delta) k)``,
  and the detection probability a verification regime needs to keep a secret programme from
  paying (Spaniel 2019, *Bargaining over the Bomb*; **[project formalisation]**, the
  simplest re-derived core, not Spaniel's full model).
"""

from __future__ import annotations

from dataclasses import dataclass

from standoff.games._validate import check_nonnegative, check_probability, check_range


@dataclass(frozen=True)
class BargainingRange:
    """The deals both sides prefer to war: ``low <= x <= high`` (A's share)."""

    low: float
    high: float
    war_value_a: float
    war_value_b: float

    @property
    def width(self) -> float:
        return self.high - self.low


def bargaining_range(p: float, cost_a: float, cost_b: float) -> BargainingRange:
    """Fearon (1995), the bargaining range: ``p - c_A <= x <= p + c_B``, width ``c_A + c_B`` (> 0 whenever war
    is costly, so with risk neutrality and a divisible issue a peaceful deal always exists).
    The range is intersected with the issue space [0, 1].

    Args:
        p: A's probability of winning a war, in [0, 1].
        cost_a: A's cost of war as a share of the stake, >= 0.
        cost_b: B's cost of war as a share of the stake, >= 0.
    """
    p = check_probability("p", p)
    ca = check_nonnegative("cost_a", cost_a)
    cb = check_nonnegative("cost_b", cost_b)
    return BargainingRange(
        low=max(0.0, p - ca), high=min(1.0, p + cb), war_value_a=p - ca, war_value_b=1 - p - cb
    )


@dataclass(frozen=True)
class RiskReturn:
    """A's optimal demand under private information about B's cost, and what it risks."""

    demand: float
    p_war: float
    expected_utility_a: float
    p: float
    cost_a: float
    cost_b_max: float


def risk_return(p: float, cost_a: float, cost_b_max: float) -> RiskReturn:
    """Risk-return trade-off (Fearon 1995, private information): B's cost ``c_B ~ U[0, c_bar]`` is private.

    B accepts a demand ``x`` iff ``x <= p + c_B``, so ``P(war | x) = (x - p)/c_bar`` on
    ``[p, p + c_bar]``. A maximises ``(1 - (x-p)/c_bar) x + ((x-p)/c_bar)(p - c_A)``::

        x* = p + (c_bar - c_A)/2,   P(war) = (c_bar - c_A) / (2 c_bar)     if c_A < c_bar
        x* = p,                     P(war) = 0                              otherwise

    The demand is capped at 1 (the whole stake), where ``P(war) = (1 - p)/c_bar``.
    Check: ``p=0.6, c_A=0.1, c_bar=0.3`` gives ``x* = 0.7`` and ``P(war) = 1/3``.

    Args:
        p: A's probability of winning, in [0, 1].
        cost_a: A's (known) cost of war, >= 0.
        cost_b_max: upper bound ``c_bar`` of B's private cost, > 0.
    """
    p = check_probability("p", p)
    ca = check_nonnegative("cost_a", cost_a)
    cbar = check_range("cost_b_max", cost_b_max, 0.0, float("inf"), lo_open=True)
    x = p + max(0.0, cbar - ca) / 2.0
    x = min(x, 1.0)
    q = (x - p) / cbar
    eu = (1.0 - q) * x + q * (p - ca)
    return RiskReturn(demand=x, p_war=q, expected_utility_a=eu, p=p, cost_a=ca, cost_b_max=cbar)


@dataclass(frozen=True)
class PreventiveWar:
    """Commitment problem under shifting power."""

    war: bool
    margin: float  # delta (p - p') - (1 - delta)(1 - p + c_A); war iff > 0
    value_of_war: float  # (p - c_A) / (1 - delta)
    best_offer_value: float  # 1 + delta (p' - c_A) / (1 - delta)
    max_safe_shift: float  # the largest p - p' that still allows a peaceful deal


def preventive_war(p_now: float, p_future: float, cost_a: float, delta: float) -> PreventiveWar:
    """Preventive war from a commitment problem (Powell 2006, *IO* 60(1), section 2).

    Per-period pie 1; A's war share is ``p`` today and ``p' < p`` for ever from tomorrow (the
    DPRK completes a survivable force -- or, the mirror case, disarms and its bargaining power
    collapses). War is absorbing: ``(p - c_A)/(1 - delta)``. The best B can offer is the whole
    pie today and ``p' - c_A`` afterwards, so war happens iff::

        (p - c_A)/(1-delta) > 1 + delta (p' - c_A)/(1-delta)
        <=>  delta (p - p') > (1 - delta)(1 - p + c_A)

    **[project formalisation]** (derived; crisis-games.md 1.2). ``max_safe_shift`` is the largest
    one-step shift ``p - p'`` that keeps peace: phased steps smaller than this are self-enforcing.
    """
    p = check_probability("p_now", p_now)
    pf = check_probability("p_future", p_future)
    ca = check_nonnegative("cost_a", cost_a)
    d = check_range("delta", delta, 0.0, 1.0, hi_open=True)
    margin = d * (p - pf) - (1.0 - d) * (1.0 - p + ca)
    safe = (1.0 - d) * (1.0 - p + ca) / d if d > 0 else float("inf")
    return PreventiveWar(
        war=margin > 0,
        margin=margin,
        value_of_war=(p - ca) / (1.0 - d),
        best_offer_value=1.0 + d * (pf - ca) / (1.0 - d),
        max_safe_shift=min(1.0, safe),
    )


@dataclass(frozen=True)
class Buyoff:
    """Non-proliferation bargain: the per-period transfer that makes not building optimal."""

    transfer: float
    nuclear_value: float  # P's per-period value as a nuclear power, p_N - c_P
    opponent_saving: float  # per period, what O saves by paying instead of facing a nuclear P


def buyoff(p: float, p_nuclear: float, cost_p: float, build_cost: float, delta: float) -> Buyoff:
    """Spaniel (2019), simplest core: P refrains iff ``x/(1-delta) >= -k + (p_N - c_P)/(1-delta)``::

        x* = max(p - c_P, p_N - c_P - (1 - delta) k)

    O pays ``x*`` rather than face a nuclear P whenever ``k > 0``: under complete information a
    non-proliferation bargain always exists. **[project formalisation]** (re-derived core).

    Args:
        p: P's per-period share (war probability) without weapons, in [0, 1].
        p_nuclear: with weapons, in [p, 1].
        cost_p: P's cost of war, >= 0.
        build_cost: one-off cost ``k`` of building, >= 0.
        delta: discount factor in [0, 1).
    """
    p = check_probability("p", p)
    pn = check_range("p_nuclear", p_nuclear, p, 1.0)
    cp = check_nonnegative("cost_p", cost_p)
    k = check_nonnegative("build_cost", build_cost)
    d = check_range("delta", delta, 0.0, 1.0, hi_open=True)
    x = max(p - cp, pn - cp - (1.0 - d) * k)
    return Buyoff(transfer=x, nuclear_value=pn - cp, opponent_saving=(pn - cp) - x)


def verification_threshold(
    p: float,
    p_nuclear: float,
    cost_p: float,
    build_cost: float,
    delta: float,
    *,
    transfer: float | None = None,
    strike_probability: float = 1.0,
    strike_cost: float | None = None,
) -> float:
    """Minimum detection probability ``m*`` that keeps a secret programme from paying.

    **[project formalisation]** of Spaniel (2019) on unobservable investment, written as
    the verbal condition of crisis-games.md 1.3: the deal holds iff the expected penalty from
    detection exceeds the gain from cheating, ``m * (x/(1-delta) + s * D) >= G``, with

    * ``G = delta (p_N - p)/(1-delta) - k``: the discounted gain in bargaining leverage from a
      secret weapon (from next period on), net of the building cost;
    * ``x/(1-delta)``: the transfer stream lost on detection (``x`` defaults to :func:`buyoff`'s);
    * ``s * D``: a preventive strike with probability ``s`` costing P ``D`` (default ``c_P``).

    Returns ``m* = G / (x/(1-delta) + s D)`` clipped to [0, 1] (0: cheating never pays;
    1: no verification regime suffices).
    """
    b = buyoff(p, p_nuclear, cost_p, build_cost, delta)
    x = b.transfer if transfer is None else check_range("transfer", transfer, 0.0, 1.0)
    s = check_probability("strike_probability", strike_probability)
    dmg = cost_p if strike_cost is None else check_nonnegative("strike_cost", strike_cost)
    gain = delta * (p_nuclear - p) / (1.0 - delta) - build_cost
    if gain <= 0:
        return 0.0
    penalty = x / (1.0 - delta) + s * dmg
    if penalty <= 0:
        return 1.0
    return float(min(1.0, gain / penalty))


__all__ = [
    "BargainingRange",
    "Buyoff",
    "PreventiveWar",
    "RiskReturn",
    "bargaining_range",
    "buyoff",
    "preventive_war",
    "risk_return",
    "verification_threshold",
]
