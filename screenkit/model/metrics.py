"""Validation metrics for activity models, per fold and summarised over folds.

Classification metrics take the true 0/1 labels and a score (probability of
activity); regression metrics take measured and predicted pActivity.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    matthews_corrcoef,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)

__all__ = ["enrichment_factor", "bedroc", "classification_metrics", "regression_metrics", "summarise"]


def enrichment_factor(y_true: np.ndarray, score: np.ndarray, fraction: float = 0.01) -> float:
    """Active rate in the top ``fraction`` by score over the overall active rate.

    Examples
    --------
    >>> enrichment_factor(np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.2, 0.3]), 0.25)
    4.0
    """
    y_true = np.asarray(y_true)
    n_top = max(1, int(round(len(score) * fraction)))
    top = np.argsort(-np.asarray(score), kind="stable")[:n_top]
    base = y_true.mean() if len(y_true) else 0
    return float(y_true[top].mean() / base) if base > 0 else float("nan")


def bedroc(y_true: np.ndarray, score: np.ndarray, alpha: float = 20.0) -> float:
    """Boltzmann-enhanced ROC (Truchon and Bayly 2007), early recognition in [0, 1].

    Examples
    --------
    >>> round(bedroc(np.array([1, 0, 0, 0, 0]), np.array([5, 4, 3, 2, 1])), 3)
    1.0
    """
    from rdkit.ML.Scoring import Scoring

    y_true = np.asarray(y_true)
    if y_true.sum() == 0 or y_true.sum() == len(y_true):
        return float("nan")
    order = np.argsort(-np.asarray(score), kind="stable")
    return float(Scoring.CalcBEDROC([[0, int(v)] for v in y_true[order]], 1, alpha))


def _both(y) -> bool:
    return len(set(np.asarray(y).tolist())) == 2


def classification_metrics(y: np.ndarray, p: np.ndarray, measured: np.ndarray | None = None) -> dict:
    """ROC-AUC, PR-AUC, MCC and balanced accuracy (at p = 0.5), EF1%, BEDROC(20), Brier.

    With ``measured`` (a mask), also ROC-AUC among measured compounds only.
    """
    y, p = np.asarray(y).astype(int), np.asarray(p, dtype=float)
    out = {
        "roc_auc": roc_auc_score(y, p) if _both(y) else np.nan,
        "pr_auc": average_precision_score(y, p) if y.any() else np.nan,
        "mcc": matthews_corrcoef(y, p >= 0.5),
        "balanced_accuracy": balanced_accuracy_score(y, p >= 0.5) if _both(y) else np.nan,
        "ef_1pct": enrichment_factor(y, p, 0.01),
        "bedroc_20": bedroc(y, p, 20.0),
        "brier": brier_score_loss(y, np.clip(p, 0, 1)) if len(y) else np.nan,
    }
    if measured is not None:
        ym, pm = y[measured], p[measured]
        out["roc_auc_measured_only"] = roc_auc_score(ym, pm) if _both(ym) else np.nan
    return out


def regression_metrics(y: np.ndarray, yhat: np.ndarray, threshold: float | None = None) -> dict:
    """RMSE, MAE, R², Spearman; with ``threshold``, ROC-AUC and PR-AUC of the prediction
    for ``y >= threshold`` (how well the regressor ranks actives).
    """
    from scipy.stats import spearmanr

    y, yhat = np.asarray(y, dtype=float), np.asarray(yhat, dtype=float)
    out = {
        "rmse": float(np.sqrt(mean_squared_error(y, yhat))) if len(y) else np.nan,
        "mae": mean_absolute_error(y, yhat) if len(y) else np.nan,
        "r2": r2_score(y, yhat) if len(y) > 1 else np.nan,
        "spearman": spearmanr(y, yhat).statistic if len(y) > 2 and np.std(y) > 0 and np.std(yhat) > 0 else np.nan,
    }
    if threshold is not None:
        active = (y >= threshold).astype(int)
        out["roc_auc"] = roc_auc_score(active, yhat) if _both(active) else np.nan
        out["pr_auc"] = average_precision_score(active, yhat) if active.any() else np.nan
    return out


def summarise(per_fold: list[dict]) -> dict:
    """``{metric: {"mean", "sd", "folds"}}`` over folds, ignoring undefined (NaN) values."""
    out = {}
    for key in per_fold[0] if per_fold else []:
        values = np.array([fold.get(key, np.nan) for fold in per_fold], dtype=float)
        values = values[~np.isnan(values)]
        out[key] = {"mean": round(float(values.mean()), 4) if len(values) else None,
                    "sd": round(float(values.std(ddof=1)), 4) if len(values) > 1 else None,
                    "folds": int(len(values))}
    return out
