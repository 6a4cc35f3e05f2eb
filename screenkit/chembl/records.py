"""The raw activity record both ChEMBL back ends yield, and the target identity check.

A raw record is one ChEMBL activity with the field names of the web API's activity
resource (section 3.4 of the ChEMBL research note), plus the assay's confidence score
and the target type, which the API keeps in other resources. Values are parsed into
plain Python types here, so the web API (numbers as strings, booleans, ``action_type``
as a nested object) and a database (numbers, 0/1, ``Decimal`` on PostgreSQL) give equal
records.

A record with a field that cannot be parsed (``"standard_value": "n/a"``, an activity ID
that is not a number, a record that is not an object) is kept: the bad field becomes
empty and ``record_error`` says which field and value, so curation logs and excludes it
(rule ``record``) and the rest of the pull goes on.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..config import Target
from ..errors import InputFileError, UsageError

__all__ = ["RAW_COLUMNS", "ActivityQuery", "TargetInfo", "check_target", "normalize_record",
           "raw_frame", "read_raw", "write_raw"]

log = logging.getLogger(__name__)

#: Columns of the raw record table, in file order.
RAW_COLUMNS = [
    "activity_id", "target_chembl_id", "target_type", "target_organism", "target_tax_id",
    "assay_chembl_id", "assay_type", "confidence_score", "assay_variant_mutation",
    "document_chembl_id", "document_year", "molecule_chembl_id", "parent_molecule_chembl_id",
    "canonical_smiles", "standard_type", "standard_relation", "standard_value", "standard_units",
    "pchembl_value", "data_validity_comment", "potential_duplicate", "action_type", "assay_description",
    "record_error",
]
_INT = {"activity_id", "target_tax_id", "confidence_score", "document_year"}
_FLOAT = {"standard_value", "pchembl_value"}
_BOOL = {"potential_duplicate"}
_REQUIRED = ["activity_id", "target_chembl_id", "canonical_smiles", "standard_type", "standard_relation",
             "standard_value", "standard_units", "pchembl_value"]


@dataclass(frozen=True)
class ActivityQuery:
    """What to pull for one target: its ChEMBL ID and the ``standard_type`` values wanted."""

    target_chembl_id: str
    activity_types: tuple[str, ...]


@dataclass(frozen=True)
class TargetInfo:
    """A target as the source describes it (``None`` fields when the source lacks them)."""

    chembl_id: str
    pref_name: str | None
    target_type: str | None
    organism: str | None
    tax_id: int | None
    accessions: tuple[str, ...] | None  # None: the source does not give accessions (a web export)

    def as_dict(self) -> dict:
        return {"chembl_id": self.chembl_id, "pref_name": self.pref_name, "target_type": self.target_type,
                "organism": self.organism, "tax_id": self.tax_id,
                "accessions": None if self.accessions is None else list(self.accessions)}


def check_target(info: TargetInfo | None, target: Target, source: str, *, tax_id: int = 9606,
                 target_type: str = "SINGLE PROTEIN") -> None:
    """Raise :class:`UsageError` unless the source's target is the panel's protein.

    The ID must exist, be a human (``tax_id``) single protein, and carry the panel's
    UniProt accession; ChEMBL IDs copied from the web are often wrong, and pref names
    change between releases, so the accession is what is compared.

    Examples
    --------
    >>> from screenkit.config import load_panel
    >>> oprk1 = load_panel().get("CHEMBL237")
    >>> info = TargetInfo("CHEMBL237", "Kappa opioid receptor", "SINGLE PROTEIN", "Homo sapiens", 9606, ("P41145",))
    >>> check_target(info, oprk1, "test")  # no error
    """
    cid, gene = target.chembl_id, target.gene
    fix = f"fix chembl_id/uniprot of {gene} in the panel or drop it from --targets"
    if info is None:
        raise UsageError(f"target {cid} ({gene}) does not exist in {source}; {fix}")
    if info.target_type != target_type:
        raise UsageError(f"target {cid} ({gene}) is a {info.target_type!r} in {source}, not a {target_type!r}; {fix}")
    if info.tax_id != tax_id:
        raise UsageError(f"target {cid} ({gene}) is from {info.organism!r} (tax_id {info.tax_id}) in {source}, "
                         f"not tax_id {tax_id}; {fix}")
    if target.uniprot is None:
        log.warning("target %s (%s) has no UniProt accession in the panel; identity not checked", cid, gene)
    elif info.accessions is None:
        log.warning("%s gives no UniProt accession for %s (%s); identity checked by ID, type and organism only",
                    source, cid, gene)
    elif target.uniprot not in info.accessions:
        raise UsageError(f"target {cid} ({gene}) has UniProt {', '.join(info.accessions) or 'none'} in {source}, "
                         f"but the panel says {target.uniprot}; {fix}")


def _to_int(value):
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(float(value)) if isinstance(value, (str, Decimal)) else int(value)


def _to_float(value) -> float | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _to_bool01(value):
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return int(value.strip().lower() in ("1", "true", "t", "yes"))
    return int(bool(value))


def _to_text(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = str(value)
    return value if value != "" else None


def _to_action_type(value):
    """The API nests the action type (``{"action_type": "AGONIST", "description": ...}``); SQL gives text."""
    if isinstance(value, dict):
        value = value.get("action_type")
    return _to_text(value)


def normalize_record(record) -> dict:
    """One raw record with exactly :data:`RAW_COLUMNS`, parsed into plain Python types.

    Accepts the web API's strings (``"1650.0"``), booleans and nested ``action_type``,
    SQLite numbers and PostgreSQL ``Decimal``; missing fields become ``None``. A field
    that cannot be parsed becomes ``None`` and is named in ``record_error``.

    Examples
    --------
    >>> r = normalize_record({"activity_id": "17", "standard_value": "1650.0", "potential_duplicate": False,
    ...                       "action_type": {"action_type": "AGONIST", "parent_type": "POSITIVE MODULATOR"}})
    >>> r["activity_id"], r["standard_value"], r["potential_duplicate"], r["pchembl_value"], r["action_type"]
    (17, 1650.0, 0, None, 'AGONIST')
    >>> normalize_record({"activity_id": "18", "standard_value": "n/a"})["record_error"]
    "standard_value 'n/a' is not a number"
    """
    if not isinstance(record, dict):
        out = dict.fromkeys(RAW_COLUMNS)
        out["record_error"] = f"record is a {type(record).__name__}, not an object: {str(record)[:80]!r}"
        return out
    out, errors = {}, []
    for column in RAW_COLUMNS:
        value = record.get(column)
        try:
            if column in _INT:
                out[column] = _to_int(value)
            elif column in _FLOAT:
                number = _to_float(value)
                out[column] = number
                if number is not None and not math.isfinite(number):
                    raise ValueError
            elif column in _BOOL:
                out[column] = _to_bool01(value)
            elif column == "action_type":
                out[column] = _to_action_type(value)
            else:
                out[column] = _to_text(value)
        except (TypeError, ValueError, ArithmeticError):
            out[column] = None
            kind = "an integer" if column in _INT else "a number" if column in _FLOAT else "readable"
            errors.append(f"{column} {str(value)[:80]!r} is not {kind}")
    if errors:
        out["record_error"] = "; ".join(filter(None, [out.get("record_error"), *errors]))
    return out


def raw_frame(records) -> pd.DataFrame:
    """Raw records as a table with :data:`RAW_COLUMNS`, sorted by ``activity_id``."""
    table = pd.DataFrame([normalize_record(r) for r in records], columns=RAW_COLUMNS)
    for column in _INT | _BOOL:
        table[column] = table[column].astype("Int64")
    for column in _FLOAT:
        table[column] = table[column].astype("float64")
    for column in set(RAW_COLUMNS) - _INT - _BOOL - _FLOAT:
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table.sort_values("activity_id", kind="stable").reset_index(drop=True)


def write_raw(table: pd.DataFrame, path: str | Path) -> None:
    """Write raw records as CSV (gzipped when the name ends in ``.gz``)."""
    table[RAW_COLUMNS].to_csv(path, index=False)


def read_raw(path: str | Path) -> pd.DataFrame:
    """Read a raw record table written by :func:`write_raw` (or made by hand with its columns),
    or a ChEMBL website export (``;``-separated, web column names; see :mod:`screenkit.chembl.export`).

    Raises
    ------
    InputFileError
        If the file is missing or lacks a required column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"raw record file {path} does not exist; write one with screenkit fetch")
    from .export import is_web_export, read_web_export

    if is_web_export(path):
        return read_web_export(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"raw record file {path} is not a CSV table: {exc}") from None
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputFileError(f"raw record file {path} lacks the column(s) {', '.join(missing)}; "
                             f"raw records have: {', '.join(RAW_COLUMNS)}")
    try:
        return raw_frame(table.to_dict("records"))
    except ValueError as exc:
        raise InputFileError(f"raw record file {path} has a bad value: {exc}") from None
