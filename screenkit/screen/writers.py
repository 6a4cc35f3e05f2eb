"""Ranked results out: CSV lines and SDF records with the rank filled in last, and Parquet.

Files are flushed to disk (fsync) before a caller renames them into place.
"""

from __future__ import annotations

import csv
import gzip
import io
import operator
import os
from collections.abc import Iterable

from .tables import pyarrow_module

__all__ = ["RankedRowFormat", "sd_title", "write_ranked", "write_ranked_parquet"]


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
