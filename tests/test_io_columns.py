"""Input columns and SD data items carried into CSV/Parquet output (--keep-columns)."""

import csv

import pytest

from screenkit.cli import main
from screenkit.errors import UsageError
from screenkit.screen.run import screen_library


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture()
def vendor_csv(tmp_path):
    path = tmp_path / "vendor.csv"
    path.write_text("smiles,catalog_id,price,mw,note\n"
                    "CCOc1ccc(CC(=O)N)cc1,V1,12.50,180.2,\"fresh, in stock\"\n"
                    "C1CC,V2,3.00,0,broken ring\n"
                    "CN1CCC[C@H]1c1cccnc1,V3,99.00,162.2,\n")
    return path


def test_csv_columns_are_kept_per_row_and_clashing_names_prefixed(vendor_csv, small_models, tmp_path):
    out = tmp_path / "ranked.csv"
    screen_library(vendor_csv, out, models_dir=small_models)
    rows = read_csv(out)
    header = list(rows[0])
    # input columns come after every screenkit column; 'mw' is also screenkit's, so the input one is input_mw
    assert header[-3:] == ["price", "input_mw", "note"] and header.index("mw") < header.index("reason")
    by_id = {r["id"]: r for r in rows}
    assert by_id["V1"]["price"] == "12.50" and by_id["V1"]["note"] == "fresh, in stock"
    assert by_id["V1"]["input_mw"] == "180.2" and by_id["V1"]["mw"] != "180.2"  # ours is computed
    assert by_id["V2"]["status"] == "error" and by_id["V2"]["price"] == "3.00" and by_id["V2"]["note"] == "broken ring"
    assert by_id["V3"]["price"] == "99.00" and by_id["V3"]["note"] == ""


def test_keep_none_and_a_chosen_list(vendor_csv, small_models, tmp_path):
    none, some, plain = tmp_path / "none.csv", tmp_path / "some.csv", tmp_path / "plain.csv"
    screen_library(vendor_csv, none, models_dir=small_models, keep_columns="none")
    screen_library(vendor_csv, some, models_dir=small_models, keep_columns="note,price")
    screen_library(vendor_csv, plain, models_dir=small_models)
    base = list(read_csv(none)[0])
    assert base[-2:] == ["status", "reason"]
    assert list(read_csv(some)[0]) == base + ["price", "note"]  # file order, not the order asked
    # keeping columns only appends: every screenkit column is byte-identical
    width = len(base)
    for a, b in zip(read_csv(none), read_csv(plain)):
        assert list(a.values()) == list(b.values())[:width]


def test_unknown_column_to_keep_is_a_usage_error(vendor_csv, small_models, tmp_path):
    with pytest.raises(UsageError, match="has no column 'cost'.*price"):
        screen_library(vendor_csv, tmp_path / "o.csv", models_dir=small_models, keep_columns="price,cost")


def test_sd_data_items_reach_csv_output_error_rows_too(broken_sdf, small_models, tmp_path):
    out = tmp_path / "ranked.csv"
    assert main(["score", str(broken_sdf), "-o", str(out), "--models", str(small_models)]) == 0
    rows = {int(r["input_position"]): r for r in read_csv(out)}
    assert list(rows[1])[-2:] == ["vendor_id", "note"]  # first-seen order over the file
    assert rows[1]["vendor_id"] == "V-001" and rows[3]["vendor_id"] == "V-003"
    assert rows[8]["note"] == "<img src=x onerror=alert(1)>" and rows[8]["vendor_id"] == ""
    assert rows[2]["status"] == "error" and rows[2]["vendor_id"] == ""


def test_keep_none_applies_to_sdf_output_too(broken_sdf, small_models, tmp_path):
    out = tmp_path / "ranked.sdf"
    screen_library(broken_sdf, out, models_dir=small_models, keep_columns="none")
    assert "vendor_id" not in out.read_text() and "<rank>" in out.read_text()
    kept = tmp_path / "kept.sdf"
    screen_library(broken_sdf, kept, models_dir=small_models)
    assert kept.read_text().count("<vendor_id>") == 2
