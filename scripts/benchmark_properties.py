"""Where the default run's CPU time goes, per molecule, step by step, in one scoring worker.

    python scripts/benchmark_properties.py [library.sdf] [--limit 3000]

Reads the records once, then times (CPU time of this process, so that other jobs on a
shared machine do not count) each step of a worker's chunk the way
``screenkit.screen.score.score_records`` runs it with the default profile: parse and
standardise, the property columns (alerts, QED, the spacial score, ionisation, the rest),
every model's features, the forests and the applicability domain. ``SCREENKIT_FAST_PATHS=0``
times the stock-RDKit reference instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.chem import alertscreen, properties  # noqa: E402
from screenkit.chem.featurize import MorganFingerprint  # noqa: E402
from screenkit.chem.standardize import muted_rdkit_log  # noqa: E402
from screenkit.config import bundled_path  # noqa: E402
from screenkit.screen.library import iter_records  # noqa: E402
from screenkit.screen.score import ScoreOptions, _parse, cached_models  # noqa: E402

FAMILIES = ("PAINS_A", "PAINS_B", "Brenk")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", nargs="?", default=str(ROOT / "data" / "examples" / "example_library.sdf"))
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--chunk", type=int, default=1000)
    args = parser.parse_args(argv)
    started = time.process_time()
    models, index = cached_models(bundled_path("models"))
    start_cpu = time.process_time() - started
    options = ScoreOptions(str(bundled_path("models")), "")
    records = [r for _, r in zip(range(args.limit), iter_records(args.library))]
    cpu: dict[str, float] = {}

    def timed(step, func, *a):
        t = time.process_time()
        out = func(*a)
        cpu[step] = cpu.get(step, 0.0) + time.process_time() - t
        return out

    fast = alertscreen.fast_paths_enabled()
    panel = alertscreen.alert_panel(FAMILIES, qed_alerts=True)
    n = 0
    with muted_rdkit_log():
        for offset in range(0, len(records), args.chunk):
            mols = [m for m in (timed("parse + standardise", _parse, r, options)[1]
                                for r in records[offset:offset + args.chunk]) if m is not None]
            n += len(mols)
            for mol in mols:  # the pieces first, on copies, then the whole as scoring runs it
                copy = type(mol)(mol)
                found = timed("  alerts (panel)" if fast else "  alerts (FilterCatalog)",
                              panel.match if fast else lambda m: [alertscreen.alert_catalog(f).GetMatches(m)
                                                                  for f in FAMILIES], copy)
                timed("  QED properties", properties._qed_properties, copy, found[1] if fast else None, fast)
                timed("  spacial score", properties.spacial_score if fast else properties.SpacialScore.SPS, copy)
                timed("  ionisation", properties.ionisation, copy)
                timed("properties (all columns)", properties.compute_properties, mol, FAMILIES, True)
            features = {}
            for model in models:
                key = json.dumps(model.card.featurizer, sort_keys=True)
                if key not in features:
                    features[key] = timed(f"features: {model.card.featurizer['name']}", model.featurizer.transform,
                                          mols)
                timed("models (all forests)", model.predict, features[key])
            ad = timed("features: morgan (AD)", MorganFingerprint(radius=2, fp_size=2048).transform, mols)
            timed("applicability domain", index.max_similarity, ad)
    total = sum(v for k, v in cpu.items() if not k.startswith("  "))
    print(f"{n} molecules of {args.library}, fast paths {'on' if fast else 'off'}; CPU ms per molecule:")
    for step, seconds in cpu.items():
        print(f"  {step:<28} {seconds / n * 1000:7.3f}")
    print(f"  {'total (without the pieces)':<28} {total / n * 1000:7.3f}")
    print(f"worker start (bundle load and verification, after imports): {start_cpu:.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
