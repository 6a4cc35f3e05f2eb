"""One chunk in a worker: score, rank, and encode the rows for the run store."""

from __future__ import annotations

from ..errors import ScreenkitError
from ..profile import Profile
from .rank import rank_key, score_rows
from .runstore import encode_rows
from .score import ScoreOptions, StepFailed, error_row, score_records
from .sdf import sd_properties
from .writers import RankedRowFormat

__all__ = ["score_and_rank"]


def score_and_rank(records, options: ScoreOptions, models, profile: Profile, columns: list[str], out_format: str,
                    objectives: list[str], keep=None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """One chunk, in a worker: score, rank, and encode the rows for the run store.

    Each row is stored under its rank key plus its objective values (for ``--pareto``;
    the position before them makes the key unique, so they never change the order), with
    its output already formatted (CSV/SDF text; for Parquet the values in column order)
    and the kept input columns: the main process only inserts the rank number.
    Ranking and output formatting run per chunk; if either fails, the chunk is redone
    row by row and only the failing rows become ``error`` rows naming the step.
    Returns the entries and the input column names seen in this chunk (first-seen order).
    """
    row_format = RankedRowFormat(columns, out_format if out_format != "parquet" else "csv")
    # input columns of each record, taken from the record itself so error rows keep theirs too
    inputs: dict[int, list[tuple[str, str]]] = {}
    names: dict[str, None] = {}  # kept column names in first-seen order
    if out_format != "sdf" and keep != ():
        for record in records:
            props = sd_properties(record.text) if record.kind == "molblock" else record.props
            if keep is not None:
                props = [(name, value) for name, value in props if name in keep]
            props = [(name, _plain(value)) for name, value in props]
            inputs[record.position] = props
            names.update((name, None) for name, _ in props)

    def key(row):
        return [*rank_key(row), [row.get(o) for o in objectives]]

    def value(row):
        props: list[tuple[str, str]] = inputs.get(row["input_position"], [])
        if out_format == "parquet":
            return [[_plain(row.get(name)) for name in columns[1:]], props]
        if keep is not None and row.get("input_properties"):  # SDF output: its data items
            row["input_properties"] = [(k, v) for k, v in row["input_properties"] if k in keep]
        return [*row_format.parts(row), props]

    try:
        rows = score_records(records, options)
    except ScreenkitError:
        raise  # a caller's mistake (a damaged model folder): stop the run with its one-line message
    except Exception:  # a failure outside every per-record guard: isolate it record by record
        rows = [_score_alone(record, options) for record in records]
    try:
        return encode_rows(score_rows(rows, models, profile), key=key, value=value), list(names)
    except Exception:
        pass
    entries = []
    for record, row in zip(records, rows):
        try:
            row = score_rows([row], models, profile)[0]
        except Exception as exc:
            row = score_rows([error_row(record, StepFailed("ranking", exc).reason, row)], models, profile)[0]
        try:
            entries += encode_rows([row], key=key, value=value)
        except Exception as exc:  # keep only what surely formats: the position and the reason
            bare = error_row(record._replace(name=""), StepFailed("output formatting", exc).reason)
            inputs.pop(record.position, None)
            entries += encode_rows(score_rows([bare], models, profile), key=key, value=value)
    return entries, list(names)


def _plain(value):
    """A value JSON can store: numpy scalars become Python numbers, anything unusual its text."""
    if value is None or isinstance(value, str | int | float):
        return value
    item = getattr(value, "item", None)
    if item is not None:
        try:
            value = item()
            if isinstance(value, str | int | float):
                return value
        except (TypeError, ValueError):
            pass
    return str(value)


def _score_alone(record, options: ScoreOptions) -> dict:
    try:
        return score_records([record], options)[0]
    except ScreenkitError:
        raise
    except Exception as exc:
        return error_row(record, StepFailed("scoring", exc).reason)
