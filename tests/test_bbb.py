"""B3DB curation and the shipped BBB_B3DB model: verified like every bundled model, honest card."""

import csv
import gzip
import json

import numpy as np
import pytest

from screenkit.config import bundled_path
from screenkit.curation.bbb import curate_b3db
from screenkit.errors import ModelBundleError
from screenkit.hashing import file_sha256
from screenkit.model.bundle import MANIFEST, MOVED_TYPES, TRUSTED_TYPES, load_bundle


def test_curation_merges_salts_and_drops_conflicts_with_a_log():
    rows = [{"NO.": "1", "compound_name": "amine", "SMILES": "CCCN", "BBB+/BBB-": "BBB+", "logBB": "0.1"},
            {"NO.": "2", "compound_name": "amine HCl", "SMILES": "CCC[NH3+].[Cl-]", "BBB+/BBB-": "BBB+", "logBB": "0.3"},
            {"NO.": "3", "compound_name": "x", "SMILES": "OCCO", "BBB+/BBB-": "BBB+"},
            {"NO.": "4", "compound_name": "x again", "SMILES": "C(O)CO", "BBB+/BBB-": "BBB-"},
            {"NO.": "5", "compound_name": "argon", "SMILES": "[Ar]", "BBB+/BBB-": "BBB+"},
            {"NO.": "6", "compound_name": "broken", "SMILES": "C1CC", "BBB+/BBB-": "BBB-"},
            {"NO.": "7", "compound_name": "no label", "SMILES": "CCO", "BBB+/BBB-": "?"}]
    kept, log = curate_b3db(rows)
    assert [(r.smiles, r.label, r.source_rows) for r in kept] == [("CCCN", 1, "1;2")]
    assert kept[0].logbb == pytest.approx(0.2)
    actions = {e.row: e.action for e in log}
    assert actions == {"2": "merged", "3": "dropped", "4": "dropped", "5": "dropped", "6": "dropped", "7": "dropped"}
    # every input row is accounted for exactly once: a record's source row or the log
    accounted = [n for r in kept for n in r.source_rows.split(";")] + [e.row for e in log if e.action == "dropped"]
    assert sorted(accounted) == sorted(r["NO."] for r in rows)
    assert "conflicting labels" in next(e.reason for e in log if e.row == "3")


def test_curated_table_and_exclusion_log_cover_b3db():
    with gzip.open(bundled_path("data/bbb/b3db_curated.csv.gz"), "rt", encoding="utf-8") as handle:
        curated = list(csv.DictReader(handle))
    with open(bundled_path("data/bbb/exclusions.csv"), encoding="utf-8") as handle:
        log = list(csv.DictReader(handle))
    sources = [n for r in curated for n in r["b3db_rows"].split(";")]
    dropped = [e["b3db_row"] for e in log if e["action"] == "dropped"]
    assert len(set(sources)) == len(sources) and not set(sources) & set(dropped)
    assert len(sources) + len(dropped) == 7807  # B3DB 1.1.1 classification rows
    assert len({r["inchikey"] for r in curated}) == len(curated)


@pytest.fixture(scope="module")
def bbb_model():
    (model,) = load_bundle(bundled_path("models"), ["BBB_B3DB"])
    return model


def test_bbb_model_is_a_verified_property_model(bbb_model):
    from screenkit.model import arrayfile

    manifest = json.loads((bundled_path("models") / MANIFEST).read_text())
    entry = next(e for e in manifest["models"] if e["name"] == "BBB_B3DB")
    for name in entry["files"].values():
        assert manifest["sha256"][name] == file_sha256(bundled_path("models") / name)
    # an array file whose every class is trusted (load refuses any other)
    assert entry["files"]["estimator"].endswith(".model.npz")
    arrayfile.load(bundled_path("models") / entry["files"]["estimator"], TRUSTED_TYPES, MOVED_TYPES)
    card = bbb_model.card.to_json()
    assert card["role"] == "property" and card["data"]["licence"] == "CC0-1.0"
    validation = card["validation"]
    assert "Butina" in validation["split"] and validation["metrics"]["roc_auc"]["folds"] == 5
    # the card's claim: above every baseline on the same cluster folds
    auc = validation["metrics"]["roc_auc"]["mean"]
    assert all(auc > b["mean"] for b in validation["baselines"].values())
    assert len(bbb_model.train_smiles) == card["data"]["n_measured"]


def test_tampered_bbb_model_is_refused(tmp_path):
    import shutil

    folder = tmp_path / "models"
    shutil.copytree(bundled_path("models"), folder)
    with open(folder / "BBB_B3DB.model.npz", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelBundleError, match="sha256"):
        load_bundle(folder, ["BBB_B3DB"])


def test_bbb_model_separates_cns_drugs_from_peripheral_ones(bbb_model):
    # clear cases far from the decision boundary: CNS drugs vs a sugar, a quaternary ammonium and a
    # diacid (every prediction goes through the card's featurizer, as scoring does)
    brain = ["CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "CN(C)CCC=C1c2ccccc2CCc2ccccc21", "CN1CCC[C@H]1c1cccnc1"]
    blood = ["OC[C@H]1O[C@@](CO)(O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@@H](O)[C@@H]1O",
             "C[N+](C)(C)CCOC(=O)CCC(=O)OCC[N+](C)(C)C", "OC(=O)CCC(=O)NC(CCC(=O)O)C(=O)O"]
    p = bbb_model.predict(bbb_model.featurizer.transform(brain + blood))["p_active"]
    assert np.all(p[:3] > 0.7) and np.all(p[3:] < 0.4), p


def test_scoring_writes_the_bbb_columns():
    from screenkit.model.bundle import bundle_digest
    from screenkit.screen.library import RawRecord
    from screenkit.screen.score import ScoreOptions, score_records

    folder = bundled_path("models")
    (row,) = score_records([RawRecord(1, "smiles", "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21", "diazepam")],
                           ScoreOptions(str(folder), bundle_digest(folder)))
    assert 0.7 < row["BBB_B3DB_p_active"] <= 1 and 0 < row["BBB_B3DB_ad"] <= 1
