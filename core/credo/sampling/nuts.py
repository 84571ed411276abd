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

from credo.sampling.hamiltonian import draw_momentum, kinetic_energy, leapfrog, velocity

__all__ = ["NUTSInfo", "nuts_step"]


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


@nb.njit(cache=True, nogil=True)
def _logaddexp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    if a > b:
        return a + np.log1p(np.exp(b - a))
    return b + np.log1p(np.exp(a - b))


@nb.njit(cache=True, nogil=True)
def _copy(dst, src):
    # an explicit loop: Numba's slice assignment into a row of a 2-d array is ~3x slower
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@nb.njit(cache=True, nogil=True, fastmath={"reassoc"})
def _join_is_no_u_turn(v_beg_a, v_end_a, p_end_a, rho_a, v_beg_b, v_end_b, p_beg_b, rho_b, out):
    """Stan's three no-U-turn checks when subtree ``a`` is followed by subtree ``b``.

    Both ends must move along the summed momenta of ``a + b`` (the merged check), of ``a`` plus the
    first state of ``b`` and of ``b`` plus the last state of ``a`` (the checks across the join,
    Stan's ``rho_extended``). ``v`` are velocities ``M^-1 p``. Writes ``rho_a + rho_b`` to ``out``
    (which may be ``rho_a`` or ``rho_b``). One pass with six sums, which LLVM may reassociate to
    vectorise: only their signs matter.
    """
    a1 = b1 = a2 = b2 = a3 = b3 = 0.0
    for i in range(out.shape[0]):
        r1 = rho_a[i] + rho_b[i]
        r2 = rho_a[i] + p_beg_b[i]
        r3 = rho_b[i] + p_end_a[i]
        a1 += v_beg_a[i] * r1
        b1 += v_end_b[i] * r1
        a2 += v_beg_a[i] * r2
        b2 += v_beg_b[i] * r2
        a3 += v_end_a[i] * r3
        b3 += v_end_b[i] * r3
        out[i] = r1
    return a1 > 0.0 and b1 > 0.0 and a2 > 0.0 and b2 > 0.0 and a3 > 0.0 and b3 > 0.0


@nb.njit(cache=True, nogil=True)
def _build_subtree(
    depth, direction, step_size, H0, max_energy_error, logp_fn, idx, inv_mass, rng,
    q, p, grad, v, logp, n_side, q_full, grad_full,
    slot_rho, slot_p_beg, slot_v_beg, slot_p_end, slot_v_end, slot_q, slot_grad, slot_scalars,
    slot_index, rho_acc, inner_p, inner_v,
):  # fmt: skip
    """Extend the trajectory end ``(q, p, grad, v)`` in place by a subtree of ``2**depth`` steps.

    ``n_side`` steps were already taken in ``direction``. On success ``rho_acc`` holds the summed
    momenta of the subtree and ``inner_p``, ``inner_v`` momentum and velocity at its end nearest
    the old trajectory. The subtree's multinomial proposal is slot ``sel`` (``-1``: the current end).

    Returns
    -------
    tuple
        ``(valid, logp, log_sum_weight, sel, sel_logp, sel_energy, sel_index, n_steps,
        sum_accept, sum_accept_sym, max_error, diverging)``.
    """
    eps = direction * step_size
    n_steps = 0
    sum_accept = 0.0
    sum_accept_sym = 0.0
    max_error = 0.0
    lsw = -np.inf
    sel = -1
    beg = -1  # slot whose first state is the running subtree's first state (-1: the leaf)
    h = H0
    leaf_index = 0
    for leaf in range(1 << depth):
        logp, kinetic = leapfrog(logp_fn, q, p, grad, v, eps, inv_mass, q_full, grad_full, idx)
        n_steps += 1
        leaf_index = direction * (n_side + n_steps)
        h = -logp + kinetic
        if np.isnan(h):
            h = np.inf
        error = h - H0
        if abs(error) > abs(max_error):
            max_error = error
        diverging = error > max_energy_error
        if error <= 0.0:
            sum_accept += 1.0
        else:
            sum_accept += np.exp(-error)
        if not diverging:
            sum_accept_sym += 2.0 * np.exp(min(0.0, -error)) / (1.0 + np.exp(-error))
        if diverging:
            return (False, logp, lsw, sel, logp, h, leaf_index, n_steps,
                    sum_accept, sum_accept_sym, max_error, True)  # fmt: skip

        # The new leaf is a subtree of one state; merge it with waiting left siblings of its size.
        lsw = -error
        sel = -1
        beg = -1
        _copy(rho_acc, p)
        level = 0
        while (leaf >> level) & 1:
            s = level
            lsw_merged = _logaddexp(slot_scalars[0, s], lsw)
            # uniform (multinomial) choice between the two halves
            if not lsw > lsw_merged and rng.random() >= np.exp(lsw - lsw_merged):
                sel = s
            fb_p = p if beg < 0 else slot_p_beg[beg]
            fb_v = v if beg < 0 else slot_v_beg[beg]
            ok = _join_is_no_u_turn(slot_v_beg[s], slot_v_end[s], slot_p_end[s], slot_rho[s],
                                    fb_v, v, fb_p, rho_acc, rho_acc)  # fmt: skip
            lsw = lsw_merged
            beg = s
            if not ok:
                return (False, logp, lsw, sel, logp, h, leaf_index, n_steps,
                        sum_accept, sum_accept_sym, max_error, False)  # fmt: skip
            level += 1
        if level < depth:
            # park the completed subtree until its right sibling is built
            _copy(slot_rho[level], rho_acc)
            _copy(slot_p_beg[level], p if beg < 0 else slot_p_beg[beg])
            _copy(slot_v_beg[level], v if beg < 0 else slot_v_beg[beg])
            _copy(slot_p_end[level], p)
            _copy(slot_v_end[level], v)
            slot_scalars[0, level] = lsw
            if sel < 0:
                _copy(slot_q[level], q)
                _copy(slot_grad[level], grad)
                slot_scalars[1, level] = logp
                slot_scalars[2, level] = h
                slot_index[level] = leaf_index
            else:
                _copy(slot_q[level], slot_q[sel])
                _copy(slot_grad[level], slot_grad[sel])
                slot_scalars[1, level] = slot_scalars[1, sel]
                slot_scalars[2, level] = slot_scalars[2, sel]
                slot_index[level] = slot_index[sel]

    _copy(inner_p, p if beg < 0 else slot_p_beg[beg])
    _copy(inner_v, v if beg < 0 else slot_v_beg[beg])
    if sel < 0:
        return (True, logp, lsw, sel, logp, h, leaf_index, n_steps,
                sum_accept, sum_accept_sym, max_error, False)  # fmt: skip
    return (True, logp, lsw, sel, slot_scalars[1, sel], slot_scalars[2, sel], slot_index[sel],
            n_steps, sum_accept, sum_accept_sym, max_error, False)  # fmt: skip


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
    m = idx.shape[0]
    work = np.empty((17 + 7 * max_depth, m))
    q_fwd, p_fwd, g_fwd, v_fwd = work[0], work[1], work[2], work[3]
    q_bck, p_bck, g_bck, v_bck = work[4], work[5], work[6], work[7]
    q_sample, g_sample = work[8], work[9]
    rho, rho_acc = work[10], work[11]
    old_p, old_v, new_p, new_v = work[12], work[13], work[14], work[15]
    slot_rho = work[17 : 17 + max_depth]
    slot_p_beg = work[17 + max_depth : 17 + 2 * max_depth]
    slot_v_beg = work[17 + 2 * max_depth : 17 + 3 * max_depth]
    slot_p_end = work[17 + 3 * max_depth : 17 + 4 * max_depth]
    slot_v_end = work[17 + 4 * max_depth : 17 + 5 * max_depth]
    slot_q = work[17 + 5 * max_depth : 17 + 6 * max_depth]
    slot_grad = work[17 + 6 * max_depth : 17 + 7 * max_depth]
    slot_scalars = np.empty((3, max_depth))  # log-sum-weight, proposal logp, proposal energy
    slot_index = np.empty(max_depth, dtype=np.int64)
    q_full = position.copy()
    grad_full = grad.copy()

    for k in range(m):
        q_fwd[k] = position[idx[k]]
        g_fwd[k] = grad[idx[k]]
    draw_momentum(inv_mass_chol, rng, p_fwd)
    velocity(inv_mass, p_fwd, v_fwd)
    q_bck[:] = q_fwd
    p_bck[:] = p_fwd
    g_bck[:] = g_fwd
    v_bck[:] = v_fwd
    q_sample[:] = q_fwd
    g_sample[:] = g_fwd
    rho[:] = p_fwd

    H0 = -logp + kinetic_energy(p_fwd, v_fwd)
    logp_fwd = logp
    logp_bck = logp
    logp_sample = logp
    h_sample = H0
    index_sample = 0
    log_sum_weight = 0.0
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
        if forward:
            q_end, g_end, v_end, v_out = q_fwd, g_fwd, v_fwd, v_bck
            old_p[:] = p_fwd
            old_v[:] = v_fwd
            res = _build_subtree(
                depth, 1, step_size, H0, max_energy_error, logp_fn, idx, inv_mass, rng,
                q_fwd, p_fwd, g_fwd, v_fwd, logp_fwd, n_fwd, q_full, grad_full,
                slot_rho, slot_p_beg, slot_v_beg, slot_p_end, slot_v_end, slot_q, slot_grad,
                slot_scalars, slot_index, rho_acc, new_p, new_v,
            )  # fmt: skip
            logp_fwd = res[1]
            n_fwd += res[7]
        else:
            q_end, g_end, v_end, v_out = q_bck, g_bck, v_bck, v_fwd
            old_p[:] = p_bck
            old_v[:] = v_bck
            res = _build_subtree(
                depth, -1, step_size, H0, max_energy_error, logp_fn, idx, inv_mass, rng,
                q_bck, p_bck, g_bck, v_bck, logp_bck, n_bck, q_full, grad_full,
                slot_rho, slot_p_beg, slot_v_beg, slot_p_end, slot_v_end, slot_q, slot_grad,
                slot_scalars, slot_index, rho_acc, new_p, new_v,
            )  # fmt: skip
            logp_bck = res[1]
            n_bck += res[7]
        (valid, _, lsw_sub, sel, sel_logp, sel_h, sel_index,
         sub_steps, sub_accept, sub_accept_sym, sub_max_error, sub_diverging) = res  # fmt: skip
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
        if lsw_sub > log_sum_weight or rng.random() < np.exp(lsw_sub - log_sum_weight):
            _copy(q_sample, q_end if sel < 0 else slot_q[sel])
            _copy(g_sample, g_end if sel < 0 else slot_grad[sel])
            logp_sample = sel_logp
            h_sample = sel_h
            index_sample = sel_index
        log_sum_weight = _logaddexp(log_sum_weight, lsw_sub)

        # no-U-turn over the whole trajectory and across the join of old and new parts
        ok = _join_is_no_u_turn(v_out, old_v, old_p, rho, new_v, v_end, new_p, rho_acc, rho)
        if not ok:
            break

    new_position = position.copy()
    new_grad = grad.copy()
    for k in range(m):
        new_position[idx[k]] = q_sample[k]
        new_grad[idx[k]] = g_sample[k]
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
    return new_position, logp_sample, new_grad, info
