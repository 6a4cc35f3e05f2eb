"""Fit one problem: pick (or take) the configuration, validate it on the folds, fit the final model.

The validation itself is :func:`screenkit.model.validation.validate` and the held-out
calibration and conformal checks :func:`screenkit.model.calibration.calibration_and_conformal`;
this module runs them in order with progress lines, fits the final estimator and wraps it
with calibration and conformal scores (:class:`~screenkit.model.estimators.ConformalModel`).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from ..progress import StepLog
from .calibration import calibration_and_conformal, out_of_fold_distance, out_of_fold_record, pooled_out_of_fold
from .crossval import estimator_factory
from .estimators import ConformalModel
from .plots import PlotData
from .problem import Problem
from .search import auto_search
from .validation import difficulty, validate

if TYPE_CHECKING:
    from .trainconfig import TrainConfig

__all__ = ["announce_fits", "fit_and_validate", "SILENT"]

SILENT = StepLog(enabled=False)


def announce_fits(build, steps: StepLog, label: str, n_folds: int, n_permutations: int):
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


def fit_and_validate(problem: Problem, config: TrainConfig, budget: float, steps: StepLog = SILENT,
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
    validation, preds = validate(problem, X, announce_fits(build, steps, label, len(problem.folds),
                                                            config.y_randomisation_permutations), config)
    steps.start(f"{label}: calibration and conformal checks")
    # the regression interval's difficulty: computed once for the held-out check and the final model
    distances = out_of_fold_distance(problem, preds) if problem.task == "regression" else None
    uncertainty = calibration_and_conformal(problem, preds, config, distances)
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
                                              confidence=config.conformal_confidence, calibrate=calibrate,
                                              difficulty=None if distances is None else np.concatenate(distances))
    _, nn = difficulty(problem)
    plot_data = PlotData.from_record(problem.task, problem.threshold,
                                     out_of_fold_record(problem, preds, config.calibrate))
    return {"featurizer": featurizer, "estimator": estimator, "model": wrapped, "validation": validation,
            "uncertainty": uncertainty, "auto": auto, "plot_data": plot_data,
            "ad_threshold": float(np.quantile(nn, config.ad_quantile)) if len(nn) else 0.0}
