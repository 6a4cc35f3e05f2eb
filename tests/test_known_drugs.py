"""The known-drug list (data/examples/known_drugs.csv) and the verdict logic of its check script."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

ROOT = Path(__file__).resolve().parent.parent
DRUGS = ROOT / "data" / "examples" / "known_drugs.csv"
RECALLED = "recalled; not checked against a stored copy"
NO_VALUE = "no value found"


def _load_script():
    spec = importlib.util.spec_from_file_location("known_drug_check", ROOT / "scripts" / "known_drug_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load_script()


@pytest.fixture(scope="module")
def drugs() -> pd.DataFrame:
    return pd.read_csv(DRUGS, dtype=str, keep_default_na=False)


def test_every_row_names_a_bundled_model_and_a_parsable_structure_with_its_source(drugs):
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    names = {m["name"] for m in manifest["models"]}
    assert len(drugs) >= 30
    for row in drugs.itertuples():
        assert row.model in names, row
        assert Chem.MolFromSmiles(row.smiles) is not None, row
        assert row.smiles_source.strip(), row


def test_every_row_has_a_referenced_value_with_its_source_or_says_none_was_found(drugs):
    for row in drugs.itertuples():
        if row.value == "":
            assert row.value_source == NO_VALUE, row
            assert row.pX == "" and row.unit == "", row
        else:
            assert row.value_source != NO_VALUE and row.value_source.strip(), row
            assert row.reference.strip(), row
            assert row.relation in {"=", ">", "<"}, row
            # a stored source is an address (a page, or a GitHub file the index names by id); else it was recalled
            assert row.value_source.startswith(("http", "GitHub file")) or row.value_source == RECALLED, row


def test_px_agrees_with_value_and_unit(drugs):
    rows = drugs[drugs["value"] != ""]
    assert len(rows) >= 25
    for row in rows.itertuples():
        factor = {"nM": 9, "uM": 6}[row.unit]
        assert float(row.pX) == pytest.approx(factor - math.log10(float(row.value)), abs=0.006), row


def test_endpoint_other_than_the_models_own_is_flagged_in_the_note(drugs):
    for row in drugs[drugs["value"] != ""].itertuples():
        own = row.model.rsplit("_", 1)[1]
        if row.endpoint != own and own != "IC50":
            assert f"used for a {own} model" in row.note, row


def test_px_from_value_converts_units_and_rejects_nonsense():
    assert check.px_from_value(30, "nM") == pytest.approx(7.523, abs=1e-3)
    assert check.px_from_value(0.55, "uM") == pytest.approx(6.260, abs=1e-3)
    with pytest.raises(check.DrugListError, match="unit"):
        check.px_from_value(1, "mg/L")
    with pytest.raises(check.DrugListError, match="positive"):
        check.px_from_value(0, "nM")


def test_expected_label_respects_threshold_and_censoring():
    assert check.expected_active(7.5, "=", 7.5) is True
    assert check.expected_active(7.49, "=", 7.5) is False
    # 'IC50 > 10 uM' is inactive at any cut above 5 but says nothing at a cut below it
    assert check.expected_active(5.0, ">", 7.5) is False
    assert check.expected_active(8.0, ">", 7.5) is None
    assert check.expected_active(8.0, "<", 7.5) is True
    assert check.expected_active(7.0, "<", 7.5) is None
    assert check.expected_active(None, "=", 7.5) is None
    with pytest.raises(check.DrugListError):
        check.expected_active(8.0, "~", 7.5)


def test_verdict_counts_recall_only_for_active_new_drugs():
    assert check.verdict(True, True, 100.0) == check.IN_TRAINING
    assert check.verdict(None, False, 100.0) == check.NO_VALUE
    # a weak drug ranked first is no credit, and ranked last no failure
    assert check.verdict(False, False, 100.0) == check.BELOW
    assert check.verdict(False, False, 0.0) == check.BELOW
    assert check.verdict(True, False, 95.0) == "hit"
    assert check.verdict(True, False, 94.9) == "miss"


def test_percentile_counts_background_strictly_below():
    background = [0.1, 0.2, 0.3, 0.4]
    assert check.percentile_vs(pd.Series(background).to_numpy(), 0.3) == 50.0
    assert check.percentile_vs(pd.Series(background).to_numpy(), 0.05) == 0.0


def test_summary_counts_hits_among_testable_pairs_only():
    table = pd.DataFrame([
        {"verdict": "hit", "p_active": 0.9, "percentile_vs_zinc": 100.0},
        {"verdict": "hit", "p_active": 0.2, "percentile_vs_zinc": 99.0},
        {"verdict": "miss", "p_active": 0.6, "percentile_vs_zinc": 50.0},
        {"verdict": check.BELOW, "p_active": 0.9, "percentile_vs_zinc": 99.5},
        {"verdict": check.IN_TRAINING, "p_active": 0.99, "percentile_vs_zinc": 100.0},
        {"verdict": check.NO_VALUE, "p_active": 0.99, "percentile_vs_zinc": 100.0},
    ])
    text = check.summarise(table, 2000)
    assert "6 drug/model pairs: 1 in training, 1 without a potency value, 1 below" in text
    assert "2 of 3 testable pairs are hits" in text
    assert "2 of 3 get p_active >= 0.5" in text
    assert "1 of 1 below-threshold pairs also rank in the top 5 %" in text


def _write(tmp_path: Path, **changes) -> Path:
    row = {"drug": "x", "model": "JAK1_Ki", "smiles": "CCO", "status": "", "source": "", "smiles_source": "s",
           "endpoint": "IC50", "relation": "=", "value": "10", "unit": "nM", "pX": "8.00", "reference": "r",
           "value_source": "http://x", "note": ""}
    row.update(changes)
    path = tmp_path / "drugs.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("changes, message", [
    ({"model": "NOPE_Ki"}, "model 'NOPE_Ki' is not in the bundle"),
    ({"smiles": "C1CC"}, "SMILES does not parse"),
    ({"pX": "7.00"}, "does not match 10 nM"),
    ({"unit": "mM"}, "is not nM or uM"),
])
def test_bad_rows_are_named_with_the_reason(tmp_path, changes, message):
    path = _write(tmp_path, **changes)
    with pytest.raises(check.DrugListError, match="drugs.csv row 2") as err:
        check.read_drug_list(path, {"JAK1_Ki"})
    assert message in str(err.value)


def test_the_shipped_list_reads_cleanly():
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    table = check.read_drug_list(DRUGS, {m["name"] for m in manifest["models"]})
    assert table["pX"].notna().sum() == (table["value"] != "").sum()
