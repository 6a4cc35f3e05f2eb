"""The training settings: every setting that shapes a model, frozen and checked when made."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..chem.featurize import FEATURIZERS, make_featurizer
from ..config import frozen_mappings
from ..errors import UsageError
from .ensemble import ENSEMBLES
from .estimators import ESTIMATORS
from .split import SPLITS

__all__ = ["TrainConfig", "TASKS", "CENSORED"]

TASKS = ("classification", "regression")
CENSORED = ("exclude", "bound")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that shapes a model; written verbatim into each model card.

    ``featurizer``/``estimator`` name one of :data:`screenkit.chem.featurize.FEATURIZERS` and
    :data:`screenkit.model.estimators.ESTIMATORS`; ``fp_radius``/``fp_size`` apply to Morgan-type
    fingerprints and ``n_estimators``/``min_samples_leaf`` to forests unless
    ``featurizer_params``/``estimator_params`` say otherwise. ``auto=True`` searches
    :func:`~screenkit.model.search.auto_candidates` on the first ``auto_folds`` folds within ``time_budget`` seconds.
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
    putative_inactive_max_similarity: float = 0.35  # to any (fold-training) measured active, ECFP4 Tanimoto
    putative_inactive_sphere: float = 0.6  # sphere-exclusion radius (Tanimoto distance)
    split: str = "cluster"
    cluster_max_median_similarity: float = 0.55  # cluster split: widen the cut-off until the median is below
    holdout_similarity: float = 0.5  # drop training compounds at Tanimoto >= this to any hold-out compound
    n_folds: int = 5
    min_compounds: int = 50
    min_per_class: int = 10
    ad_quantile: float = 0.05
    calibrate: bool = True
    conformal_confidence: float = 0.8
    library_base_rate: float = 0.01  # active share of a screening library, for the prior-corrected probability
    y_randomisation_permutations: int = 5  # full CV reruns on permuted labels (0 disables)
    censored: str = "exclude"  # regression: "exclude" censored rows, or train on the "bound"
    auto: bool = False
    time_budget: float = 600.0  # seconds for the whole --auto search (all targets)
    auto_folds: int = 3
    seed: int = 0
    n_jobs: int = 1

    def __post_init__(self):
        frozen_mappings(self, "featurizer_params", "estimator_params")
        if self.task not in TASKS:
            raise UsageError(f"unknown task {self.task!r}; use one of {', '.join(TASKS)}")
        if self.featurizer not in FEATURIZERS:
            raise UsageError(f"unknown featurizer {self.featurizer!r}; available: {', '.join(FEATURIZERS)}")
        if self.estimator not in ESTIMATORS + ENSEMBLES:
            raise UsageError(f"unknown estimator {self.estimator!r}; available: {', '.join(ESTIMATORS + ENSEMBLES)}")
        if self.split not in SPLITS:
            raise UsageError(f"unknown split {self.split!r}; use one of {', '.join(SPLITS)}")
        if self.censored not in CENSORED:
            raise UsageError(f"unknown censored-value policy {self.censored!r}; use one of {', '.join(CENSORED)}")
        if self.n_folds < 2:
            raise UsageError(f"n_folds={self.n_folds}: cross-validation needs at least 2 folds")
        if self.y_randomisation_permutations < 0:
            raise UsageError(f"y_randomisation_permutations={self.y_randomisation_permutations} must be >= 0")
        if self.estimator == "svm_tanimoto" and not self.auto and \
                not make_featurizer(self.featurizer, **self.featurizer_params).nonnegative:
            raise UsageError(f"estimator 'svm_tanimoto' needs fingerprint features, not {self.featurizer!r}; "
                             "pick a fingerprint featurizer or another estimator")
        if not 0 < self.library_base_rate < 1:
            raise UsageError(f"library_base_rate={self.library_base_rate} must be between 0 and 1 (e.g. 0.01)")
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
