"""Activity records from a ChEMBL website export (the "Download CSV" of a target's bioactivities).

The export is ``;``-separated (the TSV download is read too), with the web interface's column
names (``Molecule ChEMBL ID``, ``Smiles``, ``Standard Type``, ``Standard Relation``, ``pChEMBL
Value``, ``Action Type``, ``Assay Description``, ...) and relations quoted as ``'='``. :func:`read_web_export` maps it
onto the raw records of :data:`~screenkit.chembl.records.RAW_COLUMNS`, so it is curated by
exactly the rules of an API or database pull. What the export lacks, and what is done:

* **No activity ID** (unless an ``Activity ID`` column is present): ``activity_id`` is the
  record's 1-based position in the file, so the curation log and the dataset's
  ``activity_ids`` point at export records, not at ChEMBL activities. Provenance says so.
* **No assay confidence score.** Each record is mapped to the export's target; when that
  target is a ``SINGLE PROTEIN``, ChEMBL's confidence definitions leave only 9 (direct) or
  8 (homologous single protein), and the export does not say which. The record gets 8, the
  lower bound: the default ``--min-confidence 8`` keeps it, the strict ``9`` excludes every
  export record (curate an API or SQL pull of the same target to apply the strict rule).
  Records of other target types get none and are excluded by ``confidence_score``.
* **No tax ID**: ``Target Organism`` "Homo sapiens" becomes 9606; other organisms stay
  empty and are excluded by ``target_organism`` with the organism named.
* **No parent molecule ID**: ``molecule_chembl_ids`` lists the tested form's ID; the
  parent structure still comes from screenkit's own standardisation.
* **Every activity type**: the export is not restricted to the panel's types, so curation
  logs the others (``Inhibition``, ``% Control``, ``Tm`` ...) under ``activity_type`` or,
  for a target not in the panel, under ``units``.

A record whose numbers cannot be read keeps its row with ``record_error`` set (curation
rule ``record``); a file that is not an export at all is an :class:`InputFileError`.
"""

from __future__ import annotations

import gzip
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputFileError
from .records import ActivityQuery, TargetInfo, raw_frame

__all__ = ["WEB_EXPORT_COLUMNS", "is_web_export", "read_web_export", "ExportSource"]

log = logging.getLogger(__name__)

#: Web export column -> raw record field.
WEB_EXPORT_COLUMNS = {
    "Activity ID": "activity_id", "Molecule ChEMBL ID": "molecule_chembl_id", "Smiles": "canonical_smiles",
    "Standard Type": "standard_type", "Standard Relation": "standard_relation", "Standard Value": "standard_value",
    "Standard Units": "standard_units", "pChEMBL Value": "pchembl_value",
    "Data Validity Comment": "data_validity_comment", "Potential Duplicate": "potential_duplicate",
    "Assay ChEMBL ID": "assay_chembl_id", "Assay Description": "assay_description", "Assay Type": "assay_type",
    "Assay Variant Mutation": "assay_variant_mutation", "Target ChEMBL ID": "target_chembl_id",
    "Target Organism": "target_organism", "Target Type": "target_type", "Document ChEMBL ID": "document_chembl_id",
    "Document Year": "document_year", "Action Type": "action_type",
}
_REQUIRED = ("Molecule ChEMBL ID", "Smiles", "Standard Type", "Standard Relation", "Standard Value",
             "Standard Units", "pChEMBL Value", "Target ChEMBL ID")
_TAX_IDS = {"homo sapiens": 9606}
_EMPTY = {"", "None", "none", "NULL", "null", "nan"}
IMPLIED_CONFIDENCE = 8  # lower bound of a SINGLE PROTEIN assignment (8 homologous, 9 direct)


def _open_text(path: Path):
    return gzip.open(path, "rt", encoding="utf-8-sig", newline="") if path.name.endswith(".gz") \
        else open(path, encoding="utf-8-sig", newline="")


def _separator(header: str) -> str:
    """``;`` for the website's CSV download, a tab for its TSV download."""
    return "\t" if header.count("\t") > header.count(";") else ";"


def is_web_export(path: str | Path) -> bool:
    """True if the file's header is a ChEMBL web export header (``;``- or tab-separated)."""
    try:
        with _open_text(Path(path)) as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError, EOFError):
        return False
    names = [n.strip().strip('"') for n in header.rstrip("\r\n").split(_separator(header))]
    return "Molecule ChEMBL ID" in names and "Standard Type" in names


def _clean(value) -> str | None:
    value = "" if value is None else str(value).strip()
    return None if value in _EMPTY else value


def read_web_export(path: str | Path) -> pd.DataFrame:
    """Read a ChEMBL web export as raw records (:data:`~screenkit.chembl.records.RAW_COLUMNS`).

    Raises
    ------
    InputFileError
        If the file is missing, unreadable, or lacks a column curation needs.

    Examples
    --------
    >>> import tempfile, os
    >>> text = ('"Molecule ChEMBL ID";"Smiles";"Standard Type";"Standard Relation";"Standard Value";'
    ...         '"Standard Units";"pChEMBL Value";"Target ChEMBL ID";"Target Type";"Target Organism"\\n'
    ...         '"CHEMBL1";"CCO";"IC50";"\\'=\\'";"100.0";"nM";"7.00";"CHEMBL3553";"SINGLE PROTEIN";"Homo sapiens"\\n')
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write(text)
    >>> raw = read_web_export(f.name); os.unlink(f.name)
    >>> [str(raw.loc[0, c]) for c in ("activity_id", "standard_relation", "confidence_score", "target_tax_id")]
    ['1', '=', '8', '9606']
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"ChEMBL export {path} does not exist")
    try:
        with _open_text(path) as handle:
            separator = _separator(handle.readline())
            handle.seek(0)
            table = pd.read_csv(handle, sep=separator, dtype=str, keep_default_na=False, quotechar='"')
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(f"ChEMBL export {path} cannot be read as a ';'-separated table: {exc}") from None
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputFileError(f"ChEMBL export {path} lacks the column(s) {', '.join(missing)}; download the "
                             "bioactivities of a target from the ChEMBL website as CSV")
    records = []
    for number, row in enumerate(table.to_dict("records"), start=1):
        record: dict[str, Any] = {field: _clean(row.get(column)) for column, field in WEB_EXPORT_COLUMNS.items()}
        if record["activity_id"] is None:
            record["activity_id"] = number
        if record["standard_relation"]:
            record["standard_relation"] = record["standard_relation"].strip("'\"")
        organism = (record["target_organism"] or "").lower()
        record["target_tax_id"] = _TAX_IDS.get(organism)
        if record["target_type"] == "SINGLE PROTEIN":
            record["confidence_score"] = IMPLIED_CONFIDENCE
        records.append(record)
    return raw_frame(records)


class ExportSource:
    """A ChEMBL web export as a ``fetch`` source (``--source export.csv``).

    Targets are checked against the export's own target columns (ID, type, organism; the
    export has no UniProt accession, so the accession is not checked). A target's records
    are all its records in the file, of every activity type: curation logs the types the
    panel does not ask for.
    """

    kind = "web-export"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.location = str(self.path)
        self.records = read_web_export(self.path)

    def __repr__(self):
        return f"ChEMBL web export {self.location}"

    def release(self) -> str:
        return "unknown"  # the export does not state its release

    def target_info(self, chembl_id: str) -> TargetInfo | None:
        rows = self.records[self.records["target_chembl_id"] == chembl_id]
        if rows.empty:
            return None
        first = rows.iloc[0]
        tax = first["target_tax_id"]
        return TargetInfo(chembl_id=chembl_id, pref_name=None, target_type=first["target_type"],
                          organism=first["target_organism"], tax_id=None if pd.isna(tax) else int(tax),
                          accessions=None)

    def query_description(self, query: ActivityQuery) -> dict:
        return {"export": self.location, "target_chembl_id": query.target_chembl_id,
                "note": "every record of the target in the export; types outside the panel's are logged by curation"}

    def activities(self, query: ActivityQuery, target: TargetInfo) -> list[dict]:
        rows = self.records[self.records["target_chembl_id"] == query.target_chembl_id]
        return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows.to_dict("records")]

    def close(self) -> None:
        pass
