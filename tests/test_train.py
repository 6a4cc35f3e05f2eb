import json

import numpy as np
import pandas as pd
import pytest

from screenkit.bundle import load_bundle
from screenkit.errors import UsageError
from screenkit.split import murcko_scaffold
from screenkit.train import TrainConfig, _labels, train_models


def test_model_card_records_data_split_metrics_and_versions(small_models):
    card = json.loads((small_models / "JAK1_Ki.card.json").read_text())
    assert card["target"]["chembl_id"] == "CHEMBL2835"
    assert card["label"]["threshold"] == 7.5
    data = card["data"]
    assert data["n_measured"] == 250
    assert data["n_measured_active"] + data["n_measured_inactive"] == 250
    assert 0 < data["n_putative_inactives"] <= 250
    assert len(data["dataset_sha256"]) == 64
    assert "scaffold" in card["validation"]["split"]
    roc = card["validation"]["metrics"]["roc_auc"]
    assert roc["folds"] == 3 and 0.5 < roc["mean"] <= 1.0 and roc["sd"] is not None
    assert {"rdkit", "scikit-learn", "numpy", "screenkit"} <= set(card["versions"])
    markdown = (small_models / "JAK1_Ki.card.md").read_text()
    assert "# Model card: JAK1_Ki" in markdown and "roc_auc" in markdown


def test_putative_inactives_are_far_from_actives_and_diverse(small_pool):
    from screenkit.featurize import MorganFingerprint, tanimoto_max
    from screenkit.train import _pick_putative_inactives

    config = TrainConfig()
    pool_fps = MorganFingerprint().transform(pd.read_csv(small_pool)["smiles"].tolist())
    actives = MorganFingerprint().transform(["CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccc2[nH]ccc2c1"] +
                                            pd.read_csv(small_pool)["smiles"].head(20).tolist())
    picked = _pick_putative_inactives(pool_fps, actives, 100, config)
    assert 0 < len(picked) <= 100
    assert (tanimoto_max(pool_fps[picked], actives) < config.putative_inactive_max_similarity).all()
    for i in picked[:30]:  # sphere exclusion: no two picks closer than the radius
        others = pool_fps[[j for j in picked if j != i]]
        assert tanimoto_max(pool_fps[[i]], others)[0] <= 1 - config.putative_inactive_sphere + 1e-9


def test_holdout_removes_controls_and_their_scaffolds(small_dataset, small_pool, panel, tmp_path):
    table = pd.read_csv(small_dataset)
    jak1 = table[table["gene"] == "JAK1"]
    control = jak1.iloc[0]
    scaffold = murcko_scaffold(control["smiles"])
    same_scaffold = int((jak1["smiles"].map(murcko_scaffold) == scaffold).sum())
    holdout = tmp_path / "holdout.csv"
    pd.DataFrame([{"inchikey": control["inchikey"], "scaffold": scaffold}]).to_csv(holdout, index=False)
    models = train_models(small_dataset, tmp_path / "m", panel, targets=["JAK1"], holdout=holdout,
                          pool=small_pool, config=TrainConfig(n_estimators=5, n_folds=3, min_compounds=20))
    assert models[0].card["data"]["n_measured"] == len(jak1) - same_scaffold
    assert control["inchikey"] not in set(models[0].train_inchikey)


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

    from screenkit.train import _probability_active

    X = np.zeros((4, 3))
    only_inactive = RandomForestClassifier(n_estimators=2).fit(X, [0, 0, 0, 0])
    assert _probability_active(only_inactive, X).tolist() == [0.0] * 4
    only_active = RandomForestClassifier(n_estimators=2).fit(X, [1, 1, 1, 1])
    assert _probability_active(only_active, X).tolist() == [1.0] * 4
