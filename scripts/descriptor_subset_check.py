#!/usr/bin/env python
"""ECFP4 + the BBB model's 61 descriptors against ECFP4 + all RDKit descriptors, on two fold assignments.

The model search's strongest challenger for NR3C1 and JAK1 is ECFP4 + all 217 RDKit 2D
descriptors + random forest (confirmed on split seed 1 by ``scripts/confirm_challengers.py``),
but computing every descriptor costs more per molecule than the whole default scoring run.
The BBB model already computes 61 of them for every scored compound, and scoring computes a
featurizer part once for every model that shares it. This script measures, per model and per
split seed (0: the card's folds; 1: a second assignment), the shipped configuration, the
61-descriptor variant and the all-descriptor challenger on the same folds, with the paired
gain of the variant over the shipped model. Writes ``docs/model_search/descriptor_subset.md``::

    python scripts/descriptor_subset_check.py --models NR3C1_Ki,JAK1_Ki --n-jobs 2
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from confirm_challengers import problem_with_seed  # noqa: E402

from screenkit.model.search import auto_candidates, describe, paired_gain, search  # noqa: E402


def bbb_descriptor_names(models: Path) -> list[str]:
    parts = json.loads((models / "BBB_B3DB.card.json").read_text())["featurizer"]["params"]["parts"]
    return next(p for p in parts if p["name"] == "descriptors")["params"]["names"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="NR3C1_Ki,JAK1_Ki")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--folder", default=str(ROOT / "models"))
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "docs" / "model_search" / "descriptor_subset.md"))
    args = parser.parse_args(argv)
    names = bbb_descriptor_names(Path(args.folder))
    lines = ["| model | split seed | ECFP4 + RF (shipped before) | ECFP4 + BBB's 61 descriptors + RF | gain over shipped (p) | "
             "margin over similarity | ECFP4 + all descriptors + RF |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name in args.models.split(","):
        card = json.loads((Path(args.folder) / f"{name}.card.json").read_text())
        for seed in (int(s) for s in args.seeds.split(",")):
            problem, config, _ = problem_with_seed(card, args.n_jobs, seed)
            candidates = {describe(*c): c for c in auto_candidates("classification", config.n_estimators)}
            shipped, full = candidates["morgan+rf"], candidates["morgan+descriptors+rf"]  # shipped: before the switch
            subset = copy.deepcopy(full)
            subset[0]["params"]["parts"][1]["params"] = {"names": names}
            first, variant, everything = search(problem, [shipped, subset, full], config, budget=float("inf"),
                                                ensemble_sizes=()).candidates
            gain = paired_gain(variant["folds"]["roc_auc"], first["folds"]["roc_auc"])
            lines.append(f"| {name} | {seed} | {first['roc_auc']:.3f} ± {first['roc_auc_sd']:.3f} | "
                         f"{variant['roc_auc']:.3f} ± {variant['roc_auc_sd']:.3f} | {gain['mean']:+.3f} "
                         f"({gain['p_value']:.2g}) | {variant['margin_roc_auc']:+.3f} "
                         f"({variant['margin_roc_auc_p']:.2g}) | {everything['roc_auc']:.3f} ± "
                         f"{everything['roc_auc_sd']:.3f} |")
            print(lines[-1], flush=True)
    Path(args.out).write_text("SAR ROC-AUC on 5 cluster folds (mean ± sd); paired one-sided p over folds.\n\n"
                              + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
