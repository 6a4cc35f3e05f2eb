"""Stream compound libraries in (SDF, SMILES, CSV; gzipped too; Parquet) and results out.

Reading only splits a file into raw text records: parsing the chemistry happens in
the scoring workers, so no RDKit object crosses a process boundary and the main
process stays light. Nothing here holds a whole library in memory.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import operator
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

from ..errors import InputFileError, UsageError

__all__ = [
    "ID_NAMES",
    "RawRecord",
    "count_records",
    "detect_format",
    "iter_records",
    "pyarrow_module",
    "sd_properties",
    "RankedRowFormat",
    "sd_title",
    "table_columns",
    "write_ranked",
    "write_ranked_parquet",
]

FORMATS = ("sdf", "smiles", "csv", "tsv", "parquet")
_SUFFIXES = {".sdf": "sdf", ".sd": "sdf", ".mol": "sdf", ".smi": "smiles", ".smiles": "smiles",
             ".ism": "smiles", ".can": "smiles", ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet",
             ".pq": "parquet"}
_SMILES_COLUMNS = ("smiles", "canonical_smiles", "smi", "structure")
# Compound ID columns (CSV/Parquet) and SD data items (when SDF title lines are blank), tried
# in this order, case-insensitively; the first one present is used. Stated in the README.
ID_NAMES = ("id", "name", "title", "compound_id", "catalog_id", "mol_id", "molecule_id", "zinc_id", "chembl_id",
            "molecule_chembl_id", "idnumber", "catalog_number", "vendor_id", "supplier_id", "cas")
PARQUET_HINT = "pip install 'screenkit[parquet]'"
_MAX_RECORD_CHARS = 10_000_000  # an SDF record this long has no $$$$: not an SDF


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


class _DamageStop(io.RawIOBase):
    """A binary stream that ends, instead of raising, where a gzip file is damaged.

    ``damage`` then holds the one-line reason; the reader turns it into an ``error``
    row, so the records before the damage are scored and a resumed run reads the
    same records again.
    """

    def __init__(self, stream, owns: bool = True):
        self._stream, self.damage, self._owns = stream, "", owns

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.damage:
            return 0
        try:
            data = self._stream.read1(len(buffer))  # read1: nothing decoded before the damage is lost
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            self.damage = f"the file is damaged here ({type(exc).__name__}: {exc or 'truncated'})"
            return 0
        buffer[:len(data)] = data
        return len(data)

    def close(self):
        if self._owns:
            self._stream.close()
        super().close()


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 are read as Latin-1 (vendor files from Windows tools), wherever they are."""
    assert isinstance(error, UnicodeDecodeError)  # registered for decoding only
    return error.object[error.start:error.end].decode("latin-1"), error.end


def _open_text(path: Path, opened=None) -> tuple[IO[str], _DamageStop]:
    """Open a text file, gunzipping by content, after checking it is text at all.

    UTF-8 with or without a byte-order mark; bytes that are not UTF-8 are read as Latin-1
    the same way at any place in the file.
    """
    if not path.exists():
        raise InputFileError(f"library file {path} does not exist; check the path")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; give a library file (SDF, SMILES or CSV)")
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    binary = gzip.open(path, "rb") if gzipped else open(path, "rb")
    probe = io.BufferedReader(_DamageStop(binary, owns=False), 8192)
    head = probe.read(8192)  # a file damaged within its first 8 KB still gives what comes before
    if not head and probe.raw.damage:
        binary.close()
        raise InputFileError(f"{path} is not a readable gzip file: {probe.raw.damage}")
    probe.close()
    if b"\x00" in head:
        binary.close()
        raise InputFileError(f"{path} is binary, not a chemistry text file; expected SDF, SMILES or CSV")
    binary.seek(0)
    if opened is not None:
        opened(getattr(binary, "fileobj", binary))  # the file on disk: its position is the compressed bytes read
    codecs.register_error("screenkit-latin1", _latin1_fallback)
    stream = _DamageStop(binary)
    return io.TextIOWrapper(io.BufferedReader(stream, 1 << 16), encoding="utf-8-sig", errors="screenkit-latin1",
                            newline=""), stream


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
        yield from _parquet_records(path, smiles_col, id_col)
        return
    handle, stream = _open_text(path, opened)
    with handle:
        if fmt == "sdf":
            records = _sdf_records(handle, path)
        elif fmt == "smiles":
            records = _smiles_records(handle)
        else:
            records = _table_records(handle, path, "\t" if fmt == "tsv" else ",", smiles_col, id_col)
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


def _sdf_records(handle: IO[str], path: Path, block_chars: int = 1 << 20) -> Iterator[RawRecord]:
    # Reads big blocks and cuts them at lines starting with "$$$$": twice as fast as a
    # Python loop over every line, and the main process has little CPU to spare.
    position, buffer, reading, skipping = 0, "", True, False
    while reading:
        block = handle.read(block_chars)
        reading = bool(block)
        if position == 0 and len(block) >= 200 and "\r" in block and "\n" not in block:
            raise InputFileError(f"{path} has old Mac line endings (CR only), which RDKit cannot read; "
                                 "convert it first, e.g. with mac2unix")
        buffer += block
        start = 0  # always the beginning of a line: the start of the next record
        while True:
            if buffer.startswith("$$$$", start):
                end = start  # an empty record
            else:
                end = buffer.find("\n$$$$", start) + 1
                if end == 0:
                    break  # no record ends in this buffer yet
            line_end = buffer.find("\n", end)
            if line_end < 0 and reading:
                break  # the $$$$ line goes on in the next block
            if skipping:  # the end of a record too large to keep
                skipping = False
                position += 1
                yield RawRecord(position, "damaged", f"SD record over {_MAX_RECORD_CHARS // 1_000_000} MB; not read",
                                "")
            else:
                for text in _split_molblocks(buffer[start:end]):
                    position += 1
                    yield RawRecord(position, "molblock", text, _first_line(text))
            start = len(buffer) if line_end < 0 else line_end + 1
        buffer = buffer[start:]
        if len(buffer) > _MAX_RECORD_CHARS:
            skipping = True
            buffer = buffer[-8:]  # enough to find a "\n$$$$" that straddles two blocks
    if skipping:
        if position == 0:
            raise InputFileError(f"{path}: record 1 runs past 10 MB without a '$$$$' line; "
                                 "is this really an SDF file?")
        yield RawRecord(position + 1, "damaged", f"the last SD record runs past {_MAX_RECORD_CHARS // 1_000_000} MB "
                        "to the end of the file without a $$$$ line; not read", "")
    elif buffer.strip():  # a last record without its $$$$ terminator
        for text in _split_molblocks(buffer):
            position += 1
            yield RawRecord(position, "molblock", text, _first_line(text))


_COUNTS_LINE = re.compile(r"^.*V[23]000[ \t]*\r?$", re.M)


def _split_molblocks(text: str) -> list[str]:
    """Molblocks concatenated without ``$$$$`` between them (``cat *.mol``), one per record.

    Each molblock starts three lines (title, program, comment) before its counts line.
    """
    if text.count("M  END") < 2:
        return [text]
    starts = []
    for match in _COUNTS_LINE.finditer(text):
        line_start = match.start()
        for _ in range(3):
            line_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start > 0 else 0
        starts.append(line_start)
    if len(starts) < 2 or starts[0] != 0:
        return [text]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).strip()


def _smiles_records(handle: IO[str]) -> Iterator[RawRecord]:
    position = 0
    for number, line in enumerate(handle, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if number == 1 and parts[0].lower() in _SMILES_COLUMNS:
            continue  # a header line
        smiles, name = parts[0], parts[1].strip() if len(parts) > 1 else ""
        if name.startswith("|"):  # a CXSMILES extension (|$...$|, |r|, coordinates) belongs to the SMILES
            close = name.find("|", 1)
            if close > 0:
                smiles, name = f"{smiles} {name[:close + 1]}", name[close + 1:].strip()
        position += 1
        yield RawRecord(position, "smiles", smiles, name)


def _pick_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...],
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


def _table_records(handle: IO[str], path: Path, delimiter: str, smiles_col: str | None,
                   id_col: str | None) -> Iterator[RawRecord]:
    # csv refuses fields over 131,072 characters (a long peptide, a polymer); allow what an
    # SD record may hold, and put the process-wide limit back when the file is done.
    limit = csv.field_size_limit(max(csv.field_size_limit(), _MAX_RECORD_CHARS))
    try:
        yield from _table_rows(csv.reader(handle, delimiter=delimiter), path, smiles_col, id_col)
    finally:
        csv.field_size_limit(limit)


def _table_rows(reader, path: Path, smiles_col: str | None, id_col: str | None) -> Iterator[RawRecord]:
    header = next(reader, None)
    if header is None:
        return
    smiles_col = _pick_column(header, smiles_col, _SMILES_COLUMNS, path, "--smiles-col")
    if smiles_col is None:
        raise UsageError(f"{path} has no SMILES column (looked for {', '.join(_SMILES_COLUMNS)}); "
                         f"its columns are: {', '.join(header)}; pass --smiles-col NAME")
    id_col = _pick_column(header, id_col, ID_NAMES, path, "--id-col")
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


def _parquet_file(path: Path):
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
        return list(_parquet_file(path).schema_arrow.names)
    handle, _ = _open_text(path)
    with handle:
        limit = csv.field_size_limit(max(csv.field_size_limit(), _MAX_RECORD_CHARS))
        try:
            return next(csv.reader(handle, delimiter="\t" if fmt == "tsv" else ","), [])
        finally:
            csv.field_size_limit(limit)


def _parquet_records(path: Path, smiles_col: str | None, id_col: str | None,
                     batch_rows: int = 8192) -> Iterator[RawRecord]:
    # The same column rules as CSV; batches keep memory flat on a large file. Cell values
    # other than the SMILES and ID keep their Python type (numbers stay numbers).
    source = _parquet_file(path)
    header = list(source.schema_arrow.names)
    smiles_col = _pick_column(header, smiles_col, _SMILES_COLUMNS, path, "--smiles-col")
    if smiles_col is None:
        raise UsageError(f"{path} has no SMILES column (looked for {', '.join(_SMILES_COLUMNS)}); "
                         f"its columns are: {', '.join(header)}; pass --smiles-col NAME")
    id_col = _pick_column(header, id_col, ID_NAMES, path, "--id-col")
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


def count_records(path: str | Path, fmt: str) -> int | None:
    """A quick record count for a progress bar: ``$$$$`` lines of an SDF, lines of a SMILES/CSV file,
    rows of a Parquet file; ``None`` for a gzipped file (progress then follows the compressed bytes).

    Approximate for text tables (quoted line breaks, comments and blank lines count); reads the
    file at disk speed with ``bytes.count``, never parsing a record.
    """
    path = Path(path)
    if fmt == "parquet":
        return _parquet_file(path).metadata.num_rows
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


def sd_properties(record_text: str) -> list[tuple[str, str]]:
    """Data items (``> <NAME>`` blocks) of one SDF record, in file order.

    Examples
    --------
    >>> sd_properties("t\\n\\n\\nM  END\\n> <ID>\\nX1\\n\\n")
    [('ID', 'X1')]
    """
    _, sep, data = record_text.partition("M  END")
    if not sep:
        return []
    props: list[tuple[str, str]] = []
    name: str | None = None
    value: list[str] = []
    for line in data.splitlines():
        if line.startswith(">"):
            if name is not None:
                props.append((name, "\n".join(value).strip()))
            start, end = line.find("<"), line.find(">", line.find("<") + 1)
            name, value = (line[start + 1:end] if start >= 0 and end > start else line[1:].strip()), []
        elif name is not None:
            value.append(line)
    if name is not None:
        props.append((name, "\n".join(value).strip()))
    return props


class RankedRowFormat:
    """The output text of ranked rows, CSV lines or SDF records, with the rank filled in last.

    Formatting a wide row costs more than everything else the main process does, so the
    workers call :meth:`parts` (text before and after the rank value) and the main
    process only joins the parts around the rank once the order is known.
    ``columns[0]`` must be ``"rank"``.

    Examples
    --------
    >>> fmt = RankedRowFormat(["rank", "id", "score"], "csv")
    >>> before, after = fmt.parts({"id": "a,b", "score": 0.5})
    >>> fmt.header() + before + "1" + after
    'rank,id,score\\n1,"a,b",0.5000\\n'
    """

    def __init__(self, columns: list[str], fmt: str, molblock_key: str = "molblock",
                 props_key: str = "input_properties"):
        if not columns or columns[0] != "rank":
            raise ValueError("the first output column must be 'rank'")
        if fmt not in ("csv", "sdf"):
            raise ValueError(f"output format must be csv or sdf, not {fmt!r}")
        self.columns, self.fmt = columns, fmt
        self.molblock_key, self.props_key = molblock_key, props_key
        self._rest = columns[1:]  # every column after the rank, in order
        self._column_set = set(columns)
        # itemgetter returns a tuple only for two or more names
        self._getter = operator.itemgetter(*columns[1:]) if len(columns) > 2 else lambda row: [row[columns[1]]]
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow(self.columns)
        return self._buffer.getvalue()

    def parts(self, row: dict) -> tuple[str, str]:
        """``(before, after)``: the row's text is ``before + str(rank) + after``."""
        rest = self._rest
        if self.fmt == "csv":
            if not rest:
                return "", "\n"
            # One csv.writer call per row: the same quoting as csv.DictWriter, at C speed.
            self._buffer.seek(0)
            self._buffer.truncate()
            try:
                values = self._getter(row)
            except KeyError:  # an unscored row lacks the prediction columns
                values = [row.get(name) for name in rest]
            self._csv.writerow(map(_text, values))
            line = self._buffer.getvalue()
            # csv quotes a lone empty field (""), which beside the rank is just empty
            return "", "," + ("\n" if line == '""\n' and len(rest) == 1 else line)
        block = row.get(self.molblock_key) or "\n  screenkit\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n"
        head = [block if block.endswith("\n") else block + "\n"]
        # An input data item named like an output column (smiles, id, mw, ...) is kept as input_<name>.
        head += [f">  <{self._input_name(name)}>\n{_sd_value(value)}\n\n"
                 for name, value in row.get(self.props_key) or ()]
        head.append(">  <rank>\n")
        tail = ["\n\n"] + [f">  <{name}>\n{_sd_value(_text(row.get(name)))}\n\n" for name in rest] + ["$$$$\n"]
        return "".join(head), "".join(tail)

    def _input_name(self, name: str) -> str:
        name = _one_line(name)
        while name in self._column_set:
            name = "input_" + name
        return name


def write_ranked(parts: Iterable[tuple[str, str]], path, row_format: RankedRowFormat) -> int:
    """Write rows given as :meth:`RankedRowFormat.parts`, numbering ranks from 1; return the count.

    The file is flushed to disk (fsync) before returning, so a caller that renames it into
    place afterwards never publishes a file the operating system has not stored. ``path``
    may instead be an open binary stream (standard output), which is flushed, not closed.
    """
    count = 0
    if hasattr(path, "write"):
        fh = io.TextIOWrapper(path, encoding="utf-8", newline="")
        try:
            fh.write(row_format.header())
            for count, (before, after) in enumerate(parts, start=1):
                fh.write(f"{before}{count}{after}")
            fh.flush()
        finally:
            try:
                fh.detach()  # the stream stays open for its owner (a closed pipe raises again here)
            except (OSError, ValueError):
                pass
        path.flush()
        return count
    with open(path, "wb") as raw:
        zipped = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if str(path).endswith(".gz") else None
        fh = io.TextIOWrapper(zipped or raw, encoding="utf-8", newline="")
        fh.write(row_format.header())
        for count, (before, after) in enumerate(parts, start=1):
            fh.write(f"{before}{count}{after}")
        fh.detach()  # flushes, and leaves the binary file open
        if zipped is not None:
            zipped.close()  # writes the gzip trailer; raw stays open
        raw.flush()
        os.fsync(raw.fileno())
    return count


# Column types of the Parquet output where a first batch cannot tell (all empty, or
# whole numbers that are counts); any other column takes the type its values have.
_STRING_COLUMNS = {"id", "smiles", "best_model", "rank_reason", "status", "reason", "ion_class", "alerts"}
_INTEGER_COLUMNS = {"rank", "pareto_rank", "input_position", "hbd", "hba", "rotb", "arom_rings",
                    "lipinski_violations", "veber_ok", "n_alerts"}


def _arrow_type(pa, column: str, values: list):
    if column in _STRING_COLUMNS:
        return pa.string()
    if column in _INTEGER_COLUMNS:
        return pa.int64()
    present = [v for v in values if v is not None]
    if not present or any(isinstance(v, str) for v in present):
        return pa.string()
    if all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if all(isinstance(v, int) for v in present):
        return pa.int64()
    if all(isinstance(v, int | float) for v in present):
        return pa.float64()
    return pa.string()


def _arrow_array(pa, values: list, kind):
    try:
        return pa.array(values, type=kind, from_pandas=True)  # from_pandas: NaN is null
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    # a value of another type than the first batch had (an input column that changes type mid-file)
    if kind == pa.string():
        return pa.array([None if v is None else str(v) for v in values], type=kind)
    return pa.array([v if isinstance(v, int | float) else None for v in values], type=kind, from_pandas=True)


def write_ranked_parquet(rows: Iterable[list], path, columns: list[str], batch_rows: int = 10_000) -> int:
    """Write ranked rows (value lists in ``columns`` order after ``rank``) as Parquet; return the count.

    Streams: one row group per ``batch_rows`` rows through ``pyarrow.parquet.ParquetWriter``,
    so the table is never whole in memory. Column types come from the first batch (see
    ``_arrow_type``); a file is flushed to disk (fsync) before returning, a stream (standard
    output) is flushed, not closed.
    """
    pa, pq = pyarrow_module()
    writer, schema, count = None, None, 0
    batch: list = []

    def flush():
        nonlocal writer, schema
        by_column = list(zip(*batch))
        if schema is None:
            schema = pa.schema([(name, _arrow_type(pa, name, list(values))) for name, values in zip(columns, by_column)])
            writer = pq.ParquetWriter(path, schema)
        arrays = [_arrow_array(pa, list(values), field.type) for values, field in zip(by_column, schema)]
        writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
        batch.clear()

    try:
        for count, values in enumerate(rows, start=1):
            batch.append([count, *values])
            if len(batch) >= batch_rows:
                flush()
        if batch or writer is None:
            if not batch:  # no rows: an empty table with string columns still has the header
                schema = pa.schema([(name, pa.string()) for name in columns])
                writer = pq.ParquetWriter(path, schema)
            else:
                flush()
    finally:
        if writer is not None:
            writer.close()
    if hasattr(path, "write"):
        path.flush()
    else:
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
    return count


def sd_title(text: str) -> str:
    """``text`` as one line, for an SDF title line or data item name."""
    return _one_line(text)


def _one_line(text: str) -> str:
    """Text for an SDF title or data item name: line breaks would start a new line of the record."""
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ") if ("\n" in text or "\r" in text) else text


def _sd_value(text: str) -> str:
    """An SD data item value as RDKit reads it back: a blank line would end the value, and a
    line starting with $$$$ would end the record, so those lines are changed."""
    if "\n" not in text and "\r" not in text:
        return text if not text.startswith("$$$$") else " " + text
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    return "\n".join(" " + line if line.startswith("$$$$") else line for line in lines)


def _text(value) -> str:
    if isinstance(value, float):
        if value != value:
            return ""  # NaN: not computed
        return f"{value:.4f}" if -1e4 < value < 1e4 else f"{value:.4g}"
    return "" if value is None else str(value)


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
        chosen = wanted or _pick_column(header, None, ID_NAMES, path, "--id-col")
        smiles = _pick_column(header, smiles_col, _SMILES_COLUMNS, path, "--smiles-col")
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
    guessed = _pick_column(items, None, ID_NAMES, path, "--id-field")
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
