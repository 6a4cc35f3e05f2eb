#!/usr/bin/env python
"""Compare model configurations on every bundled target under the training split.

For each bundled (target, activity type) the script builds exactly the training problem
of ``screenkit train`` (panel threshold, positive controls and their Tanimoto >= 0.5
neighbours held out, putative inactives picked per fold) and cross-validates each
configuration on the same folds (``--split``, default the cluster split), beside the
max-Tanimoto similarity baseline:

* ``default``: screenkit's default TrainConfig (random forest, 200 trees, balanced class
  weights per bootstrap, ECFP4 2048 bits)
* ``rf_sklearn``: a default scikit-learn random forest (100 trees, no class weights) on ECFP4
* ``svm_tuned``: SVM with the Tanimoto kernel on ECFP4, C tuned by an inner 3-fold
  scaffold CV (PR-AUC) inside every outer training fold
* ``svm_C1``: the same SVM with C = 1
* plus ``rf_counts`` (ECFP4 counts), ``extra_trees``, ``knn`` (Tanimoto, k = 5) and
  ``logistic`` (C = 0.1), as in ``screenkit train --auto``

It prints one table (mean ± sd over folds, seconds to fit one fold) and, per metric,
on how many targets the default is at least as good as each other configuration.

    python scripts/benchmark_models.py --n-jobs 2 --n-folds 5
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.chem.featurize import make_featurizer  # noqa: E402
from screenkit.chem.similarity import minmax_kernel  # noqa: E402
from screenkit.config import bundled_path, load_panel  # noqa: E402
from screenkit.curation.dataset import read_dataset  # noqa: E402
from screenkit.model.crossval import baseline_predictions  # noqa: E402
from screenkit.model.estimators import make_estimator  # noqa: E402
from screenkit.model.metrics import classification_metrics, summarise  # noqa: E402
from screenkit.model.problem import build_problem, holdout_filter, load_pool  # noqa: E402
from screenkit.model.split import scaffold_groups, scaffold_kfold  # noqa: E402
from screenkit.model.tanimoto import TanimotoKNN  # noqa: E402
from screenkit.model.trainconfig import TrainConfig  # noqa: E402

METRICS = ["roc_auc", "pr_auc", "roc_auc_measured_only", "bedroc_20", "mcc", "brier"]


def _svm_scores(K_train, y_train, K_test, C):
    from sklearn.svm import SVC

    svc = SVC(kernel="precomputed", C=C, class_weight="balanced").fit(K_train, y_train)
    return 1.0 / (1.0 + np.exp(-2.0 * svc.decision_function(K_test)))


def _tuned_svm_scores(K, groups, train_idx, test_idx, y, grid, seed):
    """Pick C by inner scaffold CV (PR-AUC) on the outer training fold, refit, predict the test fold."""
    from sklearn.metrics import average_precision_score

    best_c, best = grid[0], -1.0
    inner = list(scaffold_kfold(groups[train_idx], n_splits=3, seed=seed + 11))
    for C in grid:
        values = []
        for itr, ite in inner:
            a, b = train_idx[itr], train_idx[ite]
            values.append(average_precision_score(y[b], _svm_scores(K[np.ix_(a, a)], y[a], K[np.ix_(b, a)], C)))
        if np.mean(values) > best:
            best_c, best = C, float(np.mean(values))
    scores = _svm_scores(K[np.ix_(train_idx, train_idx)], y[train_idx], K[np.ix_(test_idx, train_idx)], best_c)
    return scores, best_c


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-folds", type=int, default=5)
    parser.add_argument("--split", default="cluster", help="split of screenkit train (default: %(default)s)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--targets", help="comma-separated model names, e.g. JAK1_Ki (default: all)")
    parser.add_argument("--configs", help="comma-separated configuration names (default: all)")
    parser.add_argument("--svm-grid", default="0.1,1,10", help="C values for svm_tuned")
    parser.add_argument("--csv", help="also write the per-fold-summary table to this CSV")
    parser.add_argument("--max-compounds", type=int, default=0,
                        help="subsample measured compounds per target to at most this many (0: all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    panel = load_panel(ROOT / "data" / "panel.toml")
    config = TrainConfig(n_folds=args.n_folds, n_jobs=args.n_jobs, split=args.split)
    table = read_dataset(bundled_path("data/chembl_bundled.csv"))
    table, _ = holdout_filter(table, bundled_path("data/examples/positive_controls.csv"), config.holdout_similarity)
    pool_smiles, pool_fps, _ = load_pool(None, config)
    grid = [float(c) for c in args.svm_grid.split(",")]
    ecfp = make_featurizer("morgan", radius=2, fp_size=2048, n_jobs=args.n_jobs)
    counts = make_featurizer("morgan", radius=2, fp_size=2048, counts=True, n_jobs=args.n_jobs)
    forest = {"n_estimators": config.n_estimators, "min_samples_leaf": config.min_samples_leaf}
    configs = {
        "default": lambda: make_estimator(config.estimator, seed=config.seed, n_jobs=args.n_jobs, **forest),
        "rf_sklearn": lambda: __import__("sklearn.ensemble", fromlist=["x"]).RandomForestClassifier(
            random_state=config.seed, n_jobs=args.n_jobs),
        "svm_tuned": None,
        "svm_C1": None,
        "rf_counts": lambda: make_estimator("rf", seed=config.seed, n_jobs=args.n_jobs, **forest),
        "extra_trees": lambda: make_estimator("extra_trees", seed=config.seed, n_jobs=args.n_jobs, **forest),
        "knn": None,
        "logistic": lambda: make_estimator("linear", seed=config.seed),
        "similarity": None,  # max Tanimoto to the fold's training actives: the baseline every card shows
    }
    if args.configs:
        configs = {k: v for k, v in configs.items() if k in args.configs.split(",")}
    rows, started_all = [], time.perf_counter()
    for (chembl_id, activity_type), target_rows in table.groupby(["target_chembl_id", "activity_type"], sort=True):
        target = panel.get(chembl_id)
        name = f"{target.gene}_{activity_type}"
        if args.targets and name not in args.targets.split(","):
            continue
        if args.max_compounds and len(target_rows) > args.max_compounds:
            target_rows = target_rows.sample(args.max_compounds, random_state=0)
        problem, _ = build_problem(target_rows, target.active_threshold, pool_smiles, pool_fps, config)
        baseline = baseline_predictions(problem)
        groups = scaffold_groups(problem.smiles)
        X = ecfp.transform(list(problem.smiles))
        Xc = counts.transform(list(problem.smiles)) if "rf_counts" in configs else None
        K = minmax_kernel(X, X) if {"svm_tuned", "svm_C1", "knn"} & set(configs) else None
        y = problem.y
        for cname, build in configs.items():
            per_fold, seconds, chosen = [], [], []
            for k, fold in enumerate(problem.folds):
                train_idx, test_idx = fold.train, fold.test
                t0 = time.perf_counter()
                if cname == "similarity":
                    scores = baseline[k].score
                elif cname == "svm_tuned":
                    scores, c = _tuned_svm_scores(K, groups, train_idx, test_idx, y, grid, config.seed)
                    chosen.append(c)
                elif cname == "svm_C1":
                    scores = _svm_scores(K[np.ix_(train_idx, train_idx)], y[train_idx],
                                         K[np.ix_(test_idx, train_idx)], 1.0)
                elif cname == "knn":
                    knn = TanimotoKNN(n_neighbors=5).fit(X[train_idx], y[train_idx])
                    sim = K[np.ix_(test_idx, train_idx)]
                    idx = np.argpartition(-sim, 4, axis=1)[:, :5]
                    w = np.take_along_axis(sim, idx, axis=1) + 1e-6
                    scores = (w * knn.y_[idx]).sum(axis=1) / w.sum(axis=1)
                else:
                    features = Xc if cname == "rf_counts" else X
                    model = build().fit(features[train_idx], y[train_idx])
                    scores = model.predict_proba(features[test_idx])[:, list(model.classes_).index(1)]
                seconds.append(time.perf_counter() - t0)
                per_fold.append(classification_metrics(y[test_idx], scores, problem.measured[test_idx]))
            summary = summarise(per_fold)
            row = {"model": name, "config": cname, "n": len(y), "fit_s_per_fold": round(float(np.mean(seconds)), 1)}
            for metric in METRICS:
                row[metric] = summary[metric]["mean"]
                row[metric + "_sd"] = summary[metric]["sd"]
            if chosen:
                row["note"] = "C per fold: " + ",".join(f"{c:g}" for c in chosen)
            rows.append(row)
            print(f"{name} {cname}: PR-AUC {row['pr_auc']:.3f}, measured-only ROC-AUC "
                  f"{row['roc_auc_measured_only']:.3f}, {row['fit_s_per_fold']} s/fold", flush=True)
    results = pd.DataFrame(rows)
    if args.csv:
        results.to_csv(args.csv, index=False)
    print(f"\n## Comparison on the {args.split} split ({args.n_folds} folds, seed {config.seed}; "
          f"measured compounds {'subsampled to ' + str(args.max_compounds) if args.max_compounds else 'all'}; "
          f"putative inactives 1 per measured compound, picked per fold; positive controls held out; "
          f"total {time.perf_counter() - started_all:.0f} s on n_jobs={args.n_jobs}; SVM and kNN times exclude "
          "the Tanimoto kernel, computed once per target)\n")
    shown = results[["model", "config", "n"]].copy()
    for metric in METRICS:
        shown[metric] = [f"{m:.3f} ± {s:.3f}" if s == s and s is not None else f"{m:.3f}"
                         for m, s in zip(results[metric], results[metric + "_sd"])]
    shown["fit s/fold"] = results["fit_s_per_fold"]
    if "note" in results:
        shown["note"] = results["note"].fillna("")
    print(_markdown(shown))
    if "default" in set(results["config"]):
        print(f"\n## Targets (of {results['model'].nunique()}) where the default is at least as good "
              "(higher; Brier: lower)\n")
        wins = []
        for other in [c for c in configs if c != "default"]:
            row = {"versus": other}
            for metric in METRICS:
                pivot = results.pivot(index="model", columns="config", values=metric)
                better = pivot["default"] <= pivot[other] if metric == "brier" else pivot["default"] >= pivot[other]
                row[metric] = f"{int(better.sum())}/{len(pivot)}"
                losses = pivot.index[~better].tolist()
                row[metric] += f", mean diff {float((pivot['default'] - pivot[other]).mean()):+.3f}"
                if metric in ("pr_auc", "roc_auc_measured_only") and losses:
                    row[metric] += f" (not: {', '.join(losses)})"
            wins.append(row)
        print(_markdown(pd.DataFrame(wins)))
    return 0


def _markdown(frame: pd.DataFrame) -> str:
    try:
        return frame.to_markdown(index=False)
    except ImportError:
        return frame.to_string(index=False)


if __name__ == "__main__":
    sys.exit(main())
