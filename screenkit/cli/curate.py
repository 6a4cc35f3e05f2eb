"""``screenkit curate``: curate a raw ChEMBL record file into a dataset."""

from __future__ import annotations

import sys

from ..config import load_panel
from ..curation.curate import CurationResult, curate_file
from ..curation.records import CurationConfig


def add_rule_options(p) -> None:
    """Curation options shared by ``curate`` and ``fetch``."""
    d = CurationConfig()
    g = p.add_argument_group("curation rules")
    g.add_argument("--min-confidence", type=int, default=d.min_confidence_score, metavar="N",
                   help="minimum assay confidence score, 9 = direct single protein (default: %(default)s)")
    g.add_argument("--assay-types", default=",".join(d.assay_types), metavar="TYPES",
                   help="assay types kept: B binding, F functional (default: %(default)s)")
    g.add_argument("--allow-validity-comment", action="append", default=[], metavar="TEXT",
                   help="keep records with this data_validity_comment, e.g. 'Manually validated' (repeatable)")
    g.add_argument("--keep-duplicates", action="store_true", help="keep records marked potential_duplicate")
    g.add_argument("--keep-mutants", action="store_true", help="keep records from variant-protein assays")
    g.add_argument("--drop-censored", action="store_true", help="exclude censored values (<, >) instead of keeping "
                                                                 "them as pActivity bounds")
    g.add_argument("--max-spread", type=float, default=d.max_replicate_spread, metavar="LOG",
                   help="flag replicates whose pActivity range exceeds this (default: %(default)s)")
    g.add_argument("--drop-discordant", action="store_true", help="exclude instead of flag replicates beyond --max-spread")
    g.add_argument("--modality", default="", metavar="MODES",
                   help="keep only records of these modalities, comma-separated, e.g. 'agonist' for an agonist "
                        "target's EC50 (from ChEMBL's action_type, else the assay description; add 'unknown' to keep "
                        "records without either; default: all)")
    g.add_argument("--min-compounds", type=int, default=d.min_compounds, metavar="N",
                   help="report (target, activity type) with fewer compounds as too thin for a model "
                        "(default: %(default)s)")


def config_from_args(args) -> CurationConfig:
    return CurationConfig(
        min_confidence_score=args.min_confidence,
        assay_types=tuple(t.strip() for t in args.assay_types.split(",") if t.strip()),
        allowed_validity_comments=tuple(args.allow_validity_comment),
        drop_potential_duplicates=not args.keep_duplicates, drop_mutants=not args.keep_mutants,
        keep_censored=not args.drop_censored, max_replicate_spread=args.max_spread,
        drop_discordant=args.drop_discordant, min_compounds=args.min_compounds,
        modalities=tuple(m.strip() for m in args.modality.split(",") if m.strip()),
    )


def report(result: CurationResult) -> None:
    """Print the per-target summary and where the files went."""
    s = result.summary
    columns = ["target_chembl_id", "gene", "records_in", "records_kept", "records_excluded", "dataset_rows",
               "rows_per_type", "too_little_data"]
    print(s[columns].to_string(index=False) if len(s) else "no records")
    rules = {c.removeprefix("excluded_"): int(s[c].sum()) for c in s.columns if c.startswith("excluded_")}
    excluded = ", ".join(f"{r} {n}" for r, n in rules.items() if n)
    print(f"excluded by rule: {excluded or 'none'}")
    thin = s[s["too_little_data"] != ""]
    if len(thin):
        print("too little data for a model (not trained by 'screenkit train'): "
              + "; ".join(f"{r.gene or r.target_chembl_id} {r.too_little_data}" for r in thin.itertuples()),
              file=sys.stderr)
    p = result.paths
    print(f"wrote {len(result.dataset)} rows to {p['dataset']}; log {p['log'].name}, summary {p['summary'].name}, "
          f"provenance {p['provenance'].name}")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "curate", help="curate raw ChEMBL records (from 'screenkit fetch') into a dataset",
        description="Filter raw ChEMBL activity records (human single protein, confidence >= 8, B/F assays, nM, "
                    "pChEMBL present, no validity comment, no potential duplicate, no mutant), standardise "
                    "structures to the parent, and aggregate to one row per (InChIKey, target, activity type) with "
                    "median pActivity, spread and count. Censored values are kept as bounds on the pActivity "
                    "scale. Every excluded record is written to DATASET.log.csv with its rule. A ChEMBL website "
                    "export has no activity IDs (record numbers are used) and no confidence score (8, the lower "
                    "bound for a single-protein target, is assumed).",
    )
    p.add_argument("raw", metavar="RAW", help="raw record CSV, e.g. X.raw.csv written by screenkit fetch, or a "
                                              "bioactivity export downloaded from the ChEMBL website (';'-separated)")
    p.add_argument("-o", "--output", required=True, metavar="DATASET", help="dataset to write (.csv or .csv.gz)")
    p.add_argument("--panel", metavar="FILE", help="panel TOML file for gene symbols (default: the bundled panel)")
    add_rule_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    result = curate_file(args.raw, args.output, panel=load_panel(args.panel), config=config_from_args(args))
    report(result)
    return 0
