"""Maximum a posteriori estimation (``cr.find_MAP``)."""

from __future__ import annotations

import numpy as np
from scipy import optimize

from credo.exceptions import SamplingError
from credo.model.compile import compile_logp_dlogp, compile_point_fn
from credo.model.core import Model, modelcontext

__all__ = ["find_MAP"]


def find_MAP(
    start: dict | None = None,
    model: Model | None = None,
    maxeval: int = 5000,
    return_raw: bool = False,
    include_transformed: bool = False,
):
    """Find the posterior mode with L-BFGS-B on the unconstrained space.

    The objective is the log-density without transform Jacobians, so the result is the mode of the
    posterior on the constrained space, as in PyMC.

    Parameters
    ----------
    start : dict, optional
        Starting point by value-variable name (default `Model.initial_point`).
    maxeval : int
        Maximum number of function evaluations.
    return_raw : bool
        Also return the `scipy.optimize.OptimizeResult`.
    include_transformed : bool
        Also report the unconstrained values (``tau_log__`` ...).

    Returns
    -------
    dict
        Values of free variables (constrained) and deterministics at the mode, by name.

    Raises
    ------
    SamplingError
        If the starting point has non-finite log-density (the message names the variables).

    References
    ----------
    Byrd, Lu, Nocedal & Zhu (1995), SIAM J. Sci. Comput. 16, 1190 (L-BFGS-B, via SciPy).
    """
    model = modelcontext(model)
    point = model.initial_point() if start is None else {**model.initial_point(), **start}
    model.check_start_vals(point)
    compiled = compile_logp_dlogp(model, jacobian=False)
    x0 = compiled.ravel_map.ravel(point)
    if compiled.ravel_map.discrete.any():
        names = [f.name for f in model.free_rvs if f.discrete]
        raise ValueError(f"find_MAP cannot optimise discrete variables {names}")

    def objective(x):
        logp, grad = compiled(x)
        if not np.isfinite(logp):
            return np.inf, np.zeros_like(x)
        return -logp, -grad

    result = optimize.minimize(
        objective, x0, jac=True, method="L-BFGS-B", options={"maxfun": maxeval, "maxiter": maxeval}
    )
    if not np.all(np.isfinite(result.x)):
        raise SamplingError(f"find_MAP diverged: {result.message}")
    values = compile_point_fn(model)(result.x)
    if include_transformed:
        values.update(compiled.ravel_map.unravel(result.x.copy()))
    return (values, result) if return_raw else values
