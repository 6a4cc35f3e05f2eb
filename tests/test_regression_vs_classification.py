"""scripts/regression_vs_classification.py on small real data: TYK2 Ki (ChEMBL, with censored
records) and a slice of the ZINC pool, 2 cluster folds."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from screenkit.curation.dataset import read_dataset
from screenkit.model.crossval import estimator_factory
from screenkit.model.problem import ad_fingerprints, build_problem
from screenkit.model.trainconfig import TrainConfig
from screenkit.model.validation import validate

ROOT = Path(__file__).resolve().parent.parent


def _load_script():
    spec = importlib.util.spec_from_file_location("regression_vs_classification",
                                                  ROOT / "scripts" / "regression_vs_classification.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()
CARD = json.loads((ROOT / "models" / "TYK2_Ki.card.json").read_text())


@pytest.fixture(scope="module")
def small():
    """The card's settings on 2 folds and a 1,500-compound pool: (problem, config, measured rows)."""
    names = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{**{k: v for k, v in CARD["training_config"].items() if k in names}, "n_jobs": 1,
                            "n_folds": 2, "y_randomisation_permutations": 0})
    table = read_dataset(ROOT / "data" / "tyk2" / "tyk2_chembl.csv")
    rows = table[(table["target_chembl_id"] == CARD["target"]["chembl_id"]) &
                 (table["activity_type"] == CARD["activity_type"])]
    pool = pd.read_csv(ROOT / "data" / "putative_inactive_pool.csv.gz")["smiles"].to_numpy(str)[:1500]
    problem, extra = build_problem(rows, CARD["label"]["threshold"], pool, ad_fingerprints(pool), config)
    return problem, config, extra["rows"]


def test_shipped_classifier_and_baseline_figures_are_screenkits_own_validation(small):
    problem, config, _ = small
    result = script.evaluate(CARD, 1, problem_rows=small)
    featurizer, estimator = config.featurizer_choice(), config.estimator_choice()  # what `screenkit train` fits
    validation, _ = validate(problem, problem.features(featurizer),
                             estimator_factory(featurizer, estimator, "classification", config), config)
    for method, subsets in (("shipped classifier", validation["metrics_by_subset"]),
                            ("similarity", validation["baseline"]["metrics_by_subset"])):
        m = result["methods"][method]
        assert [m["sar_mean"], m["sar_sd"]] == [subsets["sar"]["roc_auc"]["mean"], subsets["sar"]["roc_auc"]["sd"]]
        assert [m["screen_mean"], m["screen_sd"]] == [subsets["mixed"]["roc_auc"]["mean"],
                                                      subsets["mixed"]["roc_auc"]["sd"]]
    for name in ("regression default", "regression SVR"):
        assert isinstance(result["methods"][name]["switch"], bool)
        assert 0 <= result["methods"][name]["sar_mean"] <= 1


class _RecordRows:
    """A stand-in regressor whose features are the problem row numbers: it records what it is fitted on."""

    fitted: list = []

    def fit(self, X, y):
        self.fitted.append((X[:, 0].astype(int), np.asarray(y, float)))
        return self

    def predict(self, X):
        return X[:, 0].astype(float)


def test_regressors_fit_on_exact_measured_values_only_and_score_every_test_row(small):
    problem, _, rows = small
    value, trainable = script.regression_targets(problem, rows)
    relation = rows["relation"].fillna("=").to_numpy(str)
    _RecordRows.fitted = []
    preds = script.regression_predictions(problem, np.arange(len(problem.smiles))[:, None], _RecordRows, value,
                                          trainable)
    for fold, (seen, y), pred in zip(problem.folds, _RecordRows.fitted, preds):
        measured_train = fold.train[problem.measured[fold.train]]
        assert (relation[measured_train] != "=").any()  # the fold has censored records to leave out
        assert sorted(seen) == sorted(measured_train[relation[measured_train] == "="])  # no decoys, no censored
        assert np.array_equal(y, rows["pactivity"].to_numpy(float)[seen])
        assert np.array_equal(pred.rows, fold.test) and (~problem.measured[pred.rows]).any()  # decoys are scored


def test_screen_figure_ranks_actives_above_measured_inactives_and_decoys(small):
    problem, _, _ = small
    rng = np.random.default_rng(0)
    preds = [script.FoldPrediction(f.test, rng.random(len(f.test))) for f in problem.folds]
    figures = script.fold_figures(problem, preds)
    for fold, pred, sar, screen in zip(problem.folds, preds, figures["sar"], figures["screen"]):
        measured = problem.measured[fold.test]
        assert sar == roc_auc_score(problem.y[fold.test][measured], pred.score[measured])
        assert screen == roc_auc_score(problem.y[fold.test], pred.score)
