"""Estimators for activity models, and the fitted-model wrapper a bundle stores.

:func:`make_estimator` builds any of :data:`ESTIMATORS` for classification (active at
a threshold) or regression (pActivity). The Tanimoto-kernel
estimators (``knn`` and ``svm_tanimoto`` on fingerprints) are screenkit's own, in
:mod:`screenkit.model.tanimoto`.

:class:`ConformalModel` wraps the final fitted estimator with what the validation
learned from out-of-fold predictions: a Platt calibrator (classification) and the
conformal calibration scores, so ``predict_outputs`` returns calibrated probabilities,
conformal p-values or intervals, all from one skops file.
"""

from __future__ import annotations

import weakref

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import UsageError
from .tanimoto import TanimotoKNNClassifier, TanimotoKNNRegressor, TanimotoSVC, TanimotoSVR, check_parameters

__all__ = ["ESTIMATORS", "make_estimator", "ConformalModel", "positive_score", "forest_class_proba", "prior_correct"]

ESTIMATORS = ("rf", "extra_trees", "hist_gb", "linear", "knn", "svm_tanimoto")


def _scaled(estimator):
    """Impute and scale first: for linear, kNN and SVM models on real-valued descriptors."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), estimator)


def _forest(name: str, classify: bool, nonnegative: bool, seed: int, n_jobs: int, params: dict):
    from sklearn.ensemble import (
        ExtraTreesClassifier,
        ExtraTreesRegressor,
        RandomForestClassifier,
        RandomForestRegressor,
    )

    cls = {("rf", True): RandomForestClassifier, ("rf", False): RandomForestRegressor,
           ("extra_trees", True): ExtraTreesClassifier, ("extra_trees", False): ExtraTreesRegressor}
    defaults = {"n_estimators": 200, "max_features": "sqrt" if classify else 0.33, "random_state": seed,
                "n_jobs": n_jobs}
    if classify:
        defaults["class_weight"] = "balanced_subsample"
    est = cls[name, classify](**{**defaults, **params})
    if not nonnegative:
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline

        est = make_pipeline(SimpleImputer(strategy="median"), est)
    return est


def _hist_gb(name: str, classify: bool, nonnegative: bool, seed: int, n_jobs: int, params: dict):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    defaults: dict[str, object] = {"max_iter": 200, "learning_rate": 0.1, "random_state": seed,
                                   "early_stopping": False}
    if classify:
        defaults["class_weight"] = "balanced"
    cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
    return cls(**{**defaults, **params})


def _linear(name: str, classify: bool, nonnegative: bool, seed: int, n_jobs: int, params: dict):
    from sklearn.linear_model import LogisticRegression, Ridge

    if classify:
        est = LogisticRegression(**{"C": 0.1, "max_iter": 2000, "class_weight": "balanced", **params})
    else:
        est = Ridge(**{"alpha": 10.0, **params})
    return est if nonnegative else _scaled(est)


def _knn(name: str, classify: bool, nonnegative: bool, seed: int, n_jobs: int, params: dict):
    if nonnegative:
        cls = TanimotoKNNClassifier if classify else TanimotoKNNRegressor
        return cls(**{"n_neighbors": 5, **params})
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if classify else KNeighborsRegressor
    return _scaled(cls(**{"n_neighbors": 5, "weights": "distance", **params}))


def _svm_tanimoto(name: str, classify: bool, nonnegative: bool, seed: int, n_jobs: int, params: dict):
    if not nonnegative:
        raise UsageError("estimator 'svm_tanimoto' needs fingerprint features (0/1 or counts); "
                         "pick a fingerprint featurizer or another estimator")
    return TanimotoSVC(**{"C": 1.0, **params}) if classify else TanimotoSVR(**{"C": 1.0, **params})


_BUILDERS = {"rf": _forest, "extra_trees": _forest, "hist_gb": _hist_gb, "linear": _linear, "knn": _knn,
             "svm_tanimoto": _svm_tanimoto}


def make_estimator(name: str, task: str = "classification", *, nonnegative: bool = True, seed: int = 0,
                   n_jobs: int = 1, **params):
    """A fresh, unfitted estimator, its parameters checked now (not at the first fit).

    Parameters
    ----------
    name : str
        One of :data:`ESTIMATORS`: ``rf`` (random forest), ``extra_trees``, ``hist_gb``
        (histogram gradient boosting), ``linear`` (logistic / ridge regression), ``knn``,
        ``svm_tanimoto``.
    task : {"classification", "regression"}
    nonnegative : bool, default True
        Whether the features are fingerprints (Tanimoto-ready). Real-valued descriptors
        get Euclidean kNN, and linear models get imputation and scaling; the Tanimoto
        SVM refuses them.
    seed, n_jobs : int
    **params
        Hyperparameters passed to the estimator (e.g. ``n_estimators``, ``C``).

    Raises
    ------
    UsageError
        An unknown name, task or parameter, or a parameter value the estimator refuses.

    Examples
    --------
    >>> make_estimator("rf", n_estimators=10).n_estimators
    10
    """
    if task not in ("classification", "regression"):
        raise UsageError(f"unknown task {task!r}; use 'classification' or 'regression'")
    if name not in ESTIMATORS:
        raise UsageError(f"unknown estimator {name!r}; available: {', '.join(ESTIMATORS)}")
    try:
        est = _BUILDERS[name](name, task == "classification", nonnegative, seed, n_jobs, params)
    except TypeError as exc:
        raise UsageError(f"bad parameters for estimator {name!r}: {exc}") from None
    _check_values(name, est)
    return est


def _check_values(name: str, est) -> None:
    """Parameter values checked the way the estimator's own fit would, as a UsageError."""
    final = est.steps[-1][1] if hasattr(est, "steps") else est
    try:
        if hasattr(final, "_limits"):
            check_parameters(final)
        else:
            final._validate_params()  # scikit-learn's own constraints, which fit checks later
    except ValueError as exc:
        raise UsageError(f"bad parameter value for estimator {name!r}: {str(exc).rstrip('.')}; "
                         "fix it in --estimator-params (or the config)") from None


def positive_score(estimator, X) -> np.ndarray:
    """P(active) from a fitted classifier; a fold trained on one class gets that class's certainty."""
    classes = list(estimator.classes_)
    if 1 not in classes:
        return np.zeros(len(X))
    if isinstance(X, np.ndarray) and X.ndim == 2:
        if _plain_forest(estimator):
            return forest_class_proba(estimator, X, classes.index(1))
        steps = getattr(estimator, "steps", None)
        if steps and _plain_forest(steps[-1][1]):  # imputer/scaler then a forest: what Pipeline.predict_proba does
            for _, step in steps[:-1]:
                X = step.transform(X)
            return forest_class_proba(steps[-1][1], np.asarray(X), classes.index(1))
    return estimator.predict_proba(X)[:, classes.index(1)]


def _plain_forest(estimator) -> bool:
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

    return type(estimator) in (RandomForestClassifier, ExtraTreesClassifier) and estimator.n_outputs_ == 1


# Per fitted forest (while it lives): its tree list, tree count, and each tree's class
# probability at every node. A refit or warm start changes the list or the count.
_LEAF_PROBABILITIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def forest_class_proba(forest, X: np.ndarray, column: int) -> np.ndarray:
    """Column ``column`` of a random forest's ``predict_proba``: the same numbers, faster.

    scikit-learn re-validates the input and sets up joblib, warning filters and config
    contexts for every tree, then normalises every sample's leaf values: half of
    scoring's model time for 200-tree forests on 500-molecule chunks. Here each tree's
    normalised leaf values are computed once per forest (the same division scikit-learn
    does per sample), the float32 matrix is made once, and the trees' compiled ``apply``
    results are summed in tree order, as scikit-learn sums them, so the probabilities are
    bit-identical (tested).
    """
    if X.shape[1] != forest.n_features_in_:
        raise UsageError(f"X has {X.shape[1]} features, but the forest expects {forest.n_features_in_}; "
                         "featurize with the model card's featurizer")
    trees = forest.estimators_
    cached_trees, cached_count, tables = _LEAF_PROBABILITIES.get(forest, (None, 0, {}))
    if cached_trees is not trees or cached_count != len(trees):  # first use, refit, or warm-start growth
        tables = {}
        _LEAF_PROBABILITIES[forest] = (trees, len(trees), tables)
    if column not in tables:  # only the asked class: the tables are a worker's largest cache after the trees
        leaf_tables = []
        for tree in trees:
            value = tree.tree_.value[:, 0, :forest.n_classes_]
            total = value.sum(axis=1)
            total[total == 0.0] = 1.0
            leaf_tables.append(value[:, column] / total)  # one contiguous node -> probability table per tree
        tables[column] = leaf_tables
    X = np.ascontiguousarray(X, dtype=np.float32)
    proba = np.zeros(len(X))
    for tree, leaf_probability in zip(trees, tables[column]):
        proba += leaf_probability[tree.tree_.apply(X)]
    proba /= len(trees)
    return proba


def _sigmoid(score: np.ndarray, a: float, b: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(a * np.asarray(score, dtype=float) + b)))


def fit_platt(score: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``(a, b)`` of ``P(y=1) = 1 / (1 + exp(-(a * score + b)))``."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(np.asarray(score, dtype=float).reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def prior_correct(p, training_rate: float, base_rate: float) -> np.ndarray:
    """Move calibrated probabilities from the training mix's active rate to a library's.

    Bayes' rule on the odds (Saerens et al. 2002): a model calibrated where a share
    ``training_rate`` is active says ``p``; where only ``base_rate`` is active the same
    evidence gives odds scaled by ``base_rate / (1 - base_rate)`` over
    ``training_rate / (1 - training_rate)``.

    Examples
    --------
    >>> float(prior_correct(0.5, training_rate=0.5, base_rate=0.01))
    0.01
    >>> float(prior_correct(0.3, training_rate=0.2, base_rate=0.2))
    0.3
    """
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    ratio = (base_rate / (1 - base_rate)) / (training_rate / (1 - training_rate))
    odds = p / (1 - p) * ratio
    return odds / (1 + odds)


def mondrian_p_values(cal_scores: np.ndarray, test_scores: np.ndarray) -> np.ndarray:
    """Conformal p-values: share of calibration nonconformity scores at least as large."""
    cal = np.sort(np.asarray(cal_scores, dtype=float))
    n_ge = len(cal) - np.searchsorted(cal, np.asarray(test_scores, dtype=float), side="left")
    return (n_ge + 1.0) / (len(cal) + 1.0)


def conformal_quantile(residuals: np.ndarray, confidence: float) -> float:
    """Half-width of a split-conformal interval from absolute residuals."""
    r = np.sort(np.abs(np.asarray(residuals, dtype=float)))
    k = int(np.ceil((len(r) + 1) * confidence)) - 1
    return float(r[min(max(k, 0), len(r) - 1)]) if len(r) else float("inf")


class ConformalModel(BaseEstimator):
    """A fitted estimator plus calibration and conformal scores learned out of fold.

    Classification: ``p_active`` is the Platt-calibrated probability; ``conformal_p_active``
    and ``conformal_p_inactive`` are Mondrian (class-conditional) conformal p-values, so
    the prediction set at significance e is every label whose p-value exceeds e.
    Regression: ``pactivity`` and a split-conformal interval (``pactivity_lower``,
    ``pactivity_upper``) at ``confidence``; ``p_active`` = P(pActivity >= threshold) from
    the conformal predictive distribution (the out-of-fold signed residuals). A model built
    with out-of-fold ``difficulty`` (nearest-neighbour Tanimoto distance to the training
    compounds) also stores a normalised interval (:class:`~screenkit.model.intervals.NormalisedConformal`,
    ``interval_*``): given each compound's distance, ``predict_outputs`` widens the interval
    with it; without a distance it falls back to the plain interval.

    Build it with :meth:`from_out_of_fold`; it is saved with skops like any estimator.
    """

    def __init__(self, estimator=None, task: str = "classification", threshold: float = 0.0,
                 confidence: float = 0.8, platt_a: float = 1.0, platt_b: float = 0.0, calibrated: bool = True,
                 active_scores=None, inactive_scores=None, residuals=None, training_rate: float | None = None,
                 interval_quantile: float | None = None, interval_intercept: float = 0.0, interval_slope: float = 0.0,
                 interval_floor: float = 0.0):
        self.estimator = estimator
        self.task = task
        self.threshold = threshold
        self.confidence = confidence
        self.platt_a = platt_a
        self.platt_b = platt_b
        self.calibrated = calibrated
        self.active_scores = active_scores
        self.inactive_scores = inactive_scores
        self.residuals = residuals
        self.training_rate = training_rate
        self.interval_quantile = interval_quantile
        self.interval_intercept = interval_intercept
        self.interval_slope = interval_slope
        self.interval_floor = interval_floor

    @classmethod
    def from_out_of_fold(cls, estimator, task: str, oof_score: np.ndarray, y: np.ndarray, *,
                         threshold: float, confidence: float, calibrate: bool = True,
                         difficulty: np.ndarray | None = None) -> ConformalModel:
        """Wrap a final estimator with calibration/conformal state from out-of-fold predictions.

        ``difficulty`` (regression): each out-of-fold row's nearest-neighbour distance to its
        fold's training compounds, for the normalised interval.
        """
        oof_score, y = np.asarray(oof_score, dtype=float), np.asarray(y)
        if task == "classification":
            a, b = fit_platt(oof_score, y) if calibrate else (1.0, 0.0)
            p = _sigmoid(oof_score, a, b) if calibrate else oof_score
            return cls(estimator, task, float(threshold), float(confidence), a, b, bool(calibrate),
                       active_scores=np.sort(1.0 - p[y == 1]), inactive_scores=np.sort(p[y == 0]),
                       training_rate=float(np.mean(y == 1)) if len(y) else None)
        residuals = y.astype(float) - oof_score
        normalised = {}
        if difficulty is not None and len(residuals) >= 2:
            from .intervals import NormalisedConformal

            nc = NormalisedConformal.fit(residuals, np.asarray(difficulty, dtype=float), confidence)
            normalised = {"interval_quantile": nc.quantile, "interval_intercept": nc.intercept,
                          "interval_slope": nc.slope, "interval_floor": nc.floor}
        return cls(estimator, task, float(threshold), float(confidence), calibrated=False,
                   residuals=np.sort(residuals), **normalised)

    @property
    def classes_(self):
        return np.array([0, 1])

    @property
    def outputs(self) -> list[str]:
        if self.task == "classification":
            return ["p_active", "conformal_p_active", "conformal_p_inactive"]
        return ["pactivity", "pactivity_lower", "pactivity_upper", "p_active"]

    def _calibrated(self, X) -> np.ndarray:
        raw = positive_score(self.estimator, X)
        return _sigmoid(raw, self.platt_a, self.platt_b) if self.calibrated else raw

    def predict_proba(self, X) -> np.ndarray:
        if self.task == "classification":
            p = self._calibrated(X)
        else:
            p = self.predict_outputs(X)["p_active"]
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        if self.task == "classification":
            return (self._calibrated(X) >= 0.5).astype(int)
        return np.asarray(self.estimator.predict(X), dtype=float)

    def p_active_at_base_rate(self, X, base_rate: float) -> np.ndarray:
        """``p_active`` corrected from the calibration mix's active rate to ``base_rate``
        (:func:`prior_correct`); what ``p_active`` means in a library with that hit rate."""
        if self.task != "classification" or self.training_rate is None:
            raise UsageError(f"prior correction needs a classification model calibrated on known labels, not a {self.task} "
                             "model; use p_active as it is")
        return prior_correct(self._calibrated(X), self.training_rate, base_rate)

    def predict_outputs(self, X, difficulty: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every output named in :attr:`outputs`, one 1-D array each.

        ``difficulty`` (regression): each compound's nearest-neighbour Tanimoto distance to the
        training compounds; with it, a model that stores a normalised interval widens it there.
        """
        if self.task == "classification":
            p = self._calibrated(X)
            return {"p_active": p, "conformal_p_active": mondrian_p_values(self.active_scores, 1.0 - p),
                    "conformal_p_inactive": mondrian_p_values(self.inactive_scores, p)}
        yhat = np.asarray(self.estimator.predict(X), dtype=float)
        half: float | np.ndarray = conformal_quantile(self.residuals, self.confidence)
        # getattr: a model saved before normalised intervals has no interval_* state
        quantile = getattr(self, "interval_quantile", None)
        if quantile is not None and difficulty is not None:
            from .intervals import NormalisedConformal  # imported here: intervals imports this module

            interval = NormalisedConformal(quantile, self.interval_intercept, self.interval_slope,
                                           self.interval_floor, self.confidence)
            half = interval.quantile * interval.sigma(difficulty)
        # Conformal predictive distribution: P(y >= t) = share of residuals r with yhat + r >= t.
        r = self.residuals
        n_ge = len(r) - np.searchsorted(r, self.threshold - yhat, side="left")
        p_active = (n_ge + 0.5) / (len(r) + 1.0)
        return {"pactivity": yhat, "pactivity_lower": yhat - half, "pactivity_upper": yhat + half,
                "p_active": p_active}
