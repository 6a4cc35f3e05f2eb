"""Stream compound libraries in (SDF, SMILES, CSV; gzipped too) and results out.

Reading only splits a file into raw text records: parsing the chemistry happens in
the scoring workers, so no RDKit object crosses a process boundary and the main
process stays light. Nothing here holds a whole library in memory.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import operator
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

from ..errors import InputFileError, UsageError

__all__ = [
    "RawRecord",
    "detect_format",
    "iter_records",
    "sd_properties",
    "RankedRowFormat",
    "sd_title",
    "write_ranked",
]

FORMATS = ("sdf", "smiles", "csv", "tsv")
_SUFFIXES = {".sdf": "sdf", ".sd": "sdf", ".mol": "sdf", ".smi": "smiles", ".smiles": "smiles",
             ".ism": "smiles", ".can": "smiles", ".csv": "csv", ".tsv": "tsv"}
_SMILES_COLUMNS = ("smiles", "canonical_smiles", "smi", "structure")
_ID_COLUMNS = ("id", "name", "compound_id", "molecule_chembl_id", "zinc_id", "title")
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
            raise UsageError(f"unknown library format {fmt!r}; use one of: sdf, smiles, csv, tsv")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise UsageError(
        f"cannot tell the format of {path} from its name; use .sdf, .smi, .csv or .tsv "
        "(optionally .gz), or pass --format sdf|smiles|csv|tsv"
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


def _latin1_fallback(error: UnicodeDecodeError):
    """Bytes that are not UTF-8 are read as Latin-1 (vendor files from Windows tools), wherever they are."""
    return error.object[error.start:error.end].decode("latin-1"), error.end


def _open_text(path: Path) -> tuple[IO[str], _DamageStop]:
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
    codecs.register_error("screenkit-latin1", _latin1_fallback)
    stream = _DamageStop(binary)
    return io.TextIOWrapper(io.BufferedReader(stream, 1 << 16), encoding="utf-8-sig", errors="screenkit-latin1",
                            newline=""), stream


def iter_records(path: str | Path, fmt: str | None = None, *, smiles_col: str | None = None,
                 id_col: str | None = None) -> Iterator[RawRecord]:
    """Yield the records of a library file one at a time.

    Parameters
    ----------
    path : str or Path
        SDF, SMILES or CSV/TSV file, optionally gzipped.
    fmt : str, optional
        Force a format instead of guessing from the file name.
    smiles_col, id_col : str, optional
        CSV/TSV columns with the SMILES and the compound ID (guessed when omitted).

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
    handle, stream = _open_text(path)
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
    id_col = _pick_column(header, id_col, _ID_COLUMNS, path, "--id-col")
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
    props, name, value = [], None, []
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


def write_ranked(parts: Iterable[tuple[str, str]], path: str | Path, row_format: RankedRowFormat) -> int:
    """Write rows given as :meth:`RankedRowFormat.parts`, numbering ranks from 1; return the count.

    The file is flushed to disk (fsync) before returning, so a caller that renames it into
    place afterwards never publishes a file the operating system has not stored.
    """
    count = 0
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
