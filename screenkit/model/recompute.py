"""The data behind a trained model's plots, recomputed under the protocol its card records.

For ``scripts/card_plots.py``: a bundle trained before the plots existed gets them without
retraining, and a redraw can be checked against the card's cross-validated figures first.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..chem.featurize import featurizer_spec, make_featurizer
from ..curation.dataset import read_dataset, select_targets
from ..errors import UsageError
from ..progress import StepLog
from .calibration import out_of_fold_record
from .card import ModelCard
from .crossval import cross_validate, estimator_factory
from .fitting import announce_fits
from .plots import PlotData
from .problem import build_problem, holdout_filter, load_pool
from .trainconfig import TrainConfig

__all__ = ["recompute_plot_data"]


def _recorded_choice(card: ModelCard, config: TrainConfig) -> tuple[dict, dict]:
    """The featurizer and estimator choice a card's model was validated with."""
    auto = card.auto_search
    if auto and auto.get("candidates"):
        best = max(auto["candidates"], key=lambda c: c["score"])  # the first best, as auto_search keeps it
        return best["featurizer"], best["estimator"]
    return config.featurizer_choice(), config.estimator_choice()


def recompute_plot_data(card: ModelCard, dataset: str | Path, *, pool: str | Path | None = None,
                        holdout: str | Path | None = None, n_jobs: int = 1, steps: StepLog | None = None,
                        pools: dict | None = None) -> PlotData:
    """The out-of-fold predictions of a trained model, recomputed under the protocol its card records.

    Same data (rows of the card's target and activity type, the same hold-out), folds,
    putative inactives, seeds, featurizer and estimator as :func:`~screenkit.model.train.train_models` or
    :func:`~screenkit.model.train.train_on_data` used; y-randomisation, the temporal check and the final fit are
    skipped. Compare :func:`~screenkit.model.plots.fold_mean` of the result with the card's
    figures before trusting it. ``pools`` (a dict the caller keeps) saves fingerprinting the
    same putative-inactive pool again for every model.

    Raises
    ------
    UsageError
        If the card records no training configuration (a model not made by ``screenkit
        train``), or its featurizer is not the one the configuration gives.
    """
    steps = steps or StepLog()
    name = card.name
    config = _recorded_config(card, n_jobs)
    featurizer, estimator = _recorded_choice(card, config)
    _check_featurizer(card, featurizer)
    threshold = card.label_threshold
    steps.start(f"{name}: reading {Path(dataset).name}")
    table = _recorded_rows(card, dataset, holdout, config)
    pool_smiles, pool_fps, _ = _cached_pool(pool, config, pools, steps, name)
    steps.start(f"{name}: {len(table)} rows: {config.split} folds"
                + (" and putative inactives" if config.task == "classification" and len(pool_smiles) else ""))
    problem, _ = build_problem(table, threshold, pool_smiles, pool_fps, config)
    steps.start(f"{name}: featurizing {len(problem.smiles)} rows ({featurizer['name']})")
    X = problem.features(featurizer, n_jobs)
    build = announce_fits(estimator_factory(featurizer, estimator, problem.task, config), steps, name,
                          len(problem.folds), 0)
    preds = cross_validate(problem, X, build)
    steps.end()
    return PlotData.from_record(problem.task, threshold, out_of_fold_record(problem, preds, config.calibrate))


def _recorded_config(card: ModelCard, n_jobs: int) -> TrainConfig:
    """The card's training configuration, without y-randomisation or --auto (the choice is already made)."""
    recorded = card.training_config
    if not recorded:
        raise UsageError(f"{card.name}: the card records no training_config; it was not made by `screenkit train`, "
                         "so its protocol cannot be rerun here")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{**{k: v for k, v in recorded.items() if k in known}, "y_randomisation_permutations": 0,
                          "auto": False, "n_jobs": n_jobs})


def _check_featurizer(card: ModelCard, featurizer: dict) -> None:
    """Refuse a configuration whose featurizer is not the one the card records (n_jobs aside)."""
    spec = featurizer_spec(make_featurizer(featurizer["name"], **featurizer["params"]))
    if {**spec["params"], "n_jobs": 1} != {**card.featurizer["params"], "n_jobs": 1} or \
            spec["name"] != card.featurizer["name"]:
        raise UsageError(f"{card.name}: the recorded configuration gives featurizer {spec}, but the card says "
                         f"{card.featurizer}; cannot reproduce it")


def _recorded_rows(card: ModelCard, dataset: str | Path, holdout: str | Path | None, config: TrainConfig):
    """The rows the model was trained on: its target and activity type of a curated dataset, without the
    hold-out, or a user's measurements read with the columns and units the card names."""
    if card.target_chembl_id:
        table = select_targets(read_dataset(dataset), [card.target_chembl_id])
        table = table[table["activity_type"] == card.activity_type]
        table, _ = holdout_filter(table, Path(holdout) if holdout else None, config.holdout_similarity)
        return table
    from ..curation.measurements import read_measurements  # a model of the user's own data (train_on_data)

    columns = card.data.get("columns") or {}
    value_col = columns.get("value")
    if not value_col:
        raise UsageError(f"{card.name}: the card names no measured-value column (data.columns.value); "
                         "cannot reproduce it")
    return read_measurements(dataset, smiles_col=columns.get("smiles"), value_col=value_col,
                             units=card.data.get("units", "pactivity"), relation_col=columns.get("relation"),
                             year_col=columns.get("year")).table


def _cached_pool(pool: str | Path | None, config: TrainConfig, pools: dict | None, steps: StepLog, name: str):
    """The putative-inactive pool as :func:`load_pool` gives it, kept in ``pools`` when the caller passes one."""
    key = (str(pool), config.task, config.putative_inactive_ratio > 0)
    if pools is None or key not in pools:
        steps.start(f"{name}: fingerprinting the putative-inactive pool")
        loaded = load_pool(pool, config)
        if pools is not None:
            pools[key] = loaded
    return pools[key] if pools is not None else loaded
