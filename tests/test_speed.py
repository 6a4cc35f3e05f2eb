"""The fast paths of the property columns must give exactly what RDKit's own functions give."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem
from rdkit.Chem import SpacialScore

from screenkit.chem.alertscreen import FAST_PATHS_VARIABLE, fast_paths_enabled
from screenkit.chem.properties import compute_properties, spacial_score
from screenkit.config import bundled_path

BUNDLED = pd.read_csv(bundled_path("data/chembl_bundled.csv"))["smiles"].drop_duplicates().tolist()
# Stereo and hydrogen cases the shared computation treats specially: E/Z and unassigned
# double bonds, stereocentres, explicit and isotopic hydrogens, a dummy atom, salts.
PIECES = ["C/C=C/C", "CC=CC", "C[C@H](N)O", "CC(F)Cl", "[2H]C", "[H]", "*C", "[Na+].[Cl-]", "C1CC(C)CC(C)C1"]


def _both_ways(mol, monkeypatch, **options):
    monkeypatch.setenv(FAST_PATHS_VARIABLE, "1")
    fast = compute_properties(Chem.Mol(mol), **options)
    monkeypatch.setenv(FAST_PATHS_VARIABLE, "0")
    stock = compute_properties(Chem.Mol(mol), **options)
    return fast, stock


def test_the_switch_reads_the_environment(monkeypatch):
    monkeypatch.delenv(FAST_PATHS_VARIABLE, raising=False)
    assert fast_paths_enabled()
    for off in ("0", "false", "off"):
        monkeypatch.setenv(FAST_PATHS_VARIABLE, off)
        assert not fast_paths_enabled()


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(BUNDLED), st.lists(st.sampled_from(PIECES), max_size=2), st.booleans(), st.booleans())
def test_fast_property_columns_equal_stock_rdkit(smiles, pieces, explicit_h, qed):
    import os

    mol = Chem.MolFromSmiles(".".join([smiles, *pieces]))
    if mol is None:
        return
    if explicit_h:
        mol = Chem.AddHs(mol)
    saved = os.environ.get(FAST_PATHS_VARIABLE)
    try:
        os.environ[FAST_PATHS_VARIABLE] = "1"
        fast = compute_properties(Chem.Mol(mol), qed=qed)
        os.environ[FAST_PATHS_VARIABLE] = "0"
        stock = compute_properties(Chem.Mol(mol), qed=qed)
    finally:
        os.environ.pop(FAST_PATHS_VARIABLE) if saved is None else os.environ.__setitem__(FAST_PATHS_VARIABLE, saved)
    assert repr(fast) == repr(stock)  # repr: NaN equals NaN, and 1.0 differs from 1


def test_a_known_alert_and_qed_both_ways(monkeypatch):
    fast, stock = _both_ways(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"), monkeypatch)
    assert repr(fast) == repr(stock)
    assert "PAINS_A:ene_rhod_A(235)" in fast["alerts"] and 0 < fast["qed"] < 1


def test_spacial_score_equals_rdkit_on_the_bundled_data():
    mols = [Chem.MolFromSmiles(s) for s in BUNDLED[:1500]]
    mols += [Chem.MolFromSmiles(s) for s in PIECES] + [Chem.AddHs(Chem.MolFromSmiles("C/C=C/C[C@@H](O)CC"))]
    mols = [m for m in mols if m is not None and m.GetNumHeavyAtoms()]  # none: both divide by zero
    differing = [Chem.MolToSmiles(m) for m in mols if spacial_score(m) != SpacialScore.SPS(m)]
    assert differing == []
    # the stereo and ring terms matter: a stereo double bond and a ring change the score
    assert spacial_score(Chem.MolFromSmiles("C/C=C/C")) > spacial_score(Chem.MolFromSmiles("CC=C(C)C"))


def test_a_failing_fast_step_fails_in_rdkits_own_function(monkeypatch):
    from screenkit.screen.score import _property_step

    for mode in ("1", "0"):
        monkeypatch.setenv(FAST_PATHS_VARIABLE, mode)
        try:
            compute_properties(Chem.MolFromSmiles("[H][H]"))
        except ZeroDivisionError as error:  # no heavy atom: SPS divides by zero
            assert _property_step(error) == "properties (SPS)"
        else:
            raise AssertionError("SPS of a molecule without heavy atoms should fail")


def test_scoring_models_share_the_domain_index_copy_of_their_training_sets():
    import numpy as np

    from screenkit.model.bundle import load_bundle
    from screenkit.screen.score import cached_models

    models, index = cached_models(bundled_path("models"))
    fresh = {m.name: m.train_fingerprints for m in load_bundle(bundled_path("models"), training_sets_only=True)}
    for k, model in enumerate(models):
        assert np.shares_memory(model.train_fingerprints, index.reference(k))  # one copy per worker, not two
        np.testing.assert_array_equal(model.train_fingerprints, fresh[model.name])


def test_a_concatenation_part_another_model_uses_is_computed_once_and_the_matrix_is_unchanged(monkeypatch):
    import numpy as np

    from screenkit.chem.featurize import RDKitDescriptors, make_featurizer
    from screenkit.screen import score

    mols = [Chem.MolFromSmiles(s) for s in ("CCOc1ccc(CN2CCCC2)cc1", "CC(=O)Oc1ccccc1C(=O)O", "c1ccncc1")]
    descriptors = {"name": "descriptors", "params": {"names": ["TPSA", "MolLogP", "NumHDonors"]}}
    brain = make_featurizer("concat", parts=[descriptors, {"name": "morgan", "params": {"fp_size": 1024,
                                                                                       "counts": True}}])
    target = make_featurizer("concat", parts=[{"name": "morgan", "params": {"radius": 2, "fp_size": 2048}},
                                              descriptors])
    calls = []
    real = RDKitDescriptors._transform_mols
    monkeypatch.setattr(RDKitDescriptors, "_transform_mols", lambda self, m: calls.append(1) or real(self, m))
    done: dict = {}
    got = [score._features(f, mols, done) for f in (brain, target)]
    assert len(calls) == 1  # the descriptors once, for both models
    for featurizer, matrix in zip((brain, target), got):
        expected = featurizer.transform(mols)
        assert matrix.dtype == expected.dtype
        np.testing.assert_array_equal(matrix, expected)
