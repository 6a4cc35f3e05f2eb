"""Reading what the report shows: the ranked CSV, its ``.meta.json`` and a marks file.

Only reads; the rank order of the file is kept as is. The ranked rows are held column by column
(numbers as float arrays, text as lists) so that a file of 200,000 rows fits in a few hundred MB.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputFileError, UsageError

__all__ = [
    "DISTRIBUTION_COLUMNS",
    "MARKS",
    "PROPERTY_COLUMNS",
    "RankedTable",
    "read_marks",
    "read_meta",
    "read_ranked",
]

#: Property columns the ranking may add, in display order: (column, header, decimals, tooltip, group).
#: Columns that are absent from the ranked file are simply not shown. The group decides which
#: column set a column belongs to (the page can hide a whole group); "CNS" columns show by default.
PROPERTY_COLUMNS = [
    ("cns_mpo", "CNS MPO", 2, "CNS multiparameter optimisation score, 0-6 (Wager et al. 2010); >= 4 is desirable", "CNS"),
    ("cns_rules", "CNS rules", 0, "number of CNS property rules met", "properties"),
    ("mw", "MW", 0, "molecular weight (Da)", "CNS"),
    ("clogp", "cLogP", 1, "calculated logP (Crippen)", "CNS"),
    ("clogd", "cLogD", 1, "calculated logD at pH 7.4", "properties"),
    ("tpsa", "TPSA", 0, "topological polar surface area (Å²)", "CNS"),
    ("hbd", "HBD", 0, "hydrogen-bond donors", "CNS"),
    ("hba", "HBA", 0, "hydrogen-bond acceptors", "properties"),
    ("rotb", "RotB", 0, "rotatable bonds", "properties"),
    ("arom_rings", "Ar rings", 0, "aromatic rings", "properties"),
    ("pka_basic", "pKa (b)", 1, "most basic pKa (estimated)", "CNS"),
    ("qed", "QED", 2, "quantitative estimate of drug-likeness, 0-1", "properties"),
    ("sps", "SPS", 1, "spatial score (molecular complexity)", "properties"),
    ("lipinski_violations", "Ro5 viol.", 0, "Lipinski rule-of-five violations", "properties"),
    ("veber_ok", "Veber", None, "Veber rules (rotatable bonds <= 10, TPSA <= 140) met", "properties"),
    ("n_alerts", "# alerts", 0, "number of structural alerts", "properties"),
]
#: Numeric columns drawn as distributions when present (column, axis label).
DISTRIBUTION_COLUMNS = [("overall_score", "overall score"), ("cns_mpo", "CNS MPO"), ("mw", "MW (Da)"),
                        ("clogp", "cLogP"), ("tpsa", "TPSA (Å²)"), ("qed", "QED"), ("sps", "spatial score")]
#: The review marks a chemist can give, in the order the page offers them.
MARKS = ("keep", "maybe", "reject")
_TEXT = {"id", "smiles", "best_model", "rank_reason", "alerts", "status", "reason"}
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


@dataclass
class RankedTable:
    """The first ``top`` rows of a ranked file, column by column, plus what the plots need of the rest.

    Attributes
    ----------
    columns : list of str
        Every column of the file, in file order.
    text : dict of str to list of str
        Text columns (``id``, ``smiles``, reasons, alerts and any column that is not a known number).
    numbers : dict of str to numpy.ndarray
        Known numeric columns as float (NaN where empty or not a number).
    distributions : dict of str to numpy.ndarray
        Every row's value (not just the first ``top``) of the :data:`DISTRIBUTION_COLUMNS` and
        ``<model>_p_active`` columns.
    sample : list of str
        SMILES of a fixed-seed sample of the rows beyond ``top`` (for the chemical-space map).
    n_rows_total : int
        Data rows in the file.
    """

    columns: list[str]
    text: dict[str, list[str]]
    numbers: dict[str, np.ndarray]
    distributions: dict[str, np.ndarray]
    sample: list[str]
    n_rows_total: int

    def __len__(self) -> int:
        return len(self.text["id"])

    def row(self, i: int) -> dict[str, str | float]:
        """One row as ``{column: value}`` (for tests and messages, not for bulk work)."""
        out: dict[str, str | float] = {c: v[i] for c, v in self.text.items()}
        out.update({c: float(v[i]) for c, v in self.numbers.items()})
        return out


def _is_number_column(column: str, model_prefixes: tuple[str, ...]) -> bool:
    known = {"rank", "input_position", "overall_score"} | {p[0] for p in PROPERTY_COLUMNS}
    return column in known or column.startswith("d_") or (column.startswith(model_prefixes) and column not in _TEXT)


def _to_float(values, column: str) -> np.ndarray:
    import pandas as pd

    if column == "veber_ok":  # a boolean written as True/False or 1/0
        lowered = values.str.strip().str.lower()
        return np.where(lowered.isin(_TRUE), 1.0, np.where(lowered.isin(_FALSE), 0.0, np.nan))
    return pd.to_numeric(values, errors="coerce").to_numpy(float)


def read_ranked(path: str | Path, top: int | None = None, *, sample_size: int = 1000, seed: int = 0) -> RankedTable:
    """Read a ranked CSV: the first ``top`` rows (default all), the plotted columns of every row.

    Parameters
    ----------
    path : path
        CSV written by ``screenkit score`` (optionally gzipped).
    top : int, optional
        Rows kept, in file order (the ranking is not changed); default every row.
    sample_size : int
        Rows after the first ``top`` kept (reservoir sample, fixed seed) for the chemical-space map.

    Raises
    ------
    InputFileError
        For a missing, empty or non-CSV file, or one without ``smiles`` and ``id`` columns.
    UsageError
        For an SDF given instead of the ranked CSV.
    """
    import pandas as pd

    path = _check_ranked_path(Path(path))
    limit = top if top is not None else float("inf")
    columns: list[str] | None = None
    text_parts: dict[str, list] = {}
    number_parts: dict[str, list] = {}
    distribution_parts: dict[str, list] = {}
    sample: list[str] = []
    rng = random.Random(seed)
    n_rows = kept = beyond = 0
    try:
        for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=50_000):
            if columns is None:
                columns = [str(c) for c in chunk.columns]
                numeric, plotted = _column_roles(path, columns)
            n_rows += len(chunk)
            for column in plotted:
                distribution_parts.setdefault(column, []).append(_to_float(chunk[column], column))
            need = int(min(len(chunk), max(0, limit - kept)))
            head = chunk.iloc[:need]
            kept += need
            for column in columns:
                if column in numeric:
                    number_parts.setdefault(column, []).append(_to_float(head[column], column))
                else:
                    text_parts.setdefault(column, []).extend(head[column].tolist())
            beyond = _reservoir(sample, chunk["smiles"].iloc[need:], beyond, sample_size, rng)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise InputFileError(f"cannot read {path} as CSV ({exc}); pass the CSV `screenkit score` wrote") from None
    if columns is None or n_rows == 0:
        raise InputFileError(f"ranked file {path} has no rows; is it the output of `screenkit score`?")
    return RankedTable(
        columns=columns, text=text_parts,
        numbers={c: np.concatenate(parts) for c, parts in number_parts.items()},
        distributions={c: np.concatenate(parts) for c, parts in distribution_parts.items()},
        sample=[s for s in sample if s], n_rows_total=n_rows)


def _check_ranked_path(path: Path) -> Path:
    """``path``, once it is known to be a non-empty file that is not an SDF."""
    if not path.is_file():
        raise InputFileError(f"ranked file {path} does not exist; write one with `screenkit score LIBRARY -o {path}`")
    if path.stat().st_size == 0:
        raise InputFileError(f"ranked file {path} is empty; write it with `screenkit score LIBRARY -o {path}`")
    if path.name.lower().removesuffix(".gz").endswith(".sdf"):
        raise UsageError(f"{path} is an SDF; the report reads the CSV from `screenkit score ... -o ranked.csv`")
    return path


def _column_roles(path: Path, columns: list[str]) -> tuple[list[str], list[str]]:
    """The numeric columns and the plotted ones (whole-file distributions) of a ranked file's header."""
    missing = [c for c in ("id", "smiles") if c not in columns]
    if missing:
        raise InputFileError(f"{path} has no {' or '.join(repr(m) for m in missing)} column (it has: "
                             f"{', '.join(columns[:8])}...); pass the CSV `screenkit score` wrote")
    prefixes = tuple(c[: -len("_ad")] + "_" for c in columns if c.endswith("_ad"))
    numeric = [c for c in columns if _is_number_column(c, prefixes)]
    plotted = [c for c, _ in DISTRIBUTION_COLUMNS if c in columns] + \
              [c for c in columns if c.endswith("_p_active") and c.startswith(prefixes)]
    return numeric, plotted


def _reservoir(sample: list[str], values, seen: int, size: int, rng: random.Random) -> int:
    """Reservoir-sample ``values`` into ``sample`` (at most ``size``); returns how many values were seen in all."""
    for value in values:
        seen += 1
        if len(sample) < size:
            sample.append(value)
        else:
            j = rng.randrange(seen)
            if j < size:
                sample[j] = value
    return seen


def read_meta(path: str | Path, *, required: bool) -> dict | None:
    """The run metadata written by ``screenkit score`` (``RANKED.meta.json``).

    Returns None when the file is absent and not ``required``.

    Raises
    ------
    InputFileError
        When a required file is missing, or the file is not a JSON object.
    """
    path = Path(path)
    if not path.is_file():
        if required:
            raise InputFileError(f"metadata file {path} does not exist; pass the RANKED.csv.meta.json that "
                                 "`screenkit score` wrote, or omit --meta")
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"metadata file {path} is not valid JSON ({exc}); pass the .meta.json file "
                             "`screenkit score` wrote") from None
    if not isinstance(meta, dict):
        raise InputFileError(f"metadata file {path} is not a JSON object; pass the .meta.json file "
                             "`screenkit score` wrote")
    return meta


def _unguard(text: str) -> str:
    """Undo the page's spreadsheet guard: a cell starting with = + - @ is exported as '=..."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in "=+-@" else text


def read_marks(path: str | Path) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Review marks exported from a report page (CSV with ``id``, ``mark`` and ``comment`` columns).

    Returns
    -------
    marks : dict
        ``id -> (mark, comment)``; rows with neither a known mark nor a comment are left out.
    problems : list of str
        One readable line per row that was skipped (unknown mark, no id), naming the row.

    Raises
    ------
    InputFileError
        For a missing file or one without ``id`` and ``mark`` columns.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "marks.csv")
    >>> _ = open(p, "w").write("id,mark,comment\\nA1,keep,nice core\\nB2,great,\\n")
    >>> read_marks(p)
    ({'A1': ('keep', 'nice core')}, ["marks file row 3 (id B2): unknown mark 'great' (use keep, maybe or reject)"])
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"marks file {path} does not exist; export one from a report page (Export marks: CSV)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            if "id" not in fields or "mark" not in fields:
                raise InputFileError(f"marks file {path} needs 'id' and 'mark' columns (it has: "
                                     f"{', '.join(fields[:8]) or 'none'}); export it from a report page")
            marks: dict[str, tuple[str, str]] = {}
            problems = []
            for line, record in enumerate(reader, start=2):
                rid = _unguard((record.get("id") or "").strip())
                mark = (record.get("mark") or "").strip().lower()
                comment = _unguard((record.get("comment") or "").strip())
                if not rid:
                    problems.append(f"marks file row {line}: no id")
                    continue
                if mark and mark not in MARKS:
                    problems.append(f"marks file row {line} (id {rid}): unknown mark {mark!r} (use keep, maybe or reject)")
                    continue
                if mark or comment:
                    marks[rid] = (mark, comment)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"cannot read marks file {path} as CSV ({exc})") from None
    return marks, problems
