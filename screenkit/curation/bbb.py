"""Measured blood-brain-barrier labels (B3DB) curated into one row per compound.

B3DB (Meng et al. 2021, *Sci Data* 8:289; CC0) collects BBB+/BBB- labels for 7,807
compounds from 50 publications. Its PyPI wheel ``qc-B3DB`` ships the table as a TSV;
this module reads that file (without importing the package, which loads every B3DB
table at import), standardises each SMILES with :mod:`screenkit.chem.standardize` and merges
compounds that share a standardised InChIKey. Compounds whose records disagree on the
label are dropped; every dropped or merged record is logged with a reason.
"""

from __future__ import annotations

import csv
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from rdkit import Chem

from ..chem.standardize import ERROR, standardize_smiles
from ..errors import InputFileError

__all__ = ["B3DB_CLASSIFICATION", "BBBRecord", "Exclusion", "b3db_path", "read_b3db", "curate_b3db"]

B3DB_CLASSIFICATION = "B3DB_classification.tsv"


@dataclass(frozen=True)
class BBBRecord:
    """One curated compound: standardised SMILES, InChIKey, label (1 = BBB+) and provenance."""

    smiles: str
    inchikey: str
    label: int
    logbb: float
    group: str
    names: str
    source_rows: str  # B3DB "NO." values merged into this record, ';'-joined


@dataclass(frozen=True)
class Exclusion:
    """A B3DB row that is not a training compound of its own, and why."""

    row: str
    name: str
    smiles: str
    action: str  # "dropped" or "merged"
    reason: str


def b3db_path(name: str = B3DB_CLASSIFICATION) -> Path:
    """Path of a table inside the installed ``qc-B3DB`` wheel (``pip install qc-B3DB``)."""
    spec = importlib.util.find_spec("B3DB")
    if spec is None or not spec.submodule_search_locations:
        raise InputFileError("B3DB is not installed; run `pip install qc-B3DB` (CC0 data, Meng et al. 2021)")
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise InputFileError(f"{path} is missing from the installed qc-B3DB wheel; reinstall it")
    return path


def read_b3db(path: str | Path | None = None) -> list[dict]:
    """The rows of a B3DB classification TSV as dicts (columns as in the file)."""
    path = Path(path) if path is not None else b3db_path()
    with open(path, newline="", encoding="utf-8-sig") as handle:  # the external table starts with a BOM
        rows = list(csv.DictReader(handle, delimiter="\t"))
    missing = {"NO.", "SMILES", "BBB+/BBB-"} - set(rows[0] if rows else {})
    if missing:
        raise InputFileError(f"{path} lacks the column(s) {', '.join(sorted(missing))}; is it a B3DB classification table?")
    return rows


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def curate_b3db(rows: list[dict]) -> tuple[list[BBBRecord], list[Exclusion]]:
    """Standardise, key by InChIKey, merge agreeing duplicates and drop conflicting ones.

    Every input row ends up either in exactly one record (``source_rows``) or in the
    exclusion log as ``dropped``; rows merged into a record are logged as ``merged``.

    Examples
    --------
    >>> rows = [{"NO.": "1", "compound_name": "a", "SMILES": "CCN", "BBB+/BBB-": "BBB+"},
    ...         {"NO.": "2", "compound_name": "a HCl", "SMILES": "CCN.Cl", "BBB+/BBB-": "BBB+"},
    ...         {"NO.": "3", "compound_name": "b", "SMILES": "CCO", "BBB+/BBB-": "BBB+"},
    ...         {"NO.": "4", "compound_name": "b'", "SMILES": "OCC", "BBB+/BBB-": "BBB-"}]
    >>> kept, log = curate_b3db(rows)
    >>> [(r.smiles, r.source_rows) for r in kept], [(e.row, e.action) for e in log]
    ([('CCN', '1;2')], [('2', 'merged'), ('3', 'dropped'), ('4', 'dropped')])
    """
    groups: dict[str, list[tuple[dict, str, int]]] = {}
    exclusions: list[Exclusion] = []
    for row in rows:
        number, name, smiles = row.get("NO.", ""), row.get("compound_name", "") or "", row.get("SMILES", "") or ""
        label_text = (row.get("BBB+/BBB-") or "").strip()
        if label_text not in ("BBB+", "BBB-"):
            exclusions.append(Exclusion(number, name, smiles, "dropped", f"label {label_text!r} is not BBB+ or BBB-"))
            continue
        result = standardize_smiles(smiles)
        if result.status == ERROR:
            exclusions.append(Exclusion(number, name, smiles, "dropped", f"standardisation: {result.reason}"))
            continue
        key = Chem.MolToInchiKey(result.mol)
        if not key:
            exclusions.append(Exclusion(number, name, smiles, "dropped", "no InChIKey for the standardised parent"))
            continue
        groups.setdefault(key, []).append((row, result.smiles, int(label_text == "BBB+")))
    records = []
    for key, members in groups.items():
        labels = {label for _, _, label in members}
        numbers = [m[0].get("NO.", "") for m in members]
        if len(labels) > 1:
            for row, _, _label in members:
                exclusions.append(Exclusion(row.get("NO.", ""), row.get("compound_name", "") or "", row["SMILES"],
                                            "dropped", f"InChIKey {key} has conflicting labels in rows "
                                            f"{', '.join(numbers)}"))
            continue
        first_row, smiles, label = members[0]
        for row, _, _ in members[1:]:
            exclusions.append(Exclusion(row.get("NO.", ""), row.get("compound_name", "") or "", row["SMILES"],
                                        "merged", f"same standardised parent (InChIKey {key}) and label as row "
                                        f"{first_row.get('NO.', '')}"))
        logbb = [_float(m[0].get("logBB", "")) for m in members]
        logbb = [v for v in logbb if v == v]
        records.append(BBBRecord(
            smiles=smiles, inchikey=key, label=label,
            logbb=sum(logbb) / len(logbb) if logbb else float("nan"),
            group=first_row.get("group", "") or "",
            names=";".join(sorted({m[0].get("compound_name", "") or "" for m in members} - {""})),
            source_rows=";".join(numbers)))
    exclusions.sort(key=lambda e: (int(e.row) if e.row.isdigit() else 10 ** 9, e.row))
    return records, exclusions
