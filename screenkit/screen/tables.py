"""CSV, TSV and Parquet libraries in: the SMILES and ID columns, guessed or named, and the rows."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputFileError, UsageError
from .records import ID_NAMES, MAX_RECORD_CHARS, SMILES_COLUMNS, RawRecord, detect_format
from .textfile import open_text

__all__ = ["PARQUET_HINT", "parquet_file", "parquet_records", "pick_column", "pyarrow_module", "table_columns", "table_records"]

PARQUET_HINT = "pip install 'screenkit[parquet]'"


def pick_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...],
                 path: Path, option: str) -> str | None:
    if wanted is not None:
        if wanted not in columns:
            raise UsageError(f"{path} has no column {wanted!r}; its columns are: "
                             f"{', '.join(columns)}; pass the right one with {option}")
        return wanted
    lowered = {c.lower().strip(): c for c in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def table_records(handle: IO[str], path: Path, delimiter: str, smiles_col: str | None,
                   id_col: str | None) -> Iterator[RawRecord]:
    # csv refuses fields over 131,072 characters (a long peptide, a polymer); allow what an
    # SD record may hold, and put the process-wide limit back when the file is done.
    limit = csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
    try:
        yield from _table_rows(csv.reader(handle, delimiter=delimiter), path, smiles_col, id_col)
    finally:
        csv.field_size_limit(limit)


def _table_rows(reader, path: Path, smiles_col: str | None, id_col: str | None) -> Iterator[RawRecord]:
    header = next(reader, None)
    if header is None:
        return
    smiles_col = pick_column(header, smiles_col, SMILES_COLUMNS, path, "--smiles-col")
    if smiles_col is None:
        raise UsageError(f"{path} has no SMILES column (looked for {', '.join(SMILES_COLUMNS)}); "
                         f"its columns are: {', '.join(header)}; pass --smiles-col NAME")
    id_col = pick_column(header, id_col, ID_NAMES, path, "--id-col")
    smiles_at = header.index(smiles_col)
    id_at = header.index(id_col) if id_col is not None else None
    others = [i for i in range(len(header)) if i not in (smiles_at, id_at)]
    position = 0
    while True:
        try:
            row = next(reader, None)
        except csv.Error as exc:  # e.g. a NUL byte deep in the file: report it, keep what came before
            yield RawRecord(position + 1, "damaged", f"the table cannot be read past line {reader.line_num} "
                            f"({exc}); nothing after it can be read", "")
            return
        if row is None:
            return
        if not row or not any(cell.strip() for cell in row):
            continue
        position += 1
        row = row + [""] * (len(header) - len(row))
        yield RawRecord(
            position, "smiles", row[smiles_at].strip(),
            row[id_at].strip() if id_at is not None else "",
            tuple((header[i], row[i]) for i in others),
        )


def pyarrow_module():
    """``pyarrow`` and ``pyarrow.parquet``, or a one-line :class:`UsageError` naming the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise UsageError(f"Parquet needs the pyarrow package, which is not installed: {PARQUET_HINT}") from None
    return pyarrow, pyarrow.parquet


def parquet_file(path: Path):
    _, pq = pyarrow_module()
    if not path.exists():
        raise InputFileError(f"library file {path} does not exist; check the path")
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for a file that is not Parquet
        raise InputFileError(f"{path} is not a readable Parquet file ({one_line(exc)})") from None


def table_columns(path: str | Path, fmt: str | None = None) -> list[str]:
    """The column names of a CSV/TSV/Parquet library (its header), without reading the rows."""
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt == "parquet":
        return list(parquet_file(path).schema_arrow.names)
    handle, _ = open_text(path)
    with handle:
        limit = csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_CHARS))
        try:
            return next(csv.reader(handle, delimiter="\t" if fmt == "tsv" else ","), [])
        finally:
            csv.field_size_limit(limit)


def parquet_records(path: Path, smiles_col: str | None, id_col: str | None,
                     batch_rows: int = 8192) -> Iterator[RawRecord]:
    # The same column rules as CSV; batches keep memory flat on a large file. Cell values
    # other than the SMILES and ID keep their Python type (numbers stay numbers).
    source = parquet_file(path)
    header = list(source.schema_arrow.names)
    smiles_col = pick_column(header, smiles_col, SMILES_COLUMNS, path, "--smiles-col")
    if smiles_col is None:
        raise UsageError(f"{path} has no SMILES column (looked for {', '.join(SMILES_COLUMNS)}); "
                         f"its columns are: {', '.join(header)}; pass --smiles-col NAME")
    id_col = pick_column(header, id_col, ID_NAMES, path, "--id-col")
    others = [name for name in header if name not in (smiles_col, id_col)]
    position = 0
    for batch in source.iter_batches(batch_size=batch_rows):
        data = batch.to_pydict()
        smiles, ids = data[smiles_col], data[id_col] if id_col is not None else None
        for i, value in enumerate(smiles):
            position += 1
            name = "" if ids is None or ids[i] is None else str(ids[i]).strip()
            yield RawRecord(position, "smiles", "" if value is None else str(value).strip(), name,
                            tuple((column, data[column][i]) for column in others))
    if position == 0:
        raise InputFileError(f"{path} contains no records; is it the right file?")


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__
