#!/usr/bin/env python
"""What the scored probabilities and domains say about compounds that are almost all inactive.

Scores the example library's 2,000 ZINC compounds and ``--zinc N`` ZINC lead-like SMILES
(MOSES, from the ``molsets`` wheel, as in ``scripts/verify_alert_screen.py``) with the bundled
models and prints, per set:

* per activity model, how many compounds get ``<model>_p_active >= 0.5`` and how many of
  those have no basic centre (screenkit's estimated basic pKa < 7 or none), and the mean
  scored ``p_active`` (for random lead-like compounds it should be near the library base rate);
* the top 1 % by the best ``p_active`` of any model: which model makes each call (with
  probabilities on one scale the calls should not pile up on the model with the most
  active training mix), and how many have no basic centre;
* per model, the share of compounds inside the applicability domain: by the old quantile
  threshold (``applicability_domain.threshold``) and by the error-defined one
  (``threshold_by_error``), and what the scored ``<model>_in_domain`` column says where it exists.

It reads whatever ``score_records`` writes, so the same script measures the code before and
after a change::

    python scripts/calibration_check.py --zinc 10000 --n-jobs 2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.model.bundle import bundle_digest, load_bundle  # noqa: E402
from screenkit.screen.library import RawRecord, iter_records, sd_properties  # noqa: E402
from screenkit.screen.score import ScoreOptions, score_records  # noqa: E402


def _score(records, options) -> list[dict]:
    return score_records(records, options)


def score_all(records: list[RawRecord], options, n_jobs: int, chunk: int = 500) -> pd.DataFrame:
    chunks = [records[i:i + chunk] for i in range(0, len(records), chunk)]
    rows = Parallel(n_jobs=n_jobs)(delayed(_score)(c, options) for c in chunks)
    return pd.DataFrame([r for part in rows for r in part if r["status"] != "error"])


def summarise(name: str, table: pd.DataFrame, models) -> dict:
    activity = [m for m in models if m.card.is_activity_model]
    basic = table["pka_basic"].fillna(-99) >= 7 if "pka_basic" in table else pd.Series(False, index=table.index)
    out = {"set": name, "n": len(table), "models": {}}
    high_any = np.zeros(len(table), bool)
    for m in models:
        ad = table[f"{m.name}_ad"].to_numpy()
        domain = m.card.applicability_domain
        by_error = domain.get("threshold_by_error")
        entry = {"in_domain_quantile_threshold": round(float((ad >= domain["threshold"]).mean()), 4),
                 "quantile_threshold": domain["threshold"], "error_threshold": by_error,
                 "in_domain_error_threshold": None if by_error is None else round(float((ad >= by_error).mean()), 4)}
        if f"{m.name}_in_domain" in table:
            entry["in_domain_scored_column"] = round(float(table[f"{m.name}_in_domain"].astype(float).mean()), 4)
        if m in activity:
            p = table[f"{m.name}_p_active"].to_numpy()
            high = p >= 0.5
            high_any |= high
            entry.update(n_p_ge_0_5=int(high.sum()), n_p_ge_0_5_no_basic_centre=int((high & ~basic.to_numpy()).sum()),
                         mean_p_active=round(float(p.mean()), 4), max_p_active=round(float(p.max()), 4))
        out["models"][m.name] = entry
    out["n_compounds_any_p_ge_0_5"] = int(high_any.sum())
    # the top 1 % by the best p_active of any activity model: which model makes the call, and basic centres
    p = table[[f"{m.name}_p_active" for m in activity]].to_numpy()
    top = np.argsort(-p.max(axis=1), kind="stable")[:max(1, len(table) // 100)]
    calls = pd.Series([activity[j].name for j in p[top].argmax(axis=1)])
    no_basic = ~basic.to_numpy()[top]
    out["top_1_percent"] = {"n": len(top), "best_model_counts": calls.value_counts().to_dict(),
                            "no_basic_centre_by_model": calls[no_basic].value_counts().to_dict(),
                            "n_no_basic_centre": int((~basic.to_numpy()[top]).sum()),
                            "min_best_p_active": round(float(p[top].max(axis=1).min()), 4)}
    return out


def zinc_records(n: int, wheel_dir: Path) -> list[RawRecord]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from verify_alert_screen import zinc_smiles

    smiles = zinc_smiles(None, wheel_dir)
    picked = np.random.default_rng(0).choice(len(smiles), size=min(n, len(smiles)), replace=False)
    return [RawRecord(i + 1, "smiles", smiles[j], f"zinc{j}") for i, j in enumerate(sorted(picked))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--zinc", type=int, default=10000, help="random ZINC lead-like SMILES to score (0: none)")
    parser.add_argument("--wheel-dir", type=Path, default=Path("/tmp/screenkit-wheels"))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    models = load_bundle(args.models, with_estimators=False)
    options = ScoreOptions(str(Path(args.models).resolve()), bundle_digest(args.models), alert_families=(), qed=False)
    library = ROOT / "data" / "examples" / "example_library.sdf"
    example = [r for r in iter_records(library) if "ZINC" in dict(sd_properties(r.text)).get("origin", "")]
    sets = {"example library, ZINC part": example}
    if args.zinc:
        sets[f"ZINC lead-like (MOSES), {args.zinc} random"] = zinc_records(args.zinc, args.wheel_dir)
    results = []
    for name, records in sets.items():
        summary = summarise(name, score_all(records, options, args.n_jobs), models)
        results.append(summary)
        print(f"\n== {name}: {summary['n']} scored; {summary['n_compounds_any_p_ge_0_5']} with any p_active >= 0.5")
        print(pd.DataFrame(summary["models"]).T.to_string())
        print("top 1 % by best p_active:", json.dumps(summary["top_1_percent"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
