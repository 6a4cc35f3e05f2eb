"""Where a library's compound IDs come from: a named or guessed column or SD data item, or the title line."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ..errors import InputFileError, UsageError
from .readers import iter_records
from .records import ID_NAMES, SMILES_COLUMNS, RawRecord
from .sdf import sd_properties
from .tables import pick_column, table_columns

__all__ = ["IdChoice", "choose_ids"]


class IdChoice(NamedTuple):
    """Where compound IDs come from, after guessing: the options to read with, and a sentence."""

    id_col: str | None
    id_field: str | None
    source: str  # e.g. "IDs from column 'catalog_id' (guessed)"
    input_columns: tuple[str, ...]  # input columns known before reading (table header), minus SMILES and ID


def choose_ids(path: str | Path, fmt: str, *, smiles_col: str | None = None, id_col: str | None = None,
               id_field: str | None = None, peek: int = 200) -> IdChoice:
    """Decide the ID column (CSV/TSV/Parquet) or SD data item, checking named ones exist.

    A table's ID column is ``id_col`` (or ``id_field``), else the first of :data:`ID_NAMES`
    present. An SDF's ID is the title line, or ``id_field``; when the title lines of the first
    ``peek`` records are all blank, the first data item named like :data:`ID_NAMES`.

    Raises
    ------
    UsageError
        A named column or data item the file does not have (the message lists those it has).
    """
    path = Path(path)
    if fmt in ("csv", "tsv", "parquet"):
        header = table_columns(path, fmt)
        wanted = id_col or id_field
        option = "--id-col" if id_col else "--id-field"
        if wanted is not None and wanted not in header:
            raise UsageError(f"{path} has no column {wanted!r} for {option}; its columns are: {', '.join(header)}")
        chosen = wanted or pick_column(header, None, ID_NAMES, path, "--id-col")
        smiles = pick_column(header, smiles_col, SMILES_COLUMNS, path, "--smiles-col")
        others = tuple(c for c in header if c not in (smiles, chosen))
        if chosen is None:
            return IdChoice(None, None, f"no ID column (looked for {', '.join(ID_NAMES[:6])}, ...; "
                            "pass --id-col): IDs are blank", others)
        how = "" if wanted else " (guessed; pass --id-col to choose another)"
        return IdChoice(chosen, None, f"IDs from column {chosen!r}{how}", others)
    if fmt == "smiles":
        if id_field:
            raise UsageError("--id-field names an SD data item or a table column; a SMILES file has only "
                             "the name after each SMILES")
        return IdChoice(None, None, "IDs from the name after each SMILES", ())
    head = list(itertools.islice(_quiet_records(path, fmt), peek))
    items: list[str] = []
    for record in head:
        if record.kind == "molblock":
            items += [name for name, _ in sd_properties(record.text) if name not in items]
    if id_field:
        if head and id_field not in items:
            listed = ", ".join(items) if items else "none"
            raise UsageError(f"--id-field {id_field!r}: no record among the first {len(head)} of {path} has that "
                             f"SD data item; its data items are: {listed}")
        return IdChoice(None, id_field, f"IDs from SD data item {id_field!r}", ())
    if any(record.name for record in head if record.kind == "molblock") or not head:
        return IdChoice(None, None, "IDs from the SDF title line", ())
    guessed = pick_column(items, None, ID_NAMES, path, "--id-field")
    if guessed is None:
        return IdChoice(None, None, "IDs from the SDF title line (blank in the first records; no data item "
                        f"named like an ID: pass --id-field NAME from {', '.join(items) or 'none'})", ())
    return IdChoice(None, guessed, f"IDs from SD data item {guessed!r} (the title lines are blank; guessed)", ())


def _quiet_records(path: Path, fmt: str) -> Iterator[RawRecord]:
    """Records for a look at the file's start; reading errors are the real reader's to report."""
    try:
        yield from iter_records(path, fmt)
    except (InputFileError, UsageError, OSError):
        return
