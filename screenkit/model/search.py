"""``--auto``: search featurizer x estimator choices on the honest split.

Candidates are scored on the first folds of the problem's own split (the cluster split by
default) by the SAR metric, i.e. on measured compounds of new clusters; on the same folds
the similarity baseline is the same for every candidate, so this also ranks the margin
over it.
"""

from __future__ import annotations

import time

import numpy as np

from .problem import Problem
from .validation import cross_validate, estimator_factory, headline_metrics, per_fold_subset_metrics

__all__ = ["auto_candidates", "auto_search"]


def auto_candidates(task: str, n_estimators: int = 200) -> list[tuple[dict, dict]]:
    """``(featurizer, estimator)`` choices searched by ``--auto``, most promising first."""
    ecfp = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048}}
    ecfp_counts = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048, "counts": True}}
    fcfp = {"name": "fcfp", "params": {"radius": 2, "fp_size": 2048}}
    ap = {"name": "atom_pair", "params": {"fp_size": 2048}}
    path = {"name": "rdkit", "params": {"fp_size": 2048}}
    ecfp_maccs = {"name": "concat", "params": {"parts": [ecfp, {"name": "maccs", "params": {}}]}}
    desc = {"name": "descriptors", "params": {}}
    forest = {"n_estimators": n_estimators}
    if task == "classification":
        return [
            (ecfp, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 1.0}}),
            (ecfp_counts, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 10.0}}),
            (ecfp, {"name": "extra_trees", "params": forest}),
            (ecfp_maccs, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 0.1}}),
            (fcfp, {"name": "rf", "params": forest}),
            (ap, {"name": "rf", "params": forest}),
            (ecfp, {"name": "linear", "params": {"C": 0.1}}),
            (ecfp, {"name": "knn", "params": {"n_neighbors": 5}}),
            (ecfp_counts, {"name": "hist_gb", "params": {"max_iter": 200}}),
            (path, {"name": "rf", "params": forest}),
            (desc, {"name": "hist_gb", "params": {"max_iter": 200}}),
        ]
    return [
        (ecfp, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp, {"name": "rf", "params": forest}),
        (ecfp_counts, {"name": "rf", "params": forest}),
        (ecfp_counts, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp, {"name": "svm_tanimoto", "params": {"C": 1.0, "epsilon": 0.1}}),
        (ecfp_maccs, {"name": "rf", "params": forest}),
        (ecfp, {"name": "extra_trees", "params": forest}),
        (fcfp, {"name": "rf", "params": forest}),
        (ap, {"name": "rf", "params": forest}),
        (ecfp, {"name": "linear", "params": {"alpha": 10.0}}),
        (ecfp, {"name": "knn", "params": {"n_neighbors": 5}}),
        (ecfp_counts, {"name": "hist_gb", "params": {"max_iter": 300}}),
        (desc, {"name": "hist_gb", "params": {"max_iter": 300}}),
    ]


def selection_value(problem: Problem, predictions) -> float:
    """What --auto maximises: SAR ROC-AUC (classification; the baseline is the same for every
    candidate on the same folds, so this also maximises the margin over it), R² (regression)."""
    if problem.task == "classification":
        folds = per_fold_subset_metrics(problem, predictions)["sar"]
        values = [f["roc_auc"] for f in folds]
    else:
        values = [headline_metrics(problem, predictions)["r2"]["mean"]]
    values = [v for v in values if v is not None and not np.isnan(v)]
    return float(np.mean(values)) if values else -np.inf


def auto_search(problem: Problem, config, budget: float) -> tuple[dict, dict, list[dict], bool]:
    """Evaluate candidates in order on the first ``auto_folds`` folds until the budget is spent."""
    started = time.perf_counter()
    folds = problem.folds[:max(2, config.auto_folds)]
    tried: list[dict] = []
    best: tuple[float, dict, dict] | None = None
    exhausted = False
    for featurizer, estimator in auto_candidates(problem.task, config.n_estimators):
        if tried and time.perf_counter() - started > budget:
            exhausted = True
            break
        t0 = time.perf_counter()
        X = problem.features(featurizer, config.n_jobs)
        preds = cross_validate(problem, X, estimator_factory(featurizer, estimator, problem.task, config),
                               folds=folds)
        value = selection_value(problem, preds)
        tried.append({"featurizer": featurizer, "estimator": estimator, "score": round(value, 4),
                      "seconds": round(time.perf_counter() - t0, 1)})
        if best is None or value > best[0]:
            best = (value, featurizer, estimator)
    assert best is not None  # the first candidate always runs
    return best[1], best[2], tried, exhausted
