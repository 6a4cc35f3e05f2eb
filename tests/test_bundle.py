import json
import shutil

import numpy as np
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from screenkit.bundle import MANIFEST, load_bundle
from screenkit.hashing import file_sha256
from screenkit.errors import ModelBundleError


def copy_bundle(src, tmp_path):
    dst = tmp_path / "models"
    shutil.copytree(src, dst)
    return dst


def test_bundle_round_trip(small_models):
    models = load_bundle(small_models)
    assert [m.name for m in models] == ["GSK3B_Ki", "JAK1_Ki"]
    for model in models:
        assert model.train_fingerprints.shape == (len(model.train_smiles), 2048)
        assert set(np.unique(model.train_fingerprints)) <= {0, 1}
        assert 0 < model.ad_threshold <= 1
        p = model.estimator.predict_proba(model.train_fingerprints[:3])
        assert p.shape == (3, 2)


def test_tampered_model_file_is_refused(small_models, tmp_path):
    bundle = copy_bundle(small_models, tmp_path)
    target = bundle / "JAK1_Ki.skops"
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelBundleError, match="JAK1_Ki.skops does not match the sha256"):
        load_bundle(bundle)


def test_tampered_training_set_is_refused(small_models, tmp_path):
    bundle = copy_bundle(small_models, tmp_path)
    (bundle / "GSK3B_Ki.train.npz").write_bytes(b"PK\x03\x04 not the real thing")
    with pytest.raises(ModelBundleError, match="GSK3B_Ki.train.npz"):
        load_bundle(bundle)


def test_untrusted_type_is_refused_even_with_a_matching_hash(small_models, tmp_path):
    bundle = copy_bundle(small_models, tmp_path)
    evil = bundle / "JAK1_Ki.skops"
    sio.dump(FunctionTransformer(func=print), evil)
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["sha256"]["JAK1_Ki.skops"] = file_sha256(evil)  # an attacker who also edits the manifest
    (bundle / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelBundleError, match="types screenkit does not trust"):
        load_bundle(bundle)


def test_missing_manifest_says_how_to_fix(tmp_path):
    with pytest.raises(ModelBundleError, match="screenkit train"):
        load_bundle(tmp_path)


def test_training_sets_only_skips_the_forests_but_checks_hashes(small_models, tmp_path):
    light = load_bundle(small_models, training_sets_only=True)
    full = load_bundle(small_models)
    assert [m.estimator for m in light] == [None, None]
    for a, b in zip(light, full):
        assert a.name == b.name and (a.train_fingerprints == b.train_fingerprints).all()
    bundle = copy_bundle(small_models, tmp_path)
    (bundle / "JAK1_Ki.skops").write_bytes(b"tampered")
    with pytest.raises(ModelBundleError, match="does not match the sha256"):
        load_bundle(bundle, training_sets_only=True)
