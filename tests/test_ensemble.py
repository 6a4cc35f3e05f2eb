"""Soft-voting ensembles: column blocks, out-of-fold equivalence, array-file round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screenkit.chem.featurize import make_featurizer
from screenkit.model import arrayfile
from screenkit.model.bundle import TRUSTED_TYPES, load_bundle
from screenkit.model.crossval import cross_validate, estimator_factory
from screenkit.model.ensemble import SoftVotingEnsemble, ensemble_factory, ensemble_spec
from screenkit.model.estimators import ConformalModel
from screenkit.model.problem import build_problem, load_pool
from screenkit.model.trainconfig import TrainConfig

ECFP = {"name": "morgan", "params": {"radius": 2, "fp_size": 1024}}
COUNTS = {"name": "morgan", "params": {"radius": 2, "fp_size": 1024, "counts": True}}
DESC = {"name": "concat", "params": {"parts": [ECFP, {"name": "descriptors", "params": {"names": ["MolWt", "TPSA",
                                                                                                 "MolLogP"]}}]}}
CONFIG = TrainConfig(n_folds=3, n_estimators=20, y_randomisation_permutations=0)


@pytest.fixture(scope="module")
def jak1_problem(small_dataset, small_pool):
    table = pd.read_csv(small_dataset)
    rows = table[table["gene"] == "JAK1"]
    pool_smiles, pool_fps, _ = load_pool(small_pool, CONFIG)
    problem, _ = build_problem(rows, 7.5, pool_smiles, pool_fps, CONFIG)
    return problem


def test_spec_concatenates_distinct_featurizers_and_gives_each_member_its_block():
    members = [(ECFP, {"name": "rf", "params": {"n_estimators": 5}}),
               (DESC, {"name": "rf", "params": {"n_estimators": 5}}),
               (ECFP, {"name": "svm_tanimoto", "params": {"C": 1.0}})]
    featurizer, estimator = ensemble_spec(members)
    width = make_featurizer(featurizer["name"], **featurizer["params"]).n_features
    blocks = [m["columns"] for m in estimator["params"]["members"]]
    assert blocks == [[0, 1024], [1024, 1024 + 1027], [0, 1024]] and width == 1024 + 1027
    X = make_featurizer(featurizer["name"], **featurizer["params"]).transform(["CCO", "c1ccccc1N"])
    alone = make_featurizer(DESC["name"], **DESC["params"]).transform(["CCO", "c1ccccc1N"])
    np.testing.assert_array_equal(X[:, 1024:], alone)  # the second member reads exactly its own featurizer


def test_ensemble_out_of_fold_scores_are_the_mean_of_its_members(jak1_problem):
    members = [(ECFP, {"name": "rf", "params": {"n_estimators": 20}}),
               (COUNTS, {"name": "svm_tanimoto", "params": {"C": 1.0}})]
    featurizer, estimator = ensemble_spec(members)
    ens = cross_validate(jak1_problem, jak1_problem.features(featurizer),
                         estimator_factory(featurizer, estimator, "classification", CONFIG))
    parts = [cross_validate(jak1_problem, jak1_problem.features(f), estimator_factory(f, e, "classification", CONFIG))
             for f, e in members]
    for k, fold in enumerate(ens):
        np.testing.assert_allclose(fold.score, np.mean([p[k].score for p in parts], axis=0), rtol=0, atol=1e-12)
    assert not np.allclose(parts[0][0].score, parts[1][0].score)  # the members really differ


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_ensemble_round_trips_through_the_array_file_bit_identically(jak1_problem, tmp_path, task):
    members = [(ECFP, {"name": "rf", "params": {"n_estimators": 10}}),
               (DESC, {"name": "linear", "params": {}}),
               (COUNTS, {"name": "svm_tanimoto", "params": {"C": 1.0}}),
               (ECFP, {"name": "knn", "params": {"n_neighbors": 3}})]
    featurizer, estimator = ensemble_spec(members)
    X = jak1_problem.features(featurizer)
    molwt = X[:, 1024 + 1024]  # the descriptor block's MolWt: a real-valued stand-in target
    y = jak1_problem.y if task == "classification" else molwt / 100.0
    model = ensemble_factory(estimator, task, CONFIG)().fit(X, y)
    assert isinstance(model, SoftVotingEnsemble) and len(model.estimators_) == 4
    wrapped = ConformalModel.from_out_of_fold(model, task, model.predict_proba(X)[:, 1] if task == "classification"
                                              else model.predict(X), y, threshold=0.5 if task == "classification"
                                              else float(np.median(y)), confidence=0.8)
    path = tmp_path / "ens.npz"
    arrayfile.dump(wrapped, path, TRUSTED_TYPES)
    back = arrayfile.load(path, TRUSTED_TYPES)
    before, after = wrapped.predict_outputs(X), back.predict_outputs(X)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


def test_auto_trained_ensemble_is_stored_as_an_array_file_and_scores(jak1_problem, small_dataset, small_pool, panel,
                                                                      tmp_path, monkeypatch):
    """A bundle whose winner is an ensemble loads (array file, not skops) and gives the training-time outputs."""
    from screenkit.model import search as search_module
    from screenkit.model.train import train_models

    forest = {"n_estimators": 10}
    monkeypatch.setattr(search_module, "auto_candidates", lambda task, n=200: [
        (ECFP, {"name": "rf", "params": forest}), (COUNTS, {"name": "svm_tanimoto", "params": {"C": 1.0}}),
        (ECFP, {"name": "knn", "params": {"n_neighbors": 5}})])
    monkeypatch.setattr(search_module, "_choose", lambda problem, records: (records[-1], "forced: the last ensemble"))
    config = TrainConfig(n_folds=3, n_estimators=10, y_randomisation_permutations=0, auto=True, time_budget=600)
    model = train_models(small_dataset, tmp_path / "m", panel, targets=["JAK1"], pool=small_pool, config=config)[0]
    assert model.card.estimator["class"] == "SoftVotingEnsemble"
    assert (tmp_path / "m" / "JAK1_Ki.model.npz").exists() and not list((tmp_path / "m").glob("*.skops"))
    loaded = load_bundle(tmp_path / "m")[0]
    X = loaded.featurizer.transform(loaded.train_smiles[:20].tolist())
    np.testing.assert_array_equal(loaded.predict(X)["p_active"], model.estimator.predict_outputs(X)["p_active"])


def test_an_ensemble_with_the_wrong_featurizer_is_refused_with_a_clear_error():
    from screenkit.errors import UsageError

    _, estimator = ensemble_spec([(ECFP, {"name": "rf", "params": {}}), (COUNTS, {"name": "knn", "params": {}})])
    with pytest.raises(UsageError, match="need the featurizer"):
        estimator_factory(ECFP, estimator, "classification", CONFIG)
