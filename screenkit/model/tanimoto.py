"""screenkit's own estimators: Tanimoto-kernel support vector machines and nearest neighbours.

scikit-learn has no Tanimoto similarity, so screenkit brings :class:`TanimotoSVC`/:class:`TanimotoSVR`
(support vector machines with the MinMax kernel, which is Tanimoto on bits) and
:class:`TanimotoKNNClassifier`/:class:`TanimotoKNNRegressor` (similarity-weighted nearest
neighbours). They follow scikit-learn's contract (parameters stored as given, learned state in
``*_`` attributes, input validated by :func:`~sklearn.utils.validation.validate_data`; checked with
``check_estimator`` in ``tests/test_estimators_contract.py``) and keep only numpy arrays, so the
array file format can save them with an explicit trusted-types list.

The MinMax kernel needs non-negative features (fingerprint bits or counts): negative values
raise ``ValueError`` and the estimators carry scikit-learn's ``positive_only`` input tag.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from ..chem.similarity import minmax_kernel

__all__ = ["TanimotoSVC", "TanimotoSVR", "TanimotoKNNClassifier", "TanimotoKNNRegressor", "TanimotoKNN",
           "check_parameters"]


def check_parameters(estimator) -> None:
    """Raise ``ValueError`` naming the parameter, the value and what it may be.

    ``make_estimator`` calls it when the estimator is built (so a bad ``--estimator-params``
    fails before any featurizing), ``fit`` calls it again for estimators built by hand.
    """
    for name, (kind, low, strict) in estimator._limits.items():
        value = getattr(estimator, name)
        if name == "class_weight":
            if value is not None and value != "balanced" and not isinstance(value, dict):
                raise ValueError(f"class_weight must be 'balanced', a dict or None, not {value!r}")
            continue
        ok = isinstance(value, kind) and not isinstance(value, bool)
        ok = ok and (value > low if strict else value >= low)
        if not ok:
            bound = f"greater than {low}" if strict else f"of at least {low}"
            what = "a whole number" if kind is Integral else "a number"
            raise ValueError(f"{type(estimator).__name__} parameter {name} must be {what} {bound}, not {value!r}")


class _TanimotoEstimator(BaseEstimator):
    """Shared input handling: non-negative dense features, validated as scikit-learn does."""

    _limits: dict = {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _fit_data(self, X, y, **kwargs):
        check_parameters(self)
        X, y = validate_data(self, X, y, **kwargs)
        check_non_negative(X, type(self).__name__)
        return X, y

    def _query(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        check_non_negative(X, type(self).__name__)
        return X


class _TanimotoSVM(_TanimotoEstimator):
    """Support vectors, dual coefficients and intercept of a precomputed-kernel libsvm fit."""

    def _keep(self, X: np.ndarray, svm) -> None:
        self.support_vectors_ = X[svm.support_]
        self.dual_coef_ = svm.dual_coef_.ravel().astype(np.float64)
        self.intercept_: float | np.ndarray = float(svm.intercept_[0])  # an array for one-vs-rest machines

    def _decision(self, X) -> np.ndarray:
        X = self._query(X)
        if len(self.support_vectors_) == 0:
            return np.full(len(X), self.intercept_)
        return minmax_kernel(X, self.support_vectors_) @ self.dual_coef_.T + self.intercept_


class TanimotoSVC(ClassifierMixin, _TanimotoSVM):
    """Support vector classifier with the Tanimoto (MinMax) kernel on fingerprints.

    Keeps only the support vectors and dual coefficients. ``predict_proba`` is a
    logistic squashing of the decision value (monotone, for ranking); screenkit's
    :class:`~screenkit.model.estimators.ConformalModel` calibrates it on out-of-fold
    predictions. Two classes make one binary machine (``dual_coef_`` 1-D, ``intercept_`` a
    float); more classes get one machine per class against the rest (``dual_coef_`` of shape
    ``(n_classes, n_support)``). A fold with only 0s or only 1s predicts that class with the
    fixed decision value -1 or +1 (cross-validation folds of rare actives need it).

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoSVC(C=1.0).fit(X, [1, 1, 0, 0]).predict(X).tolist()
    [1, 1, 0, 0]
    """

    _limits = {"C": (Real, 0.0, True), "class_weight": (None, None, None)}

    def __init__(self, C: float = 1.0, class_weight: str | dict | None = "balanced"):
        self.C = C
        self.class_weight = class_weight

    def fit(self, X, y):
        from sklearn.svm import SVC

        X, y = self._fit_data(X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            return self._fit_one_class(X)
        svc = SVC(kernel="precomputed", C=self.C, class_weight=self.class_weight)
        gram = minmax_kernel(X, X)
        if len(self.classes_) == 2:
            self._keep(X, svc.fit(gram, y))
            return self
        return self._fit_one_vs_rest(X, y, gram, svc)

    def _fit_one_class(self, X):
        if self.classes_[0] not in (0, 1):
            raise ValueError(f"TanimotoSVC needs samples of at least 2 classes; got only class {self.classes_[0]!r}")
        self.support_vectors_ = X[:0]
        self.dual_coef_ = np.zeros(0)
        self.intercept_ = 1.0 if self.classes_[0] == 1 else -1.0
        self.classes_ = np.array([0, 1])
        return self

    def _fit_one_vs_rest(self, X, y, gram, svc):
        from sklearn.base import clone

        weights = self.class_weight
        machines = []
        for label in self.classes_:
            target = (y == label).astype(int)
            weight: str | dict | None = "balanced" if weights == "balanced" else None
            if isinstance(weights, dict):  # the class's own weight against the mean of the rest
                rest = [w for k, w in weights.items() if k != label] or [1.0]
                weight = {1: weights.get(label, 1.0), 0: float(np.mean(rest))}
            machines.append(clone(svc).set_params(class_weight=weight).fit(gram, target))
        support = np.unique(np.concatenate([m.support_ for m in machines]))
        position = {s: i for i, s in enumerate(support)}
        dual = np.zeros((len(machines), len(support)))
        for row, machine in enumerate(machines):
            dual[row, [position[s] for s in machine.support_]] = machine.dual_coef_.ravel()
        self.support_vectors_ = X[support]
        self.dual_coef_ = dual
        self.intercept_ = np.array([float(m.intercept_[0]) for m in machines])
        return self

    def decision_function(self, X) -> np.ndarray:
        return self._decision(X)

    def predict_proba(self, X) -> np.ndarray:
        decision = self.decision_function(X)
        if decision.ndim == 1:
            p = 1.0 / (1.0 + np.exp(-2.0 * decision))
            return np.column_stack([1 - p, p])
        score = np.exp(2.0 * (decision - decision.max(axis=1, keepdims=True)))
        return score / score.sum(axis=1, keepdims=True)

    def predict(self, X) -> np.ndarray:
        decision = self.decision_function(X)
        if decision.ndim == 1:
            return self.classes_[(decision > 0).astype(int)]
        return self.classes_[decision.argmax(axis=1)]


class TanimotoSVR(RegressorMixin, _TanimotoSVM):
    """Epsilon-support vector regression with the Tanimoto (MinMax) kernel.

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoSVR(C=10.0).fit(X, [8.0, 7.5, 5.0, 5.5]).predict(X[:1]).round(0).tolist()
    [8.0]
    """

    _limits = {"C": (Real, 0.0, True), "epsilon": (Real, 0.0, False)}

    def __init__(self, C: float = 1.0, epsilon: float = 0.1):
        self.C = C
        self.epsilon = epsilon

    def fit(self, X, y):
        from sklearn.svm import SVR

        X, y = self._fit_data(X, y, y_numeric=True)
        svr = SVR(kernel="precomputed", C=self.C, epsilon=self.epsilon).fit(minmax_kernel(X, X), y)
        self._keep(X, svr)
        return self

    def predict(self, X) -> np.ndarray:
        return self._decision(X)


class _TanimotoKNN(_TanimotoEstimator):
    """The ``n_neighbors`` most similar training rows and their similarity weights."""

    _limits = {"n_neighbors": (Integral, 1, False)}

    def __init__(self, n_neighbors: int = 5):
        self.n_neighbors = n_neighbors

    def _neighbours(self, X) -> tuple[np.ndarray, np.ndarray]:
        sim = minmax_kernel(self._query(X), self.X_)
        k = min(self.n_neighbors, sim.shape[1])
        idx = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        return idx, np.take_along_axis(sim, idx, axis=1) + 1e-6  # a neighbour at similarity 0 still counts



class TanimotoKNNClassifier(ClassifierMixin, _TanimotoKNN):
    """k nearest neighbours by Tanimoto (MinMax) similarity, similarity-weighted votes.

    ``predict_proba`` is each class's similarity-weighted share of the neighbours; ``predict``
    takes the largest share, the later class at a tie (for 0/1 labels: active at a share >= 0.5).

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoKNNClassifier(n_neighbors=2).fit(X, [1, 1, 0, 0]).predict_proba(X[:1])[:, 1].tolist()
    [1.0]
    """

    def fit(self, X, y):
        self.X_, y = self._fit_data(X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        self.y_ = y
        return self

    def predict_proba(self, X) -> np.ndarray:
        idx, weights = self._neighbours(X)
        total = weights.sum(axis=1)
        labels = self.y_[idx]
        return np.column_stack([(weights * (labels == c)).sum(axis=1) / total for c in self.classes_])

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)
        last_best = proba.shape[1] - 1 - proba[:, ::-1].argmax(axis=1)
        return self.classes_[last_best]


class TanimotoKNNRegressor(RegressorMixin, _TanimotoKNN):
    """k nearest neighbours by Tanimoto (MinMax) similarity: the similarity-weighted mean value.

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> TanimotoKNNRegressor(n_neighbors=1).fit(X, [8.0, 7.5, 5.0, 5.5]).predict(X[2:3]).tolist()
    [5.0]
    """

    def fit(self, X, y):
        self.X_, y = self._fit_data(X, y, y_numeric=True)
        self.y_ = np.asarray(y, dtype=float)
        return self

    def predict(self, X) -> np.ndarray:
        idx, weights = self._neighbours(X)
        return (weights * self.y_[idx]).sum(axis=1) / weights.sum(axis=1)


class TanimotoKNN:
    """Loader for model files written before the kNN split (screenkit <= the stage-subpackage move).

    Those files hold ``TanimotoKNN`` with ``task``, ``n_neighbors``, ``X_``, ``y_`` (float) and, for
    classification, ``classes_``. The array file reader builds this class and hands it that state;
    it becomes the :class:`TanimotoKNNClassifier` or :class:`TanimotoKNNRegressor` the state
    describes, with the same predictions. Build new models with those two classes.
    """

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        task = state.pop("task", "classification")
        new = TanimotoKNNClassifier if task == "classification" else TanimotoKNNRegressor
        self.__class__ = new  # the file's object becomes the new class
        if task == "classification":
            state["classes_"] = np.unique(state["y_"]).astype(int) if "classes_" not in state else state["classes_"]
            state["y_"] = state["y_"].astype(int)
        state.setdefault("n_features_in_", state["X_"].shape[1])
        new.__setstate__(self, state)
