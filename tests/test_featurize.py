import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import clone

from screenkit.chem.featurize import MorganFingerprint, make_featurizer
from screenkit.chem.similarity import SimilarityIndex, nearest_neighbours, tanimoto_max
from screenkit.errors import UsageError

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


# --- every featurizer: a transformer that keeps rows, ignores n_jobs, clones and pickles ---

import pickle  # noqa: E402

from screenkit.chem.featurize import FEATURIZERS, FeaturizationError, featurizer_spec  # noqa: E402

_SPECS = {name: {} for name in FEATURIZERS}
_SPECS["concat"] = {"parts": [{"name": "morgan", "params": {"fp_size": 128}}, {"name": "maccs", "params": {}}]}
_SPECS["descriptors"] = {"names": ["MolWt", "TPSA", "NumHDonors", "MolLogP"]}


@pytest.mark.parametrize("name", list(FEATURIZERS))
def test_featurizer_contract(name):
    featurizer = make_featurizer(name, **_SPECS[name])
    out = featurizer.transform(SMILES)
    assert out.shape[0] == len(SMILES) and out.shape[1] == len(featurizer.get_feature_names_out())
    again = pickle.loads(pickle.dumps(clone(featurizer))).transform([Chem.MolFromSmiles(s) for s in SMILES])
    np.testing.assert_array_equal(out, again)
    spec = featurizer_spec(featurizer)
    np.testing.assert_array_equal(make_featurizer(spec["name"], **spec["params"]).transform(SMILES), out)
    with pytest.raises(FeaturizationError, match="row 1") as info:
        featurizer.transform(["CCO", "C1CC", "CCN", "not a smiles"])
    assert info.value.rows == [1, 3]


def test_same_output_for_any_n_jobs():
    many = SMILES * 80  # 320 molecules: more than one parallel chunk
    for name in ("morgan", "fcfp", "concat"):
        one = make_featurizer(name, **_SPECS[name]).transform(many)
        two = make_featurizer(name, **_SPECS[name], n_jobs=2).transform(many)
        np.testing.assert_array_equal(one, two)


def test_fcfp_and_counts_differ_from_ecfp_bits():
    ecfp = make_featurizer("morgan").transform(SMILES)
    assert not np.array_equal(ecfp, make_featurizer("fcfp").transform(SMILES))
    assert make_featurizer("atom_pair", counts=True).transform(["CCCCCCCC"]).max() > 1


def test_bad_featurizer_parameters_name_the_problem():
    with pytest.raises(UsageError, match="bad parameters for featurizer 'maccs'"):
        make_featurizer("maccs", radius=2)
    with pytest.raises(UsageError, match="unknown RDKit descriptor"):
        make_featurizer("descriptors", names=["NoSuchDescriptor"]).transform(["CCO"])
    with pytest.raises(UsageError, match="bad concat part"):
        make_featurizer("concat", parts=[{"params": {}}])


def test_similarity_index_is_rdkit_max_tanimoto_per_set():
    more = ["CCN(CC)CCNC(=O)c1ccc(N)cc1", "O=C(O)c1ccccc1O", "Cc1ccc(S(N)(=O)=O)cc1", "C1CCNCC1", "CCO"]
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bitvects = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in SMILES + more]
    arrays = np.array([gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in SMILES + more])
    sets = [slice(0, 4), slice(4, 9), slice(0, 0)]  # the last set is empty: similarity 0
    index = SimilarityIndex([arrays[s] for s in sets])
    query = arrays[[0, 5, 8]]
    got = index.max_similarity(query)
    for i in range(len(query)):
        q = bitvects[[0, 5, 8][i]]
        expected = [max(DataStructs.BulkTanimotoSimilarity(q, bitvects[s]), default=0.0) for s in sets]
        np.testing.assert_allclose(got[i], expected, rtol=1e-6)
    assert got.shape == (3, 3) and index.max_similarity(query[:0]).shape == (0, 3)


def test_similarity_index_refuses_counts_and_handles_wide_fingerprints():
    with pytest.raises(UsageError, match="0/1"):
        SimilarityIndex([np.array([[2, 0, 1]])])
    wide = np.ones((1, 40_000), dtype=np.uint8)  # more shared bits than int16 can count
    assert SimilarityIndex([wide]).max_similarity(wide).tolist() == [[1.0]]
    dense = np.ones((1, 2048), dtype=np.uint8)  # 2048 shared bits: more than uint8 counts
    assert SimilarityIndex([dense]).max_similarity(dense).tolist() == [[1.0]]


def test_similarity_index_nearest_and_reference_match_the_inputs():
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    more = ["CCN(CC)CCOC(=O)c1ccccc1", "O=C(O)CCc1ccccc1", "CCOc1ccc(CN2CCCCC2)cc1", SMILES[0], SMILES[0]]
    arrays = np.array([gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)) for s in SMILES + more]).astype(np.uint8)
    sets = [arrays[:4], arrays[4:]]  # SMILES[0] twice in the second set: a tie the lower row wins
    index = SimilarityIndex(sets)
    query = arrays[[0, 6, 7]]
    for k, reference in enumerate(sets):
        assert index.reference(k).dtype == np.uint8  # Morgan bits: the smallest type, and the models can share it
        np.testing.assert_array_equal(index.reference(k), reference)
        rows, similarity = index.nearest(query, k)
        expected_rows, expected_similarity = nearest_neighbours(query, reference, k=1)
        np.testing.assert_array_equal(rows, expected_rows[:, 0])
        np.testing.assert_array_equal(similarity, expected_similarity[:, 0])
    assert index.nearest(query, 1)[0][0] == 3 and index.nearest(query, 1)[1][0] == 1.0
