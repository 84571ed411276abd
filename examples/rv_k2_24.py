"""Two-planet radial-velocity fit of K2-24 to Keck/HIRES velocities.

    .venv/bin/python examples/rv_k2_24.py --out results/rv_k2_24 [--seed N]

The model and outputs are defined in `credo_exoplanet.examples.rv_k2_24` (also run by
``credo examples run rv_k2_24`` and by ``plugins/exoplanet/tests/test_rv_k2_24.py``).
"""

import argparse
import time
from pathlib import Path

from credo_exoplanet.examples.rv_k2_24 import run

if __name__ == "__main__":
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/rv_k2_24"))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args()
    run(args.out, seed=args.seed, draws=args.draws, tune=args.tune, chains=args.chains)
    print(f"wall-clock including imports: {time.perf_counter() - start:.1f} s")
