"""Conformal intervals for regression that widen with a compound's difficulty.

Plain split conformal (what :class:`~screenkit.model.estimators.ConformalModel` stores)
gives every compound the same half-width, so a compound far from the training data gets
as narrow an interval as a close analogue. Normalised conformal prediction (Papadopoulos
et al. 2011; Norinder et al. 2014 for QSAR) divides each calibration residual by a
difficulty estimate ``sigma(d)`` and scales the interval by the query's own ``sigma``:

    half-width(x) = q * sigma(d(x)),   q = conformal quantile of |r_i| / sigma(d_i)

Here ``d`` is the nearest-neighbour Tanimoto *distance* (1 - max similarity) to the
training compounds, or any other non-negative difficulty (an ensemble's spread), and
``sigma(d) = max(a + b d, floor)`` is the least-squares line of the calibration
``|residual|`` on ``d``: the data say how much wider an interval gets per unit of distance
(``b`` is clipped at 0, so an interval never narrows with distance). The coverage
guarantee is the usual split-conformal one (exchangeable calibration and test rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..chem.similarity import tanimoto_max
from .estimators import conformal_quantile

__all__ = ["NormalisedConformal", "nearest_neighbour_distance"]


def nearest_neighbour_distance(query_fps: np.ndarray, reference_fps: np.ndarray) -> np.ndarray:
    """1 - max Tanimoto of each query bit vector to the reference set (a difficulty estimate)."""
    return 1.0 - tanimoto_max(query_fps, reference_fps)


@dataclass(frozen=True)
class NormalisedConformal:
    """Difficulty-normalised split-conformal intervals, fitted on out-of-fold residuals.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = rng.uniform(0, 1, 2000)
    >>> residuals = rng.normal(0, 0.2 + d)          # error grows with distance
    >>> nc = NormalisedConformal.fit(residuals, d, confidence=0.8)
    >>> lo, hi = nc.interval(np.zeros(2), np.array([0.0, 1.0]))
    >>> bool((hi - lo)[1] > 2 * (hi - lo)[0])
    True
    """

    quantile: float
    intercept: float
    slope: float
    floor: float
    confidence: float

    @classmethod
    def fit(cls, residuals: np.ndarray, difficulty: np.ndarray, confidence: float = 0.8) -> NormalisedConformal:
        r = np.abs(np.asarray(residuals, dtype=float))
        d = np.asarray(difficulty, dtype=float)
        if len(r) != len(d) or len(r) < 2:
            raise ValueError("need at least two calibration residuals, each with a difficulty")
        slope, intercept = np.polyfit(d, r, 1) if np.ptp(d) > 0 else (0.0, float(r.mean()))
        slope = max(float(slope), 0.0)
        if slope == 0.0:
            intercept = float(r.mean())
        floor = max(0.1 * float(r.mean()), 1e-6)
        sigma = np.maximum(intercept + slope * d, floor)
        return cls(conformal_quantile(r / sigma, confidence), float(intercept), slope, floor, float(confidence))

    def sigma(self, difficulty: np.ndarray) -> np.ndarray:
        return np.maximum(self.intercept + self.slope * np.asarray(difficulty, dtype=float), self.floor)

    def interval(self, prediction: np.ndarray, difficulty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` at :attr:`confidence` for each prediction."""
        half = self.quantile * self.sigma(difficulty)
        prediction = np.asarray(prediction, dtype=float)
        return prediction - half, prediction + half
