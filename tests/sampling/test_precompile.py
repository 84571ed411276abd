"""`credo.sampling.precompile` runs every sampler configuration, so their kernels are compiled."""

from credo.sampling import chain
from credo.sampling.adapt.warmup import SCHEMES
from credo.sampling.precompile import precompile


def test_precompile_compiles_every_sampler_kernel():
    seconds = precompile()
    assert set(seconds) == {
        "nuts, diagonal metric, nutpie warm-up",
        "nuts, diagonal metric, Stan warm-up",
        "nuts, diagonal metric, PyMC warm-up",
        "nuts, diagonal metric, hybrid warm-up",
        "nuts, dense metric",
        "nuts + metropolis",
        "slice",
    }
    assert all(s > 0 for s in seconds.values())
    # the chain loops now hold machine code for every scheme, and Stan's for the diagonal and the
    # dense metric
    assert all(len(chain.RUN_CHUNK[scheme].signatures) >= 1 for scheme in SCHEMES)
    assert len(chain.RUN_CHUNK["stan"].signatures) >= 2
    assert len(chain.RUN_COMPOUND_CHUNK["nutpie"].signatures) >= 1
