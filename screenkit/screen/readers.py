"""Stream compound libraries in (SDF, SMILES, CSV; gzipped too; Parquet), one raw record at a time.

Reading only splits a file into raw text records: parsing the chemistry happens in
the scoring workers, so no RDKit object crosses a process boundary and the main
process stays light. Nothing here holds a whole library in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputFileError
from .records import SMILES_COLUMNS, RawRecord, detect_format
from .sdf import sdf_records
from .tables import parquet_file, parquet_records, table_records
from .textfile import open_text

__all__ = ["count_records", "iter_records"]


def iter_records(path: str | Path, fmt: str | None = None, *, smiles_col: str | None = None,
                 id_col: str | None = None, opened=None) -> Iterator[RawRecord]:
    """Yield the records of a library file one at a time.

    Parameters
    ----------
    path : str or Path
        SDF, SMILES or CSV/TSV file, optionally gzipped.
    fmt : str, optional
        Force a format instead of guessing from the file name.
    smiles_col, id_col : str, optional
        CSV/TSV/Parquet columns with the SMILES and the compound ID (guessed when omitted).
    opened : callable, optional
        Called with the binary file on disk once it is open (its ``tell()`` measures progress).

    Raises
    ------
    InputFileError
        Missing, binary or empty file.
    UsageError
        Unknown format or column.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "two.smi")
    >>> _ = open(p, "w").write("CCO ethanol\\nc1ccccc1 benzene\\n")
    >>> [(r.position, r.name) for r in iter_records(p)]
    [(1, 'ethanol'), (2, 'benzene')]
    """
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt == "parquet":
        yield from parquet_records(path, smiles_col, id_col)
        return
    handle, stream = open_text(path, opened)
    with handle:
        if fmt == "sdf":
            records = sdf_records(handle, path)
        elif fmt == "smiles":
            records = _smiles_records(handle)
        else:
            records = table_records(handle, path, "\t" if fmt == "tsv" else ",", smiles_col, id_col)
        # One record of look-ahead: when the file turns out damaged, the record that ran
        # into the damage may be cut short, so it is reported instead of scored.
        last = None
        for record in records:
            if last is not None:
                yield last
            last = record
        if stream.damage:
            position = last.position if last is not None else 1
            cut = f"; record {position} ran into it and was not read" if last is not None else ""
            yield RawRecord(position, "damaged", f"{stream.damage}{cut}; nothing after it can be read",
                            last.name if last is not None else "")
        elif last is not None:
            yield last
        else:
            raise InputFileError(f"{path} contains no records; is it the right file?")



def _smiles_records(handle: IO[str]) -> Iterator[RawRecord]:
    position = 0
    for number, line in enumerate(handle, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if number == 1 and parts[0].lower() in SMILES_COLUMNS:
            continue  # a header line
        smiles, name = parts[0], parts[1].strip() if len(parts) > 1 else ""
        if name.startswith("|"):  # a CXSMILES extension (|$...$|, |r|, coordinates) belongs to the SMILES
            close = name.find("|", 1)
            if close > 0:
                smiles, name = f"{smiles} {name[:close + 1]}", name[close + 1:].strip()
        position += 1
        yield RawRecord(position, "smiles", smiles, name)



def count_records(path: str | Path, fmt: str) -> int | None:
    """A quick record count for a progress bar: ``$$$$`` lines of an SDF, lines of a SMILES/CSV file,
    rows of a Parquet file; ``None`` for a gzipped file (progress then follows the compressed bytes).

    Approximate for text tables (quoted line breaks, comments and blank lines count); reads the
    file at disk speed with ``bytes.count``, never parsing a record.
    """
    path = Path(path)
    if fmt == "parquet":
        return parquet_file(path).metadata.num_rows
    with open(path, "rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            return None
        fh.seek(0)
        lines = ends = 0
        tail = b"\n"  # the last bytes read: a "\n$$$$" may straddle two blocks
        while block := fh.read(1 << 22):
            if fmt == "sdf":
                # matches inside the block, plus one that starts in the tail (8 bytes: no copy of the block)
                ends += block.count(b"\n$$$$") + (tail[-4:] + block[:4]).count(b"\n$$$$")
            else:
                lines += block.count(b"\n")
            tail = block[-4:] if len(block) >= 4 else (tail + block)[-4:]
        if not tail.endswith(b"\n"):
            lines += 1
    if fmt == "sdf":
        return ends + int(path.stat().st_size > 0 and not _ends_with_terminator(path))
    return max(lines - (fmt in ("csv", "tsv")), 0)


def _ends_with_terminator(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(max(path.stat().st_size - 64, 0))
        return b"$$$$" in fh.read().rstrip()[-6:]
