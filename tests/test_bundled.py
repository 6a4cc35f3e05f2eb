"""The shipped data and models: present, verified, honest about held-out controls."""

import csv
from pathlib import Path

import pandas as pd
import pytest

from screenkit.bundle import load_bundle
from screenkit.config import bundled_path
from screenkit.dataset import DATASET_COLUMNS, read_dataset
from screenkit.screen import screen_library


@pytest.fixture(scope="module")
def bundled_models():
    return load_bundle(bundled_path("models"))


def test_bundled_dataset_schema_and_targets(panel):
    table = read_dataset(bundled_path("data/chembl_bundled.csv"))
    assert list(table.columns[:len(DATASET_COLUMNS)]) == DATASET_COLUMNS
    assert set(zip(table["gene"], table["activity_type"])) == {
        (t.gene, a) for t in panel.targets for a in t.bundled_data}
    assert not table.duplicated(["target_chembl_id", "activity_type", "inchikey"]).any()
    assert table["pactivity"].between(2, 13).all()


def test_bundled_models_verify_and_validate(bundled_models):
    # nine activity models plus the BBB_B3DB property model (its own card test: tests/test_bbb.py)
    assert sorted(m.card.get("role", "activity") for m in bundled_models) == ["activity"] * 9 + ["property"]
    total = sum(p.stat().st_size for p in bundled_path("models").iterdir())
    assert total < 50e6
    for model in bundled_models:
        metrics = model.card["validation"]["metrics"]
        assert metrics["roc_auc"]["mean"] > 0.85, model.name
        assert metrics["roc_auc_measured_only"]["mean"] > 0.7, model.name


def test_positive_controls_never_reached_training(bundled_models):
    controls = pd.read_csv(bundled_path("data/examples/positive_controls.csv"))
    for model in bundled_models:
        assert not set(controls["inchikey"]) & set(model.train_inchikey), model.name


def test_example_library_ranks_positive_controls_high(tmp_path):
    out = tmp_path / "ranked.csv"
    summary = screen_library(bundled_path("data/examples/example_library.sdf"), out, n_jobs=2)
    rows = list(csv.DictReader(open(out)))
    assert summary.n_records == len(rows) == 2045
    controls = set(pd.read_csv(bundled_path("data/examples/positive_controls.csv"))["name"])
    top = rows[: len(rows) // 20]
    found = sum(r["id"] in controls for r in top)
    # 45 controls are 2.2% of the library; random ranking would put ~2 in the top 5%.
    assert found >= 30, f"only {found} of {len(controls)} positive controls in the top 5%"
