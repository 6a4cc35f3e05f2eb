#!/usr/bin/env python
"""Where the example library's positive controls land, and how new they are to the models.

For every control in data/examples/positive_controls.csv: its nearest-neighbour Tanimoto
(Morgan r2 2048) to the training compounds of *any* bundled model and of its own model,
its rank when the library is scored with ``--profile activity`` and with the default
profile, and its rank under plain similarity search (max Tanimoto to the training
actives of any bundled model). Prints per-control rows and the top 1 % / 5 % summary.

    python scripts/positive_control_recovery.py --n-jobs 2
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.chem.similarity import tanimoto_max  # noqa: E402
from screenkit.model.bundle import load_bundle  # noqa: E402
from screenkit.model.problem import ad_fingerprints  # noqa: E402
from screenkit.screen.run import screen_library  # noqa: E402


def _ranks(ranked: Path) -> dict[str, int]:
    table = pd.read_csv(ranked, usecols=["rank", "id"], keep_default_na=False)
    return dict(zip(table["id"], table["rank"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    library = ROOT / "data" / "examples" / "example_library.sdf"
    controls = pd.read_csv(ROOT / "data" / "examples" / "positive_controls.csv")
    # activity models only: a property model (BBB_B3DB) knows measured BBB labels, not activities,
    # and its BBB+ compounds are no "training actives" for a similarity search
    models = [m for m in load_bundle(args.models) if m.card.is_activity_model]
    control_fps = ad_fingerprints(controls["smiles"])
    own = {}
    for model in models:
        own[(model.card.target_chembl_id, model.card.activity_type)] = model
    nn_any = np.max([tanimoto_max(control_fps, m.train_fingerprints) for m in models], axis=0)
    nn_own = np.array([tanimoto_max(control_fps[[i]], own[(r.target_chembl_id, r.activity_type)].train_fingerprints)[0]
                       for i, r in enumerate(controls.itertuples())])
    # similarity search over the library: max Tanimoto to any model's training actives
    from rdkit import Chem

    records = [(m.GetProp("_Name"), Chem.MolToSmiles(m)) for m in Chem.SDMolSupplier(str(library)) if m is not None]
    names = [n for n, _ in records]
    lib_fps = ad_fingerprints([s for _, s in records])
    actives = [m.train_fingerprints[m.train_pactivity >= m.card.label_threshold] for m in models]
    sim = np.max([tanimoto_max(lib_fps, a) for a in actives], axis=0)
    order = np.argsort(-sim, kind="stable")
    sim_rank = {names[i]: r + 1 for r, i in enumerate(order)}
    with tempfile.TemporaryDirectory() as tmp:
        ranks = {}
        for profile in ("activity", None):
            out = Path(tmp) / f"{profile}.csv"
            kwargs = {"profile": profile} if profile else {}
            screen_library(library, out, models_dir=args.models, n_jobs=args.n_jobs, **kwargs)
            ranks[profile or "default"] = _ranks(out)
    n = len(ranks["activity"])
    controls = controls.assign(nn_any_model=nn_any.round(3), nn_own_model=nn_own.round(3),
                               rank_activity=[ranks["activity"][c] for c in controls["name"]],
                               rank_default=[ranks["default"][c] for c in controls["name"]],
                               rank_similarity=[sim_rank[c] for c in controls["name"]])
    shown = controls[["name", "gene", "activity_type", "pactivity", "nn_any_model", "nn_own_model", "rank_activity",
                      "rank_default", "rank_similarity"]]
    print(shown.to_string(index=False))
    print(f"\nlibrary {n} compounds, {len(controls)} controls; max NN similarity of any control to any model's "
          f"training compounds: {nn_any.max():.3f} (median {np.median(nn_any):.3f})\n")
    print("| ranking | top 1 % | top 5 % | median rank |\n|---|---:|---:|---:|")
    for key, label in (("rank_activity", "models, --profile activity"), ("rank_default", "models, default profile"),
                       ("rank_similarity", "similarity search to training actives")):
        r = controls[key]
        print(f"| {label} | {int((r <= n * 0.01).sum())} | {int((r <= n * 0.05).sum())} | {int(r.median())} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
