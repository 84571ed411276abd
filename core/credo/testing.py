"""Reusable checks for distributions and transforms (used by credo's tests and by plugins for theirs).

`check_distribution` compiles a distribution's log-density once per parameter structure, with the
float parameters as inputs, and checks it against a reference (usually ``scipy.stats``): values at
valid points, -inf outside the support, gradients against finite differences, forward draws against
the reference CDF (Kolmogorov-Smirnov or chi-square test at a fixed seed), the logp at the support
point, and the default transform (`check_transform`). Every failure raises `AssertionError` naming the
distribution, its parameters, the point and both values.

Examples
--------
>>> import credo as cr
>>> from scipy import stats
>>> from credo.testing import check_distribution
>>> check_distribution(
...     cr.Normal, {"mu": 1.0, "sigma": 2.0},
...     reference_logp=lambda v, mu, sigma: stats.norm(mu, sigma).logpdf(v),
...     reference_logcdf=lambda v, mu, sigma: stats.norm(mu, sigma).logcdf(v),
... )
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytensor
import pytensor.tensor as pt
from scipy import stats

from credo.distributions.base import dist_info
from credo.distributions.transforms import Transform
from credo.exceptions import ParameterValueError

__all__ = ["check_distribution", "check_transform", "finite_difference"]


def finite_difference(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, step: np.ndarray):
    """Directional derivative ``d/dt fn(x + t step)`` at ``t = 0``, error O(|step|**4).

    Central differences at ``t = +-1`` and ``t = +-1/2`` combined by one Richardson extrapolation.

    Parameters
    ----------
    fn : callable
        ``fn(x) -> ndarray``.
    x : ndarray
        Point.
    step : ndarray, shape of ``x``
        Perturbation; divide the result by its length to get a partial derivative.

    Returns
    -------
    ndarray
        Shape of ``fn(x)``.
    """
    with np.errstate(invalid="ignore"):  # inf - inf where a step leaves the support: NaN, skipped
        half = np.asarray(fn(x + step / 2.0)) - np.asarray(fn(x - step / 2.0))
        full = (np.asarray(fn(x + step)) - np.asarray(fn(x - step))) / 2.0
        return (4.0 * half - full) / 3.0


def _fmt(params: dict) -> str:
    def one(v):
        if isinstance(v, np.ndarray | list | tuple | float | int | np.number):
            return np.array2string(np.asarray(v), precision=4, separator=", ", threshold=12)
        if hasattr(v, "tag") and getattr(v.tag, "credo_dist", None) is not None:
            return f"{v.tag.credo_dist.cls.__name__}.dist(...)"
        return repr(v)

    return ", ".join(f"{k}={one(v)}" for k, v in params.items())


def _point(x) -> str:
    return np.array2string(np.asarray(x), precision=6, separator=", ", threshold=20)


def _is_symbolic_param(value) -> bool:
    if isinstance(value, bool) or value is None or hasattr(value, "owner"):
        return False
    try:
        arr = np.asarray(value)
    except Exception:
        return False
    return arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr)))


@dataclass
class _Graph:
    """A distribution built on symbolic float parameters, with its functions compiled on demand."""

    dist_cls: type
    inputs: list  # symbolic float parameters
    names: list[str]
    rv: Any
    value: Any
    logp: Any
    cache: dict
    mode: str = "FAST_COMPILE"

    def param_values(self, params: dict) -> list[np.ndarray]:
        return [np.asarray(params[n], dtype="float64") for n in self.names]

    def function(self, key: str, build: Callable[[], tuple[list, list]]):
        if key not in self.cache:
            extra, outputs = build()
            self.cache[key] = pytensor.function(
                [*extra, *self.inputs], outputs, mode=self.mode, on_unused_input="ignore"
            )
        return self.cache[key]


def _build_graph(dist_cls, params: dict, mode: str) -> _Graph:
    inputs, names, call = [], [], {}
    for name, value in params.items():
        if _is_symbolic_param(value):
            arr = np.asarray(value, dtype="float64")
            var = pt.tensor(name=name, dtype="float64", shape=arr.shape)
            inputs.append(var)
            names.append(name)
            call[name] = var
        else:
            call[name] = value
    rv = dist_cls.dist(**call)
    value = pt.tensor(name="value", dtype=rv.dtype, shape=(None, *[None] * rv.type.ndim))
    logp = dist_info(rv).logp(value)
    return _Graph(dist_cls, inputs, names, rv, value, logp, {"call": call}, mode)


def _signature(params: dict):
    sig = []
    for name, value in params.items():
        if _is_symbolic_param(value):
            sig.append((name, "float", np.shape(value)))
        else:
            sig.append((name, "const", id(value) if hasattr(value, "owner") else repr(value)))
    return tuple(sig)


class _Checker:
    """State of one `check_distribution` call for one parameter set."""

    def __init__(self, graph: _Graph, params: dict, seed: int):
        self.g = graph
        self.params = params
        self.pvals = graph.param_values(params)
        self.label = f"{graph.dist_cls.__name__}({_fmt(params)})"
        self.info = dist_info(graph.rv)
        self.rng = np.random.default_rng(seed)
        shape_fn = graph.function("shape", lambda: ([], [graph.rv.shape]))
        self.shape = tuple(int(d) for d in shape_fn(*self.pvals)[0])
        self.ndim_supp = self.info.cls.ndim_supp
        self.batch = self.shape[: len(self.shape) - self.ndim_supp]
        self.discrete = graph.rv.dtype.startswith("int")

    def fail(self, what: str) -> None:
        raise AssertionError(f"{self.label}: {what}")

    # -- log-density ---------------------------------------------------------------------------------
    def logp_fn(self):
        return self.g.function("logp", lambda: ([self.g.value], [self.g.logp]))

    def logp_at(self, points: np.ndarray) -> np.ndarray:
        (out,) = self.logp_fn()(points, *self.pvals)
        return np.broadcast_to(out, (points.shape[0], *self.batch))

    def check_logp(self, points, reference, rtol, atol) -> np.ndarray:
        try:
            got = self.logp_at(points)
        except Exception as err:
            self.fail(f"logp raised {type(err).__name__}: {err}")
        if reference is None:
            return got
        want = np.broadcast_to(np.asarray(reference(points, **self.params), dtype=float), got.shape)
        self._compare("logp", points, got, want, rtol, atol)
        return got

    def _compare(self, what, points, got, want, rtol, atol) -> None:
        bad = ~np.isclose(got, want, rtol=rtol, atol=atol) | (np.isnan(got) != np.isnan(want))
        if bad.any():
            i = np.argwhere(bad)[0]
            self.fail(
                f"{what} at value={_point(points[i[0]])} (batch index {tuple(i[1:])}) is"
                f" {float(got[tuple(i)])!r}, reference {float(want[tuple(i)])!r} (rtol={rtol}, atol={atol};"
                f" {int(bad.sum())} of {bad.size} differ)"
            )

    def check_logcdf(self, points, reference, rtol, atol) -> None:
        def build():
            return [self.g.value], [dist_info(self.g.rv).logcdf(self.g.value)]

        try:
            (got,) = self.g.function("logcdf", build)(points, *self.pvals)
        except Exception as err:
            self.fail(f"logcdf raised {type(err).__name__}: {err}")
        got = np.broadcast_to(got, (points.shape[0], *self.batch))
        want = np.broadcast_to(np.asarray(reference(points, **self.params), dtype=float), got.shape)
        self._compare("logcdf", points, got, want, rtol, atol)

    def check_outside(self, outside) -> None:
        for v in outside:
            arr = np.broadcast_to(np.asarray(v), (1, *self.shape)).astype(self.g.rv.dtype)
            if np.asarray(v).dtype.kind == "f" and self.discrete and not np.all(arr == np.asarray(v)):
                raise ValueError(f"outside value {v!r} is not an integer but {self.label} is discrete")
            try:
                got = self.logp_at(arr)
            except Exception as err:
                self.fail(f"logp at value={_point(v)} outside the support raised {type(err).__name__}: {err}")
            if not np.all(np.isneginf(got)):
                self.fail(f"logp at value={_point(v)} outside the support is {_point(got)}, expected -inf")

    def check_support_point(self) -> None:
        def build():
            return [], [pt.broadcast_to(self.info.support_point(self.g.rv), self.g.rv.shape)]

        (sp,) = self.g.function("support_point", build)(*self.pvals)
        lp = self.logp_at(np.asarray(sp)[None])
        if not np.all(np.isfinite(lp)):
            self.fail(f"logp at the support point {_point(sp)} is {_point(lp)}, expected finite")

    # -- gradients ---------------------------------------------------------------------------------------
    def check_gradient(self, points, rtol) -> None:
        lp = self.logp_at(points)
        ok = np.all(np.isfinite(lp.reshape(len(points), -1)), axis=1)
        points = points[ok]
        if not len(points):
            return
        wrt = ([self.g.value] if not self.discrete else []) + list(self.g.inputs)
        if not wrt:
            return

        def build():
            total = pt.sum(self.g.logp)
            return [self.g.value], pytensor.grad(total, wrt, disconnected_inputs="ignore")

        grads = self.g.function("grad", build)(points, *self.pvals)
        if not self.discrete:
            self._check_value_gradient(points, np.asarray(grads[0]), rtol)
            grads = grads[1:]
        for name, pval, grad in zip(self.g.names, self.pvals, grads):
            self._check_param_gradient(points, name, pval, np.asarray(grad), rtol)

    def _logp_sum_per_point(self, points, pvals=None) -> np.ndarray:
        pvals = self.pvals if pvals is None else pvals
        (out,) = self.logp_fn()(points, *pvals)
        out = np.broadcast_to(out, (points.shape[0], *self.batch))
        return out.reshape(len(points), -1).sum(axis=1)

    def _check_value_gradient(self, points, grad, rtol) -> None:
        flat = points.reshape(len(points), -1)
        grad = np.broadcast_to(grad, points.shape).reshape(len(points), -1)
        for j in range(flat.shape[1]):
            # the same coordinate of every point at once: points are independent terms of the sum
            h = 1e-5 * np.maximum(np.abs(flat[:, j]), 1e-2)
            step = np.zeros_like(flat)
            step[:, j] = h
            fd = (
                finite_difference(lambda x: self._logp_sum_per_point(x.reshape(points.shape)), flat, step) / h
            )
            bad = np.isfinite(fd) & ~np.isclose(grad[:, j], fd, rtol=rtol, atol=rtol)
            if bad.any():
                i = int(np.argwhere(bad)[0, 0])
                self.fail(
                    f"d logp / d value[{j}] at value={_point(points[i])} is {float(grad[i, j])!r},"
                    f" finite differences give {float(fd[i])!r} (rtol={rtol})"
                )

    def _check_param_gradient(self, points, name, pval, grad, rtol) -> None:
        index = self.g.names.index(name)
        for j in range(max(pval.size, 1)):

            def total(x, j=j):
                pv = list(self.pvals)
                pv[index] = x
                try:
                    return np.sum(self._logp_sum_per_point(points, pv))
                except ParameterValueError:  # the step left the parameter domain: not comparable
                    return np.nan

            step = np.zeros_like(pval, dtype=float)
            h = 1e-5 * max(abs(float(pval.flat[j])), 1e-2)
            step.flat[j] = h
            fd = finite_difference(total, pval, step) / h
            got = float(np.asarray(grad).flat[j])
            if np.isfinite(fd) and not np.isclose(got, fd, rtol=rtol, atol=rtol):
                self.fail(
                    f"d sum(logp) / d {name}[{j}] over values {_point(points.ravel()[:6])}... is"
                    f" {got!r}, finite differences give {float(fd)!r} (rtol={rtol})"
                )

    # -- forward sampling ------------------------------------------------------------------------------
    def draws(self, n: int, seed: int) -> np.ndarray:
        from credo.sampling.forward import compile_forward

        key = f"draws{n}"
        if key not in self.g.cache:
            rv = self.g.dist_cls.dist(**self.g.cache["call"], size=(n, *self.batch))
            self.g.cache[key] = compile_forward(self.g.inputs, [rv], random_seed=seed)
        (out,) = self.g.cache[key](*self.pvals)
        out = np.asarray(out)
        if out.shape != (n, *self.shape):
            self.fail(f"forward draws with size={(n, *self.batch)} have shape {out.shape}")
        return out

    def check_random(self, draws, cdf, p_min) -> None:
        lp = self.logp_at(draws)
        if not np.all(np.isfinite(lp)):
            i = int(np.argwhere(~np.isfinite(lp.reshape(len(draws), -1)))[0, 0])
            self.fail(f"forward draw {_point(draws[i])} has logp {_point(lp[i])}, expected finite")
        if cdf is None:
            return
        flat = draws.reshape(len(draws), -1)
        m = flat.shape[1]
        for j in range(m):
            if self.discrete:
                p = self._chi_square(draws, j, cdf)
            else:
                u = np.asarray(cdf(draws, **self.params), dtype=float).reshape(len(draws), -1)[:, j]
                p = 1.0 if np.all(np.isnan(u)) else stats.kstest(u, "uniform").pvalue
            if p < p_min / m:
                self.fail(
                    f"forward draws of coordinate {j} do not follow the reference distribution"
                    f" ({'chi-square' if self.discrete else 'Kolmogorov-Smirnov'} p-value {p:.2e}"
                    f" < {p_min / m:.1e}; draws mean {flat[:, j].mean():.4g}, sd {flat[:, j].std():.4g})"
                )

    def _chi_square(self, draws, j, cdf) -> float:
        col = draws.reshape(len(draws), -1)[:, j]
        lo, hi = int(col.min()), int(col.max())
        grid = np.arange(lo - 1, hi + 1)
        full = np.broadcast_to(grid.reshape(-1, *[1] * len(self.shape)), (len(grid), *self.shape))
        f = np.asarray(cdf(full, **self.params), dtype=float).reshape(len(grid), -1)[:, j]
        if np.all(np.isnan(f)):
            return 1.0
        probs = np.diff(f)
        probs[0] += f[0]  # P(X < lo) joins the first bin, P(X > hi) the last
        probs[-1] += 1.0 - f[-1]
        observed = np.bincount(col - lo, minlength=hi - lo + 1).astype(float)
        expected = probs * len(col)
        obs_b, exp_b, acc_o, acc_e = [], [], 0.0, 0.0
        for o, e in zip(observed, expected):
            acc_o, acc_e = acc_o + o, acc_e + e
            if acc_e >= 5.0:
                obs_b.append(acc_o)
                exp_b.append(acc_e)
                acc_o = acc_e = 0.0
        if exp_b:
            obs_b[-1] += acc_o
            exp_b[-1] += acc_e
        if len(exp_b) < 2:
            return 1.0
        exp_b = np.array(exp_b) * np.sum(obs_b) / np.sum(exp_b)
        return float(stats.chisquare(obs_b, exp_b).pvalue)

    # -- transform -------------------------------------------------------------------------------------
    def check_transform(self, points, rtol) -> None:
        transform = self.info.get_transform()
        if transform is None:
            return
        lp = self.logp_at(points).reshape(len(points), -1)
        points = points[np.all(np.isfinite(lp), axis=1)]
        _check_transform(
            transform, points, self.g.inputs, self.pvals, rtol, self.label, self.g.cache, self.g.mode
        )


def _check_transform(transform, values, inputs, input_values, rtol, label, cache, mode="FAST_COMPILE"):
    values = np.asarray(values, dtype="float64")
    shape = values.shape[1:]
    ushape = tuple(transform.unconstrained_shape(shape))
    if "transform" not in cache:
        x = pt.tensor("x", dtype="float64", shape=(None, *shape))
        y = pt.tensor("y", dtype="float64", shape=(None, *ushape))
        cache["transform"] = (
            pytensor.function([x, *inputs], transform.forward(x), mode=mode, on_unused_input="ignore"),
            pytensor.function(
                [y, *inputs],
                [transform.backward(y), transform.log_jac_det(y)],
                mode=mode,
                on_unused_input="ignore",
            ),
        )
    forward, backward = cache["transform"]
    name = f"{label}: transform {transform.name!r}"
    y = np.asarray(forward(values, *input_values))
    if y.shape[1:] != ushape:
        raise AssertionError(f"{name}: forward gives shape {y.shape[1:]}, unconstrained_shape says {ushape}")
    back, ljd = backward(y, *input_values)
    bad = ~np.isclose(back, values, rtol=rtol, atol=rtol)
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise AssertionError(
            f"{name}: backward(forward(x)) = {_point(back[i])} differs from x = {_point(values[i])}"
        )
    ljd = np.asarray(ljd).reshape(len(values), -1).sum(axis=1)
    free = transform.free_index(shape)
    yflat = y.reshape(len(y), -1)
    jac = np.empty((len(y), len(free), yflat.shape[1]))
    for j in range(yflat.shape[1]):
        h = 1e-3 * np.maximum(np.abs(yflat[:, j]), 1e-1)
        step = np.zeros_like(yflat)
        step[:, j] = h
        d = finite_difference(
            lambda u: backward(u.reshape(y.shape), *input_values)[0].reshape(len(y), -1), yflat, step
        )
        jac[:, :, j] = d[:, free] / h[:, None]
    _, logdet = np.linalg.slogdet(jac)
    bad = ~np.isclose(ljd, logdet, rtol=max(rtol, 1e-6), atol=max(rtol, 1e-6))
    if bad.any():
        i = int(np.argwhere(bad)[0][0])
        raise AssertionError(
            f"{name}: log_jac_det at y={_point(y[i])} (x={_point(values[i])}) is {float(ljd[i])!r},"
            f" the numerical log|det J| is {float(logdet[i])!r}"
        )


def check_transform(transform: Transform, values, *, rtol: float = 1e-7, mode: str = "FAST_COMPILE") -> None:
    """Check that a transform round-trips and that its log-Jacobian matches a numerical Jacobian.

    Parameters
    ----------
    transform : Transform
        The transform (its parameters, e.g. interval bounds, must be constants).
    values : array_like of float, shape (n, *value_shape)
        ``n`` points of the constrained space (e.g. simplex vectors along the last axis).
    rtol : float
        Tolerance of the round trip; the log-Jacobian is compared to ``max(rtol, 1e-6)``.
    mode : str
        PyTensor compilation mode (``"NUMBA"`` checks the compiled path samplers use).

    Raises
    ------
    AssertionError
        If ``backward(forward(x)) != x``, the unconstrained shape is wrong, or ``log_jac_det(y)``
        differs from ``log |det d backward / d y|`` (central differences with Richardson
        extrapolation, over the coordinates ``transform.free_index``).
    """
    _check_transform(transform, values, [], [], rtol, type(transform).__name__, {}, mode)


def _domain_points(domain, rng, n, shape, discrete, params):
    if callable(domain):
        return np.asarray(domain(rng, n, **params))
    lo, hi = domain
    size = (n, *shape)
    if discrete:
        hi = lo + 30 if np.isinf(hi) else hi
        lo = hi - 30 if np.isinf(lo) else lo
        return rng.integers(int(lo), int(hi) + 1, size=size)
    if np.isfinite(lo) and np.isfinite(hi):
        return rng.uniform(lo, hi, size=size)
    if np.isfinite(lo):
        return lo + rng.exponential(2.0, size=size)
    if np.isfinite(hi):
        return hi - rng.exponential(2.0, size=size)
    return rng.normal(0.0, 3.0, size=size)


def check_distribution(
    dist_cls: type,
    params: dict | Sequence[dict],
    reference_logp: Callable | None = None,
    reference_logcdf: Callable | None = None,
    reference_cdf_for_random: Callable | None = None,
    *,
    domain: tuple[float, float] | Callable | None = None,
    outside: Sequence = (),
    n_points: int = 20,
    rtol: float = 1e-8,
    atol: float | None = None,
    grad_rtol: float = 1e-5,
    n_draws: int = 2000,
    p_min: float = 1e-3,
    seed: int = 0,
    check_random: bool = True,
    check_gradient: bool = True,
    check_transform: bool = True,
    mode: str = "FAST_COMPILE",
) -> None:
    """Check a distribution against reference implementations for one or several parameter sets.

    Parameters
    ----------
    dist_cls : type
        A credo distribution class; built as ``dist_cls.dist(**params)``.
    params : dict or list of dict
        Keyword arguments of ``dist_cls.dist``. Finite float values (numbers, arrays) become inputs of
        one compiled function per parameter structure, and are the parameters the gradient is checked
        for; anything else (ints, ``cr.X.dist(...)`` components, None) is passed as is.
    reference_logp : callable, optional
        ``reference_logp(value, **params) -> array``, e.g.
        ``lambda v, mu, sigma: scipy.stats.norm(mu, sigma).logpdf(v)``. ``value`` has shape
        ``(n, *shape)`` (``shape`` of the distribution); the result broadcasts to ``(n, *batch_shape)``.
    reference_logcdf : callable, optional
        Same signature, the log CDF; checks ``cr.logcdf``.
    reference_cdf_for_random : callable, optional
        ``cdf(value, **params)`` of each coordinate's marginal, same shape as ``value``; forward draws
        of each coordinate are tested against it (Kolmogorov-Smirnov for continuous, chi-square for
        discrete distributions); coordinates where it returns NaN are not tested. Defaults to
        ``exp(reference_logcdf)``.
    domain : (lower, upper) or callable, optional
        Where to evaluate the log-density: an interval (uniform points; exponential tails from a
        finite end of a half-line; integers for discrete distributions) or ``domain(rng, n, **params)``
        returning ``n`` values of the distribution's shape. Default: ``n_points`` forward draws.
    outside : sequence of values
        Values outside the support (broadcast to the distribution's shape) where logp must be -inf.
    n_points : int
        Number of evaluation points.
    rtol, atol : float
        Tolerance of logp and logcdf against the references (``atol`` defaults to ``rtol``).
    grad_rtol : float
        Relative and absolute tolerance of gradients against finite differences.
    n_draws : int
        Number of forward draws for the random check.
    p_min : float
        The random check fails below this p-value (divided by the number of coordinates).
    seed : int
        Seed of every random choice (points and draws): the check is deterministic.
    check_random, check_gradient, check_transform : bool
        Switch off parts of the check (e.g. ``check_random`` for a distribution that cannot be sampled
        forward; improper distributions skip it automatically).
    mode : str
        PyTensor compilation mode of the log-density, gradient and transform functions:
        ``"FAST_COMPILE"`` (quick to build) or ``"NUMBA"`` (the compiled path samplers use; slower to
        build). Forward draws always use `credo.sampling.forward.compile_forward`.

    Raises
    ------
    AssertionError
        On the first failed check, naming the distribution, its parameters, the point and both values.

    Notes
    -----
    Also checks for every parameter set that logp is finite at ``support_point``, and that forward
    draws have finite logp. Gradients are compared with central differences with one Richardson
    extrapolation; points where the finite differences leave the support are skipped.
    """
    param_sets = [params] if isinstance(params, dict) else list(params)
    atol = rtol if atol is None else atol
    graphs: dict = {}
    for k, p in enumerate(param_sets):
        sig = _signature(p)
        if sig not in graphs:
            graphs[sig] = _build_graph(dist_cls, p, mode)
        checker = _Checker(graphs[sig], p, seed + k)
        can_draw = check_random and not dist_cls.improper
        if domain is None:
            if not can_draw:
                raise ValueError(
                    f"check_distribution: {dist_cls.__name__} cannot be sampled forward here; give domain="
                )
            points = checker.draws(n_points, seed + k)
        else:
            points = _domain_points(domain, checker.rng, n_points, checker.shape, checker.discrete, p)
        points = np.asarray(points).astype(graphs[sig].rv.dtype)
        checker.check_logp(points, reference_logp, rtol, atol)
        if reference_logcdf is not None:
            checker.check_logcdf(points, reference_logcdf, rtol, atol)
        checker.check_outside(outside)
        checker.check_support_point()
        if check_gradient:
            checker.check_gradient(points, grad_rtol)
        if check_transform and not checker.discrete:
            checker.check_transform(points, max(rtol, 1e-7))
        if can_draw:
            cdf = reference_cdf_for_random
            if cdf is None and reference_logcdf is not None:
                cdf = lambda v, **kw: np.exp(reference_logcdf(v, **kw))  # noqa: E731
            checker.check_random(checker.draws(n_draws, seed + 1000 + k), cdf, p_min)
