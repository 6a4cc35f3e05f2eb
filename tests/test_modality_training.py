"""``screenkit train --modality``: keep only the measurements of the wanted modality."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from chembl_fixture import MODALITY_SMILES, modality_records

from screenkit.chem.standardize import standardize_smiles
from screenkit.chembl.records import raw_frame
from screenkit.cli import main
from screenkit.config import bundled_path, load_panel
from screenkit.curation.dataset import DATASET_COLUMNS
from screenkit.curation.records import curate_records
from screenkit.errors import UsageError
from screenkit.model.bundle import load_bundle
from screenkit.model.train import keep_modality, train_models
from screenkit.model.trainconfig import TrainConfig

GENES = {t.chembl_id: t.gene for t in load_panel().targets if t.chembl_id}


def _key(smiles: str) -> str:
    from rdkit import Chem

    return Chem.MolToInchiKey(standardize_smiles(smiles).mol)


@pytest.fixture(scope="module")
def fixture_rows() -> pd.DataFrame:
    """Curated OPRK1 EC50 rows of agonist-mode, antagonist-mode, mixed and unlabelled assays."""
    return curate_records(raw_frame(modality_records()), genes=GENES)[0]


def test_keep_modality_keeps_agonist_mode_rows_and_drops_the_rest(fixture_rows):
    kept, n_dropped = keep_modality(fixture_rows, "agonist", "fixture")
    names = {v: k for k, v in ((n, _key(s)) for n, s in MODALITY_SMILES.items())}
    assert sorted(names[k] for k in kept["inchikey"]) == ["U50488", "salvinorin A"]
    # naloxone, naltrexone (antagonist-mode), buprenorphine (both modes), U69593 (no modality)
    assert n_dropped == 4
    kept, _ = keep_modality(fixture_rows, "antagonist", "fixture")
    assert sorted(names[k] for k in kept["inchikey"]) == ["naloxone", "naltrexone"]


def test_data_without_modality_gets_a_clear_message():
    bundled = pd.read_csv(bundled_path("data/chembl_bundled.csv"), keep_default_na=False).head(50)
    bundled["modality"] = "unknown"
    with pytest.raises(UsageError, match="carries no modality information"):
        keep_modality(bundled, "agonist", "chembl_bundled.csv")
    with pytest.raises(UsageError, match="use one or more of"):
        keep_modality(bundled, "agonism", "chembl_bundled.csv")


def test_cli_refuses_modality_on_the_bundled_data(tmp_path, capsys):
    code = main(["train", "--targets", "OPRK1", "--modality", "agonist", "-o", str(tmp_path / "m")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no modality information" in err and "Traceback" not in err


def test_training_with_modality_uses_only_that_modality(fixture_rows, small_pool, tmp_path):
    """Real OPRK1 EC50 structures and values; the agonist/antagonist labels of the bundled rows are assigned
    for the test (alternate rows), the fixture rows keep the modality their assay descriptions give."""
    bundled = pd.read_csv(bundled_path("data/chembl_bundled.csv"), keep_default_na=False,
                          na_values={"pactivity": [""]})
    oprk1 = bundled[(bundled["gene"] == "OPRK1") & (bundled["activity_type"] == "EC50")].head(240).copy()
    oprk1["modality"] = ["agonist" if i % 2 == 0 else "antagonist" for i in range(len(oprk1))]
    table = pd.concat([oprk1, fixture_rows[oprk1.columns.intersection(DATASET_COLUMNS)]], ignore_index=True)
    path = tmp_path / "oprk1.csv"
    table.to_csv(path, index=False)
    config = TrainConfig(n_estimators=20, n_folds=3, min_compounds=20, y_randomisation_permutations=0)
    (model,) = train_models(path, tmp_path / "m", load_panel(), pool=small_pool, config=config, modality="agonist")
    wanted = set(table.loc[table["modality"] == "agonist", "inchikey"])
    assert set(model.train_inchikey) == wanted
    assert _key(MODALITY_SMILES["naloxone"]) not in set(model.train_inchikey)
    assert _key(MODALITY_SMILES["U50488"]) in set(model.train_inchikey)
    card = json.loads((tmp_path / "m" / "OPRK1_EC50.card.json").read_text())
    assert card["data"]["modality"] == "agonist"
    assert card["data"]["n_rows_other_modality"] == len(table) - len(wanted)
    (info,) = load_bundle(tmp_path / "m", with_estimators=False)
    from screenkit.screen.rank import endpoint_text

    assert endpoint_text(info.card) == "OPRK1 agonist-mode EC50"
