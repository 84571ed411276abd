"""Transit fit of HAT-P-7 b to the Kepler Q0 short-cadence light curve (``make demo``).

    .venv/bin/python examples/kepler_transit.py --out results/kepler_transit [--seed N]

The model and outputs are defined in `credo_exoplanet.examples.kepler_transit` (also run by
``credo run-example kepler_transit`` and by the slow test ``plugins/exoplanet/tests/test_hat_p_7.py``).
"""

import argparse
import time
from pathlib import Path

from credo_exoplanet.examples.kepler_transit import run

if __name__ == "__main__":
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/kepler_transit"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--draws", type=int, default=3000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()
    run(args.out, seed=args.seed, draws=args.draws, tune=args.tune, chains=args.chains)
    print(f"wall-clock including imports: {time.perf_counter() - start:.1f} s")
