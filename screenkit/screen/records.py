"""What a compound library is read as: its format, the column names looked for, and ``RawRecord``,
the text of one record (the workers parse it, so no RDKit object crosses a process boundary)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ..errors import UsageError

__all__ = ["FORMATS", "ID_NAMES", "MAX_RECORD_CHARS", "SMILES_COLUMNS", "RawRecord", "detect_format"]

FORMATS = ("sdf", "smiles", "csv", "tsv", "parquet")
_SUFFIXES = {".sdf": "sdf", ".sd": "sdf", ".mol": "sdf", ".smi": "smiles", ".smiles": "smiles",
             ".ism": "smiles", ".can": "smiles", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet",
             ".pq": "parquet"}
SMILES_COLUMNS = ("smiles", "canonical_smiles", "smi", "structure")
# Compound ID columns (CSV/Parquet) and SD data items (when SDF title lines are blank), tried
# in this order, case-insensitively; the first one present is used. Stated in the README.
ID_NAMES = ("id", "name", "title", "compound_id", "catalog_id", "mol_id", "molecule_id", "zinc_id", "chembl_id",
            "molecule_chembl_id", "idnumber", "catalog_number", "vendor_id", "supplier_id", "cas")
MAX_RECORD_CHARS = 10_000_000  # an SDF record this long has no $$$$: not an SDF


class RawRecord(NamedTuple):
    """One input record as text, numbered from 1 in input order."""

    position: int
    kind: str  # "molblock", "smiles", or "damaged" (unreadable input; ``text`` says why)
    text: str  # the SDF record (molblock + data items) or the SMILES string
    name: str  # SDF title, SMILES-file name, or ID column ("" when absent)
    props: tuple[tuple[str, str], ...] = ()  # extra CSV columns, in file order


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """Library format from ``fmt`` or the file name (``.sdf``, ``.smi``, ``.csv``, ``.tsv``, ``+.gz``).

    Examples
    --------
    >>> detect_format("library.sdf.gz")
    'sdf'
    """
    if fmt is not None:
        fmt = {"smi": "smiles", "sd": "sdf"}.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise UsageError(f"unknown library format {fmt!r}; use one of: sdf, smiles, csv, tsv, parquet")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise UsageError(
        f"cannot tell the format of {path} from its name; use .sdf, .smi, .csv or .tsv "
        "(optionally .gz) or .parquet, or pass --format sdf|smiles|csv|tsv|parquet"
    )
