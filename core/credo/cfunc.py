"""The C signatures of a model's log-density functions, shared by the model compiler
(`credo.model.compile`) and the samplers (`credo.sampling.logp`).

Numba types only: the sampler kernels can be compiled without importing PyTensor
(`credo.sampling.background`).
"""

from __future__ import annotations

from numba import types

__all__ = ["LOGP_DLOGP_SIGNATURE", "LOGP_ONLY_SIGNATURE"]

# double logp(const double *x, double *grad, intp n): writes the gradient, returns the log-density
LOGP_DLOGP_SIGNATURE = types.float64(types.CPointer(types.float64), types.CPointer(types.float64), types.intp)
# double logp(const double *x, intp n)
LOGP_ONLY_SIGNATURE = types.float64(types.CPointer(types.float64), types.intp)
