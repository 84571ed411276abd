"""Slow, literal Python transcription of Stan's recursive NUTS transition (base_nuts.hpp).

Used only as a test oracle for the iterative Numba kernel: both consume the same NumPy Generator
stream in the same order and make the same floating-point updates of positions and momenta, so
they visit the same states. Sums (kinetic energy, criterion dot products) are taken left to right
here; the kernel lets LLVM reassociate them, so energies agree to rounding only.
``extra_checks=False`` drops the criterion checks across subtree joins (Stan before 2.21) to show
that the test can tell the difference.
"""

from __future__ import annotations

import math

import numpy as np

from credo.sampling.logp import eval_logp_grad


def _dot(a, b):
    acc = 0.0
    for x, y in zip(a, b):
        acc += x * y
    return acc


def _log_sum_exp(a, b):
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


class _Point:
    def __init__(self, q, p, g, lp):
        self.q, self.p, self.g, self.lp = q.copy(), p.copy(), g.copy(), lp

    def copy(self):
        return _Point(self.q, self.p, self.g, self.lp)


class StanNUTS:
    """Stan's ``base_nuts`` with a diagonal or dense Euclidean metric."""

    def __init__(self, logp_cfunc, inv_mass, step_size, rng, max_depth=10, max_delta=1000.0,
                 extra_checks=True):  # fmt: skip
        self.fn = logp_cfunc
        self.inv_mass = np.asarray(inv_mass, dtype=float)
        self.dense = self.inv_mass.ndim == 2
        self.chol = np.linalg.cholesky(self.inv_mass) if self.dense else np.sqrt(self.inv_mass)
        self.eps = step_size
        self.rng = rng
        self.max_depth = max_depth
        self.max_delta = max_delta
        self.extra_checks = extra_checks

    def dtau_dp(self, p):
        if not self.dense:
            return self.inv_mass * p
        return np.array([_dot(row, p) for row in self.inv_mass])

    def H(self, z):
        return -z.lp + 0.5 * _dot(z.p, self.dtau_dp(z.p))

    def sample_p(self, z):
        u = np.array([self.rng.standard_normal() for _ in range(z.q.size)])
        if not self.dense:
            z.p = u / self.chol
            return
        p = u.copy()
        for i in range(p.size - 1, -1, -1):
            acc = p[i]
            for j in range(i + 1, p.size):
                acc -= self.chol[j, i] * p[j]
            p[i] = acc / self.chol[i, i]
        z.p = p

    def evolve(self, z, eps):
        z.p = z.p + (0.5 * eps) * z.g
        z.q = z.q + eps * self.dtau_dp(z.p)
        lp, g = eval_logp_grad(self.fn, z.q)
        z.lp = lp if lp < math.inf else -math.inf
        z.g = g
        z.p = z.p + (0.5 * eps) * z.g

    def criterion(self, ps_minus, ps_plus, rho):
        return _dot(ps_plus, rho) > 0 and _dot(ps_minus, rho) > 0

    def transition(self, q, lp, g):
        """Returns ``(q, lp, g, depth, n_leapfrog, divergent, accept_prob, energy)``."""
        self.z = _Point(q, np.zeros_like(q), g, lp)
        self.sample_p(self.z)
        z_fwd = self.z.copy()
        z_bck = self.z.copy()
        z_sample = self.z.copy()
        z_propose = [self.z.copy()]
        p_sharp_fwd_fwd = self.dtau_dp(self.z.p)
        p_fwd_fwd = self.z.p.copy()
        p_fwd_bck, p_sharp_fwd_bck = p_fwd_fwd.copy(), p_sharp_fwd_fwd.copy()
        p_bck_fwd, p_sharp_bck_fwd = p_fwd_fwd.copy(), p_sharp_fwd_fwd.copy()
        p_bck_bck, p_sharp_bck_bck = p_fwd_fwd.copy(), p_sharp_fwd_fwd.copy()
        rho = self.z.p.copy()
        log_sum_weight = 0.0
        H0 = self.H(self.z)
        self.n_leapfrog = 0
        self.sum_metro_prob = 0.0
        self.divergent = False
        depth = 0
        while depth < self.max_depth:
            if self.rng.random() > 0.5:
                self.z = z_fwd.copy()
                rho_bck = rho.copy()
                p_bck_fwd, p_sharp_bck_fwd = p_fwd_fwd.copy(), p_sharp_fwd_fwd.copy()
                out = self.build_tree(depth, z_propose, H0, 1.0)
                valid, lsw_sub, rho_fwd, p_sharp_fwd_bck, p_sharp_fwd_fwd, p_fwd_bck, p_fwd_fwd = out
                z_fwd = self.z.copy()
            else:
                self.z = z_bck.copy()
                rho_fwd = rho.copy()
                p_fwd_bck, p_sharp_fwd_bck = p_bck_bck.copy(), p_sharp_bck_bck.copy()
                out = self.build_tree(depth, z_propose, H0, -1.0)
                valid, lsw_sub, rho_bck, p_sharp_bck_fwd, p_sharp_bck_bck, p_bck_fwd, p_bck_bck = out
                z_bck = self.z.copy()
            if not valid:
                break
            depth += 1
            if lsw_sub > log_sum_weight:
                z_sample = z_propose[0].copy()
            elif self.rng.random() < math.exp(lsw_sub - log_sum_weight):
                z_sample = z_propose[0].copy()
            log_sum_weight = _log_sum_exp(log_sum_weight, lsw_sub)
            rho = rho_bck + rho_fwd
            persist = self.criterion(p_sharp_bck_bck, p_sharp_fwd_fwd, rho)
            if self.extra_checks:
                persist &= self.criterion(p_sharp_bck_bck, p_sharp_fwd_bck, rho_bck + p_fwd_bck)
                persist &= self.criterion(p_sharp_bck_fwd, p_sharp_fwd_fwd, rho_fwd + p_bck_fwd)
            if not persist:
                break
        accept = self.sum_metro_prob / self.n_leapfrog
        energy = self.H(z_sample)
        return (z_sample.q, z_sample.lp, z_sample.g, depth, self.n_leapfrog, self.divergent,
                accept, energy)  # fmt: skip

    def build_tree(self, depth, z_propose, H0, sign):
        """Returns ``(valid, log_sum_weight, rho, p_sharp_beg, p_sharp_end, p_beg, p_end)``;
        ``z_propose[0]`` receives the subtree's proposal."""
        if depth == 0:
            self.evolve(self.z, sign * self.eps)
            self.n_leapfrog += 1
            h = self.H(self.z)
            if math.isnan(h):
                h = math.inf
            if h - H0 > self.max_delta:
                self.divergent = True
            lsw = _log_sum_exp(-math.inf, H0 - h)
            self.sum_metro_prob += 1.0 if H0 - h > 0 else math.exp(H0 - h)
            z_propose[0] = self.z.copy()
            p_sharp = self.dtau_dp(self.z.p)
            rho = np.zeros_like(self.z.p) + self.z.p
            return (not self.divergent, lsw, rho, p_sharp, p_sharp.copy(), self.z.p.copy(),
                    self.z.p.copy())  # fmt: skip
        init = self.build_tree(depth - 1, z_propose, H0, sign)
        valid, lsw_init, rho_init, p_sharp_beg, p_sharp_init_end, p_beg, p_init_end = init
        if not valid:
            return (False, lsw_init, rho_init, p_sharp_beg, p_sharp_init_end, p_beg, p_init_end)
        z_propose_final = [self.z.copy()]
        final = self.build_tree(depth - 1, z_propose_final, H0, sign)
        valid, lsw_final, rho_final, p_sharp_final_beg, p_sharp_end, p_final_beg, p_end = final
        if not valid:
            return (False, lsw_final, rho_final, p_sharp_beg, p_sharp_end, p_beg, p_end)
        lsw_subtree = _log_sum_exp(lsw_init, lsw_final)
        if lsw_final > lsw_subtree:
            z_propose[0] = z_propose_final[0]
        elif self.rng.random() < math.exp(lsw_final - lsw_subtree):
            z_propose[0] = z_propose_final[0]
        rho_subtree = rho_init + rho_final
        persist = self.criterion(p_sharp_beg, p_sharp_end, rho_subtree)
        if self.extra_checks:
            persist &= self.criterion(p_sharp_beg, p_sharp_final_beg, rho_init + p_final_beg)
            persist &= self.criterion(p_sharp_init_end, p_sharp_end, rho_final + p_init_end)
        return (persist, lsw_subtree, rho_subtree, p_sharp_beg, p_sharp_end, p_beg, p_end)
