"""screenkit's own estimators: Tanimoto-kernel support vector machines and nearest neighbours.

scikit-learn has no Tanimoto similarity, so screenkit brings :class:`TanimotoSVC`/:class:`TanimotoSVR`
(support vector machines with the MinMax kernel, which is Tanimoto on bits) and :class:`TanimotoKNN`
(similarity-weighted nearest neighbours). They keep only numpy arrays, so the array file format
(and skops) can save them with an explicit trusted-types list.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ..chem.similarity import minmax_kernel

__all__ = ["TanimotoSVC", "TanimotoSVR", "TanimotoKNN"]


class TanimotoSVC(ClassifierMixin, BaseEstimator):
    """Support vector classifier with the Tanimoto (MinMax) kernel on fingerprints.

    Keeps only the support vectors and dual coefficients. ``predict_proba`` is a
    logistic squashing of the decision value (monotone, for ranking); screenkit's
    :class:`ConformalModel` calibrates it on out-of-fold predictions.

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoSVC(C=1.0).fit(X, [1, 1, 0, 0]).predict(X).tolist()
    [1, 1, 0, 0]
    """

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced"):
        self.C = C
        self.class_weight = class_weight

    def fit(self, X, y):
        from sklearn.svm import SVC

        X, y = np.asarray(X), np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:  # a fold with one class: constant prediction
            self.support_vectors_ = X[:0]
            self.dual_coef_ = np.zeros(0)
            self.intercept_ = 1.0 if self.classes_[0] == 1 else -1.0
            self.classes_ = np.array([0, 1])
            return self
        svc = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight).fit(minmax_kernel(X, X), y)
        self.support_vectors_ = X[svc.support_]
        self.dual_coef_ = svc.dual_coef_.ravel().astype(np.float64)
        self.intercept_ = float(svc.intercept_[0])
        return self

    def decision_function(self, X) -> np.ndarray:
        if len(self.support_vectors_) == 0:
            return np.full(len(X), self.intercept_)
        return minmax_kernel(np.asarray(X), self.support_vectors_) @ self.dual_coef_ + self.intercept_

    def predict_proba(self, X) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-2.0 * self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]


class TanimotoSVR(RegressorMixin, BaseEstimator):
    """Epsilon-support vector regression with the Tanimoto (MinMax) kernel.

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoSVR(C=10.0).fit(X, [8.0, 7.5, 5.0, 5.5]).predict(X[:1]).round(0).tolist()
    [8.0]
    """

    def __init__(self, C: float = 1.0, epsilon: float = 0.1):
        self.C = C
        self.epsilon = epsilon

    def fit(self, X, y):
        from sklearn.svm import SVR

        X, y = np.asarray(X), np.asarray(y, dtype=float)
        svr = SVR(kernel="precomputed", C=self.C, epsilon=self.epsilon).fit(minmax_kernel(X, X), y)
        self.support_vectors_ = X[svr.support_]
        self.dual_coef_ = svr.dual_coef_.ravel().astype(np.float64)
        self.intercept_ = float(svr.intercept_[0])
        return self

    def predict(self, X) -> np.ndarray:
        if len(self.support_vectors_) == 0:
            return np.full(len(X), self.intercept_)
        return minmax_kernel(np.asarray(X), self.support_vectors_) @ self.dual_coef_ + self.intercept_


class TanimotoKNN(BaseEstimator):
    """k nearest neighbours by Tanimoto (MinMax) similarity, similarity-weighted.

    Classification: ``predict_proba`` is the weighted fraction of active neighbours.
    Regression: ``predict`` is the weighted mean of the neighbours' values.

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoKNN(n_neighbors=2).fit(X, [1, 1, 0, 0]).predict_proba(X[:1])[:, 1].tolist()
    [1.0]
    """

    def __init__(self, n_neighbors: int = 5, task: str = "classification"):
        self.n_neighbors = n_neighbors
        self.task = task

    def fit(self, X, y):
        self.X_ = np.asarray(X)
        self.y_ = np.asarray(y, dtype=float)
        if self.task == "classification":
            self.classes_ = np.array([0, 1])
        return self

    def _weighted_mean(self, X) -> np.ndarray:
        sim = minmax_kernel(np.asarray(X), self.X_)
        k = min(self.n_neighbors, sim.shape[1])
        idx = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        weights = np.take_along_axis(sim, idx, axis=1) + 1e-6
        return (weights * self.y_[idx]).sum(axis=1) / weights.sum(axis=1)

    def predict_proba(self, X) -> np.ndarray:
        p = self._weighted_mean(X)
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        value = self._weighted_mean(X)
        return (value >= 0.5).astype(int) if self.task == "classification" else value
