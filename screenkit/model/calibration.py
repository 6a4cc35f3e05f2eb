"""Calibration and conformal prediction checked on held-out folds, and the out-of-fold record.

For every fold k, the Platt calibrator and the conformal calibration scores are fitted on the
out-of-fold predictions of the *other* folds and applied to fold k: the Brier scores,
reliability tables and conformal coverage on the card are measured that way, and so are the
calibrated probabilities the card's plots are drawn from (:func:`out_of_fold_record`).
"""

from __future__ import annotations

import numpy as np

from .crossval import FoldPrediction, baseline_predictions
from .estimators import conformal_quantile, fit_platt, mondrian_p_values, prior_correct
from .metrics import summarise
from .problem import Problem

__all__ = ["pooled_out_of_fold", "platt_calibrator", "out_of_fold_record", "calibration_and_conformal",
           "reliability_table", "prior_correction_note"]


def pooled_out_of_fold(problem: Problem, predictions: list[FoldPrediction]) -> tuple[np.ndarray, np.ndarray]:
    """Scores and truths of every scored test row, all folds together (a decoy may recur)."""
    scores, ys = [], []
    for pred in predictions:
        keep = problem.scored[pred.rows]
        scores.append(pred.score[keep])
        ys.append(problem.y[pred.rows][keep])
    return np.concatenate(scores), np.concatenate(ys)


def platt_calibrator(scores: np.ndarray, y: np.ndarray, calibrate: bool = True):
    """The Platt map fitted on ``(scores, y)`` as a function of new scores (the identity when off)."""
    if not calibrate:
        return lambda s: s
    a, b = fit_platt(scores, y)
    return lambda s: 1 / (1 + np.exp(-(a * s + b)))


def out_of_fold_record(problem: Problem, predictions: list[FoldPrediction], calibrate: bool) -> dict[str, np.ndarray]:
    """What the card's plots are drawn from, one entry per scored test row of each fold.

    ``fold``, ``measured`` (False: a putative inactive), ``y`` (label or pActivity),
    ``score`` (the model's out-of-fold score), ``baseline`` (the similarity baseline on the
    same folds) and ``calibrated``: the probability after Platt scaling fitted on the *other*
    folds, as in :func:`calibration_and_conformal` (NaN for regression). Stored beside the
    card, it lets the plots be redrawn, and the card's figures recomputed, without retraining.
    """
    baseline = baseline_predictions(problem)
    parts: dict[str, list] = {k: [] for k in ("fold", "measured", "y", "score", "baseline", "calibrated")}
    for k, (pred, base) in enumerate(zip(predictions, baseline)):
        keep = problem.scored[pred.rows]
        rows = pred.rows[keep]
        parts["fold"].append(np.full(len(rows), k, dtype=np.int16))
        parts["measured"].append(problem.measured[rows])
        parts["y"].append(problem.y[rows].astype(float))
        parts["score"].append(pred.score[keep].astype(float))
        parts["baseline"].append(base.score[keep].astype(float))
        others = [p for j, p in enumerate(predictions) if j != k]
        if problem.task == "classification" and len(rows) and others:
            s_rest, y_rest = pooled_out_of_fold(problem, others)
            parts["calibrated"].append(np.asarray(platt_calibrator(s_rest, y_rest, calibrate)(pred.score[keep]), float))
        else:
            parts["calibrated"].append(np.full(len(rows), np.nan))
    return {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}


def out_of_fold_distance(problem: Problem, predictions: list[FoldPrediction]) -> list[np.ndarray]:
    """Per fold, each scored test row's nearest-neighbour Tanimoto distance (applicability-domain
    fingerprints) to the fold's measured training compounds: the difficulty that normalised
    conformal intervals scale with, as scoring measures it (``1 - <model>_ad``)."""
    from .split import nearest_train_similarity

    out = []
    for fold, pred in zip(problem.folds, predictions):
        train = fold.train[problem.measured[fold.train]]
        test = pred.rows[problem.scored[pred.rows]]
        out.append(1.0 - nearest_train_similarity(problem.ad_fps, [(train, test)]))
    return out


def _interval_check(y_test, s_test, d_test, y_rest, s_rest, d_rest, confidence: float) -> dict:
    """Plain and difficulty-normalised split-conformal intervals fitted on the other folds, tested here."""
    from .intervals import NormalisedConformal

    half = conformal_quantile(y_rest - s_rest, confidence)
    lower, upper = NormalisedConformal.fit(y_rest - s_rest, d_rest, confidence).interval(s_test, d_test)
    far = d_test >= np.quantile(d_test, 0.75)  # the test compounds farthest from the training set
    plain_in, norm_in = np.abs(y_test - s_test) <= half, (y_test >= lower) & (y_test <= upper)
    return {"conformal_coverage": float(plain_in.mean()), "conformal_interval_width": 2 * half,
            "conformal_coverage_far_quarter": float(plain_in[far].mean()),
            "conformal_normalised_coverage": float(norm_in.mean()),
            "conformal_normalised_coverage_far_quarter": float(norm_in[far].mean()),
            "conformal_normalised_width_near_quarter": float(np.mean((upper - lower)[d_test <= np.quantile(d_test,
                                                                                                           0.25)])),
            "conformal_normalised_width_far_quarter": float(np.mean((upper - lower)[far]))}


def calibration_and_conformal(problem: Problem, predictions: list[FoldPrediction], config,
                              distances: list[np.ndarray] | None = None) -> dict:
    """Brier score and conformal coverage, each checked on held-out folds.

    For every fold k, the Platt calibrator and the conformal calibration scores are fitted
    on the out-of-fold predictions of the *other* folds and applied to fold k. ``distances``
    (regression): :func:`out_of_fold_distance`, computed here when not given.
    """
    eps = 1 - config.conformal_confidence
    if problem.task != "classification" and distances is None:
        distances = out_of_fold_distance(problem, predictions)
    per_fold: list[dict] = []
    held_out: dict[str, list] = {"y": [], "raw": [], "calibrated": []}
    for k, pred in enumerate(predictions):
        keep = problem.scored[pred.rows]
        s_test, y_test = pred.score[keep], problem.y[pred.rows][keep]
        others = [p for j, p in enumerate(predictions) if j != k]
        if len(s_test) == 0 or not others:
            continue
        s_rest, y_rest = pooled_out_of_fold(problem, others)
        if problem.task == "classification":
            cal = platt_calibrator(s_rest, y_rest, config.calibrate)
            p_rest, p_test = cal(s_rest), cal(s_test)
            held_out["y"].append(y_test)
            held_out["raw"].append(np.clip(s_test, 0, 1))
            held_out["calibrated"].append(p_test)
            p_act = mondrian_p_values(1 - p_rest[y_rest == 1], 1 - p_test)
            p_inact = mondrian_p_values(p_rest[y_rest == 0], p_test)
            in_set_true = np.where(y_test == 1, p_act > eps, p_inact > eps)
            set_size = (p_act > eps).astype(int) + (p_inact > eps).astype(int)
            per_fold.append({"brier_uncalibrated": float(np.mean((np.clip(s_test, 0, 1) - y_test) ** 2)),
                             "brier_calibrated": float(np.mean((p_test - y_test) ** 2)),
                             "conformal_coverage": float(in_set_true.mean()),
                             "conformal_coverage_actives": float(in_set_true[y_test == 1].mean())
                             if (y_test == 1).any() else np.nan,
                             "conformal_singleton_rate": float((set_size == 1).mean())})
        else:
            assert distances is not None  # set above for regression
            d_rest = np.concatenate([d for j, d in enumerate(distances) if j != k])
            per_fold.append(_interval_check(y_test, s_test, distances[k], y_rest, s_rest, d_rest,
                                            config.conformal_confidence))
    summary = summarise(per_fold) if per_fold else {}
    out = {"conformal": {
        "method": ("Mondrian (class-conditional) inductive conformal prediction on calibrated out-of-fold "
                   "probabilities; p-values for both labels" if problem.task == "classification" else
                   "split conformal on absolute out-of-fold residuals, normalised by the nearest-neighbour "
                   "Tanimoto distance to the training compounds (screenkit.model.intervals; the interval widens "
                   "out of domain); p_active from the conformal predictive distribution of signed residuals"),
        "confidence": config.conformal_confidence,
        "held_out_check": {k: v for k, v in summary.items() if k.startswith("conformal")},
        "note": "checked per fold: calibrated on the other folds' out-of-fold predictions (measured compounds and "
                "the folds' putative inactives), tested on this fold",
    }}
    if problem.task == "classification":
        out["calibration"] = {
            "method": "Platt scaling fitted on out-of-fold scores" if config.calibrate else "none",
            "held_out_check": {k: v for k, v in summary.items() if k.startswith("brier")},
        }
        if held_out["y"]:
            y, raw, calibrated = (np.concatenate(held_out[k]) for k in ("y", "raw", "calibrated"))
            out["calibration"]["reliability"] = {"uncalibrated": reliability_table(y, raw),
                                                 "calibrated": reliability_table(y, calibrated),
                                                 "note": "held-out folds, each calibrated on the other folds"}
            out["calibration"]["prior_correction"] = prior_correction_note(float(np.mean(y)), config.library_base_rate)
    return out


def reliability_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Per probability bin: mean predicted, observed active rate, count (a reliability diagram as data)."""
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            rows.append({"bin": [round(float(edges[b]), 2), round(float(edges[b + 1]), 2)],
                         "mean_predicted": round(float(p[mask].mean()), 4),
                         "observed": round(float(y[mask].mean()), 4), "n": int(mask.sum())})
    return rows


def prior_correction_note(training_rate: float, base_rate: float) -> dict:
    """What the prior correction to a library base rate does to this model's probabilities."""
    return {"training_active_rate": round(training_rate, 4), "library_base_rate": base_rate,
            "p_0_5_becomes": round(float(prior_correct(0.5, training_rate, base_rate)), 4),
            "p_0_9_becomes": round(float(prior_correct(0.9, training_rate, base_rate)), 4),
            "method": "Bayes odds correction of the calibrated p_active from the calibration mix's active rate to "
                      "the library base rate (ConformalModel.p_active_at_base_rate); scoring applies it at the "
                      "run's base rate (score --base-rate, the profile's base_rate), so a scored p_active is this"}
