"""Chemical space of a ranking: Murcko-scaffold series and a 2D map against the training sets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..chem.similarity import AD_SPACE

__all__ = ["Series", "chemical_space", "group_series", "murcko_scaffold"]


def murcko_scaffold(mol) -> str:
    """Bemis-Murcko scaffold as canonical SMILES without stereo ("" for acyclic molecules or no structure).

    Stereoisomers share a scaffold, so enantiomers and diastereomers land in one series.

    Examples
    --------
    >>> from rdkit import Chem
    >>> murcko_scaffold(Chem.MolFromSmiles("CCOc1ccc(CN2CCCC2)cc1"))
    'c1ccc(CN2CCCC2)cc1'
    >>> murcko_scaffold(Chem.MolFromSmiles("CCO"))
    ''
    """
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    if mol is None or mol.GetNumAtoms() == 0:
        return ""
    try:
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    except (RuntimeError, ValueError):
        return ""
    return Chem.MolToSmiles(scaffold, isomericSmiles=False) if scaffold.GetNumAtoms() else ""


@dataclass(frozen=True)
class Series:
    """Ranked compounds that share a Murcko scaffold."""

    scaffold: str
    members: tuple[int, ...]  # row numbers, in rank order (the first is the best ranked)
    score_min: float
    score_max: float

    @property
    def best(self) -> int:
        return self.members[0]


def group_series(scaffolds: list[str], scores: np.ndarray, min_size: int = 2) -> list[Series]:
    """Series of at least ``min_size`` rows with the same non-empty scaffold, best-ranked series first.

    ``scaffolds`` and ``scores`` are row-aligned and in rank order, so a series' first member is its
    best-ranked compound.

    Examples
    --------
    >>> s = group_series(["A", "B", "A", "", "A"], np.array([0.9, 0.8, 0.7, 0.6, 0.5]))
    >>> [(x.scaffold, x.members, x.score_min, x.score_max) for x in s]
    [('A', (0, 2, 4), 0.5, 0.9)]
    """
    groups: dict[str, list[int]] = {}
    for i, scaffold in enumerate(scaffolds):
        if scaffold:
            groups.setdefault(scaffold, []).append(i)
    out = []
    for scaffold, members in groups.items():
        if len(members) < min_size:
            continue
        values = scores[members]
        values = values[np.isfinite(values)]
        lo, hi = (float(values.min()), float(values.max())) if len(values) else (np.nan, np.nan)
        out.append(Series(scaffold, tuple(members), lo, hi))
    return sorted(out, key=lambda s: s.best)


def chemical_space(top_fps: np.ndarray, top_titles: list[str], sample_fps: np.ndarray, bundle: dict,
                   per_model: int = 400, seed: int = 0) -> dict:
    """2D PCA map of ranked compounds, a sample of the rest and each model's training set.

    Returns
    -------
    dict
        ``{"groups": [(label, xy array, titles)], "explained": [variance ratio of PC1, PC2]}``.
    """
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    groups = []
    for name, model in bundle.items():
        fps = model.train_fingerprints
        if fps.shape[1] != AD_SPACE.fp_size or len(fps) == 0:
            continue
        pick = np.sort(rng.choice(len(fps), size=min(per_model, len(fps)), replace=False))
        titles = [f"{name} training: p{model.card.activity_type} {model.train_pactivity[i]:.2f}"
                  for i in pick]
        groups.append((f"{name} training set", fps[pick], titles))
    if len(sample_fps):
        groups.append(("rest of the ranked file (sample)", sample_fps, ["ranked (not mapped)"] * len(sample_fps)))
    groups.append(("top ranked", top_fps, top_titles))
    matrix = np.vstack([g[1] for g in groups]).astype(np.float32)
    if len(matrix) < 3:
        return {"groups": [], "explained": []}
    pca = PCA(n_components=2, random_state=seed)
    xy = pca.fit_transform(matrix)
    out, start = [], 0
    for label, fps, titles in groups:
        out.append((label, xy[start:start + len(fps)], titles))
        start += len(fps)
    return {"groups": out, "explained": [float(v) for v in pca.explained_variance_ratio_]}
