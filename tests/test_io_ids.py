"""ID column guessing, named ID columns that are absent, and the blank/duplicate ID warning."""

import json
import subprocess
import sys

import pytest
from conftest import molblock_from_smiles, write_sdf

from screenkit.cli import main
from screenkit.errors import UsageError
from screenkit.screen.ids import choose_ids
from screenkit.screen.run import screen_library


@pytest.mark.parametrize("header, expected", [
    ("smiles,catalog_id,price", "catalog_id"),
    ("SMILES,Compound_ID,Name", "Name"),  # 'name' comes before 'compound_id' in the stated order
    ("smiles,ZINC_ID", "ZINC_ID"),
    ("smiles,chembl_id,mol_id", "mol_id"),
])
def test_the_id_column_is_guessed_case_insensitively_in_order(tmp_path, header, expected):
    path = tmp_path / "lib.csv"
    path.write_text(header + "\n" + ",".join(["CCO"] + ["x"] * (header.count(","))) + "\n")
    choice = choose_ids(path, "csv")
    assert choice.id_col == expected and repr(expected) in choice.source


def test_catalog_id_csv_gets_its_ids_and_says_where_they_came_from(tmp_path, small_models, capsys):
    path = tmp_path / "cat.csv"
    path.write_text("SMILES,catalog_id\nCCO,EN-1\nc1ccccc1O,EN-2\n")
    out = tmp_path / "o.csv"
    assert main(["score", str(path), "-o", str(out), "--models", str(small_models)]) == 0
    printed = capsys.readouterr().out
    assert "IDs from column 'catalog_id' (guessed" in printed and "blank ID" not in printed
    assert sorted(line.split(",")[2] for line in out.read_text().splitlines()[1:]) == ["EN-1", "EN-2"]


def test_sdf_with_blank_titles_uses_an_id_like_data_item(tmp_path, small_models, capsys):
    records = [molblock_from_smiles(s, "") + f"> <Compound_ID>\nK{i}\n\n> <price>\n1\n\n"
               for i, s in enumerate(["CCO", "c1ccccc1O", "CCN"])]
    path = write_sdf(tmp_path / "blank_titles.sdf", records)
    out = tmp_path / "o.csv"
    assert main(["score", str(path), "-o", str(out), "--models", str(small_models)]) == 0
    assert "IDs from SD data item 'Compound_ID'" in capsys.readouterr().out
    meta = json.loads((tmp_path / "o.csv.meta.json").read_text())
    assert meta["ids"]["blank"] == 0 and "Compound_ID" in meta["ids"]["source"]


def test_named_id_that_is_absent_is_a_usage_error_listing_what_exists(broken_sdf, tmp_path, small_models):
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(broken_sdf), "-o",
                             str(tmp_path / "o.csv"), "--models", str(small_models), "--id-field", "NOPE"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "'NOPE'" in result.stderr and "vendor_id, note" in result.stderr
    csv_lib = tmp_path / "lib.csv"
    csv_lib.write_text("smiles,catalog_id\nCCO,a\n")
    with pytest.raises(UsageError, match="no column 'NOPE' for --id-field; its columns are: smiles, catalog_id"):
        screen_library(csv_lib, tmp_path / "p.csv", models_dir=small_models, id_field="NOPE")
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "p.csv").exists()


def test_blank_and_duplicated_ids_are_counted_with_examples(tmp_path, small_models, capsys):
    path = tmp_path / "lib.smi"
    path.write_text("CCO A\nCCN\nc1ccccc1O A\nCCCl B\nCCBr B\nCCI\nCC(=O)O C\n")
    out = tmp_path / "o.csv"
    assert main(["score", str(path), "-o", str(out), "--models", str(small_models)]) == 0
    printed = capsys.readouterr().out
    assert "warning: 2 records have a blank ID (input positions 2, 6)" in printed
    assert "warning: 4 records share their ID with another record (e.g. 'A', 'B')" in printed
    ids = json.loads((tmp_path / "o.csv.meta.json").read_text())["ids"]
    assert ids["blank"] == 2 and ids["blank_positions"] == [2, 6]
    assert ids["duplicated"] == 4 and ids["duplicated_ids"] == ["A", "B"]
