import csv
import subprocess
import sys

import pytest

from screenkit.cli import main


def test_score_cli_on_broken_sdf(broken_sdf, small_models, tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = main(["score", str(broken_sdf), "-o", str(out), "--models", str(small_models), "--n-jobs", "2",
                 "--chunk-size", "3"])
    assert code == 0
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 8
    assert sorted(int(r["input_position"]) for r in rows) == list(range(1, 9))
    printed = capsys.readouterr().out
    assert "scored 8 records" in printed and "3 not scored" in printed


@pytest.mark.parametrize("argv_tail, code, message", [
    (["missing.sdf"], 3, "does not exist"),
    (["lib.csv", "--smiles-col", "smi"], 2, "has no column 'smi'"),
    (["lib.xyz"], 2, "--format"),
    (["empty.smi"], 3, "contains no records"),
])
def test_caller_mistakes_exit_nonzero_with_one_line(tmp_path, small_models, argv_tail, code, message):
    (tmp_path / "lib.csv").write_text("id,smiles\n1,CCO\n")
    (tmp_path / "lib.xyz").write_text("CCO\n")
    (tmp_path / "empty.smi").write_text("")
    argv = ["score", str(tmp_path / argv_tail[0]), *argv_tail[1:], "-o", str(tmp_path / "o.csv"),
            "--models", str(small_models)]
    result = subprocess.run([sys.executable, "-m", "screenkit", *argv], capture_output=True, text=True)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_command_has_help():
    for command in ["score", "train", "targets"]:
        result = subprocess.run([sys.executable, "-m", "screenkit", command, "--help"], capture_output=True, text=True)
        assert result.returncode == 0 and "usage: screenkit " + command in result.stdout


def test_targets_lists_panel_and_models(small_models, capsys):
    assert main(["targets", "--models", str(small_models)]) == 0
    out = capsys.readouterr().out
    lines = [l for l in out.splitlines() if l.startswith("JAK1 ")]
    assert lines and lines[0].rstrip().endswith("Ki")
    assert "CHRM1" in out and "EIF2B1-5" in out


def test_text_file_that_is_not_chemistry_gives_one_error_row_per_line(tmp_path, small_models):
    notes = tmp_path / "notes.smi"
    notes.write_text("Meeting notes for Tuesday\nbuy more DMSO\n\nremember: the assay plate is in fridge 2\n")
    out = tmp_path / "o.csv"
    assert main(["score", str(notes), "-o", str(out), "--models", str(small_models)]) == 0
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 3
    assert all(r["status"] == "error" and "could not parse SMILES" in r["reason"] for r in rows)
