"""ms per molecule of screenkit.chem.properties.compute_properties with the default profile's settings.

    python scripts/benchmark_properties.py [library.sdf] [--repeat 3]

Reads the molecules once (standardised as scoring does), then times compute_properties
alone on one core; prints the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdkit import Chem  # noqa: E402

from screenkit.chem.properties import compute_properties  # noqa: E402
from screenkit.chem.standardize import muted_rdkit_log, standardize_mol  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?", default=str(ROOT / "data" / "examples" / "example_library.sdf"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with muted_rdkit_log():
        mols = [standardize_mol(m).mol for m in Chem.SDMolSupplier(args.library) if m is not None]
    mols = [m for m in mols if m is not None]
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for mol in mols:
            compute_properties(mol, ("PAINS_A", "PAINS_B", "Brenk"), True)
        best = min(best, time.perf_counter() - start)
    print(f"{len(mols)} molecules: {best / len(mols) * 1000:.3f} ms per molecule (best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
