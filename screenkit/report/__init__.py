"""The review report: one self-contained HTML file that medicinal chemists open in a browser.

``screenkit report RANKED.csv -o report.html`` reads what ``screenkit score`` wrote (the
ranked CSV and its ``.meta.json``) and the model folder, and writes a page chemists work in:
every ranked row (or the top N) in a sortable, filterable table or grid, structures drawn in
the browser by RDKit MinimalLib, substructure and similarity search, Murcko-scaffold series,
keep/maybe/reject marks with comments exported as CSV or SDF, the measured training compounds
behind each prediction, linked plots, run provenance and the models' validation figures.
The report only reads: it never changes the ranking.

Modules: :mod:`.reading` (ranked CSV, metadata, marks), :mod:`.evidence` (neighbours, alerts,
measured compounds), :mod:`.space` (series, chemical-space map), :mod:`.models` (card figures,
panel coverage), :mod:`.data` (runs them in order), :mod:`.draw` (server-side SVGs),
:mod:`.html` (the page, escaping, Content-Security-Policy), :mod:`.assets` and :mod:`.script`
(inline CSS, template and script), :mod:`.minimallib` (the vendored RDKit WebAssembly).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # the page's modules are imported only when a report is written
    from .data import ReportData

__all__ = ["ReportSummary", "write_report"]

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


def write_report(ranked: str | Path, output: str | Path, *, models_dir: str | Path | None = None,
                 top: int | None = None, meta: str | Path | None = None, title: str | None = None,
                 dataset: str | Path | None = None, marks: str | Path | None = None,
                 evidence_rows: int = 2000, n_jobs: int = 1) -> ReportSummary:
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
    top : int, optional
        Rows on the page (the first ``top`` rows of ``ranked``); default every row. The
        distributions use every row either way.
    meta : path, optional
        Run metadata; default ``RANKED.meta.json`` beside ``ranked`` (optional then).
    title : str, optional
        Page title; default ``"screenkit review: <file name>"``.
    dataset : path, optional
        The training dataset (``screenkit fetch``/``curate`` CSV) whose ChEMBL molecule and activity
        IDs label the evidence neighbours; default the bundled dataset when a model card names it
        and its sha256 matches.
    marks : path, optional
        A marks CSV exported from a report page (``id,mark,comment``); its marks and comments are
        carried into this report (marks already stored in the browser for this run win).
    evidence_rows : int, default 2000
        Rows whose nearest training compounds are embedded (and mapped in chemical space).
    n_jobs : int, default 1
        Processes for the per-row chemistry (parsing, Murcko scaffolds, alert atoms).

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
    After ``screenkit score library.sdf -o ranked.csv`` (not run here: it needs a ranked file)::

        write_report("ranked.csv", "report.html", marks="marks.csv")
    """
    from .data import assemble
    from .html import render_html

    started = time.perf_counter()
    output = _checked_output(output, evidence_rows, n_jobs)
    data = assemble(ranked, models_dir=models_dir, top=top, meta_path=meta, title=title, dataset=dataset,
                    marks=marks, evidence_rows=evidence_rows, n_jobs=n_jobs)
    _write_atomically(output, render_html(data))
    return _summary(output, data, started)


def _checked_output(output: str | Path, evidence_rows: int, n_jobs: int) -> Path:
    """The output path, after the checks that fail before any reading is done."""
    output = Path(output)
    if not output.parent.exists():
        raise UsageError(f"output folder {output.parent} does not exist; create it first")
    if output.is_dir():
        raise UsageError(f"output {output} is a folder; give a file name such as {output / 'report.html'}")
    if evidence_rows < 0:
        raise UsageError(f"--evidence-rows must be 0 or more, not {evidence_rows}")
    if n_jobs < 1:
        raise UsageError(f"--n-jobs must be 1 or more, not {n_jobs}")
    return output


def _write_atomically(output: Path, text: str) -> None:
    """Write beside the output and rename, so a report in the browser is never half written."""
    partial = output.with_name(output.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, output)


def _summary(output: Path, data: ReportData, started: float) -> ReportSummary:
    """What was written; the page's warnings and a one-line summary go to the log."""
    for warning in data.warnings:
        log.warning("%s", warning)
    summary = ReportSummary(str(output), len(data.table), data.n_rows_total, len(data.models),
                            output.stat().st_size, time.perf_counter() - started, tuple(data.warnings))
    log.info("report %s: %d rows, %.1f MB, %.1f s", output, summary.n_rows, summary.size_bytes / 1e6, summary.seconds)
    return summary
