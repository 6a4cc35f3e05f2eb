"""``screenkit report``: the HTML review report of a ranked file."""

from __future__ import annotations

from ..report import write_report


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report", help="write a self-contained HTML review report of a ranked file",
        description="Write one HTML file (works offline, no network requests) for reviewing a ranking: a "
                    "sortable, filterable table of the top rows with structures (alert atoms highlighted), "
                    "per-target predictions and applicability domain, properties and alerts; for each compound "
                    "the most similar measured training compounds of every model; run provenance, "
                    "distributions and a chemical-space map. The ranking itself is not changed.",
    )
    p.add_argument("ranked", metavar="RANKED.csv", help="ranked CSV written by `screenkit score`")
    p.add_argument("-o", "--output", required=True, metavar="HTML", help="report file to write, e.g. report.html")
    p.add_argument("--models", metavar="DIR",
                   help="model folder the file was scored with (evidence neighbours; default: the bundled models)")
    p.add_argument("--top", type=int, default=300, metavar="N",
                   help="rows shown in the table: the first N of RANKED.csv (default: 300)")
    p.add_argument("--meta", metavar="FILE", help="run metadata (default: RANKED.csv.meta.json, if present)")
    p.add_argument("--dataset", metavar="CSV",
                   help="training dataset (screenkit fetch/curate output) that supplies ChEMBL molecule and activity "
                        "IDs for the evidence neighbours (default: the bundled dataset when the model cards name it)")
    p.add_argument("--title", metavar="TEXT", help="page title (default: 'screenkit review: <file name>')")
    p.set_defaults(run=run)


def run(args) -> int:
    summary = write_report(args.ranked, args.output, models_dir=args.models, top=args.top, meta=args.meta,
                           title=args.title, dataset=args.dataset)
    print(f"report: {summary.output} ({summary.n_rows} of {summary.n_rows_total} rows, {summary.n_models} models, "
          f"{summary.size_bytes / 1e6:.1f} MB, {summary.seconds:.1f} s)")
    for warning in summary.warnings:
        print(f"note: {warning}")
    return 0
