"""``screenkit train``: fit per-target models from a curated dataset."""

from __future__ import annotations

from ..config import bundled_path, load_panel
from ..train import TrainConfig, train_models


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train", help="train one model per target and activity type from a curated dataset",
        description="Train a random-forest classifier (Morgan fingerprints; active at the panel's threshold) "
                    "per (target, activity type), validated on Bemis-Murcko scaffold folds, with putative "
                    "inactives drawn by sphere exclusion from a ZINC lead-like pool. Writes skops models, "
                    "training-set fingerprints, model cards and a sha256 manifest to OUT.",
    )
    p.add_argument("dataset", nargs="?", metavar="DATASET",
                   help="curated dataset CSV/Parquet (default: the bundled data/chembl_bundled.csv)")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="model folder to write")
    p.add_argument("--panel", metavar="FILE", help="panel TOML file (default: the bundled data/panel.toml)")
    p.add_argument("--targets", metavar="IDS", help="comma-separated ChEMBL IDs or genes (default: all in the dataset)")
    p.add_argument("--holdout", metavar="CSV",
                   help="compounds (inchikey, scaffold columns) kept out of training, e.g. "
                        "data/examples/positive_controls.csv")
    p.add_argument("--pool", metavar="CSV", help="putative-inactive pool with a 'smiles' column "
                                                  "(default: the bundled ZINC lead-like pool)")
    defaults = TrainConfig()
    p.add_argument("--putative-inactive-ratio", type=float, default=defaults.putative_inactive_ratio, metavar="R",
                   help="putative inactives per measured compound; 0 disables them (default: %(default)s)")
    p.add_argument("--radius", type=int, default=defaults.fp_radius, help="Morgan radius (default: %(default)s)")
    p.add_argument("--fp-size", type=int, default=defaults.fp_size, help="fingerprint bits (default: %(default)s)")
    p.add_argument("--n-estimators", type=int, default=defaults.n_estimators,
                   help="trees per forest (default: %(default)s)")
    p.add_argument("--min-compounds", type=int, default=defaults.min_compounds,
                   help="skip targets with fewer measured compounds (default: %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=1, help="cores for fitting forests (default: %(default)s)")
    p.set_defaults(run=run)


def run(args) -> int:
    config = TrainConfig(fp_radius=args.radius, fp_size=args.fp_size, n_estimators=args.n_estimators,
                         putative_inactive_ratio=args.putative_inactive_ratio, min_compounds=args.min_compounds,
                         seed=args.seed, n_jobs=args.n_jobs)

    def report(model):
        m = model.card["validation"]["metrics"]
        print(f"{model.name}: {model.card['data']['n_measured']} measured + "
              f"{model.card['data']['n_putative_inactives']} putative inactives; scaffold-CV ROC-AUC "
              f"{m['roc_auc']['mean']:.3f} ± {m['roc_auc']['sd']:.3f}, measured-only "
              f"{m['roc_auc_measured_only']['mean']:.3f}; {model.card['training_seconds']:.0f} s", flush=True)

    models = train_models(
        args.dataset or bundled_path("data/chembl_bundled.csv"), args.output, load_panel(args.panel),
        targets=args.targets.split(",") if args.targets else None, holdout=args.holdout, pool=args.pool,
        config=config, progress=report,
    )
    print(f"wrote {len(models)} models to {args.output}")
    return 0
