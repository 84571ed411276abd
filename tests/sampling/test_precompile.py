"""`credo.sampling.precompile` runs every sampler configuration, so their kernels are compiled."""

from credo.sampling import chain
from credo.sampling.precompile import precompile


def test_precompile_compiles_every_sampler_kernel():
    seconds = precompile()
    assert set(seconds) == {
        "nuts, diagonal metric, nutpie warm-up",
        "nuts, diagonal metric, Stan warm-up",
        "nuts, dense metric",
        "nuts + metropolis",
        "slice",
    }
    assert all(s > 0 for s in seconds.values())
    # the chunk kernels now hold machine code for the diagonal and the dense metric
    assert len(chain.run_chunk.signatures) >= 2
    assert len(chain.run_compound_chunk.signatures) >= 1
