"""Validate a model configuration on a :class:`~screenkit.model.problem.Problem`.

Everything is computed on the same folds (:mod:`.crossval`): the model's out-of-fold scores,
the similarity baseline, metrics on three subsets and the paired model-vs-baseline test;
then y-randomisation (:mod:`.randomisation`), the split's difficulty, and error by
test-to-train similarity (the applicability-domain threshold defined by measured error).
Held-out calibration and conformal checks are in :mod:`.calibration`; a forward-in-time
check where document years exist is :func:`temporal_check`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .crossval import (
    BASELINE_METHOD,
    FoldPrediction,
    baseline_predictions,
    compare_with_baseline,
    cross_validate,
    estimator_factory,
    headline_metrics,
    per_fold_subset_metrics,
    subset_metrics,
)
from .problem import Problem, build_problem
from .randomisation import y_randomisation
from .split import nearest_train_similarity, split_difficulty

__all__ = ["measured_nn_similarity", "difficulty", "error_by_similarity", "validate", "temporal_check"]


def measured_nn_similarity(problem: Problem) -> np.ndarray:
    """Test-to-train nearest-neighbour Tanimoto of measured test compounds to measured training ones."""
    from .problem import Fold

    measured_folds = [Fold(f.train[problem.measured[f.train]], f.test[problem.measured[f.test]])
                      for f in problem.folds]
    return nearest_train_similarity(problem.ad_fps, [(f.train, f.test) for f in measured_folds])


def difficulty(problem: Problem) -> tuple[dict, np.ndarray]:
    """:func:`~screenkit.model.split.split_difficulty` of the problem's folds and the raw similarities."""
    nn = measured_nn_similarity(problem)
    return split_difficulty(nn), nn


def error_by_similarity(problem: Problem, predictions: list[FoldPrediction], baseline: list[FoldPrediction],
                        level: float = 0.7) -> dict:
    """SAR ROC-AUC of model and baseline by test-to-train similarity, and where the model reaches ``level``.

    Measured test compounds of all folds are pooled and binned by quartile of their
    nearest-neighbour similarity to the fold's training compounds. ``threshold_by_error`` is
    the lowest similarity s such that compounds with similarity >= s reach SAR ROC-AUC
    ``level`` (None if none do): an applicability domain defined by measured error,
    comparable across models.
    """
    from sklearn.metrics import roc_auc_score

    if problem.task != "classification":
        return {}
    nn = measured_nn_similarity(problem)
    masks = [problem.measured[pred.rows] for pred in predictions]
    y = np.concatenate([problem.y[pred.rows][m] for pred, m in zip(predictions, masks)])
    s = np.concatenate([pred.score[m] for pred, m in zip(predictions, masks)])
    b = np.concatenate([base.score[m] for base, m in zip(baseline, masks)])

    def auc(mask, score):
        return round(float(roc_auc_score(y[mask], score[mask])), 4) if len(np.unique(y[mask])) == 2 else None

    edges = np.quantile(nn, [0, 0.25, 0.5, 0.75, 1.0])
    bins = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (nn >= lo) & ((nn < hi) | (hi == edges[-1]))
        bins.append({"similarity": [round(float(lo), 3), round(float(hi), 3)], "n": int(mask.sum()),
                     "model_roc_auc": auc(mask, s), "baseline_roc_auc": auc(mask, b)})
    threshold = None
    for edge in np.quantile(nn, np.linspace(0, 0.9, 10)):
        mask = nn >= edge
        value = auc(mask, s)
        if value is not None and value >= level and mask.sum() >= 20:
            threshold = round(float(edge), 4)
            break
    return {"bins": bins, "level": level, "threshold_by_error": threshold,
            "rule": f"lowest test-to-train similarity above which pooled SAR ROC-AUC >= {level} (at least 20 "
                    "compounds); None: the model does not reach it at any similarity"}


def validate(problem: Problem, X: np.ndarray, build, config) -> tuple[dict, list]:
    """Model and baseline on the same folds, subsets, paired test and y-randomisation."""
    preds = cross_validate(problem, X, build)
    baseline = baseline_predictions(problem)
    model_folds = per_fold_subset_metrics(problem, preds)
    baseline_folds = per_fold_subset_metrics(problem, baseline)
    comparison = compare_with_baseline(model_folds, baseline_folds)
    by_subset = subset_metrics(model_folds)
    real = by_subset["sar"]["roc_auc"]["mean"] if problem.task == "classification" else None
    if problem.task == "regression":
        real = headline_metrics(problem, preds)["r2"]["mean"]
    split_difficulty, _ = difficulty(problem)
    out = {
        "split": problem.split_text,
        "split_name": problem.split_name,
        "split_difficulty": split_difficulty,
        "metrics_scope": ("SAR subset: measured test compounds only (putative inactives excluded)"
                          if problem.task == "classification" else "measured exact values of the test folds"),
        "metrics": headline_metrics(problem, preds),
        "metrics_by_subset": by_subset,
        "baseline": {"method": BASELINE_METHOD, "metrics_by_subset": subset_metrics(baseline_folds), **comparison},
        "y_randomisation": y_randomisation(problem, X, build, config.y_randomisation_permutations,
                                           config.seed + 7, real),
        "error_by_similarity": error_by_similarity(problem, preds, baseline),
    }
    return out, preds


def temporal_check(rows, threshold: float, pool_smiles, pool_fps, config, featurizer: dict,
                   estimator: dict) -> dict:
    """SAR metrics of model and baseline on a forward-in-time split, where document years exist."""
    years = pd.to_numeric(rows.get("document_year", pd.Series(index=rows.index, dtype=float)), errors="coerce")
    if config.split == "temporal":
        return {"available": True, "why": "the main split above is temporal"}
    if years.notna().mean() < 0.5 or years.nunique() < config.n_folds + 1:
        return {"available": False,
                "why": f"no usable document_year ({int(years.notna().sum())} of {len(rows)} rows have one); "
                       "data fetched from ChEMBL carry it, the MoleculeACE-derived bundled data do not"}
    from ..errors import UsageError

    temporal = dataclasses.replace(config, split="temporal", y_randomisation_permutations=0)
    try:
        problem, _ = build_problem(rows, threshold, pool_smiles, pool_fps, temporal)
    except UsageError as exc:
        return {"available": False, "why": str(exc)}
    X = problem.features(featurizer, config.n_jobs)
    preds = cross_validate(problem, X, estimator_factory(featurizer, estimator, problem.task, config))
    model_folds = per_fold_subset_metrics(problem, preds)
    baseline_folds = per_fold_subset_metrics(problem, baseline_predictions(problem))
    model, base = subset_metrics(model_folds), subset_metrics(baseline_folds)
    diff, _ = difficulty(problem)
    m, b = model["sar"]["roc_auc"]["mean"], base["sar"]["roc_auc"]["mean"]
    return {"available": True, "split": problem.split_text, "split_difficulty": diff, "metrics_by_subset": model,
            "baseline_metrics_by_subset": base,
            "summary": f"{problem.split_text}: SAR ROC-AUC {m if m is None else round(m, 3)} vs similarity "
                       f"baseline {b if b is None else round(b, 3)} (median test-to-train similarity "
                       f"{diff['median']})"}
