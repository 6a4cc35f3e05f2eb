"""``screenkit train``: fit per-target models from a curated dataset, or one model from your own data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..chem.featurize import FEATURIZERS
from ..config import bundled_path, load_panel
from ..curation.measurements import UNITS
from ..errors import UsageError, check_count
from ..model.ensemble import ENSEMBLES
from ..model.estimators import ESTIMATORS
from ..model.search import thread_limit
from ..model.split import SPLITS
from ..model.train import train_models, train_on_data
from ..model.trainconfig import TASKS, TrainConfig
from ..progress import StepLog
from .runconfig import add_config_options, apply_config, file_hashes, resolved_options, write_config


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train", help="train one model per target and activity type, or one model on your own measurements",
        description="Train a model per (target, activity type) of a curated dataset (default: random forest on "
                    "Morgan fingerprints, active at the panel's threshold, with putative inactives drawn by sphere "
                    "exclusion from a ZINC lead-like pool), or with --data one model on your own measurements. "
                    "Every model is validated on folds of whole similarity clusters (default), with putative "
                    "inactives picked inside each fold, metrics on measured compounds beside a similarity-search "
                    "baseline, y-randomisation, calibration and conformal coverage on held-out folds, and an "
                    "applicability-domain threshold. Writes skops models, training-set fingerprints, model "
                    "cards and a sha256 manifest to OUT.",
    )
    p.add_argument("dataset", nargs="?", metavar="DATASET",
                   help="curated dataset CSV/Parquet (default: the bundled data/chembl_bundled.csv)")
    p.add_argument("-o", "--output", metavar="OUT", help="model folder to write (required; may come from --config)")
    _add_own_data_options(p)
    p.add_argument("--panel", metavar="FILE", help="panel TOML file (default: the bundled data/panel.toml)")
    p.add_argument("--targets", metavar="IDS", help="comma-separated ChEMBL IDs or genes (default: all in the dataset)")
    p.add_argument("--modality", metavar="MODE",
                   help="keep only measurements of this modality, e.g. agonist for an agonist target's EC50 "
                        "(comma-separated for several; needs a dataset with a modality column from "
                        "`screenkit fetch`/`curate`; rows that mix modalities or have none are dropped)")
    p.add_argument("--holdout", metavar="CSV",
                   help="compounds (smiles and/or inchikey columns) kept out of training with every compound at "
                        "Tanimoto >= --holdout-similarity to one, e.g. data/examples/positive_controls.csv")
    p.add_argument("--pool", metavar="CSV", help="putative-inactive pool with a 'smiles' column "
                                                  "(default: the bundled ZINC lead-like pool)")
    d = TrainConfig()
    _add_model_options(p, d)
    _add_validation_options(p, d)
    p.add_argument("--seed", type=int, default=d.seed, help="random seed (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=1, help="cores for fitting and featurizing (default: %(default)s)")
    add_config_options(p)  # --config run.toml / --write-config; resolved options go to OUT/run_config.json
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a line per step on stderr: reading, pool, each CV fold, y-randomisation permutation, final "
                        "fit (default: on a terminal, or with -v)")
    p.set_defaults(run=run)


def _add_own_data_options(p) -> None:
    """Options for one model on the user's own measurements (``--data``)."""
    own = p.add_argument_group("your own data (instead of DATASET)")
    own.add_argument("--data", metavar="FILE", help="measurements: CSV/TSV, SDF or Parquet")
    own.add_argument("--smiles-col", metavar="COL", help="SMILES column (not needed for SDF)")
    own.add_argument("--value-col", metavar="COL", help="measured value column")
    own.add_argument("--units", choices=UNITS, default="pactivity",
                     help="units of the value: pactivity (-log10 M), nM, uM, M, or label (0/1) (default: %(default)s)")
    own.add_argument("--relation-col", metavar="COL", help="column with =, <, > (censored values)")
    own.add_argument("--year-col", metavar="COL", help="year column (for --split temporal)")
    own.add_argument("--threshold", type=float, metavar="T",
                     help="active if pActivity >= T (default 6.0, i.e. 1 uM; 0.5 for --units label)")
    own.add_argument("--name", metavar="NAME", help="model name, used in score columns (default: file stem)")


def _add_model_options(p, d: TrainConfig) -> None:
    """Featurizer, estimator, ``--auto`` search and putative-inactive options."""
    m = p.add_argument_group("model")
    m.add_argument("--task", choices=TASKS, default=d.task, help="default: %(default)s")
    m.add_argument("--featurizer", choices=list(FEATURIZERS), default=d.featurizer, help="default: %(default)s")
    m.add_argument("--featurizer-params", metavar="JSON", default="{}",
                   help='featurizer parameters, e.g. \'{"counts": true}\'')
    m.add_argument("--estimator", choices=ESTIMATORS + ENSEMBLES, default=d.estimator,
                   help="default: %(default)s; soft_voting takes --estimator-params '{\"members\": [...]}' as an "
                        "--auto card records them")
    m.add_argument("--estimator-params", metavar="JSON", default="{}", help='estimator parameters, e.g. \'{"C": 5}\'')
    m.add_argument("--auto", action="store_true",
                   help="search featurizer x estimator x key hyperparameters (and ensembles of the best) on the "
                        "first folds of the split, by SAR ROC-AUC and margin over similarity search (RMSE for "
                        "regression), within --time-budget, and keep the best (ignores --featurizer/--estimator)")
    m.add_argument("--time-budget", type=float, default=d.time_budget, metavar="S",
                   help="seconds for the whole --auto search, split evenly over targets; held within 10 %% plus "
                        "one fold (default: %(default)s)")
    m.add_argument("--putative-inactive-ratio", type=float, default=None, metavar="R",
                   help=f"putative inactives per measured compound; 0 disables them (default: "
                        f"{d.putative_inactive_ratio} for DATASET, 0 for --data; classification only)")
    m.add_argument("--radius", type=int, default=d.fp_radius, help="Morgan radius (default: %(default)s)")
    m.add_argument("--fp-size", type=int, default=d.fp_size, help="fingerprint bits (default: %(default)s)")
    m.add_argument("--n-estimators", type=int, default=d.n_estimators, help="trees per forest (default: %(default)s)")
    m.add_argument("--censored", choices=("exclude", "bound"), default=d.censored,
                   help="regression: drop censored values, or train on their bound (default: %(default)s)")


def _add_validation_options(p, d: TrainConfig) -> None:
    """Split, folds, y-randomisation, base rate, hold-out and minimum-size options."""
    v = p.add_argument_group("validation")
    v.add_argument("--split", choices=SPLITS, default=d.split,
                   help="cross-validation groups: cluster (Butina, hard), scaffold, temporal (document year); "
                        "random is for comparison only (default: %(default)s)")
    v.add_argument("--n-folds", type=int, default=d.n_folds, help="default: %(default)s")
    v.add_argument("--y-randomisation", type=int, default=d.y_randomisation_permutations, metavar="N",
                   help="permutations of the y-randomisation control, each over every fold; 0 disables it "
                        "(default: %(default)s)")
    v.add_argument("--library-base-rate", type=float, default=d.library_base_rate, metavar="R",
                   help="active share of the libraries you screen, for the prior-corrected probability in the "
                        "card (default: %(default)s)")
    v.add_argument("--holdout-similarity", type=float, default=d.holdout_similarity, metavar="S",
                   help="with --holdout, also drop training compounds at Tanimoto >= S to a hold-out compound "
                        "(default: %(default)s)")
    v.add_argument("--min-compounds", type=int, default=d.min_compounds,
                   help="skip targets with fewer measured compounds (default: %(default)s)")


def _json_option(text: str, option: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{option} {text!r} is not JSON ({exc}); write e.g. '{{\"C\": 5}}'") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option} {text!r} must be a JSON object, e.g. '{{\"C\": 5}}'")
    return value


def _report(model) -> None:
    card = model.card
    m, d = card.validation["metrics"], card.data
    key = "roc_auc" if card.task == "classification" else "r2"
    extra = (f", measured-only ROC-AUC {m['roc_auc_measured_only']['mean']:.3f}"
             if m.get("roc_auc_measured_only", {}).get("mean") is not None else "")
    sd = m[key]["sd"] if m[key]["sd"] is not None else float("nan")
    print(f"{model.name}: {d['n_measured']} measured + {d['n_putative_inactives']} putative inactives; "
          f"{card.featurizer['name']} + {card.estimator['name']}; CV {key} "
          f"{m[key]['mean']:.3f} ± {sd:.3f}{extra}; {card.training_seconds:.0f} s", flush=True)


def check_options(args) -> None:
    """Numeric options, checked before any data is read: each bad value is one line, exit 2."""
    check_count("--fp-size", args.fp_size)
    check_count("--radius", args.radius, minimum=0)
    check_count("--n-estimators", args.n_estimators)
    check_count("--n-folds", args.n_folds, minimum=2)
    check_count("--min-compounds", args.min_compounds)
    check_count("--n-jobs", args.n_jobs, allow_negative=True)
    for option, value in (("--time-budget", args.time_budget), ("--putative-inactive-ratio",
                                                                  args.putative_inactive_ratio)):
        if value is not None and not (value >= 0 and value != float("inf")):
            raise UsageError(f"{option} must be a finite number of at least 0, not {value!r}")
    if args.threshold is not None and args.threshold != args.threshold:
        raise UsageError("--threshold must be a number, not nan")


def run(args) -> int:
    args = apply_config(args, "train", getattr(args, "command_argv", []))
    if not args.output:
        args.parser.error("train needs -o OUT (on the command line or in --config)")
    check_options(args)
    options = resolved_options(args)
    if args.write_config:
        write_config(args.write_config, "train", options, file_hashes(options))
    if args.data and args.dataset:
        raise UsageError("give either DATASET (a curated ChEMBL-style table) or --data FILE (your measurements), "
                         "not both")
    if args.data and args.modality:
        raise UsageError("--modality filters a curated dataset's modality column; --data measurements have none")
    if args.data and not args.value_col:
        raise UsageError("--data needs --value-col (and --smiles-col unless it is an SDF)")
    ratio = args.putative_inactive_ratio
    if ratio is None:
        ratio = 0.0 if args.data else TrainConfig().putative_inactive_ratio
    config = TrainConfig(
        task=args.task, featurizer=args.featurizer,
        featurizer_params=_json_option(args.featurizer_params, "--featurizer-params"),
        estimator=args.estimator, estimator_params=_json_option(args.estimator_params, "--estimator-params"),
        fp_radius=args.radius, fp_size=args.fp_size, n_estimators=args.n_estimators,
        putative_inactive_ratio=ratio, split=args.split, n_folds=args.n_folds, min_compounds=args.min_compounds,
        y_randomisation_permutations=args.y_randomisation, holdout_similarity=args.holdout_similarity,
        library_base_rate=args.library_base_rate,
        censored=args.censored, auto=args.auto, time_budget=args.time_budget, seed=args.seed, n_jobs=args.n_jobs,
    )
    show = args.progress if args.progress is not None else (sys.stderr.isatty() or getattr(args, "verbose", False))
    steps = StepLog(enabled=show)
    with thread_limit(args.n_jobs):  # BLAS/OpenMP (hist_gb) pools follow --n-jobs too
        if args.data:
            models = train_on_data(args.data, args.output, smiles_col=args.smiles_col, value_col=args.value_col,
                                   name=args.name, threshold=args.threshold, units=args.units,
                                   relation_col=args.relation_col, year_col=args.year_col, pool=args.pool,
                                   config=config, progress=_report, steps=steps)
        else:
            models = train_models(
                args.dataset or bundled_path("data/chembl_bundled.csv"), args.output, load_panel(args.panel),
                targets=args.targets.split(",") if args.targets else None, holdout=args.holdout, pool=args.pool,
                config=config, progress=_report, steps=steps, modality=args.modality,
            )
    # the run's every effective option, for `screenkit train --config OUT/run_config.json`
    (Path(args.output) / "run_config.json").write_text(json.dumps(
        {"config": {"command": "train", "options": options, "sha256": file_hashes(options)}}, indent=2) + "\n")
    print(f"wrote {len(models)} model(s) to {args.output}")
    return 0
