"""``screenkit score``: rank a compound library against the panel models."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..screen.run import screen_library


def add_parser(sub) -> None:
    p = sub.add_parser(
        "score", help="score and rank a compound library (SDF, SMILES, CSV; .gz too)",
        description="Score every record of LIBRARY with every model and write one row per record, "
                    "best first. Records that cannot be scored are kept, at the end, with status 'error' "
                    "and a reason. overall_score is the weighted geometric mean of the profile's desirabilities "
                    "(activity with applicability domain, CNS MPO, QED, structural alerts); rank_reason says why.",
    )
    p.add_argument("library", metavar="LIBRARY", help="SDF (.sdf), SMILES (.smi: SMILES then optional name) "
                                                      "or CSV/TSV with a SMILES column; gzipped files too; "
                                                      "- reads standard input (with --format)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file: .csv (table) or .sdf (input structures and data items plus the scores); "
                        "OUT.meta.json records provenance")
    p.add_argument("--models", metavar="DIR", help="model folder (default: the bundled models)")
    p.add_argument("--format", choices=["sdf", "smiles", "csv", "tsv"],
                   help="library format when the file name does not say it")
    p.add_argument("--smiles-col", metavar="COL", help="CSV/TSV column holding SMILES (default: guessed, e.g. 'smiles')")
    p.add_argument("--id-col", metavar="COL", help="CSV/TSV column holding compound IDs (default: guessed, e.g. 'id')")
    p.add_argument("--id-field", metavar="PROP", help="SDF data item to use as compound ID instead of the title line")
    p.add_argument("--n-jobs", type=int, default=1, metavar="N",
                   help="worker processes; -1 uses all cores; with --backend dask the default uses every "
                        "worker of the cluster (default: 1)")
    p.add_argument("--chunk-size", type=int, default=1000, metavar="N",
                   help="records per worker task and per checkpoint (default: 1000)")
    p.add_argument("--profile", metavar="PROFILE", default=None,
                   help="ranking profile: a TOML file or a bundled name: leukodystrophy (default: activity, "
                        "CNS MPO, QED, structural alerts, property filters) or activity (prediction only, fastest)")
    p.add_argument("--base-rate", type=float, metavar="R", default=None,
                   help="share of the library you expect to be active at a model's threshold; <model>_p_active "
                        "is the probability in such a library (default: the profile's base_rate, 0.01 in the "
                        "bundled profiles: the upper end of single-target HTS hit rates)")
    p.add_argument("--pareto", action="store_true",
                   help="write only the compounds no other compound beats on every objective of the profile")
    p.add_argument("--top", type=int, metavar="K",
                   help="write only the best K rows to OUT; OUT.status.csv still lists every record")
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
                   help="show a progress bar (default: only on a terminal)")
    p.set_defaults(run=run)


def run(args) -> int:
    # '-' is standard input; screen_library copies a pipe to a temporary file before reading it
    library = "/dev/stdin" if args.library == "-" else args.library
    summary = screen_library(
        library, args.output, models_dir=args.models, fmt=args.format, smiles_col=args.smiles_col,
        id_col=args.id_col, id_field=args.id_field, n_jobs=args.n_jobs, chunk_size=args.chunk_size,
        run_size=args.run_size, backend=args.backend, scheduler=args.scheduler, top=args.top, resume=args.resume,
        profile=args.profile, pareto=args.pareto, base_rate=args.base_rate,
        progress=args.progress, command=shlex.join(["screenkit"] + sys.argv[1:]),
    )
    resumed = f" ({summary.n_resumed} from the interrupted run)" if summary.n_resumed else ""
    print(f"scored {summary.n_records} records{resumed} from {summary.library}: {summary.n_ok} ok, "
          f"{summary.n_warning} with warnings, {summary.n_error} not scored (status 'error'); "
          f"{len(summary.models)} models; {summary.molecules_per_second:.0f} molecules/s; p_active is the "
          f"probability of activity in a library with {summary.base_rate:g} actives")
    print(f"ranked output: {summary.output} ({summary.n_written} rows)  every record's status: "
          f"{summary.status_file}  provenance: {summary.metadata}")
    if summary.unmodelled:
        print(f"not covered: {len(summary.unmodelled)} default-panel targets have no model "
              f"({', '.join(summary.unmodelled)}); no compound is ranked for them. Get one with "
              "`screenkit fetch --targets GENE` and `screenkit train` (see the README)")
    return 0
