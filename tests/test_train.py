import json

import numpy as np
import pandas as pd
import pytest

from screenkit.errors import UsageError
from screenkit.model.bundle import load_bundle
from screenkit.model.card import ModelCard
from screenkit.model.problem import labels as _labels
from screenkit.model.train import train_models
from screenkit.model.trainconfig import TrainConfig


def test_model_card_records_data_split_metrics_and_versions(small_models):
    card = json.loads((small_models / "JAK1_Ki.card.json").read_text())
    assert card["target"]["chembl_id"] == "CHEMBL2835"
    assert card["label"]["threshold"] == 7.5
    data = card["data"]
    assert data["n_measured"] == 250
    assert data["n_measured_active"] + data["n_measured_inactive"] == 250
    assert 0 < data["n_putative_inactives"] <= 250
    assert len(data["dataset_sha256"]) == 64
    assert card["validation"]["split_name"] == "cluster" and "Butina" in card["validation"]["split"]
    roc = card["validation"]["metrics"]["roc_auc"]
    assert roc["folds"] == 3 and 0.5 < roc["mean"] <= 1.0 and roc["sd"] is not None
    assert {"rdkit", "scikit-learn", "numpy", "screenkit"} <= set(card["versions"])
    markdown = (small_models / "JAK1_Ki.card.md").read_text()
    assert "# Model card: JAK1_Ki" in markdown and "roc_auc" in markdown and "Versus similarity search" in markdown
    assert ModelCard.from_json(card).to_json() == card


def test_putative_inactives_are_far_from_actives_and_diverse(small_pool):
    from screenkit.chem.featurize import MorganFingerprint
    from screenkit.chem.similarity import tanimoto_max
    from screenkit.model.problem import pick_putative_inactives

    config = TrainConfig()
    pool_fps = MorganFingerprint().transform(pd.read_csv(small_pool)["smiles"].tolist())
    actives = MorganFingerprint().transform(["CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccc2[nH]ccc2c1"] +
                                            pd.read_csv(small_pool)["smiles"].head(20).tolist())
    picked = pick_putative_inactives(pool_fps, actives, 100, max_similarity=config.putative_inactive_max_similarity,
                                     sphere=config.putative_inactive_sphere, seed=0)
    assert 0 < len(picked) <= 100
    assert (tanimoto_max(pool_fps[picked], actives) < config.putative_inactive_max_similarity).all()
    for i in picked[:30]:  # sphere exclusion: no two picks closer than the radius
        others = pool_fps[[j for j in picked if j != i]]
        assert tanimoto_max(pool_fps[[i]], others)[0] <= 1 - config.putative_inactive_sphere + 1e-9


def test_holdout_removes_controls_and_their_similarity_cluster(small_dataset, small_pool, panel, tmp_path):
    from screenkit.chem.similarity import tanimoto_max
    from screenkit.model.problem import ad_fingerprints

    table = pd.read_csv(small_dataset)
    jak1 = table[table["gene"] == "JAK1"]
    control = jak1.iloc[0]
    near = tanimoto_max(ad_fingerprints(jak1["smiles"]), ad_fingerprints([control["smiles"]]))
    n_near = int((near >= 0.5).sum())
    assert 1 < n_near < len(jak1)  # the control itself and some neighbours
    holdout = tmp_path / "holdout.csv"
    pd.DataFrame([{"inchikey": control["inchikey"], "smiles": control["smiles"]}]).to_csv(holdout, index=False)
    models = train_models(small_dataset, tmp_path / "m", panel, targets=["JAK1"], holdout=holdout,
                          pool=small_pool, config=TrainConfig(**FAST))
    assert models[0].card.data["n_measured"] == len(jak1) - n_near
    assert tanimoto_max(models[0].train_fingerprints, ad_fingerprints([control["smiles"]])).max() < 0.5


def test_censored_values_only_count_when_they_decide_the_label():
    rows = pd.DataFrame({"pactivity": [8.0, 5.0, 5.0, 8.0, 6.0], "relation": ["=", "<", ">", ">", "<"]})
    labelled, dropped = _labels(rows, threshold=7.0)
    assert labelled["active"].tolist() == [1, 0, 1, 0]
    assert dropped == 1  # "> 5" says nothing about a threshold of 7


def test_too_little_data_is_reported_not_trained(small_dataset, small_pool, panel, tmp_path):
    with pytest.raises(UsageError, match="no target had enough data"):
        train_models(small_dataset, tmp_path / "m", panel, targets=["JAK1"], pool=small_pool,
                     config=TrainConfig(n_estimators=5, min_compounds=10_000))


def test_a_fold_without_actives_does_not_crash():
    from sklearn.ensemble import RandomForestClassifier

    from screenkit.model.estimators import positive_score

    X = np.zeros((4, 3))
    only_inactive = RandomForestClassifier(n_estimators=2).fit(X, [0, 0, 0, 0])
    assert positive_score(only_inactive, X).tolist() == [0.0] * 4
    only_active = RandomForestClassifier(n_estimators=2).fit(X, [1, 1, 1, 1])
    assert positive_score(only_active, X).tolist() == [1.0] * 4


# --- validation, uncertainty, --auto, regression, your own data ---

FAST = dict(n_estimators=10, n_folds=3, min_compounds=20, y_randomisation_permutations=1)


def test_card_has_metrics_y_randomisation_calibration_conformal_and_oecd_use(small_models):
    card = json.loads((small_models / "JAK1_Ki.card.json").read_text())
    v = card["validation"]
    assert {"roc_auc", "pr_auc", "mcc", "balanced_accuracy", "ef_1pct", "bedroc_20", "brier"} <= set(v["metrics"])
    assert v["metrics"]["roc_auc"] == v["metrics_by_subset"]["sar"]["roc_auc"]  # the headline is SAR
    yr = v["y_randomisation"]
    assert yr["metric"] == "roc_auc" and yr["subset"] == "sar" and yr["n_permutations"] == 5
    assert yr["n_runs"] <= yr["n_folds"] * yr["n_permutations"] and yr["band"] == [0.4, 0.6]
    assert yr["passed"] == (0.4 <= yr["mean"] <= 0.6 and yr["real_model"] - yr["mean"] > 2 * yr["sd"])
    assert {"sar", "library", "mixed"} <= set(v["metrics_by_subset"]) == set(v["baseline"]["metrics_by_subset"])
    assert isinstance(v["baseline"]["model_beats_baseline"], bool) and v["baseline"]["verdict"]
    assert set(v["split_difficulty"]) == {"median", "q1", "q3", "share_ge_0_8", "n"}
    assert v["split_difficulty"]["n"] == card["data"]["n_measured"]
    assert "brier_calibrated" in v["calibration"]["held_out_check"] and "applied" in v["calibration"]
    coverage = v["conformal"]["held_out_check"]["conformal_coverage"]["mean"]
    assert abs(coverage - v["conformal"]["confidence"]) < 0.1
    assert card["outputs"] == ["p_active", "conformal_p_active", "conformal_p_inactive"]
    assert "OECD" in card["intended_use"] and "applicability domain" in card["intended_use"]
    assert card["featurizer"] == {"name": "morgan", "params": {"radius": 2, "fp_size": 2048, "counts": False,
                                                                "n_jobs": 1}}
    model = load_bundle(small_models, ["JAK1_Ki"])[0]
    out = model.predict(model.featurizer.transform(["CCO", "c1ccccc1O"]))
    assert set(out) == set(card["outputs"]) and all(len(v) == 2 for v in out.values())


def test_pinned_featurizer_and_estimator(small_dataset, small_pool, panel, tmp_path):
    config = TrainConfig(**FAST, featurizer="fcfp", estimator="svm_tanimoto", estimator_params={"C": 0.5},
                         split="scaffold")
    model = train_models(small_dataset, tmp_path / "m", panel, targets=["JAK1"], pool=small_pool, config=config)[0]
    assert model.card.featurizer["name"] == "fcfp"
    assert model.card.estimator["class"] == "TanimotoSVC" and model.card.estimator["params"]["C"] == 0.5
    assert "scaffold" in model.card.validation["split"] and model.card.validation["split_name"] == "scaffold"
    loaded = load_bundle(tmp_path / "m")[0]
    X = loaded.featurizer.transform(loaded.train_smiles.tolist())
    p = loaded.predict(X)["p_active"]
    np.testing.assert_array_equal(p, model.predict(X)["p_active"])  # the saved SVM predicts as the fitted one
    active = loaded.train_pactivity >= loaded.card.label["threshold"]
    assert p[active].mean() > p[~active].mean() + 0.2  # and it learned the labels it was trained on


def test_auto_search_honours_budget_and_is_seeded(small_dataset, small_pool, panel, tmp_path):
    config = TrainConfig(**FAST, auto=True, time_budget=0.0, auto_folds=2)
    cards = [train_models(small_dataset, tmp_path / f"m{i}", panel, targets=["JAK1"], pool=small_pool,
                          config=config)[0].card.to_json() for i in range(2)]
    search = cards[0]["auto_search"]
    assert len(search["candidates"]) == 1 and search["budget_exhausted"]  # budget 0: only the first candidate
    assert cards[0]["auto_search"]["candidates"][0]["score"] == cards[1]["auto_search"]["candidates"][0]["score"]
    assert cards[0]["validation"]["metrics"] == cards[1]["validation"]["metrics"]


def test_regression_with_censored_values(small_dataset, small_pool, panel, tmp_path):
    table = pd.read_csv(small_dataset)
    table = table[table["gene"] == "JAK1"].copy()
    table.loc[table.index[:15], ["relation", "pactivity"]] = ["<", 5.0]
    path = tmp_path / "censored.csv"
    table.to_csv(path, index=False)
    for policy, n_measured in (("exclude", len(table) - 15), ("bound", len(table))):
        config = TrainConfig(**FAST, task="regression", censored=policy)
        model = train_models(path, tmp_path / policy, panel, pool=small_pool, config=config)[0]
        card = model.card.to_json()
        assert card["data"]["n_measured"] == n_measured and card["data"]["n_putative_inactives"] == 0
        assert card["data"]["censored_values"] == {"exclude": "censored values excluded from training",
                                                   "bound": "censored values train at their bound; excluded from "
                                                            "metrics and conformal residuals"}[policy]
        assert {"rmse", "mae", "r2", "spearman", "roc_auc"} <= set(card["validation"]["metrics"])
        assert card["outputs"] == ["pactivity", "pactivity_lower", "pactivity_upper", "p_active"]
        coverage = card["validation"]["conformal"]["held_out_check"]["conformal_coverage"]["mean"]
        assert 0.65 < coverage < 0.95
    assert card["data"]["n_censored_used_as_bound"] == 15


def test_train_on_own_data_csv_and_sdf(small_dataset, tmp_path):
    from rdkit import Chem

    from screenkit.model.train import train_on_data

    table = pd.read_csv(small_dataset)
    own = table[table["gene"] == "GSK3B"].head(120)
    csv_path = tmp_path / "assay.csv"
    pd.DataFrame({"smi": list(own["smiles"]) + ["not a molecule"],
                  "ic50_nM": list(10 ** (9 - own["pactivity"])) + [5.0]}).to_csv(csv_path, index=False)
    config = TrainConfig(**FAST, putative_inactive_ratio=0.0)
    model = train_on_data(csv_path, tmp_path / "own", smiles_col="smi", value_col="ic50_nM", units="nM",
                          threshold=7.0, config=config)[0]
    assert model.name == "assay" and model.card.data["n_rows_excluded"] == 1
    assert model.card.label["threshold"] == 7.0 and model.card.data["n_measured"] <= 120
    np.testing.assert_allclose(sorted(model.train_pactivity)[-1], own["pactivity"].max(), atol=1e-6)
    sdf_path = tmp_path / "assay.sdf"
    with Chem.SDWriter(str(sdf_path)) as writer:
        for smi, p in zip(own["smiles"], own["pactivity"]):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("pIC50", str(p))
            writer.write(mol)
    from_sdf = train_on_data(sdf_path, tmp_path / "own_sdf", smiles_col=None, value_col="pIC50", threshold=7.0,
                             name="gsk", config=config)[0]
    assert from_sdf.card.data["n_measured"] == model.card.data["n_measured"]
    with pytest.raises(UsageError, match="has no column 'pki'"):
        train_on_data(csv_path, tmp_path / "x", smiles_col="smi", value_col="pki", config=config)


def test_retraining_one_model_keeps_its_place_in_the_bundle(small_models, small_dataset, small_pool, panel, tmp_path):
    import shutil

    folder = shutil.copytree(small_models, tmp_path / "m")
    before = [e["name"] for e in json.loads((folder / "manifest.json").read_text())["models"]]
    first = before[0]
    gene = first.split("_")[0]
    train_models(small_dataset, folder, panel, targets=[gene], pool=small_pool, config=TrainConfig(**FAST))
    after = [e["name"] for e in json.loads((folder / "manifest.json").read_text())["models"]]
    assert after == before  # the manifest keeps models by name: rescored columns keep their order
    assert {m.name for m in load_bundle(folder)} == set(before)  # and every file still verifies
