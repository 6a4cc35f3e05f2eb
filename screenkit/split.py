"""Validation splits that keep related compounds together.

Random splits leak: close analogues land on both sides and the metrics flatter the
model. Grouping by Bemis-Murcko scaffold puts every compound of a chemical series in
the same fold, which is what a model meets when it scores a new library.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold
from sklearn.model_selection import GroupKFold

__all__ = ["murcko_scaffold", "scaffold_groups", "scaffold_kfold", "butina_clusters", "temporal_folds", "make_folds",
           "SPLITS"]


def murcko_scaffold(smiles: str) -> str:
    """Bemis-Murcko scaffold SMILES; acyclic molecules get ``""``.

    Examples
    --------
    >>> murcko_scaffold("CCOc1ccc(CN2CCCC2)cc1")
    'c1ccc(CN2CCCC2)cc1'
    """
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return ""
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol)


def scaffold_groups(smiles: Iterable[str]) -> np.ndarray:
    """Integer group label per molecule; acyclic molecules each form their own group."""
    labels, codes = [], {}
    for i, smi in enumerate(smiles):
        scaffold = murcko_scaffold(smi)
        key = scaffold if scaffold else f"acyclic:{i}"
        labels.append(codes.setdefault(key, len(codes)))
    return np.asarray(labels)


def scaffold_kfold(groups: np.ndarray, n_splits: int = 5, seed: int = 0):
    """Yield ``(train_idx, test_idx)`` for a scaffold-grouped K-fold.

    Groups are shuffled with ``seed`` and then balanced across folds, so no scaffold
    is ever on both sides of a split.
    """
    splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(groups)), groups=groups)


SPLITS = ("scaffold", "butina", "random", "temporal")


def butina_clusters(fingerprints: np.ndarray, cutoff: float = 0.6, block: int = 2048) -> np.ndarray:
    """Taylor-Butina cluster label per molecule (Tanimoto distance ``cutoff`` on 0/1 rows).

    The molecule with most neighbours within ``cutoff`` becomes a centroid and takes
    its unassigned neighbours, and so on; every molecule lands in exactly one cluster.

    Examples
    --------
    >>> X = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 1]], dtype=np.uint8)
    >>> butina_clusters(X, cutoff=0.5).tolist()
    [0, 0, 1]
    """
    from .estimators import minmax_kernel

    n = len(fingerprints)
    neighbours = np.zeros((n, n), dtype=bool)
    for s in range(0, n, block):
        neighbours[s:s + block] = minmax_kernel(fingerprints[s:s + block], fingerprints) >= 1.0 - cutoff
    order = np.argsort(-neighbours.sum(axis=1), kind="stable")
    labels = np.full(n, -1)
    cluster = 0
    for i in order:
        if labels[i] >= 0:
            continue
        members = np.flatnonzero(neighbours[i] & (labels < 0))
        labels[members] = cluster
        labels[i] = cluster
        cluster += 1
    return labels


def temporal_folds(years: np.ndarray, n_splits: int = 5, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Forward-chaining folds by year: train on earlier blocks, test on the next one.

    Rows are ordered by year (rows without a year, e.g. putative inactives, are spread
    over the blocks at random) and cut into ``n_splits + 1`` blocks that never split a
    year; fold k trains on blocks ``0..k`` and tests on block ``k + 1``.
    """
    years = np.asarray(years, dtype=float)
    rng = np.random.default_rng(seed)
    known = ~np.isnan(years)
    if not known.any():
        raise ValueError("no document years")
    unique = np.unique(years[known])
    if len(unique) < n_splits + 1:
        raise ValueError(f"only {len(unique)} distinct years for {n_splits} temporal folds")
    # block edges at year boundaries, roughly equal numbers of rows per block
    cumulative = np.cumsum([np.sum(years == y) for y in unique]) / known.sum()
    block_of_year = np.minimum((cumulative * (n_splits + 1) - 1e-9).astype(int), n_splits)
    block = np.empty(len(years), dtype=int)
    block[known] = block_of_year[np.searchsorted(unique, years[known])]
    block[~known] = rng.integers(0, n_splits + 1, size=int((~known).sum()))
    folds = []
    for k in range(n_splits):
        train, test = np.flatnonzero(block <= k), np.flatnonzero(block == k + 1)
        if len(train) and len(test):
            folds.append((train, test))
    return folds


def make_folds(kind: str, *, smiles, fingerprints: np.ndarray | None = None, years=None, n_splits: int = 5,
               seed: int = 0, butina_cutoff: float = 0.6) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Cross-validation folds of one kind and a sentence describing them (for model cards).

    ``scaffold`` (default: Bemis-Murcko groups), ``butina`` (Tanimoto clusters of the
    0/1 ``fingerprints``), ``random`` (for comparison only: analogues leak) or
    ``temporal`` (by document year; needs ``years``).
    """
    from .errors import UsageError

    n = len(smiles)
    if kind == "scaffold":
        groups = scaffold_groups(smiles)
        return list(scaffold_kfold(groups, n_splits, seed)), \
            f"Bemis-Murcko scaffold groups, {n_splits}-fold GroupKFold (seed {seed})"
    if kind == "butina":
        groups = butina_clusters(fingerprints, cutoff=butina_cutoff)
        return list(scaffold_kfold(groups, n_splits, seed)), \
            f"Butina clusters (Tanimoto distance {butina_cutoff}, Morgan r2), {n_splits}-fold GroupKFold (seed {seed})"
    if kind == "random":
        from sklearn.model_selection import KFold

        return list(KFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(n))), \
            f"random {n_splits}-fold (seed {seed}; for comparison only: close analogues leak across folds)"
    if kind == "temporal":
        values = np.array([float(y) if str(y).strip() not in ("", "nan", "None") else np.nan
                           for y in (years if years is not None else [""] * n)])
        try:
            folds = temporal_folds(values, n_splits, seed)
        except ValueError as exc:
            raise UsageError(f"temporal split impossible: {exc}; the dataset needs a document_year column, "
                             "or use --split scaffold") from None
        return folds, (f"temporal forward chaining by document year, {n_splits} folds (train on earlier years, "
                       "test on the next block; rows without a year spread at random)")
    raise UsageError(f"unknown split {kind!r}; use one of {', '.join(SPLITS)}")
