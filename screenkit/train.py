"""Fit and validate one model per (target, activity type), and write model bundles.

Why classification by default: the bundled data are measured compounds only, mostly
potent ones, and a screening library is mostly inactive. A regressor trained on
measured compounds has never seen an inactive library compound and predicts mid-range
pActivity for all of them. A classifier trained on measured actives and inactives (at
the panel's family-aware threshold) plus *putative inactives* (lead-like compounds
dissimilar to every measured active, picked by sphere exclusion as PIDGIN does) learns
to tell the two apart, and its probability is what the ranking needs. Regression is
available (``task="regression"``) for a user's own dose-response data.

Every model is validated the same way: grouped cross-validation (Bemis-Murcko scaffold
by default), metrics with their spread over folds, a y-randomisation control,
probability calibration (Platt, fitted out of fold, Brier score checked on held-out
folds), conformal prediction with its coverage checked on held-out folds, and an
applicability-domain threshold. All of it goes into the model card.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import rdBase
from rdkit.SimDivFilters import rdSimDivPickers

from . import __version__
from .bundle import TargetModel, save_bundle
from .config import Panel, bundled_path
from .dataset import read_dataset, select_targets
from .errors import InputFileError, UsageError
from .estimators import (ESTIMATORS, ConformalModel, conformal_quantile, fit_platt, make_estimator,
                         mondrian_p_values, positive_score)
from .featurize import FEATURIZERS, bitvects_from_matrix, featurizer_spec, make_featurizer, tanimoto_max
from .metrics import classification_metrics, regression_metrics, summarise
from .split import SPLITS, make_folds, murcko_scaffold
from .hashing import file_sha256

__all__ = ["TrainConfig", "train_models", "train_on_data", "card_markdown", "auto_candidates"]

log = logging.getLogger(__name__)

TASKS = ("classification", "regression")
CENSORED = ("exclude", "bound")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that shapes a model; written verbatim into each model card.

    ``featurizer``/``estimator`` name one of :data:`screenkit.featurize.FEATURIZERS` and
    :data:`screenkit.estimators.ESTIMATORS`; ``fp_radius``/``fp_size`` apply to Morgan-type
    fingerprints and ``n_estimators``/``min_samples_leaf`` to forests unless
    ``featurizer_params``/``estimator_params`` say otherwise. ``auto=True`` searches
    :func:`auto_candidates` with grouped CV within ``time_budget`` seconds (whole run).
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
    putative_inactive_max_similarity: float = 0.35  # to any measured active (ECFP4 Tanimoto)
    putative_inactive_sphere: float = 0.6  # sphere-exclusion radius (Tanimoto distance)
    split: str = "scaffold"
    butina_cutoff: float = 0.6
    n_folds: int = 5
    min_compounds: int = 50
    min_per_class: int = 10
    ad_quantile: float = 0.05
    calibrate: bool = True
    conformal_confidence: float = 0.8
    y_randomisation_folds: int = 3  # folds of the y-randomisation control (0 disables it)
    censored: str = "exclude"  # regression: "exclude" censored rows, or train on the "bound"
    auto: bool = False
    time_budget: float = 600.0  # seconds for the whole --auto search (all targets)
    auto_folds: int = 3
    seed: int = 0
    n_jobs: int = 1

    def __post_init__(self):
        if self.task not in TASKS:
            raise UsageError(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}")
        if self.featurizer not in FEATURIZERS:
            raise UsageError(f"unknown featurizer {self.featurizer!r}; available: {', '.join(FEATURIZERS)}")
        if self.estimator not in ESTIMATORS:
            raise UsageError(f"unknown estimator {self.estimator!r}; available: {', '.join(ESTIMATORS)}")
        if self.split not in SPLITS:
            raise UsageError(f"unknown split {self.split!r}; use one of {', '.join(SPLITS)}")
        if self.censored not in CENSORED:
            raise UsageError(f"unknown censored-value policy {self.censored!r}; use one of {', '.join(CENSORED)}")
        if self.n_folds < 2:
            raise UsageError(f"n_folds={self.n_folds}: cross-validation needs at least 2 folds")
        if self.estimator == "svm_tanimoto" and not self.auto and \
                not make_featurizer(self.featurizer, **self.featurizer_params).nonnegative:
            raise UsageError(f"estimator 'svm_tanimoto' needs fingerprint features, not {self.featurizer!r}; "
                             "pick a fingerprint featurizer or another estimator")
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


def auto_candidates(task: str, n_estimators: int = 200) -> list[tuple[dict, dict]]:
    """``(featurizer, estimator)`` choices searched by ``--auto``, most promising first."""
    ecfp = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048}}
    ecfp_counts = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048, "counts": True}}
    fcfp = {"name": "fcfp", "params": {"radius": 2, "fp_size": 2048}}
    ap = {"name": "atom_pair", "params": {"fp_size": 2048}}
    path = {"name": "rdkit", "params": {"fp_size": 2048}}
    ecfp_maccs = {"name": "concat", "params": {"parts": [ecfp, {"name": "maccs", "params": {}}]}}
    desc = {"name": "descriptors", "params": {}}
    forest = {"n_estimators": n_estimators}
    if task == "classification":
        return [
            (ecfp, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 1.0}}),
            (ecfp_counts, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 10.0}}),
            (ecfp, {"name": "extra_trees", "params": forest}),
            (ecfp_maccs, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 0.1}}),
            (fcfp, {"name": "rf", "params": forest}),
            (ap, {"name": "rf", "params": forest}),
            (ecfp, {"name": "linear", "params": {"C": 0.1}}),
            (ecfp, {"name": "knn", "params": {"n_neighbors": 5}}),
            (ecfp_counts, {"name": "hist_gb", "params": {"max_iter": 200}}),
            (path, {"name": "rf", "params": forest}),
            (desc, {"name": "hist_gb", "params": {"max_iter": 200}}),
        ]
    return [
        (ecfp, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp, {"name": "rf", "params": forest}),
        (ecfp_counts, {"name": "rf", "params": forest}),
        (ecfp_counts, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp, {"name": "svm_tanimoto", "params": {"C": 1.0, "epsilon": 0.1}}),
        (ecfp_maccs, {"name": "rf", "params": forest}),
        (ecfp, {"name": "extra_trees", "params": forest}),
        (fcfp, {"name": "rf", "params": forest}),
        (ap, {"name": "rf", "params": forest}),
        (ecfp, {"name": "linear", "params": {"alpha": 10.0}}),
        (ecfp, {"name": "knn", "params": {"n_neighbors": 5}}),
        (ecfp_counts, {"name": "hist_gb", "params": {"max_iter": 300}}),
        (desc, {"name": "hist_gb", "params": {"max_iter": 300}}),
    ]


def _ad_fingerprints(smiles) -> np.ndarray:
    """The applicability-domain space: always Morgan radius 2, 2048 bits."""
    return make_featurizer("morgan", radius=2, fp_size=2048).transform(list(smiles))


def _holdout_filter(table: pd.DataFrame, holdout_path: Path | None) -> tuple[pd.DataFrame, int]:
    """Drop every compound that is a positive control or shares a control's scaffold."""
    if holdout_path is None:
        return table, 0
    holdout = pd.read_csv(holdout_path)
    if "inchikey" not in holdout.columns:
        raise UsageError(f"holdout file {holdout_path} needs an 'inchikey' column (and optionally 'scaffold')")
    scaffolds = set(holdout["scaffold"].dropna()) - {""} if "scaffold" in holdout.columns else set()
    table_scaffolds = table["smiles"].map(murcko_scaffold)
    drop = table["inchikey"].isin(set(holdout["inchikey"])) | table_scaffolds.isin(scaffolds)
    return table[~drop], int(drop.sum())


def _relation(rows: pd.DataFrame) -> pd.Series:
    return rows["relation"].fillna("=").replace("", "=")


def _labels(rows: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, int]:
    """Binary labels; a censored value is kept only when it decides the label.

    ``relation`` is on the pActivity scale: ``<`` 5 means "weaker than 10 uM" and is a sure
    inactive at threshold 6; ``>`` 5 says nothing about a threshold of 6 and is dropped.
    """
    relation = _relation(rows)
    exact = relation == "="
    sure_inactive = relation.isin(["<", "<="]) & (rows["pactivity"] <= threshold)
    sure_active = relation.isin([">", ">="]) & (rows["pactivity"] >= threshold)
    keep = exact | sure_inactive | sure_active
    rows = rows[keep].assign(active=lambda d: (d["pactivity"] >= threshold).astype(int))
    return rows, int((~keep).sum())


def _regression_rows(rows: pd.DataFrame, policy: str) -> tuple[pd.DataFrame, int]:
    """Regression targets and the censored-value policy.

    ``exclude``: censored rows (``<``/``>``) are dropped; the model learns exact values only.
    ``bound``: censored rows train at their bound (a ``< 5`` compound as 5.0), which keeps
    weak compounds in the data at the cost of a bias toward the bound; they never enter
    the metrics or the conformal residuals (column ``exact``), whose truth they do not know.
    """
    exact = _relation(rows) == "="
    if policy == "exclude":
        return rows[exact].assign(exact=True), int((~exact).sum())
    return rows.assign(exact=exact.to_numpy()), 0


def _pick_putative_inactives(pool_fps: np.ndarray, active_fps: np.ndarray, n: int,
                             config: TrainConfig) -> np.ndarray:
    """Indices into the pool: far from every active, then diverse by sphere exclusion."""
    if n <= 0 or len(pool_fps) == 0:
        return np.array([], dtype=int)
    far = np.flatnonzero(tanimoto_max(pool_fps, active_fps) < config.putative_inactive_max_similarity)
    if len(far) == 0:
        return far
    rng = np.random.default_rng(config.seed)
    far = rng.permutation(far)  # LeaderPicker takes leaders in input order
    picker = rdSimDivPickers.LeaderPicker()
    picked = picker.LazyBitVectorPick(bitvects_from_matrix(pool_fps[far]), len(far),
                                      config.putative_inactive_sphere, min(n, len(far)))
    return np.sort(far[list(picked)])


_probability_active = positive_score  # kept for callers of the old private name


@dataclass
class _Problem:
    """One modelling problem: compounds, labels or values, and the folds to validate on."""

    task: str
    smiles: np.ndarray  # measured compounds then putative inactives
    ad_fps: np.ndarray  # Morgan r2 2048 of the same rows
    y: np.ndarray  # 0/1 (classification) or pActivity (regression)
    measured: np.ndarray  # bool: measured (vs putative inactive)
    scored: np.ndarray  # bool: rows whose truth is known exactly (metrics, conformal)
    threshold: float
    folds: list
    split_text: str
    _features: dict = field(default_factory=dict)

    def features(self, spec: dict, n_jobs: int = 1) -> np.ndarray:
        key = json.dumps(spec, sort_keys=True)
        if key not in self._features:
            featurizer = make_featurizer(spec["name"], **{**spec["params"], "n_jobs": n_jobs})
            self._features[key] = featurizer.transform(list(self.smiles))
        return self._features[key]


def _estimator_factory(featurizer: dict, estimator: dict, task: str, config: TrainConfig):
    nonnegative = make_featurizer(featurizer["name"], **featurizer["params"]).nonnegative

    def build():
        return make_estimator(estimator["name"], task, nonnegative=nonnegative, seed=config.seed,
                              n_jobs=config.n_jobs, **estimator["params"])

    build()  # fail now on bad parameters
    return build


def _score(estimator, X, task) -> np.ndarray:
    return positive_score(estimator, X) if task == "classification" else np.asarray(estimator.predict(X), float)


def _fold_metrics(problem: _Problem, idx: np.ndarray, score: np.ndarray) -> dict:
    if problem.task == "classification":
        return classification_metrics(problem.y[idx], score, problem.measured[idx])
    keep = problem.scored[idx]
    return regression_metrics(problem.y[idx][keep], score[keep], problem.threshold)


def _cross_validate(problem: _Problem, X: np.ndarray, build, folds, permute_seed: int | None = None):
    """Per-fold metrics and out-of-fold scores (NaN for rows never tested)."""
    oof = np.full(len(problem.y), np.nan)
    per_fold = []
    rng = np.random.default_rng(permute_seed) if permute_seed is not None else None
    for train_idx, test_idx in folds:
        y_train = problem.y[train_idx]
        if rng is not None:
            y_train = rng.permutation(y_train)
        model = build().fit(X[train_idx], y_train)
        score = _score(model, X[test_idx], problem.task)
        oof[test_idx] = score
        per_fold.append(_fold_metrics(problem, test_idx, score))
    return per_fold, oof


def _selection_value(problem: _Problem, per_fold: list[dict]) -> float:
    """What --auto maximises: PR-AUC (classification: actives at the top of a mostly inactive
    mix), R² (regression)."""
    key = "pr_auc" if problem.task == "classification" else "r2"
    values = [f[key] for f in per_fold if not np.isnan(f[key])]
    return float(np.mean(values)) if values else -np.inf


def _auto_search(problem: _Problem, config: TrainConfig, budget: float) -> tuple[dict, dict, list[dict], bool]:
    """Evaluate candidates in order until the budget is spent; return the best."""
    started = time.perf_counter()
    folds, _ = make_folds(config.split, smiles=problem.smiles, fingerprints=problem.ad_fps,
                          years=None, n_splits=config.auto_folds, seed=config.seed + 1) \
        if config.split != "temporal" else (problem.folds, "")
    tried, best, exhausted = [], None, False
    for featurizer, estimator in auto_candidates(problem.task, config.n_estimators):
        if tried and time.perf_counter() - started > budget:
            exhausted = True
            break
        t0 = time.perf_counter()
        X = problem.features(featurizer, config.n_jobs)
        per_fold, _ = _cross_validate(problem, X, _estimator_factory(featurizer, estimator, problem.task, config),
                                      folds)
        value = _selection_value(problem, per_fold)
        tried.append({"featurizer": featurizer, "estimator": estimator, "score": round(value, 4),
                      "seconds": round(time.perf_counter() - t0, 1)})
        if best is None or value > best[0]:
            best = (value, featurizer, estimator)
    return best[1], best[2], tried, exhausted


def _calibration_and_conformal(problem: _Problem, oof: np.ndarray, config: TrainConfig) -> dict:
    """Brier score and conformal coverage, each checked on held-out folds.

    For every fold k, the Platt calibrator and the conformal calibration scores are fitted
    on the out-of-fold predictions of the *other* folds and applied to fold k.
    """
    eps = 1 - config.conformal_confidence
    per_fold = []
    for _, test_idx in problem.folds:
        test = test_idx[problem.scored[test_idx]]
        rest = np.setdiff1d(np.flatnonzero(problem.scored & ~np.isnan(oof)), test)
        if len(test) == 0 or len(rest) == 0:
            continue
        if problem.task == "classification":
            a, b = fit_platt(oof[rest], problem.y[rest]) if config.calibrate else (1.0, 0.0)
            cal = lambda s: 1 / (1 + np.exp(-(a * s + b))) if config.calibrate else s  # noqa: E731
            p_rest, p_test, y_rest, y_test = cal(oof[rest]), cal(oof[test]), problem.y[rest], problem.y[test]
            p_act = mondrian_p_values(1 - p_rest[y_rest == 1], 1 - p_test)
            p_inact = mondrian_p_values(p_rest[y_rest == 0], p_test)
            in_set_true = np.where(y_test == 1, p_act > eps, p_inact > eps)
            set_size = (p_act > eps).astype(int) + (p_inact > eps).astype(int)
            per_fold.append({"brier_uncalibrated": float(np.mean((np.clip(oof[test], 0, 1) - y_test) ** 2)),
                             "brier_calibrated": float(np.mean((p_test - y_test) ** 2)),
                             "conformal_coverage": float(in_set_true.mean()),
                             "conformal_coverage_actives": float(in_set_true[y_test == 1].mean())
                             if (y_test == 1).any() else np.nan,
                             "conformal_singleton_rate": float((set_size == 1).mean())})
        else:
            half = conformal_quantile(problem.y[rest] - oof[rest], config.conformal_confidence)
            covered = np.abs(problem.y[test] - oof[test]) <= half
            per_fold.append({"conformal_coverage": float(covered.mean()),
                             "conformal_interval_width": 2 * half})
    summary = summarise(per_fold) if per_fold else {}
    out = {"conformal": {
        "method": ("Mondrian (class-conditional) inductive conformal prediction on calibrated out-of-fold "
                   "probabilities; p-values for both labels" if problem.task == "classification" else
                   "split conformal on absolute out-of-fold residuals; p_active from the conformal predictive "
                   "distribution of signed residuals"),
        "confidence": config.conformal_confidence,
        "held_out_check": {k: v for k, v in summary.items() if k.startswith("conformal")},
        "note": "checked per fold: calibrated on the other folds' out-of-fold predictions, tested on this fold",
    }}
    if problem.task == "classification":
        out["calibration"] = {
            "method": "Platt scaling fitted on out-of-fold scores" if config.calibrate else "none",
            "held_out_check": {k: v for k, v in summary.items() if k.startswith("brier")},
        }
    return out


def _fit_and_validate(problem: _Problem, config: TrainConfig, budget: float) -> dict:
    """Pick (or take) the configuration, cross-validate it, fit the final wrapped model."""
    auto = None
    if config.auto:
        featurizer, estimator, tried, exhausted = _auto_search(problem, config, budget)
        auto = {"candidates": tried, "budget_seconds": round(budget, 1), "budget_exhausted": exhausted,
                "selection": ("mean PR-AUC" if problem.task == "classification" else "mean R²") +
                             f" over a {config.auto_folds}-fold {config.split} split (seed {config.seed + 1}); "
                             "the validation below reuses the training data, so it is mildly optimistic "
                             "for the chosen configuration (selection bias)"}
    else:
        featurizer, estimator = config.featurizer_choice(), config.estimator_choice()
    build = _estimator_factory(featurizer, estimator, problem.task, config)
    X = problem.features(featurizer, config.n_jobs)
    per_fold, oof = _cross_validate(problem, X, build, problem.folds)
    yrand = None
    if config.y_randomisation_folds > 0:
        yr_folds, _ = _cross_validate(problem, X, build, problem.folds[:config.y_randomisation_folds],
                                      permute_seed=config.seed + 7)
        key = "roc_auc" if problem.task == "classification" else "r2"
        summary = summarise(yr_folds)
        chance = 0.5 if problem.task == "classification" else 0.0
        mean = summary[key]["mean"]
        yrand = {"metric": key, **summary[key], "chance_level": chance,
                 "near_chance": bool(mean is not None and (abs(mean - chance) < 0.1 if key == "roc_auc"
                                                           else mean < 0.1)),
                 "method": "labels permuted within each training fold; tested on true labels"}
    uncertainty = _calibration_and_conformal(problem, oof, config)
    final = build().fit(X, problem.y)
    if hasattr(final, "n_jobs"):
        final.n_jobs = 1  # parallelism is screenkit's job (chunks) at scoring time
    known = problem.scored & ~np.isnan(oof)
    calibrate = config.calibrate
    if problem.task == "classification" and calibrate:
        check = uncertainty["calibration"]["held_out_check"]
        before, after = check.get("brier_uncalibrated", {}).get("mean"), check.get("brier_calibrated", {}).get("mean")
        calibrate = before is not None and after is not None and after < before
        uncertainty["calibration"]["applied"] = calibrate
        uncertainty["calibration"]["rule"] = ("Platt scaling is applied only when it lowers the Brier score on "
                                              "held-out folds; otherwise p_active is the estimator's own probability")
    wrapped = ConformalModel.from_out_of_fold(final, problem.task, oof[known], problem.y[known],
                                              threshold=problem.threshold, confidence=config.conformal_confidence,
                                              calibrate=calibrate)
    # AD threshold: similarity of measured CV test compounds to their fold's measured training compounds
    nn = []
    for train_idx, test_idx in problem.folds:
        nn.append(tanimoto_max(problem.ad_fps[test_idx[problem.measured[test_idx]]],
                               problem.ad_fps[train_idx[problem.measured[train_idx]]]))
    nn = np.concatenate(nn)
    return {"featurizer": featurizer, "estimator": estimator, "model": wrapped, "per_fold": per_fold,
            "y_randomisation": yrand, "uncertainty": uncertainty, "auto": auto,
            "ad_threshold": float(np.quantile(nn, config.ad_quantile)) if len(nn) else 0.0}


def _versions() -> dict:
    return {"screenkit": __version__, "rdkit": rdBase.rdkitVersion,
            "scikit-learn": __import__("sklearn").__version__, "numpy": np.__version__,
            "skops": __import__("skops").__version__, "python": platform.python_version()}


def _make_problem(rows: pd.DataFrame, threshold: float, pool_smiles: np.ndarray, pool_fps: np.ndarray,
                  config: TrainConfig) -> tuple[_Problem, dict]:
    """Labels or values (with the censored-value policy), putative inactives and folds."""
    if config.task == "classification":
        rows, n_censored = _labels(rows, threshold)
        censored_note = "censored values kept only when they decide the label (e.g. '< 5' is inactive at 7)"
        y_measured = rows["active"].to_numpy()
        exact = np.ones(len(rows), bool)
    else:
        rows, n_censored = _regression_rows(rows, config.censored)
        censored_note = ("censored values excluded from training" if config.censored == "exclude" else
                         "censored values train at their bound; excluded from metrics and conformal residuals")
        y_measured = rows["pactivity"].to_numpy(float)
        exact = rows["exact"].to_numpy(bool)
    rows = rows.reset_index(drop=True)
    fps = _ad_fingerprints(rows["smiles"])
    decoy_idx = np.array([], dtype=int)
    if config.task == "classification":
        n_decoys = int(round(config.putative_inactive_ratio * len(rows)))
        decoy_idx = _pick_putative_inactives(pool_fps, fps[y_measured == 1], n_decoys, config)
    smiles = np.concatenate([rows["smiles"].to_numpy(str), pool_smiles[decoy_idx]])
    ad_fps = np.vstack([fps, pool_fps[decoy_idx]]) if len(decoy_idx) else fps
    y = np.concatenate([y_measured, np.zeros(len(decoy_idx), dtype=y_measured.dtype)])
    measured = np.concatenate([np.ones(len(rows), bool), np.zeros(len(decoy_idx), bool)])
    scored = np.concatenate([exact, np.ones(len(decoy_idx), bool)])
    years = np.concatenate([rows["document_year"].astype(str).to_numpy() if "document_year" in rows
                            else np.array([""] * len(rows)), np.array([""] * len(decoy_idx))])
    folds, split_text = make_folds(config.split, smiles=smiles, fingerprints=ad_fps, years=years,
                                   n_splits=config.n_folds, seed=config.seed, butina_cutoff=config.butina_cutoff)
    if len(decoy_idx):
        split_text += "; putative inactives are grouped like measured compounds"
    problem = _Problem(config.task, smiles, ad_fps, y, measured, scored, threshold, folds, split_text)
    return problem, {"rows": rows, "fps": fps, "y_measured": y_measured, "exact": exact, "n_decoys": len(decoy_idx),
                     "n_censored": n_censored, "censored_note": censored_note}


def _train_one(name: str, target: dict, activity_type: str, label: dict, rows: pd.DataFrame,
               pool_smiles: np.ndarray, pool_fps: np.ndarray, config: TrainConfig, provenance: dict,
               budget: float = 0.0) -> TargetModel:
    started = time.perf_counter()
    threshold = float(label["threshold"])
    problem, parts = _make_problem(rows, threshold, pool_smiles, pool_fps, config)
    rows, fps, y_measured, exact = parts["rows"], parts["fps"], parts["y_measured"], parts["exact"]
    n_censored, censored_note, split_text = parts["n_censored"], parts["censored_note"], problem.split_text
    result = _fit_and_validate(problem, config, budget)
    model = result["model"]
    featurizer = featurizer_spec(make_featurizer(result["featurizer"]["name"], **result["featurizer"]["params"]))
    inner = model.estimator
    card = {
        "name": name,
        "task": config.task,
        "outputs": model.outputs,
        "target": target,
        "activity_type": activity_type,
        "label": label,
        "data": {
            **provenance,
            "n_measured": int(len(rows)),
            **({"n_measured_active": int(y_measured.sum()), "n_measured_inactive": int(len(rows) - y_measured.sum())}
               if config.task == "classification" else
               {"n_measured_active": int((y_measured[exact] >= threshold).sum()),
                "n_measured_inactive": int((y_measured[exact] < threshold).sum()),
                "n_censored_used_as_bound": int((~exact).sum()),
                "pactivity_range": [round(float(y_measured.min()), 2), round(float(y_measured.max()), 2)]}),
            "n_censored_dropped": n_censored,
            "censored_values": censored_note,
            "n_putative_inactives": int(parts["n_decoys"]),
            "n_scaffolds": int(len(set(murcko_scaffold(s) or f"acyclic:{i}"
                                       for i, s in enumerate(rows["smiles"])))),
        },
        "featurizer": featurizer,
        "estimator": {"name": result["estimator"]["name"], "class": type(inner).__name__,
                      "params": _jsonable({k: v for k, v in inner.get_params(deep=False).items() if k != "n_jobs"})},
        "validation": {
            "split": split_text,
            "metrics": summarise(result["per_fold"]),
            "y_randomisation": result["y_randomisation"],
            **result["uncertainty"],
            "note": ("roc_auc, pr_auc, mcc, balanced_accuracy (at p=0.5), ef_1pct, bedroc_20 and brier are computed "
                     "on the uncalibrated out-of-fold scores of measured compounds plus putative inactives (a "
                     "screening-like mix); roc_auc_measured_only ranks measured actives against measured "
                     "inactives (the harder SAR task)." if config.task == "classification" else
                     "rmse, mae, r2 and spearman on measured exact values of the test folds; roc_auc/pr_auc rank "
                     f"the predicted pActivity for pActivity >= {threshold}."),
        },
        "applicability_domain": {
            "method": "max Tanimoto similarity (Morgan radius 2, 2048 bits) to the measured training compounds",
            "threshold": round(result["ad_threshold"], 4),
            "why": f"{config.ad_quantile:.0%} quantile of that similarity for the measured compounds of the "
                   "cross-validation test folds: the validation metrics describe queries at or above it",
        },
        "training_config": asdict(config),
        "versions": _versions(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_seconds": round(time.perf_counter() - started, 1),
        "intended_use": _intended_use(target, config.task, label),
    }
    if result["auto"]:
        card["auto_search"] = result["auto"]
    return TargetModel(name, card, model, fps, rows["pactivity"].to_numpy(float),
                       rows["smiles"].to_numpy(str), rows["inchikey"].to_numpy(str))


def _jsonable(params: dict) -> dict:
    return json.loads(json.dumps(params, default=lambda v: repr(v)))


def _intended_use(target: dict, task: str, label: dict) -> str:
    what = "probability of activity" if task == "classification" else "pActivity with a conformal interval"
    return (
        f"Prioritising compounds for experimental testing against {target.get('gene') or target.get('name')} "
        f"in leukodystrophy research, by {what}. OECD QSAR principles: (1) defined endpoint: {label['rule']}; "
        "(2) unambiguous algorithm: featurizer, estimator and every setting in this card, reproducible from the "
        "seed and the dataset hash; (3) applicability domain: Tanimoto similarity to the measured training "
        "compounds with the threshold below; (4) validation: grouped cross-validation with spread, "
        "y-randomisation, calibration and conformal coverage below; (5) mechanistic interpretation: "
        f"{target.get('rationale') or 'not given for this user-supplied assay'}. The label is potency, not "
        f"direction: the desired modality is '{target.get('modality') or 'unspecified'}', which binding data cannot "
        "confirm. Not for predictions far outside the applicability domain, nor as a substitute for assays."
    )


def _load_pool(pool: str | Path | None, config: TrainConfig) -> tuple[np.ndarray, np.ndarray, Path]:
    pool_path = Path(pool) if pool else bundled_path("data/putative_inactive_pool.csv.gz")
    if config.task != "classification" or config.putative_inactive_ratio <= 0:
        return np.array([], dtype=str), np.zeros((0, 2048), np.uint8), pool_path
    if not pool_path.is_file():
        raise InputFileError(f"putative-inactive pool {pool_path} does not exist; pass --pool CSV with a 'smiles' "
                             "column or --putative-inactive-ratio 0")
    pool_smiles = pd.read_csv(pool_path)["smiles"].to_numpy(str)
    return pool_smiles, _ad_fingerprints(pool_smiles), pool_path


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
                 config: TrainConfig = TrainConfig(), progress=None) -> list[TargetModel]:
    """Train one model per (target, activity type) of a curated dataset and save the bundle.

    Parameters
    ----------
    dataset : path
        Curated activity table (see :mod:`screenkit.dataset`).
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

    Returns
    -------
    list of TargetModel
        The models written.
    """
    table = select_targets(read_dataset(dataset), targets)
    table, n_holdout = _holdout_filter(table, Path(holdout) if holdout else None)
    pool_smiles, pool_fps, pool_path = _load_pool(pool, config)
    provenance = {"dataset": Path(dataset).name, "dataset_sha256": file_sha256(Path(dataset)),
                  "putative_inactive_pool": pool_path.name if len(pool_smiles) else None,
                  "holdout": Path(holdout).name if holdout else None, "n_rows_held_out": n_holdout}
    groups = [(key, rows) for key, rows in table.groupby(["target_chembl_id", "activity_type"], sort=True)]
    budget = config.time_budget / max(1, len(groups))
    models = []
    for (chembl_id, activity_type), rows in groups:
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
                           provenance, budget)
        models.append(model)
        if progress:
            progress(model)
    if not models:
        raise UsageError("no target had enough data to train a model; lower --min-compounds or add data")
    save_bundle(models, output, card_markdown)
    return models


def train_on_data(data: str | Path, output: str | Path, *, smiles_col: str | None, value_col: str,
                  name: str | None = None, threshold: float | None = None, units: str = "pactivity",
                  relation_col: str | None = None, year_col: str | None = None, pool: str | Path | None = None,
                  config: TrainConfig = TrainConfig(putative_inactive_ratio=0.0), progress=None) -> list[TargetModel]:
    """Train one model on a user's own measurements, with the same curation, validation and card.

    Parameters
    ----------
    data : path
        CSV/TSV, SDF or Parquet (see :func:`screenkit.measurements.read_measurements`).
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
    from .measurements import read_measurements

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
    pool_smiles, pool_fps, pool_path = _load_pool(pool, config)
    provenance = {"dataset": Path(data).name, "dataset_sha256": file_sha256(Path(data)),
                  "putative_inactive_pool": pool_path.name if len(pool_smiles) else None, "holdout": None,
                  "n_rows_held_out": 0, "n_input_rows": measurements.n_input_rows,
                  "n_rows_excluded": int(len(measurements.excluded)),
                  "excluded_reasons": measurements.excluded["reason"].value_counts().head(10).to_dict(),
                  "units": units, "columns": {"smiles": smiles_col, "value": value_col, "relation": relation_col,
                                              "year": year_col}}
    target = {"chembl_id": None, "gene": name, "name": f"user assay {Path(data).name}", "uniprot": None,
              "family": None, "category": None, "modality": "unspecified", "rationale": None,
              "reference": str(data)}
    label = _label(config.task, "Activity", threshold, why)
    model = _train_one(name, target, "Activity", label, table, pool_smiles, pool_fps, config, provenance,
                       config.time_budget)
    if progress:
        progress(model)
    save_bundle([model], output, card_markdown)
    return [model]


def _fmt(value: dict | None) -> str:
    if not value or value.get("mean") is None:
        return "n/a"
    return f"{value['mean']:.3f}" + (f" ± {value['sd']:.3f}" if value.get("sd") is not None else "")


def card_markdown(card: dict) -> str:
    """Render a model card dict as Markdown for people."""
    t, d, v = card["target"], card["data"], card["validation"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"**Target** {t['gene']} ({t['name']}; ChEMBL {t['chembl_id']}, UniProt {t['uniprot']}), "
        f"{t['family']}, {t['category']}. Desired modality: {t['modality']}.",
        "",
        f"**Task** {card.get('task', 'classification')}; outputs: {', '.join(card.get('outputs', ['p_active']))}.",
        "",
        f"**Endpoint** {card['activity_type']}: {card['label']['rule']} ({card['label']['why']}).",
        "",
        f"**Intended use** {card['intended_use']}",
        "",
        "## Data",
        "",
        f"- dataset `{d['dataset']}` (sha256 `{d['dataset_sha256'][:16]}...`)",
        f"- measured compounds {d['n_measured']}: {d['n_measured_active']} active, "
        f"{d['n_measured_inactive']} inactive; {d['n_scaffolds']} scaffolds"
        + (f"; {d['n_censored_used_as_bound']} censored values used as bounds" if d.get("n_censored_used_as_bound")
           else ""),
        f"- putative inactives {d['n_putative_inactives']} from `{d['putative_inactive_pool']}`",
        f"- held out (positive controls and their scaffolds) {d['n_rows_held_out']} rows via `{d['holdout']}`",
        f"- censored values: {d.get('censored_values', '')}; dropped {d['n_censored_dropped']}",
    ]
    if "n_rows_excluded" in d:
        lines.append(f"- input rows {d['n_input_rows']}, excluded {d['n_rows_excluded']} {d['excluded_reasons']}")
    est = card["estimator"]
    lines += [
        "",
        "## Model",
        "",
        f"- featurizer `{card['featurizer']['name']}` {card['featurizer']['params']}",
        f"- estimator `{est.get('name', '')}` {est['class']}: " + ", ".join(
            f"{k}={val}" for k, val in est["params"].items() if not isinstance(val, (dict, list))),
    ]
    if "auto_search" in card:
        a = card["auto_search"]
        lines += ["", f"Chosen by `--auto` ({a['selection']}); budget {a['budget_seconds']} s, "
                      f"exhausted: {a['budget_exhausted']}.", "", "| featurizer | estimator | score | s |",
                  "|---|---|---:|---:|"]
        lines += [f"| {c['featurizer']['name']} {c['featurizer']['params']} | {c['estimator']['name']} "
                  f"{c['estimator']['params']} | {c['score']:.3f} | {c['seconds']} |" for c in a["candidates"]]
    lines += ["", "## Validation", "", f"{v['split']}.", "", "| metric | mean | sd | folds |", "|---|---:|---:|---:|"]
    for key, value in v["metrics"].items():
        mean = "n/a" if value["mean"] is None else f"{value['mean']:.3f}"
        sd = "n/a" if value["sd"] is None else f"{value['sd']:.3f}"
        lines.append(f"| {key} | {mean} | {sd} | {value['folds']} |")
    lines += ["", v["note"]]
    yr = v.get("y_randomisation")
    if yr:
        lines += ["", f"**y-randomisation** ({yr['method']}): {yr['metric']} {_fmt(yr)} over {yr['folds']} folds "
                      f"(chance {yr['chance_level']}); near chance: {yr['near_chance']}."]
    if "calibration" in v:
        c = v["calibration"]
        lines += ["", f"**Calibration** {c['method']} (applied: {c.get('applied')}); on held-out folds Brier "
                      f"{_fmt(c['held_out_check'].get('brier_uncalibrated'))} uncalibrated, "
                      f"{_fmt(c['held_out_check'].get('brier_calibrated'))} calibrated."]
    if "conformal" in v:
        c = v["conformal"]
        checks = "; ".join(f"{k} {_fmt(val)}" for k, val in c["held_out_check"].items())
        lines += ["", f"**Conformal prediction** {c['method']}, confidence {c['confidence']}: {checks} "
                      f"({c['note']})."]
    ad = card["applicability_domain"]
    lines += ["", "## Applicability domain", "",
              f"{ad['method']}; in-domain threshold {ad['threshold']:.3f} ({ad['why']}).", "",
              "## Versions", "", ", ".join(f"{k} {val}" for k, val in card["versions"].items()),
              f"; trained {card['created']} in {card['training_seconds']} s.", ""]
    return "\n".join(lines)
