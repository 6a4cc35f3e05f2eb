"""A user's own measurements (CSV/TSV, SDF or Parquet) to screenkit's curated table schema.

Each structure goes through the same standardisation as everything else in screenkit
(:func:`screenkit.chem.standardize.standardize_smiles`); values are converted to the pActivity
scale; replicates of one parent compound (same InChIKey) are aggregated to their median.
Rows that cannot be used are never dropped silently: :class:`Measurements` carries
each one as an :class:`~screenkit.curation.dataset.Issue` (``code``, ``severity``, and the ``reason``
text rendered from it). Count or branch on ``code``, never on ``reason``.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputFileError, UsageError
from .dataset import Issue

__all__ = ["Measurements", "read_measurements", "UNITS", "EXCLUDED_COLUMNS"]

#: Columns of :attr:`Measurements.excluded`.
EXCLUDED_COLUMNS = ["row", "input", "code", "severity", "reason"]

UNITS = ("pactivity", "nM", "uM", "M", "label")


@dataclass
class Measurements:
    """Curated rows (dataset schema) plus the rows that were excluded and why."""

    table: pd.DataFrame
    excluded: pd.DataFrame  # EXCLUDED_COLUMNS: row (1-based record number), input, Issue code/severity, reason
    n_input_rows: int


def _excluded(row: int, smiles: str, issue: Issue) -> dict:
    return {"row": row, "input": smiles, "code": issue.code, "severity": issue.severity, "reason": issue.message}


def _read_table(path: Path) -> pd.DataFrame:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    if name.endswith((".sdf", ".sdf.gz", ".sd")):
        from rdkit import Chem

        from ..chem.standardize import muted_rdkit_log

        handle = gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")
        rows = []
        with handle, muted_rdkit_log():
            for mol in Chem.ForwardSDMolSupplier(handle, sanitize=True, removeHs=True):
                if mol is None:
                    rows.append({"__smiles__": ""})
                    continue
                props = mol.GetPropsAsDict(includePrivate=False, includeComputed=False)
                rows.append({"__smiles__": Chem.MolToSmiles(mol), "__title__": mol.GetProp("_Name")
                             if mol.HasProp("_Name") else "", **props})
        return pd.DataFrame(rows)
    sep = "\t" if name.endswith((".tsv", ".tsv.gz", ".txt")) else ","
    return pd.read_csv(path, sep=sep, keep_default_na=False, na_values={}, dtype=str)


def _to_pactivity(values: pd.Series, units: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if units in ("pactivity", "label"):
        return numeric
    scale = {"nM": 1e-9, "uM": 1e-6, "M": 1.0}[units]
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.log10(numeric.where(numeric > 0) * scale)


def read_measurements(path: str | Path, *, smiles_col: str | None, value_col: str, units: str = "pactivity",
                      relation_col: str | None = None, year_col: str | None = None) -> Measurements:
    """Read, standardise, convert and aggregate a user's measurements.

    Parameters
    ----------
    path : path
        CSV/TSV (optionally gzipped), SDF (structures from the molblocks; values from SD
        properties) or Parquet.
    smiles_col : str or None
        Column with SMILES (not needed for SDF).
    value_col : str
        Column with the measured value.
    units : {"pactivity", "nM", "uM", "M", "label"}
        ``pactivity`` is -log10(molar) already; concentrations are converted (a relation
        ``<`` on a concentration becomes ``>`` on pActivity); ``label`` is 0/1.
    relation_col : str, optional
        Column with ``=``, ``<``, ``>`` (on the value's own scale).
    year_col : str, optional
        Publication or measurement year (enables the temporal split).

    Raises
    ------
    InputFileError
        Missing file, or no usable row.
    UsageError
        Unknown column or unit.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"data file {path} does not exist")
    if units not in UNITS:
        raise UsageError(f"unknown units {units!r}; use one of {', '.join(UNITS)}")
    try:
        raw = _read_table(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read {path} as CSV/SDF/Parquet: {exc}") from None
    if raw.empty:
        raise InputFileError(f"data file {path} contains no rows")
    is_sdf = "__smiles__" in raw.columns
    smiles_key = "__smiles__" if is_sdf and smiles_col is None else smiles_col
    _check_columns(path, raw, {"--smiles-col": smiles_key, "--value-col": value_col, "--relation-col": relation_col,
                               "--year-col": year_col})
    records, excluded = _records(raw, str(smiles_key), value_col, units, relation_col, year_col)
    if not records:
        problems = pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS)
        reasons = "; ".join(f"{code} x{len(group)}, e.g. {group['reason'].iloc[0]}"
                            for code, group in list(problems.groupby("code", sort=False))[:3]) or "none"
        raise InputFileError(f"no usable row in {path} ({len(raw)} rows; most common problems: {reasons})")
    return Measurements(_per_compound(pd.DataFrame(records)), pd.DataFrame(excluded, columns=EXCLUDED_COLUMNS),
                        len(raw))


def _check_columns(path: Path, raw: pd.DataFrame, columns: dict[str, str | None]) -> None:
    """Every column an option names exists (and a SMILES column is named unless the file is an SDF)."""
    for option, col in columns.items():
        if option == "--smiles-col" and col is None:
            raise UsageError(f"{path.name}: give --smiles-col (columns: {', '.join(map(str, raw.columns))})")
        if col is not None and col not in raw.columns:
            shown = [c for c in raw.columns if not str(c).startswith("__")]
            raise UsageError(f"{path.name} has no column {col!r} for {option}; columns: {', '.join(map(str, shown))}")


def _records(raw: pd.DataFrame, smiles_key: str, value_col: str, units: str, relation_col: str | None,
             year_col: str | None) -> tuple[list[dict], list[dict]]:
    """Standardised records with pActivity-scale values and relations, and the rows excluded (with an Issue)."""
    from rdkit import Chem

    from ..chem.standardize import standardize_smiles

    records, excluded = [], []
    relation_flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "": "="}
    values = _to_pactivity(raw[value_col], units)
    for i, (smiles, value) in enumerate(zip(raw[smiles_key].astype(str), values), start=1):
        relation = str(raw[relation_col].iloc[i - 1]).strip() if relation_col else "="
        if relation not in relation_flip:
            excluded.append(_excluded(i, smiles, Issue("relation", "error", f"unknown relation {relation!r}")))
            continue
        if units in ("nM", "uM", "M"):
            relation = relation_flip[relation]
        relation = relation or "="
        if not np.isfinite(value):
            excluded.append(_excluded(i, smiles, Issue("value", "error", f"value {raw[value_col].iloc[i - 1]!r} is not "
                                                                         "a usable number")))
            continue
        result = standardize_smiles(smiles)
        if result.mol is None:
            excluded.append(_excluded(i, smiles, Issue("structure", "error", result.reason or "could not standardise")))
            continue
        year = str(raw[year_col].iloc[i - 1]) if year_col else ""
        records.append({"smiles": result.smiles, "inchikey": Chem.MolToInchiKey(result.mol), "value": float(value),
                        "relation": relation.replace("<=", "<").replace(">=", ">"), "document_year": year,
                        "input_smiles": smiles, "curation_note": result.reason})
    return records, excluded


def _per_compound(table: pd.DataFrame) -> pd.DataFrame:
    """One row per InChIKey: the median of its exact values (of its censored ones when it has no exact one)."""
    rows = []
    for inchikey, group in table.groupby("inchikey", sort=False):
        exact = group[group["relation"] == "="]
        chosen = exact if len(exact) else group
        rows.append({"inchikey": inchikey, "smiles": chosen["smiles"].iloc[0],
                     "pactivity": float(chosen["value"].median()),
                     "pactivity_spread": float(chosen["value"].max() - chosen["value"].min()),
                     "n_measurements": int(len(group)),
                     "relation": "=" if len(exact) else chosen["relation"].iloc[0],
                     "document_year": chosen["document_year"].iloc[0],
                     "input_smiles": ";".join(group["input_smiles"].iloc[:3]),
                     "curation_note": "; ".join(sorted(set(filter(None, group["curation_note"]))))})
    return pd.DataFrame(rows)
