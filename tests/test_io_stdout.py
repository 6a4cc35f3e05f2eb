"""`score -o -`: ranked rows on standard output, the summary on stderr, pipes that close early."""

import csv
import io
import subprocess
import sys

import pandas as pd
import pytest

from screenkit.cli import main
from screenkit.config import bundled_path
from screenkit.screen.run import screen_library

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pool_library(tmp_path_factory):
    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).iloc[2000:2400]
    path = tmp_path_factory.mktemp("lib") / "pool.smi"
    lines = [f"{s} P{i:04d}" for i, s in enumerate(pool["smiles"])]
    lines.insert(10, "C1CC broken_ring")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_stdout_csv_is_the_file_output_byte_for_byte(broken_sdf, small_models, tmp_path):
    reference = tmp_path / "ranked.csv"
    screen_library(broken_sdf, reference, models_dir=small_models, chunk_size=3)
    sink = io.BytesIO()
    summary = screen_library(broken_sdf, "-", models_dir=small_models, chunk_size=3, stdout=sink)
    assert sink.getvalue() == reference.read_bytes()
    assert summary.n_written == 8 and summary.status_file == "" and summary.metadata == ""
    # nothing but the file output itself is left in the folder: no status, meta or work folder for -o -
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sdf", "ranked.csv", "ranked.csv.meta.json",
                                                           "ranked.csv.status.csv"]


def test_cli_stdout_sends_rows_to_stdout_and_the_summary_to_stderr(broken_sdf, small_models, tmp_path, capfd):
    status = tmp_path / "status.csv"
    code = main(["score", str(broken_sdf), "-o", "-", "--output-format", "sdf", "--models", str(small_models),
                 "--status-file", str(status)])
    out, err = capfd.readouterr()
    assert code == 0
    assert out.count("$$$$") == 8 and "scored 8 records" not in out
    assert "scored 8 records" in err and "standard output" in err
    rows = list(csv.DictReader(open(status)))
    assert [int(r["input_position"]) for r in rows] == list(range(1, 9))


def test_closed_pipe_ends_quietly(pool_library, small_models):
    """`screenkit score lib -o - | head -1`: the reader goes away after one line."""
    command = [sys.executable, "-m", "screenkit", "score", str(pool_library), "-o", "-", "--models",
               str(small_models)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # like `head -1` exiting
    stderr = process.stderr.read().decode()
    code = process.wait(timeout=300)
    assert first.startswith(b"rank,input_position,id,smiles")
    assert code == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr


def test_shell_pipe_into_head(pool_library, small_models):
    script = (f"{sys.executable} -m screenkit score {pool_library} -o - --models {small_models} "
              "--output-format csv | head -3; echo \"status=${PIPESTATUS[0]}\"")
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("rank,") and lines[1].startswith("1,") and lines[2].startswith("2,")
    assert lines[3] == "status=0" and "Traceback" not in result.stderr


@pytest.mark.parametrize("extra, message", [
    (["-o", "-", "--resume"], "--resume needs a file output"),
    (["-o", "{t}/x.csv", "--status-file", "{t}/s.csv"], "--status-file and --metadata go with -o -"),
    (["-o", "{t}/x.csv", "--output-format", "parquet"], "is named .csv but --output-format is parquet"),
    (["-o", "{t}/x.parquet.gz"], "must end in"),
    (["-o", "-", "--fronts", "2"], "--fronts goes with --pareto"),
    (["-o", "-", "--pareto", "--fronts", "0"], "--fronts"),
])
def test_bad_combinations_are_one_line_usage_errors(broken_sdf, small_models, tmp_path, extra, message):
    extra = [e.replace("{t}", str(tmp_path)) for e in extra]
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(broken_sdf), *extra, "--models",
                             str(small_models)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("x.*"))
