"""The array file format: bit-identical estimators back, nothing untrusted rebuilt."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from screenkit.model import arrayfile
from screenkit.model.bundle import TRUSTED_TYPES
from screenkit.model.estimators import ConformalModel

RNG = np.random.default_rng(0)
X = (RNG.random((300, 64)) < 0.2).astype(np.uint8)
Y = (X[:, :5].sum(axis=1) + RNG.integers(0, 2, 300) > 2).astype(int)


@pytest.mark.parametrize("estimator", [
    RandomForestClassifier(n_estimators=20, random_state=0, class_weight="balanced_subsample"),
    ExtraTreesClassifier(n_estimators=10, random_state=0, max_depth=6),
    LogisticRegression(max_iter=200),
])
def test_round_trip_is_bit_identical(tmp_path, estimator):
    estimator.fit(X, Y)
    path = tmp_path / "model.npz"
    arrayfile.dump(estimator, path, TRUSTED_TYPES)
    loaded = arrayfile.load(path, TRUSTED_TYPES)
    assert type(loaded) is type(estimator)
    assert np.array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    assert loaded.get_params() == estimator.get_params()


def test_conformal_wrapper_round_trip(tmp_path):
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, Y)
    out_of_fold = np.linspace(0.05, 0.95, len(Y))
    model = ConformalModel.from_out_of_fold(forest, "classification", out_of_fold, Y, threshold=7.0, confidence=0.8)
    path = tmp_path / "model.npz"
    arrayfile.dump(model, path, TRUSTED_TYPES)
    loaded = arrayfile.load(path, TRUSTED_TYPES)
    for key, value in model.predict_outputs(X).items():
        assert np.array_equal(loaded.predict_outputs(X)[key], value), key
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def _write(path, graph, block=None):
    block = np.zeros(0, dtype=np.uint8) if block is None else block
    buffer = io.BytesIO()
    np.savez(buffer, graph=np.frombuffer(json.dumps(graph).encode(), dtype=np.uint8), arrays=block)
    path.write_bytes(buffer.getvalue())


def test_an_untrusted_class_is_never_built(tmp_path):
    path = tmp_path / "evil.npz"
    _write(path, {"format": arrayfile.ARRAYFILE_FORMAT, "layout": [],
                  "root": {"object": "os.system", "state": {"dict": {}}}})
    with pytest.raises(arrayfile.UntrustedType, match="os.system"):
        arrayfile.load(path, TRUSTED_TYPES)


def test_an_untrusted_class_is_refused_at_dump(tmp_path):
    class Local:
        pass

    with pytest.raises(arrayfile.UnsupportedObject):
        arrayfile.dump({"x": Local()}, tmp_path / "x.npz", TRUSTED_TYPES)


@pytest.mark.parametrize("damage", ["not a zip", "layout outside", "wrong format", "extra member"])
def test_damaged_files_are_value_errors(tmp_path, damage):
    path = tmp_path / "bad.npz"
    if damage == "not a zip":
        path.write_bytes(b"PK\x03\x04 truncated")
    elif damage == "layout outside":
        _write(path, {"format": arrayfile.ARRAYFILE_FORMAT, "layout": [["<f8", [10], 0]], "root": {"array": 0}})
    elif damage == "wrong format":
        _write(path, {"format": "other/9", "layout": [], "root": None})
    else:
        buffer = io.BytesIO()
        np.savez(buffer, graph=np.zeros(1, dtype=np.uint8), arrays=np.zeros(1, dtype=np.uint8),
                 extra=np.zeros(1))
        path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="array file"):
        arrayfile.load(path, TRUSTED_TYPES)


def test_a_moved_class_is_found_at_its_new_path_and_still_trust_checked(tmp_path):
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, Y)
    path = tmp_path / "model.npz"
    arrayfile.dump(forest, path, TRUSTED_TYPES)
    graph = json.loads(np.load(path)["graph"].tobytes())
    graph["root"]["object"] = "screenkit.old_place.Forest"  # as an earlier release would have written it
    _write(path, graph, np.load(path)["arrays"])
    with pytest.raises(arrayfile.UntrustedType):
        arrayfile.load(path, TRUSTED_TYPES)
    moved = {"screenkit.old_place.Forest": "sklearn.ensemble._forest.RandomForestClassifier"}
    assert np.array_equal(arrayfile.load(path, TRUSTED_TYPES, moved).predict_proba(X), forest.predict_proba(X))
    with pytest.raises(arrayfile.UntrustedType, match="os.system"):
        arrayfile.load(path, TRUSTED_TYPES, {"screenkit.old_place.Forest": "os.system"})


def test_loaded_arrays_do_not_keep_the_file_block_alive(tmp_path):
    """Views into the decompressed block would keep all of a forest's bytes in memory beside the trees' copies."""
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, Y)
    model = ConformalModel.from_out_of_fold(forest, "classification", np.linspace(0.05, 0.95, len(Y)), Y,
                                            threshold=7.0, confidence=0.8)
    path = tmp_path / "model.npz"
    arrayfile.dump(model, path, TRUSTED_TYPES)
    loaded = arrayfile.load(path, TRUSTED_TYPES)
    arrays = [v for v in vars(loaded).values() if isinstance(v, np.ndarray) and v.size]
    arrays += [v for t in loaded.estimator.estimators_ for v in vars(t).values() if isinstance(v, np.ndarray) and v.size]
    assert arrays and all(a.base is None for a in arrays)  # each owns its memory
    assert np.array_equal(loaded.estimator.predict_proba(X), forest.predict_proba(X))
