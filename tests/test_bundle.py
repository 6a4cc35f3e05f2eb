import json
import shutil

import numpy as np
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from screenkit.errors import ModelBundleError
from screenkit.hashing import file_sha256
from screenkit.model.bundle import MANIFEST, load_bundle


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
    target = bundle / "JAK1_Ki.model.npz"
    data = bytearray(target.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelBundleError, match="JAK1_Ki.model.npz does not match the sha256"):
        load_bundle(bundle)


def test_tampered_training_set_is_refused(small_models, tmp_path):
    bundle = copy_bundle(small_models, tmp_path)
    (bundle / "GSK3B_Ki.train.npz").write_bytes(b"PK\x03\x04 not the real thing")
    with pytest.raises(ModelBundleError, match="GSK3B_Ki.train.npz"):
        load_bundle(bundle)


def _swap_estimator(bundle, file_name):
    """Point JAK1_Ki at another estimator file, as an attacker who also edits the manifest would."""
    manifest = json.loads((bundle / MANIFEST).read_text())
    entry = next(e for e in manifest["models"] if e["name"] == "JAK1_Ki")
    entry["files"]["estimator"] = file_name
    manifest["sha256"][file_name] = file_sha256(bundle / file_name)
    (bundle / MANIFEST).write_text(json.dumps(manifest))


def test_untrusted_type_in_skops_is_refused_even_with_a_matching_hash(small_models, tmp_path):
    bundle = copy_bundle(small_models, tmp_path)
    sio.dump(FunctionTransformer(func=print), bundle / "JAK1_Ki.skops")
    _swap_estimator(bundle, "JAK1_Ki.skops")
    with pytest.raises(ModelBundleError, match="types screenkit does not trust"):
        load_bundle(bundle)


def test_untrusted_type_in_array_file_is_refused_even_with_a_matching_hash(small_models, tmp_path):
    from screenkit.model import arrayfile

    bundle = copy_bundle(small_models, tmp_path)
    trusting_more = ["sklearn.preprocessing._function_transformer.FunctionTransformer", "builtins.print"]
    try:
        arrayfile.dump(FunctionTransformer(func=print), bundle / "JAK1_Ki.model.npz", trusting_more)
    except arrayfile.UnsupportedObject:  # the function itself cannot be stored: forge the graph instead
        graph = {"format": arrayfile.ARRAYFILE_FORMAT, "layout": [],
                 "root": {"object": "sklearn.preprocessing._function_transformer.FunctionTransformer",
                          "state": {"dict": {}}}}
        np.savez(bundle / "JAK1_Ki.model.npz", graph=np.frombuffer(json.dumps(graph).encode(), dtype=np.uint8),
                 arrays=np.zeros(0, dtype=np.uint8))
    _swap_estimator(bundle, "JAK1_Ki.model.npz")
    with pytest.raises(ModelBundleError, match="types screenkit does not trust"):
        load_bundle(bundle)


def test_bundle_writes_estimators_as_array_files(small_models):
    manifest = json.loads((small_models / MANIFEST).read_text())
    assert all(e["files"]["estimator"].endswith(".model.npz") for e in manifest["models"])


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
    (bundle / "JAK1_Ki.model.npz").write_bytes(b"tampered")
    with pytest.raises(ModelBundleError, match="does not match the sha256"):
        load_bundle(bundle, training_sets_only=True)


# -- damaged but hash-consistent folders: one documented line (exit 3), never a traceback ---------
def _rehash(directory):
    """Make the manifest's hashes match the files again, as a careless edit of a folder would."""
    manifest = json.loads((directory / MANIFEST).read_text())
    names = {n for e in manifest.get("models", []) if isinstance(e, dict) for n in (e.get("files") or {}).values()}
    manifest["sha256"] = {n: file_sha256(directory / n) for n in names if (directory / n).is_file()}
    (directory / MANIFEST).write_text(json.dumps(manifest))


def _first(directory, role):
    manifest = json.loads((directory / MANIFEST).read_text())
    return directory / manifest["models"][0]["files"][role]


def _edit_manifest(directory, change):
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest = change(manifest)
    (directory / MANIFEST).write_text(json.dumps(manifest))


def _damage(case, d):
    if case == "manifest is a list":
        (d / MANIFEST).write_text("[]")
    elif case == "manifest without models":
        _edit_manifest(d, lambda m: {k: v for k, v in m.items() if k != "models"})
    elif case == "entry without files":
        _edit_manifest(d, lambda m: {**m, "models": [{"name": "X"}]})
    elif case == "card is not JSON":
        _first(d, "card_json").write_text("{not json")
        _rehash(d)
    elif case == "card without featurizer":
        card = json.loads(_first(d, "card_json").read_text())
        del card["featurizer"]
        _first(d, "card_json").write_text(json.dumps(card))
        _rehash(d)
    elif case == "unknown featurizer":
        card = json.loads(_first(d, "card_json").read_text())
        card["featurizer"]["name"] = "quantum"
        _first(d, "card_json").write_text(json.dumps(card))
        _rehash(d)
    elif case == "estimator is not a zip":
        _first(d, "estimator").write_bytes(b"PK\x03\x04 not really a zip file")
        _rehash(d)
    elif case == "training set is not a zip":
        _first(d, "training_set").write_bytes(b"\x93NUMPY junk")
        _rehash(d)
    elif case == "training set lacks an array":
        path = _first(d, "training_set")
        with np.load(path) as arrays:
            kept = {k: arrays[k] for k in arrays.files if k != "inchikey"}
        with open(path, "wb") as fh:
            np.savez(fh, **kept)
        _rehash(d)
    elif case == "file outside the folder":
        outside = d.parent / "x.model.npz"
        shutil.copy(_first(d, "estimator"), outside)
        _edit_manifest(d, lambda m: {**m, "models": [{**m["models"][0], "files": {**m["models"][0]["files"],
                                                                                  "estimator": "../x.model.npz"}}]})
        _rehash(d)


DAMAGE = ["manifest is a list", "manifest without models", "entry without files", "card is not JSON",
          "card without featurizer", "unknown featurizer", "estimator is not a zip", "training set is not a zip",
          "training set lacks an array", "file outside the folder"]


@pytest.mark.parametrize("case", DAMAGE)
def test_damaged_folder_is_a_model_bundle_error(small_models, tmp_path, case):
    d = copy_bundle(small_models, tmp_path)
    _damage(case, d)
    with pytest.raises(ModelBundleError) as caught:
        load_bundle(d)
    if case == "file outside the folder":
        assert "outside the model folder" in str(caught.value)


@pytest.mark.parametrize("case", ["card without featurizer", "estimator is not a zip", "training set lacks an array",
                                  "file outside the folder"])
def test_damaged_folder_stops_score_with_one_line_exit_3(small_models, tmp_path, case):
    import subprocess
    import sys

    d = copy_bundle(small_models, tmp_path)
    _damage(case, d)
    library = tmp_path / "lib.smi"
    library.write_text("CCO e\nc1ccccc1O p\n")
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(library), "-o", str(tmp_path / "o.csv"),
                             "--models", str(d)], capture_output=True, text=True)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o.csv").exists()
