"""Probabilities for a library: calibration on held-out folds, prior correction, per-model domains."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from screenkit.config import bundled_path
from screenkit.errors import UsageError
from screenkit.model.bundle import bundle_digest, load_bundle
from screenkit.model.calibration import calibration_and_conformal, pooled_out_of_fold
from screenkit.model.crossval import cross_validate, estimator_factory
from screenkit.model.estimators import fit_platt, prior_correct
from screenkit.model.problem import build_problem, load_pool
from screenkit.model.trainconfig import TrainConfig
from screenkit.profile import load_profile
from screenkit.screen.rank import evidence_credit, score_rows
from screenkit.screen.readers import iter_records
from screenkit.screen.records import RawRecord
from screenkit.screen.score import ScoreOptions, score_records


@pytest.fixture(scope="module")
def held_out(small_pool):
    """Real NR3C1 Ki rows (GR), cluster split, RF out-of-fold scores; Platt fitted on the other folds."""
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"), keep_default_na=False, na_values={"pactivity": [""]})
    rows = table[table["gene"] == "NR3C1"].head(300)
    config = TrainConfig(n_estimators=50, n_folds=5, y_randomisation_permutations=0)
    pool_smiles, pool_fps, _ = load_pool(small_pool, config)
    problem, _ = build_problem(rows, 7.0, pool_smiles, pool_fps, config)
    X = problem.features(config.featurizer_choice())
    preds = cross_validate(problem, X, estimator_factory(config.featurizer_choice(), config.estimator_choice(),
                                                          "classification", config))
    return problem, preds, config


def test_calibration_lowers_held_out_brier(held_out):
    problem, preds, config = held_out
    check = calibration_and_conformal(problem, preds, config)["calibration"]["held_out_check"]
    assert check["brier_calibrated"]["mean"] < check["brier_uncalibrated"]["mean"]


def test_prior_correction_recovers_a_one_percent_base_rate(held_out):
    problem, preds, _ = held_out
    ys, p_mix, p_library = [], [], []
    for k, pred in enumerate(preds):  # each fold calibrated on the other folds only
        keep = problem.scored[pred.rows]
        s_rest, y_rest = pooled_out_of_fold(problem, [p for j, p in enumerate(preds) if j != k])
        a, b = fit_platt(s_rest, y_rest)
        p = 1 / (1 + np.exp(-(a * pred.score[keep] + b)))
        ys.append(problem.y[pred.rows][keep])
        p_mix.append(p)
        p_library.append(prior_correct(p, float(np.mean(y_rest)), 0.01))
    y, p_mix, p_library = (np.concatenate(v) for v in (ys, p_mix, p_library))
    assert 0.25 < y.mean() < 0.6  # the training mix is far from a library
    inactive, active = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    n_active = round(len(inactive) * 0.01 / 0.99)
    assert n_active >= 2
    rng = np.random.default_rng(0)
    for _ in range(5):  # held-out rows resampled to 1 % actives
        rows = np.concatenate([inactive, rng.choice(active, n_active, replace=False)])
        assert 0.004 < p_library[rows].mean() < 0.025
        assert p_mix[rows].mean() > 0.1


def test_prior_correction_is_bayes_on_the_odds():
    p = np.array([0.1, 0.5, 0.9])
    odds = p / (1 - p) * (0.01 / 0.99) / (0.3 / 0.7)
    assert prior_correct(p, 0.3, 0.01) == pytest.approx(odds / (1 + odds))
    assert prior_correct(p, 0.3, 0.3) == pytest.approx(p)


@pytest.fixture(scope="module")
def bundled_rows():
    """The bundled models on 300 compounds of the example library."""
    models_dir = bundled_path("models")
    records = [r for _, r in zip(range(300), iter_records(bundled_path("data/examples/example_library.sdf")))]
    rows = score_records(records, ScoreOptions(str(models_dir), bundle_digest(models_dir), properties=False))
    return [r for r in rows if r["status"] != "error"], load_bundle(models_dir, with_estimators=False)


def test_each_model_decides_its_domain_by_its_own_error_threshold(bundled_rows):
    rows, models = bundled_rows
    first = models[0].card.domain_threshold()[0]
    differs_from_first = differs_from_quantile = 0
    for model in models:
        ad = np.array([r[f"{model.name}_ad"] for r in rows])
        decided = np.array([r[f"{model.name}_in_domain"] for r in rows]) == 1
        own = model.card.applicability_domain.get("threshold_by_error", model.card.applicability_domain["threshold"])
        assert (decided == (ad >= own)).all(), model.name
        differs_from_first += int((decided != (ad >= first)).any())
        differs_from_quantile += int((decided != (ad >= model.card.applicability_domain["threshold"])).any())
        assert (decided != (ad >= np.quantile(ad, 0.5))).any() or own == pytest.approx(np.quantile(ad, 0.5))
    assert differs_from_first >= 3 and differs_from_quantile >= 3


def test_library_probabilities_are_small_and_enrichment_ranks_the_same(bundled_rows):
    rows, models = bundled_rows
    for model in (m for m in models if m.card.is_activity_model):
        p = np.array([r[f"{model.name}_p_active"] for r in rows])
        e = np.array([r[f"{model.name}_enrichment"] for r in rows])
        assert p.mean() < 0.01, model.name  # random lead-like compounds at a 1 % base rate
        order = np.argsort(p, kind="stable")
        assert (np.diff(e[order]) >= -1e-9).all()  # one evidence scale per model: same order
    bbb = np.array([r["BBB_B3DB_p_active"] for r in rows])
    assert bbb.mean() > 0.5  # a property model's P(BBB+) is not corrected to a library base rate
    assert "BBB_B3DB_enrichment" not in rows[0]


def test_base_rate_comes_from_the_profile_and_the_option(tmp_path):
    assert load_profile("leukodystrophy").base_rate == 0.01
    assert load_profile("activity").with_base_rate(0.001).base_rate == 0.001
    with pytest.raises(UsageError, match="between 0 and 1"):
        load_profile("activity").with_base_rate(5)
    bad = tmp_path / "bad.toml"
    bad.write_text("[activity]\nbase_rate = 0\n")
    with pytest.raises(UsageError, match="base_rate"):
        load_profile(bad)
    models_dir = bundled_path("models")
    record = [RawRecord(1, "smiles", "CN1CCC[C@H]1c1cccnc1", "nicotine")]
    low, high = (score_records(record, ScoreOptions(str(models_dir), bundle_digest(models_dir), properties=False,
                                                    base_rate=rate))[0] for rate in (0.001, 0.1))
    assert low["HRH3_Ki_p_active"] < high["HRH3_Ki_p_active"]
    assert low["HRH3_Ki_enrichment"] == pytest.approx(high["HRH3_Ki_enrichment"])


def test_activity_credit_is_log_enrichment_and_the_run_records_the_base_rate(tmp_path):
    assert evidence_credit(1.0, 100) == 0 and evidence_credit(100.0, 100) == 1
    assert evidence_credit(10.0, 100) == pytest.approx(0.5)
    from screenkit.screen.run import screen_library

    library = tmp_path / "lib.smi"
    library.write_text("CN1CCC[C@H]1c1cccnc1 nicotine\nCCN(CC)CCOC(=O)c1ccc(N)cc1 procaine\n")
    screen_library(library, tmp_path / "out.csv", profile="activity", base_rate=0.002)
    meta = json.loads((tmp_path / "out.csv.meta.json").read_text())
    assert meta["probabilities"]["base_rate"] == 0.002
    out = pd.read_csv(tmp_path / "out.csv")
    assert {"HRH3_Ki_enrichment", "HRH3_Ki_in_domain", "measured", "measured_ids"} <= set(out.columns)
    models = load_bundle(bundled_path("models"), with_estimators=False)
    again = score_rows(out.to_dict("records"), models, load_profile("activity").with_base_rate(0.002))
    assert [r["overall_score"] for r in again] == pytest.approx(list(out["overall_score"]), abs=1e-3)  # CSV keeps 4 digits


def test_update_cards_rewrites_a_card_and_its_hashes(small_models, tmp_path):
    import shutil

    from screenkit.model.bundle_write import update_cards
    from screenkit.model.card import card_markdown

    folder = shutil.copytree(small_models, tmp_path / "m")
    (model,) = load_bundle(folder, names=["JAK1_Ki"], with_estimators=False)
    card = json.loads(json.dumps(model.card.to_json()))
    card["applicability_domain"]["library_share_in_domain"] = {
        "threshold_used": "similarity >= 0.300", "rule": "test",
        "sets": [{"library": "lib", "n": 10, "share_in_domain": 0.4, "share_quantile_threshold": 0.7}]}
    update_cards(folder, {"JAK1_Ki": card}, card_markdown)
    (again,) = load_bundle(folder, names=["JAK1_Ki"], with_estimators=False)  # hashes verified
    assert again.card.applicability_domain["library_share_in_domain"]["sets"][0]["share_in_domain"] == 0.4
    assert "lib: 40% (quantile threshold: 70%)" in (folder / "JAK1_Ki.card.md").read_text()
    (folder / "JAK1_Ki.card.json").write_text("{}")
    from screenkit.errors import ModelBundleError

    with pytest.raises(ModelBundleError, match="sha256"):
        load_bundle(folder, names=["JAK1_Ki"], with_estimators=False)


def test_reliability_map_calibrates_uncalibrated_models_and_keeps_their_order():
    from screenkit.screen.probability import reliability_map

    def applied(model):
        calibration = model.card.validation.get("calibration")
        return calibration.get("applied") if isinstance(calibration, dict) else None

    models = load_bundle(bundled_path("models"), with_estimators=False)
    uncalibrated = [m for m in models if applied(m) is False]
    assert uncalibrated  # the bundle has models whose Platt scaling did not help
    grid = np.linspace(0, 1, 201)
    for model in uncalibrated:
        mapped = reliability_map(model.card)
        assert (np.diff(mapped(grid)) > 0).all(), model.name
        bins = model.card.validation["calibration"]["reliability"]["uncalibrated"]
        n = np.array([b["n"] for b in bins])
        raw = np.array([b["mean_predicted"] for b in bins])
        observed = np.array([b["observed"] for b in bins])
        # squared error of the bin means against the held-out active share, weighted by bin size
        assert np.average((mapped(raw) - observed) ** 2, weights=n) < np.average((raw - observed) ** 2, weights=n)
    platt = next(m for m in models if applied(m) is True)
    assert reliability_map(platt.card) is None


def test_the_model_selection_verdict_reaches_the_card_from_the_search_summary(small_models, tmp_path):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    folder = shutil.copytree(small_models, tmp_path / "m")
    summary = tmp_path / "summary.csv"
    base = {"shipped": "morgan+rf", "shipped_sar_roc_auc": 0.70, "shipped_sd": 0.10, "baseline_sar_roc_auc": 0.6,
            "shipped_margin": 0.1, "shipped_margin_p": 0.01, "best_margin": 0.15, "best_margin_p": 0.01,
            "best_sd": 0.08, "n_candidates": 14, "seconds": 1.0}
    pd.DataFrame([{**base, "model": "JAK1_Ki", "best": "fcfp+rf", "best_sar_roc_auc": 0.75, "gain": 0.05,
                   "gain_p": 0.01, "retrain": False, "n_evaluated": 14}]).to_csv(summary, index=False)
    script = Path(__file__).resolve().parent.parent / "scripts" / "card_model_selection.py"
    subprocess.run([sys.executable, str(script), "--models", str(folder), "--search", str(summary),
                    "--regression", str(tmp_path / "none.csv"), "--conditions", "test"], check=True,
                   capture_output=True)
    (model,) = load_bundle(folder, names=["JAK1_Ki"], with_estimators=False)  # the manifest follows the card
    selection = model.card.model_selection
    assert selection["best_challenger"]["gain"] == 0.05 and selection["n_evaluated"] == 14
    # +0.05 is inside 1 fold-sd (0.10), and 13 challengers make p 0.01 into 0.13: kept
    assert selection["verdict"].startswith("kept") and "p is 0.13" in selection["verdict"]
    text = (folder / "JAK1_Ki.card.md").read_text()
    assert "### Why this configuration" in text and "fcfp+rf: 0.750 ± 0.080, gain +0.050" in text
