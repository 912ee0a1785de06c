"""KTAB's Spatial Model of Politics (SMP), re-implemented and vectorised.

The SMP of KAPSARC's Toolkit for Behavioral Analysis (KTAB; Wise, Lester, Efird et al., KAPSARC
2015-2017, C++ under the MIT licence; public fork ``lsyaseen/KTAB``, ``examples/smp``) is a
multi-actor, multi-dimensional bargaining model: actors challenge one another, form bargains
whose positions are interpolated dimension by dimension, and a probabilistic Condorcet
election among the bargains on offer decides where each actor moves. This module is an
independent numpy implementation written from reading that source; it reproduces the shipped
reference runs (``examples/smp/doc/20170530_ref-*.txt``) to their printed precision (golden
tests in ``tests/bargaining/test_smp_golden.py``).

**Notation** (positions and saliences on KTAB's internal unit scale: every dimension rescaled
to [0, 1], saliences on [0, 1] with ``sum_k s_ik <= 1``; ``c_i`` capability,
``s_i = sum_k s_ik`` total salience):

* distance (``bvDiff``): ``d_ij = sqrt(sum_k ((x_ik - x_jk) s_ik)^2 / sum_k s_ik^2)``, in [0, 1];
* utility (``bsUtil``): ``u(d, R) = (1 - d)(1 + d R)`` for risk attitude ``R`` in [-1/2, 1]
  (``R > 0`` risk averse);
* vote of actor ``k`` with weight ``w`` between options ``i``, ``j`` (``Model::vote``,
  proportional rule): ``v = w (u_ki - u_kj)``; coalition strength
  ``C_ij = 1e-8 + sum_k max(v_k(i, j), 0)``; victory probability (linear)
  ``P_ij = C_ij / (C_ij + C_ji)``; probabilistic Condorcet election (conditional):
  ``p_i proportional to prod_j P_ij`` (with ``P_ii = 1/2``);
* risk attitudes (``bigRfromProb``, mid range): from the risk-neutral election with weights
  ``c``, ``R_i = (3 p_i - (p_max + 2 p_min)) / (2 (p_max - p_min))``; actor ``h`` estimates
  ``i``'s as ``(2 R_h + R_i) / 3`` (``OneThird``);
* challenge ``i -> j`` as estimated by ``h`` for actor ``k`` (``probEduChlg``): principals'
  contributions ``w = s c`` plus each third party's vote in the "little conflict" (semi
  commitment), giving ``P_h(i > j)``; expected gain
  ``(1 - s_j) 2 u_ki + s_j (P 2 u_ki + (1 - P) 2 u_kj) - (u_ki + u_kj)``; each actor's target
  is the ``j`` with the largest gain above 1e-5;
* bargain (``interpBrgnSnPm``, S2P2), per dimension with ``w_i = s_ik^2 P^2``,
  ``w_j = s_jk^2 (1 - P)^2``: ``b_i = ((w_i + 1e-6) x_ik + w_j x_jk) / (w_i + 1e-6 + w_j)``,
  ``b_j = (w_i x_ik + (1e-6 + w_j) x_jk) / (...)``, each rounded half up to 4 decimals;
* each actor's options are its status quo and every bargain it is party to; a Condorcet
  election (weights ``c``) among them, each option valued as the mean utility of the state
  it leads to, picks the most probable (deterministic) or draws one (stochastic);
* stopping: after at least 2 turns, stop when the turn's movement
  ``sum_i ||x_i(t) - x_i(t-1)||`` is below 2% of the first turn's (plus 1e-4), or after 100.

Point forecast: the position with the largest winning probability in the final state
(KTAB's ``pDist``: the Condorcet election among the distinct positions, each actor valuing
them by its own utility), with the probability-weighted mean alongside.

**Deliberate differences from KTAB** (each also in ``docs/bargaining.md``):

1. Bargains are queued in initiator order; KTAB 2017 queues them in thread completion order.
   Only ties between exactly equal election probabilities could differ; none occur in the
   reference runs.
2. Stochastic transitions draw from numpy's seeded generator, not KTAB's PRNG: same seed, same
   run here, but not KTAB's draws.
3. The bargaining models ``InitRcvrInterp`` and ``PWCompInterp`` are not implemented (KTAB's
   default ``InitOnlyInterp`` is); KTAB computes the receiver's view with the expected gain in
   place of the probability (``get<1>`` of ``probEduChlg``), which would need reproducing bug
   for bug.
4. When every position has the same winning probability, KTAB divides 0 by 0 in its risk
   attitudes; here everyone is risk neutral.
5. Nothing is written to SQLite; the side computation KTAB runs for its database on every turn
   (every actor's estimate of every challenge: O(n^4)) is left out. The dynamics are O(n^3)
   per turn, computed in blocks of bounded memory.

Sums are accumulated in KTAB's order (sequentially, not pairwise), so results agree with the
C++ to the last few bits; a turn at 80 actors x 3 dimensions takes a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from standoff.bargaining.spatial import SpatialProblem
from standoff.errors import UsageError

__all__ = [
    "MAX_SMP_ACTORS",
    "MAX_SMP_TURNS",
    "MAX_SMP_WORK",
    "SMPOptions",
    "SMPResult",
    "bs_util",
    "check_size",
    "condorcet",
    "run_smp",
    "weighted_distance",
]

#: Bounds checked before an SMP run (**project choices**): actors, turns, and
#: actors^3 x turns (one turn is O(n^3) in time; its memory is bounded by blocks).
MAX_SMP_ACTORS = 500
MAX_SMP_TURNS = 1000
MAX_SMP_WORK = 2e10
#: Cells per block of the challenge computation (bounded memory; results do not depend on it).
BLOCK_CELLS = 1 << 18

VOTING_RULES = ("binary", "prop-bin", "proportional", "prop-cubic", "cubic", "asym-prospect")
VP_MODELS = ("linear", "square", "quartic", "octic", "binary")
PCE_MODELS = ("conditional", "markov-incentive", "markov-uniform")
BIG_R_RANGES = ("min", "mid", "max")
BIG_R_ADJUST = ("full", "two-thirds", "half", "one-third", "none")
THIRD_PARTY = ("full", "semi", "none")
INTERPOLATIONS = ("s1p1", "s2p2", "s2pmax")
TRANSITIONS = ("deterministic", "stochastic")

_MIN_COALITION = 1e-8  # Model::coalitions
_MIN_CHALLENGE = 1e-10  # probEduChlg's minCltn
_MIN_GAIN = 1e-5  # bestChallenge's minSigEDU
_MIN_W = 1e-6  # interpBrgnSnPm's minW
_POS_TOL = 1e-3  # SMPModel::posTol (unit scale)


@dataclass(frozen=True)
class SMPOptions:
    """Model parameters; the defaults are KTAB's (``smp.h``, ``SMPModel``)."""

    voting_rule: str = "proportional"
    victory: str = "linear"
    pce: str = "conditional"
    transitions: str = "deterministic"
    big_r_range: str = "mid"
    big_r_adjust: str = "one-third"
    third_party: str = "semi"
    interpolation: str = "s2p2"
    min_turns: int = 2
    max_turns: int = 100
    min_delta_ratio: float = 0.02
    min_sig_delta: float = 1e-4

    def __post_init__(self) -> None:
        for name, allowed in (
            ("voting_rule", VOTING_RULES),
            ("victory", VP_MODELS),
            ("pce", PCE_MODELS),
            ("transitions", TRANSITIONS),
            ("big_r_range", BIG_R_RANGES),
            ("big_r_adjust", BIG_R_ADJUST),
            ("third_party", THIRD_PARTY),
            ("interpolation", INTERPOLATIONS),
        ):
            if getattr(self, name) not in allowed:
                raise UsageError(
                    f"smp {name}: expected one of {', '.join(allowed)}, got {getattr(self, name)!r}"
                )
        if not 1 <= int(self.max_turns) <= MAX_SMP_TURNS:
            raise UsageError(
                f"--rounds: expected SMP turns in [1, {MAX_SMP_TURNS}], got {self.max_turns}"
            )
        if not 0 <= int(self.min_turns) <= int(self.max_turns):
            raise UsageError("smp min_turns: expected a value in [0, max_turns]")
        if not (0 < self.min_delta_ratio < 1 and 0 < self.min_sig_delta < 1):
            raise UsageError(
                "smp stopping rule: expected min_delta_ratio and min_sig_delta in (0, 1)"
            )


# --------------------------------------------------------------------------- primitives
def bs_util(d, r):
    """``bsUtil``: utility of a normalised distance ``d`` for risk attitude ``r``."""
    d = np.asarray(d, dtype=float)
    return np.where(d <= 1, (1 - d) * (1 + d * r), (1 - d) * (1 + r))


def weighted_distance(a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``bvDiff``: ``D[i, j]`` = salience-weighted distance from ``a[i]`` to ``b[j]`` using
    ``s[i]`` (rows of ``a`` and ``s`` are actors, of ``b`` points; unit scale)."""
    ds2 = np.zeros((a.shape[0], b.shape[0]))
    ss2 = np.zeros((a.shape[0], 1))
    for k in range(a.shape[1]):  # KTAB's order of summation over dimensions
        ds = (a[:, k, None] - b[None, :, k]) * s[:, k, None]
        ds2 = ds2 + ds * ds
        ss2 = ss2 + s[:, k, None] * s[:, k, None]
    return np.sqrt(ds2 / ss2)


def _vote(rule: str, w, du):
    """``Model::vote``: the vote of weight ``w`` for an option worth ``du`` more."""
    if rule == "proportional":
        return w * du
    if rule == "binary":
        return w * np.clip(du / 1e-8, -1.0, 1.0)
    if rule == "prop-bin":
        return w * ((1 - 0.2) * du + 0.2 * np.clip(du / 1e-8, -1.0, 1.0))
    if rule == "prop-cubic":
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "cubic":
        return w * (du * du * du)
    # asymmetric prospects: losses count fully, gains two thirds
    return np.where(du < 0, w * du, np.where(du > 0, (2.0 * w * du) / 3.0, 0.0 * du))


def _sum0(start, terms: np.ndarray) -> np.ndarray:
    """``start + t[0] + t[1] + ...`` summed in that order over axis 0 (KTAB's loop order).

    numpy reduces axis 0 of a C-contiguous array row by row, i.e. sequentially; ``terms`` is
    a temporary of the caller and is overwritten."""
    terms[0] = start + terms[0]
    return terms.sum(axis=0)


def _coalitions(w: np.ndarray, u: np.ndarray, rule: str) -> np.ndarray:
    """``Model::coalitions``: ``C[i, j] = 1e-8 + sum_k max(vote_k(u[k, i] - u[k, j]), 0)``,
    summed over the voters ``k`` in order, in blocks of rows ``i`` (bounded memory)."""
    nv, m = u.shape
    c = np.empty((m, m))
    rows = max(1, BLOCK_CELLS // max(1, nv * m))
    for lo in range(0, m, rows):
        hi = min(m, lo + rows)
        v = u[:, lo:hi, None] - u[:, None, :]  # (voter, i, j)
        if rule == "proportional":
            v *= w[:, None, None]
        else:
            v = _vote(rule, w[:, None, None], v)
        np.maximum(v, 0.0, out=v)
        c[lo:hi] = _sum0(_MIN_COALITION, v)
    np.fill_diagonal(c, _MIN_COALITION)
    return c


def _victory(model: str, c: np.ndarray) -> np.ndarray:
    """``Model::vProb``: ``P[i, j]`` = probability that option ``i`` beats ``j``."""
    a, b = c, c.T
    if model == "linear":
        x1, x2 = a, b
    elif model == "square":
        x1, x2 = a * a, b * b
    elif model == "quartic":
        x1, x2 = (a * a) * (a * a), (b * b) * (b * b)
    elif model == "octic":
        x1, x2 = ((a * a) * (a * a)) ** 2, ((b * b) * (b * b)) ** 2
    else:  # binary: a 10% advantage is a sure win, linear in between
        t = 1.10
        r12 = a / (a + b)
        p12 = (r12 * (t + 1.0) - 1.0) / (t - 1.0)
        x1 = np.where(a >= t * b, 1.0, np.where(b >= t * a, 1e-6, p12))
        x2 = np.where(a >= t * b, 1e-6, np.where(b >= t * a, 1.0, 1 - p12))
    p1 = x1 / (x1 + x2)
    p2 = x2 / (x1 + x2)
    m = c.shape[0]
    lower = np.tri(m, m, -1, dtype=bool)  # KTAB fills (i, j), i > j, and mirrors it
    p = np.where(lower, p1, p2.T)
    np.fill_diagonal(p, 0.5)
    return p


def _pce(model: str, victory_model: str, c: np.ndarray, pv: np.ndarray) -> np.ndarray:
    """Probabilistic Condorcet election: the probability that each option wins."""
    m = pv.shape[0]
    if model == "conditional":  # Model::condPCE
        p = np.multiply.accumulate(pv, axis=1)[:, -1]
        return p / np.cumsum(p)[-1]
    if model == "markov-uniform":  # Model::markovUniformPCE
        p = np.full(m, 1.0 / m)
        for _ in range(1000):
            q = (pv * (p[:, None] + p[None, :])).sum(axis=1) / m
            change = np.abs(q - p).max()
            p = (p + q) / 2.0
            if change <= 1e-6:
                return p
        raise UsageError("smp pce markov-uniform: did not converge in 1000 iterations")
    # markov-incentive (Model::markovIncentivePCE): challenges in proportion to incentives
    inc = c * pv
    inc[np.diag_indices(m)] += 1e-10
    chlg = inc / inc.sum(axis=0, keepdims=True)  # chlg[i, j] = P[i challenges j]
    p = np.full(m, 1.0 / m)
    for _ in range(1000):
        ct = p[:, None] * chlg.T
        q = (pv * (ct + ct.T)).sum(axis=1)
        change = np.abs(q - p).max()
        p = (p + q) / 2.0
        if change <= 1e-8:
            return p
    raise UsageError("smp pce markov-incentive: did not converge in 1000 iterations")


def condorcet(w, u, *, rule="proportional", victory="linear", pce="conditional") -> np.ndarray:
    """``Model::scalarPCE``: probability that each option (column of ``u``) wins the election
    among voters (rows of ``u``) with weights ``w``."""
    u = np.asarray(u, dtype=float)
    c = _coalitions(np.asarray(w, dtype=float), u, rule)
    return _pce(pce, victory, c, _victory(victory, c))


def _elections(w: np.ndarray, values: np.ndarray, options: list[np.ndarray], o: SMPOptions):
    """Many :func:`condorcet` elections at once: actor ``k`` chooses among the columns
    ``options[k]`` of ``values`` (voters x columns). Elections with the same number of options
    are batched; every sum keeps the single election's order, so the bits are the same."""
    out: list[np.ndarray | None] = [None] * len(options)
    sizes = np.array([len(opt) for opt in options])
    for m in np.unique(sizes):
        ks = np.flatnonzero(sizes == m)
        if m == 1:
            for k in ks:
                out[k] = np.array([1.0])
            continue
        if o.pce != "conditional":  # Markov elections iterate: one at a time
            for k in ks:
                out[k] = condorcet(
                    w, values[:, options[k]], rule=o.voting_rule, victory=o.victory, pce=o.pce
                )
            continue
        nv = values.shape[0]
        per = max(1, BLOCK_CELLS // (nv * m * m))
        for lo in range(0, ks.size, per):
            kk = ks[lo : lo + per]
            u = values[:, np.stack([options[k] for k in kk])]  # (voter, g, m)
            v = _vote(o.voting_rule, w[:, None, None, None], u[:, :, :, None] - u[:, :, None, :])
            c = _sum0(_MIN_COALITION, np.maximum(v, 0.0))  # (g, m, m)
            idx = np.arange(m)
            c[:, idx, idx] = _MIN_COALITION
            pv = np.stack([_victory(o.victory, cg) for cg in c])
            p = np.multiply.accumulate(pv, axis=2)[:, :, -1]
            p = p / np.cumsum(p, axis=1)[:, -1:]
            for g, k in enumerate(kk):
                out[k] = p[g]
    return out


def _big_r(p: np.ndarray, rng: str) -> np.ndarray:
    """``Model::bigRfromProb``: risk attitudes from the risk-neutral winning probabilities."""
    pmin, pmax = float(p.min()), float(p.max())
    if not pmax > pmin:
        return np.zeros_like(p)  # deliberate difference 4: KTAB divides 0 by 0
    if rng == "min":
        return (p - pmin) / (pmax - pmin)
    if rng == "mid":
        return (3 * p - (pmax + 2 * pmin)) / (2 * (pmax - pmin))
    return (2 * p - (pmax + pmin)) / (pmax - pmin)


def _est_r(rh, ri, adj: str):
    """``Model::estNRA``: h's estimate of i's risk attitude."""
    if adj == "full":
        return ri + 0.0 * rh
    if adj == "two-thirds":
        return (rh + (2.0 * ri)) / 3.0
    if adj == "half":
        return (rh + ri) / 2
    if adj == "one-third":
        return ((2.0 * rh) + ri) / 3.0
    return rh + 0.0 * ri


def _round4(x):
    """``round4`` of ``interpBrgnSnPm``: half up to 4 decimals (non-negative inputs)."""
    return np.floor(0.5 + x * 10000.0) / 10000.0


# --------------------------------------------------------------------------- one state
@dataclass
class _State:
    x: np.ndarray  # (n, d) unit positions
    dist: np.ndarray  # (n, n) d_ij, i's ideal (= position) to j's position
    risk: np.ndarray  # (n,) inferred risk attitudes
    p_rn: np.ndarray  # (n,) risk-neutral winning probabilities (of every actor's position)


def _assess(x, s, c, o: SMPOptions) -> _State:
    """``setAllAUtil``: distances, the risk-neutral election and the inferred risk attitudes."""
    dist = weighted_distance(x, x, s)
    u0 = bs_util(dist, 0.0)
    c_ij = _coalitions(c, u0, o.voting_rule)
    p = _pce(o.pce, o.victory, c_ij, _victory(o.victory, c_ij))
    return _State(x, dist, _big_r(p, o.big_r_range), p)


def _bs(d, r):
    """``bsUtil`` for ``d <= 1`` (always so on the unit cube; see :func:`bs_util`)."""
    return (1 - d) * (1 + d * r)


def _tp_terms(o: SMPOptions, uni, unj, unn):
    """The four state utilities of a third party's little conflict (``thirdPartyVoteSU``)."""
    if o.third_party == "full":
        return (uni + uni) + uni, (unj + unj) + unj, (uni + uni) + uni, (unj + unj) + unj
    if o.third_party == "semi":
        return (uni + uni) + unn, (unj + unj) + unj, (uni + uni) + uni, (unj + unj) + unn
    return (uni + uni) + unn, (unj + unj) + unn, (uni + uni) + unn, (unj + unj) + unn


def _challenges(st: _State, cap, stot, o: SMPOptions, h, k, i, j):
    """``probEduChlg`` for arrays of (h, k, i, j): h's estimate of the probability that i
    beats j, and of the expected gain to k of i's challenge to j vs the status quo.

    Vectorised over the tuples (columns) and the third parties (rows), whose contributions
    are summed in KTAB's order; blocks of tuples bound the memory."""
    h, k, i, j = (np.asarray(v, dtype=int) for v in (h, k, i, j))
    n = st.dist.shape[0]
    step = max(1, BLOCK_CELLS // n)
    if h.size > step:
        parts = [
            _challenges(
                st, cap, stot, o, h[a : a + step], k[a : a + step], i[a : a + step], j[a : a + step]
            )
            for a in range(0, h.size, step)
        ]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    dist, r, vr, adj = st.dist, st.risk, o.voting_rule, o.big_r_adjust
    rh = r[h]

    def u(a, b):  # h's estimate of a's utility of b's position
        return _bs(dist[a, b], _est_r(rh, r[a], adj))

    uii, uij, uji, ujj = u(i, i), u(i, j), u(j, i), u(j, j)
    ci = _vote(vr, stot[i] * cap[i], uii - uij)
    cj = _vote(vr, stot[j] * cap[j], uji - ujj)
    chij0 = (_MIN_CHALLENGE + np.maximum(ci, 0.0)) + np.maximum(cj, 0.0)
    chji0 = (_MIN_CHALLENGE - np.minimum(ci, 0.0)) - np.minimum(cj, 0.0)
    # third parties m: rows
    e = _est_r(rh[None, :], r[:, None], adj)
    uni, unj, unn = _bs(dist[:, i], e), _bs(dist[:, j], e), _bs(0.0, e)
    wn = (stot * cap)[:, None]
    v0 = _vote(vr, wn, uni - unj)
    cni = chij0[None, :] + np.maximum(v0, 0.0)
    cnj = chji0[None, :] - np.minimum(v0, 0.0)
    pin = cni / (cni + cnj)
    pjn = 1.0 - pin
    ta, tb, tc, td = _tp_terms(o, uni, unj, unn)
    vk = _vote(vr, wn, ((pin * ta) + (pjn * tb)) - ((pin * tc) + (pjn * td)))
    m = np.arange(n)[:, None]
    vk = np.where((i[None, :] == m) | (j[None, :] == m), 0.0, vk)
    chij = _sum0(chij0, np.maximum(vk, 0.0))
    chji = _sum0(chji0, -np.minimum(vk, 0.0))
    phij = chij / (chij + chji)
    phji = chji / (chij + chji)
    uki, ukj = u(k, i), u(k, j)
    eu_vict = uki + uki
    eu_chlg = (1 - stot[j]) * eu_vict + stot[j] * (phij * eu_vict + phji * (ukj + ukj))
    return phij, eu_chlg - (uki + ukj)


def _best_targets(st: _State, cap, stot, o: SMPOptions, block_cells: int = BLOCK_CELLS):
    """``bestChallengeUtils`` + ``bestChallenge`` for every actor: its target (-1: none),
    its estimate of P(it wins) and its expected gain.

    The same arithmetic as :func:`_challenges` with h = k = i (a test checks that both give
    the same bits), arranged as small (initiator, target) slabs, one per third party, that
    stay in the processor's cache; the factors that depend only on (i, m) are computed once
    and the slabs are updated in place."""
    dist, r, vr, adj = st.dist, st.risk, o.voting_rule, o.big_r_adjust
    n = dist.shape[0]
    est = _est_r(r[:, None], r[None, :], adj)  # est[h, a]: h's estimate of a's risk attitude
    om = 1 - dist
    wn = stot * cap
    prop = vr == "proportional"
    semi = o.third_party == "semi"
    target = np.full(n, -1)
    prob = np.zeros(n)
    gain = np.full(n, -1.0)
    rows = max(1, block_cells // n)
    for lo in range(0, n, rows):
        ii = np.arange(lo, min(n, lo + rows))
        b = ii.size
        rows_i = np.arange(b)
        e_ii = est[ii, ii][:, None]  # est[i, i]
        uii = _bs(0.0, e_ii)
        uij = _bs(dist[ii], e_ii)
        uji = _bs(dist[:, ii].T, est[ii])  # (b, n): _bs(dist[j, i], est[i, j])
        ujj = _bs(0.0, est[ii])
        ci = _vote(vr, (stot[ii] * cap[ii])[:, None], uii - uij)
        cj = _vote(vr, (stot * cap)[None, :], uji - ujj)
        chij0 = (_MIN_CHALLENGE + np.maximum(ci, 0.0)) + np.maximum(cj, 0.0)
        chji0 = (_MIN_CHALLENGE - np.minimum(ci, 0.0)) - np.minimum(cj, 0.0)
        chij, chji = chij0.copy(), chji0.copy()
        unj = np.empty((b, n))
        t1 = np.empty((b, n))
        t2 = np.empty((b, n))
        pin = np.empty((b, n))
        for m in range(n):
            e = est[ii, m][:, None]  # (b, 1)
            uni = _bs(dist[m, ii][:, None], e)
            unn = _bs(0.0, e)
            np.multiply(dist[m][None, :], e, out=unj)  # unj = (1 - d) (1 + d e), d = d[m, j]
            unj += 1.0
            unj *= om[m][None, :]
            if prop:
                np.subtract(uni, unj, out=t1)
                t1 *= wn[m]
                v0 = t1
            else:
                v0 = _vote(vr, wn[m], uni - unj)
            np.maximum(v0, 0.0, out=pin)
            pin += chij0  # cni
            np.minimum(v0, 0.0, out=t2)
            np.subtract(chji0, t2, out=t2)  # cnj
            t2 += pin
            np.divide(pin, t2, out=pin)  # pin = cni / (cni + cnj)
            pjn = 1.0 - pin
            if semi:
                uu = unj + unj
                ta, tc = (uni + uni) + unn, (uni + uni) + uni
                tb = uu + unj
                td = uu + unn
            else:
                ta, tb, tc, td = _tp_terms(o, uni, unj, unn)
            x1 = pin * ta
            tb *= pjn
            x1 += tb  # (pin ta) + (pjn tb)
            y1 = pin * tc
            td *= pjn
            y1 += td  # (pin tc) + (pjn td)
            x1 -= y1
            if prop:
                x1 *= wn[m]
                vk = x1
            else:
                vk = _vote(vr, wn[m], x1)
            vk[:, m] = 0.0  # m is the target
            vk[ii == m, :] = 0.0  # m is the initiator
            np.maximum(vk, 0.0, out=t1)
            chij += t1
            np.minimum(vk, 0.0, out=t1)
            chji -= t1
        phij = chij / (chij + chji)
        phji = chji / (chij + chji)
        eu_vict = uii + uii
        eu_chlg = (1 - stot)[None, :] * eu_vict + stot[None, :] * (
            phij * eu_vict + phji * (uij + uij)
        )
        g = eu_chlg - (uii + uij)
        g[rows_i, ii] = -np.inf
        best = np.argmax(g, axis=1)  # the first of equal gains, as KTAB's strict '<'
        bg = g[rows_i, best]
        ok = bg > _MIN_GAIN
        target[ii[ok]] = best[ok]
        prob[ii[ok]] = phij[rows_i, best][ok]
        gain[ii[ok]] = bg[ok]
    return target, prob, gain


def _interpolate(xi, si, pi, xj, sj, pj, how: str):
    """``interpBrgnSnPm`` / ``interpBrgnS2PMax``: the bargain's positions for i and j."""
    if how == "s2pmax":
        di = np.maximum(pj - pi, 0.0)[:, None]
        dj = np.maximum(pi - pj, 0.0)[:, None]
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + _MIN_W + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + _MIN_W + ((1 - dj) * sj2))
        return xi + dik * (xj - xi), xj + djk * (xi - xj)
    e = 1 if how == "s1p1" else 2
    wik = (si**e) * (pi[:, None] ** e)
    wjk = (sj**e) * (pj[:, None] ** e)
    den = (wik + _MIN_W) + wjk
    bi = _round4(((wik + _MIN_W) * xi + wjk * xj) / den)
    bj = _round4((wik * xi + (_MIN_W + wjk) * xj) / den)
    return bi, bj


def _own_util(st: _State, o: SMPOptions) -> np.ndarray:
    """``aUtil[a](a, n)``: each actor's own utility of every position."""
    r = st.risk
    return bs_util(st.dist, _est_r(r, r, o.big_r_adjust)[:, None])


def _win_probs(st: _State, c, o: SMPOptions):
    """``pDist(-1)`` + ``posProb``: winning probability of each actor's position.

    The election is among the distinct positions (closer than 1e-3 on the unit scale count as
    one, the first actor's standing for them), each actor valuing them by its own utility."""
    x = st.x
    n = x.shape[0]
    sq = np.zeros((n, n))
    for k in range(x.shape[1]):
        diff = x[:, k, None] - x[None, :, k]
        sq = sq + diff * diff
    near = np.sqrt(sq) < _POS_TOL
    keep = np.zeros(n, dtype=bool)
    for a in range(n):
        keep[a] = not (near[a] & keep).any()
    uniq = np.flatnonzero(keep)
    p = condorcet(c, _own_util(st, o)[:, uniq], rule="proportional", victory=o.victory, pce=o.pce)
    hit = near[:, uniq]
    last = uniq.size - 1 - np.argmax(hit[:, ::-1], axis=1)  # KTAB keeps the last match
    return p[last], uniq, p


# --------------------------------------------------------------------------- results
@dataclass
class SMPResult:
    """An SMP run: positions per turn (round 0 = input) and what happened in each turn.

    Attributes:
        problem: the input.
        positions: ``(T + 1, n, d)`` positions on the dimensions' own scales.
        risk: ``(T + 1, n)`` inferred risk attitudes per state.
        win_prob: ``(T + 1, n)`` winning probability of each actor's position per state.
        challenges: one row per challenge (turn, initiator, target, P, gain, bargain).
        moves: one row per actor and turn: the option it adopted and its probability.
        status: ``"converged"`` (movement below the threshold) or ``"max-turns"``.
        ratio: last turn's movement as a share of the first turn's.
        forecast: per dimension, the most probable position of the final state.
        expected: per dimension, the probability-weighted mean of the final state's positions.
    """

    problem: SpatialProblem
    options: SMPOptions
    positions: np.ndarray
    risk: np.ndarray
    win_prob: np.ndarray
    challenges: pd.DataFrame
    moves: pd.DataFrame
    status: str
    ratio: float
    forecast: np.ndarray
    expected: np.ndarray
    details: dict = field(default_factory=dict)

    @property
    def turns(self) -> int:
        return self.positions.shape[0] - 1

    def positions_frame(self) -> pd.DataFrame:
        """Long table: turn, actor, dimension, position (own scale), winning probability."""
        t, n, d = self.positions.shape
        p = self.problem
        return pd.DataFrame(
            {
                "turn": np.repeat(np.arange(t), n * d),
                "actor": np.tile(np.repeat(np.array(p.actors, dtype=object), d), t),
                "dimension": np.tile(np.array(p.dimensions, dtype=object), t * n),
                "position": self.positions.reshape(-1),
                "win_prob": np.repeat(self.win_prob.reshape(-1), d),
            }
        )

    def final_frame(self) -> pd.DataFrame:
        """One row per actor: capability, initial and final positions per dimension."""
        p = self.problem
        out = pd.DataFrame({"actor": list(p.actors), "capability": p.capability})
        for k, dim in enumerate(p.dimensions):
            out[f"{dim} initial"] = self.positions[0, :, k]
            out[f"{dim} final"] = self.positions[-1, :, k]
        out["win_prob"] = self.win_prob[-1]
        return out


def check_size(n: int, d: int, turns: int) -> None:
    """Refuse an SMP run too large for the bounds, before any work (one line, exit 2)."""
    if n > MAX_SMP_ACTORS:
        raise UsageError(
            f"smp: expected at most {MAX_SMP_ACTORS} actors (one turn is O(n^3)), got {n}"
        )
    if not 1 <= turns <= MAX_SMP_TURNS:
        raise UsageError(f"--rounds: expected SMP turns in [1, {MAX_SMP_TURNS}], got {turns}")
    work = float(n) ** 3 * turns * max(1.0, d / 8)
    if work > MAX_SMP_WORK:
        most = max(1, int(MAX_SMP_WORK / (float(n) ** 3 * max(1.0, d / 8))))
        raise UsageError(
            f"smp: {n} actors x {d} dimensions x {turns} turns exceed the work bound; use at "
            f"most {most} turns (--rounds) or fewer actors"
        )


def run_smp(
    problem: SpatialProblem,
    options: SMPOptions | None = None,
    *,
    seed=None,
    block_cells: int = BLOCK_CELLS,
    **overrides,
) -> SMPResult:
    """Run KTAB's Spatial Model of Politics on ``problem`` (see the module docstring).

    Args:
        options: model parameters (KTAB's defaults); ``overrides`` replace single fields,
            e.g. ``max_turns=10``.
        seed: seed or ``numpy.random.Generator`` for ``transitions="stochastic"``.
        block_cells: cells per block of the challenge computation (memory bound only).

    Raises:
        UsageError: sizes beyond :data:`MAX_SMP_ACTORS` / :data:`MAX_SMP_TURNS` /
            :data:`MAX_SMP_WORK`, or an actor with no capability or no salience (KTAB
            refuses a zero voting weight).
    """
    from dataclasses import replace

    from standoff.progress import progress

    base = options or SMPOptions()
    if "max_turns" in overrides and "min_turns" not in overrides:
        overrides["min_turns"] = min(base.min_turns, int(overrides["max_turns"]))
    o = replace(base, **overrides) if overrides else base
    n, d = problem.n, problem.d
    check_size(n, d, o.max_turns)
    c = np.asarray(problem.capability, dtype=float)
    s = np.asarray(problem.salience, dtype=float)
    stot = s.sum(axis=1)
    for what, bad in (("capability", c <= 0), ("salience", stot <= 0)):
        if bad.any():
            a = problem.actors[int(np.flatnonzero(bad)[0])]
            raise UsageError(
                f"{problem.source}: actor {a!r}: the SMP needs a {what} > 0 (KTAB refuses a "
                "zero voting weight)"
            )
    rng = None
    if o.transitions == "stochastic":
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    x = problem.unit_position()
    states = [_assess(x, s, c, o)]
    chl_rows: list[dict] = []
    move_rows: list[dict] = []
    status, ratio = "max-turns", float("nan")
    dist0 = None
    with progress(o.max_turns, "smp: turns") as bar:
        for t in range(1, o.max_turns + 1):
            st = states[-1]
            new_x, chl, mv = _turn(st, s, c, stot, o, rng, block_cells)
            for row in chl:
                row["turn"] = t
            for row in mv:
                row["turn"] = t
            chl_rows += chl
            move_rows += mv
            states.append(_assess(new_x, s, c, o))
            bar.advance()
            moved = float(np.linalg.norm(states[-1].x - states[-2].x, axis=1).sum())
            if dist0 is None:
                dist0 = moved + o.min_sig_delta
            ratio = moved / dist0
            if t >= o.min_turns and ratio < o.min_delta_ratio:
                status = "converged"
                break
    return _result(problem, o, states, chl_rows, move_rows, status, ratio, c)


def _turn(st: _State, s, c, stot, o: SMPOptions, rng, block_cells):
    """One turn (``doBCN``): challenges, bargains, and each actor's election among them."""
    x = st.x
    n = x.shape[0]
    target, prob, gain = _best_targets(st, c, stot, o, block_cells)
    init = np.flatnonzero(target >= 0)
    rcvr = target[init]
    pi = prob[init]
    bi, bj = _interpolate(x[init], s[init], pi, x[rcvr], s[rcvr], 1 - pi, o.interpolation)
    # the receiver's own estimate of the challenge, for the record
    pj, gj = (
        _challenges(st, c, stot, o, rcvr, init, init, rcvr) if init.size else (np.array([]),) * 2
    )
    chl = [
        {
            "initiator": int(a),
            "target": int(b),
            "p_win": float(pi[m]),
            "gain": float(gain[a]),
            "target_p_win": float(pj[m]),
            "target_gain_to_initiator": float(gj[m]),
            "initiator_bargain": bi[m],
            "target_bargain": bj[m],
        }
        for m, (a, b) in enumerate(zip(init, rcvr, strict=True))
    ]
    # value of each option to every actor: mean utility of the state it leads to
    r = st.risk
    own = _own_util(st, o)
    sq_val = np.ascontiguousarray(own.T).sum(axis=0) / n  # in KTAB's order
    nb = init.size
    if nb:
        u_i = bs_util(weighted_distance(x, bi, s), r[:, None])
        u_j = bs_util(weighted_distance(x, bj, s), r[:, None])
        acc = u_i + u_j
        skip = (np.arange(n)[:, None] == init[None, :]) | (np.arange(n)[:, None] == rcvr[None, :])
        for m in range(n):
            acc = acc + np.where(skip[m][None, :], 0.0, own[:, m : m + 1])
        b_val = acc / n
    else:
        b_val = np.zeros((n, 0))
    # each actor's options: its status quo (column 0) and every bargain it is party to
    values = np.column_stack([sq_val, b_val])
    mine_of = [np.flatnonzero((init == k) | (rcvr == k)) for k in range(n)]
    probs = _elections(c, values, [np.concatenate([[0], 1 + m]) for m in mine_of], o)
    new_x = x.copy()
    moves = []
    for k in range(n):
        mine = mine_of[k]
        pk = probs[k]
        if pk.size == 1:
            choice = 0
        else:
            choice = (
                int(np.argmax(pk)) if rng is None else int(rng.choice(pk.size, p=pk / pk.sum()))
            )
        u = pk  # the number of options, for the record
        if choice == 0:
            moves.append({"actor": k, "option": "status quo", "p": float(pk[0]), "options": u.size})
            continue
        m = mine[choice - 1]
        new_x[k] = bi[m] if init[m] == k else bj[m]
        moves.append(
            {
                "actor": k,
                "option": f"{int(init[m])}:{int(rcvr[m])}",
                "p": float(pk[choice]),
                "options": u.size,
            }
        )
    return new_x, chl, moves


def _result(problem, o, states, chl_rows, move_rows, status, ratio, c) -> SMPResult:
    lo, hi = problem.lo, problem.hi
    pos = np.stack([lo + s.x * (hi - lo) for s in states])
    risk = np.stack([s.risk for s in states])
    probs = []
    last = None
    for st in states:
        wp, uniq, pu = _win_probs(st, c, o)
        probs.append(wp)
        last = (uniq, pu)
    uniq, pu = last
    fin = pos[-1]
    forecast = fin[uniq[int(np.argmax(pu))]]
    expected = (pu[:, None] * fin[uniq]).sum(axis=0)
    names = problem.actors
    dims = problem.dimensions

    def vec(u):
        return dict(zip(dims, (lo + np.asarray(u) * (hi - lo)).tolist(), strict=True))

    chl = pd.DataFrame(
        [
            {
                "turn": r["turn"],
                "initiator": names[r["initiator"]],
                "target": names[r["target"]],
                "p_win": r["p_win"],
                "gain": r["gain"],
                "target_p_win": r["target_p_win"],
                "target_gain_to_initiator": r["target_gain_to_initiator"],
                **{f"{k} initiator": v for k, v in vec(r["initiator_bargain"]).items()},
                **{f"{k} target": v for k, v in vec(r["target_bargain"]).items()},
            }
            for r in chl_rows
        ],
        columns=[
            "turn",
            "initiator",
            "target",
            "p_win",
            "gain",
            "target_p_win",
            "target_gain_to_initiator",
            *(f"{k} initiator" for k in dims),
            *(f"{k} target" for k in dims),
        ],
    )
    moves = pd.DataFrame(
        [
            {
                "turn": r["turn"],
                "actor": names[r["actor"]],
                "option": r["option"]
                if r["option"] == "status quo"
                else "bargain " + " with ".join(names[int(v)] for v in r["option"].split(":")),
                "p": r["p"],
                "options": r["options"],
            }
            for r in move_rows
        ],
        columns=["turn", "actor", "option", "p", "options"],
    )
    return SMPResult(
        problem=problem,
        options=o,
        positions=pos,
        risk=risk,
        win_prob=np.stack(probs),
        challenges=chl,
        moves=moves,
        status=status,
        ratio=float(ratio),
        forecast=forecast,
        expected=expected,
    )
