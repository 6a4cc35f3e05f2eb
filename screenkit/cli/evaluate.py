"""``screenkit evaluate``: metrics of trained models on an external test set."""

from __future__ import annotations

import json

from ..curation.measurements import UNITS
from ..model.evaluate import evaluate_models


def add_parser(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="report model metrics on an external test set",
        description="Standardise an external test set (CSV/TSV, SDF or Parquet) as training does, predict with the "
                    "models of a folder, and report ROC-AUC, PR-AUC, MCC, balanced accuracy, EF1%, BEDROC, Brier "
                    "(and RMSE, MAE, R², Spearman for regression models), in the applicability domain and overall, "
                    "with conformal coverage. Compounds in a model's training set are left out of its metrics.",
    )
    p.add_argument("--models", required=True, metavar="DIR", help="model folder (e.g. models, or screenkit train -o)")
    p.add_argument("--data", required=True, metavar="FILE", help="test set: CSV/TSV, SDF or Parquet")
    p.add_argument("--smiles-col", metavar="COL", help="SMILES column (not needed for SDF)")
    p.add_argument("--value-col", required=True, metavar="COL", help="measured value column")
    p.add_argument("--units", choices=UNITS, default="pactivity",
                   help="units of the value: pactivity (-log10 M), nM, uM, M, or label (0/1) (default: %(default)s)")
    p.add_argument("--relation-col", metavar="COL", help="column with =, <, > (censored values)")
    p.add_argument("--model", action="append", metavar="NAME",
                   help="model to evaluate (repeat for several); needed when the folder holds more than one")
    p.add_argument("-o", "--output", metavar="JSON", help="also write the full results as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    results = evaluate_models(args.models, args.data, smiles_col=args.smiles_col, value_col=args.value_col,
                              units=args.units, relation_col=args.relation_col, names=args.model)
    for r in results:
        print(f"{r['model']}: {r.get('n_evaluated', 0)} test compounds ({r.get('n_active', 0)} active at "
              f"{r['threshold']}; {r['n_in_training_excluded']} in the training set, left out; "
              f"{r['n_rows_excluded']} input rows unusable), in domain {r.get('in_domain_fraction', 0):.0%}")
        for label, metrics in (("all", r.get("metrics", {})), ("in domain", r.get("metrics_in_domain", {}))):
            shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if v is not None)
            print(f"  {label}: {shown or 'no metrics (too few compounds)'}")
        if "small_sample" in r:
            print(f"  warning: {r['small_sample']['message']}")
        if "conformal_coverage" in r:
            print(f"  conformal coverage {r['conformal_coverage']:.3f} (target {r['conformal_confidence']})")
    if args.output:
        with open(args.output, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0
