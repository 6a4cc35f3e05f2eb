import csv
import math
from pathlib import Path

import pytest
from rdkit import Chem

from screenkit.chem.ionisation import Ionisation, clogd, ionisation
from screenkit.chem.properties import PROPERTY_COLUMNS, alert_matches, cns_mpo, compute_properties

PKA_TABLE = Path(__file__).parent / "data_pka" / "drug_pka.csv"


def _literature():
    with open(PKA_TABLE, encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _predicted(row) -> float:
    ion = ionisation(Chem.MolFromSmiles(row["smiles"]))
    return ion.pka_basic if row["centre"] == "basic" else ion.pka_acidic


def test_pka_against_literature_values_for_drugs():
    rows = _literature()
    assert len(rows) >= 30 and all(r["reference"] for r in rows)
    errors = [abs(_predicted(r) - float(r["pka"])) for r in rows]
    assert not any(math.isnan(e) for e in errors), [r["name"] for r, e in zip(rows, errors) if math.isnan(e)]
    # stated error: mean absolute error <= 0.6 units, 90% of drugs within 1.0 unit
    assert sum(errors) / len(errors) <= 0.6
    assert sum(e <= 1.0 for e in errors) >= 0.9 * len(errors)


@pytest.mark.parametrize("smiles, basic, acidic, ion_class", [
    ("Nc1ccncc1", 9.2, None, "base"),                          # 4-aminopyridine, not a pyridine
    ("NC(=N)NC(=O)Cc1c(Cl)cccc1Cl", 8.0, None, "base"),        # acyl guanidine (guanfacine) is not 12
    ("CN(C)C(=N)NC(=N)N", 12.4, None, "base"),                 # biguanide
    ("CN/C(=N/C#N)NCCSCc1nc[nH]c1C", 6.9, None, "neutral"),    # cimetidine: cyanoguanidine not basic
    ("Cn1cnc2c1c(=O)n(C)c(=O)n2C", 1.0, None, "neutral"),      # caffeine, not an imidazole at 7
    ("OC(Cn1cncn1)(Cn1cncn1)c1ccc(F)cc1F", 2.2, None, "neutral"),  # fluconazole: 1,2,4-triazole
    ("CN(C)CC(F)(F)F", 4.9, None, "neutral"),                  # beta-CF3 costs five units
    ("CN(C)CC#N", 4.7, None, "neutral"),                       # aminoacetonitrile
    ("CC(=O)N1CCN(C)CC1", 6.8, None, "neutral"),               # acyl piperazine
    ("c1ccc(-c2nn[nH]n2)cc1", None, 4.9, "acid"),              # tetrazole is an acid, not a base
    ("CCCCNC(=O)NS(=O)(=O)c1ccc(C)cc1", None, 4.5, "acid"),    # sulfonylurea
    ("ONC(=O)CCCCCCC(=O)Nc1ccccc1", None, 9.0, "neutral"),     # hydroxamic acid
    ("O=C1NC(=O)C(Cc2ccccc2)S1", None, 6.5, "acid"),           # thiazolidinedione NH
    ("NCC(=O)O", 8.0, 2.3, "zwitterion"),                      # glycine
])
def test_ionisation_classes(smiles, basic, acidic, ion_class):
    ion = ionisation(Chem.MolFromSmiles(smiles))
    assert ion.ion_class == ion_class
    for value, expected in ((ion.pka_basic, basic), (ion.pka_acidic, acidic)):
        if expected is None:
            assert math.isnan(value)
        else:
            assert value == pytest.approx(expected, abs=0.05)


def test_quaternary_ammonium_is_a_permanent_cation():
    ion = ionisation(Chem.MolFromSmiles("CC[N+](CC)(CC)CC"))
    assert ion.permanent_cation and ion.ion_class == "permanent cation" and ion.neutral_fraction == 0.0
    props = compute_properties(Chem.MolFromSmiles("C[N+](C)(C)CCOC(C)=O"))  # acetylcholine
    assert props["ion_class"] == "permanent cation" and props["clogd"] == pytest.approx(props["clogp"] - 3.5, abs=0.01)
    # the MPO's pKa term treats it as fully ionised: no better than the same molecule as a pKa-10 base
    base = cns_mpo(props["clogp"], props["clogd"], props["mw"], props["tpsa"], props["hbd"], 10.0)
    assert props["cns_mpo"] == base


@pytest.mark.parametrize("smiles", [
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",                            # ibuprofen
    "CC(C)c1cc(Cc2c(C)cc(OCC(=O)O)cc2C)ccc1O",               # sobetirome
    "CCc1ccc(CCOc2ccc(CC3SC(=O)NC3=O)cc2)nc1",               # pioglitazone
])
def test_an_acids_clogd_is_below_its_clogp(smiles):
    props = compute_properties(Chem.MolFromSmiles(smiles))
    assert props["ion_class"] == "acid"
    assert props["clogd"] < props["clogp"] - 0.5


def test_clogd_follows_the_neutral_fraction():
    neutral = Ionisation(math.nan, "", math.nan, "", False)
    assert clogd(2.0, neutral) == 2.0
    base = Ionisation(9.4, "aliphatic amine", math.nan, "", False)  # two units above pH 7.4
    # 1 in 101 neutral, the rest ion pairs 3.5 log units less lipophilic
    assert clogd(2.0, base) == pytest.approx(2.0 + math.log10(1 / 101 + 100 / 101 * 10 ** -3.5), abs=1e-9)
    zwitterion = Ionisation(9.4, "aliphatic amine", 4.4, "carboxylic acid", False)
    assert clogd(2.0, zwitterion) < clogd(2.0, base) < 2.0
    # the ion-pair floor: never more than 3.5 below cLogP
    assert clogd(2.0, Ionisation(14.0, "", math.nan, "", False)) == pytest.approx(-1.5, abs=0.01)


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
    assert 9 < clemastine["pka_basic"] < 10.5 and clemastine["clogd"] < clemastine["clogp"]
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


def test_amine_increments_follow_their_smarts_definitions():
    """The per-atom classification used for speed agrees with the documented SMARTS of each group."""
    import gzip

    from screenkit.chem.ionisation import _DECREMENTS, _group_decrement
    from screenkit.config import bundled_path

    patterns = [(Chem.MolFromSmarts(smarts), (d1, d2)) for _, smarts, d1, d2 in _DECREMENTS]
    with gzip.open(bundled_path("data/bbb/b3db_curated.csv.gz"), "rt", encoding="utf-8") as handle:
        smiles = [row["smiles"] for _, row in zip(range(1500), csv.DictReader(handle))]
    checked = 0
    for text in smiles:
        mol = Chem.MolFromSmiles(text)
        first_atoms = [({m[0] for m in mol.GetSubstructMatches(p, uniquify=False)}, value) for p, value in patterns]
        for atom in mol.GetAtoms():
            expected = next((value for atoms, value in first_atoms if atom.GetIdx() in atoms), (0.0, 0.0))
            assert _group_decrement(atom) == expected, (text, atom.GetIdx())
            checked += 1
    assert checked > 20000
