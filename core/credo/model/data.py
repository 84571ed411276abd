"""Data containers: named shared variables whose values can be swapped for prediction."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytensor
from pytensor.compile.sharedvalue import SharedVariable

from credo.exceptions import DataError
from credo.model.core import Model, modelcontext

__all__ = ["Data", "set_data"]


def _as_array(name: str, value) -> np.ndarray:
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    arr = np.asarray(value)
    if arr.dtype == object:
        raise DataError(f"data {name!r} is not numeric: {value!r}")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        first = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise DataError(f"data {name!r} contain NaN at index {first[0] if len(first) == 1 else first}")
    if arr.dtype.kind in "iub":
        return arr.astype("int64")
    return arr.astype("float64")


def Data(name: str, value, dims=None, model: Model | None = None) -> SharedVariable:
    """A named data container in the model (recorded in ``constant_data``).

    Parameters
    ----------
    name : str
        Name in the model.
    value : array_like or pandas object
        The data; integers are kept as int64, everything else as float64.
    dims : str or tuple of str, optional
        Dimension names; coords of unknown dims default to ``range(n)``.

    Raises
    ------
    DataError
        If ``value`` is not numeric or contains NaN.
    """
    model = modelcontext(model)
    arr = _as_array(name, value)
    dims = model.normalize_dims(dims)
    if dims is not None:
        if len(dims) != arr.ndim:
            raise DataError(f"data {name!r} has {arr.ndim} dimensions but dims={dims}")
        for dim, n in zip(dims, arr.shape):
            if dim not in model.coords:
                model.add_coord(dim, range(n))
    # static shapes stay unknown so that set_data may change lengths
    var = pytensor.shared(arr, name=name, shape=(None,) * arr.ndim)
    model.register_data(name, var, dims)
    return var


def set_data(new_data: Mapping, model: Model | None = None, coords: Mapping | None = None) -> None:
    """Replace the values of data containers, e.g. with out-of-sample predictors.

    Parameters
    ----------
    new_data : mapping of str to array_like
        New values by container name; the number of dimensions must stay the same.
    coords : mapping, optional
        New coordinate values for dims whose length changed (default ``range(n)``).

    Raises
    ------
    KeyError
        If a name is not a data container of the model.
    DataError
        If the number of dimensions changes or values are not numeric.
    """
    model = modelcontext(model)
    for name, value in new_data.items():
        if name not in model.data_vars:
            raise KeyError(f"{name!r} is not a data container; containers: {list(model.data_vars)}")
        var = model.data_vars[name]
        arr = _as_array(name, value)
        old = var.get_value()
        if arr.ndim != old.ndim:
            raise DataError(f"set_data: {name!r} had {old.ndim} dimensions, new value has {arr.ndim}")
        var.set_value(arr.astype(old.dtype))
        for dim, n in zip(model.named_vars_to_dims.get(name, ()), arr.shape):
            if coords and dim in coords:
                model.add_coord(dim, coords[dim])
            elif dim is not None and len(model.coords.get(dim, ())) != n:
                model.add_coord(dim, range(n))
