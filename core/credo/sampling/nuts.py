"""The No-U-Turn sampler transition, as Stan runs it, in Numba.

One call of `nuts_step` is one NUTS transition (Hoffman & Gelman 2014) in the multinomial form of
Betancourt (2017): the trajectory doubles in a random direction until the generalised no-U-turn
criterion fails, the tree depth reaches ``max_depth`` or the energy error exceeds
``max_energy_error`` (a divergence). States are drawn with weights ``exp(-H)``: uniformly (multinomial)
within each new subtree and with biased progressive sampling when a subtree joins the trajectory.
The criterion is checked over every merged subtree and, as in Stan since 2.21, also across each join
(the extra ``rho`` checks of ``base_nuts.hpp``), which catches U-turns that a merged check misses.

Stan builds subtrees recursively; here the same tree is built iteratively with a binary counter over
the leaves: a completed subtree of size ``2**k`` waits in slot ``k`` until its right sibling is
complete, then the two merge. The order of leapfrog steps, checks, random numbers and early stops is
that of the recursion.

References
----------
Hoffman & Gelman (2014), JMLR 15, 1593, "The No-U-Turn Sampler".
Betancourt (2017), arXiv:1701.02434, appendix A.
Stan ``src/stan/mcmc/hmc/nuts/base_nuts.hpp`` (``transition``, ``build_tree``).
"""

from __future__ import annotations

from typing import NamedTuple

import numba as nb
import numpy as np

from credo.sampling.hamiltonian import (
    draw_momentum,
    keep_alive,
    kinetic_energy,
    leapfrog,
    row_pointer,
    unowned,
    velocity,
)

__all__ = ["NUTSInfo", "nuts_step", "nuts_transition", "nuts_workspace"]


class NUTSInfo(NamedTuple):
    """Diagnostics of one NUTS transition.

    Attributes
    ----------
    tree_depth : int
        Number of trajectory doublings kept (Stan's ``treedepth__``).
    n_steps : int
        Leapfrog steps (= gradient evaluations) taken, including a rejected last subtree.
    diverging : bool
        The energy error of some step exceeded ``max_energy_error`` or the density was invalid.
    energy : float
        Hamiltonian at the returned state (Stan's ``energy__``).
    energy_error : float
        Hamiltonian of the returned state minus that of the initial state.
    max_energy_error : float
        Energy error of largest magnitude along the trajectory (signed).
    acceptance_rate : float
        Mean over all leapfrog steps of ``min(1, exp(H0 - H))`` (Stan's ``accept_stat__``).
    acceptance_rate_sym : float
        Mean of ``2 min(1, exp(H0 - H)) / (1 + exp(H0 - H))`` with divergent steps counted as 0
        (nutpie's symmetric statistic for late step-size adaptation).
    reached_max_treedepth : bool
        ``tree_depth == max_depth``.
    index_in_trajectory : int
        Signed number of leapfrog steps from the initial state to the returned one.
    """

    tree_depth: int
    n_steps: int
    diverging: bool
    energy: float
    energy_error: float
    max_energy_error: float
    acceptance_rate: float
    acceptance_rate_sym: float
    reached_max_treedepth: bool
    index_in_trajectory: int


# Multinomial weights exp(H0 - H) are summed as plain floats ``w``, which needs no exp or log per
# merge (they were a fifth of the sampler's own time at 10 dimensions); ``lw``, the log weight, is
# kept where ``w`` cannot hold the weight (0, subnormal or inf after an energy error beyond ~700) and
# is NaN where ``log(w)`` is exact.
_TINY = np.finfo(np.float64).tiny


@nb.njit(cache=True, nogil=True, inline="always")
def _is_exact(w):
    return _TINY <= w < np.inf


@nb.njit(cache=True, nogil=True, inline="always")
def _log_weight(w, lw):
    return np.log(w) if np.isnan(lw) else lw


@nb.njit(cache=True, nogil=True, inline="always")
def _sum_weights(w_a, lw_a, w_b, lw_b):
    """The weight ``(w, lw)`` of the union of two sets of states of weights ``a`` and ``b``."""
    w = w_a + w_b
    if _is_exact(w):
        # a weight that underflowed to 0 next to a normal one changes the sum by under 1e-16
        return w, np.nan
    return w, np.logaddexp(_log_weight(w_a, lw_a), _log_weight(w_b, lw_b))


@nb.njit(cache=True, nogil=True, inline="always")
def _weight_ratio(w_a, lw_a, w_b, lw_b):
    """``b / a`` of two weights (``inf`` if ``a`` is 0)."""
    if _is_exact(w_a) and (_is_exact(w_b) or w_b == 0.0):
        return w_b / w_a
    return np.exp(_log_weight(w_b, lw_b) - _log_weight(w_a, lw_a))


# Every vector of a transition is a row of one work array ``W`` (shape (rows, m)), passed by its row
# number: one allocation per transition, and a subtree's vectors pass from slot to slot by swapping
# row numbers instead of copying the rows.
_Q_FWD, _P_FWD, _G_FWD, _V_FWD = 0, 1, 2, 3
_Q_BCK, _P_BCK, _G_BCK, _V_BCK = 4, 5, 6, 7
_Q_SAMPLE, _G_SAMPLE, _RHO, _RHO_ACC = 8, 9, 10, 11
_OLD_P, _OLD_V = 12, 13
_SLOTS = 14
# fields of a waiting subtree in slot ``k``: summed momenta, first and last momentum and velocity,
# and its multinomial proposal. Which row of ``W`` holds field ``j`` of slot ``k`` is ``rows[k, j]``:
# when subtrees merge, the rows of the spent slots are handed over rather than copied. Slot 0 has no
# row of its own for its sums (see `_field`): ``rows[0, _S_RHO]`` is the row of the running sums.
_S_RHO, _S_P_BEG, _S_V_BEG, _S_P_END, _S_V_END, _S_Q, _S_GRAD = 0, 1, 2, 3, 4, 5, 6
_S_ROWS = 7
# rows of the waiting subtrees' scalars: weight, log weight, and the proposal's logp, energy and
# index in the trajectory (an integer held exactly as a float)
_W, _LW, _LOGP, _H, _INDEX = 0, 1, 2, 3, 4


@nb.njit(cache=True, nogil=True, inline="always")
def _field(k, j):
    """Field ``j`` of slot ``k`` as stored. Slot 0 holds a single state, whose summed momenta and
    first momentum and velocity are its last ones: those rows are shared, not copied."""
    if k == 0:
        if j == _S_RHO or j == _S_P_BEG:
            return _S_P_END
        if j == _S_V_BEG:
            return _S_V_END
    return j


@nb.njit(cache=True, nogil=True, inline="always")
def _slot_row(rows, k, j):
    """Row of ``W`` holding field ``j`` of slot ``k``: ``rows`` maps slots to rows of ``W``."""
    return rows[k, _field(k, j)]


@nb.njit(cache=True, nogil=True, inline="always")
def _hand_over(rows, k_dst, k_src, j):
    """Give field ``j`` of the spent slot ``k_src`` to slot ``k_dst`` by swapping rows, not copying."""
    j_src = _field(k_src, j)
    rows[k_dst, j], rows[k_src, j_src] = rows[k_src, j_src], rows[k_dst, j]


@nb.njit(cache=True, nogil=True, inline="always")
def _copy2(W, dst_a, src_a, dst_b, src_b):
    # vectors are copied in pairs: one loop instead of two halves the loop overhead at small m
    for i in range(W.shape[1]):
        W[dst_a, i] = W[src_a, i]
        W[dst_b, i] = W[src_b, i]


@nb.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _join_is_no_u_turn(data, m, v_beg_a, v_end_a, p_end_a, rho_a, v_beg_b, v_end_b, p_beg_b, rho_b, out):
    """Stan's three no-U-turn checks when subtree ``a`` is followed by subtree ``b`` (rows of the
    work array, whose ``m`` columns start at ``data``: a pointer has no reference count to update,
    and the reassociating loops keep this a call rather than inlined).

    Both ends must move along the summed momenta of ``a + b`` (the merged check), of ``a`` plus the
    first state of ``b`` and of ``b`` plus the last state of ``a`` (the checks across the join,
    Stan's ``rho_extended``). ``v`` are velocities ``M^-1 p``. Writes ``rho_a + rho_b`` to row ``out``
    (which may be ``rho_a`` or ``rho_b``). The six sums run in one read-only pass, which LLVM
    vectorises by reassociating them (only their signs matter); the store is a second pass, since
    in the same loop its overlap with an input row would send LLVM to the scalar loop.
    """
    a1 = b1 = a2 = b2 = a3 = b3 = 0.0
    for i in range(m):
        r1 = data[rho_a * m + i] + data[rho_b * m + i]
        r2 = data[rho_a * m + i] + data[p_beg_b * m + i]
        r3 = data[rho_b * m + i] + data[p_end_a * m + i]
        a1 += data[v_beg_a * m + i] * r1
        b1 += data[v_end_b * m + i] * r1
        a2 += data[v_beg_a * m + i] * r2
        b2 += data[v_beg_b * m + i] * r2
        a3 += data[v_end_a * m + i] * r3
        b3 += data[v_end_b * m + i] * r3
    for i in range(m):
        data[out * m + i] = data[rho_a * m + i] + data[rho_b * m + i]
    return a1 > 0.0 and b1 > 0.0 and a2 > 0.0 and b2 > 0.0 and a3 > 0.0 and b3 > 0.0


# inlined into its one caller: ~15% less time per leapfrog step at 10 dimensions (measured)
@nb.njit(cache=True, nogil=True, inline="always")
def _build_subtree(
    depth, direction, step_size, H0, max_energy_error, logp_fn, idx, inv_mass, rng,
    W, rows, r_q, r_p, r_g, r_v, logp, n_side, q_full, grad_full, slot_scalars,
):  # fmt: skip
    """Extend the trajectory end (rows ``r_q, r_p, r_g, r_v`` of ``W``) in place by a subtree of
    ``2**depth`` steps.

    ``n_side`` steps were already taken in ``direction``. On success ``rho`` is the row of the summed
    momenta of the subtree and ``inner_p``, ``inner_v`` those of momentum and velocity at its end
    nearest the old trajectory. The subtree's multinomial proposal is slot ``sel`` (``-1``: the
    current end).

    Returns
    -------
    tuple
        ``(valid, logp, weight, log_weight, sel, sel_logp, sel_energy, sel_index, n_steps,
        sum_accept, sum_accept_sym, max_error, diverging, rho, inner_p, inner_v)``.
    """
    eps = direction * step_size
    n_steps = 0
    sum_accept = 0.0
    sum_accept_sym = 0.0
    max_error = 0.0
    w = 0.0
    lw = -np.inf
    sel = -1
    beg = -1  # slot whose first state is the running subtree's first state (-1: the leaf)
    h = H0
    leaf_index = 0
    for leaf in range(1 << depth):
        logp, kinetic = leapfrog(logp_fn, W, r_q, r_p, r_g, r_v, eps, inv_mass, q_full, grad_full, idx)
        n_steps += 1
        leaf_index = direction * (n_side + n_steps)
        h = -logp + kinetic
        if np.isnan(h):
            h = np.inf
        error = h - H0
        if abs(error) > abs(max_error):
            max_error = error
        diverging = error > max_energy_error
        # one exp for both statistics: min(1, exp(-error)) and exp(min(0, -error)) are the same value
        ratio = np.exp(-error)  # also the leaf's multinomial weight
        accept = 1.0 if error <= 0.0 else ratio
        sum_accept += accept
        if not diverging:
            sum_accept_sym += 2.0 * accept / (1.0 + ratio)
        if diverging:
            return (False, logp, w, lw, sel, logp, h, leaf_index, n_steps,
                    sum_accept, sum_accept_sym, max_error, True, r_p, r_p, r_v)  # fmt: skip

        # The new leaf is a subtree of one state; merge it with waiting left siblings of its size.
        w = ratio
        lw = -error
        sel = -1
        beg = -1
        rho = r_p
        level = 0
        while (leaf >> level) & 1:
            s = level
            w_merged, lw_merged = _sum_weights(slot_scalars[_W, s], slot_scalars[_LW, s], w, lw)
            # uniform (multinomial) choice between the two halves, the new one with probability
            # w_new / (w_old + w_new), drawn as in Stan (whose test of w_new > w_old + w_new first
            # never holds)
            if rng.random() >= _weight_ratio(w_merged, lw_merged, w, lw):
                sel = s
            fb_p = r_p if beg < 0 else _slot_row(rows, beg, _S_P_BEG)
            fb_v = r_v if beg < 0 else _slot_row(rows, beg, _S_V_BEG)
            r_acc = rows[0, _S_RHO]
            ok = _join_is_no_u_turn(row_pointer(W, 0), W.shape[1], _slot_row(rows, s, _S_V_BEG),
                                    _slot_row(rows, s, _S_V_END), _slot_row(rows, s, _S_P_END),
                                    _slot_row(rows, s, _S_RHO), fb_v, r_v, fb_p, rho, r_acc)  # fmt: skip
            rho = r_acc
            w, lw = w_merged, lw_merged
            beg = s
            if not ok:
                return (False, logp, w, lw, sel, logp, h, leaf_index, n_steps,
                        sum_accept, sum_accept_sym, max_error, False, r_p, r_p, r_v)  # fmt: skip
            level += 1
        if level < depth:
            # park the completed subtree until its right sibling is built
            if level > 0:
                # the merged slots are spent: their rows pass to slot `level` (the sums' row too)
                rows[level, _S_RHO], rows[0, _S_RHO] = rows[0, _S_RHO], rows[level, _S_RHO]
                _hand_over(rows, level, beg, _S_P_BEG)
                _hand_over(rows, level, beg, _S_V_BEG)
            _copy2(W, _slot_row(rows, level, _S_P_END), r_p, _slot_row(rows, level, _S_V_END), r_v)
            slot_scalars[_W, level] = w
            slot_scalars[_LW, level] = lw
            if sel < 0:
                _copy2(W, _slot_row(rows, level, _S_Q), r_q, _slot_row(rows, level, _S_GRAD), r_g)
                slot_scalars[_LOGP, level] = logp
                slot_scalars[_H, level] = h
                slot_scalars[_INDEX, level] = leaf_index
            else:
                _hand_over(rows, level, sel, _S_Q)
                _hand_over(rows, level, sel, _S_GRAD)
                slot_scalars[_LOGP, level] = slot_scalars[_LOGP, sel]
                slot_scalars[_H, level] = slot_scalars[_H, sel]
                slot_scalars[_INDEX, level] = slot_scalars[_INDEX, sel]

    inner_p = r_p if beg < 0 else _slot_row(rows, beg, _S_P_BEG)
    inner_v = r_v if beg < 0 else _slot_row(rows, beg, _S_V_BEG)
    if sel < 0:
        return (True, logp, w, lw, sel, logp, h, leaf_index, n_steps,
                sum_accept, sum_accept_sym, max_error, False, rho, inner_p, inner_v)  # fmt: skip
    return (True, logp, w, lw, sel, slot_scalars[_LOGP, sel], slot_scalars[_H, sel],
            int(slot_scalars[_INDEX, sel]), n_steps, sum_accept, sum_accept_sym, max_error, False, rho,
            inner_p, inner_v)  # fmt: skip


@nb.njit(cache=True, nogil=True)
def nuts_workspace(m, n_dim, max_depth):
    """Scratch arrays of `nuts_transition` for ``m`` moved coordinates of ``n_dim``, trees of up to
    ``max_depth`` doublings: the work rows, the waiting subtrees' scalars and row map, and the full
    position and gradient around a subset of coordinates."""
    return (
        np.empty((_SLOTS + _S_ROWS * max_depth, m)),
        # per slot (rows `_W` ... `_INDEX`): weight, log weight, proposal logp, energy and index
        np.empty((5, max_depth)),
        np.empty((max_depth, _S_ROWS), dtype=np.int64),
        np.empty(n_dim),
        np.empty(n_dim),
    )


@nb.njit(cache=True, nogil=True)
def nuts_step(
    position, logp, grad, logp_fn, step_size, inv_mass, inv_mass_chol, rng, idx,
    max_depth=10, max_energy_error=1000.0,
):  # fmt: skip
    """One NUTS transition from ``position``.

    Parameters
    ----------
    position : ndarray of float64, shape (n_dim,)
        Current unconstrained position (flat vector of the model).
    logp : float
        Log-density at ``position`` (finite).
    grad : ndarray of float64, shape (n_dim,)
        Gradient of the log-density at ``position``.
    logp_fn : cfunc of ``LOGP_GRAD_SIGNATURE``
        ``logp(x, grad, n)``; ``-inf`` or NaN at invalid points.
    step_size : float
        Leapfrog step size (> 0).
    inv_mass : ndarray of float64, shape (m,) or (m, m)
        Inverse mass matrix (the metric): its diagonal, or the dense matrix.
    inv_mass_chol : ndarray of float64, shape (m,) or (m, m)
        ``sqrt(inv_mass)`` for a diagonal metric, else the lower Cholesky factor of ``inv_mass``.
    rng : numpy.random.Generator
        This chain's generator; advanced in place.
    idx : ndarray of int64, shape (m,)
        Sorted, unique coordinates that NUTS moves (``arange(n_dim)`` for all); the others stay
        fixed, e.g. discrete coordinates updated by another step of a compound sampler.
    max_depth : int
        Maximum number of trajectory doublings (Stan default 10).
    max_energy_error : float
        Energy error above which a step counts as divergent (Stan default 1000).

    Returns
    -------
    position : ndarray, shape (n_dim,)
        New position (a new array).
    logp : float
        Its log-density.
    grad : ndarray, shape (n_dim,)
        Its gradient at the coordinates ``idx``; other entries are copied from the input.
    info : NUTSInfo
        Diagnostics of the transition.
    """
    work = nuts_workspace(idx.shape[0], position.shape[0], max_depth)
    position, grad = position.copy(), grad.copy()
    logp, info = nuts_transition(work, position, logp, grad, logp_fn, step_size, inv_mass,
                                 inv_mass_chol, rng, idx, max_depth, max_energy_error)  # fmt: skip
    return position, logp, grad, info


# inlined into the chain loops: as a call, each of its array arguments costs two atomic reference
# count updates per transition (~25 ns per leapfrog step at 10 dimensions, measured)
@nb.njit(cache=True, nogil=True, inline="always")
def nuts_transition(
    work, position, logp, grad, logp_fn, step_size, inv_mass, inv_mass_chol, rng, idx,
    max_depth=10, max_energy_error=1000.0,
):  # fmt: skip
    """`nuts_step` in place, on scratch from `nuts_workspace`: the chain loops allocate nothing per
    transition (an allocation costs about as much as a leapfrog step at 10 dimensions).

    ``position`` and ``grad`` (shape (n_dim,)) are overwritten with the new state; the other
    arguments are those of `nuts_step`, ``max_depth`` at most the one ``work`` was made for.

    Returns
    -------
    logp : float
        Log-density at the new position.
    info : NUTSInfo
    """
    # unowned views of the arrays that the tree building passes on at every doubling (their owners
    # are kept alive to the end)
    W, slot_scalars, rows, q_full, grad_full = work
    W, slot_scalars, rows = unowned(W), unowned(slot_scalars), unowned(rows)
    q_full, grad_full = unowned(q_full), unowned(grad_full)
    owned = (idx, inv_mass)
    idx, inv_mass = unowned(idx), unowned(inv_mass)
    m = idx.shape[0]
    n_dim = position.shape[0]
    for k in range(max_depth):
        for j in range(_S_ROWS):
            rows[k, j] = _SLOTS + _S_ROWS * k + j
    rows[0, _S_RHO] = _RHO_ACC
    if m < n_dim:
        # the fixed coordinates, around the moved ones in each log-density call
        for k in range(n_dim):
            q_full[k] = position[k]
            grad_full[k] = grad[k]

    for k in range(m):
        W[_Q_FWD, k] = position[idx[k]]
        W[_G_FWD, k] = grad[idx[k]]
    draw_momentum(inv_mass_chol, rng, W[_P_FWD])
    velocity(inv_mass, W, _P_FWD, _V_FWD)
    for k in range(m):
        W[_Q_BCK, k] = W[_Q_SAMPLE, k] = W[_Q_FWD, k]
        W[_G_BCK, k] = W[_G_SAMPLE, k] = W[_G_FWD, k]
        W[_P_BCK, k] = W[_RHO, k] = W[_P_FWD, k]
        W[_V_BCK, k] = W[_V_FWD, k]

    H0 = -logp + kinetic_energy(W, _P_FWD, _V_FWD)
    logp_fwd = logp
    logp_bck = logp
    logp_sample = logp
    h_sample = H0
    index_sample = 0
    w_traj, lw_traj = 1.0, 0.0  # the initial state's weight exp(H0 - H0)
    depth = 0
    n_steps = 0
    n_fwd = 0
    n_bck = 0
    sum_accept = 0.0
    sum_accept_sym = 0.0
    max_error = 0.0
    diverging = False

    while depth < max_depth:
        forward = rng.random() > 0.5
        # the backward end's rows are the forward end's shifted by 4
        side = 0 if forward else _Q_BCK - _Q_FWD
        r_q, r_p, r_g, r_v = _Q_FWD + side, _P_FWD + side, _G_FWD + side, _V_FWD + side
        r_v_out = _V_BCK - side
        logp_end, n_end = (logp_fwd, n_fwd) if forward else (logp_bck, n_bck)
        _copy2(W, _OLD_P, r_p, _OLD_V, r_v)
        res = _build_subtree(
            depth, 1 if forward else -1, step_size, H0, max_energy_error, logp_fn, idx, inv_mass, rng,
            W, rows, r_q, r_p, r_g, r_v, logp_end, n_end, q_full, grad_full, slot_scalars,
        )  # fmt: skip
        (valid, logp_end, w_sub, lw_sub, sel, sel_logp, sel_h, sel_index, sub_steps, sub_accept,
         sub_accept_sym, sub_max_error, sub_diverging, r_rho_sub, r_new_p, r_new_v) = res  # fmt: skip
        if forward:
            logp_fwd = logp_end
            n_fwd += sub_steps
        else:
            logp_bck = logp_end
            n_bck += sub_steps
        n_steps += sub_steps
        sum_accept += sub_accept
        sum_accept_sym += sub_accept_sym
        if abs(sub_max_error) > abs(max_error):
            max_error = sub_max_error
        diverging = diverging or sub_diverging
        if not valid:
            break
        depth += 1

        # biased progressive sampling: prefer the new subtree when it carries more weight
        odds = _weight_ratio(w_traj, lw_traj, w_sub, lw_sub)
        if odds > 1.0 or rng.random() < odds:
            if sel < 0:
                _copy2(W, _Q_SAMPLE, r_q, _G_SAMPLE, r_g)
            else:
                _copy2(W, _Q_SAMPLE, _slot_row(rows, sel, _S_Q), _G_SAMPLE, _slot_row(rows, sel, _S_GRAD))
            logp_sample = sel_logp
            h_sample = sel_h
            index_sample = sel_index
        w_traj, lw_traj = _sum_weights(w_traj, lw_traj, w_sub, lw_sub)

        # no-U-turn over the whole trajectory and across the join of old and new parts; the rows as
        # int64 rather than literal constants, so that both calls share one compiled specialisation
        old_v, old_p, rho = np.int64(_OLD_V), np.int64(_OLD_P), np.int64(_RHO)
        ok = _join_is_no_u_turn(row_pointer(W, 0), m, r_v_out, old_v, old_p, rho, r_new_v, r_v, r_new_p,
                                r_rho_sub, rho)  # fmt: skip
        if not ok:
            break

    for k in range(m):
        position[idx[k]] = W[_Q_SAMPLE, k]
        grad[idx[k]] = W[_G_SAMPLE, k]
    info = NUTSInfo(
        depth,
        n_steps,
        diverging,
        h_sample,
        h_sample - H0,
        max_error,
        sum_accept / n_steps,
        sum_accept_sym / n_steps,
        depth >= max_depth,
        index_sample,
    )
    keep_alive((work, owned))
    return logp_sample, info
