"""Trust, reassurance and spirals (Kydd 2000, *IO* 54(2); Kydd 2005, *Trust and Mistrust in
International Relations*).

**[project formalisation]** (faithful to Kydd's structure, not his exact model; crisis-games.md
1.5 and section 7). Stage game for player i: mutual cooperation ``CC = 1``, exploited
``CD = -c``, exploiting ``DC = t_i``, mutual defection ``DD = 0``. Type ``t_i`` is private:
``t_i < 1`` is a trustworthy security seeker (assurance-game preferences), ``t_i > 1`` an
untrustworthy, greedy type (prisoner's-dilemma preferences) that always defects. Trust
``pi`` = the belief that the other is trustworthy.

* :func:`cooperation_threshold` -- a trustworthy i cooperates iff ``P(j cooperates) >= c/(1 + c - t_i)``.
* :func:`update_trust` -- Bayes' rule after an observed action.
* :func:`reassurance` -- costly signal of size ``m``: separating iff
  ``gain_untrustworthy < m <= gain_trustworthy``; the posterior after the signal.
* :func:`simulate_spiral` -- repeated play with trembles and pressure actions; how often two
  security seekers end up in mutual defection (a "tragic" spiral).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from standoff.games._validate import (
    check_int,
    check_nonnegative,
    check_positive,
    check_probability,
    check_range,
)


def cooperation_threshold(t: float, c: float) -> float:
    """Minimum trust at which a trustworthy type cooperates: ``c / (1 + c - t)``.

    From ``pi*1 + (1-pi)(-c) >= pi*t + (1-pi)*0`` (Kydd 2005, assurance game). Check:
    ``t = 0, c = 0.5`` gives 1/3.

    Args:
        t: the player's temptation payoff ``DC``, in [0, 1) (a trustworthy type; types with
            ``t >= 1`` defect whatever they believe).
        c: the cost of being exploited (``CD = -c``), > 0.
    """
    t = check_range("t", t, 0.0, 1.0, hi_open=True)
    c = check_positive("c", c)
    return c / (1.0 + c - t)


def cooperates(trust: float, t: float, c: float) -> bool:
    """Whether type ``t`` cooperates given its trust in the other (untrustworthy: never)."""
    trust = check_probability("trust", trust)
    if check_nonnegative("t", t) >= 1.0:
        return False
    return trust >= cooperation_threshold(t, c)


def update_trust(prior: float, p_action_trustworthy: float, p_action_untrustworthy: float) -> float:
    """Posterior trust after observing an action (Bayes' rule; Kydd 2005)::

        pi' = pi s_T / (pi s_T + (1 - pi) s_U)

    ``s_T``/``s_U`` = probability that a trustworthy/untrustworthy type takes the action. Actions
    more typical of greedy types (tightened sanctions, bomber overflights, 'decapitation'
    rhetoric as read in Pyongyang) have ``s_U > s_T`` and lower trust.
    """
    pi = check_probability("prior", prior)
    st = check_probability("p_action_trustworthy", p_action_trustworthy)
    su = check_probability("p_action_untrustworthy", p_action_untrustworthy)
    den = pi * st + (1.0 - pi) * su
    if den == 0:
        return pi  # an action neither type takes carries no information
    return pi * st / den


@dataclass(frozen=True)
class Reassurance:
    """Result of a costly reassurance signal."""

    regime: str  # "separating", "pooling" (both types send) or "none" (nobody sends)
    posterior_if_sent: float
    posterior_if_not_sent: float
    p_signal: float  # prior probability that the signal is sent


def reassurance(
    prior: float, cost: float, gain_trustworthy: float, gain_untrustworthy: float
) -> Reassurance:
    """Costly signal of size ``m`` (Kydd 2000 on reassurance; Kydd 2005).

    A type sends the signal iff its gain from being trusted is at least ``m``. Separating
    equilibrium iff ``gain_untrustworthy < m <= gain_trustworthy``: then the signal reveals a
    trustworthy sender (posterior 1) and silence an untrustworthy one (posterior 0). If both
    gains are >= m, both send (pooling, nothing learnt); if neither is, nobody sends.

    Args:
        prior: the receiver's trust before the signal, in [0, 1].
        cost: the signal's cost ``m`` (suspended exercises, partial relief, a liaison office), >= 0.
        gain_trustworthy: a trustworthy sender's gain from being trusted, >= 0.
        gain_untrustworthy: an untrustworthy sender's gain from being trusted, >= 0.
    """
    pi = check_probability("prior", prior)
    m = check_nonnegative("cost", cost)
    gt = check_nonnegative("gain_trustworthy", gain_trustworthy)
    gu = check_nonnegative("gain_untrustworthy", gain_untrustworthy)
    t_sends, u_sends = gt >= m, gu >= m
    if t_sends and not u_sends:
        return Reassurance("separating", 1.0, 0.0, pi)
    if t_sends and u_sends:
        return Reassurance("pooling", pi, pi, 1.0)
    if u_sends:  # only greedy types would pay: the signal is a warning sign
        return Reassurance("separating (perverse)", 0.0, 1.0, 1.0 - pi)
    return Reassurance("none", pi, pi, 0.0)


@dataclass(frozen=True)
class Spiral:
    """Summary of a simulated trust spiral (``runs`` Monte Carlo paths of ``periods`` rounds)."""

    trust_a: np.ndarray  # mean trust of A in B per period (after the period's update)
    trust_b: np.ndarray
    p_mutual_cooperation: np.ndarray  # per period
    p_tragic_spiral: float  # both trustworthy, yet both too distrustful to cooperate at the end
    p_both_trustworthy: float


def simulate_spiral(
    *,
    prior_a: float,
    prior_b: float,
    p_trustworthy_a: float,
    p_trustworthy_b: float,
    t_a: float = 0.0,
    t_b: float = 0.0,
    t_greedy: float = 1.5,
    c: float = 0.5,
    tremble: float = 0.05,
    pressure: float = 0.0,
    pressure_ratio: float = 2.0,
    periods: int = 24,
    runs: int = 2000,
    seed: int | np.random.Generator | None = 0,
) -> Spiral:
    """Monte Carlo of Kydd's spiral with Bayesian trust updating. **[project formalisation]**.

    Each run draws the players' types (trustworthy with ``p_trustworthy_*``; trustworthy
    temptation ``t_*``, greedy ``t_greedy > 1``). Each period a trustworthy player cooperates iff
    its trust is at least :func:`cooperation_threshold`; greedy players defect; every action
    flips with probability ``tremble``. Beliefs are common knowledge, so each side knows the
    probability ``s_T`` that a trustworthy opponent cooperates this period (``1 - tremble`` if the
    opponent's trust clears its threshold, else ``tremble``) and ``s_U = tremble``; trust is
    updated by :func:`update_trust`. With probability ``pressure`` per period A also takes a
    pressure action that B reads as ``pressure_ratio`` times likelier from a greedy type
    (lowering B's trust in A) -- the security-dilemma branch of "does pressure work?".

    ``seed``: an int, a ``numpy.random.Generator`` or None; the same seed gives the same result.
    """
    pa0 = check_probability("prior_a", prior_a)
    pb0 = check_probability("prior_b", prior_b)
    qa = check_probability("p_trustworthy_a", p_trustworthy_a)
    qb = check_probability("p_trustworthy_b", p_trustworthy_b)
    thr_a = cooperation_threshold(t_a, c)
    thr_b = cooperation_threshold(t_b, c)
    check_range("t_greedy", t_greedy, 1.0, float("inf"), lo_open=True)
    eps = check_range("tremble", tremble, 0.0, 0.5, lo_open=True, hi_open=True)
    pr = check_probability("pressure", pressure)
    ratio = check_range("pressure_ratio", pressure_ratio, 1.0, 1e6)
    periods = check_int("periods", periods, 1, 1200)
    runs = check_int("runs", runs, 1, 1_000_000)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    good_a = rng.random(runs) < qa
    good_b = rng.random(runs) < qb
    trust_a = np.full(runs, pa0)  # A's trust in B
    trust_b = np.full(runs, pb0)
    out_ta = np.empty(periods)
    out_tb = np.empty(periods)
    out_cc = np.empty(periods)
    both_coop = np.zeros(runs, dtype=bool)

    def bayes(pi: np.ndarray, st: np.ndarray, su: float) -> np.ndarray:
        # vectorised update_trust
        den = pi * st + (1 - pi) * su
        return np.where(den > 0, pi * st / np.where(den > 0, den, 1.0), pi)

    for k in range(periods):
        intend_a = good_a & (trust_a >= thr_a)
        intend_b = good_b & (trust_b >= thr_b)
        coop_a = intend_a ^ (rng.random(runs) < eps)
        coop_b = intend_b ^ (rng.random(runs) < eps)
        # what a trustworthy opponent would have done, given public beliefs
        st_a = np.where(trust_a >= thr_a, 1 - eps, eps)  # P(trustworthy A cooperates)
        st_b = np.where(trust_b >= thr_b, 1 - eps, eps)
        new_ta = np.where(coop_b, bayes(trust_a, st_b, eps), bayes(trust_a, 1 - st_b, 1 - eps))
        new_tb = np.where(coop_a, bayes(trust_b, st_a, eps), bayes(trust_b, 1 - st_a, 1 - eps))
        if pr > 0:
            pressed = rng.random(runs) < pr
            # likelihoods of a pressure action: s_U = ratio * s_T (only the ratio matters)
            new_tb = np.where(pressed, bayes(new_tb, np.full(runs, 1.0), ratio), new_tb)
        trust_a, trust_b = new_ta, new_tb
        both_coop = coop_a & coop_b
        out_ta[k] = trust_a.mean()
        out_tb[k] = trust_b.mean()
        out_cc[k] = both_coop.mean()
    both_good = good_a & good_b
    tragic = both_good & ~(trust_a >= thr_a) & ~(trust_b >= thr_b)
    return Spiral(
        trust_a=out_ta,
        trust_b=out_tb,
        p_mutual_cooperation=out_cc,
        p_tragic_spiral=float(tragic.mean()),
        p_both_trustworthy=float(both_good.mean()),
    )


__all__ = [
    "Reassurance",
    "Spiral",
    "cooperates",
    "cooperation_threshold",
    "reassurance",
    "simulate_spiral",
    "update_trust",
]
