"""The screened alerts and QED must equal RDKit's own functions on every molecule."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem
from rdkit.Chem import QED

from screenkit.chem.alertscreen import ALERT_FAMILIES, AlertPanel, alert_catalog, alert_panel, fast_qed_properties
from screenkit.chem.patternscreen import MoleculeFeatures, PatternScreen
from screenkit.config import bundled_path

BUNDLED = pd.read_csv(bundled_path("data/chembl_bundled.csv"))["smiles"].drop_duplicates().tolist()
# Pieces that exercise the query features the screen reasons about: charges, isotopes,
# explicit hydrogens, aromatic heteroatoms, halogens, metals, multiple fragments.
PIECES = ["[Na+]", "Cl", "[NH4+]", "[13CH3]", "[2H]", "[O-]C(=O)C", "S(=O)(=O)Cl", "C=CC(=O)N", "N=[N+]=[N-]",
          "c1ccncc1", "[Fe]", "OO", "C#N", "[Se]", "B(O)O", "S=C=N", "ICC", "O=CC=O", "[N+](=O)[O-]"]


def reference(mol, families):
    names = sorted((f, e.GetDescription()) for f in families for e in alert_catalog(f).GetMatches(mol))
    try:
        qed = QED.properties(mol)
    except Exception as error:  # noqa: BLE001 - the failure itself must be reproduced
        qed = type(error).__name__
    return names, qed


def screened(mol, families):
    names, qed_alerts = alert_panel(families, qed_alerts=True).match(mol)
    try:
        qed = fast_qed_properties(mol, qed_alerts)
    except Exception as error:  # noqa: BLE001
        qed = type(error).__name__
    return sorted(names), qed


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(BUNDLED), st.lists(st.sampled_from(PIECES), max_size=2), st.booleans())
def test_screened_alerts_and_qed_equal_rdkit(smiles, pieces, explicit_h):
    mol = Chem.MolFromSmiles(".".join([smiles, *pieces]))
    if mol is None:
        return
    if explicit_h:
        mol = Chem.AddHs(mol)  # QED removes them, PAINS patterns see them: both paths must agree
    assert screened(mol, ALERT_FAMILIES) == reference(mol, ALERT_FAMILIES)


@pytest.mark.parametrize("smarts", [
    "[!#6&!#1]~[c,n;H1]", "[$(c),N;R]-[Cl,F]", "[#6&!R&!H0]-c:n", "[13C]", "[#1]", "[!C;!c]=[!N]",
    "*~*~*~*", "[R0;D2][R0;D2][R0;D2][R0;D2]", "[N+](=O)[O-]", "c1ccccc1.C(=O)O", "[S;X2]-[S;X2]",
])
def test_a_pattern_that_matches_is_never_screened_out(smarts):
    query = Chem.MolFromSmarts(smarts)
    screen = PatternScreen([query])
    matched = 0
    for smiles in BUNDLED[:1500] + ["[H]OC([H])=O", "[13CH4]", "CSSC", "O=[N+]([O-])c1ccccc1"]:
        mol = Chem.MolFromSmiles(smiles)
        if smiles.startswith("[H]"):
            mol = Chem.AddHs(mol)  # explicit hydrogen atoms, which a [#1] query needs
        if mol.HasSubstructMatch(query):
            matched += 1
            assert screen.candidates(MoleculeFeatures.of(mol)).tolist() == [0], smiles
    assert matched > 0


def test_the_screen_rules_out_most_patterns_of_a_plain_molecule():
    # A wrong screen that keeps every pattern would still be "exact"; it must also prune.
    panel = AlertPanel(("PAINS_A", "PAINS_B", "Brenk"), qed_alerts=True)
    survivors = panel.screen.candidates(MoleculeFeatures.of(Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)O")))
    assert len(survivors) < panel.screen.n_patterns / 4


def test_hall_condition_counts_distinct_atoms():
    screen = PatternScreen([Chem.MolFromSmarts("ClCCl")])
    assert screen.candidates(MoleculeFeatures.of(Chem.MolFromSmiles("CCCl"))).tolist() == []
    assert screen.candidates(MoleculeFeatures.of(Chem.MolFromSmiles("ClCCl"))).tolist() == [0]
