"""``p_active`` at the library's base rate, and the enrichment: from a model's calibrated (or reliability-
mapped) probability on its training mix to the probability in a library where ``base_rate`` is active."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..model.bundle import TargetModel
from ..model.card import ModelCard
from ..model.estimators import prior_correct

__all__ = ["at_base_rate", "clear_caches", "reliability_map", "training_active_rate"]

# per loaded model (by id), cleared when a worker reloads its bundle
_RELIABILITY_MAPS: dict[int, Callable[[np.ndarray], np.ndarray] | None] = {}


def clear_caches() -> None:
    """Forget the reliability maps of a bundle that was reloaded."""
    _RELIABILITY_MAPS.clear()


def training_active_rate(model: TargetModel) -> float | None:
    """Active share of the mix the model's probabilities were calibrated on (None if unknown).

    Classifiers record it (``ConformalModel.training_rate``, the same figure as the card's
    ``calibration.prior_correction.training_active_rate``); for a regression model it is the
    share of measured training values at or above the label threshold.
    """
    rate = getattr(model.estimator, "training_rate", None)
    if rate is None:
        rate = model.card.training_active_rate
    if rate is None and model.card.task == "regression" and len(model.train_pactivity):
        rate = float(np.mean(model.train_pactivity >= model.card.label_threshold))
    return None if rate is None or not 0 < rate < 1 else float(rate)


def reliability_map(card: ModelCard) -> Callable[[np.ndarray], np.ndarray] | None:
    """A monotone map from a model's uncalibrated score to the active share observed on held-out folds.

    For models whose card says Platt scaling was *not* applied (it did not lower the held-out
    Brier score), ``p_active`` is the estimator's own score, e.g. a forest's vote share, and
    the card's held-out reliability table shows how far that is from a probability (JAK1_Ki:
    scores 0.1-0.2 were 89 % active). The map is centred isotonic regression on that table
    (Oron & Flournoy 2017): pool-adjacent-violators over the bins (mean score -> observed
    share, weighted by bin size), each pooled block placed at its weighted mean score, and
    straight lines between blocks and out to ``(0, 0.5/n)`` and ``(1, 1 - 0.5/n)``. It is
    strictly increasing, so the model's own order of compounds is kept (plain isotonic
    regression would tie every JAK1 score above 0.17). ``None`` when Platt was applied or
    the card has no table.

    Examples
    --------
    >>> card = ModelCard("X", validation={"calibration": {"applied": False, "reliability": {"uncalibrated": [
    ...     {"mean_predicted": 0.05, "observed": 0.01, "n": 100}, {"mean_predicted": 0.2, "observed": 0.9, "n": 50},
    ...     {"mean_predicted": 0.5, "observed": 0.8, "n": 50}]}}})
    >>> reliability_map(card)(np.array([0.05, 0.2, 0.35, 0.5])).round(3).tolist()
    [0.01, 0.43, 0.85, 0.884]
    """
    calibration = card.calibration
    if calibration.get("applied") is not False:
        return None
    bins = (calibration.get("reliability") or {}).get("uncalibrated") or []
    if len(bins) < 2:
        return None
    from sklearn.isotonic import IsotonicRegression

    x = np.array([b["mean_predicted"] for b in bins], float)
    y = np.array([b["observed"] for b in bins], float)
    n = np.array([b["n"] for b in bins], float)
    order = np.argsort(x)
    x, y, n = x[order], y[order], n[order]
    pooled = IsotonicRegression().fit(x, y, sample_weight=n).predict(x)
    margin = 0.5 / n.sum()
    centres, values = [], []
    for value in np.unique(pooled):  # one point per pooled block, at its weighted mean score
        block = pooled == value
        centres.append(float(np.average(x[block], weights=n[block])))
        values.append(float(np.clip(value, 2 * margin, 1 - 2 * margin)))  # room for the end knots
    knots_x = np.array([0.0] + centres + [1.0])
    knots_y = np.array([margin] + values + [1 - margin])
    return lambda p: np.interp(np.asarray(p, float), knots_x, knots_y)


def at_base_rate(model: TargetModel, values: list[tuple[str, np.ndarray]],
                  base_rate: float) -> list[tuple[str, np.ndarray]]:
    """Replace the calibrated (training-mix) p_active by the library one and add the enrichment."""
    rate = training_active_rate(model)
    if id(model) not in _RELIABILITY_MAPS:
        _RELIABILITY_MAPS[id(model)] = reliability_map(model.card)
    calibrate = _RELIABILITY_MAPS[id(model)]
    out = []
    for column, v in values:
        if column != f"{model.name}_p_active":
            out.append((column, v))
            continue
        if rate is None:  # nothing to correct from: no evidence scale either (enrichment NaN)
            out += [(column, v), (f"{model.name}_enrichment", np.full(len(v), np.nan))]
            continue
        p = np.clip(v if calibrate is None else calibrate(v), 1e-6, 1 - 1e-6)  # 0 or 1: no infinite evidence
        out += [(column, prior_correct(p, rate, base_rate)),
                (f"{model.name}_enrichment", (p / (1 - p)) / (rate / (1 - rate)))]
    return out
