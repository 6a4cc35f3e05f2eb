"""Known compounds in the scored output: measured values and source IDs instead of only a prediction."""

from __future__ import annotations

import pandas as pd
import pytest

from screenkit.config import bundled_path
from screenkit.model.bundle import bundle_digest, load_bundle
from screenkit.profile import load_profile
from screenkit.screen.rank import score_rows
from screenkit.screen.records import RawRecord
from screenkit.screen.score import ScoreOptions, score_records


@pytest.fixture(scope="module")
def scored():
    models_dir = bundled_path("models")
    models = load_bundle(models_dir, training_sets_only=True)
    tyk2 = next(m for m in models if m.name == "TYK2_IC50")
    export = pd.read_csv(bundled_path("data/tyk2/tyk2_chembl.csv"), keep_default_na=False)
    export = export[(export["activity_type"] == "IC50") & (export["molecule_chembl_ids"] != "")]
    trained = set(map(str, tyk2.train_inchikey))
    row = export[export["inchikey"].isin(trained)].iloc[0]
    sigmar1 = next(m for m in models if m.name == "SIGMAR1_Ki")
    records = [RawRecord(1, "smiles", row["smiles"], "tyk2_training"),
               RawRecord(2, "smiles", str(sigmar1.train_smiles[0]), "sigmar1_training"),
               RawRecord(3, "smiles", "O=C(Nc1ccc(F)cc1)C1CCN(C(=O)c2ccco2)CC1", "new")]
    rows = score_records(records, ScoreOptions(str(models_dir), bundle_digest(models_dir), properties=False))
    ranked = score_rows(rows, load_bundle(models_dir, with_estimators=False), load_profile("activity"))
    return {r["id"]: r for r in ranked}, row, tyk2, sigmar1


def test_a_training_compound_shows_its_measured_value_and_chembl_ids(scored):
    rows, export_row, tyk2, _ = scored
    r = rows["tyk2_training"]
    value = float(tyk2.train_pactivity[list(map(str, tyk2.train_inchikey)).index(export_row["inchikey"])])
    assert f"TYK2_IC50 pIC50 {value:.2f}" in r["measured"]
    assert export_row["molecule_chembl_ids"].split(";")[0] in r["measured_ids"]
    assert r["rank_reason"].startswith("measured: ") and f"TYK2_IC50 pIC50 {value:.2f}" in r["rank_reason"]


def test_a_moleculeace_training_compound_says_it_has_no_ids(scored):
    rows, _, _, sigmar1 = scored
    r = rows["sigmar1_training"]
    assert f"SIGMAR1_Ki pKi {float(sigmar1.train_pactivity[0]):.2f}" in r["measured"]
    assert "SIGMAR1_Ki: no IDs in chembl_bundled.csv" in r["measured_ids"]
    assert r["rank_reason"].startswith("measured: SIGMAR1_Ki pKi")


def test_a_new_compound_has_empty_measured_columns(scored):
    rows, *_ = scored
    from rdkit import Chem

    key = Chem.MolToInchiKey(Chem.MolFromSmiles(rows["new"]["smiles"]))
    assert all(key not in set(map(str, m.train_inchikey)) for m in load_bundle(bundled_path("models"),
                                                                               training_sets_only=True))
    assert rows["new"]["measured"] == "" and rows["new"]["measured_ids"] == ""
    assert "measured" not in rows["new"]["rank_reason"]
