"""Progress for `score`: a cheap record count (or compressed bytes) gives N/total, rate and ETA."""

import gzip
import re
import time

import pandas as pd
import pytest

from screenkit.config import bundled_path
from screenkit.screen.library import count_records, iter_records
from screenkit.screen.run import screen_library


def test_counts_match_the_reader(tmp_path, broken_sdf):
    assert count_records(broken_sdf, "sdf") == len(list(iter_records(broken_sdf))) == 8
    example = bundled_path("data/examples/example_library.sdf")
    assert count_records(example, "sdf") == 2045
    no_terminator = tmp_path / "last.sdf"
    no_terminator.write_text(broken_sdf.read_text().rstrip().removesuffix("$$$$"))
    assert count_records(no_terminator, "sdf") == len(list(iter_records(no_terminator))) == 8
    smi = tmp_path / "a.smi"
    smi.write_text("CCO a\nCCN b\nCCC c")  # no final newline
    assert count_records(smi, "smiles") == 3
    table = tmp_path / "a.csv"
    table.write_text("smiles,id\nCCO,a\nCCN,b\n")
    assert count_records(table, "csv") == 2
    gz = tmp_path / "a.smi.gz"
    gz.write_bytes(gzip.compress(smi.read_bytes()))
    assert count_records(gz, "smiles") is None  # progress follows compressed bytes instead


def test_bar_shows_total_and_eta_and_is_quiet_off_a_terminal(tmp_path, small_models, capfd):
    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).iloc[:90]
    library = tmp_path / "lib.smi"
    library.write_text("\n".join(pool["smiles"]) + "\n")
    screen_library(library, tmp_path / "o.csv", models_dir=small_models, chunk_size=30, progress=True)
    err = capfd.readouterr().err
    assert re.search(r"scoring: 100%.*\b90/90 \[", err), err
    assert re.search(r"<\d\d:\d\d", err) and "mol/s" in err  # the ETA and the rate
    screen_library(library, tmp_path / "p.csv", models_dir=small_models, chunk_size=30)  # stderr is no terminal
    assert "scoring" not in capfd.readouterr().err


def test_gzip_progress_by_compressed_bytes(tmp_path, small_models, capfd):
    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).iloc[:60]
    library = tmp_path / "lib.smi.gz"
    library.write_bytes(gzip.compress(("\n".join(pool["smiles"]) + "\n").encode()))
    screen_library(library, tmp_path / "o.csv", models_dir=small_models, chunk_size=20, progress=True)
    err = capfd.readouterr().err
    size = library.stat().st_size
    assert "compressed bytes read" in err and "60 mol" in err and re.search(rf"\b{size}/{size}\b|100%", err), err


@pytest.mark.parametrize("records", [20_000])
def test_counting_costs_little_beside_scoring(tmp_path, records):
    """The count reads the file once with bytes.count: compare it with reading the records at all."""
    example = bundled_path("data/examples/example_library.sdf").read_text()
    big = tmp_path / "big.sdf"
    with open(big, "w") as fh:
        for _ in range(records // 2045 + 1):
            fh.write(example)
    start = time.perf_counter()
    total = count_records(big, "sdf")
    counting = time.perf_counter() - start
    start = time.perf_counter()
    read = sum(1 for _ in iter_records(big))
    reading = time.perf_counter() - start
    assert total == read
    # reading records is itself a small part of scoring (which parses, standardises and predicts);
    # the count must be a small fraction even of the reading
    assert counting < 0.25 * reading, (counting, reading)
