"""The ranked output from the run store: its header, the front numbers and the kept input columns."""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import shutil
from pathlib import Path

from .pareto import ParetoFronts
from .runstore import RunStore
from .writers import RankedRowFormat, sd_title, write_ranked, write_ranked_parquet

__all__ = ["copy_synced", "output_columns", "parquet_values", "text_parts", "write_ranked_output"]


def write_ranked_output(store: RunStore, target, columns: list[str], objectives: list[str], out_suffix: str, *,
                        pareto: bool, fronts: int, top: int | None, run_size: int) -> tuple[int, list[str]]:
    """Write the store's rows in rank order to ``target`` (a path or a binary stream); return the
    count and the header. With ``pareto`` only the first ``fronts`` fronts, numbered."""
    ranked = store.ranked()  # (key, value) in rank order; value: the row's output text or values
    pareto_ranks = None
    if pareto:
        front = ParetoFronts(objectives, fronts)
        for (unscored, negative_score, position, values), _ in ranked:
            front.add_point(math.nan if unscored else -negative_score, values, position)
        pareto_ranks = front.ranks()
        ranked = (pair for pair in store.ranked() if pair[0][2] in pareto_ranks)
    rows = itertools.islice(ranked, top)
    out_columns = output_columns(columns, store.input_columns if out_suffix != "sdf" else [], pareto)
    if out_suffix == "parquet":
        values = parquet_values(rows, store.input_columns, pareto_ranks)
        return write_ranked_parquet(values, target, out_columns, batch_rows=min(run_size, 10_000)), out_columns
    parts = text_parts(rows, store.input_columns, pareto_ranks, out_suffix)
    return write_ranked(parts, target, RankedRowFormat(out_columns, out_suffix)), out_columns


def output_columns(columns: list[str], input_columns: list[str], pareto: bool) -> list[str]:
    """The header: rank, pareto_rank (with --pareto), screenkit's columns, then the kept input columns."""
    out = columns[:1] + (["pareto_rank"] if pareto else []) + columns[1:]
    taken = set(out)
    for name in input_columns:
        name = sd_title(name)
        while name in taken:
            name = "input_" + name  # an input column named like one of ours (smiles, id, mw, ...)
        taken.add(name)
        out.append(name)
    return out


def text_parts(rows, input_columns: list[str], pareto_ranks: dict | None, out_format: str):
    """``(before, after)`` text per ranked row for :func:`write_ranked`, with the front number and the
    kept input columns added (the workers formatted everything else)."""
    if input_columns:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
    for (_, _, position, _), (before, after, props) in rows:
        if pareto_ranks is not None:
            front = pareto_ranks[position]
            after = (f",{front}" if out_format == "csv" else f"\n\n>  <pareto_rank>\n{front}") + after
        if out_format == "csv" and input_columns:
            values = dict(props)
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_cell(values.get(name)) for name in input_columns])
            after = after[:-1] + "," + buffer.getvalue()
        yield before, after


def parquet_values(rows, input_columns: list[str], pareto_ranks: dict | None):
    for (_, _, position, _), (values, props) in rows:
        if pareto_ranks is not None:
            values = [pareto_ranks[position], *values]
        if input_columns:
            found = dict(props)
            values = [*values, *(found.get(name) for name in input_columns)]
        yield values


def _cell(value) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())
