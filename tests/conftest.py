"""Shared fixtures: small real data (bundled ChEMBL-derived rows, ZINC pool) and a
small model bundle trained from it, so tests run in seconds without the full models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screenkit.config import bundled_path, load_panel
from screenkit.model.train import train_models
from screenkit.model.trainconfig import TrainConfig

ROOT = Path(__file__).resolve().parent.parent

GOOD_MOLBLOCK = """aspirin
  RDKit          2D

 13 13  0  0  0  0  0  0  0  0999 V2000
    1.2990   -0.7500    0.0000 C   0  0
    1.2990    0.7500    0.0000 C   0  0
    0.0000    1.5000    0.0000 C   0  0
   -1.2990    0.7500    0.0000 C   0  0
   -1.2990   -0.7500    0.0000 C   0  0
    0.0000   -1.5000    0.0000 C   0  0
    0.0000   -3.0000    0.0000 O   0  0
    1.2990   -3.7500    0.0000 C   0  0
    1.2990   -5.2500    0.0000 C   0  0
    2.5981   -3.0000    0.0000 O   0  0
    2.5981   -1.5000    0.0000 C   0  0
    3.8971   -0.7500    0.0000 O   0  0
    2.5981    0.0000    0.0000 O   0  0
  1  2  2  0
  2  3  1  0
  3  4  2  0
  4  5  1  0
  5  6  2  0
  6  1  1  0
  6  7  1  0
  7  8  1  0
  8  9  1  0
  8 10  2  0
  1 11  1  0
 11 12  2  0
 11 13  1  0
M  END
"""


def molblock_from_smiles(smiles: str, title: str) -> str:
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.MolFromSmiles(smiles)
    AllChem.Compute2DCoords(mol)
    mol.SetProp("_Name", title)
    return Chem.MolToMolBlock(mol)


def broken_sdf_records() -> list[tuple[str, str]]:
    """(expected status, SDF record text) for a library with deliberately bad records."""
    empty = "empty_mol\n  RDKit\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n"
    garbage = "garbage\nthis is not\na molblock at all\n"
    bad_valence = _five_bond_carbon()
    return [
        ("ok", GOOD_MOLBLOCK + "> <vendor_id>\nV-001\n\n"),
        ("error", garbage),
        ("warning", molblock_from_smiles("CC(C)Cc1ccc(C(C)C(=O)[O-])cc1.[Na+]", "ibuprofen sodium")
         + "> <vendor_id>\nV-003\n\n"),
        ("error", empty),
        ("ok", molblock_from_smiles("Cc1ncc(CO)c(CO)c1O", "")),  # no title
        ("warning", molblock_from_smiles("CCN(CC)CCOC(=O)c1ccccc1.c1ccc2ccccc2c1", "mixture")),
        ("error", bad_valence),
        ("ok", molblock_from_smiles("CN1CCC[C@H]1c1cccnc1", "nicotine")
         + "> <note>\n<img src=x onerror=alert(1)>\n\n"),
    ]


def _five_bond_carbon() -> str:
    return ("five_bond_carbon\n  RDKit          2D\n\n  6  5  0  0  0  0  0  0  0  0999 V2000\n"
            + "".join(f"    {x:.4f}    0.0000    0.0000 C   0  0\n" for x in range(6))
            + "".join(f"  1  {i}  1  0\n" for i in range(2, 7)) + "M  END\n")


def write_sdf(path: Path, records: list[str]) -> Path:
    path.write_text("".join(r if r.endswith("\n") else r + "\n" for r in (rec + "$$$$\n" for rec in records)))
    return path


@pytest.fixture(scope="session")
def panel():
    return load_panel()


@pytest.fixture(scope="session")
def small_pool(tmp_path_factory) -> Path:
    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).head(600)
    path = tmp_path_factory.mktemp("pool") / "pool.csv"
    pool.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """Real bundled rows for two targets (JAK1 Ki, GSK3B Ki), thinned for speed."""
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"), keep_default_na=False,
                        na_values={"pactivity": [""]})
    table = table[table["gene"].isin(["JAK1", "GSK3B"])].groupby("gene").head(250)
    path = tmp_path_factory.mktemp("dataset") / "small.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def jak1_problem(small_dataset, small_pool):
    """The JAK1 Ki classification problem (labels, cluster folds, fold-clean putative inactives) of the small data."""
    from screenkit.model.problem import build_problem, load_pool

    config = TrainConfig(n_folds=3, n_estimators=30, y_randomisation_permutations=0, n_jobs=1)
    table = pd.read_csv(small_dataset)
    pool_smiles, pool_fps, _ = load_pool(small_pool, config)
    problem, _ = build_problem(table[table["gene"] == "JAK1"], 7.5, pool_smiles, pool_fps, config)
    return problem


@pytest.fixture(scope="session")
def small_models(tmp_path_factory, small_dataset, small_pool, panel) -> Path:
    out = tmp_path_factory.mktemp("models")
    train_models(small_dataset, out, panel, pool=small_pool,
                 config=TrainConfig(n_estimators=25, n_folds=3, min_compounds=20))
    return out


@pytest.fixture()
def broken_sdf(tmp_path) -> Path:
    return write_sdf(tmp_path / "broken.sdf", [text for _, text in broken_sdf_records()])
