"""One record never stops a run: every per-molecule step fails alone, and outputs are never destroyed."""

import csv
import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

import screenkit.screen.score as score_module
from screenkit.chem.featurize import MorganFingerprint
from screenkit.cli import main
from screenkit.errors import UsageError
from screenkit.model.bundle import TargetModel
from screenkit.screen.run import screen_library

ROOT = Path(__file__).resolve().parent.parent
GOOD = ["CN1CCC[C@H]1c1cccnc1", "CC(=O)Oc1ccccc1C(=O)O", "c1ccc2[nH]ccc2c1", "CCN(CC)CCOC(=O)c1ccccc1",
        "O=C(O)c1ccccc1O", "CCOc1ccc(NC(C)=O)cc1", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "CC(C)NCC(O)c1ccc(O)c(O)c1"]
BAD = "BrCCc1ccccc1"  # a fine molecule that the tests below make fail in one step


def _library(tmp_path: Path, with_bad: bool) -> Path:
    lines = [f"{s} G{i}" for i, s in enumerate(GOOD)]
    if with_bad:
        lines.insert(3, f"{BAD} BAD")
    path = tmp_path / ("with.smi" if with_bad else "without.smi")
    path.write_text("\n".join(lines) + "\n")
    return path


def _rows(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in csv.DictReader(open(path))}


def _same_except_bad(tmp_path, small_models, step_words, **kw):
    """Score with and without the bad record; the others must be identical, the bad one an error."""
    with_bad, without = tmp_path / "with.csv", tmp_path / "without.csv"
    screen_library(_library(tmp_path, True), with_bad, models_dir=small_models, **kw)
    screen_library(_library(tmp_path, False), without, models_dir=small_models, **kw)
    a, b = _rows(with_bad), _rows(without)
    bad = a.pop("BAD")
    assert bad["status"] == "error" and bad["input_position"] == "4"
    for word in step_words:
        assert word in bad["reason"]
    assert "\n" not in bad["reason"] and "Violation occurred" not in bad["reason"]
    assert set(a) == set(b)
    for name in a:
        assert {k: v for k, v in a[name].items() if k not in ("rank", "input_position")} == \
            {k: v for k, v in b[name].items() if k not in ("rank", "input_position")}
    return bad


def _is_bad(mol) -> bool:
    return any(atom.GetSymbol() == "Br" for atom in mol.GetAtoms())


def test_the_issue_reproduction_scores_both_rows(tmp_path):
    library = tmp_path / "s.smi"
    library.write_text("Cl.CN(C)CCc1ccccc1 s1\nCCO e1\n")
    out = tmp_path / "o.csv"
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(library), "-o", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Violation" not in result.stderr and "RDKIT" not in result.stderr
    rows = _rows(out)
    assert rows["s1"]["status"] == "warning" and "salt/solvent removed" in rows["s1"]["reason"]
    assert rows["s1"]["smiles"] == "CN(C)CCc1ccccc1" and rows["s1"]["tpsa"] == "3.2000"
    assert rows["e1"]["status"] == "ok"


def test_a_failing_property_costs_only_its_record(tmp_path, small_models, monkeypatch):
    real = score_module.compute_properties

    def tpsa_fails(mol, *args, **kwargs):
        if _is_bad(mol):
            raise RuntimeError("Pre-condition Violation\n\tRingInfo not initialized\n\tViolation occurred on line 29")
        return real(mol, *args, **kwargs)

    monkeypatch.setattr(score_module, "compute_properties", tpsa_fails)
    bad = _same_except_bad(tmp_path, small_models, ["properties", "failed"], chunk_size=4)
    assert bad["smiles"] == "BrCCc1ccccc1"  # what was known before the failure stays


def test_a_failing_fingerprint_falls_back_per_record(tmp_path, small_models, monkeypatch):
    real = MorganFingerprint._transform_mols

    def fails_on_bromine(self, mols):
        if any(_is_bad(m) for m in mols):
            raise RuntimeError("Invariant Violation\n\tbad atom\n\tRDKIT: 2026.09.1")
        return real(self, mols)

    monkeypatch.setattr(MorganFingerprint, "_transform_mols", fails_on_bromine)
    bad = _same_except_bad(tmp_path, small_models, ["featurize (morgan", "Invariant Violation: bad atom"],
                           chunk_size=5)
    assert "RDKIT:" not in bad["reason"]


def test_a_failing_model_falls_back_per_record(tmp_path, small_models, monkeypatch):
    bad_fp = MorganFingerprint(radius=2, fp_size=2048).transform([BAD])[0]
    real = TargetModel.predict

    def fails_on_one_row(self, X, difficulty=None):
        if (X == bad_fp).all(axis=1).any():
            raise ValueError("Input X contains NaN.")
        return real(self, X, difficulty)

    monkeypatch.setattr(TargetModel, "predict", fails_on_one_row)
    _same_except_bad(tmp_path, small_models, ["model ", "ValueError: Input X contains NaN."], chunk_size=100)


def test_a_model_giving_nan_is_an_error_not_a_ranked_row(tmp_path, small_models, monkeypatch):
    bad_fp = MorganFingerprint(radius=2, fp_size=2048).transform([BAD])[0]
    real = TargetModel.predict

    def nan_on_one_row(self, X, difficulty=None):
        out = real(self, X, difficulty)
        hit = (X == bad_fp).all(axis=1)
        return {k: np.where(hit, np.nan, v) for k, v in out.items()}

    monkeypatch.setattr(TargetModel, "predict", nan_on_one_row)
    _same_except_bad(tmp_path, small_models, ["not a finite number"], chunk_size=3)


def test_a_failure_outside_every_guard_still_costs_one_record(tmp_path, small_models, monkeypatch):
    real = score_module._parse

    def parse(record, options):
        if record.name == "BAD":
            raise MemoryError("out of memory in one record")
        return real(record, options)

    monkeypatch.setattr(score_module, "_parse", parse)
    _same_except_bad(tmp_path, small_models, ["parse/standardise failed: MemoryError"], chunk_size=2)


def test_a_failing_output_format_costs_one_record(tmp_path, small_models, monkeypatch):
    import screenkit.screen.writers as writers_module

    real = writers_module.RankedRowFormat.parts

    def parts(self, row):
        if row.get("id") == "BAD":
            raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")
        return real(self, row)

    monkeypatch.setattr(writers_module.RankedRowFormat, "parts", parts)
    with_bad = tmp_path / "with.csv"
    screen_library(_library(tmp_path, True), with_bad, models_dir=small_models, chunk_size=4)
    rows = list(csv.DictReader(open(with_bad)))
    assert len(rows) == len(GOOD) + 1
    bad = [r for r in rows if r["input_position"] == "4"][0]
    assert bad["status"] == "error" and "output formatting failed" in bad["reason"]


# -- never destroy inputs ---------------------------------------------------------------------
@pytest.mark.parametrize("companion", ["", ".status.csv", ".meta.json"])
def test_output_that_is_the_input_or_a_companion_is_refused(tmp_path, small_models, companion):
    library = tmp_path / "lib.sdf"
    library.write_text(Chem.MolToMolBlock(Chem.MolFromSmiles("CCO")) + "$$$$\n")
    before = library.read_bytes()
    if companion:
        output = tmp_path / "ranked.sdf"
        library = library.rename(tmp_path / ("ranked.sdf" + companion))
    else:
        output = library
    with pytest.raises(UsageError, match="would overwrite the input"):
        screen_library(library, output, models_dir=small_models)
    assert library.read_bytes() == before


def test_output_via_another_path_to_the_input_is_refused(tmp_path, small_models):
    library = tmp_path / "lib.csv"
    library.write_text("smiles,id\nCCO,e\n")
    os.link(library, tmp_path / "alias.csv")
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(library), "-o",
                             str(tmp_path / "alias.csv"), "--models", str(small_models)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "would overwrite the input" in result.stderr
    assert library.read_text() == "smiles,id\nCCO,e\n"


def test_kill_during_the_final_write_leaves_no_complete_looking_output(tmp_path, small_models):
    """A real SIGKILL halfway through writing the ranked file; then --resume finishes the run."""
    library = _library(tmp_path, True)
    out = tmp_path / "out.csv"
    script = textwrap.dedent(f"""
        import os, signal
        import screenkit.screen.output as output
        import screenkit.screen.run as screen
        real = output.write_ranked
        def killed_halfway(parts, path, fmt):
            parts = iter(parts)
            with open(path, "w") as fh:
                fh.write(fmt.header())
                fh.write(next(parts)[0] + "1" + next(parts)[1])
                fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        output.write_ranked = killed_halfway
        screen.screen_library({str(library)!r}, {str(out)!r}, models_dir={str(small_models)!r}, chunk_size=3)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL
    for name in ("out.csv", "out.csv.status.csv", "out.csv.meta.json"):
        assert not (tmp_path / name).exists(), name
    assert (tmp_path / "out.csv.work" / "state.json").is_file()  # the scored rows are kept
    summary = screen_library(library, out, models_dir=small_models, chunk_size=3, resume=True)
    assert summary.n_records == len(GOOD) + 1
    reference = tmp_path / "reference.csv"
    screen_library(library, reference, models_dir=small_models, chunk_size=3)
    assert out.read_bytes() == reference.read_bytes()
    assert not (tmp_path / "out.csv.partial").exists()


def test_full_disk_during_the_final_write_is_one_line_and_resumable(tmp_path, small_models, monkeypatch, capsys):
    import screenkit.screen.output as output

    def disk_full(parts, path, fmt):
        Path(path).write_text(fmt.header())
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    library = _library(tmp_path, False)
    out = tmp_path / "out.csv"
    monkeypatch.setattr(output, "write_ranked", disk_full)
    assert main(["score", str(library), "-o", str(out), "--models", str(small_models)]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "No space left on device" in err and "--resume" in err
    assert not out.exists() and not (tmp_path / "out.csv.partial").exists()
    monkeypatch.undo()
    assert main(["score", str(library), "-o", str(out), "--models", str(small_models), "--resume"]) == 0
    assert len(list(csv.DictReader(open(out)))) == len(GOOD)


@pytest.mark.parametrize("output, message", [
    ("ranked.csv", "is a folder"),
    ("/proc/ranked.csv", "cannot write in the output folder"),
    ("missing/ranked.csv", "does not exist"),
])
def test_output_side_faults_are_found_before_scoring(tmp_path, small_models, output, message):
    (tmp_path / "ranked.csv").mkdir()
    library = _library(tmp_path, False)
    target = output if output.startswith("/") else str(tmp_path / output)
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(library), "-o", target,
                             "--models", str(small_models)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_pipe_as_input_is_read(tmp_path, small_models):
    out = tmp_path / "o.csv"
    text = "".join(f"{s} G{i}\n" for i, s in enumerate(GOOD))
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", "/dev/stdin", "--format", "smiles",
                             "-o", str(out), "--models", str(small_models)], input=text,
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert len(list(csv.DictReader(open(out)))) == len(GOOD)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".input")]  # the spooled copy is gone


def test_a_pipe_without_format_says_how_to_fix(tmp_path, small_models):
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", "/dev/stdin", "-o", str(tmp_path / "o.csv"),
                             "--models", str(small_models)], input="CCO\n", capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "--format" in result.stderr and "Traceback" not in result.stderr


def test_a_failing_ranking_costs_only_its_record(tmp_path, small_models, monkeypatch):
    import screenkit.screen.worker as worker

    real = worker.score_rows

    def rank(rows, models, profile):
        if any(r.get("id") == "BAD" and r["status"] != "error" for r in rows):
            raise ZeroDivisionError("float division by zero")
        return real(rows, models, profile)

    monkeypatch.setattr(worker, "score_rows", rank)
    _same_except_bad(tmp_path, small_models, ["ranking failed: ZeroDivisionError"], chunk_size=4)
