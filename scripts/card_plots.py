"""Write the card plots (ROC, PR, reliability or predicted-vs-measured) of already trained models.

For each model of a bundle made by ``screenkit train``, recompute the out-of-fold predictions
under exactly the protocol its card records (same dataset, checked by sha256; same hold-out,
pool, folds, seeds, featurizer and estimator; no y-randomisation, no final fit), check that they
reproduce the card's cross-validated figures (SAR ROC-AUC and PR-AUC of the model and of the
similarity baseline, to 3 decimals), and only then write ``<model>.plots.npz`` and the SVGs
into the model folder, add them to the card and update the manifest through
``screenkit.model.bundle_write.update_model_files``. A model whose figures do not reproduce is not
touched and the script exits 1; a model not made by ``screenkit train`` (BBB_B3DB, built by
``scripts/build_bbb_model.py``) is skipped with the reason.

    nice -n 10 python scripts/card_plots.py                      # every bundled model
    python scripts/card_plots.py --models my_models --data-dir . # another bundle
    python scripts/card_plots.py --names JAK1_Ki,TYK2_Ki -v      # some, with per-fold progress
    python scripts/card_plots.py --redraw                        # only redraw from the stored plots.npz
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.errors import ScreenkitError, UsageError  # noqa: E402
from screenkit.hashing import file_sha256  # noqa: E402
from screenkit.model.bundle import load_bundle  # noqa: E402
from screenkit.model.bundle_write import update_model_files  # noqa: E402
from screenkit.model.card import ModelCard, card_markdown  # noqa: E402
from screenkit.model.plots import DATA_FILE, PlotData, fold_mean, model_plots  # noqa: E402
from screenkit.model.recompute import recompute_plot_data  # noqa: E402
from screenkit.progress import StepLog  # noqa: E402

TOLERANCE = 0.0005  # the card's figures are kept to 4 decimals; agreement to 3 is required


def find_file(name: str | None, data_dir: Path, sha256: str | None = None) -> Path | None:
    """The file called ``name`` under ``data_dir`` (with that sha256 when given), or None."""
    if not name:
        return None
    matches = sorted(p for p in data_dir.rglob(name) if p.is_file())
    if sha256:
        matches = [p for p in matches if file_sha256(p) == sha256]
    if not matches:
        raise UsageError(f"no file {name}" + (f" with sha256 {sha256[:16]}..." if sha256 else "")
                         + f" under {data_dir}; pass --data-dir")
    return matches[0]


def card_figures(card: ModelCard) -> dict[str, float | None]:
    return {"model roc_auc": card.sar("roc_auc"), "model pr_auc": card.sar("pr_auc"),
            "baseline roc_auc": card.baseline_sar("roc_auc"), "baseline pr_auc": card.baseline_sar("pr_auc")}


def compare(card: ModelCard, data) -> list[str]:
    """Figures that do not reproduce, as readable lines (empty: all agree)."""
    problems = []
    for key, expected in card_figures(card).items():
        who, metric = key.split()
        got, _, _ = fold_mean(data, metric, "score" if who == "model" else "baseline")
        if expected is None:
            problems.append(f"the card has no SAR {key}")
        elif not abs(got - expected) <= TOLERANCE:
            problems.append(f"SAR {key}: recomputed {got:.4f}, card {expected:.4f}")
    return problems


def recompute(card: ModelCard, args, steps: StepLog, pools: dict):
    """The card's out-of-fold predictions, from the files it names (found under ``--data-dir``)."""
    d = card.data
    dataset = find_file(d.get("dataset"), args.data_dir, d.get("dataset_sha256"))
    holdout = find_file(d.get("holdout"), args.data_dir)
    pool = find_file(d.get("putative_inactive_pool"), args.data_dir)
    return recompute_plot_data(card, dataset, pool=pool, holdout=holdout, n_jobs=args.n_jobs, steps=steps,
                               pools=pools)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models", help="model folder (default: models/)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data",
                        help="where the cards' dataset, hold-out and pool files are found by name (default: data/)")
    parser.add_argument("--names", help="comma-separated model names (default: every model in the folder)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--check-only", action="store_true", help="recompute and compare, write nothing")
    parser.add_argument("--redraw", action="store_true",
                        help="redraw the SVGs of models that have plots.npz from it (after a change to the drawing), "
                             "without recomputing; the stored data must still reproduce the card")
    parser.add_argument("-v", "--verbose", action="store_true", help="per-fold progress on stderr")
    args = parser.parse_args(argv)
    steps = StepLog(enabled=args.verbose or sys.stderr.isatty())
    names = args.names.split(",") if args.names else None
    failed, pools = 0, {}
    for info in load_bundle(args.models, names, with_estimators=False):
        typed, card = info.card, info.card.to_json()
        if not typed.training_config:
            print(f"{info.name}: skipped, not made by `screenkit train` (its card records no training_config)")
            continue
        started = time.perf_counter()
        if args.redraw and DATA_FILE not in info.files:
            print(f"{info.name}: skipped, no {DATA_FILE} to redraw from")
            continue
        try:
            data = PlotData.from_file(info.files[DATA_FILE]) if args.redraw else \
                recompute(typed, args, steps, pools)
        except ScreenkitError as exc:
            print(f"{info.name}: FAILED: {exc}")
            failed += 1
            continue
        problems = compare(typed, data)
        seconds = time.perf_counter() - started
        if problems:
            print(f"{info.name}: FAILED to reproduce the card ({'; '.join(problems)}); nothing written ({seconds:.0f} s)")
            failed += 1
            continue
        figures = ", ".join(f"{k} {v:.3f}" for k, v in card_figures(typed).items())
        if args.check_only:
            print(f"{info.name}: reproduces the card ({figures}); {seconds:.0f} s")
            continue
        files = model_plots(typed, data)
        update_model_files(args.models, info.name, files, {**card, "plots": typed.plots}, card_markdown)
        print(f"{info.name}: reproduces the card ({figures}); wrote {', '.join(sorted(typed.plots.values()))} "
              f"in {seconds:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
