"""What to cite for a credo result: the core algorithms used and every plugin component in the model.

Keys reach a result three ways:

* a distribution class lists keys in its ``cite`` class attribute; the model records them when a
  variable of that class is created (``model.citation_keys``);
* a deterministic function calls :func:`cite` while it builds its part of the graph;
* the sampler stores :func:`citation_attrs` in ``idata.attrs`` (key ``"credo_citations"``, a
  comma-separated list), so a saved ``.nc`` file still says what produced it
  (``credo cite RESULT.nc``).

This module is callable: ``cr.citations(model_or_idata)`` is :func:`citations`, while
``credo.citations.cite`` stays reachable as a module attribute.
"""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "ALGORITHMS",
    "ATTRS_KEY",
    "BASE_KEYS",
    "CORE_BIBTEX",
    "bibtex",
    "citation_attrs",
    "citation_keys",
    "citations",
    "cite",
]

ATTRS_KEY = "credo_citations"

CORE_BIBTEX: dict[str, str] = {
    "hoffman2014": """@article{hoffman2014,
  author = {Hoffman, Matthew D. and Gelman, Andrew},
  title = {The No-U-Turn Sampler: Adaptively Setting Path Lengths in Hamiltonian Monte Carlo},
  journal = {Journal of Machine Learning Research},
  volume = {15},
  number = {47},
  pages = {1593--1623},
  year = {2014},
  url = {https://jmlr.org/papers/v15/hoffman14a.html}
}""",
    "betancourt2017": """@article{betancourt2017,
  author = {Betancourt, Michael},
  title = {A Conceptual Introduction to {H}amiltonian {M}onte {C}arlo},
  journal = {arXiv e-prints},
  eprint = {1701.02434},
  archivePrefix = {arXiv},
  year = {2017}
}""",
    "carpenter2017": """@article{carpenter2017,
  author = {Carpenter, Bob and Gelman, Andrew and Hoffman, Matthew D. and Lee, Daniel and
            Goodrich, Ben and Betancourt, Michael and Brubaker, Marcus and Guo, Jiqiang and
            Li, Peter and Riddell, Allen},
  title = {Stan: A Probabilistic Programming Language},
  journal = {Journal of Statistical Software},
  volume = {76},
  number = {1},
  pages = {1--32},
  year = {2017},
  doi = {10.18637/jss.v076.i01}
}""",
    "ching2007": """@article{ching2007,
  author = {Ching, Jianye and Chen, Yi-Chu},
  title = {Transitional {M}arkov Chain {M}onte {C}arlo Method for {B}ayesian Model Updating,
           Model Class Selection, and Model Averaging},
  journal = {Journal of Engineering Mechanics},
  volume = {133},
  number = {7},
  pages = {816--832},
  year = {2007},
  doi = {10.1061/(ASCE)0733-9399(2007)133:7(816)}
}""",
    "minson2013": """@article{minson2013,
  author = {Minson, Sarah E. and Simons, Mark and Beck, James L.},
  title = {{B}ayesian inversion for finite fault earthquake source models {I}---theory and
           algorithm},
  journal = {Geophysical Journal International},
  volume = {194},
  number = {3},
  pages = {1701--1726},
  year = {2013},
  doi = {10.1093/gji/ggt180}
}""",
    "delmoral2012": """@article{delmoral2012,
  author = {Del Moral, Pierre and Doucet, Arnaud and Jasra, Ajay},
  title = {An adaptive sequential {M}onte {C}arlo method for approximate {B}ayesian
           computation},
  journal = {Statistics and Computing},
  volume = {22},
  number = {5},
  pages = {1009--1020},
  year = {2012},
  doi = {10.1007/s11222-011-9271-y}
}""",
    "metropolis1953": """@article{metropolis1953,
  author = {Metropolis, Nicholas and Rosenbluth, Arianna W. and Rosenbluth, Marshall N. and
            Teller, Augusta H. and Teller, Edward},
  title = {Equation of State Calculations by Fast Computing Machines},
  journal = {The Journal of Chemical Physics},
  volume = {21},
  number = {6},
  pages = {1087--1092},
  year = {1953},
  doi = {10.1063/1.1699114}
}""",
    "hastings1970": """@article{hastings1970,
  author = {Hastings, W. Keith},
  title = {{M}onte {C}arlo sampling methods using {M}arkov chains and their applications},
  journal = {Biometrika},
  volume = {57},
  number = {1},
  pages = {97--109},
  year = {1970},
  doi = {10.1093/biomet/57.1.97}
}""",
    "neal2003": """@article{neal2003,
  author = {Neal, Radford M.},
  title = {Slice sampling},
  journal = {The Annals of Statistics},
  volume = {31},
  number = {3},
  pages = {705--767},
  year = {2003},
  doi = {10.1214/aos/1056562461}
}""",
    "pytensor": """@misc{pytensor,
  author = {{PyTensor developers}},
  title = {{PyTensor}: a library to define, optimize and evaluate mathematical expressions
           involving multi-dimensional arrays},
  url = {https://github.com/pymc-devs/pytensor},
  note = {Fork of Aesara and Theano}
}""",
    "lam2015": """@inproceedings{lam2015,
  author = {Lam, Siu Kwan and Pitrou, Antoine and Seibert, Stanley},
  title = {Numba: A {LLVM}-based {P}ython {JIT} Compiler},
  booktitle = {Proceedings of the Second Workshop on the LLVM Compiler Infrastructure in HPC},
  series = {LLVM '15},
  pages = {7:1--7:6},
  year = {2015},
  doi = {10.1145/2833157.2833162}
}""",
    "kumar2019": """@article{kumar2019,
  author = {Kumar, Ravin and Carroll, Colin and Hartikainen, Ari and Martin, Osvaldo},
  title = {{ArviZ} a unified library for exploratory analysis of {B}ayesian models in {P}ython},
  journal = {Journal of Open Source Software},
  volume = {4},
  number = {33},
  pages = {1143},
  year = {2019},
  doi = {10.21105/joss.01143}
}""",
    "pluggy": """@misc{pluggy,
  author = {Krekel, Holger and {pluggy contributors}},
  title = {pluggy: plugin management and hook calling for {P}ython},
  url = {https://github.com/pytest-dev/pluggy}
}""",
}

# Every credo model is compiled by PyTensor to Numba code.
BASE_KEYS: tuple[str, ...] = ("pytensor", "lam2015")

# Sampler name (as the sampling code calls it) -> what it implements. SMC tempering follows
# Ching & Chen's TMCMC with Minson et al.'s adaptive tempering; ABC uses the adaptive-SMC scheme
# of Del Moral et al. (2012), which credo's SMC shares.
ALGORITHMS: dict[str, tuple[str, ...]] = {
    "nuts": ("hoffman2014", "betancourt2017", "carpenter2017"),
    "smc": ("ching2007", "minson2013", "delmoral2012"),
    "abc": ("ching2007", "minson2013", "delmoral2012"),
    "metropolis": ("metropolis1953", "hastings1970"),
    "slice": ("neal2003",),
}


def _current_model() -> Any | None:
    from credo.model.core import modelcontext

    try:
        return modelcontext(None)
    except TypeError:  # no model on the context stack
        return None


def cite(*keys: str) -> None:
    """Record citation keys on the model being built, if any.

    Call it from a plugin's deterministic function so every model that uses the function lists
    its references. Outside a ``with cr.Model():`` block it does nothing.

    Parameters
    ----------
    *keys : str
        Citation keys with BibTeX in credo or in the calling plugin's ``credo_citations``.

    Raises
    ------
    TypeError
        If a key is not a non-empty string.
    """
    bad = [k for k in keys if not isinstance(k, str) or not k.strip()]
    if bad:
        raise TypeError(f"cite: keys must be non-empty strings, got {bad!r}")
    model = _current_model()
    if model is not None:
        model.add_citations(*keys)


def _ordered(keys: Iterable[str]) -> tuple[str, ...]:
    """Core keys in registry order first, then the rest sorted, without duplicates."""
    keys = set(keys)
    core = [k for k in CORE_BIBTEX if k in keys]
    return (*core, *sorted(keys - set(core)))


def _uses_plugins(keys: Iterable[str]) -> bool:
    return any(k not in CORE_BIBTEX for k in keys)


def citation_attrs(model: Any, algorithms: Iterable[str]) -> dict[str, str]:
    """InferenceData attributes recording what to cite for a run; merge into ``idata.attrs``.

    Parameters
    ----------
    model : credo.Model
        The model sampled; its ``citation_keys`` are included.
    algorithms : iterable of str
        Names of the inference algorithms run, keys of :data:`ALGORITHMS` (``"nuts"``, ``"smc"``,
        ``"abc"``).

    Returns
    -------
    dict
        ``{"credo_citations": "pytensor,lam2015,...,agol2020"}``.

    Raises
    ------
    ValueError
        If an algorithm name is unknown.
    """
    if isinstance(algorithms, str):
        algorithms = (algorithms,)
    keys = set(BASE_KEYS) | {"kumar2019"} | set(model.citation_keys)
    for name in algorithms:
        if name not in ALGORITHMS:
            raise ValueError(
                f"citation_attrs: algorithm {name!r} unknown; expected one of {sorted(ALGORITHMS)}"
            )
        keys.update(ALGORITHMS[name])
    if _uses_plugins(keys):
        keys.add("pluggy")
    return {ATTRS_KEY: ",".join(_ordered(keys))}


def citation_keys(model_or_idata: Any) -> tuple[str, ...]:
    """Citation keys of a model or of a result.

    Parameters
    ----------
    model_or_idata : credo.Model or arviz.InferenceData or Mapping
        A model (its ``citation_keys`` plus the keys of PyTensor and Numba, which compile every
        model), an ``InferenceData`` written by a credo sampler, or its ``attrs`` mapping.

    Returns
    -------
    tuple of str
        Core keys first, in :data:`CORE_BIBTEX` order, then plugin keys sorted.

    Raises
    ------
    TypeError
        If `model_or_idata` is neither a model nor carries attributes.
    ValueError
        If an InferenceData has no ``"credo_citations"`` attribute (not written by a credo sampler).
    """
    if hasattr(model_or_idata, "citation_keys"):
        keys = set(BASE_KEYS) | set(model_or_idata.citation_keys)
        if _uses_plugins(keys):
            keys.add("pluggy")
        return _ordered(keys)
    # InferenceData is itself a Mapping (of groups): look for its attrs before treating the
    # argument as an attrs mapping
    attrs = getattr(model_or_idata, "attrs", None)
    if attrs is None and isinstance(model_or_idata, Mapping):
        attrs = model_or_idata
    if not isinstance(attrs, Mapping):
        raise TypeError(
            "citations: expected a credo.Model or an InferenceData, got "
            f"{type(model_or_idata).__name__}"
        )
    if ATTRS_KEY not in attrs:
        raise ValueError(
            f"no {ATTRS_KEY!r} attribute: the result was not written by a credo sampler "
            f"(attributes present: {sorted(attrs) or 'none'})"
        )
    return tuple(k.strip() for k in str(attrs[ATTRS_KEY]).split(",") if k.strip())


def bibtex(keys: Iterable[str]) -> str:
    """BibTeX entries for `keys`, from credo and the installed plugins.

    A key with no entry (its plugin uninstalled since the run) becomes a BibTeX comment line and
    a warning, so the rest of the bibliography is still usable.
    """
    keys = tuple(keys)
    entries = dict(CORE_BIBTEX)
    if _uses_plugins(keys):
        from credo.plugins import registry

        entries.update(registry().bibtex)
    missing = [k for k in keys if k not in entries]
    if missing:
        warnings.warn(
            f"no BibTeX for citation keys {missing}: is the plugin that provides them installed?",
            UserWarning,
            stacklevel=3,
        )
    return "\n\n".join(
        entries[k] if k in entries else f"% credo: no BibTeX entry for key {k!r}" for k in keys
    ) + "\n"


def citations(model_or_idata: Any) -> str:
    """BibTeX of everything to cite for a model or a sampling result.

    Parameters
    ----------
    model_or_idata : credo.Model or arviz.InferenceData or Mapping
        See :func:`citation_keys`.

    Returns
    -------
    str
        BibTeX entries separated by blank lines: core algorithms and libraries first, then every
        plugin component the model uses.

    Raises
    ------
    TypeError, ValueError
        As :func:`citation_keys`.

    Examples
    --------
    >>> print(cr.citations(idata))  # doctest: +SKIP
    """
    return bibtex(citation_keys(model_or_idata))


class _CallableModule(types.ModuleType):
    def __call__(self, model_or_idata: Any) -> str:
        return citations(model_or_idata)


# `cr.citations(idata)` and `credo.citations.cite(...)` both work only if the module is callable;
# binding the function to `credo.citations` instead would hide the module.
sys.modules[__name__].__class__ = _CallableModule
