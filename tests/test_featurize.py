import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import clone

from screenkit.errors import UsageError
from screenkit.featurize import MorganFingerprint, make_featurizer, tanimoto_max

SMILES = ["CCOc1ccc(CN2CCCC2)cc1", "CC(=O)Oc1ccccc1C(=O)O", "CN1CCC[C@H]1c1cccnc1", "c1ccc2ccccc2c1"]


def test_matches_rdkit_generator_and_accepts_mols_or_smiles():
    fp = MorganFingerprint(radius=2, fp_size=1024)
    from_smiles = fp.transform(SMILES)
    from_mols = fp.transform([Chem.MolFromSmiles(s) for s in SMILES])
    assert from_smiles.shape == (4, 1024) and from_smiles.dtype == np.uint8
    np.testing.assert_array_equal(from_smiles, from_mols)
    reference = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024).GetFingerprintAsNumPy(
        Chem.MolFromSmiles(SMILES[0]))
    np.testing.assert_array_equal(from_smiles[0], reference)


def test_counts_differ_from_bits_and_clone_keeps_params():
    fp = MorganFingerprint(radius=1, fp_size=256, counts=True)
    assert clone(fp).get_params() == {"radius": 1, "fp_size": 256, "counts": True, "n_jobs": 1}
    assert fp.transform(["CCCCCC"]).max() > 1


def test_invalid_row_is_reported_by_index():
    with pytest.raises(UsageError, match="row 1"):
        MorganFingerprint().transform(["CCO", "C1CC"])
    with pytest.raises(UsageError, match="unknown featurizer"):
        make_featurizer("ecfp99")


def test_tanimoto_max_agrees_with_rdkit():
    fp = MorganFingerprint(radius=2, fp_size=2048)
    X = fp.transform(SMILES)
    ref = fp.transform(SMILES[1:])
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bvs = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in SMILES]
    expected = [max(DataStructs.BulkTanimotoSimilarity(b, bvs[1:])) for b in bvs]
    np.testing.assert_allclose(tanimoto_max(X, ref, block=2), expected, rtol=1e-6)
    assert tanimoto_max(X, ref[:0]).tolist() == [0.0] * 4
