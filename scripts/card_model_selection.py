#!/usr/bin/env python
"""Write into every bundled activity model's card why it has the configuration it has.

Reads the model search on each card's own cluster folds (``docs/model_search/summary.csv``,
written by ``scripts/model_search.py``) and, where it exists, the regression-versus-
classification comparison on the same folds (``docs/regression_vs_classification/results.csv``,
written by ``scripts/regression_vs_classification.py``), and stores them under the card's
``model_selection`` with the retraining rule and its verdict. The card's Markdown renders it
as "Why this configuration". Nothing is retrained; the manifest hashes follow
(:func:`screenkit.model.bundle_write.update_cards`). Rerun after either script::

    python scripts/card_model_selection.py --conditions "240 s per model, 2 jobs, idle 2-core machine, 2026-12-04"
    python scripts/card_model_selection.py --dry-run   # print the verdicts only
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.model.bundle_write import update_cards  # noqa: E402
from screenkit.model.card import card_markdown  # noqa: E402

RULE = ("a configuration replaces this one only if its mean SAR ROC-AUC is higher by more than 1 fold-sd of "
        "this model's AND a paired one-sided t-test over the folds gives p < 0.05.")


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def selection(row: pd.Series, conditions: str, other_tasks: list[dict], switch: dict | None = None,
              confirmation: dict | None = None) -> dict:
    """The card's ``model_selection`` from one summary row of the model search.

    ``switch`` (from ``docs/model_search/switches.json``): a model retrained with another
    configuration after the search, with the evidence; its verdict replaces the rule's.
    ``confirmation``: the row of ``docs/model_search/confirmation.csv`` for this model, if any.
    """
    searched = int(row.n_evaluated) > 1
    best = None
    if searched:
        best = {"label": row.best, "sar_roc_auc": float(row.best_sar_roc_auc), "sd": float(row.best_sd),
                "gain": float(row.gain), "gain_p": _number(row.gain_p)}
    if bool(row.retrain):
        verdict = f"{row.best} passes the rule; this bundle has not been retrained with it yet."
    elif not searched:
        verdict = "kept: no other configuration finished within the budget, so none was compared."
    else:
        needed = float(row.shipped_sd)
        reasons = []
        if float(row.gain) <= needed:
            reasons.append(f"its gain {float(row.gain):+.3f} is within 1 fold-sd ({needed:.3f})")
        if best["gain_p"] is None or best["gain_p"] >= 0.05:
            reasons.append(f"p = {best['gain_p']:.2g} is not below 0.05" if best["gain_p"] is not None
                           else "no p-value")
        # the best of many configurations is tested: what its p-value means after that choice
        corrected = min(1.0, best["gain_p"] * (int(row.n_evaluated) - 1)) if best["gain_p"] is not None else None
        verdict = (f"kept: the best challenger does not pass the rule ({'; '.join(reasons)}). The difference is "
                   "within the spread between folds, so switching would follow noise"
                   + (f"; corrected for the {int(row.n_evaluated) - 1} challengers tried (Bonferroni) its p is "
                      f"{corrected:.2g}." if corrected is not None else "."))
    if searched and "descriptors" in str(row.best):
        verdict += (f" Its featurizer also computes all RDKit 2D descriptors: {descriptor_cost_ms():.1f} ms per "
                    "molecule here, more than the default scoring run spends on a molecule in total.")
    if confirmation is not None:
        verdict += (f" On split seed {confirmation['seed']}, as one pre-chosen comparison, {confirmation['challenger']} "
                    f"gained {confirmation['gain']:+.3f} (p = {confirmation['gain_p']:.2g}): "
                    + ("confirmed." if confirmation["confirmed"] else "not confirmed."))
    if any(t.get("switch") for t in other_tasks):
        verdict += " Regression passes the same rule on these folds; see below."
    previous = None
    if switch and switch.get("kept"):  # a note on why a confirmed challenger still did not replace the model
        verdict += f" {switch['why']}"
    elif switch:
        previous = {"label": row.shipped, "sar_roc_auc": float(row.shipped_sar_roc_auc), "sd": float(row.shipped_sd)}
        verdict = f"switched from {row.shipped} to {switch['to']}: {switch['why']}"
    return {"source": "docs/model_search", "conditions": conditions, "n_folds": 5, "rule": RULE,
            "previous": previous,
            "n_evaluated": int(row.n_evaluated), "n_candidates": int(row.n_candidates),
            "shipped": {"label": row.shipped, "sar_roc_auc": float(row.shipped_sar_roc_auc),
                        "sd": float(row.shipped_sd)},
            "best_challenger": best, "other_tasks": other_tasks, "verdict": verdict}


@functools.cache
def descriptor_cost_ms(n: int = 300) -> float:
    """CPU ms per molecule of the ``descriptors`` featurizer on lead-like compounds of the bundled pool."""
    from rdkit import Chem

    from screenkit.chem.featurize import RDKitDescriptors
    from screenkit.config import bundled_path

    smiles = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz"), nrows=n)["smiles"]
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    start = time.process_time()
    RDKitDescriptors().transform(mols)
    return (time.process_time() - start) / len(mols) * 1000


def regression_comparison(path: Path) -> dict[str, list[dict]]:
    """Per model: the regressors' SAR ROC-AUC against this classifier's on the same folds, if measured."""
    if not path.is_file():
        return {}
    table = pd.read_csv(path)
    out: dict[str, list[dict]] = {}
    for row in table.itertuples():
        if not str(row.method).startswith("regression"):
            continue
        gain_p = _number(row.sar_gain_p)
        result = (f"SAR ROC-AUC {row.sar_roc_auc:.3f} ± {row.sar_roc_auc_sd:.3f}, gain {row.sar_gain:+.3f}"
                  + (f" (p = {gain_p:.2g})" if gain_p is not None else "")
                  + f"; with the fold's putative inactives (a screen) {row.screen_roc_auc:.3f}, gain "
                  f"{row.screen_gain:+.3f}: {row.verdict}")
        out.setdefault(row.model, []).append({"what": f"{row.method} ({row.configuration}, measured pActivity)",
                                              "result": result, "switch": bool(row.switch)})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--search", default=str(ROOT / "docs" / "model_search" / "summary.csv"))
    parser.add_argument("--regression", default=str(ROOT / "docs" / "regression_vs_classification" / "results.csv"))
    parser.add_argument("--conditions", default="240 s per model, 2 jobs, idle 2-core machine",
                        help="how the search ran (budget, machine, date), as the card should say it")
    parser.add_argument("--switches", default=str(ROOT / "docs" / "model_search" / "switches.json"),
                        help="models retrained with another configuration after the search, and why")
    parser.add_argument("--confirmation", default=str(ROOT / "docs" / "model_search" / "confirmation.csv"))
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    summary = pd.read_csv(args.search)
    regression = regression_comparison(Path(args.regression))
    switches = json.loads(Path(args.switches).read_text()) if Path(args.switches).is_file() else {}
    confirmations = ({r["model"]: r for r in pd.read_csv(args.confirmation).to_dict("records")}
                     if Path(args.confirmation).is_file() else {})
    cards = {}
    for row in summary.itertuples():
        path = Path(args.models) / f"{row.model}.card.json"
        card = json.loads(path.read_text())
        card["model_selection"] = selection(pd.Series(row._asdict()), args.conditions, regression.get(row.model, []),
                                            switches.get(row.model), confirmations.get(row.model))
        if row.model in switches and not switches[row.model].get("kept"):  # the card validates the current model
            sar = card["validation"]["metrics_by_subset"]["sar"]["roc_auc"]
            card["model_selection"]["shipped"] = {"label": switches[row.model]["to"], "sar_roc_auc": sar["mean"],
                                                  "sd": sar["sd"]}
        cards[row.model] = card
        print(f"{row.model}: {card['model_selection']['verdict']}")
    if not args.dry_run:
        update_cards(args.models, cards, card_markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
