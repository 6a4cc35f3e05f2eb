"""``screenkit score``: rank a compound library against the panel models."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..errors import UsageError
from ..screen.options import ScreenConfig
from ..screen.run import screen_library
from .runconfig import add_config_options, apply_config, file_hashes, resolved_options, write_config


def add_parser(sub) -> None:
    p = sub.add_parser(
        "score", help="score and rank a compound library (SDF, SMILES, CSV; .gz too)",
        description="Score every record of LIBRARY with every model and write one row per record, "
                    "best first. Records that cannot be scored are kept, at the end, with status 'error' "
                    "and a reason. overall_score is the weighted geometric mean of the profile's desirabilities "
                    "(activity with applicability domain, CNS MPO, QED, structural alerts); rank_reason says why.",
    )
    _add_file_options(p)
    p.add_argument("--n-jobs", type=int, default=1, metavar="N",
                   help="worker processes; -1 uses all cores; with --backend dask the default uses every "
                        "worker of the cluster (default: 1)")
    p.add_argument("--chunk-size", type=int, default=1000, metavar="N",
                   help="records per worker task and per checkpoint (default: 1000)")
    _add_ranking_options(p)
    p.add_argument("--resume", action="store_true",
                   help="continue a run that was interrupted (OUT.work/ holds its progress); the output is "
                        "identical to an uninterrupted run")
    p.add_argument("--run-size", type=int, default=10_000, metavar="N",
                   help="rows held in memory before a sorted run is written to OUT.work/; more rows, fewer files to merge, more memory (default: 10000)")
    p.add_argument("--backend", choices=["loky", "dask"], default="loky",
                   help="loky: worker processes on this machine; dask: the workers of a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler address for --backend dask, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show a progress bar with the total and ETA (default: only on a terminal)")
    p.add_argument("--status-file", metavar="FILE",
                   help="with -o -: also write every record's status here (with a file output it is OUT.status.csv)")
    p.add_argument("--metadata", metavar="FILE",
                   help="with -o -: also write the run's provenance here (with a file output it is OUT.meta.json)")
    add_config_options(p)
    p.set_defaults(run=run)


def _add_file_options(p) -> None:
    """LIBRARY, OUT, their formats, the model folder, and where SMILES and IDs come from."""
    p.add_argument("library", metavar="LIBRARY", nargs="?",
                   help="SDF (.sdf), SMILES (.smi: SMILES then optional name), CSV/TSV with a SMILES column "
                        "(gzipped files too) or Parquet (.parquet); - reads standard input (with --format)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file: .csv (table), .sdf (input structures and data items plus the scores) or "
                        ".parquet (typed table); OUT.meta.json records provenance; - writes the ranked rows to "
                        "standard output (format from --output-format, default csv) and the summary to stderr")
    p.add_argument("--output-format", choices=["csv", "sdf", "parquet"],
                   help="format of the ranked output for -o - (with a file the name decides)")
    p.add_argument("--keep-columns", metavar="all|none|A,B", default="all",
                   help="input CSV/Parquet columns and SD data items copied into CSV/Parquet output, after the "
                        "screenkit columns; a name screenkit uses itself gets the prefix input_ (default: all)")
    p.add_argument("--models", metavar="DIR", help="model folder (default: the bundled models)")
    p.add_argument("--format", choices=["sdf", "smiles", "csv", "tsv", "parquet"],
                   help="library format when the file name does not say it")
    p.add_argument("--smiles-col", metavar="COL", help="CSV/TSV column holding SMILES (default: guessed, e.g. 'smiles')")
    p.add_argument("--id-col", metavar="COL", help="CSV/TSV column holding compound IDs (default: guessed, e.g. 'id')")
    p.add_argument("--id-field", metavar="PROP",
                   help="SDF data item (or table column) to use as compound ID; default: the title line, or when "
                        "it is blank a data item named like an ID (id, name, compound_id, catalog_id, ...)")


def _add_ranking_options(p) -> None:
    """The profile, its base rate, Pareto fronts and --top."""
    p.add_argument("--profile", metavar="PROFILE", default=None,
                   help="ranking profile: a TOML file or a bundled name: leukodystrophy (default: activity, "
                        "CNS MPO, QED, structural alerts, property filters) or activity (prediction only, fastest)")
    p.add_argument("--base-rate", type=float, metavar="R", default=None,
                   help="share of the library you expect to be active at a model's threshold; <model>_p_active "
                        "is the probability in such a library (default: the profile's base_rate, 0.01 in the "
                        "bundled profiles: the upper end of single-target HTS hit rates)")
    p.add_argument("--pareto", action="store_true",
                   help="write only the compounds of the first --fronts non-dominated fronts over the profile's "
                        "objectives (front 1: no other compound beats them on every objective), in score order, "
                        "with a pareto_rank column")
    p.add_argument("--fronts", type=int, default=1, metavar="K",
                   help="with --pareto: how many fronts to write (default: 1)")
    p.add_argument("--top", type=int, metavar="K",
                   help="write only the best K rows to OUT; OUT.status.csv still lists every record")


def run(args) -> int:
    args = apply_config(args, "score", getattr(args, "command_argv", []))
    if not args.library or not args.output:
        args.parser.error("score needs LIBRARY and -o OUT (on the command line or in --config)")
    if args.fronts != 1 and not args.pareto:
        raise UsageError("--fronts goes with --pareto")
    options = resolved_options(args)
    if args.write_config:
        write_config(args.write_config, "score", options, file_hashes(options))
    # '-' is standard input; screen_library copies a pipe to a temporary file before reading it
    library = "/dev/stdin" if args.library == "-" else args.library
    config = ScreenConfig(
        models_dir=args.models, fmt=args.format, smiles_col=args.smiles_col, id_col=args.id_col,
        id_field=args.id_field, n_jobs=args.n_jobs, chunk_size=args.chunk_size, run_size=args.run_size,
        backend=args.backend, scheduler=args.scheduler, top=args.top, resume=args.resume, profile=args.profile,
        base_rate=args.base_rate, pareto=args.pareto, fronts=args.fronts, progress=args.progress,
        output_format=args.output_format, keep_columns=args.keep_columns, status_file=args.status_file,
        metadata=args.metadata, command=shlex.join(["screenkit"] + sys.argv[1:]), cli_options=options)
    summary = screen_library(library, args.output, config)
    out = sys.stderr if args.output == "-" else sys.stdout  # standard output holds the ranked rows
    resumed = f" ({summary.n_resumed} from the interrupted run)" if summary.n_resumed else ""
    print(f"scored {summary.n_records} records{resumed} from {summary.library}: {summary.n_ok} ok, "
          f"{summary.n_warning} with warnings, {summary.n_error} not scored (status 'error'); "
          f"{len(summary.models)} models; {summary.molecules_per_second:.0f} molecules/s; p_active is the "
          f"probability of activity in a library with {summary.base_rate:g} actives", file=out)
    print(summary.id_source, file=out)
    problems = summary.id_problems
    if problems.get("blank"):
        print(f"warning: {problems['blank']} records have a blank ID (input positions "
              f"{', '.join(map(str, problems['blank_positions']))}{', ...' if problems['blank'] > 5 else ''}); "
              "rows are told apart by input_position", file=out)
    if problems.get("duplicated"):
        shown = ", ".join(repr(i) for i in problems["duplicated_ids"])
        print(f"warning: {problems['duplicated']} records share their ID with another record "
              f"(e.g. {shown}); rows are told apart by input_position", file=out)
    companions = [f"every record's status: {summary.status_file}" if summary.status_file else "",
                  f"provenance: {summary.metadata}" if summary.metadata else ""]
    print(f"ranked output: {'standard output' if args.output == '-' else summary.output} ({summary.n_written} rows)"
          + "".join(f"  {text}" for text in companions if text), file=out)
    if summary.unmodelled:
        print(f"not covered: {len(summary.unmodelled)} default-panel targets have no model "
              f"({', '.join(summary.unmodelled)}); no compound is ranked for them. Get one with "
              "`screenkit fetch --targets GENE` and `screenkit train` (see the README)", file=out)
    return 0
