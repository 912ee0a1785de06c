"""Bueno de Mesquita's expected utility model (EUM), vectorised.

References:
    Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. In
    Stokman & Bueno de Mesquita (eds), *European Community Decision Making*, pp. 71-104.
    Bueno de Mesquita, B. (1997). A decision making model: its structure and form.
    *International Interactions* 23(3-4): 235-266. And *Predicting Politics* (2002).
    Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's
    group decision model. *J. Theoretical Politics* 23(4): 510-531.
    Masad, D. (2016). PhD dissertation, George Mason University (ODD specification).

Equations (numbering of ``standoff``'s reference note, Section 4); positions ``z`` are
normalised by the **initial** range, ``z = (x - min x0) / (max x0 - min x0)``, kept fixed:

* E1 votes ``v_k(j, m) = c_k s_k (|z_k - z_m| - |z_k - z_j|)``;
* E2 ``P(j, m) = sum_k max(0, v_k(j, m)) / sum_k |v_k(j, m)|`` (``P = 0`` if ``z_j = z_m``);
* E3 median voter ``mu``: the Condorcet winner among current positions, i.e. the position
  minimising ``sum_k c_k s_k |z_k - z|`` (ties: the lowest such position);
* E4 utilities ``U^s, U^f, U^sq, U^b, U^w`` with actor i's own risk exponent ``r_i``
  (mirror-imaging: i uses ``r_i`` also for other actors' utilities);
* E5 ``E^i(U_ij) = s_j [P U^s + (1-P) U^f] + (1-s_j) U^s - Q U^sq - (1-Q)[T U^b + (1-T) U^w]``;
* E6 security ``S_i = sum_{j != i} E(U_ji)`` with every ``r = 1``, then
  ``R_i = (2 S_i - max S - min S) / (max S - min S)`` and ``r_i = (1 - R_i/3) / (1 + R_i/3)``;
* E7 j makes i an offer iff ``E^j(U_ji) > offer_tol`` (Masad's 1e-4);
* E8 receiver i classifies the offer from j with ``a = E^i(U_ij)``, ``b = E^i(U_ji)``:
  conflict (``a > 0, b > 0``), compromise (``b > 0 > a``, ``|a| < b``: move
  ``|a/b|`` of the way), capitulation (``b > 0 > a``, ``|a| >= b``: move all the way),
  ignored (``b <= 0``);
* E9 each actor accepts at most one offer: the smallest move, ties by the highest
  proposer EU, then the lowest target position;
* E10 all accepted moves are applied simultaneously, then E6 runs again;
* E11 stop and forecast (below).

Two modes share this core:

``mode="clean"`` (default) is E1-E11 as above. Conflict resolution is ``"deterministic"``
(Scholz's rule: the receiver moves to ``z_j`` iff it expects to lose, ``b > a``) or
``"stochastic"`` (BDM 2011 / Masad: the challenger wins with probability ``P(j, i)`` and the
loser adopts the winner's position; every directed conflict is drawn independently).
``renege=True`` adds Masad's (2016) reneging: a proposer whose own offer was accepted does not
also move.

``mode="scholz"`` reproduces the code of Scholz et al. as replicated by J. McKibben-Sanders
(golden vector G1) with its quirks: Q1 the probability denominator sums ``|v|`` over *all*
ordered pairs of actors; Q2 votes are risk-curved, ``c_k s_k (d_km^{r_k} - d_kj^{r_k})``
(all ``r = 1`` in the risk step); Q3 ``Q = 1``, no ``T`` term; Q4 confrontation offers
(``b > a > 0``) beat compromise offers; the closest confrontation wins, the compromise with
the smallest ``(|a| x_i + |b| x_j)/(|a| + |b|)`` wins, first actor on ties; Q5 no
capitulation (the original's test is never true); Q6 simultaneous update, no reneging,
deterministic conflict. Every actor considers every other actor (no E7 filter).

**Project parameterisation choices** (not the original authors'): the composition of the
clean mode (receiver-side evaluation, closest-offer selection, deterministic conflict by
default); ``Q = 1`` by default (BDM gives no rule for ``Q`` and ``T``); ``P = 1/2`` when no
voter separates two distinct positions; ``U^b``/``U^w`` use ``|z_i - mu| + |z_i - z_j|``;
``r = 1`` for every actor when all security values are equal; the stopping rule (E11):
stop when no position moves by more than ``tol`` (converged), when the state recurs with a
period >= 2 (oscillating), when ``mu`` is unchanged for ``median_window`` rounds
(median_stable), or at ``rounds`` (default 50; Scholz mode runs exactly ``rounds``, default
10, as its replications do). A run that ends without converging and in which some actor
reversed direction at least twice is reported as oscillating. The **forecast** is the median
voter position ``mu`` of the final state (BDM's majority-rule outcome); the weighted mean of
the final state is reported too.

Complexity: one round is O(n^2 log n) time and O(n^2) memory. The sums over voters in E2 are
prefix sums over voters sorted by position: for a pair (i, j) the voters closer to i than to
j are a contiguous run of the sorted voters (those on i's side of the midpoint), and for each
of them ``max(0, v_k(i, j)) = E_kj - E_ki`` with ``E_ki = c_k s_k d_ki^{r_k}``. Scholz's
global denominator is ``sum_k sum_{a,b} |E_kb - E_ka|``, a sorted-row identity per voter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from standoff.bargaining.baselines import compromise_of
from standoff.bargaining.inputs import Problem
from standoff.errors import UsageError

__all__ = [
    "EUMResult",
    "expected_utilities",
    "median_voter",
    "risk_exponents",
    "run_eum",
    "step",
    "win_probabilities",
]

KINDS = ("none", "conflict", "compromise", "capitulation")
_CONFLICT, _COMPROMISE, _CAPITULATION = 1, 2, 3


# ---------------------------------------------------------------------------- E1-E3
def _sum_abs_pairwise(rows: np.ndarray) -> float:
    """sum_k sum_{a,b} |rows[k, b] - rows[k, a]| via sorted rows (Scholz's Q1 denominator)."""
    n = rows.shape[1]
    srt = np.sort(rows, axis=1)
    coef = 2.0 * np.arange(n) - (n - 1)
    return float(2.0 * (srt @ coef).sum())


def win_probabilities(z, weight, *, vote_exponent=None, scholz: bool = False) -> np.ndarray:
    """Matrix ``P[i, j]``: probability that position ``z_i`` beats ``z_j`` (E1, E2).

    Args:
        z: positions on the normalised scale (the initial range maps to [0, 1]).
        weight: ``c s`` per actor (the voters are the actors themselves).
        vote_exponent: per-voter exponent ``r_k`` of the risk-curved votes (Scholz Q2);
            ``None`` means linear votes.
        scholz: use Scholz's global denominator (Q1) instead of the pairwise one (E2).
    """
    z = np.asarray(z, dtype=float)
    w = np.asarray(weight, dtype=float)
    n = z.size
    # work in sorted order: the midpoints of each row are then sorted too (fast searchsorted)
    order = np.argsort(z, kind="stable")
    zs = z[order]
    ws = w[order]
    dist = np.abs(zs[:, None] - zs[None, :])  # [k, i]
    if vote_exponent is None:
        e = dist
    else:
        e = dist ** np.asarray(vote_exponent, float)[order][:, None]
    e *= ws[:, None]  # E[k, i] = c_k s_k d_ki^{r_k}
    csum = np.zeros((n + 1, n))
    np.cumsum(e, axis=0, out=csum[1:])
    total = csum[-1]
    # voters k < left[i, j] lie left of the midpoint of (i, j); a voter exactly at the midpoint
    # is equidistant and adds nothing, so one count serves both sides
    left = np.searchsorted(zs, 0.5 * (zs[:, None] + zs[None, :]), side="left")
    cols = np.arange(n)
    g = csum[left, cols[None, :]]
    g -= csum[left, cols[:, None]]  # sum_{k < left} (E_kj - E_ki)
    right_side = (total[None, :] - total[:, None]) - g  # sum_{k >= left} (E_kj - E_ki)
    lower = zs[:, None] < zs[None, :]
    gain = np.where(lower, g, right_side)  # sum_k max(0, v_k(i, j))
    np.maximum(gain, 0.0, out=gain)
    gain[zs[:, None] == zs[None, :]] = 0.0
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.arange(n)
    gain = gain[np.ix_(inv, inv)]
    same = z[:, None] == z[None, :]
    if scholz:
        denom = _sum_abs_pairwise(e)
        return gain / denom if denom > 0 else np.zeros((n, n))
    tot = gain + gain.T
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tot > 0, gain / np.where(tot > 0, tot, 1.0), 0.5)
    p[same] = 0.0
    return p


def median_voter(z, weight) -> float:
    """E3: the Condorcet winner among the current positions (weighted median of ``z``).

    The position minimising ``sum_k w_k |z_k - z|``; ties go to the lowest position.
    """
    z = np.asarray(z, dtype=float)
    w = np.asarray(weight, dtype=float)
    u = np.unique(z)
    order = np.argsort(z, kind="stable")
    zs, ws = z[order], w[order]
    cw = np.concatenate([[0.0], np.cumsum(ws)])
    cwx = np.concatenate([[0.0], np.cumsum(ws * zs)])
    k = np.searchsorted(zs, u, side="left")
    cost = u * cw[k] - cwx[k] + (cwx[-1] - cwx[k]) - u * (cw[-1] - cw[k])
    best = cost.min()
    return float(u[np.flatnonzero(cost <= best + 1e-12 * max(1.0, abs(best)))[0]])


# ---------------------------------------------------------------------------- E4-E6
def _util(base, r):
    return 2.0 - 4.0 * np.power(np.maximum(base, 0.0), r)


def expected_utilities(z, salience, p, r, *, q=1.0, t=0.5, mu=None):
    """E4, E5: ``own[i, j] = E^i(U_ij)`` and ``perceived[i, j] = E^i(U_ji)``.

    ``own`` is i's expected utility of challenging j; ``perceived`` is i's estimate of j's
    expected utility of challenging i; both use i's exponent ``r_i`` (mirror-imaging).
    """
    z = np.asarray(z, float)
    s = np.asarray(salience, float)
    r = np.asarray(r, float)[:, None]
    d = np.abs(z[:, None] - z[None, :])
    us = _util(0.5 - 0.5 * d, r)
    uf = _util(0.5 + 0.5 * d, r)
    usq = _util(np.full_like(d[:, :1], 0.5), r)
    own = s[None, :] * (p * us + (1 - p) * uf) + (1 - s[None, :]) * us - q * usq
    perc = s[:, None] * (p.T * us + (1 - p.T) * uf) + (1 - s[:, None]) * us - q * usq
    if q != 1.0:
        if mu is None:
            raise UsageError("mu: the median voter position is needed when q < 1 (E3, E5)")
        m = mu
        dmi = np.abs(z - m)
        own -= (1 - q) * (
            t * _util(0.5 - 0.25 * (dmi[:, None] + d), r)
            + (1 - t) * _util(0.5 + 0.25 * (dmi[:, None] + d), r)
        )
        perc -= (1 - q) * (
            t * _util(0.5 - 0.25 * (dmi[None, :] + d), r)
            + (1 - t) * _util(0.5 + 0.25 * (dmi[None, :] + d), r)
        )
    return own, perc


def risk_exponents(z, weight, salience, *, q=1.0, t=0.5, mu=None, scholz=False, p=None):
    """E6: risk exponents ``r_i`` in [0.5, 2] from each actor's security (all ``r = 1``).

    ``p`` may pass the probabilities with linear votes when the caller has them already.
    """
    n = len(z)
    ones = np.ones(n)
    p1 = p
    if p1 is None:
        p1 = win_probabilities(z, weight, vote_exponent=ones if scholz else None, scholz=scholz)
    own1, _ = expected_utilities(z, salience, p1, ones, q=q, t=t, mu=mu)
    np.fill_diagonal(own1, 0.0)
    sec = own1.sum(axis=0)  # S_i = sum_j E(U_ji)
    hi, lo = sec.max(), sec.min()
    if hi - lo <= 1e-15 * max(1.0, abs(hi)):
        return ones.copy()
    big_r = (2 * sec - hi - lo) / (hi - lo)
    return (1 - big_r / 3) / (1 + big_r / 3)


# ---------------------------------------------------------------------------- E7-E10
@dataclass
class RoundLog:
    """Every credible challenge of one round, as arrays (index pairs target <- challenger)."""

    target: np.ndarray
    challenger: np.ndarray
    kind: np.ndarray
    challenger_eu: np.ndarray  # E^j(U_ji), the challenger's own view
    target_eu: np.ndarray  # a = E^i(U_ij)
    perceived_eu: np.ndarray  # b = E^i(U_ji)
    proposed: np.ndarray  # normalised position the target would move to
    target_moves: np.ndarray  # conflict: did the target lose; else True
    accepted: np.ndarray  # the offer the target (or, losing, the challenger) acted on


def _select(move, key2, key3, valid):
    """Per row, the column with the smallest ``move``, then largest ``key2``, then smallest
    ``key3`` among ``valid`` entries; -1 where a row has none."""
    big = np.inf
    m = np.where(valid, move, big)
    best = m.min(axis=1, keepdims=True)
    tie = valid & (m <= best + 1e-12)
    k2 = np.where(tie, key2, -big)
    b2 = k2.max(axis=1, keepdims=True)
    tie &= k2 >= b2 - 1e-12
    k3 = np.where(tie, key3, big)
    idx = k3.argmin(axis=1)
    idx[~valid.any(axis=1)] = -1
    return idx


#: Cells (rows x actors) of one row block of the pairwise matrices (**project choice**):
#: 2**18 cells = 2 MiB per float64 array. A round then needs the ``(n + 1) x n`` prefix-sum
#: table, a few ``n x n`` boolean matrices and ~30 block arrays, about 100 MiB at n = 3000,
#: instead of ~40 full ``n x n`` float matrices (1.5 GiB). Up to n = 512 a round is one block.
BLOCK_CELLS = 1 << 18
#: Pairwise matrices kept between the passes of a round when they fit in this many bytes.
CACHE_BYTES = 64 << 20


def _blocks(n: int, block_cells: int | None = None) -> list[slice]:
    rows = max(1, min(n, (BLOCK_CELLS if block_cells is None else block_cells) // max(n, 1)))
    return [slice(s, min(n, s + rows)) for s in range(0, n, rows)]


class _Gains:
    """Rows of ``P`` (E1, E2) in blocks, from prefix sums over voters sorted by position.

    Computes exactly what :func:`win_probabilities` computes (same operations on the same
    operands), but one block of rows at a time, together with the matching rows of ``P.T``.
    """

    def __init__(self, z, w, blocks, *, vote_exponent=None, scholz=False):
        n = z.size
        self.z, self.scholz = z, scholz
        # P and P.T are computed twice per round (risk step, offers): keep them if they fit
        self.keep = 2 * n * n * 8 <= CACHE_BYTES
        self._cache: dict = {}
        order = np.argsort(z, kind="stable")
        self.zs = zs = z[order]
        ws = w[order]
        self.inv = np.empty(n, dtype=np.intp)
        self.inv[order] = np.arange(n)
        rexp = None if vote_exponent is None else np.asarray(vote_exponent, float)[order][:, None]
        self.csum = np.zeros((n + 1, n))
        for sl in blocks:  # columns i of E[k, i] = c_k s_k d_ki^{r_k}, cumulated over voters k
            e = np.abs(zs[:, None] - zs[None, sl])
            if rexp is not None:
                e = e**rexp
            e *= ws[:, None]
            np.cumsum(e, axis=0, out=self.csum[1:, sl])
        self.total = self.csum[-1]
        self.denom = 0.0
        if scholz:  # Q1: sum_k sum_{a,b} |E_kb - E_ka| over sorted rows of E (rows = voters)
            coef = 2.0 * np.arange(n) - (n - 1)
            parts = []
            for sl in blocks:
                e = np.abs(zs[sl, None] - zs[None, :])
                if rexp is not None:
                    e = e ** rexp[sl]
                e *= ws[sl, None]
                # per-row sums (not a BLAS product, whose rounding depends on the block size)
                parts.append((np.sort(e, axis=1) * coef).sum(axis=1))
            self.denom = float(2.0 * np.concatenate(parts).sum())

    def rows(self, sl: slice) -> tuple[np.ndarray, np.ndarray]:
        """``(P[sl, :], P.T[sl, :])`` in input order (kept for reuse when they are small)."""
        hit = self._cache.get(sl.start)
        if hit is not None:
            return hit
        out = self._rows(sl)
        if self.keep:
            self._cache[sl.start] = out
        return out

    def _rows(self, sl: slice) -> tuple[np.ndarray, np.ndarray]:
        z, inv, csum, total = self.z, self.inv, self.csum, self.total
        zi = z[sl, None]
        left = np.searchsorted(self.zs, 0.5 * (zi + z[None, :]), side="left")
        ci, cj = inv[sl, None], inv[None, :]
        g = csum[left, cj]
        g -= csum[left, ci]  # sum over voters left of the midpoint of (E_kj - E_ki)
        right = (total[cj] - total[ci]) - g
        del left
        lower = zi < z[None, :]
        upper = z[None, :] < zi
        same = ~(lower | upper)
        gain = np.where(lower, g, right)
        np.maximum(gain, 0.0, out=gain)
        gain[same] = 0.0
        gain_t = np.where(upper, -g, -right)  # the (j, i) entries: exact negations
        np.maximum(gain_t, 0.0, out=gain_t)
        gain_t[same] = 0.0
        del g, right
        if self.scholz:
            if self.denom > 0:
                return gain / self.denom, gain_t / self.denom
            return np.zeros_like(gain), np.zeros_like(gain)
        tot = gain + gain_t
        pos = tot > 0
        safe = np.where(pos, tot, 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(pos, gain / safe, 0.5)
            p_t = np.where(pos, gain_t / safe, 0.5)
        p[same] = 0.0
        p_t[same] = 0.0
        return p, p_t


def _eu_rows(z, s, sl, p, p_t, r, *, q, t, mu, transposed):
    """Rows ``sl`` of ``own`` and ``perceived`` (E4, E5; as :func:`expected_utilities`), and
    with ``transposed`` the rows of ``own.T`` (``own[j, i]``: j's EU of challenging i)."""
    zi = z[sl]
    d = np.abs(zi[:, None] - z[None, :])
    rr = r[sl, None]
    si = s[sl, None]
    us = _util(0.5 - 0.5 * d, rr)
    uf = _util(0.5 + 0.5 * d, rr)
    usq = _util(np.full_like(d[:, :1], 0.5), rr)
    own = s[None, :] * (p * us + (1 - p) * uf) + (1 - s[None, :]) * us - q * usq
    perc = si * (p_t * us + (1 - p_t) * uf) + (1 - si) * us - q * usq
    del us, uf
    own_t = None
    if transposed:
        rc = r[None, :]
        us_t = _util(0.5 - 0.5 * d, rc)
        uf_t = _util(0.5 + 0.5 * d, rc)
        usq_t = _util(np.full_like(d[:1, :], 0.5), rc)
        own_t = si * (p_t * us_t + (1 - p_t) * uf_t) + (1 - si) * us_t - q * usq_t
        del us_t, uf_t
    if q != 1.0:
        if mu is None:
            raise UsageError("mu: the median voter position is needed when q < 1 (E3, E5)")
        dmi = np.abs(z - mu)
        own -= (1 - q) * (
            t * _util(0.5 - 0.25 * (dmi[sl, None] + d), rr)
            + (1 - t) * _util(0.5 + 0.25 * (dmi[sl, None] + d), rr)
        )
        perc -= (1 - q) * (
            t * _util(0.5 - 0.25 * (dmi[None, :] + d), rr)
            + (1 - t) * _util(0.5 + 0.25 * (dmi[None, :] + d), rr)
        )
        if transposed:
            own_t -= (1 - q) * (
                t * _util(0.5 - 0.25 * (dmi[None, :] + d), r[None, :])
                + (1 - t) * _util(0.5 + 0.25 * (dmi[None, :] + d), r[None, :])
            )
    return own, perc, own_t


def _risk_blocked(z, w, s, blocks, gains, *, q, t, mu):
    """E6 in row blocks: ``r_i`` from S_i = sum_j E(U_ji) with every r = 1 (column sums)."""
    n = z.size
    ones = np.ones(n)
    sec = np.zeros(n)
    for sl in blocks:
        p, p_t = gains.rows(sl)
        own1, _, _ = _eu_rows(z, s, sl, p, p_t, ones, q=q, t=t, mu=mu, transposed=False)
        idx = np.arange(sl.start, sl.stop)
        own1[idx - sl.start, idx] = 0.0
        for row in own1:  # sequential, as own1.sum(axis=0) on the whole matrix
            sec += row
    hi, lo = sec.max(), sec.min()
    if hi - lo <= 1e-15 * max(1.0, abs(hi)):
        return ones.copy()
    big_r = (2 * sec - hi - lo) / (hi - lo)
    return (1 - big_r / 3) / (1 + big_r / 3)


def _offers(z, s, sl, gains, r, *, q, t, mu, scholz, offer_tol, lose_all=None):
    """Every quantity of E7-E9 for the receivers in rows ``sl`` (one block)."""
    p, p_t = gains.rows(sl)
    a, b, prop_eu = _eu_rows(z, s, sl, p, p_t, r, q=q, t=t, mu=mu, transposed=True)
    del p
    n = z.size
    zi = np.broadcast_to(z[sl, None], a.shape)
    zj = np.broadcast_to(z[None, :], a.shape)
    differ = zi != zj
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.abs(a / b)
    out = {"a": a, "b": b, "prop_eu": prop_eu, "p_t": p_t, "zi": zi, "zj": zj, "n": n}
    if scholz:
        conf = differ & (b > a) & (a > 0)
        comp = differ & (b > 0) & (a < 0) & (b > np.abs(a)) & ~conf
        out["target"] = np.where(conf, zj, zi + (zj - zi) * np.where(comp, frac, 0.0))
        out["conf"], out["comp"] = conf, comp
        out["kind"] = np.where(conf, _CONFLICT, np.where(comp, _COMPROMISE, 0))
        out["credible"] = out["kind"] > 0
        out["target_moves"] = out["credible"]
        return out
    sent = differ & (prop_eu > offer_tol)
    credible = sent & (b > 0)
    is_conf = credible & (a > 0)
    is_cap = credible & (a <= 0) & (np.abs(a) >= b)
    is_comp = credible & (a <= 0) & ~is_cap
    out["kind"] = np.select([is_conf, is_comp, is_cap], [_CONFLICT, _COMPROMISE, _CAPITULATION], 0)
    out["target"] = np.where(is_comp, zi + (zj - zi) * np.where(is_comp, frac, 0.0), zj)
    out["credible"], out["is_conf"] = credible, is_conf
    if lose_all is not None:
        lose = lose_all[sl]
    else:
        lose = is_conf & (b > a)
    out["target_moves"] = np.where(is_conf, lose, credible)
    return out


def step(
    z,
    weight,
    salience,
    *,
    mode="clean",
    q=1.0,
    t=0.5,
    conflict="deterministic",
    renege=False,
    offer_tol=1e-4,
    rng=None,
    log=True,
    sink=None,
    block_cells=None,
):
    """One round (E6-E10). Returns ``(new_z, r, None, None, None, roundlog | None)``.

    The pairwise matrices are computed in blocks of rows (:data:`BLOCK_CELLS`), so memory
    grows as O(n) block arrays plus the ``(n + 1) x n`` prefix sums; the results do not
    depend on the block size. ``log``: ``True`` keeps every credible challenge,
    ``"accepted"`` only the moves acted on, ``False`` none; ``sink``, if given, receives the
    log block by block (a :class:`RoundLog` each) instead of keeping it.
    (The three ``None`` kept the place of the full ``P`` and utility matrices.)
    """
    z = np.asarray(z, float)
    w = np.asarray(weight, float)
    s = np.asarray(salience, float)
    n = z.size
    scholz = mode == "scholz"
    blocks = _blocks(n, block_cells)
    mu = median_voter(z, w) if q != 1.0 else None
    if scholz:  # Q2: the risk step uses linear votes, the offers risk-curved ones
        g1 = _Gains(z, w, blocks, vote_exponent=np.ones(n), scholz=True)
        r = _risk_blocked(z, w, s, blocks, g1, q=q, t=t, mu=mu)
        del g1
        gains = _Gains(z, w, blocks, vote_exponent=r, scholz=True)
    else:  # linear votes throughout: one probability table serves both steps
        gains = _Gains(z, w, blocks)
        r = _risk_blocked(z, w, s, blocks, gains, q=q, t=t, mu=mu)
    kw = {"q": q, "t": t, "mu": mu, "scholz": scholz, "offer_tol": offer_tol}
    lose_all = chal_all = None
    if not scholz and conflict == "stochastic":
        if rng is None:
            raise UsageError("conflict='stochastic' needs a random generator (seed)")
        # the draws are taken row block by row block: the same stream as one (n, n) draw
        lose_all = np.zeros((n, n), bool)
        chal_all = np.zeros((n, n), bool)
        for sl in blocks:
            o = _offers(z, s, sl, gains, r, **kw)
            draw = rng.random((sl.stop - sl.start, n))
            lose_all[sl] = o["is_conf"] & (draw < o["p_t"])  # j beats i with P(j, i)
            chal_all[sl] = o["is_conf"] & ~lose_all[sl]
    new_z = z.copy()
    accepted = np.zeros((n, n), bool)
    proposers = []
    cache = None
    quick: list = []  # log="accepted" without stochastic conflict: no second pass needed
    for sl in blocks:
        o = _offers(z, s, sl, gains, r, lose_all=lose_all, **kw)
        rows = np.arange(sl.stop - sl.start)
        glob = rows + sl.start
        a, b, zi, zj = o["a"], o["b"], o["zi"], o["zj"]
        if scholz:
            conf, comp = o["conf"], o["comp"]
            dist = np.abs(zi - zj)
            ci = np.where(conf, dist, np.inf).argmin(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                key = (np.abs(a) * zi + np.abs(b) * zj) / (np.abs(a) + np.abs(b))
            mi = np.where(comp, key, np.inf).argmin(axis=1)
            has_c, has_m = conf.any(axis=1), comp.any(axis=1)
            pick = np.where(has_c, ci, np.where(has_m, mi, -1))
            moving = pick >= 0
            new_z[glob[moving]] = o["target"][rows[moving], pick[moving]]
            accepted[glob[moving], pick[moving]] = True
            if log == "accepted":
                quick.append(_log_part(o, sl, None, accepted, rows=(rows[moving], pick[moving])))
        else:
            cand_t = o["credible"] & o["target_moves"]
            move_t = np.abs(o["target"] - zi)
            # challenger j (row) moving to z_i after losing conflict (i, j): transpose
            cand_c = chal_all[:, sl].T if chal_all is not None else np.zeros_like(cand_t)
            move_c = np.abs(zj - zi)
            pick = _select(
                np.concatenate([move_t, move_c], axis=1),
                np.concatenate([o["prop_eu"], a], axis=1),
                np.concatenate([o["target"], zj], axis=1),
                np.concatenate([cand_t, cand_c], axis=1),
            )
            moving = pick >= 0
            dest_t = o["target"][rows[moving & (pick < n)], pick[moving & (pick < n)]]
            new_z[glob[moving & (pick < n)]] = dest_t
            lost = moving & (pick >= n)
            new_z[glob[lost]] = z[pick[lost] - n]
            if renege:
                proposers.append(pick[moving & (pick < n)])
            ok = moving & (pick < n)
            accepted[glob[ok], pick[ok]] = True
            if log == "accepted" and chal_all is None:  # the moves acted on, from this pass
                quick.append(_log_part(o, sl, None, accepted, rows=(rows[ok], pick[ok])))
            # a challenger that lost conflict (i=pick-n, j=row) acted on that event
            accepted[pick[lost] - n, glob[lost]] = True
        if len(blocks) == 1:
            cache = o
    if renege and proposers:
        props = np.unique(np.concatenate(proposers))
        new_z[props] = z[props]
    np.clip(new_z, min(z.min(), 0.0), max(z.max(), 1.0), out=new_z)
    rl = None
    if log == "accepted" and sink is None and (scholz or chal_all is None):
        rl = RoundLog(
            **{
                f: np.concatenate([getattr(x, f) for x in quick])
                for f in RoundLog.__dataclass_fields__
            }
        )
        order = np.lexsort((rl.challenger, rl.target))  # row-major, as np.nonzero
        rl = RoundLog(**{f: getattr(rl, f)[order] for f in RoundLog.__dataclass_fields__})
    elif log or sink is not None:
        parts = []
        for sl in blocks:
            o = cache if cache is not None else _offers(z, s, sl, gains, r, lose_all=lose_all, **kw)
            every = _log_part(o, sl, o["credible"], accepted) if log is True or sink else None
            if sink is not None:
                sink(every)
            if log is True:
                parts.append(every)
            elif log:  # "accepted": only the moves acted on
                parts.append(_log_part(o, sl, o["credible"] & accepted[sl], accepted))
        if log:
            rl = RoundLog(
                **{
                    f: np.concatenate([getattr(x, f) for x in parts])
                    for f in RoundLog.__dataclass_fields__
                }
            )
    return new_z, r, None, None, None, rl


def _log_part(o: dict, sl: slice, mask, accepted: np.ndarray, rows=None) -> RoundLog:
    ti, cj = np.nonzero(mask) if rows is None else rows
    return RoundLog(
        target=ti + sl.start,
        challenger=cj,
        kind=o["kind"][ti, cj],
        challenger_eu=o["prop_eu"][ti, cj],
        target_eu=o["a"][ti, cj],
        perceived_eu=o["b"][ti, cj],
        proposed=o["target"][ti, cj],
        target_moves=np.asarray(o["target_moves"])[ti, cj],
        accepted=accepted[sl][ti, cj],
    )


# ---------------------------------------------------------------------------- E11
@dataclass
class EUMResult:
    """Outcome of an EUM run, on the input's own scale.

    Attributes:
        forecast: median voter position ``mu`` of the final state (E11).
        weighted_mean: ``sum(c s x) / sum(c s)`` of the final state.
        positions: ``(rounds + 1, n)`` positions; row 0 is the input.
        risk: ``(rounds, n)`` risk exponents used in each round.
        medians, means: ``mu`` and the weighted mean per state (round 0 included).
        status: ``converged``, ``oscillating``, ``median_stable``, ``max_rounds`` or
            ``fixed_rounds`` (Scholz mode).
        oscillating: whether the run cycles or keeps reversing (see the module docstring).
        period: the cycle length when a recurring state was found.
    """

    problem: Problem
    mode: str
    forecast: float
    weighted_mean: float
    positions: np.ndarray
    risk: np.ndarray
    medians: np.ndarray
    means: np.ndarray
    status: str
    oscillating: bool
    period: int | None
    params: dict
    logs: list = field(default_factory=list, repr=False)

    @property
    def n_rounds(self) -> int:
        return self.positions.shape[0] - 1

    def events(self) -> pd.DataFrame:
        """Event log: who challenged whom in which round and how it resolved (every credible
        challenge, or only the accepted moves if the run was made with ``log="accepted"``)."""
        frames = [
            log_frame(self.problem, rnd, rl)
            for rnd, rl in enumerate(self.logs, start=1)
            if rl is not None and rl.target.size
        ]
        if not frames:
            return pd.DataFrame(columns=list(EVENT_COLUMNS))
        return pd.concat(frames, ignore_index=True)


EVENT_COLUMNS = (
    "round",
    "challenger",
    "target",
    "kind",
    "outcome",
    "challenger_eu",
    "target_eu",
    "perceived_challenger_eu",
    "proposed_position",
    "accepted",
)


def log_frame(problem: Problem, rnd: int, rl: RoundLog) -> pd.DataFrame:
    """One round's (or one block's) :class:`RoundLog` as rows of :meth:`EUMResult.events`."""
    lo, hi = problem.position.min(), problem.position.max()
    names = np.array(problem.actors, dtype=object)
    outcome = np.where(
        rl.kind == _CONFLICT,
        np.where(rl.target_moves, "target loses", "target holds"),
        np.where(rl.kind == _COMPROMISE, "target moves part-way", "target moves"),
    )
    return pd.DataFrame(
        {
            "round": rnd,
            "challenger": names[rl.challenger],
            "target": names[rl.target],
            "kind": np.array(KINDS, dtype=object)[rl.kind],
            "outcome": outcome,
            "challenger_eu": rl.challenger_eu,
            "target_eu": rl.target_eu,
            "perceived_challenger_eu": rl.perceived_eu,
            "proposed_position": lo + (hi - lo) * rl.proposed,
            "accepted": rl.accepted,
        },
        columns=list(EVENT_COLUMNS),
    )


def _reversals(pos: np.ndarray, tol: float) -> np.ndarray:
    d = np.diff(pos, axis=0)
    sgn = np.where(np.abs(d) > tol, np.sign(d), 0.0)
    out = np.zeros(pos.shape[1], int)
    for k in range(pos.shape[1]):
        s = sgn[:, k][sgn[:, k] != 0]
        out[k] = int((s[1:] != s[:-1]).sum()) if s.size > 1 else 0
    return out


def run_eum(
    problem: Problem,
    *,
    mode: str = "clean",
    rounds: int | None = None,
    q: float = 1.0,
    t: float = 0.5,
    conflict: str = "deterministic",
    renege: bool = False,
    offer_tol: float = 1e-4,
    tol: float = 1e-6,
    median_window: int = 5,
    max_period: int = 10,
    seed=None,
    log: bool | str = True,
    sink=None,
    block_cells: int | None = None,
) -> EUMResult:
    """Run the EUM on one issue; see the module docstring for equations and choices.

    Args:
        mode: ``"clean"`` (E1-E11) or ``"scholz"`` (compatibility with Scholz et al., Q1-Q6).
        rounds: cap on rounds (clean, default 50) or exact rounds (scholz, default 10).
        q, t: BDM's ``Q`` and ``T`` (E5; Scholz mode forces ``Q = 1``).
        conflict: ``"deterministic"`` or ``"stochastic"`` (clean mode only).
        renege: Masad's reneging rule (clean mode only).
        tol: convergence threshold on the normalised scale.
        median_window: stop when ``mu`` is unchanged for this many rounds (clean mode;
            0 disables).
        seed: int, ``SeedSequence`` or ``Generator`` for stochastic conflict.
        log: keep the per-round event log: ``True`` every credible challenge (O(n^2) per
            round), ``"accepted"`` only the moves acted on (O(n)), ``False`` none.
        sink: ``sink(round, RoundLog)`` receives every credible challenge block by block
            instead of keeping them (streaming; ``log`` is then ignored). It also receives the
            challenges of a final round in which no position moved (the round that showed
            convergence), which the result's ``positions`` do not count.
        block_cells: cells per row block of the pairwise matrices (default
            :data:`BLOCK_CELLS`); results do not depend on it.
    """
    if mode not in ("clean", "scholz"):
        raise UsageError(f"mode: expected 'clean' or 'scholz', got {mode!r}")
    if conflict not in ("deterministic", "stochastic"):
        raise UsageError(f"conflict: expected 'deterministic' or 'stochastic', got {conflict!r}")
    if rounds is None:
        rounds = 10 if mode == "scholz" else 50
    if not 0 <= int(rounds) <= 10_000:
        raise UsageError(f"rounds: expected an integer in [0, 10000], got {rounds}")
    rounds = int(rounds)
    if not 0.0 <= q <= 1.0 or not 0.0 <= t <= 1.0:
        raise UsageError(f"q, t: expected probabilities in [0, 1], got q={q:g}, t={t:g}")
    scholz = mode == "scholz"
    if scholz:
        q, conflict, renege = 1.0, "deterministic", False
    rng = np.random.default_rng(seed) if conflict == "stochastic" else None
    x0 = problem.position
    lo, span = float(x0.min()), float(np.ptp(x0))
    w = problem.weight
    s = problem.salience
    z = (x0 - lo) / span
    states = [z]
    risks, logs = [], []
    medians = [median_voter(z, w)]
    status, period = ("fixed_rounds" if scholz else "max_rounds"), None
    still = 0
    for k in range(rounds):
        new_z, r, _, _, _, rl = step(
            z,
            w,
            s,
            mode=mode,
            q=q,
            t=t,
            conflict=conflict,
            renege=renege,
            offer_tol=offer_tol,
            rng=rng,
            log=log,
            sink=None if sink is None else (lambda part, _k=k + 1: sink(_k, part)),
            block_cells=block_cells,
        )
        moved = float(np.max(np.abs(new_z - z)))
        if not scholz and moved <= tol:
            status = "converged"
            break
        risks.append(r)
        logs.append(rl)
        states.append(new_z)
        z = new_z
        medians.append(median_voter(z, w))
        if scholz:
            continue
        for per in range(2, min(max_period, len(states) - 1) + 1):
            if np.max(np.abs(states[-1] - states[-1 - per])) <= tol:
                status, period = "oscillating", per
                break
        if period is not None:
            break
        still = still + 1 if abs(medians[-1] - medians[-2]) <= tol else 0
        if median_window and still >= median_window:
            status = "median_stable"
            break
    pos_z = np.vstack(states)
    positions = lo + span * pos_z
    means = np.array([compromise_of(row, w) for row in positions])
    oscillating = period is not None or (
        status in ("max_rounds", "fixed_rounds", "median_stable")
        and bool((_reversals(pos_z, tol) >= 2).any())
    )
    return EUMResult(
        problem=problem,
        mode=mode,
        forecast=float(lo + span * medians[-1]),
        weighted_mean=float(means[-1]),
        positions=positions,
        risk=np.vstack(risks) if risks else np.empty((0, problem.n)),
        medians=lo + span * np.asarray(medians),
        means=means,
        status=status,
        oscillating=oscillating,
        period=period,
        params={
            "mode": mode,
            "rounds": rounds,
            "q": q,
            "t": t,
            "conflict": conflict,
            "renege": renege,
            "offer_tol": offer_tol,
            "tol": tol,
            "median_window": median_window,
        },
        logs=logs,
    )
