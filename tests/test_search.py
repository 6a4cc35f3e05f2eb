"""--auto selects by the SAR metric and the margin over similarity search, not by the mixed ROC-AUC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from screenkit.model import search as search_module
from screenkit.model.crossval import FoldPrediction, baseline_predictions, per_fold_subset_metrics
from screenkit.model.problem import build_problem, load_pool
from screenkit.model.search import auto_candidates, search
from screenkit.model.trainconfig import TrainConfig

CONFIG = TrainConfig(n_folds=3, n_estimators=30, y_randomisation_permutations=0)


def _scripted_cv(problem):
    """Forests rank putative inactives last but measured compounds at random (a high mixed, chance SAR
    ROC-AUC); the SVM ranks measured compounds well but puts putative inactives on top."""
    rng = np.random.default_rng(1)

    def cross_validate(problem_, X, build, folds=None, permute_seed=None):
        forest = type(build()).__name__ == "RandomForestClassifier"
        out = []
        for fold in folds:
            y, measured = problem.y[fold.test], problem.measured[fold.test]
            if forest:
                score = np.where(measured, 0.5 + 0.5 * rng.random(len(y)), 0.0)
            else:
                score = np.where(measured, 0.4 * y + 0.6 * rng.random(len(y)), 0.9)
            out.append(FoldPrediction(fold.test, score))
        return out
    return cross_validate


def test_selection_is_by_sar_not_by_the_mixed_roc_auc(jak1_problem, monkeypatch):
    monkeypatch.setattr(search_module, "cross_validate", _scripted_cv(jak1_problem))
    candidates = auto_candidates("classification", 30)[:2]  # rf, svm_tanimoto
    result = search(jak1_problem, candidates, CONFIG, budget=600, ensemble_sizes=())
    rf, svm = result.candidates
    mixed = {}
    for name in ("rf", "svm"):
        preds = result.predictions[rf["label"] if name == "rf" else svm["label"]]
        mixed[name] = np.mean([roc_auc_score(jak1_problem.y[p.rows], p.score) for p in preds])
    assert mixed["rf"] > mixed["svm"]  # the mixed figure would pick the forest ...
    assert svm["roc_auc"] > rf["roc_auc"] + 0.1  # ... the SAR figure does not
    assert result.estimator["name"] == "svm_tanimoto" and result.reason.startswith(svm["label"])
    assert "vs the default morgan+rf" in result.reason and "p =" in result.reason


def test_margins_are_over_the_baseline_on_the_same_folds(jak1_problem):
    result = search(jak1_problem, auto_candidates("classification", 30)[:2], CONFIG, budget=600, ensemble_sizes=(2,))
    baseline = per_fold_subset_metrics(jak1_problem, baseline_predictions(jak1_problem))["sar"]
    base_mean = np.nanmean([f["roc_auc"] for f in baseline])
    for record in result.candidates:
        assert record["status"].startswith("done")
        assert record["margin_roc_auc"] == pytest.approx(record["roc_auc"] - base_mean, abs=2e-4)
        assert 0 <= record["margin_roc_auc_p"] <= 1 and len(record["folds"]["roc_auc"]) == 3
    ensemble = result.candidates[-1]
    assert ensemble["estimator"]["name"] == "soft_voting" and len(ensemble["estimator"]["params"]["members"]) == 2


def test_regression_search_selects_by_rmse_on_measured_values(small_dataset, small_pool):
    table = pd.read_csv(small_dataset)
    config = TrainConfig(task="regression", n_folds=3, n_estimators=30, y_randomisation_permutations=0)
    pool_smiles, pool_fps, _ = load_pool(small_pool, config)
    problem, _ = build_problem(table[table["gene"] == "GSK3B"], 7.5, pool_smiles, pool_fps, config)
    result = search(problem, auto_candidates("regression", 30)[:3], config, budget=600)
    scored = [r for r in result.candidates if r.get("rmse") is not None]
    best = min(scored, key=lambda r: r["rmse"])
    assert result.estimator == best["estimator"] and len(scored) == 5  # 3 candidates + 2 ensembles
    assert all(0 < r["rmse"] < 2 for r in scored)
