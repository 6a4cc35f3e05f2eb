"""Averaging ensembles of screenkit estimators, each member on its own featurizer.

``--auto`` keeps the best two or three configurations of its search and also tries their
average. Members may use different featurizers (ECFP bits for one, ECFP + RDKit
descriptors for another): the ensemble's featurizer is the concatenation of the
members' featurizers (each distinct one once) and every member reads its own column
block of that matrix. Scores are the mean of the members' P(active) (classification) or
predictions (regression); the bundle's :class:`~screenkit.model.estimators.ConformalModel`
then calibrates that mean on out-of-fold predictions, as for any estimator.

Because a member is refitted on the same rows with the same seed, the ensemble's
out-of-fold scores on a fold are exactly the mean of its members' out-of-fold scores;
the search uses that to evaluate ensembles without refitting anything.

The class keeps fitted estimators and integers only, so the safe array format stores it
(its class path is in :data:`screenkit.model.bundle.TRUSTED_TYPES`).
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.base import BaseEstimator, clone

from ..chem.featurize import make_featurizer
from ..errors import UsageError
from .estimators import make_estimator, positive_score

__all__ = ["ENSEMBLES", "SoftVotingEnsemble", "ensemble_spec", "ensemble_factory"]

ENSEMBLES = ("soft_voting",)


class SoftVotingEnsemble(BaseEstimator):
    """Mean of member estimators' scores; member ``i`` sees columns ``blocks[i]`` of ``X``.

    Parameters
    ----------
    members : list of estimators
        Unfitted screenkit/scikit-learn estimators (cloned at fit).
    blocks : list of (start, stop)
        Column range of ``X`` each member reads.
    task : {"classification", "regression"}

    Examples
    --------
    >>> from screenkit.model.tanimoto import TanimotoKNNClassifier as TanimotoKNN
    >>> X = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    >>> ens = SoftVotingEnsemble([TanimotoKNN(1), TanimotoKNN(2)], [(0, 4), (0, 4)]).fit(X, [1, 1, 0, 0])
    >>> ens.predict_proba(X[:1])[:, 1].tolist()
    [1.0]
    """

    def __init__(self, members=(), blocks=(), task: str = "classification"):
        self.members = members
        self.blocks = blocks
        self.task = task

    def fit(self, X, y):
        X = np.asarray(X)
        if len(self.members) == 0 or len(self.members) != len(self.blocks):
            raise ValueError("SoftVotingEnsemble needs one column block per member")
        if max(int(stop) for _, stop in self.blocks) > X.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, fewer than the members' column blocks need")
        fitted = []
        for member, (start, stop) in zip(self.members, self.blocks):
            estimator = clone(member).fit(X[:, int(start):int(stop)], y)
            if hasattr(estimator, "n_jobs"):
                estimator.n_jobs = 1  # parallelism at scoring time is screenkit's (chunks)
            fitted.append(estimator)
        self.estimators_ = fitted
        self.n_features_in_ = X.shape[1]
        if self.task == "classification":
            self.classes_ = np.array([0, 1])
        return self

    def _member_scores(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but the ensemble expects {self.n_features_in_}")
        out = []
        for estimator, (start, stop) in zip(self.estimators_, self.blocks):
            part = X[:, int(start):int(stop)]
            out.append(positive_score(estimator, part) if self.task == "classification"
                       else np.asarray(estimator.predict(part), dtype=float))
        return np.vstack(out)

    def predict_proba(self, X) -> np.ndarray:
        p = self._member_scores(X).mean(axis=0)
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        mean = self._member_scores(X).mean(axis=0)
        return (mean >= 0.5).astype(int) if self.task == "classification" else mean

    def member_spread(self, X) -> np.ndarray:
        """Standard deviation of the members' scores per row (a difficulty estimate)."""
        return self._member_scores(X).std(axis=0)


def _flat_parts(featurizer: dict) -> list[dict]:
    return list(featurizer["params"]["parts"]) if featurizer["name"] == "concat" else [featurizer]


def _key(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True)


def _without_jobs(spec: dict) -> dict:
    params = {k: v for k, v in spec.get("params", {}).items() if k != "n_jobs"}
    if "parts" in params:
        params["parts"] = [_without_jobs(p) for p in params["parts"]]
    return {"name": spec["name"], "params": params}


def ensemble_spec(members: list[tuple[dict, dict]]) -> tuple[dict, dict]:
    """``(featurizer, estimator)`` specs of the soft-voting ensemble of ``(featurizer, estimator)`` members.

    The featurizer concatenates each distinct member featurizer once (a single shared
    featurizer is used as is); the estimator spec records the members and their blocks.

    Examples
    --------
    >>> ecfp = {"name": "morgan", "params": {"radius": 2, "fp_size": 64}}
    >>> f, e = ensemble_spec([(ecfp, {"name": "rf", "params": {}}), (ecfp, {"name": "knn", "params": {}})])
    >>> f == ecfp, [m["columns"] for m in e["params"]["members"]]
    (True, [[0, 64], [0, 64]])
    """
    if len(members) < 2:
        raise UsageError("an ensemble needs at least two members")
    distinct: list[dict] = []
    for featurizer, _ in members:
        if _key(featurizer) not in {_key(d) for d in distinct}:
            distinct.append(featurizer)
    offsets, start = {}, 0
    for featurizer in distinct:
        width = make_featurizer(featurizer["name"], **featurizer["params"]).n_features
        offsets[_key(featurizer)] = [start, start + width]
        start += width
    parts = [part for featurizer in distinct for part in _flat_parts(featurizer)]
    combined = distinct[0] if len(distinct) == 1 else {"name": "concat", "params": {"parts": parts}}
    specs = [{"featurizer": featurizer, "estimator": estimator, "columns": offsets[_key(featurizer)]}
             for featurizer, estimator in members]
    return combined, {"name": "soft_voting", "params": {"members": specs}}


def ensemble_factory(estimator: dict, task: str, config, featurizer: dict | None = None):
    """A zero-argument builder of fresh :class:`SoftVotingEnsemble` objects from an ensemble spec.

    ``featurizer``, if given, must be the one :func:`ensemble_spec` makes for these members
    (the members' column blocks refer to it).
    """
    if estimator["name"] not in ENSEMBLES:
        raise UsageError(f"unknown ensemble {estimator['name']!r}; available: {', '.join(ENSEMBLES)}")
    members = estimator["params"].get("members") or []
    if len(members) < 2 or not all(isinstance(m, dict) and {"featurizer", "estimator"} <= set(m) for m in members):
        raise UsageError("an ensemble spec needs at least two members, each {'featurizer': ..., 'estimator': ...}")
    expected, respec = ensemble_spec([(m["featurizer"], m["estimator"]) for m in members])
    if [m.get("columns") for m in members] != [m["columns"] for m in respec["params"]["members"]]:
        members = respec["params"]["members"]  # blocks left out or stale: recompute them from the featurizers
    if featurizer is not None and _key(_without_jobs(featurizer)) != _key(_without_jobs(expected)):
        raise UsageError(f"the ensemble's members need the featurizer {json.dumps(expected)}, not "
                         f"{json.dumps(featurizer)}")

    def build():
        estimators = []
        for member in members:
            featurizer = member["featurizer"]
            nonnegative = make_featurizer(featurizer["name"], **featurizer["params"]).nonnegative
            spec = member["estimator"]
            estimators.append(make_estimator(spec["name"], task, nonnegative=nonnegative, seed=config.seed,
                                             n_jobs=config.n_jobs, **spec["params"]))
        return SoftVotingEnsemble(estimators, [tuple(m["columns"]) for m in members], task=task)

    build()
    return build
