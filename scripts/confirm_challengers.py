#!/usr/bin/env python
"""Confirm a model search's best challengers on a second, independent fold assignment.

The search (``scripts/model_search.py``) tries about 13 challengers per model on the
card's own 5 cluster folds and reports the best, whose gain is biased upwards by that
choice. This script repeats one pre-chosen comparison per model (the shipped
configuration against one named challenger) on the folds and putative inactives of
another split seed, so each model gets a single test free of the selection:

    confirmed if the paired gain in SAR ROC-AUC on the new folds is positive with a
    one-sided paired t-test p < 0.05.

Writes ``docs/model_search/confirmation.csv`` and ``.md``::

    python scripts/confirm_challengers.py --pairs "NR3C1_Ki=morgan+descriptors+rf,GSK3B_Ki=atom_pair(counts)+rf" \
        --seed 1 --n-jobs 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.model.search import auto_candidates, describe, paired_gain, search  # noqa: E402


def _model_search():
    spec = importlib.util.spec_from_file_location("model_search", ROOT / "scripts" / "model_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def problem_with_seed(card: dict, n_jobs: int, seed: int):
    """The card's training problem as ``model_search.problem_of`` builds it, with another split seed, and the
    card's configuration."""
    model_search = _model_search()
    problem, config, _ = model_search.problem_of(card, n_jobs, seed)
    return problem, config, model_search.shipped_candidate(card)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", required=True, help="MODEL=challenger label, comma-separated (labels as in "
                                                       "docs/model_search)")
    parser.add_argument("--seed", type=int, default=1, help="split seed of the new folds (the cards use 0)")
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "docs" / "model_search"))
    args = parser.parse_args(argv)
    pairs = [p.split("=", 1) for p in args.pairs.split(",")]
    rows = []
    for name, label in pairs:
        card = json.loads((Path(args.models) / f"{name}.card.json").read_text())
        t0 = time.perf_counter()
        problem, config, shipped = problem_with_seed(card, args.n_jobs, args.seed)
        challenger = next((c for c in auto_candidates("classification", config.n_estimators) if describe(*c) == label),
                          None)
        if challenger is None:
            raise SystemExit(f"{label!r} is not an --auto candidate (ensembles are not confirmed here)")
        result = search(problem, [shipped, challenger], config, budget=float("inf"), ensemble_sizes=())
        first, second = result.candidates
        gain = paired_gain(second["folds"]["roc_auc"], first["folds"]["roc_auc"])
        confirmed = gain["mean"] is not None and gain["mean"] > 0 and gain["p_value"] < 0.05
        rows.append({"model": name, "seed": args.seed, "shipped": first["label"], "shipped_sar_roc_auc": first["roc_auc"],
                     "shipped_sd": first["roc_auc_sd"], "challenger": second["label"],
                     "challenger_sar_roc_auc": second["roc_auc"], "challenger_sd": second["roc_auc_sd"],
                     "gain": gain["mean"], "gain_p": gain["p_value"], "confirmed": confirmed,
                     "shipped_margin": first["margin_roc_auc"], "challenger_margin": second["margin_roc_auc"],
                     "shipped_folds": first["folds"]["roc_auc"], "challenger_folds": second["folds"]["roc_auc"],
                     "seconds": round(time.perf_counter() - t0, 1)})
        print(f"{name}: seed {args.seed}: shipped {first['roc_auc']} vs {label} {second['roc_auc']}: gain "
              f"{gain['mean']} (p {gain['p_value']}); confirmed: {confirmed}", flush=True)
    out = Path(args.out)
    table = pd.DataFrame(rows)
    table.to_csv(out / "confirmation.csv", index=False)
    lines = ["| model | split seed | shipped SAR ROC-AUC | challenger | its SAR ROC-AUC | gain (p) | margins over "
             "similarity: shipped / challenger | confirmed |", "|---|---:|---:|---|---:|---:|---:|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.model} | {r.seed} | {r.shipped_sar_roc_auc:.3f} ± {r.shipped_sd:.3f} | {r.challenger} | "
                     f"{r.challenger_sar_roc_auc:.3f} ± {r.challenger_sd:.3f} | {r.gain:+.3f} ({r.gain_p:.2g}) | "
                     f"{r.shipped_margin:+.3f} / {r.challenger_margin:+.3f} | {'yes' if r.confirmed else 'no'} |")
    (out / "confirmation.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
