"""The review report: one self-contained HTML file that medicinal chemists open in a browser.

``screenkit report RANKED.csv -o report.html`` reads what ``screenkit score`` wrote (the
ranked CSV and its ``.meta.json``) and the model folder, and writes a page with a sortable,
filterable table of the top rows (structures with alert atoms highlighted, per-target
predictions with their applicability domain, properties, alerts), the measured training
compounds behind each prediction, run provenance, distributions and a chemical-space map.
The report only reads: it never changes the ranking.

Modules: :mod:`.data` assembles the values, :mod:`.draw` makes the SVG pictures,
:mod:`.html` renders the page (escaping and Content-Security-Policy), :mod:`.assets` holds
the inline CSS and script.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

__all__ = ["write_report", "ReportSummary"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportSummary:
    """What :func:`write_report` wrote."""

    output: str
    n_rows: int
    n_rows_total: int
    n_models: int
    size_bytes: int
    seconds: float
    warnings: tuple[str, ...]


def write_report(ranked: str | Path, output: str | Path, *, models_dir: str | Path | None = None, top: int = 300,
                 meta: str | Path | None = None, title: str | None = None,
                 dataset: str | Path | None = None) -> ReportSummary:
    """Write the HTML review report of a ranked CSV.

    Parameters
    ----------
    ranked : path
        CSV written by ``screenkit score`` (rank order is taken as is).
    output : path
        The ``.html`` file to write (its folder must exist).
    models_dir : path, optional
        Model folder whose training sets give the evidence neighbours; default the bundled
        models. Use the folder the ranked file was scored with.
    top : int, default 300
        Rows shown in the table (the first ``top`` rows of ``ranked``); the distributions
        use every row.
    meta : path, optional
        Run metadata; default ``RANKED.meta.json`` beside ``ranked`` (optional then).
    title : str, optional
        Page title; default ``"screenkit review: <file name>"``.
    dataset : path, optional
        The training dataset (``screenkit fetch``/``curate`` CSV) whose ChEMBL molecule and activity
        IDs label the evidence neighbours; default the bundled dataset when a model card names it
        and its sha256 matches.

    Returns
    -------
    ReportSummary

    Raises
    ------
    UsageError
        For a bad ``top`` or an output folder that does not exist.
    InputFileError
        For a missing, empty or non-CSV ranked file, or a bad metadata file.

    Examples
    --------
    After ``screenkit score library.sdf -o ranked.csv`` (not run here: it draws 100 structures)::

        write_report("ranked.csv", "report.html", top=100)
    """
    from .data import assemble
    from .html import render_html

    started = time.perf_counter()
    output = Path(output)
    if not output.parent.exists():
        raise UsageError(f"output folder {output.parent} does not exist; create it first")
    if output.is_dir():
        raise UsageError(f"output {output} is a folder; give a file name such as {output / 'report.html'}")
    data = assemble(ranked, models_dir=models_dir, top=top, meta_path=meta, title=title, dataset=dataset)
    text = render_html(data)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, output)
    for warning in data.warnings:
        log.warning("%s", warning)
    summary = ReportSummary(str(output), len(data.rows), data.n_rows_total, len(data.models),
                            output.stat().st_size, time.perf_counter() - started, tuple(data.warnings))
    log.info("report %s: %d rows, %.1f MB, %.1f s", output, summary.n_rows, summary.size_bytes / 1e6, summary.seconds)
    return summary
