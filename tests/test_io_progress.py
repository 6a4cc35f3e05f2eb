"""Progress for `score`: a cheap record count (or compressed bytes) gives N/total, rate and ETA."""

import gzip
import re
import time

import pandas as pd

from screenkit.config import bundled_path
from screenkit.screen.readers import count_records, iter_records
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


def test_counting_costs_little_beside_scoring(tmp_path, small_models):
    """The count reads the file once with bytes.count; scoring parses, standardises and predicts."""
    example = bundled_path("data/examples/example_library.sdf")
    big = tmp_path / "big.sdf"
    with open(big, "w") as fh:
        for _ in range(10):  # 20,450 records, 50 MB
            fh.write(example.read_text())
    start = time.process_time()
    assert count_records(big, "sdf") == 20_450
    count_per_record = (time.process_time() - start) / 20_450
    sample = tmp_path / "sample.sdf"
    sample.write_text("".join(text + "$$$$\n" for text in
                              [r.text for _, r in zip(range(200), iter_records(example))]))
    start = time.process_time()
    screen_library(sample, tmp_path / "o.csv", models_dir=small_models)  # 2 small models: cheaper than the bundle's 12
    score_per_record = (time.process_time() - start) / 200
    assert count_per_record < 0.01 * score_per_record, (count_per_record, score_per_record)
