"""Validation splits that keep related compounds together, and how hard each split is.

Random splits leak: close analogues land on both sides and the metrics flatter the
model. Bemis-Murcko scaffolds leak too (a methyl on a ring changes the scaffold, not the
chemistry): on the bundled sets the median test-to-train nearest-neighbour Tanimoto of a
scaffold split is 0.52-0.82, close to a random split's 0.69-0.85. The default ``cluster``
split groups Taylor-Butina clusters of Morgan r2 fingerprints, with the cut-off widened
until that median is at most 0.55, so a test fold is mostly chemistry the model has not
seen. :func:`split_difficulty` measures it for every card.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

__all__ = ["murcko_scaffold", "scaffold_groups", "scaffold_kfold", "butina_clusters", "cluster_folds",
           "temporal_folds", "make_folds", "split_difficulty", "nearest_train_similarity", "SPLITS",
           "CLUSTER_CUTOFFS"]


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
    labels: list[int] = []
    codes: dict[str, int] = {}
    for i, smi in enumerate(smiles):
        scaffold = murcko_scaffold(smi)
        key = scaffold if scaffold else f"acyclic:{i}"
        labels.append(codes.setdefault(key, len(codes)))
    return np.asarray(labels)


def scaffold_kfold(groups: np.ndarray, n_splits: int = 5, seed: int = 0, y: np.ndarray | None = None):
    """Yield ``(train_idx, test_idx)`` for a group K-fold (scaffolds or clusters).

    Groups are shuffled with ``seed`` and then balanced across folds, so no group is ever
    on both sides of a split. With 0/1 labels ``y`` the folds are also stratified
    (``StratifiedGroupKFold``), so every test fold keeps actives where the groups allow.
    """
    if y is not None and len(np.unique(y)) == 2:
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        yield from splitter.split(np.zeros(len(groups)), np.asarray(y), groups=groups)
        return
    splitter = GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    yield from splitter.split(np.zeros(len(groups)), groups=groups)


SPLITS = ("cluster", "scaffold", "random", "temporal")
CLUSTER_CUTOFFS = (0.6, 0.65, 0.7, 0.75, 0.8)  # Butina Tanimoto distances tried in order


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
    from ..chem.similarity import minmax_kernel

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


def nearest_train_similarity(fingerprints: np.ndarray, folds) -> np.ndarray:
    """Per fold, each test row's largest Tanimoto to that fold's training rows (concatenated)."""
    from ..chem.similarity import tanimoto_max

    parts = [tanimoto_max(fingerprints[test], fingerprints[train]) for train, test in folds]
    return np.concatenate(parts) if parts else np.zeros(0)


def split_difficulty(similarity: np.ndarray) -> dict:
    """Median, quartiles and share >= 0.8 of test-to-train nearest-neighbour similarities.

    Examples
    --------
    >>> split_difficulty(np.array([0.2, 0.4, 0.6, 0.9]))["share_ge_0_8"]
    0.25
    """
    similarity = np.asarray(similarity, dtype=float)
    if len(similarity) == 0:
        return {"median": None, "q1": None, "q3": None, "share_ge_0_8": None, "n": 0}
    q1, median, q3 = np.quantile(similarity, [0.25, 0.5, 0.75])
    return {"median": round(float(median), 4), "q1": round(float(q1), 4), "q3": round(float(q3), 4),
            "share_ge_0_8": round(float((similarity >= 0.8).mean()), 4), "n": int(len(similarity))}


def cluster_folds(fingerprints: np.ndarray, y: np.ndarray | None = None, n_splits: int = 5, seed: int = 0,
                  max_median_similarity: float = 0.55, cutoffs=CLUSTER_CUTOFFS):
    """Folds of whole Butina clusters, the cut-off widened until the split is hard enough.

    Tries each Tanimoto-distance cut-off in ``cutoffs`` and keeps the first whose median
    test-to-train nearest-neighbour similarity is at most ``max_median_similarity``
    (else the last). Wider cut-offs make bigger clusters, so folds get less even: a set
    that is one chemical series cannot be both hard and balanced, and hard wins here.

    Returns ``(folds, clusters, cutoff, median)``.
    """
    result = None
    for cutoff in cutoffs:
        clusters = butina_clusters(fingerprints, cutoff=cutoff)
        n_clusters = len(np.unique(clusters))
        if n_clusters < n_splits:  # wider cut-offs only merge clusters: keep the last that had enough
            if result is None:
                raise ValueError(f"only {n_clusters} Butina cluster(s) at cut-off {cutoff} for {n_splits} folds: "
                                 "too little diverse data")
            break
        folds = list(scaffold_kfold(clusters, n_splits, seed, y=y))
        median = float(np.median(nearest_train_similarity(fingerprints, folds)))
        result = folds, clusters, cutoff, median
        if median <= max_median_similarity:
            break
    return result


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


def make_folds(kind: str, *, smiles, fingerprints: np.ndarray | None = None, years=None, y=None,
               n_splits: int = 5, seed: int = 0,
               max_median_similarity: float = 0.55) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Cross-validation folds of one kind and a sentence describing them (for model cards).

    ``cluster`` (default: Butina clusters of the 0/1 Morgan ``fingerprints``, see
    :func:`cluster_folds`), ``scaffold`` (Bemis-Murcko groups), ``random`` (for comparison
    only: analogues leak) or ``temporal`` (by document year; needs ``years``). With 0/1
    labels ``y``, grouped folds are stratified so each keeps actives.
    """
    from ..errors import UsageError

    n = len(smiles)
    if kind not in SPLITS:
        raise UsageError(f"unknown split {kind!r}; use one of {', '.join(SPLITS)}")
    if n_splits > n:
        raise UsageError(f"{n_splits} folds for {n} compounds; lower --n-folds")
    if kind == "cluster":
        if fingerprints is None:
            raise UsageError("the cluster split needs fingerprints (0/1 Morgan bits)")
        try:
            folds, clusters, cutoff, median = cluster_folds(fingerprints, y, n_splits, seed, max_median_similarity)
        except ValueError as exc:
            raise UsageError(f"cluster split impossible: {exc}; lower --n-folds or use --split random") from None
        return folds, (f"Butina clusters of Morgan r2 fingerprints (Tanimoto distance cut-off {cutoff}: the first of "
                       f"{', '.join(map(str, CLUSTER_CUTOFFS))} giving a median test-to-train nearest-neighbour "
                       f"similarity <= {max_median_similarity}; got {median:.2f}), {len(folds)}-fold "
                       f"{'stratified ' if y is not None else ''}group K-fold (seed {seed}); "
                       f"{len(np.unique(clusters))} clusters")
    if kind == "scaffold":
        groups = scaffold_groups(smiles)
        if len(np.unique(groups)) < n_splits:
            raise UsageError(f"only {len(np.unique(groups))} Bemis-Murcko scaffold groups for {n_splits} folds; "
                             "lower --n-folds or use --split cluster")
        return list(scaffold_kfold(groups, n_splits, seed, y=y)), \
            f"Bemis-Murcko scaffold groups, {n_splits}-fold group K-fold (seed {seed})"
    if kind == "random":
        from sklearn.model_selection import KFold

        return list(KFold(n_splits, shuffle=True, random_state=seed).split(np.zeros(n))), \
            f"random {n_splits}-fold (seed {seed}; for comparison only: close analogues leak across folds)"
    if kind == "temporal":
        values = np.array([float(v) if str(v).strip() not in ("", "nan", "None") else np.nan
                           for v in (years if years is not None else [""] * n)])
        try:
            folds = temporal_folds(values, n_splits, seed)
        except ValueError as exc:
            raise UsageError(f"temporal split impossible: {exc}; the dataset needs a document_year column, "
                             "or use --split cluster") from None
        return folds, (f"temporal forward chaining by document year, {n_splits} folds (train on earlier years, "
                       "test on the next block)")
    raise UsageError(f"unknown split {kind!r}; use one of {', '.join(SPLITS)}")
