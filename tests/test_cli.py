import csv
import re
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
    from screenkit.cli import COMMANDS

    assert len(COMMANDS) == 8
    for command in COMMANDS:
        result = subprocess.run([sys.executable, "-m", "screenkit", command, "--help"], capture_output=True, text=True)
        assert result.returncode == 0 and result.stdout.startswith("usage: screenkit " + command), command
        assert len([line for line in result.stdout.splitlines() if line.strip().startswith("-")]) >= 2, command


def test_targets_lists_panel_and_models(small_models, capsys):
    assert main(["targets", "--models", str(small_models)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("JAK1 ")]
    # the models column, then the verdict against similarity search from the model's card
    assert lines and re.search(r"\sKi\s+Ki: (yes|no|not shown)$", lines[0].rstrip())
    assert "CHRM1" in out and "EIF2B1-5" in out


def test_text_file_that_is_not_chemistry_gives_one_error_row_per_line(tmp_path, small_models):
    notes = tmp_path / "notes.smi"
    notes.write_text("Meeting notes for Tuesday\nbuy more DMSO\n\nremember: the assay plate is in fridge 2\n")
    out = tmp_path / "o.csv"
    assert main(["score", str(notes), "-o", str(out), "--models", str(small_models)]) == 0
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == 3
    assert all(r["status"] == "error" and "could not parse SMILES" in r["reason"] for r in rows)


# -- the README tour with the caller mistakes of issue 10: one line, exit 2 or 3, never a traceback ----
@pytest.fixture()
def tour_files(tmp_path):
    (tmp_path / "lib.smi").write_text("CCO e1\nc1ccccc1O p1\n")
    (tmp_path / "lib.sdf").write_text("")
    (tmp_path / "assay.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "ranked.csv").write_text("rank,id\n1,x\n")
    return tmp_path


BAD_TOUR = [
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--n-jobs", "0"], 2, "--n-jobs"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--chunk-size", "0"], 2, "--chunk-size"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--run-size", "0"], 2, "--run-size"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--top", "0"], 2, "--top"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--top", "-5"], 2, "--top"),
    (["score", "{t}/lib.smi", "-o", "{t}/lib.smi"], 2, "overwrite the input"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.txt"], 2, ".csv or .sdf"),
    (["score", "{t}/lib.sdf", "-o", "{t}/o.csv"], 3, "no records"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--profile", "nonexistent"], 2, "nonexistent"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--models", "{t}"], 3, "not a screenkit model folder"),
    (["score", "{t}/lib.smi", "-o", "{t}/o.csv", "--backend", "dask"], 2, "--scheduler"),
    (["train", "-o", "{t}/m", "--fp-size", "0"], 2, "--fp-size"),
    (["train", "-o", "{t}/m", "--n-folds", "1"], 2, "--n-folds"),
    (["train", "-o", "{t}/m", "--n-jobs", "0"], 2, "--n-jobs"),
    (["train", "-o", "{t}/m", "--n-estimators", "0"], 2, "--n-estimators"),
    (["train", "-o", "{t}/m", "--radius", "-1"], 2, "--radius"),
    (["train", "-o", "{t}/m", "--time-budget", "-1"], 2, "--time-budget"),
    # a damaged Parquet file is a data error (pyarrow is in the test extra; without it: tests/test_io_parquet.py)
    (["train", "--data", "{t}/assay.parquet", "--value-col", "v", "-o", "{t}/m"], 3, "Parquet magic bytes"),
    (["targets", "--models", "{t}/nowhere"], 3, "not a screenkit model folder"),
    (["report", "{t}/ranked.csv", "-o", "{t}/r.html", "--top", "0"], 2, "--top"),
    (["evaluate", "--models", "{t}/nowhere", "--data", "{t}/lib.smi", "--value-col", "v"], 3, "model folder"),
    (["curate", "{t}/missing.csv", "-o", "{t}/c.csv"], 3, "does not exist"),
]


@pytest.mark.parametrize("argv, code, message", BAD_TOUR, ids=[f"{a[0]}: {m}" for a, _, m in BAD_TOUR])
def test_readme_tour_with_bad_values_is_one_line(tour_files, capsys, argv, code, message):
    argv = [a.format(t=tour_files) for a in argv]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and err.startswith(f"screenkit {argv[0]}: error")


@pytest.mark.parametrize("argv", [["score", "x.smi", "-o", "o.csv", "--n-jobs", "two"], ["train", "--fp-size", "1.5"],
                                  ["score"], ["nosuchcommand"]])
def test_argparse_mistakes_exit_2(argv):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


def test_top_level_help_imports_no_chemistry_or_learning_library():
    code = ("import sys, contextlib, io\nfrom screenkit.cli import main\n"
            "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n    main(['--help'])\n"
            "print(sorted(m for m in ('rdkit', 'sklearn', 'pandas', 'numpy') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_every_command_listed_in_the_top_level_help_matches_its_module():
    import argparse
    import importlib

    from screenkit.cli import COMMANDS

    for name, help_text in COMMANDS.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"screenkit.cli.{name}").add_parser(sub)
        assert sub._choices_actions[0].help == help_text, name


def test_score_reads_standard_input_as_dash(small_models, tmp_path):
    out = tmp_path / "ranked.csv"
    done = subprocess.run([sys.executable, "-m", "screenkit", "score", "-", "-o", str(out), "--format", "smiles",
                           "--models", str(small_models)], input="CCO ethanol\nC1CC broken\nc1ccccc1O phenol\n",
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(open(out)))
    assert sorted(r["id"] for r in rows) == ["broken", "ethanol", "phenol"]
    assert {r["id"]: r["status"] for r in rows}["broken"] == "error"
