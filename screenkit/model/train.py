"""Fit and validate one model per (target, activity type), and write model bundles.

This module orchestrates; the work is done by :mod:`screenkit.model.problem` (labels, hold-out,
folds, fold-clean putative inactives), :mod:`screenkit.model.validation` (cross-validation,
similarity baseline, y-randomisation, calibration and conformal checks) and
:mod:`screenkit.model.card` (the model card).

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

import dataclasses
import itertools
import json
import logging
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import rdBase

from .. import __version__
from ..chem.featurize import FEATURIZERS, featurizer_spec, make_featurizer
from ..config import Panel, frozen_mappings
from ..curation.dataset import read_dataset, select_modality, select_targets
from ..errors import UsageError
from ..hashing import file_sha256
from ..progress import StepLog
from .bundle import TargetModel, save_bundle
from .card import ModelCard, card_markdown
from .ensemble import ENSEMBLES
from .estimators import ESTIMATORS, ConformalModel
from .plots import DATA_FILE, PlotData, check_plotting, render_plots
from .problem import Problem, build_problem, holdout_filter, load_pool
from .problem import labels as _labels  # noqa: F401  (old private name, still imported by callers)
from .search import auto_candidates, auto_search
from .split import SPLITS, murcko_scaffold
from .validation import (
    calibration_and_conformal,
    cross_validate,
    difficulty,
    estimator_factory,
    out_of_fold_record,
    pooled_out_of_fold,
    temporal_check,
    validate,
)

__all__ = ["TrainConfig", "train_models", "train_on_data", "card_markdown", "auto_candidates", "model_plots",
           "recompute_plot_data", "keep_modality"]

log = logging.getLogger(__name__)

TASKS = ("classification", "regression")
SILENT = StepLog(enabled=False)
CENSORED = ("exclude", "bound")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that shapes a model; written verbatim into each model card.

    ``featurizer``/``estimator`` name one of :data:`screenkit.chem.featurize.FEATURIZERS` and
    :data:`screenkit.model.estimators.ESTIMATORS`; ``fp_radius``/``fp_size`` apply to Morgan-type
    fingerprints and ``n_estimators``/``min_samples_leaf`` to forests unless
    ``featurizer_params``/``estimator_params`` say otherwise. ``auto=True`` searches
    :func:`auto_candidates` on the first ``auto_folds`` folds within ``time_budget`` seconds.
    """

    task: str = "classification"
    featurizer: str = "morgan"
    featurizer_params: dict = field(default_factory=dict)
    fp_radius: int = 2
    fp_size: int = 2048
    estimator: str = "rf"
    estimator_params: dict = field(default_factory=dict)
    n_estimators: int = 200
    min_samples_leaf: int = 1
    putative_inactive_ratio: float = 1.0  # putative inactives per measured compound (classification only)
    putative_inactive_max_similarity: float = 0.35  # to any (fold-training) measured active, ECFP4 Tanimoto
    putative_inactive_sphere: float = 0.6  # sphere-exclusion radius (Tanimoto distance)
    split: str = "cluster"
    cluster_max_median_similarity: float = 0.55  # cluster split: widen the cut-off until the median is below
    holdout_similarity: float = 0.5  # drop training compounds at Tanimoto >= this to any hold-out compound
    n_folds: int = 5
    min_compounds: int = 50
    min_per_class: int = 10
    ad_quantile: float = 0.05
    calibrate: bool = True
    conformal_confidence: float = 0.8
    library_base_rate: float = 0.01  # active share of a screening library, for the prior-corrected probability
    y_randomisation_permutations: int = 5  # full CV reruns on permuted labels (0 disables)
    censored: str = "exclude"  # regression: "exclude" censored rows, or train on the "bound"
    auto: bool = False
    time_budget: float = 600.0  # seconds for the whole --auto search (all targets)
    auto_folds: int = 3
    seed: int = 0
    n_jobs: int = 1

    def __post_init__(self):
        frozen_mappings(self, "featurizer_params", "estimator_params")
        if self.task not in TASKS:
            raise UsageError(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}")
        if self.featurizer not in FEATURIZERS:
            raise UsageError(f"unknown featurizer {self.featurizer!r}; available: {', '.join(FEATURIZERS)}")
        if self.estimator not in ESTIMATORS + ENSEMBLES:
            raise UsageError(f"unknown estimator {self.estimator!r}; available: {', '.join(ESTIMATORS + ENSEMBLES)}")
        if self.split not in SPLITS:
            raise UsageError(f"unknown split {self.split!r}; use one of {', '.join(SPLITS)}")
        if self.censored not in CENSORED:
            raise UsageError(f"unknown censored-value policy {self.censored!r}; use one of {', '.join(CENSORED)}")
        if self.n_folds < 2:
            raise UsageError(f"n_folds={self.n_folds}: cross-validation needs at least 2 folds")
        if self.y_randomisation_permutations < 0:
            raise UsageError(f"y_randomisation_permutations={self.y_randomisation_permutations} must be >= 0")
        if self.estimator == "svm_tanimoto" and not self.auto and \
                not make_featurizer(self.featurizer, **self.featurizer_params).nonnegative:
            raise UsageError(f"estimator 'svm_tanimoto' needs fingerprint features, not {self.featurizer!r}; "
                             "pick a fingerprint featurizer or another estimator")
        if not 0 < self.library_base_rate < 1:
            raise UsageError(f"library_base_rate={self.library_base_rate} must be between 0 and 1 (e.g. 0.01)")
        if not 0 < self.conformal_confidence < 1:
            raise UsageError(f"conformal_confidence={self.conformal_confidence} must be between 0 and 1")

    def featurizer_choice(self) -> dict:
        """The featurizer as ``{"name", "params"}`` with the Morgan shorthands applied."""
        params = {}
        if self.featurizer in ("morgan", "fcfp"):
            params = {"radius": self.fp_radius, "fp_size": self.fp_size}
        elif self.featurizer in ("atom_pair", "torsion", "rdkit"):
            params = {"fp_size": self.fp_size}
        return {"name": self.featurizer, "params": {**params, **self.featurizer_params}}

    def estimator_choice(self) -> dict:
        """The estimator as ``{"name", "params"}`` with the forest shorthands applied."""
        params = {}
        if self.estimator in ("rf", "extra_trees"):
            params = {"n_estimators": self.n_estimators, "min_samples_leaf": self.min_samples_leaf}
        return {"name": self.estimator, "params": {**params, **self.estimator_params}}

def _announce_fits(build, steps: StepLog, label: str, n_folds: int, n_permutations: int):
    """``build`` that announces each fit as a progress step.

    :func:`~screenkit.model.validation.validate` fits the ``n_folds`` cross-validation folds
    first, then ``n_folds`` per y-randomisation permutation; the count of calls says which.
    """
    calls = itertools.count()

    def announced():
        i = next(calls)
        if i < n_folds:
            steps.start(f"{label}: cross-validation fold {i + 1}/{n_folds}")
        elif (i - n_folds) % n_folds == 0:
            steps.start(f"{label}: y-randomisation permutation {(i - n_folds) // n_folds + 1}/{n_permutations} "
                        f"({n_folds} folds)")
        return build()

    return announced


def _fit_and_validate(problem: Problem, config: TrainConfig, budget: float, steps: StepLog = SILENT,
                      label: str = "") -> dict:
    """Pick (or take) the configuration, validate it, fit the final wrapped model."""
    auto = None
    if config.auto:
        steps.start(f"{label}: --auto search of featurizers and estimators (budget {budget:.0f} s)")
        featurizer, estimator, auto = auto_search(problem, config, budget)
    else:
        featurizer, estimator = config.featurizer_choice(), config.estimator_choice()
    build = estimator_factory(featurizer, estimator, problem.task, config)
    steps.start(f"{label}: featurizing {len(problem.smiles)} rows ({featurizer['name']})")
    X = problem.features(featurizer, config.n_jobs)
    validation, preds = validate(problem, X, _announce_fits(build, steps, label, len(problem.folds),
                                                            config.y_randomisation_permutations), config)
    steps.start(f"{label}: calibration and conformal checks")
    uncertainty = calibration_and_conformal(problem, preds, config)
    steps.start(f"{label}: final fit on {len(problem.final_train)} rows")
    final = build().fit(X[problem.final_train], problem.y[problem.final_train])
    if hasattr(final, "n_jobs"):
        final.n_jobs = 1  # parallelism is screenkit's job (chunks) at scoring time
    calibrate = config.calibrate
    if problem.task == "classification" and calibrate:
        check = uncertainty["calibration"]["held_out_check"]
        before, after = check.get("brier_uncalibrated", {}).get("mean"), check.get("brier_calibrated", {}).get("mean")
        calibrate = before is not None and after is not None and after < before
        uncertainty["calibration"]["applied"] = calibrate
        uncertainty["calibration"]["rule"] = ("Platt scaling is applied only when it lowers the Brier score on "
                                              "held-out folds; otherwise p_active is the estimator's own probability")
    oof_score, oof_y = pooled_out_of_fold(problem, preds)
    wrapped = ConformalModel.from_out_of_fold(final, problem.task, oof_score, oof_y, threshold=problem.threshold,
                                              confidence=config.conformal_confidence, calibrate=calibrate)
    _, nn = difficulty(problem)
    plot_data = PlotData.from_record(problem.task, problem.threshold,
                                     out_of_fold_record(problem, preds, config.calibrate))
    return {"featurizer": featurizer, "estimator": estimator, "model": wrapped, "validation": validation,
            "uncertainty": uncertainty, "auto": auto, "plot_data": plot_data,
            "ad_threshold": float(np.quantile(nn, config.ad_quantile)) if len(nn) else 0.0}


def _versions() -> dict:
    return {"screenkit": __version__, "rdkit": rdBase.rdkitVersion,
            "scikit-learn": __import__("sklearn").__version__, "numpy": np.__version__,
            "skops": __import__("skops").__version__, "python": platform.python_version()}


def _train_one(name: str, target: dict, activity_type: str, label: dict, rows: pd.DataFrame,
               pool_smiles: np.ndarray, pool_fps: np.ndarray, config: TrainConfig, provenance: dict,
               budget: float = 0.0, steps: StepLog = SILENT, step_label: str = "") -> TargetModel:
    started = time.perf_counter()
    step_label = step_label or name
    threshold = float(label["threshold"])
    steps.start(f"{step_label}: {len(rows)} rows: {config.split} folds"
                + (" and putative inactives" if config.task == "classification" and len(pool_smiles) else ""))
    problem, parts = build_problem(rows, threshold, pool_smiles, pool_fps, config)
    rows, fps, y_measured, exact = parts["rows"], parts["fps"], parts["y_measured"], parts["exact"]
    result = _fit_and_validate(problem, config, budget, steps, step_label)
    steps.start(f"{step_label}: temporal check")
    result["validation"]["temporal"] = temporal_check(rows, threshold, pool_smiles, pool_fps, config,
                                                       result["featurizer"], result["estimator"])
    model = result["model"]
    featurizer = featurizer_spec(make_featurizer(result["featurizer"]["name"], **result["featurizer"]["params"]))
    inner = model.estimator
    counts = ({"n_measured_active": int(y_measured.sum()), "n_measured_inactive": int(len(rows) - y_measured.sum())}
              if config.task == "classification" else
              {"n_measured_active": int((y_measured[exact] >= threshold).sum()),
               "n_measured_inactive": int((y_measured[exact] < threshold).sum()),
               "n_censored_used_as_bound": int((~exact).sum()),
               "pactivity_range": [round(float(y_measured.min()), 2), round(float(y_measured.max()), 2)]})
    card = ModelCard(
        name=name, task=config.task, outputs=model.outputs, target=target, activity_type=activity_type, label=label,
        data={**provenance, "n_measured": int(len(rows)), **counts, "n_censored_dropped": parts["n_censored"],
              "censored_values": parts["censored_note"], "n_putative_inactives": int(parts["n_decoys"]),
              "n_scaffolds": int(len(set(murcko_scaffold(s) or f"acyclic:{i}"
                                         for i, s in enumerate(rows["smiles"]))))},
        featurizer=featurizer,
        estimator={"name": result["estimator"]["name"], "class": type(inner).__name__,
                   "params": _jsonable({k: v for k, v in inner.get_params(deep=False).items() if k != "n_jobs"})},
        validation={**result["validation"], **result["uncertainty"]},
        applicability_domain={
            "method": "max Tanimoto similarity (Morgan radius 2, 2048 bits) to the measured training compounds",
            "threshold": round(result["ad_threshold"], 4),
            "why": f"{config.ad_quantile:.0%} quantile of that similarity for the measured compounds of the "
                   "cross-validation test folds: the validation metrics describe queries at or above it",
            "threshold_by_error": result["validation"].get("error_by_similarity", {}).get("threshold_by_error"),
            "threshold_by_error_rule": result["validation"].get("error_by_similarity", {}).get("rule")},
        training_config=asdict(config), versions=_versions(),
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        training_seconds=round(time.perf_counter() - started, 1),
        intended_use=_intended_use(target, config.task, label), auto_search=result["auto"])
    steps.start(f"{step_label}: plots")
    extra_files = model_plots(card, result["plot_data"])
    steps.end()
    return TargetModel(name, card, model, fps, rows["pactivity"].to_numpy(float),
                       rows["smiles"].to_numpy(str), rows["inchikey"].to_numpy(str), extra_files=extra_files)


def model_plots(card: ModelCard, data: PlotData) -> dict[str, bytes]:
    """The card's plots and their data as extra bundle files; records their names in ``card.plots``."""
    files = {**render_plots(card.to_json(), data), DATA_FILE: data.to_bytes()}
    card.plots = {suffix: f"{card.name}.{suffix}" for suffix in sorted(files)}
    return files


def _jsonable(params: dict) -> dict:
    return json.loads(json.dumps(params, default=lambda v: repr(v)))


def _intended_use(target: dict, task: str, label: dict) -> str:
    what = "probability of activity" if task == "classification" else "pActivity with a conformal interval"
    return (
        f"Prioritising compounds for experimental testing against {target.get('gene') or target.get('name')} "
        f"in leukodystrophy research, by {what}. OECD QSAR principles: (1) defined endpoint: {label['rule']}; "
        "(2) unambiguous algorithm: featurizer, estimator and every setting in this card, reproducible from the "
        "seed and the dataset hash; (3) applicability domain: Tanimoto similarity to the measured training "
        "compounds with the threshold below; (4) validation: cross-validation on held-out similarity "
        "clusters with spread, beside a similarity-search baseline, y-randomisation, calibration and conformal "
        "coverage below; (5) mechanistic interpretation: "
        f"{target.get('rationale') or 'not given for this user-supplied assay'}. The label is potency, not "
        f"direction: the desired modality is '{target.get('modality') or 'unspecified'}', which binding data cannot "
        "confirm. Not for predictions far outside the applicability domain, nor as a substitute for assays."
    )


def _target_card(target) -> dict:
    return {"chembl_id": target.chembl_id, "gene": target.gene, "name": target.name, "uniprot": target.uniprot,
            "family": target.family, "category": target.category, "modality": target.modality,
            "rationale": target.rationale, "reference": target.reference}


def _label(task: str, activity_type: str, threshold: float, why: str) -> dict:
    if task == "classification":
        return {"rule": f"active if p{activity_type} >= {threshold}", "threshold": threshold, "why": why}
    return {"rule": f"regression of p{activity_type}; p_active = P(p{activity_type} >= {threshold}) from the "
                    "conformal predictive distribution", "threshold": threshold, "why": why}


def train_models(dataset: str | Path, output: str | Path, panel: Panel, *, targets: list[str] | None = None,
                 holdout: str | Path | None = None, pool: str | Path | None = None,
                 config: TrainConfig = TrainConfig(), progress=None, steps: StepLog | None = None,
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
    steps.start(f"reading {Path(dataset).name}")
    table = select_targets(read_dataset(dataset), targets)
    table, n_other_modality = keep_modality(table, modality, Path(dataset).name) if modality else (table, 0)
    if holdout:
        steps.start(f"holding out {Path(holdout).name} and every compound at Tanimoto >= {config.holdout_similarity} "
                    f"to one (fingerprinting {len(table)} rows)")
    table, n_holdout = holdout_filter(table, Path(holdout) if holdout else None, config.holdout_similarity)
    if config.task == "classification" and config.putative_inactive_ratio > 0:
        steps.start("fingerprinting the putative-inactive pool")
    pool_smiles, pool_fps, pool_path = load_pool(pool, config)
    provenance = {"dataset": Path(dataset).name, "dataset_sha256": file_sha256(Path(dataset)),
                  "putative_inactive_pool": pool_path.name if len(pool_smiles) else None,
                  "holdout": Path(holdout).name if holdout else None, "n_rows_held_out": n_holdout,
                  "holdout_rule": (f"hold-out compounds and every compound at Tanimoto >= {config.holdout_similarity} "
                                   "to one (Morgan r2 2048), from every model" if holdout else "none")}
    if modality:
        provenance.update(modality=modality, n_rows_other_modality=n_other_modality)
    groups = [(key, rows) for key, rows in table.groupby(["target_chembl_id", "activity_type"], sort=True)]
    budget = config.time_budget / max(1, len(groups))
    steps.note(f"{len(groups)} target/activity-type group(s) in {Path(dataset).name}; putative-inactive pool "
               f"{len(pool_smiles)} compounds")
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
        label = _label(config.task, activity_type, target.active_threshold,
                       f"family-aware potency cut for {target.family} (IDG/Pharos)")
        model = _train_one(name, _target_card(target), activity_type, label, rows, pool_smiles, pool_fps, config,
                           provenance, budget, steps, f"{name} ({i + 1}/{len(groups)})")
        models.append(model)
        if progress:
            progress(model)
    if not models:
        raise UsageError("no target had enough data to train a model; lower --min-compounds or add data")
    steps.start(f"writing {len(models)} model(s) to {output}")
    save_bundle(models, output, card_markdown)
    steps.end()
    return models


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
                  config: TrainConfig = TrainConfig(putative_inactive_ratio=0.0), progress=None,
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
    if threshold is None:
        threshold, why = (0.5, "0/1 labels as given") if units == "label" else \
            (6.0, "default cut of 1 uM (pActivity 6); set --threshold for your assay")
    else:
        why = "threshold given by the user"
    name = name or Path(data).name.split(".")[0]
    if not name.replace("_", "").replace("-", "").isalnum():
        raise UsageError(f"model name {name!r} must be letters, digits, '_' or '-'; pass --name")
    table = measurements.table
    n_active = int((table["pactivity"] >= threshold).sum())
    if len(table) < config.min_compounds or (config.task == "classification" and
                                             min(n_active, len(table) - n_active) < config.min_per_class):
        raise UsageError(f"{data}: {len(table)} compounds ({n_active} active at {threshold}) is too little for a "
                         f"model (minimum {config.min_compounds} compounds, {config.min_per_class} per class); "
                         "lower --min-compounds or add data")
    if config.task == "classification" and config.putative_inactive_ratio > 0:
        steps.start("fingerprinting the putative-inactive pool")
    pool_smiles, pool_fps, pool_path = load_pool(pool, config)
    provenance = {"dataset": Path(data).name, "dataset_sha256": file_sha256(Path(data)),
                  "putative_inactive_pool": pool_path.name if len(pool_smiles) else None, "holdout": None,
                  "n_rows_held_out": 0, "holdout_rule": "none", "n_input_rows": measurements.n_input_rows,
                  "n_rows_excluded": int(len(measurements.excluded)),
                  # counted by code, not by wording (the reason text names the record)
                  "excluded_reasons": measurements.excluded["code"].value_counts().head(10).to_dict(),
                  "units": units, "columns": {"smiles": smiles_col, "value": value_col, "relation": relation_col,
                                              "year": year_col}}
    target = {"chembl_id": None, "gene": name, "name": f"user assay {Path(data).name}", "uniprot": None,
              "family": None, "category": None, "modality": "unspecified", "rationale": None,
              "reference": str(data)}
    label = _label(config.task, "Activity", threshold, why)
    model = _train_one(name, target, "Activity", label, table, pool_smiles, pool_fps, config, provenance,
                       config.time_budget, steps)
    if progress:
        progress(model)
    steps.start(f"writing the model to {output}")
    save_bundle([model], output, card_markdown)
    steps.end()
    return [model]


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
    putative inactives, seeds, featurizer and estimator as :func:`train_models` or
    :func:`train_on_data` used; y-randomisation, the temporal check and the final fit are
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
    recorded = card.training_config
    if not recorded:
        raise UsageError(f"{name}: the card records no training_config; it was not made by `screenkit train`, "
                         "so its protocol cannot be rerun here")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{**{k: v for k, v in recorded.items() if k in known}, "y_randomisation_permutations": 0,
                            "auto": False, "n_jobs": n_jobs})
    featurizer, estimator = _recorded_choice(card, config)
    spec = featurizer_spec(make_featurizer(featurizer["name"], **featurizer["params"]))
    if {**spec["params"], "n_jobs": 1} != {**card.featurizer["params"], "n_jobs": 1} or \
            spec["name"] != card.featurizer["name"]:
        raise UsageError(f"{name}: the recorded configuration gives featurizer {spec}, but the card says "
                         f"{card.featurizer}; cannot reproduce it")
    threshold = card.label_threshold
    steps.start(f"{name}: reading {Path(dataset).name}")
    if card.target_chembl_id:
        table = select_targets(read_dataset(dataset), [card.target_chembl_id])
        table = table[table["activity_type"] == card.activity_type]
        table, _ = holdout_filter(table, Path(holdout) if holdout else None, config.holdout_similarity)
    else:  # a model of the user's own measurements (train_on_data)
        from ..curation.measurements import read_measurements

        columns = card.data.get("columns") or {}
        value_col = columns.get("value")
        if not value_col:
            raise UsageError(f"{name}: the card names no measured-value column (data.columns.value); "
                             "cannot reproduce it")
        table = read_measurements(dataset, smiles_col=columns.get("smiles"), value_col=value_col,
                                  units=card.data.get("units", "pactivity"), relation_col=columns.get("relation"),
                                  year_col=columns.get("year")).table
    key = (str(pool), config.task, config.putative_inactive_ratio > 0)
    if pools is None or key not in pools:
        steps.start(f"{name}: fingerprinting the putative-inactive pool")
        loaded = load_pool(pool, config)
        if pools is not None:
            pools[key] = loaded
    pool_smiles, pool_fps, _ = pools[key] if pools is not None else loaded
    steps.start(f"{name}: {len(table)} rows: {config.split} folds"
                + (" and putative inactives" if config.task == "classification" and len(pool_smiles) else ""))
    problem, _ = build_problem(table, threshold, pool_smiles, pool_fps, config)
    steps.start(f"{name}: featurizing {len(problem.smiles)} rows ({featurizer['name']})")
    X = problem.features(featurizer, n_jobs)
    build = _announce_fits(estimator_factory(featurizer, estimator, problem.task, config), steps, name,
                           len(problem.folds), 0)
    preds = cross_validate(problem, X, build)
    steps.end()
    return PlotData.from_record(problem.task, threshold, out_of_fold_record(problem, preds, config.calibrate))
