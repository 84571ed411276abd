"""Throw-away plugins registered directly with the manager by the tests in this folder.

`alpha` contributes a distribution, `beta` a deterministic function, a data set and an example, so
tests can show that components of two plugins compose in one model. The others are malformed on
purpose, one fault each.
"""

import numpy as np
import pytensor.tensor as pt
from pytensor.tensor.random import basic as rb

from credo.citations import cite
from credo.distributions.base import Continuous, as_param, check_parameters
from credo.plugins import DatasetSpec, DistributionSpec, ExampleSpec, FunctionSpec, hookimpl

ALPHA_BIB = "@misc{alpha2020,\n  author = {Alpha, A.},\n  title = {Laplace priors},\n  year = {2020}\n}"
BETA_BIB = "@misc{beta2021,\n  author = {Beta, B.},\n  title = {Straight lines},\n  year = {2021}\n}"


class Laplace(Continuous):
    """Laplace (double-exponential) distribution.

    Parameters
    ----------
    mu : tensor_like of float
        Location.
    b : tensor_like of float, > 0
        Scale.
    """

    rv_op = rb.laplace
    cite = ("alpha2020",)

    @classmethod
    def dist(cls, mu=0.0, b=1.0, **kwargs):
        return cls._make([as_param(mu), as_param(b)], **kwargs)

    @staticmethod
    def logp(value, mu, b):
        res = -pt.log(2 * b) - pt.abs(value - mu) / b
        return check_parameters(res, b > 0, msg="b > 0")

    @classmethod
    def support_point(cls, rv, mu, b):
        return pt.broadcast_to(mu, rv.shape)


def line(t, intercept, slope):
    """Straight line intercept + slope * t."""
    cite("beta2021")
    return intercept + slope * pt.as_tensor_variable(t)


def load_points():
    """Five points on y = 1 + 2 t."""
    t = np.arange(5.0)
    return {"t": t, "y": 1.0 + 2.0 * t}


def write_seed(out, seed):
    (out / "seed.txt").write_text(str(seed))


class alpha:  # noqa: N801 - plugin objects are named like the modules they stand for
    __version__ = "1.2.3"

    @hookimpl
    def credo_distributions():
        return [DistributionSpec(Laplace)]

    @hookimpl
    def credo_citations():
        return {"alpha2020": ALPHA_BIB}


class beta:  # noqa: N801
    __version__ = "0.4.0"

    @hookimpl
    def credo_functions():
        return [FunctionSpec(line, cite=["beta2021"])]

    @hookimpl
    def credo_datasets():
        return [DatasetSpec("beta_points", load_points, "Five points on y = 1 + 2 t",
                            license="CC0-1.0", source="made up for the tests")]

    @hookimpl
    def credo_examples():
        return [ExampleSpec("beta_seed", write_seed, summary="Writes its seed to seed.txt")]

    @hookimpl
    def credo_citations():
        return {"beta2021": BETA_BIB}


class gamma_same_name:  # noqa: N801 - registers a component called `line`, like beta
    @hookimpl
    def credo_functions():
        return [FunctionSpec(lambda t: t, name="line", summary="Identity, named like beta's line")]


class typo_hook:  # noqa: N801
    @hookimpl
    def credo_distribution():  # missing final s
        return []


class raising_hook:  # noqa: N801
    @hookimpl
    def credo_functions():
        raise RuntimeError("database offline")


class unknown_key:  # noqa: N801
    @hookimpl
    def credo_functions():
        return [FunctionSpec(line, name="line2", cite=["nobody1999"])]


class not_a_distribution:  # noqa: N801
    @hookimpl
    def credo_distributions():
        return [DistributionSpec(dict, summary="not a credo distribution")]


class wrong_record:  # noqa: N801
    @hookimpl
    def credo_distributions():
        return [FunctionSpec(line, name="line3")]


class bad_bibtex:  # noqa: N801
    @hookimpl
    def credo_citations():
        return {"key2000": "@misc{other2000, title = {Key does not match}}"}


class twice:  # noqa: N801 - a distribution and a function under one name
    @hookimpl
    def credo_distributions():
        return [DistributionSpec(Laplace, name="line")]

    @hookimpl
    def credo_functions():
        return [FunctionSpec(line)]

    @hookimpl
    def credo_citations():
        return {"alpha2020": ALPHA_BIB, "beta2021": BETA_BIB}


class needs_future_core:  # noqa: N801
    requires_core = ">=99"

    @hookimpl
    def credo_citations():
        return {}
