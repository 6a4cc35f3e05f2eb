"""The numbers a chemist reads, pinned against independent recomputations: conformal p-values
(direction, exact value, coverage band), the applicability-domain value of every model's column
and the AD threshold written into the card. Each test fails under the mutation named in its
docstring (issue 11: swapped conformal p-values, the 50 % instead of the 5 % quantile, every model
given model 0's AD column)."""

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from screenkit.config import bundled_path
from screenkit.model.bundle import bundle_digest, load_bundle
from screenkit.model.estimators import ConformalModel, make_estimator, positive_score
from screenkit.model.split import make_folds


def _rdkit_bits(smiles):
    """Morgan r2/2048 bit vectors made by RDKit directly (not through screenkit's featurizer)."""
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    return [generator.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]


def _rdkit_max_similarity(query_smiles, reference_smiles):
    reference = _rdkit_bits(reference_smiles)
    return np.array([max(DataStructs.BulkTanimotoSimilarity(q, reference)) for q in _rdkit_bits(query_smiles)])


@pytest.fixture(scope="module")
def conformal_split():
    """OPRK1 Ki (55 % active at pKi 7): a forest trained on half, conformal scores from a quarter
    (split conformal), the last quarter as new compounds exchangeable with the calibration ones."""
    from screenkit.chem.similarity import AD_SPACE

    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"))
    table = table[(table["gene"] == "OPRK1") & (table["activity_type"] == "Ki")].sample(frac=1.0, random_state=7)
    X = AD_SPACE.fingerprints(table["smiles"])
    y = (table["pactivity"].to_numpy() >= 7.0).astype(int)
    n = len(y)
    train, cal, test = np.split(np.arange(n), [n // 2, 3 * n // 4])
    forest = make_estimator("rf", n_estimators=100, seed=0).fit(X[train], y[train])
    model = ConformalModel.from_out_of_fold(forest, "classification", positive_score(forest, X[cal]), y[cal],
                                            threshold=7.0, confidence=0.8)
    return model, X[test], y[test], X[cal], y[cal]


def test_conformal_p_values_equal_a_direct_count(conformal_split):
    """Swapped p-values fail: each is recomputed here by counting calibration compounds of its own class
    that conform no better (nonconformity of an active: 1 - p_active; of an inactive: p_active)."""
    model, X_test, _, X_cal, y_cal = conformal_split
    out = model.predict_outputs(X_test[:40])
    p_cal = model.predict_proba(X_cal)[:, 1]
    for i, p in enumerate(out["p_active"]):
        actives = [1 - q for q, label in zip(p_cal, y_cal) if label == 1]
        inactives = [q for q, label in zip(p_cal, y_cal) if label == 0]
        expected_active = (sum(a >= 1 - p - 1e-12 for a in actives) + 1) / (len(actives) + 1)
        expected_inactive = (sum(b >= p - 1e-12 for b in inactives) + 1) / (len(inactives) + 1)
        assert out["conformal_p_active"][i] == pytest.approx(expected_active, abs=1e-9)
        assert out["conformal_p_inactive"][i] == pytest.approx(expected_inactive, abs=1e-9)


def test_conformal_p_values_point_the_right_way(conformal_split):
    """Swapped p-values fail: a higher calibrated probability must raise p(active) and lower p(inactive)."""
    model, X_test, _, _, _ = conformal_split
    out = model.predict_outputs(X_test)
    order = np.argsort(out["p_active"], kind="stable")
    assert (np.diff(out["conformal_p_active"][order]) >= -1e-12).all()
    assert (np.diff(out["conformal_p_inactive"][order]) <= 1e-12).all()
    confident = out["p_active"] >= 0.9
    assert confident.sum() >= 10
    assert (out["conformal_p_active"][confident] > out["conformal_p_inactive"][confident]).all()


@pytest.mark.parametrize("significance", [0.1, 0.2, 0.3])
def test_conformal_coverage_per_class_is_in_its_band(conformal_split, significance):
    """Swapped p-values fail: per class (Mondrian), the true label's p-value exceeds the significance
    for 1 - significance of new compounds, within 3 binomial standard errors (plus 1/(n+1) above)."""
    model, X_test, y_test, _, y_cal = conformal_split
    out = model.predict_outputs(X_test)
    for label, column in ((1, "conformal_p_active"), (0, "conformal_p_inactive")):
        covered = out[column][y_test == label] > significance
        n = len(covered)
        se = np.sqrt(significance * (1 - significance) / n)
        low, high = 1 - significance - 3 * se, 1 - significance + 3 * se + 1 / ((y_cal == label).sum() + 1)
        assert low <= covered.mean() <= high, (label, covered.mean(), low, high)


@pytest.fixture(scope="module")
def bundle(small_models):
    return {m.name: m for m in load_bundle(small_models, training_sets_only=True)}


def test_every_models_ad_column_is_its_own_training_set_similarity(small_models, bundle):
    """Model 0's AD column for every model fails: each ``<model>_ad`` equals RDKit's max Tanimoto to that
    model's own measured training compounds, and the two models' columns differ."""
    from screenkit.screen.library import RawRecord
    from screenkit.screen.score import ScoreOptions, score_records

    names = sorted(bundle)
    assert len(names) == 2
    queries = [s for name in names for s in bundle[name].train_smiles[:8]]
    zinc = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz"))["smiles"].head(8).tolist()
    queries += zinc
    records = [RawRecord(i, "smiles", s, f"q{i}") for i, s in enumerate(queries)]
    rows = score_records(records, ScoreOptions(str(small_models), bundle_digest(small_models), properties=False))
    assert all(r["status"] in ("ok", "warning") for r in rows), [r.get("reason") for r in rows]
    smiles = [r["smiles"] for r in rows]
    columns = {}
    for name in names:
        got = np.array([r[f"{name}_ad"] for r in rows], dtype=float)
        np.testing.assert_allclose(got, _rdkit_max_similarity(smiles, bundle[name].train_smiles), atol=1e-6)
        columns[name] = got
    assert np.abs(columns[names[0]] - columns[names[1]]).max() > 0.2


def test_card_ad_threshold_is_the_5_percent_quantile_of_test_to_train_similarity(bundle):
    """The 50 % quantile fails: the threshold is recomputed from the card's own split settings, with
    RDKit similarities of each fold's measured test compounds to its measured training compounds."""
    for model in bundle.values():
        card = model.card.to_json()
        config = card["training_config"]
        assert config["ad_quantile"] == 0.05
        y = (model.train_pactivity >= card["label"]["threshold"]).astype(int)
        folds, _ = make_folds(config["split"], smiles=model.train_smiles, fingerprints=model.train_fingerprints,
                              y=y, n_splits=config["n_folds"], seed=config["seed"],
                              max_median_similarity=config["cluster_max_median_similarity"])
        nn = np.concatenate([_rdkit_max_similarity(model.train_smiles[test], model.train_smiles[train])
                             for train, test in folds])
        threshold = card["applicability_domain"]["threshold"]
        assert threshold == pytest.approx(np.quantile(nn, 0.05), abs=1e-4)
        assert threshold < np.quantile(nn, 0.5) - 0.05  # the two quantiles are far apart, so the pin has teeth
        assert "5% quantile" in card["applicability_domain"]["why"]
