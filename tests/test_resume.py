"""Checkpointed scoring: --top, the status file, and resuming after a crash or kill -9."""

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from screenkit.config import bundled_path
from screenkit.errors import UsageError
from screenkit.screen.run import screen_library
from screenkit.screen.runstore import RunStore


@pytest.fixture(scope="module")
def smiles_library(tmp_path_factory) -> Path:
    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).iloc[1000:1600]
    path = tmp_path_factory.mktemp("lib") / "library.smi"
    lines = [f"{s} Z{i:04d}" for i, s in enumerate(pool["smiles"])]
    lines.insert(100, "C1CC broken_ring")
    lines.insert(300, "[Na+].[Cl-] table_salt")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_top_keeps_best_rows_and_status_lists_every_record(smiles_library, small_models, tmp_path):
    full, top = tmp_path / "full.csv", tmp_path / "top.csv"
    screen_library(smiles_library, full, models_dir=small_models, chunk_size=64)
    summary = screen_library(smiles_library, top, models_dir=small_models, chunk_size=64, top=25)
    assert summary.n_written == 25 and summary.n_records == 602
    full_lines = full.read_text().splitlines()
    assert top.read_text().splitlines() == full_lines[:26]  # header + 25 best, same bytes
    status = list(csv.DictReader(open(tmp_path / "top.csv.status.csv")))
    assert [int(r["input_position"]) for r in status] == list(range(1, 603))
    assert status[100]["status"] == "error" and "could not parse" in status[100]["reason"]
    assert status[300]["status"] == "error" and "inorganic" in status[300]["reason"]
    assert not (tmp_path / "top.csv.work").exists()


def test_resume_after_a_crash_gives_identical_output(smiles_library, small_models, tmp_path, monkeypatch):
    reference = tmp_path / "reference.csv"
    screen_library(smiles_library, reference, models_dir=small_models, chunk_size=40, run_size=90)

    out = tmp_path / "out.csv"
    real_add, calls = RunStore.add, {"n": 0}

    def crash_after_some_chunks(self, rows):
        calls["n"] += 1
        if calls["n"] == 8:  # two sorted runs on disk and one chunk pending
            raise KeyboardInterrupt
        return real_add(self, rows)

    monkeypatch.setattr(RunStore, "add", crash_after_some_chunks)
    with pytest.raises(KeyboardInterrupt):
        screen_library(smiles_library, out, models_dir=small_models, chunk_size=40, run_size=90)
    state = json.loads((tmp_path / "out.csv.work" / "state.json").read_text())
    assert state["records_done"] == 280 and len(state["runs"]) == 2 and state["pending_rows"] == 40
    monkeypatch.setattr(RunStore, "add", real_add)

    with pytest.raises(UsageError, match="--resume"):
        screen_library(smiles_library, out, models_dir=small_models, chunk_size=40, run_size=90)
    summary = screen_library(smiles_library, out, models_dir=small_models, chunk_size=40, run_size=90, resume=True)
    assert summary.n_resumed == 280 and summary.n_records == 602
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "out.csv.status.csv").read_bytes() == (tmp_path / "reference.csv.status.csv").read_bytes()


def _interrupt_after_first_chunk(library, out, models_dir, monkeypatch) -> None:
    """Run until the first chunk is committed, then stop as Ctrl-C would."""
    real_add = RunStore.add

    def crash_on_second_chunk(self, rows):
        if self.records_done:
            raise KeyboardInterrupt
        real_add(self, rows)

    monkeypatch.setattr(RunStore, "add", crash_on_second_chunk)
    with pytest.raises(KeyboardInterrupt):
        screen_library(library, out, models_dir=models_dir, chunk_size=40)
    monkeypatch.undo()


def test_resume_refuses_a_changed_library(smiles_library, small_models, tmp_path, monkeypatch):
    library = tmp_path / "lib.smi"
    library.write_text(smiles_library.read_text())
    out = tmp_path / "out.csv"
    _interrupt_after_first_chunk(library, out, small_models, monkeypatch)
    library.write_text(smiles_library.read_text() + "CCO extra\n")
    with pytest.raises(UsageError, match="library_sha256 changed"):
        screen_library(library, out, models_dir=small_models, chunk_size=40, resume=True)


def test_kill_9_then_resume_is_byte_identical(tmp_path):
    """A real `kill -9` of the CLI mid-run, with the bundled models and the example library."""
    library = bundled_path("data/examples/example_library.sdf")
    reference, out = tmp_path / "reference.csv", tmp_path / "out.csv"
    base = [sys.executable, "-m", "screenkit", "score", str(library), "--chunk-size", "50", "--run-size", "300"]
    subprocess.run(base + ["-o", str(reference)], check=True, capture_output=True)

    process = subprocess.Popen(base + ["-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_path = tmp_path / "out.csv.work" / "state.json"
    deadline = time.time() + 120
    killed_at = None
    while time.time() < deadline and process.poll() is None:
        try:
            done = json.loads(state_path.read_text())["records_done"]
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= 600:
            os.kill(process.pid, signal.SIGKILL)
            killed_at = done
            break
        time.sleep(0.02)
    process.wait()
    assert killed_at is not None, "the run finished before it could be killed"
    assert not out.exists()

    result = subprocess.run(base + ["-o", str(out), "--resume"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "from the interrupted run" in result.stdout
    assert out.read_bytes() == reference.read_bytes()


def test_resume_refuses_a_work_folder_written_in_another_format(smiles_library, small_models, tmp_path,
                                                                  monkeypatch):
    out = tmp_path / "out.csv"
    _interrupt_after_first_chunk(smiles_library, out, small_models, monkeypatch)
    state_path = tmp_path / "out.csv.work" / "state.json"
    state = json.loads(state_path.read_text())
    del state["signature"]["store_format"]  # as an earlier screenkit wrote it
    state_path.write_text(json.dumps(state))
    with pytest.raises(UsageError, match="store_format changed"):
        screen_library(smiles_library, out, models_dir=small_models, chunk_size=40, resume=True)


def test_resume_after_an_interruption_in_a_library_of_bad_records_finishes(small_models, tmp_path, monkeypatch):
    """Salts, pseudo-atoms, organometallics and a damaged gzip tail: interrupted, then resumed to the same bytes."""
    import gzip

    lines = [f"{s} R{i}" for i, s in enumerate(
        ["Cl.CN(C)CCc1ccccc1", "*c1ccccc1", "O=C=[Fe](=C=O)(=C=O)(=C=O)=C=O", "CCO", "C1CC", "[Na+].[Cl-]",
         "CN1CCC[C@H]1c1cccnc1.OC(C(O)C(=O)O)C(=O)O", "c1ccccc1O"] * 15)]
    data = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    library = tmp_path / "bad.smi.gz"
    library.write_bytes(data[:-6])  # the gzip trailer is cut off
    reference, out = tmp_path / "reference.csv", tmp_path / "out.csv"
    screen_library(library, reference, models_dir=small_models, chunk_size=40)
    _interrupt_after_first_chunk(library, out, small_models, monkeypatch)
    summary = screen_library(library, out, models_dir=small_models, chunk_size=40, resume=True)
    assert summary.n_resumed == 40 and summary.n_records == 120
    assert out.read_bytes() == reference.read_bytes()
    status = list(csv.DictReader(open(tmp_path / "out.csv.status.csv")))
    assert status[-1]["status"] == "error" and "damaged" in status[-1]["reason"]


def test_the_library_hash_waits_for_the_first_commit_and_a_run_stopped_before_it_starts_afresh(
        smiles_library, small_models, tmp_path, monkeypatch):
    asked = []
    store = RunStore(tmp_path / "w", lambda: asked.append(1) or {"library_sha256": "abc"}, 100)
    assert store.start(resume=False) == 0 and asked == []  # the hash can still be running
    assert not (tmp_path / "w" / "state.json").exists()  # nothing committed: nothing to resume

    out = tmp_path / "out.csv"

    def stop_before_the_first_commit(self, rows):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "add", stop_before_the_first_commit)
    with pytest.raises(KeyboardInterrupt):
        screen_library(smiles_library, out, models_dir=small_models, chunk_size=40)
    monkeypatch.undo()
    screen_library(smiles_library, out, models_dir=small_models, chunk_size=40)  # no --resume needed
    meta = json.loads((tmp_path / "out.csv.meta.json").read_text())
    assert meta["library"]["sha256"] == hashlib.sha256(smiles_library.read_bytes()).hexdigest()
