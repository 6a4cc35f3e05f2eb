"""``screenkit report``: the HTML review report of a ranked file."""

from __future__ import annotations

from ..report import write_report


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report", help="write a self-contained HTML review report of a ranked file",
        description="Write one HTML file (works offline, no network requests) for reviewing a ranking: every "
                    "row (or the top N) in a sortable, filterable table or grid with structures drawn in the browser, "
                    "substructure and similarity search, scaffold series with per-target values, keep/maybe/reject "
                    "marks and comments exported as CSV or SDF, the most similar measured training compounds behind "
                    "each prediction, linked plots, run provenance and the models' validation figures. The ranking "
                    "itself is not changed.",
    )
    p.add_argument("ranked", metavar="RANKED.csv", help="ranked CSV written by `screenkit score`")
    p.add_argument("-o", "--output", required=True, metavar="HTML", help="report file to write, e.g. report.html")
    p.add_argument("--models", metavar="DIR",
                   help="model folder the file was scored with (evidence neighbours; default: the bundled models)")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="rows on the page: the first N of RANKED.csv (default: all)")
    p.add_argument("--marks", metavar="CSV",
                   help="review marks exported from a report page (id,mark,comment) to carry into this report")
    p.add_argument("--evidence-rows", type=int, default=2000, metavar="N",
                   help="rows whose nearest measured training compounds are embedded (default: 2000)")
    p.add_argument("--n-jobs", type=int, default=1, metavar="N",
                   help="processes for the per-row chemistry: parsing, scaffolds, alert atoms (default: 1)")
    p.add_argument("--meta", metavar="FILE", help="run metadata (default: RANKED.csv.meta.json, if present)")
    p.add_argument("--dataset", metavar="CSV",
                   help="training dataset (screenkit fetch/curate output) that supplies ChEMBL molecule and activity "
                        "IDs for the evidence neighbours (default: the bundled dataset when the model cards name it)")
    p.add_argument("--title", metavar="TEXT", help="page title (default: 'screenkit review: <file name>')")
    p.set_defaults(run=run)


def run(args) -> int:
    summary = write_report(args.ranked, args.output, models_dir=args.models, top=args.top, meta=args.meta,
                           title=args.title, dataset=args.dataset, marks=args.marks,
                           evidence_rows=args.evidence_rows, n_jobs=args.n_jobs)
    print(f"report: {summary.output} ({summary.n_rows} of {summary.n_rows_total} rows, {summary.n_models} models, "
          f"{summary.size_bytes / 1e6:.1f} MB, {summary.seconds:.1f} s)")
    for warning in summary.warnings:
        print(f"note: {warning}")
    return 0
