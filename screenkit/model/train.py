"""Fit and validate one model per (target, activity type), and write model bundles.

This module orchestrates: it reads the data, and per (target, activity type) builds the problem
(:mod:`screenkit.model.problem`: labels, hold-out, folds, fold-clean putative inactives), fits
and validates it (:mod:`screenkit.model.fitting`, which runs :mod:`screenkit.model.validation`
and :mod:`screenkit.model.calibration`), writes the card (:mod:`screenkit.model.training_card`,
:class:`~screenkit.model.card.ModelCard`) and the plots, and saves the bundle. The settings are
:class:`~screenkit.model.trainconfig.TrainConfig`.

Why classification by default: the bundled data are measured compounds only, mostly
potent ones, and a screening library is mostly inactive. A classifier trained on
measured actives and inactives (at the panel's family-aware threshold) plus *putative
inactives* (lead-like compounds dissimilar to the measured actives, picked by sphere
exclusion as PIDGIN does) learns to tell the two apart, and its probability is what the
ranking needs. Regression is available (``task="regression"``) for dose-response data.

Every model is validated the same way: folds of whole similarity clusters (so the test
fold is chemistry the model has not seen), putative inactives picked inside each fold,
metrics on measured compounds (the headline) and on the putative inactives, the same
metrics for a max-Tanimoto similarity baseline with a paired test, y-randomisation over
every fold and several permutations, calibration and conformal coverage checked on
held-out folds, and an applicability-domain threshold. All of it goes into the card.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Panel
from ..curation.dataset import read_dataset, select_modality, select_targets
from ..errors import UsageError
from ..hashing import file_sha256
from ..progress import StepLog
from .bundle import TargetModel
from .bundle_write import save_bundle
from .card import card_markdown
from .fitting import SILENT, fit_and_validate
from .plots import check_plotting, model_plots
from .problem import build_problem, holdout_filter, load_pool
from .trainconfig import TrainConfig
from .training_card import label_section, own_target_section, target_section, training_card
from .validation import temporal_check

__all__ = ["train_models", "train_on_data", "keep_modality"]

log = logging.getLogger(__name__)

DEFAULTS = TrainConfig()
OWN_DATA_DEFAULTS = TrainConfig(putative_inactive_ratio=0.0)  # an in-house assay usually has its own inactives


def _train_one(name: str, target: dict, activity_type: str, label: dict, rows: pd.DataFrame,
               pool_smiles: np.ndarray, pool_fps: np.ndarray, config: TrainConfig, provenance: dict,
               budget: float = 0.0, steps: StepLog = SILENT, step_label: str = "") -> TargetModel:
    started = time.perf_counter()
    step_label = step_label or name
    threshold = float(label["threshold"])
    steps.start(f"{step_label}: {len(rows)} rows: {config.split} folds"
                + (" and putative inactives" if config.task == "classification" and len(pool_smiles) else ""))
    problem, parts = build_problem(rows, threshold, pool_smiles, pool_fps, config)
    result = fit_and_validate(problem, config, budget, steps, step_label)
    steps.start(f"{step_label}: temporal check")
    result["validation"]["temporal"] = temporal_check(parts["rows"], threshold, pool_smiles, pool_fps, config,
                                                       result["featurizer"], result["estimator"])
    card = training_card(name, target, activity_type, label, config, provenance, parts, result, started)
    steps.start(f"{step_label}: plots")
    extra_files = model_plots(card, result["plot_data"])
    steps.end()
    rows = parts["rows"]
    return TargetModel(name, card, result["model"], parts["fps"], rows["pactivity"].to_numpy(float),
                       rows["smiles"].to_numpy(str), rows["inchikey"].to_numpy(str), extra_files=extra_files)


def train_models(dataset: str | Path, output: str | Path, panel: Panel, *, targets: list[str] | None = None,
                 holdout: str | Path | None = None, pool: str | Path | None = None,
                 config: TrainConfig = DEFAULTS, progress=None, steps: StepLog | None = None,
                 modality: str | None = None) -> list[TargetModel]:
    """Train one model per (target, activity type) of a curated dataset and save the bundle.

    Parameters
    ----------
    dataset : path
        Curated activity table (see :mod:`screenkit.curation.dataset`).
    output : path
        Model folder to write (models of other targets already there are kept).
    panel : Panel
        Supplies each target's threshold, family and rationale.
    targets : list of str, optional
        ChEMBL IDs or genes to train (default: all in the dataset).
    holdout : path, optional
        CSV of compounds (``inchikey``, ``scaffold``) to keep out of training entirely.
    pool : path, optional
        Putative-inactive pool (CSV with ``smiles``); default the bundled ZINC lead-like pool.
    config : TrainConfig
        Featurizer, estimator, split, validation and search settings.
    progress : callable, optional
        Called with each :class:`TargetModel` once it is trained.
    steps : StepLog, optional
        Progress lines per step (reading, pool, folds, y-randomisation, final fit); default silent.
    modality : str, optional
        Keep only rows measured in this modality (``agonist``, or several comma-separated,
        see :data:`screenkit.chembl.modality.MODALITIES`); the card records it as ``data.modality``.

    Returns
    -------
    list of TargetModel
        The models written.
    """
    steps = steps or StepLog()
    check_plotting()
    table, n_other_modality, n_holdout = _training_rows(dataset, targets, modality, holdout, config, steps)
    pool_smiles, pool_fps, pool_path = _load_pool(pool, config, steps)
    provenance = _provenance(dataset, pool_path if len(pool_smiles) else None, holdout, n_holdout, config)
    if modality:
        provenance.update(modality=modality, n_rows_other_modality=n_other_modality)
    groups = [(key, rows) for key, rows in table.groupby(["target_chembl_id", "activity_type"], sort=True)]
    steps.note(f"{len(groups)} target/activity-type group(s) in {Path(dataset).name}; putative-inactive pool "
               f"{len(pool_smiles)} compounds")
    models = _train_groups(groups, panel, pool_smiles, pool_fps, config, provenance, steps, progress)
    if not models:
        raise UsageError("no target had enough data to train a model; lower --min-compounds or add data")
    _save(models, output, f"{len(models)} model(s)", steps)
    return models


def _training_rows(dataset: str | Path, targets: list[str] | None, modality: str | None,
                   holdout: str | Path | None, config: TrainConfig, steps: StepLog) -> tuple[pd.DataFrame, int, int]:
    """The dataset's rows of the wanted targets and modality, without the hold-out, and how many each filter took."""
    steps.start(f"reading {Path(dataset).name}")
    table = select_targets(read_dataset(dataset), targets)
    table, n_other_modality = keep_modality(table, modality, Path(dataset).name) if modality else (table, 0)
    if holdout:
        steps.start(f"holding out {Path(holdout).name} and every compound at Tanimoto >= {config.holdout_similarity} "
                    f"to one (fingerprinting {len(table)} rows)")
    table, n_holdout = holdout_filter(table, Path(holdout) if holdout else None, config.holdout_similarity)
    return table, n_other_modality, n_holdout


def _load_pool(pool: str | Path | None, config: TrainConfig, steps: StepLog):
    """The putative-inactive pool's SMILES, fingerprints and path (empty when the configuration uses none)."""
    if config.task == "classification" and config.putative_inactive_ratio > 0:
        steps.start("fingerprinting the putative-inactive pool")
    return load_pool(pool, config)


def _provenance(dataset: str | Path, pool_path: Path | None, holdout: str | Path | None, n_holdout: int,
                config: TrainConfig) -> dict:
    """The card's data provenance: the dataset and its sha256, the pool, the hold-out and its rule."""
    return {"dataset": Path(dataset).name, "dataset_sha256": file_sha256(Path(dataset)),
            "putative_inactive_pool": pool_path.name if pool_path is not None else None,
            "holdout": Path(holdout).name if holdout else None, "n_rows_held_out": n_holdout,
            "holdout_rule": (f"hold-out compounds and every compound at Tanimoto >= {config.holdout_similarity} "
                             "to one (Morgan r2 2048), from every model" if holdout else "none")}


def _train_groups(groups: list, panel: Panel, pool_smiles: np.ndarray, pool_fps: np.ndarray, config: TrainConfig,
                  provenance: dict, steps: StepLog, progress) -> list[TargetModel]:
    """One model per (target, activity type) group with enough data; the --auto budget is split evenly."""
    budget = config.time_budget / max(1, len(groups))
    models = []
    for i, ((chembl_id, activity_type), rows) in enumerate(groups):
        target = panel.get(chembl_id)
        name = f"{target.gene}_{activity_type}"
        n_active = int((rows["pactivity"] >= target.active_threshold).sum())
        if len(rows) < config.min_compounds or n_active < config.min_per_class:
            log.warning("%s: %d compounds (%d active) is too little for a model (minimum %d compounds, %d actives); "
                        "skipped", name, len(rows), n_active, config.min_compounds, config.min_per_class)
            continue
        log.info("training %s on %d compounds", name, len(rows))
        label = label_section(config.task, activity_type, target.active_threshold,
                              f"family-aware potency cut for {target.family} (IDG/Pharos)")
        model = _train_one(name, target_section(target), activity_type, label, rows, pool_smiles, pool_fps, config,
                           provenance, budget, steps, f"{name} ({i + 1}/{len(groups)})")
        models.append(model)
        if progress:
            progress(model)
    return models


def _save(models: list[TargetModel], output: str | Path, what: str, steps: StepLog) -> None:
    steps.start(f"writing {what} to {output}")
    save_bundle(models, output, card_markdown)
    steps.end()


def keep_modality(table: pd.DataFrame, modality: str, source: str) -> tuple[pd.DataFrame, int]:
    """Rows measured in the wanted modality (comma-separated names) and how many others were dropped.

    Raises
    ------
    UsageError
        An unknown modality name; a dataset whose rows carry no modality at all (e.g. the
        MoleculeACE-derived bundled data); or no row of the wanted modality.
    """
    from ..chembl.modality import MODALITIES

    wanted = [m.strip() for m in modality.split(",") if m.strip()]
    unknown = [m for m in wanted if m not in MODALITIES or m == "unknown"]
    if not wanted or unknown:
        raise UsageError(f"--modality {modality!r}: use one or more of "
                         f"{', '.join(m for m in MODALITIES if m != 'unknown')} (comma-separated)")
    found = set(";".join(table["modality"].astype(str)).split(";")) - {"unknown", ""}
    if not found:
        raise UsageError(f"--modality {modality}: {source} carries no modality information (every row is "
                         "'unknown', as in the MoleculeACE-derived bundled data); fetch the target from ChEMBL with "
                         "`screenkit fetch` (it keeps action_type and assay descriptions), or train without --modality")
    kept, excluded = select_modality(table, wanted)
    if kept.empty:
        raise UsageError(f"--modality {modality}: no row of {source} is of that modality; its rows are "
                         f"{', '.join(sorted(found))} (and unknown)")
    log.info("--modality %s: kept %d rows, dropped %d (%s)", modality, len(kept), len(excluded),
             ", ".join(f"{code} {n}" for code, n in excluded["code"].value_counts().items()))
    return kept, len(excluded)


def train_on_data(data: str | Path, output: str | Path, *, smiles_col: str | None, value_col: str,
                  name: str | None = None, threshold: float | None = None, units: str = "pactivity",
                  relation_col: str | None = None, year_col: str | None = None, pool: str | Path | None = None,
                  config: TrainConfig = OWN_DATA_DEFAULTS, progress=None,
                  steps: StepLog | None = None) -> list[TargetModel]:
    """Train one model on a user's own measurements, with the same curation, validation and card.

    Parameters
    ----------
    data : path
        CSV/TSV, SDF or Parquet (see :func:`screenkit.curation.measurements.read_measurements`).
    output : path
        Model folder to write; score with ``screenkit score LIBRARY --models output``.
    smiles_col, value_col, units, relation_col, year_col
        Where structures and values are, and the value's units.
    name : str, optional
        Model name (prediction columns are ``<name>_p_active`` ...); default the file stem.
    threshold : float, optional
        Active if pActivity >= threshold (classification label; ``p_active`` for regression);
        default 6.0 (1 uM), or 0.5 for ``units="label"``.
    config : TrainConfig
        As for :func:`train_models`; by default without putative inactives (an in-house
        assay usually has its own inactives).

    Examples
    --------
    An in-house IC50 table in nM, active below about 300 nM (not run here: it trains)::

        train_on_data("assay.csv", "my_models", smiles_col="smiles", value_col="IC50_nM",
                      units="nM", threshold=6.5)
    """
    from ..curation.measurements import read_measurements

    steps = steps or StepLog()
    check_plotting()
    steps.start(f"reading and standardising {Path(data).name}")
    measurements = read_measurements(data, smiles_col=smiles_col, value_col=value_col, units=units,
                                     relation_col=relation_col, year_col=year_col)
    if units == "label" and config.task == "regression":
        raise UsageError("units 'label' (0/1) cannot train a regression; use --task classification")
    threshold, why = _own_threshold(threshold, units)
    name = name or Path(data).name.split(".")[0]
    _check_own_data(data, name, measurements.table, threshold, config)
    pool_smiles, pool_fps, pool_path = _load_pool(pool, config, steps)
    provenance = {**_provenance(data, pool_path if len(pool_smiles) else None, None, 0, config),
                  "n_input_rows": measurements.n_input_rows, "n_rows_excluded": int(len(measurements.excluded)),
                  # counted by code, not by wording (the reason text names the record)
                  "excluded_reasons": measurements.excluded["code"].value_counts().head(10).to_dict(),
                  "units": units, "columns": {"smiles": smiles_col, "value": value_col, "relation": relation_col,
                                              "year": year_col}}
    label = label_section(config.task, "Activity", threshold, why)
    model = _train_one(name, own_target_section(name, data), "Activity", label, measurements.table, pool_smiles,
                       pool_fps, config, provenance, config.time_budget, steps)
    if progress:
        progress(model)
    _save([model], output, "the model", steps)
    return [model]


def _own_threshold(threshold: float | None, units: str) -> tuple[float, str]:
    """The activity threshold of a user's data and why: as given, else 0.5 for labels and 6.0 (1 uM) for values."""
    if threshold is not None:
        return threshold, "threshold given by the user"
    return (0.5, "0/1 labels as given") if units == "label" else \
        (6.0, "default cut of 1 uM (pActivity 6); set --threshold for your assay")


def _check_own_data(data: str | Path, name: str, table: pd.DataFrame, threshold: float, config: TrainConfig) -> None:
    """Fail before any fitting on a bad model name or too little data (per class, for classification)."""
    if not name.replace("_", "").replace("-", "").isalnum():
        raise UsageError(f"model name {name!r} must be letters, digits, '_' or '-'; pass --name")
    n_active = int((table["pactivity"] >= threshold).sum())
    if len(table) < config.min_compounds or (config.task == "classification" and
                                             min(n_active, len(table) - n_active) < config.min_per_class):
        raise UsageError(f"{data}: {len(table)} compounds ({n_active} active at {threshold}) is too little for a "
                         f"model (minimum {config.min_compounds} compounds, {config.min_per_class} per class); "
                         "lower --min-compounds or add data")
