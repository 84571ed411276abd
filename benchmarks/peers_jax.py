"""JAX reference for ``logp_gradient.py``: per-call time of a jitted ``jax.value_and_grad``.

Runs in the peers venv (``.venv-peers``, see README.md), never in credo's. The log-densities are the
same functions of the same flat unconstrained vector as credo's compiled ones (same variable order,
log transforms and Jacobians), so the printed logp values must agree with credo's.

Usage: ``.venv-peers/bin/python benchmarks/peers_jax.py MODEL X_NPY N_REPEATS`` prints one JSON line
``{"logp": ..., "grad": [...], "us_per_call_loop": ..., "us_per_call_python": ...}``:
``loop`` is the time per call inside one jitted ``lax.fori_loop`` (how NumPyro's NUTS calls it, no
Python dispatch) that feeds the gradient back, ``x = x0 + 1e-12 * grad``, like credo's loops in
``logp_gradient.py``; ``python`` is one call of the jitted function from Python (dispatch included).
Both are minima over N_REPEATS batches of calls lasting about 2 ms each.
"""

import json
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.scipy.special import gammaln  # noqa: E402

DATA = Path(__file__).parent / "data"


def normal_lpdf(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - jnp.log(sigma) - 0.5 * jnp.log(2 * jnp.pi)


def eight_schools_nc():
    y = jnp.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    sigma = jnp.array([15.0, 10, 16, 11, 9, 11, 10, 18])

    def logp(x):
        mu, log_tau, theta_tilde = x[0], x[1], x[2:]
        tau = jnp.exp(log_tau)
        lp_tau = jnp.log(2.0) - jnp.log(jnp.pi * 5.0) - jnp.log1p((tau / 5.0) ** 2) + log_tau
        theta = mu + tau * theta_tilde
        return (
            normal_lpdf(mu, 0.0, 5.0) + lp_tau + normal_lpdf(theta_tilde, 0.0, 1.0).sum()
            + normal_lpdf(y, theta, sigma).sum()
        )

    return logp, 10


def logistic_n5000_d25():
    data = np.load(DATA / "logistic_n5000_d25.npz")
    X, y = jnp.asarray(data["X"]), jnp.asarray(data["y"], dtype=jnp.float64)

    def logp(x):
        alpha, beta = x[0], x[1:]
        eta = alpha + X @ beta
        return (
            normal_lpdf(alpha, 0.0, 2.5) + normal_lpdf(beta, 0.0, 2.5).sum()
            + jnp.sum(y * eta - jax.nn.softplus(eta))
        )

    return logp, 26


def stochastic_volatility():
    r = jnp.asarray(np.loadtxt(DATA / "sp500_returns_1000.csv", delimiter=",", skiprows=1, usecols=1))

    def logp(x):
        log_sigma, log_nu, s = x[0], x[1], x[2:]
        sigma, nu = jnp.exp(log_sigma), jnp.exp(log_nu)
        lp = jnp.log(10.0) - 10.0 * sigma + log_sigma + jnp.log(0.1) - 0.1 * nu + log_nu
        lp += normal_lpdf(s[0], 0.0, 1.0) + normal_lpdf(jnp.diff(s), 0.0, sigma).sum()
        z = r * jnp.exp(-s)
        lp_t = (
            gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * jnp.log(nu * jnp.pi) - s
            - (nu + 1) / 2 * jnp.log1p(z**2 / nu)
        )
        return lp + lp_t.sum()

    return logp, 1002


MODELS = {f.__name__: f for f in (eight_schools_nc, logistic_n5000_d25, stochastic_volatility)}


BATCH_SECONDS = 2e-3


def best_us_per_call(runs: dict, n_repeats: int) -> dict[str, float]:
    """Minimum over ``n_repeats`` interleaved batches (~2 ms) of each ``runs[key](n_calls)``, in us/call."""
    n_calls = {}
    for key, run in runs.items():
        run(10)
        t = time.perf_counter()
        run(10)
        n_calls[key] = int(np.clip(BATCH_SECONDS / max((time.perf_counter() - t) / 10, 1e-9), 1, 100_000))
    best = dict.fromkeys(runs, np.inf)
    for _ in range(n_repeats):
        for key, run in runs.items():
            t = time.perf_counter()
            run(n_calls[key])
            best[key] = min(best[key], (time.perf_counter() - t) / n_calls[key])
    return {key: value * 1e6 for key, value in best.items()}


def main(name: str, x_path: str, n_repeats: int) -> None:
    logp, ndim = MODELS[name]()
    x0 = jnp.asarray(np.load(x_path))
    assert x0.shape == (ndim,), (x0.shape, ndim)
    value_and_grad = jax.jit(jax.value_and_grad(logp))

    @jax.jit
    def loop(x0, n):
        # feed the gradient back, as a leapfrog step does: no call can be hoisted, skipped or
        # overlapped, and no gradient component can be dropped as unused
        def body(_, carry):
            acc, x = carry
            lp, g = value_and_grad(x)
            return acc + lp, x0 + 1e-12 * g

        return jax.lax.fori_loop(0, n, body, (0.0, x0))[0]

    lp, g = value_and_grad(x0)
    runs = {
        "us_per_call_loop": lambda n: loop(x0, n).block_until_ready(),
        "us_per_call_python": lambda n: [value_and_grad(x0)[1].block_until_ready() for _ in range(n)],
    }
    print(json.dumps({
        "logp": float(lp), "grad": np.asarray(g).tolist(), **best_us_per_call(runs, n_repeats),
        "jax": jax.__version__,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
