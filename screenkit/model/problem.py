"""Build the modelling problem: labels, hold-outs, folds and fold-clean putative inactives.

A classifier for screening needs inactives that look like a library, so training adds
*putative inactives*: lead-like pool compounds dissimilar to every measured active,
picked by sphere exclusion (as PIDGIN does). Picked once against *all* actives, as
before, they leak: a test fold's decoys are far from its actives by construction, and
"actives vs decoys" scores 0.99 for any model. So here they are picked per fold:

* a training fold's decoys are chosen against that fold's measured actives only;
* a test fold's decoys are chosen by the same rule against the same *training* actives
  (never the test fold's), from pool compounds not used for training in that fold;
* the final model's decoys are chosen against all measured actives (nothing is tested).

Rows of :class:`Problem` are the measured compounds first, then every pool compound
used anywhere; each :class:`Fold` lists its training and test rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit.SimDivFilters import rdSimDivPickers

from ..chem.featurize import make_featurizer
from ..chem.similarity import AD_SPACE, SimilarityIndex, bitvects_from_matrix, tanimoto_max
from ..config import bundled_path
from ..errors import InputFileError, UsageError
from .split import make_folds

__all__ = ["Fold", "Problem", "ad_fingerprints", "decided_labels", "labels", "regression_rows", "holdout_filter",
           "pick_putative_inactives", "similarity_to_actives", "fold_decoys", "load_pool", "build_problem"]


def ad_fingerprints(smiles) -> np.ndarray:
    """Fingerprints in the applicability-domain and similarity space (:data:`AD_SPACE`)."""
    return AD_SPACE.fingerprints(smiles)


def _relation(rows: pd.DataFrame) -> pd.Series:
    return rows["relation"].fillna("=").replace("", "=")


def decided_labels(rows: pd.DataFrame, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The one censored-label rule: 0/1 labels at ``threshold`` and which rows it decides.

    ``relation`` is on the pActivity scale: ``<`` 5 means "weaker than 10 uM" and is a sure
    inactive at threshold 6; ``>`` 5 says nothing about a threshold of 6 and is undecided.
    Exact values are always decided. Training (:func:`labels`) and evaluation use it.
    """
    relation = _relation(rows)
    value = rows["pactivity"].to_numpy(float)
    sure_inactive = relation.isin(["<", "<="]).to_numpy() & (value <= threshold)
    sure_active = relation.isin([">", ">="]).to_numpy() & (value >= threshold)
    decided = (relation == "=").to_numpy() | sure_inactive | sure_active
    return (value >= threshold).astype(int), decided


def labels(rows: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, int]:
    """Binary labels (column ``active``) of the rows :func:`decided_labels` decides, and how many it drops."""
    y, keep = decided_labels(rows, threshold)
    return rows[keep].assign(active=y[keep]), int((~keep).sum())


def regression_rows(rows: pd.DataFrame, policy: str) -> tuple[pd.DataFrame, int]:
    """Regression targets and the censored-value policy.

    ``exclude``: censored rows (``<``/``>``) are dropped; the model learns exact values only.
    ``bound``: censored rows train at their bound (a ``< 5`` compound as 5.0); they never enter
    the metrics or the conformal residuals (column ``exact``), whose truth they do not know.
    """
    exact = _relation(rows) == "="
    if policy == "exclude":
        return rows[exact].assign(exact=True), int((~exact).sum())
    return rows.assign(exact=exact.to_numpy()), 0


def holdout_filter(table: pd.DataFrame, holdout_path: Path | None,
                   max_similarity: float = 0.5) -> tuple[pd.DataFrame, int]:
    """Drop every compound that is a hold-out compound or within ``max_similarity`` of one.

    Similarity is Tanimoto in :data:`AD_SPACE` to the hold-out file's ``smiles``; with
    only an ``inchikey`` column, exact matches are dropped. This is a cluster hold-out:
    no kept compound has Tanimoto >= ``max_similarity`` to any hold-out compound.
    """
    if holdout_path is None:
        return table, 0
    holdout = pd.read_csv(holdout_path)
    if "inchikey" not in holdout.columns and "smiles" not in holdout.columns:
        raise UsageError(f"holdout file {holdout_path} needs a 'smiles' (and/or 'inchikey') column")
    drop = table["inchikey"].isin(set(holdout.get("inchikey", pd.Series(dtype=str)).dropna())).to_numpy().copy()
    if "smiles" in holdout.columns:
        near = tanimoto_max(ad_fingerprints(table["smiles"]), ad_fingerprints(holdout["smiles"].dropna()))
        drop |= near >= max_similarity
    return table[~drop], int(drop.sum())


def load_pool(pool: str | Path | None, config) -> tuple[np.ndarray, np.ndarray, Path]:
    """Putative-inactive pool SMILES, their AD fingerprints and the file (default: the bundled pool)."""
    pool_path = Path(pool) if pool else bundled_path("data/putative_inactive_pool.csv.gz")
    if config.task != "classification" or config.putative_inactive_ratio <= 0:
        return np.array([], dtype=str), np.zeros((0, AD_SPACE.fp_size), np.uint8), pool_path
    if not pool_path.is_file():
        raise InputFileError(f"putative-inactive pool {pool_path} does not exist; pass --pool CSV with a 'smiles' "
                             "column or --putative-inactive-ratio 0")
    pool_smiles = pd.read_csv(pool_path)["smiles"].to_numpy(str)
    return pool_smiles, ad_fingerprints(pool_smiles), pool_path


def similarity_to_actives(pool_fps: np.ndarray, active_fps: np.ndarray) -> np.ndarray:
    """Max Tanimoto of every pool row to the given actives."""
    return SimilarityIndex([active_fps]).max_similarity(pool_fps)[:, 0]


def pick_putative_inactives(pool_fps: np.ndarray, active_fps: np.ndarray, n: int, *, max_similarity: float,
                            sphere: float, seed: int, candidates: np.ndarray | None = None,
                            similarity: np.ndarray | None = None) -> np.ndarray:
    """Indices into the pool: far from every given active, then diverse by sphere exclusion.

    Only ``active_fps`` is looked at, so a caller decides what the rule may know (a fold's
    training actives, never its test actives). ``candidates`` restricts the pool rows;
    ``similarity`` (per pool row, from :func:`similarity_to_actives` on the same actives)
    saves recomputing it.
    """
    candidates = np.arange(len(pool_fps)) if candidates is None else np.asarray(candidates, dtype=int)
    if n <= 0 or len(candidates) == 0:
        return np.array([], dtype=int)
    if similarity is None:
        similarity = similarity_to_actives(pool_fps, active_fps)
    far = candidates[similarity[candidates] < max_similarity]
    if len(far) == 0:
        return far
    far = np.random.default_rng(seed).permutation(far)  # LeaderPicker takes leaders in input order
    picker = rdSimDivPickers.LeaderPicker()
    picked = picker.LazyBitVectorPick(bitvects_from_matrix(pool_fps[far]), len(far), sphere, min(n, len(far)))
    return np.sort(far[list(picked)])


@dataclass(frozen=True)
class Fold:
    """Training and test rows of one cross-validation fold (indices into :class:`Problem` rows)."""

    train: np.ndarray
    test: np.ndarray


@dataclass
class Problem:
    """One modelling problem: measured rows, the pool rows used as putative inactives, folds.

    ``measured`` marks measured rows (the first ``n_measured``); ``scored`` marks rows whose
    truth is known exactly (metrics, conformal). ``final_train`` are the rows of the final fit.
    """

    task: str
    smiles: np.ndarray
    ad_fps: np.ndarray
    y: np.ndarray
    measured: np.ndarray
    scored: np.ndarray
    threshold: float
    folds: list[Fold]
    final_train: np.ndarray
    split_name: str
    split_text: str
    years: np.ndarray
    _features: dict = field(default_factory=dict, repr=False)

    @property
    def n_measured(self) -> int:
        return int(self.measured.sum())

    def measured_actives(self, rows: np.ndarray) -> np.ndarray:
        """The measured actives among ``rows`` (what a similarity search may know)."""
        rows = np.asarray(rows)
        return rows[self.measured[rows] & (self._active(rows))]

    def _active(self, rows: np.ndarray) -> np.ndarray:
        if self.task == "classification":
            return self.y[rows] == 1
        return self.scored[rows] & (self.y[rows] >= self.threshold)

    def features(self, spec: dict, n_jobs: int = 1) -> np.ndarray:
        """Feature matrix of every row for one featurizer spec (cached)."""
        key = json.dumps(spec, sort_keys=True)
        if key not in self._features:
            featurizer = make_featurizer(spec["name"], **{**spec["params"], "n_jobs": n_jobs})
            self._features[key] = featurizer.transform(list(self.smiles))
        return self._features[key]


def _decoy_settings(config) -> dict:
    return {"max_similarity": config.putative_inactive_max_similarity, "sphere": config.putative_inactive_sphere}


def fold_decoys(pool_fps: np.ndarray, measured_fps: np.ndarray, active: np.ndarray, train: np.ndarray,
                n_test: int, config, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pool indices of one fold's training and test putative inactives.

    Both are chosen against the fold's *training* actives only (``active`` over measured
    rows, ``train`` measured row indices); test decoys come from the pool rows not used for
    training, so no test-fold information enters either choice.
    """
    train_actives = measured_fps[train[active[train]]]
    similarity = similarity_to_actives(pool_fps, train_actives)
    ratio = config.putative_inactive_ratio
    train_decoys = pick_putative_inactives(pool_fps, train_actives, int(round(ratio * len(train))),
                                           seed=seed, similarity=similarity, **_decoy_settings(config))
    rest = np.setdiff1d(np.arange(len(pool_fps)), train_decoys)
    test_decoys = pick_putative_inactives(pool_fps, train_actives, int(round(ratio * n_test)), seed=seed + 1,
                                          candidates=rest, similarity=similarity, **_decoy_settings(config))
    return train_decoys, test_decoys


def build_problem(rows: pd.DataFrame, threshold: float, pool_smiles: np.ndarray, pool_fps: np.ndarray,
                  config) -> tuple[Problem, dict]:
    """Labels or values (with the censored-value policy), folds, and per-fold putative inactives."""
    if config.task == "classification":
        rows, n_censored = labels(rows, threshold)
        censored_note = "censored values kept only when they decide the label (e.g. '< 5' is inactive at 7)"
        y_measured = rows["active"].to_numpy()
        exact = np.ones(len(rows), bool)
    else:
        rows, n_censored = regression_rows(rows, config.censored)
        censored_note = ("censored values excluded from training" if config.censored == "exclude" else
                         "censored values train at their bound; excluded from metrics and conformal residuals")
        y_measured = rows["pactivity"].to_numpy(float)
        exact = rows["exact"].to_numpy(bool)
    rows = rows.reset_index(drop=True)
    fps = ad_fingerprints(rows["smiles"])
    years = (rows["document_year"].astype(str).to_numpy() if "document_year" in rows
             else np.array([""] * len(rows)))
    stratify = y_measured if config.task == "classification" else None
    measured_folds, split_text = make_folds(config.split, smiles=rows["smiles"].to_numpy(str), fingerprints=fps,
                                            years=years, y=stratify, n_splits=config.n_folds, seed=config.seed,
                                            max_median_similarity=config.cluster_max_median_similarity)
    use_decoys = config.task == "classification" and config.putative_inactive_ratio > 0 and len(pool_fps)
    n = len(rows)
    active = (y_measured == 1) if config.task == "classification" else np.zeros(n, bool)
    per_fold = []
    for k, (train, test) in enumerate(measured_folds):
        decoys = (fold_decoys(pool_fps, fps, active, train, len(test), config, seed=config.seed + 100 * k)
                  if use_decoys else (np.array([], int), np.array([], int)))
        per_fold.append((train, test, *decoys))
    final_decoys = (pick_putative_inactives(pool_fps, fps[active], int(round(config.putative_inactive_ratio * n)),
                                            seed=config.seed, **_decoy_settings(config))
                    if use_decoys else np.array([], int))
    used = np.unique(np.concatenate([final_decoys] + [np.concatenate([d1, d2]) for *_, d1, d2 in per_fold]))
    row_of = {int(p): n + i for i, p in enumerate(used)}  # pool index -> problem row

    def rows_of(pool_idx):
        return np.array([row_of[int(p)] for p in pool_idx], dtype=int)

    folds = [Fold(np.concatenate([train, rows_of(d_train)]), np.concatenate([test, rows_of(d_test)]))
             for train, test, d_train, d_test in per_fold]
    smiles = np.concatenate([rows["smiles"].to_numpy(str), pool_smiles[used]]) if len(used) else \
        rows["smiles"].to_numpy(str)
    problem = Problem(
        task=config.task, smiles=smiles, ad_fps=np.vstack([fps, pool_fps[used]]) if len(used) else fps,
        y=np.concatenate([y_measured, np.zeros(len(used), dtype=y_measured.dtype)]),
        measured=np.concatenate([np.ones(n, bool), np.zeros(len(used), bool)]),
        scored=np.concatenate([exact, np.ones(len(used), bool)]), threshold=threshold, folds=folds,
        final_train=np.concatenate([np.arange(n), rows_of(final_decoys)]), split_name=config.split,
        split_text=split_text + ("; putative inactives chosen per fold against that fold's training actives only "
                                 "(test-fold decoys by the same rule, from pool compounds unused in training)"
                                 if use_decoys else ""),
        years=np.concatenate([years, np.array([""] * len(used))]))
    return problem, {"rows": rows, "fps": fps, "y_measured": y_measured, "exact": exact,
                     "n_decoys": len(final_decoys), "n_censored": n_censored, "censored_note": censored_note}
