import numpy as np
import pytest
import skops.io as sio
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from screenkit.chem.similarity import minmax_kernel
from screenkit.errors import UsageError
from screenkit.model.bundle import TRUSTED_TYPES
from screenkit.model.estimators import (
    ESTIMATORS,
    ConformalModel,
    forest_class_proba,
    make_estimator,
    mondrian_p_values,
    positive_score,
)
from screenkit.model.tanimoto import TanimotoSVC

SMILES = ["CCOc1ccc(CN2CCCC2)cc1", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "c1ccc2ccccc2c1", "CCCCCCO"]


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.random((n, 64)) < 0.25).astype(np.uint8)
    y = ((X[:, 0] + X[:, 1] + X[:, 2]) >= 1).astype(int)
    return X, y, X[:, :4].sum(axis=1) + rng.normal(0, 0.2, n)


def test_minmax_kernel_is_rdkit_tanimoto_on_bits():
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in SMILES]
    X = np.array([gen.GetFingerprintAsNumPy(m) for m in mols])
    bvs = [gen.GetFingerprint(m) for m in mols]
    expected = np.array([DataStructs.BulkTanimotoSimilarity(b, bvs) for b in bvs])
    np.testing.assert_allclose(minmax_kernel(X, X), expected, rtol=1e-6)
    counts = np.array([[2, 0, 1], [1, 1, 1]])
    assert minmax_kernel(counts, counts)[0, 1] == pytest.approx(2 / 4)


def test_tanimoto_svc_equals_sklearn_svc_on_the_precomputed_kernel():
    from sklearn.svm import SVC

    X, y, _ = _data()
    ours = TanimotoSVC(C=1.0).fit(X, y)
    reference = SVC(kernel="precomputed", C=1.0, class_weight="balanced").fit(minmax_kernel(X, X), y)
    np.testing.assert_allclose(ours.decision_function(X[:10]), reference.decision_function(minmax_kernel(X[:10], X)),
                               rtol=1e-6, atol=1e-9)
    assert len(ours.support_vectors_) < len(X)  # only the support vectors are kept


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_saves_with_skops_and_trusted_types(name, task, tmp_path):
    X, y, values = _data()
    target = y if task == "classification" else values
    params = {"n_estimators": 5} if name in ("rf", "extra_trees") else {"max_iter": 10} if name == "hist_gb" else {}
    est = make_estimator(name, task, **params).fit(X, target)
    score = est.predict_proba(X)[:, 1] if task == "classification" else est.predict(X)
    wrapped = ConformalModel.from_out_of_fold(est, task, score, target, threshold=1.5, confidence=0.8)
    path = tmp_path / "m.skops"
    sio.dump(wrapped, path)
    loaded = sio.load(path, trusted=TRUSTED_TYPES)
    a, b = wrapped.predict_outputs(X[:5]), loaded.predict_outputs(X[:5])
    assert list(a) == wrapped.outputs and "p_active" in a
    for key in a:
        np.testing.assert_allclose(a[key], b[key])
        assert a[key].shape == (5,)
    if task == "classification":  # Platt-calibrated probability, recomputed from the raw score
        expected = 1 / (1 + np.exp(-(wrapped.platt_a * positive_score(est, X[:5]) + wrapped.platt_b)))
    else:  # share of out-of-fold residuals r with prediction + r >= threshold (conformal predictive distribution)
        yhat = est.predict(X[:5])
        expected = np.array([((y + wrapped.residuals >= 1.5).sum() + 0.5) / (len(wrapped.residuals) + 1)
                             for y in yhat])
    np.testing.assert_allclose(a["p_active"], expected, rtol=1e-9)


def test_descriptor_features_get_scaled_models_and_no_tanimoto_svm():
    from sklearn.pipeline import Pipeline

    assert isinstance(make_estimator("linear", nonnegative=False), Pipeline)
    with pytest.raises(UsageError, match="svm_tanimoto' needs fingerprint"):
        make_estimator("svm_tanimoto", nonnegative=False)
    with pytest.raises(UsageError, match="unknown estimator 'xgb'"):
        make_estimator("xgb")
    with pytest.raises(UsageError, match="bad parameters for estimator 'knn'"):
        make_estimator("knn", depth=3)


def test_conformal_p_values_and_regression_p_active():
    assert mondrian_p_values(np.array([0.1, 0.2, 0.3]), np.array([0.0, 0.25, 1.0])).tolist() == [1.0, 0.5, 0.25]
    X, _, values = _data()
    est = make_estimator("linear", "regression").fit(X, values)
    model = ConformalModel.from_out_of_fold(est, "regression", est.predict(X), values, threshold=1.5, confidence=0.8)
    out = model.predict_outputs(X)
    order = np.argsort(out["pactivity"])
    assert (np.diff(out["p_active"][order]) >= -1e-12).all()  # higher prediction, higher P(active)
    assert (out["pactivity_lower"] <= out["pactivity"]).all() and (out["pactivity"] <= out["pactivity_upper"]).all()


@pytest.mark.parametrize("name", ["rf", "extra_trees"])
def test_forest_proba_is_bit_identical_to_scikit_learn(name):
    X, y, _ = _data(n=300, seed=3)
    forest = make_estimator(name, "classification", n_estimators=25, random_state=0).fit(X, y)
    assert type(forest).__name__ in ("RandomForestClassifier", "ExtraTreesClassifier")  # the fast path, not the fallback
    query = (np.random.default_rng(9).random((120, X.shape[1])) < 0.3).astype(np.uint8)
    expected = forest.predict_proba(query)
    for column in (1, 0, 1):  # the second call for a column reuses the cached leaf tables
        assert np.array_equal(forest_class_proba(forest, query, column), expected[:, column])
    with pytest.raises(UsageError, match="features"):
        forest_class_proba(forest, query[:, :10], 1)


def test_forest_proba_follows_a_refit_and_a_warm_start():
    X, y, _ = _data(n=200, seed=4)
    forest = make_estimator("rf", "classification", n_estimators=10, random_state=0).fit(X, y)
    forest_class_proba(forest, X, 1)  # fills the cache
    forest.fit(X, 1 - y)
    assert np.array_equal(forest_class_proba(forest, X, 1), forest.predict_proba(X)[:, 1])
    forest.set_params(warm_start=True, n_estimators=15, class_weight=None).fit(X, 1 - y)
    assert np.array_equal(forest_class_proba(forest, X, 1), forest.predict_proba(X)[:, 1])


def test_a_forest_behind_an_imputer_scores_through_the_fast_path_with_the_same_numbers(monkeypatch):
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline

    from screenkit.model import estimators

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 12))
    X[rng.random(X.shape) < 0.05] = np.nan  # descriptors undefined for some molecules
    y = (np.nan_to_num(X[:, 0]) + rng.normal(scale=0.5, size=300) > 0).astype(int)
    pipeline = make_pipeline(SimpleImputer(), RandomForestClassifier(n_estimators=30, random_state=0)).fit(X, y)
    used = []
    real = estimators.forest_class_proba
    monkeypatch.setattr(estimators, "forest_class_proba", lambda *a: used.append(1) or real(*a))
    fast = estimators.positive_score(pipeline, X)
    assert used  # the forest's own fast path, not Pipeline.predict_proba
    np.testing.assert_array_equal(fast, pipeline.predict_proba(X)[:, 1])
