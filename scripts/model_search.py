#!/usr/bin/env python
"""Model search on the bundled activity models' own training problems (the honest split).

For every bundled activity model the script rebuilds its training problem from its card
(dataset, label threshold, every TrainConfig setting, the positive controls and their
Tanimoto >= 0.5 neighbours held out, putative inactives picked per fold) and runs
:func:`screenkit.model.search.search` over the ``--auto`` candidates on all folds of the
cluster split, within a time budget per model. It writes, per model, a CSV and a
markdown table (each candidate's SAR ROC-AUC ± sd, PR-AUC, BEDROC(20), margin over the
similarity baseline with its paired p-value, and the paired gain over the shipped
configuration), and a summary with the retraining rule applied:

    a candidate replaces the shipped configuration only if its mean SAR ROC-AUC exceeds the
    shipped one's by more than 1 fold-sd of the shipped model AND the paired one-sided
    t-test over the 5 folds gives p < 0.05.

    nice -n 10 python scripts/model_search.py --budget 300 --n-jobs 1 --out docs/model_search
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import fields
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.config import bundled_path  # noqa: E402
from screenkit.curation.dataset import read_dataset  # noqa: E402
from screenkit.model.problem import build_problem, holdout_filter, load_pool  # noqa: E402
from screenkit.model.search import auto_candidates, describe, paired_gain, search  # noqa: E402
from screenkit.model.trainconfig import TrainConfig  # noqa: E402

DATASETS = {"chembl_bundled.csv": "data/chembl_bundled.csv", "tyk2_chembl.csv": "data/tyk2/tyk2_chembl.csv"}
COLUMNS = ["label", "status", "roc_auc", "roc_auc_sd", "pr_auc", "bedroc_20", "margin_roc_auc", "margin_roc_auc_p",
           "margin_bedroc_20", "margin_bedroc_20_p", "gain_vs_shipped", "gain_vs_shipped_sd", "gain_vs_shipped_p",
           "seconds"]


def problem_of(card: dict, n_jobs: int, seed: int | None = None):
    """The card's training problem, rebuilt as ``screenkit train`` built it: ``(problem, config, rows)``.

    ``rows`` are the measured rows (row ``i`` is problem row ``i``); ``seed`` replaces the
    card's split seed (other cluster folds and putative inactives, for a confirmation).
    """
    names = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{**{k: v for k, v in card["training_config"].items() if k in names}, "n_jobs": n_jobs,
                            "auto": False, **({} if seed is None else {"seed": seed})})
    data = card["data"]
    table = read_dataset(ROOT / DATASETS[data["dataset"]])
    if data.get("holdout"):
        table, _ = holdout_filter(table, bundled_path("data/examples/positive_controls.csv"), config.holdout_similarity)
    rows = table[(table["target_chembl_id"] == card["target"]["chembl_id"]) &
                 (table["activity_type"] == card["activity_type"])]
    pool_smiles, pool_fps, _ = load_pool(None, config)
    problem, extra = build_problem(rows, float(card["label"]["threshold"]), pool_smiles, pool_fps, config)
    return problem, config, extra["rows"]


def shipped_candidate(card: dict) -> tuple[dict, dict]:
    params = card["estimator"]["params"]
    keep = {k: params[k] for k in ("n_estimators", "min_samples_leaf") if k in params}
    featurizer = {"name": card["featurizer"]["name"],
                  "params": {k: v for k, v in card["featurizer"]["params"].items() if k != "n_jobs"}}
    return featurizer, {"name": card["estimator"]["name"], "params": keep}


def retrain_rule(shipped: dict, challenger: dict) -> tuple[bool, dict]:
    gain = paired_gain(challenger["folds"]["roc_auc"], shipped["folds"]["roc_auc"])
    ok = (gain["mean"] is not None and shipped["roc_auc_sd"] is not None and gain["mean"] > shipped["roc_auc_sd"]
          and gain["p_value"] < 0.05)
    return ok, gain


def markdown(name: str, table: pd.DataFrame, note: str) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if pd.isna(v) else f"{v:.3f}"
        return str(v)

    lines = [f"# {name}: model search on the cluster split", "", note, "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(row[c]) for c in COLUMNS) + " |" for _, row in table.iterrows()]
    return "\n".join(lines) + "\n"


def summary_markdown(table: pd.DataFrame, budget: float, conditions: str = "the shared 2-core machine") -> str:
    """One row per model: shipped vs best challenger, both against similarity search on the same folds."""
    lines = ["| model | shipped: SAR ROC-AUC | similarity | margin (p) | best challenger | its SAR ROC-AUC | its margin (p) "
             "| gain over shipped (p) | evaluated | verdict |", "|---|---:|---:|---:|---|---:|---:|---:|---:|---|"]
    for r in table.itertuples():
        verdict = "**retrain**" if r.retrain else "keep shipped"
        if r.n_evaluated <= 1:  # the budget went to the shipped configuration
            lines.append(f"| {r.model} | {r.shipped_sar_roc_auc:.3f} ± {r.shipped_sd:.3f} | {r.baseline_sar_roc_auc:.3f} | "
                         f"{r.shipped_margin:+.3f} ({r.shipped_margin_p:.2g}) | none finished within the budget | | | | "
                         f"1 of {r.n_candidates} | keep shipped (not searched) |")
            continue
        lines.append(f"| {r.model} | {r.shipped_sar_roc_auc:.3f} ± {r.shipped_sd:.3f} | {r.baseline_sar_roc_auc:.3f} | "
                     f"{r.shipped_margin:+.3f} ({r.shipped_margin_p:.2g}) | {r.best} | {r.best_sar_roc_auc:.3f} ± "
                     f"{r.best_sd:.3f} | {r.best_margin:+.3f} ({r.best_margin_p:.2g}) | {r.gain:+.3f} ({r.gain_p:.2g}) | "
                     f"{r.n_evaluated} of {r.n_candidates} | {verdict} |")
    lines += ["", f"5 cluster folds per model, the shipped model's own; search budget {budget:.0f} s per model on "
                  f"{conditions} (candidates that would overrun it are stopped after one fold or not run; "
                  "'evaluated' counts the candidates and ensembles with figures). Rule: retrain only if the gain over "
                  "the shipped configuration exceeds 1 fold-sd of the shipped SAR ROC-AUC and the paired one-sided "
                  "t-test over the 5 folds gives p < 0.05."]
    return "\n".join(lines) + "\n"


def reports(name: str, saved: dict, out: Path) -> dict:
    """Write ``<name>.csv`` and ``.md`` from a saved search; return the summary row."""
    records = [r for r in saved["records"] if not str(r.get("status", "")).startswith("not run")]
    not_run = saved.get("not_run", []) + [r["label"] for r in saved["records"]
                                          if str(r.get("status", "")).startswith("not run")]
    ship = records[0]
    rows = []
    for r in records:
        row = {c: r.get(c) for c in COLUMNS}
        if r.get("score") is not None:
            _, gain = retrain_rule(ship, r)
            row.update(gain_vs_shipped=gain["mean"], gain_vs_shipped_sd=gain["sd"], gain_vs_shipped_p=gain["p_value"])
        rows.append(row)
    rows += [{"label": label, "status": "not run: budget spent"} for label in not_run]
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.to_csv(out / f"{name}.csv", index=False)
    scored = [r for r in records if r.get("score") is not None and r is not ship]
    best = max(scored, key=lambda r: r["score"]) if scored else ship
    retrain, gain = retrain_rule(ship, best) if best is not ship else (False, {"mean": 0.0, "p_value": None})
    note = (f"{saved['split_text']}. Shipped: {ship['label']} (first row). Best challenger: {best['label']} "
            f"(gain {gain['mean']}, p {gain['p_value']}). Rule: retrain if gain > 1 fold-sd of the shipped "
            f"SAR ROC-AUC ({ship['roc_auc_sd']}) and p < 0.05: {'RETRAIN' if retrain else 'keep shipped'}. "
            f"Search {saved['seconds']:.0f} s of a {saved['budget']:.0f} s budget.")
    (out / f"{name}.md").write_text(markdown(name, table, note))
    return {"model": name, "shipped": ship["label"], "shipped_sar_roc_auc": ship["roc_auc"],
            "shipped_sd": ship["roc_auc_sd"], "baseline_sar_roc_auc": round(ship["roc_auc"] - ship["margin_roc_auc"], 4),
            "shipped_margin": ship["margin_roc_auc"], "shipped_margin_p": ship["margin_roc_auc_p"],
            "best": best["label"], "best_sar_roc_auc": best["roc_auc"], "best_sd": best["roc_auc_sd"],
            "best_margin": best["margin_roc_auc"], "best_margin_p": best["margin_roc_auc_p"],
            "gain": gain["mean"], "gain_p": gain["p_value"], "retrain": retrain,
            "best_featurizer": json.dumps(best["featurizer"]), "best_estimator": json.dumps(best["estimator"]),
            "n_evaluated": len(scored) + 1, "n_candidates": len(records) + len(not_run), "seconds": saved["seconds"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=str(ROOT / "models"), help="bundled model folder (cards)")
    parser.add_argument("--targets", help="comma-separated model names (default: every activity model)")
    parser.add_argument("--budget", type=float, default=300.0, help="search seconds per model (default: %(default)s)")
    parser.add_argument("--candidates", type=int, default=0, help="use only the first N --auto candidates (0: all)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "docs" / "model_search"))
    parser.add_argument("--conditions", default="the shared 2-core machine",
                        help="where and when the search ran, for the summary's note")
    parser.add_argument("--summarise-only", action="store_true",
                        help="rebuild the tables and the summary from the saved <model>.json files, no search")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = []
    cards = [json.loads(p.read_text()) for p in sorted(Path(args.models).glob("*.card.json"))]
    cards = [c for c in cards if c["task"] == "classification" and c["data"].get("dataset") in DATASETS]
    if args.targets:  # in the order given
        order = args.targets.split(",")
        cards = sorted([c for c in cards if c["name"] in order], key=lambda c: order.index(c["name"]))
    for card in cards:
        name = card["name"]
        if args.summarise_only:
            if not (out / f"{name}.json").is_file():
                continue
            saved = json.loads((out / f"{name}.json").read_text())
            if isinstance(saved, list):  # written by the first version of this script: records only
                note = (out / f"{name}.md").read_text().split("\n")[2]
                search_seconds = float(note.rsplit("Search ", 1)[1].split(" s")[0])
                saved = {"records": saved, "split_text": note.split(". Shipped:")[0], "seconds": search_seconds,
                         "budget": args.budget}
        else:
            t0 = time.perf_counter()
            problem, config, _ = problem_of(card, args.n_jobs)
            shipped = shipped_candidate(card)
            candidates = [c for c in auto_candidates("classification", config.n_estimators)
                          if describe(*c) != describe(*shipped)]
            if args.candidates:
                candidates = candidates[:args.candidates - 1]
            result = search(problem, [shipped, *candidates], config, args.budget)
            saved = {"records": result.candidates, "not_run": result.not_run, "split_text": problem.split_text,
                     "seconds": round(time.perf_counter() - t0, 1), "search_seconds": result.seconds,
                     "budget": args.budget}
            (out / f"{name}.json").write_text(json.dumps(saved, indent=1, default=str))
        row = reports(name, saved, out)
        summary.append(row)
        pd.DataFrame(summary).to_csv(out / "summary.csv", index=False)
        (out / "summary.md").write_text(summary_markdown(pd.DataFrame(summary), saved["budget"], args.conditions))
        print(f"{name}: shipped {row['shipped_sar_roc_auc']} ± {row['shipped_sd']}; best {row['best']} "
              f"{row['best_sar_roc_auc']} (gain {row['gain']}, p {row['gain_p']}); retrain: {row['retrain']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
