import pytest

from screenkit.standardize import standardize_smiles


@pytest.mark.parametrize("smiles, parent, status, reason_part", [
    ("CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+]", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "ok", "salt/solvent removed: [Na+]"),
    ("C[NH+](C)CCc1ccccc1.[Cl-]", "CN(C)CCc1ccccc1", "ok", "[Cl-]"),
    ("CCN(CC)CCOC(=O)c1ccccc1.c1ccc2ccccc2c1", "CCN(CC)CCOC(=O)c1ccccc1", "warning", "mixture of 2"),
    ("c1ccccc1", "c1ccccc1", "ok", ""),
])
def test_parent_structures(smiles, parent, status, reason_part):
    result = standardize_smiles(smiles)
    assert (result.smiles, result.status) == (parent, status)
    assert reason_part in result.reason


@pytest.mark.parametrize("smiles, reason_part", [
    ("", "empty record"),
    ("C1CC", "could not parse"),
    ("C(C)(C)(C)(C)C", "valence"),
    ("[Na+].[Cl-]", "inorganic"),
])
def test_unusable_structures_are_errors_with_reasons(smiles, reason_part):
    result = standardize_smiles(smiles)
    assert result.status == "error" and result.mol is None
    assert reason_part in result.reason


def test_same_compound_in_different_forms_gets_one_key():
    forms = ["CN(C)CCc1ccccc1", "C[NH+](C)CCc1ccccc1.[Cl-]", "CN(C)CCc1ccccc1.O"]
    assert len({standardize_smiles(s).smiles for s in forms}) == 1
