"""The curated activity table: one schema for bundled data and ``screenkit fetch`` output.

One row per (standardised parent compound, target, activity type). pActivity is
-log10(molar); ``relation`` is ``=`` for exact values and ``<``/``>`` for censored ones.
ChEMBL provenance columns hold ``;``-joined IDs so a prediction can cite the
measurements behind it; they are empty for sources that do not carry them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import InputFileError, UsageError

__all__ = ["DATASET_COLUMNS", "read_dataset"]

DATASET_COLUMNS = [
    "target_chembl_id", "gene", "activity_type", "smiles", "inchikey", "pactivity",
    "pactivity_spread", "n_measurements", "relation", "molecule_chembl_ids", "activity_ids",
    "assay_chembl_ids", "document_chembl_ids", "document_year", "source", "input_smiles",
    "curation_note",
]
_REQUIRED = ["target_chembl_id", "activity_type", "smiles", "inchikey", "pactivity"]


def read_dataset(path: str | Path) -> pd.DataFrame:
    """Read a curated dataset (CSV, optionally gzipped, or Parquet) and check its schema.

    Missing optional columns are added empty, so older or hand-made tables still load.

    Raises
    ------
    InputFileError
        If the file is missing or lacks a required column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"dataset {path} does not exist; build one with scripts/build_bundled_data.py "
                             "or screenkit fetch")
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, dtype={"activity_ids": str, "document_year": str}, keep_default_na=False,
                            na_values={"pactivity": [""], "pactivity_spread": [""]})
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputFileError(f"dataset {path} lacks the column(s) {', '.join(missing)}; "
                             f"a screenkit dataset has: {', '.join(DATASET_COLUMNS)}")
    for column in DATASET_COLUMNS:
        if column not in table.columns:
            table[column] = "" if column not in ("pactivity_spread", "n_measurements") else 0
    if table["pactivity"].isna().any():
        bad = int(table["pactivity"].isna().idxmax()) + 2
        raise InputFileError(f"dataset {path}: line {bad} has no pactivity value")
    if "relation" in table and (table["relation"] == "").any():
        table.loc[table["relation"] == "", "relation"] = "="
    return table


def select_targets(table: pd.DataFrame, targets: list[str] | None) -> pd.DataFrame:
    """Rows of the given ChEMBL target IDs or genes (all when ``targets`` is None)."""
    if not targets:
        return table
    keep = table["target_chembl_id"].isin(targets) | table["gene"].isin(targets)
    unknown = [t for t in targets if t not in set(table["target_chembl_id"]) | set(table["gene"])]
    if unknown:
        raise UsageError(f"no rows for target(s) {', '.join(unknown)} in the dataset; it has: "
                         f"{', '.join(sorted(set(table['gene'])))}")
    return table[keep]
