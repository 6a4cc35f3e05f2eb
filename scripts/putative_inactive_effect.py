#!/usr/bin/env python
"""Show what putative inactives do to positive-control enrichment on the example library.

Trains the bundled model set once per ratio of putative inactives to measured
compounds (0 = measured compounds only), scores data/examples/example_library.sdf
with each, and prints where the 45 held-out positive controls land.

    python scripts/putative_inactive_effect.py --ratios 0,1,2 --n-jobs 2
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.config import load_panel  # noqa: E402
from screenkit.model.train import train_models  # noqa: E402
from screenkit.model.trainconfig import TrainConfig  # noqa: E402
from screenkit.screen.run import screen_library  # noqa: E402


def enrichment(ranked: Path, controls: set[str]) -> dict:
    table = pd.read_csv(ranked, usecols=["rank", "id", "overall_score"], keep_default_na=False)
    n = len(table)
    ranks = table.loc[table["id"].isin(controls), "rank"].to_numpy()
    zinc = table.loc[~table["id"].isin(controls), "overall_score"].astype(float)
    out = {"controls": len(ranks), "median rank": int(np.median(ranks))}
    for fraction in (0.01, 0.05, 0.10):
        cut = int(n * fraction)
        hits = int((ranks <= cut).sum())
        out[f"in top {fraction:.0%}"] = hits
        out[f"EF{fraction:.0%}"] = round((hits / len(ranks)) / fraction, 1)
    out["ZINC with score >= 0.5"] = int((zinc >= 0.5).sum())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratios", default="0,1", help="comma-separated putative-inactive ratios")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    panel = load_panel(ROOT / "data" / "panel.toml")
    library = ROOT / "data" / "examples" / "example_library.sdf"
    controls_csv = ROOT / "data" / "examples" / "positive_controls.csv"
    controls = set(pd.read_csv(controls_csv)["name"])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for ratio in (float(r) for r in args.ratios.split(",")):
            started = time.perf_counter()
            models = Path(tmp) / f"ratio{ratio}"
            train_models(ROOT / "data" / "chembl_bundled.csv", models, panel, holdout=controls_csv,
                         config=TrainConfig(putative_inactive_ratio=ratio, n_jobs=args.n_jobs))
            ranked = Path(tmp) / f"ranked{ratio}.csv"
            screen_library(library, ranked, models_dir=models, n_jobs=args.n_jobs, profile="activity")
            results[f"ratio {ratio:g}"] = {**enrichment(ranked, controls),
                                           "train+score s": round(time.perf_counter() - started)}
            print(f"ratio {ratio:g} done", flush=True)
    print(f"\nPositive controls ({len(controls)}) in the example library ({library.name}):\n")
    print(pd.DataFrame(results).to_markdown() if _has_tabulate() else pd.DataFrame(results).to_string())
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
