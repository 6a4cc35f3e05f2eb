"""Parquet in and out of `score`: typed columns, streamed row groups, atomic write, resume, no pyarrow."""

import csv
import errno
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from screenkit.cli import main
from screenkit.config import bundled_path
from screenkit.screen.run import screen_library
from screenkit.screen.runstore import RunStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """A vendor catalogue: real ZINC SMILES, an ID column named catalog_id, a price, one bad SMILES."""
    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).iloc[3000:3120]
    table = pd.DataFrame({"catalog_id": [f"CAT-{i:03d}" for i in range(len(pool))], "SMILES": pool["smiles"].values,
                          "price_usd": [round(10 + 0.25 * i, 2) for i in range(len(pool))],
                          "in_stock": [i % 3 != 0 for i in range(len(pool))]})
    table.loc[7, "SMILES"] = "C1CC"
    folder = tmp_path_factory.mktemp("catalog")
    table.to_csv(folder / "catalog.csv", index=False)
    table.to_parquet(folder / "catalog.parquet", row_group_size=50)
    return folder, table


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_parquet_input_scores_like_the_same_csv(catalog, small_models, tmp_path):
    folder, table = catalog
    from_csv, from_parquet = tmp_path / "a.csv", tmp_path / "b.csv"
    screen_library(folder / "catalog.csv", from_csv, models_dir=small_models, chunk_size=32)
    screen_library(folder / "catalog.parquet", from_parquet, models_dir=small_models, chunk_size=32)
    a, b = read_csv(from_csv), read_csv(from_parquet)
    assert len(a) == len(b) == len(table)
    drop = {"in_stock"}  # CSV text 'True' vs Parquet bool: the same value written by two readers
    assert [{k: v for k, v in r.items() if k not in drop} for r in a] == \
           [{k: v for k, v in r.items() if k not in drop} for r in b]
    assert {r["in_stock"] for r in b} == {"True", "False"}


def test_parquet_output_is_typed_streamed_and_matches_csv(catalog, small_models, tmp_path):
    folder, table = catalog
    csv_out, pq_out = tmp_path / "ranked.csv", tmp_path / "ranked.parquet"
    screen_library(folder / "catalog.parquet", csv_out, models_dir=small_models)
    summary = screen_library(folder / "catalog.parquet", pq_out, models_dir=small_models, run_size=40)
    source = pq.ParquetFile(pq_out)
    assert source.metadata.num_rows == len(table) == summary.n_written
    assert source.metadata.num_row_groups == 3  # written 40 rows at a time, never the whole table
    schema = source.schema_arrow
    assert schema.field("rank").type == pa.int64() and schema.field("input_position").type == pa.int64()
    assert schema.field("overall_score").type == pa.float64() and schema.field("JAK1_Ki_p_active").type == pa.float64()
    assert schema.field("id").type == pa.string() and schema.field("hbd").type == pa.int64()
    assert schema.field("price_usd").type == pa.float64() and schema.field("in_stock").type == pa.bool_()
    got, want = source.read().to_pandas(), pd.read_csv(csv_out, keep_default_na=False, na_values=[""])
    assert list(got.columns) == list(want.columns)
    assert got["id"].tolist() == want["id"].tolist()
    assert got["rank"].tolist() == list(range(1, len(table) + 1))
    # CSV rounds to 4 decimals; Parquet keeps the full value
    assert (got["overall_score"] - want["overall_score"]).abs().max() < 1e-4
    bad = got[got["status"] == "error"]
    assert bad["id"].tolist() == ["CAT-007"] and bad["price_usd"].tolist() == [11.75]
    assert bad["overall_score"].isna().all()  # null, not a made-up number
    price = dict(zip(table["catalog_id"], table["price_usd"]))
    assert all(price[i] == p for i, p in zip(got["id"], got["price_usd"]))


def test_parquet_output_resumes_to_the_same_table(catalog, small_models, tmp_path, monkeypatch):
    folder, _ = catalog
    reference = tmp_path / "reference.parquet"
    screen_library(folder / "catalog.csv", reference, models_dir=small_models, chunk_size=16, run_size=30)
    out = tmp_path / "out.parquet"
    real_add, calls = RunStore.add, {"n": 0}

    def crash(self, rows):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_add(self, rows)

    monkeypatch.setattr(RunStore, "add", crash)
    with pytest.raises(KeyboardInterrupt):
        screen_library(folder / "catalog.csv", out, models_dir=small_models, chunk_size=16, run_size=30)
    monkeypatch.undo()
    assert not out.exists() and (tmp_path / "out.parquet.work").is_dir()
    summary = screen_library(folder / "catalog.csv", out, models_dir=small_models, chunk_size=16, run_size=30,
                             resume=True)
    assert summary.n_resumed == 48
    assert pq.read_table(out).equals(pq.read_table(reference))
    assert out.read_bytes() == reference.read_bytes()


def test_full_disk_while_writing_parquet_leaves_no_final_file_and_resumes(catalog, small_models, tmp_path,
                                                                          monkeypatch, capsys):
    import screenkit.screen.output as output

    folder, table = catalog
    real = output.write_ranked_parquet

    def disk_full(rows, path, columns, batch_rows):
        Path(path).write_bytes(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    out = tmp_path / "out.parquet"
    monkeypatch.setattr(output, "write_ranked_parquet", disk_full)
    assert main(["score", str(folder / "catalog.csv"), "-o", str(out), "--models", str(small_models)]) == 3
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "out.parquet.partial").exists()
    monkeypatch.setattr(output, "write_ranked_parquet", real)
    assert main(["score", str(folder / "catalog.csv"), "-o", str(out), "--models", str(small_models),
                 "--resume"]) == 0
    assert pq.read_metadata(out).num_rows == len(table)


def test_parquet_to_stdout(catalog, small_models):
    folder, table = catalog
    result = subprocess.run([sys.executable, "-m", "screenkit", "score", str(folder / "catalog.csv"), "-o", "-",
                             "--output-format", "parquet", "--models", str(small_models)],
                            cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr
    back = pq.read_table(pa.BufferReader(result.stdout))
    assert back.num_rows == len(table) and "scored 120 records" in result.stderr.decode()


@pytest.mark.parametrize("argv", [
    ["score", "{f}/catalog.parquet", "-o", "{t}/out.csv"],
    ["score", "{f}/catalog.csv", "-o", "{t}/out.parquet"],
    ["score", "{f}/catalog.csv", "-o", "-", "--output-format", "parquet"],
    ["train", "--data", "{f}/catalog.parquet", "--value-col", "price_usd", "--smiles-col", "SMILES",
     "-o", "{t}/models"],
])
def test_without_pyarrow_every_parquet_path_is_one_line_naming_the_extra(catalog, small_models, tmp_path, argv,
                                                                         monkeypatch, capsys):
    folder, _ = catalog
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    argv = [a.replace("{f}", str(folder)).replace("{t}", str(tmp_path)) for a in argv]
    if argv[0] == "score":
        argv += ["--models", str(small_models)]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "pip install 'screenkit[parquet]'" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
