import math

import pytest
from rdkit import Chem

from screenkit.properties import PROPERTY_COLUMNS, alert_matches, cns_mpo, compute_properties, estimate_basic_pka


@pytest.mark.parametrize("smiles, pka", [
    ("CN1CCC[C@H]1c1cccnc1", 9.5),        # nicotine: pyrrolidine N beats pyridine
    ("C1COCCN1Cc1ccccc1", 7.4),           # morpholine
    ("NC(=N)c1ccccc1", 12.0),             # benzamidine
    ("Cc1nc[nH]c1", 7.0),                 # imidazole
    ("c1ccncc1", 5.2),                    # pyridine
    ("CC(=O)NCC", 0.0),                   # amide: not basic
    ("CN(C)c1ccccc1", 0.0),               # aniline: not counted as a basic centre
])
def test_basic_pka_classes(smiles, pka):
    assert estimate_basic_pka(Chem.MolFromSmiles(smiles)) == pka


def test_cns_mpo_components_follow_wager_2010():
    best = dict(clogp=2.0, clogd=1.0, mw=300, tpsa=60, hbd=0, pka=7.0)
    assert cns_mpo(**best) == 6.0
    assert cns_mpo(**{**best, "mw": 500}) == 5.0        # MW term 0 at 500
    assert cns_mpo(**{**best, "tpsa": 20}) == 5.0       # TPSA hump: 0 at 20 ...
    assert cns_mpo(**{**best, "tpsa": 30}) == 5.5       # ... rising to 1 at 40
    assert cns_mpo(**{**best, "tpsa": 105}) == 5.5      # falling from 90 to 0 at 120
    assert cns_mpo(**{**best, "pka": 9.0}) == 5.5       # pKa term 1 at 8, 0 at 10
    assert cns_mpo(**{**best, "hbd": 2.0}) == 5.5       # HBD term 1 at 0.5, 0 at 3.5


def test_properties_of_a_cns_drug_and_a_pains_compound():
    # clemastine: lipophilic base, known to reach the brain but with a low CNS MPO
    clemastine = compute_properties(Chem.MolFromSmiles("CN1CCC[C@@H]1CCO[C@@](C)(c1ccccc1)c1ccc(Cl)cc1"))
    assert set(clemastine) == set(PROPERTY_COLUMNS)
    assert clemastine["pka_basic"] == 9.5 and clemastine["clogd"] < clemastine["clogp"]
    assert 2 < clemastine["cns_mpo"] < 4 and clemastine["alerts"] == ""
    rhodanine = compute_properties(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"))
    assert "PAINS_A:ene_rhod_A(235)" in rhodanine["alerts"].split(";")
    assert rhodanine["n_alerts"] == len(rhodanine["alerts"].split(";"))


def test_alert_atoms_for_highlighting_and_family_choice():
    mol = Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1")
    (family, name, atoms), = alert_matches(mol, ("PAINS_A",), with_atoms=True)
    assert family == "PAINS_A" and len(atoms) >= 5 and max(atoms) < mol.GetNumAtoms()
    assert alert_matches(Chem.MolFromSmiles("CCO"), ("PAINS_A", "PAINS_B", "PAINS_C", "Brenk", "NIH")) == []
    with pytest.raises(ValueError, match="unknown alert family"):
        alert_matches(mol, ("PAINS",))


def test_qed_can_be_skipped():
    assert math.isnan(compute_properties(Chem.MolFromSmiles("c1ccccc1O"), qed=False)["qed"])
