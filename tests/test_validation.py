"""The validation protocol on small real data: cluster folds, fold-clean putative inactives,
the similarity baseline on the same folds, and y-randomisation inside its stated band."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from screenkit.chem.similarity import tanimoto_max
from screenkit.model.crossval import (
    baseline_predictions,
    compare_with_baseline,
    cross_validate,
    estimator_factory,
    per_fold_subset_metrics,
)
from screenkit.model.problem import ad_fingerprints, build_problem, fold_decoys, load_pool, pick_putative_inactives
from screenkit.model.randomisation import y_randomisation
from screenkit.model.split import butina_clusters
from screenkit.model.trainconfig import TrainConfig

CONFIG = TrainConfig(n_folds=3, n_estimators=30, y_randomisation_permutations=5)


@pytest.fixture(scope="module")
def gsk3b(small_dataset):
    table = pd.read_csv(small_dataset, keep_default_na=False, na_values={"pactivity": [""]})
    return table[table["gene"] == "GSK3B"].reset_index(drop=True)


@pytest.fixture(scope="module")
def pool(small_pool):
    return load_pool(small_pool, CONFIG)[:2]


@pytest.fixture(scope="module")
def problem(gsk3b, pool):
    return build_problem(gsk3b, 7.5, *pool, CONFIG)[0]


def test_no_test_fold_cluster_appears_in_training(problem, gsk3b):
    # (i) recompute the clusters from scratch at the cut-off the split reports
    cutoff = float(problem.split_text.split("cut-off ")[1].split(":")[0])
    clusters = butina_clusters(ad_fingerprints(gsk3b["smiles"]), cutoff=cutoff)
    seen = []
    for fold in problem.folds:
        train = fold.train[problem.measured[fold.train]]
        test = fold.test[problem.measured[fold.test]]
        assert not set(clusters[train]) & set(clusters[test])
        assert problem.y[test].sum() > 0  # stratified: every test fold keeps actives
        seen.extend(test)
    assert sorted(seen) == list(range(len(gsk3b)))
    assert problem.split_name == "cluster"


def test_cluster_split_is_harder_than_random(gsk3b, pool):
    from screenkit.model.validation import difficulty

    cluster = difficulty(build_problem(gsk3b, 7.5, *pool, dataclasses.replace(CONFIG, putative_inactive_ratio=0))[0])
    random = difficulty(build_problem(gsk3b, 7.5, *pool,
                                      dataclasses.replace(CONFIG, split="random", putative_inactive_ratio=0))[0])
    assert cluster[0]["median"] <= 0.55
    assert cluster[0]["median"] < random[0]["median"] - 0.1 and cluster[0]["q3"] < random[0]["q3"]


def test_test_fold_decoys_never_look_at_test_fold_actives(problem, gsk3b, pool):
    # (ii) the decoys of each test fold are the same whatever its actives are
    pool_smiles, pool_fps = pool
    fps = ad_fingerprints(gsk3b["smiles"])
    active = (gsk3b["pactivity"] >= 7.5).to_numpy()
    n = len(gsk3b)
    differs = []
    for k, fold in enumerate(problem.folds):
        train = fold.train[fold.train < n]
        test = fold.test[fold.test < n]
        seed = CONFIG.seed + 100 * k
        d_train, d_test = fold_decoys(pool_fps, fps, active, train, len(test), CONFIG, seed)
        # the problem's test rows are exactly these pool compounds
        assert sorted(problem.smiles[fold.test[fold.test >= n]]) == sorted(pool_smiles[d_test])
        assert not set(d_train) & set(d_test)
        # scramble the test fold: other fingerprints, every test compound "active"
        scrambled_fps, scrambled_active = fps.copy(), active.copy()
        scrambled_fps[test] = pool_fps[:len(test)]
        scrambled_active[test] = True
        again = fold_decoys(pool_fps, scrambled_fps, scrambled_active, train, len(test), CONFIG, seed)
        assert np.array_equal(again[0], d_train) and np.array_equal(again[1], d_test)
        assert tanimoto_max(pool_fps[d_test], fps[train[active[train]]]).max() < \
            CONFIG.putative_inactive_max_similarity
        # the old rule (against all actives, test fold included) fails the same scramble: the check has teeth
        rest = np.setdiff1d(np.arange(len(pool_fps)), d_train)

        def leaky(fingerprints, is_active, test=test, rest=rest, seed=seed):
            return pick_putative_inactives(pool_fps, fingerprints[is_active], len(test), candidates=rest,
                                           seed=seed + 1, max_similarity=CONFIG.putative_inactive_max_similarity,
                                           sphere=CONFIG.putative_inactive_sphere)

        differs.append(not np.array_equal(leaky(fps, active), leaky(scrambled_fps, scrambled_active)))
    assert any(differs)


def test_baseline_is_computed_on_the_same_folds(problem):
    # (iii) each fold's baseline = max Tanimoto of its test rows to its own training actives
    baseline = baseline_predictions(problem)
    assert len(baseline) == len(problem.folds)
    all_actives = problem.ad_fps[problem.measured & (problem.y == 1)]
    for fold, pred in zip(problem.folds, baseline):
        assert np.array_equal(pred.rows, fold.test)
        train_actives = fold.train[problem.measured[fold.train] & (problem.y[fold.train] == 1)]
        np.testing.assert_allclose(pred.score, tanimoto_max(problem.ad_fps[fold.test], problem.ad_fps[train_actives]))
        test_actives = problem.measured[fold.test] & (problem.y[fold.test] == 1)
        # against *all* actives every test active would score 1.0; on the fold it does not
        assert (tanimoto_max(problem.ad_fps[fold.test[test_actives]], all_actives) == 1.0).all()
        assert (pred.score[test_actives] < 1.0).mean() > 0.5


def test_y_randomised_roc_auc_lies_in_its_stated_band(gsk3b, pool):
    # (iv) permuted labels: SAR ROC-AUC near chance over folds x permutations; real labels beat it. A random
    # split here, because 250 GSK3B compounds teach a forest nothing about new clusters (SAR ROC-AUC ~0.5),
    # and a control that did not permute would then look "near chance" too.
    problem = build_problem(gsk3b, 7.5, *pool, dataclasses.replace(CONFIG, split="random"))[0]
    featurizer = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048}}
    build = estimator_factory(featurizer, {"name": "rf", "params": {"n_estimators": 30}}, "classification", CONFIG)
    X = problem.features(featurizer)
    real = per_fold_subset_metrics(problem, cross_validate(problem, X, build))["sar"]
    real_mean = float(np.nanmean([f["roc_auc"] for f in real]))
    result = y_randomisation(problem, X, build, 5, seed=3, real_value=real_mean)
    assert result["n_permutations"] == 5 and result["n_folds"] == 3 and result["n_runs"] == 15
    lo, hi = result["band"]
    assert lo <= result["mean"] <= hi, result
    assert real_mean > hi


def test_paired_comparison_says_plainly_when_the_model_loses():
    model = {"sar": [{"roc_auc": v} for v in (0.70, 0.72, 0.68, 0.71, 0.69)]}
    better = {"sar": [{"roc_auc": v} for v in (0.60, 0.61, 0.59, 0.62, 0.60)]}
    worse = {"sar": [{"roc_auc": v} for v in (0.75, 0.78, 0.74, 0.76, 0.77)]}
    won = compare_with_baseline(model, better)
    lost = compare_with_baseline(model, worse)
    assert won["model_beats_baseline"] and won["paired_test"]["p_value"] < 0.05
    assert won["paired_test"]["mean_difference"] == pytest.approx(0.096)
    assert not lost["model_beats_baseline"] and "does not beat" in lost["verdict"]
    noisy = compare_with_baseline(model, {"sar": [{"roc_auc": v} for v in (0.75, 0.60, 0.72, 0.62, 0.70)]})
    assert not noisy["model_beats_baseline"] and "not shown" in noisy["verdict"]


def test_temporal_split_trains_on_the_past(gsk3b, pool):
    # a small fixture with years: the real GSK3B rows, years assigned in blocks
    dated = gsk3b.assign(document_year=2000 + (np.arange(len(gsk3b)) * 12) // len(gsk3b))
    problem = build_problem(dated, 7.5, *pool, dataclasses.replace(CONFIG, split="temporal"))[0]
    years = dated["document_year"].to_numpy()
    n = len(dated)
    assert len(problem.folds) == 3
    for fold in problem.folds:
        train, test = fold.train[fold.train < n], fold.test[fold.test < n]
        assert years[train].max() < years[test].min()


def test_a_model_card_reports_a_temporal_check_beside_the_cluster_split(gsk3b, small_pool, panel, tmp_path):
    from screenkit.model.train import train_models

    dated = gsk3b.assign(document_year=2000 + (np.arange(len(gsk3b)) * 12) // len(gsk3b))
    path = tmp_path / "dated.csv"
    dated.to_csv(path, index=False)
    config = dataclasses.replace(CONFIG, n_estimators=10, y_randomisation_permutations=0)
    card = train_models(path, tmp_path / "m", panel, pool=small_pool, config=config)[0].card.to_json()
    temporal = card["validation"]["temporal"]
    assert card["validation"]["split_name"] == "cluster" and temporal["available"]
    assert "temporal" in temporal["split"] and "sar" in temporal["metrics_by_subset"]
    undated_path = tmp_path / "undated.csv"
    gsk3b.assign(document_year="").to_csv(undated_path, index=False)
    undated = train_models(undated_path, tmp_path / "m2", panel, pool=small_pool, config=config)[0].card.to_json()
    assert not undated["validation"]["temporal"]["available"]
    assert "document_year" in undated["validation"]["temporal"]["why"]


def test_calibration_on_out_of_fold_scores_lowers_held_out_brier(gsk3b, pool):
    from screenkit.model.calibration import calibration_and_conformal
    from screenkit.model.crossval import FoldPrediction

    problem = build_problem(gsk3b, 7.5, *pool, dataclasses.replace(CONFIG, split="random"))[0]
    featurizer = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048}}
    build = estimator_factory(featurizer, {"name": "rf", "params": {"n_estimators": 30}}, "classification", CONFIG)
    preds = cross_validate(problem, problem.features(featurizer), build)
    # a forest's votes, made overconfident the way boosted or balanced models often are
    skewed = [FoldPrediction(p.rows, p.score ** 4) for p in preds]
    check = calibration_and_conformal(problem, skewed, CONFIG)["calibration"]
    before = check["held_out_check"]["brier_uncalibrated"]["mean"]
    after = check["held_out_check"]["brier_calibrated"]["mean"]
    assert after < before - 0.01, (before, after)
    off = calibration_and_conformal(problem, skewed, dataclasses.replace(CONFIG, calibrate=False))["calibration"]
    assert off["held_out_check"]["brier_calibrated"]["mean"] == pytest.approx(before)
    # the reliability table of the calibrated scores is closer to the diagonal
    def gap(rows):
        return sum(r["n"] * abs(r["mean_predicted"] - r["observed"]) for r in rows) / sum(r["n"] for r in rows)
    assert gap(check["reliability"]["calibrated"]) < gap(check["reliability"]["uncalibrated"])


def test_prior_correction_moves_a_known_base_rate():
    from sklearn.linear_model import LogisticRegression

    from screenkit.model.estimators import ConformalModel, prior_correct

    rng = np.random.default_rng(0)

    def sample(n_active, n_inactive):
        x = np.concatenate([rng.normal(1.0, 1.0, n_active), rng.normal(-1.0, 1.0, n_inactive)])[:, None]
        return x, np.concatenate([np.ones(n_active, int), np.zeros(n_inactive, int)])

    x_mix, y_mix = sample(3000, 7000)  # a training mix: 30 % active
    logistic = LogisticRegression().fit(x_mix, y_mix)
    model = ConformalModel.from_out_of_fold(logistic, "classification", logistic.predict_proba(x_mix)[:, 1], y_mix,
                                            threshold=7.0, confidence=0.8, calibrate=True)
    assert model.training_rate == pytest.approx(0.3)
    x_lib, y_lib = sample(200, 19800)  # a library: 1 % active
    p_mix = model.predict_proba(x_lib)[:, 1]
    p_lib = model.p_active_at_base_rate(x_lib, 0.01)
    assert p_mix.mean() > 0.1  # uncorrected, the model expects a 30 %-active world
    assert p_lib.mean() == pytest.approx(0.01, abs=0.003)
    assert np.mean((p_lib - y_lib) ** 2) < np.mean((p_mix - y_lib) ** 2)
    assert np.array_equal(np.argsort(p_lib), np.argsort(p_mix))  # monotone: the ranking is unchanged
    assert prior_correct(0.3, 0.3, 0.01) == pytest.approx(0.01)
